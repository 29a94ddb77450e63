"""The paths of ``/api`` and ``/api/v1`` (reference §5.1) and their ``/{ContextIdentifier}`` twins."""

from __future__ import annotations

from batchtask.http.openapi.components import (
    RENDERING,
    Schema,
    error_refs,
    negotiated,
    ok,
    parameter_refs,
)


def paths() -> dict[str, Schema]:
    """Anonymous: they describe the server."""

    def version(suffix: str, tenant: tuple[str, ...]) -> Schema:
        content = {"text/html": {"schema": {"type": "string"}}, **negotiated("ApiVersion")}
        return {
            "get": {
                "tags": ["Discovery"],
                "operationId": f"Discovery_Api{suffix}",
                "summary": "The version block; an HTML page unless JSON or XML is asked for "
                "specifically (`Accept` naming it over `text/html`, or `$format`).",
                "parameters": parameter_refs(*tenant, "Format", *RENDERING),
                "security": [],
                "responses": {
                    "200": {"description": "The version block.", "content": content},
                    **error_refs(404),
                },
            }
        }

    def urls(suffix: str, tenant: tuple[str, ...]) -> Schema:
        return {
            "get": {
                "tags": ["Discovery"],
                "operationId": f"Discovery_ApiV1{suffix}",
                "summary": "Every URL under `/api/v1` with its methods and a line of "
                "documentation each.",
                "parameters": parameter_refs(*tenant, "Format", *RENDERING),
                "security": [],
                "responses": {
                    "200": ok("URL → method → documentation.", "SupportedUrls", "SupportedUrlsXml"),
                    **error_refs(404),
                },
            }
        }

    return {
        "/api": version("", ()),
        "/{ContextIdentifier}/api": version("InContext", ("ContextIdentifier",)),
        "/api/v1": urls("", ()),
        "/{ContextIdentifier}/api/v1": urls("InContext", ("ContextIdentifier",)),
    }
