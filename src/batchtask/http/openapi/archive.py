"""The paths of ``/api/v1/Archive/{archiveProviderName}`` and its ``$metadata`` (reference §5.9)."""

from __future__ import annotations

from batchtask.http.openapi.components import (
    API_HEADERS,
    JSON_TYPES,
    OK_HEADERS,
    XML_TYPES,
    Schema,
    api_paths,
    error_refs,
    ok,
    parameter_refs,
    schema_ref,
    security,
)

LIST_PARAMETERS = (
    "ListSelect", "Filter", "OrderBy", "Top", "Skip", "Mode", "Output", "JsonSafe", "Context",
    "Options", "Entities",
)  # fmt: skip


def _list_or_metadata() -> Schema:
    content: Schema = {}
    for types, metadata in ((JSON_TYPES, "ArchiveMetadata"), (XML_TYPES, "ArchiveMetadata")):
        options = {"oneOf": [schema_ref("ODataList"), schema_ref(metadata)]}
        content.update({media: {"schema": options} for media in types})
    return content


def paths(basic: bool) -> dict[str, Schema]:
    """The provider (the same list as ``GET BatchTask``) and its column metadata."""

    def provider(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": {
                "tags": ["Archive"],
                "operationId": f"v1Archive_GetArchive{suffix}",
                "summary": "The BatchTasks archive provider in OData format: the same parameters "
                "and rows as `GET /api/v1/BatchTask`; with `$metadata`, its columns.",
                "parameters": parameter_refs(
                    *tenant,
                    "ArchiveProviderName",
                    *LIST_PARAMETERS,
                    "Metadata",
                    "Format",
                    *API_HEADERS,
                ),
                "security": security(basic),
                "responses": {
                    "200": {
                        "description": "One page of rows, or the column metadata.",
                        "headers": OK_HEADERS,
                        "content": _list_or_metadata(),
                    },
                    **error_refs(400, 401, 403, 404, 429, 503),
                },
            }
        }

    def metadata(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": {
                "tags": ["Archive"],
                "operationId": f"v1Archive_GetArchiveMetadata{suffix}",
                "summary": "The columns of the archive provider, translated by the language "
                "headers (without one: the `[SR_…]` references).",
                "parameters": parameter_refs(
                    *tenant, "ArchiveProviderName", "Format", *API_HEADERS
                ),
                "security": security(basic),
                "responses": {
                    "200": ok("Each column's description, by name.", "ArchiveMetadata"),
                    **error_refs(400, 401, 403, 404, 429, 503),
                },
            }
        }

    return {
        **api_paths("Archive/{archiveProviderName}$metadata", metadata),
        **api_paths("Archive/{archiveProviderName}", provider),
    }
