"""The shared parts of the OpenAPI document: parameters, error responses, security schemes.

Operations refer to these by name (``#/components/parameters/SOTimeZone``), so each header or error
is described once and reads the same on every operation. Negotiated content always lists all six
producible media types; the XML types use an ``…Xml`` schema where the XML shape differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from batchtask.domain.aggregate import Function
from batchtask.domain.archive import COLUMNS, DEFAULT_SELECT
from batchtask.domain.archive_query import DEFAULT_TOP, MAX_TOP
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import INT32_MAX, INT32_MIN
from batchtask.http.authentication import SESSION_COOKIE, XSRF_COOKIE
from batchtask.http.errors import CHALLENGE
from batchtask.http.negotiation import PRODUCIBLE, VARY
from batchtask.i18n.timezone import zone_codes
from batchtask.serialisation.carrier import FIELDS
from batchtask.services.auth import TICKET_PREFIX, TOKEN_PREFIX

Schema = dict[str, Any]

JSON_TYPES = tuple(media.name for media in PRODUCIBLE if not media.is_xml)
XML_TYPES = tuple(media.name for media in PRODUCIBLE if media.is_xml)
#: What request bodies may be: every producible type, and flat forms.
BODY_TYPES = (*JSON_TYPES, *XML_TYPES, "application/x-www-form-urlencoded")
#: Headers that change how any response (including an error) is rendered.
RENDERING = ("Accept", "AcceptLanguage", "SOLanguage", "SOCulture")
#: Every header an ``/api/v1`` operation reads.
API_HEADERS = (*RENDERING, "SOTimeZone", "SOAppToken", "XsrfToken")


def ref(kind: str, name: str) -> Schema:
    """A ``$ref`` to ``#/components/<kind>/<name>``."""
    return {"$ref": f"#/components/{kind}/{name}"}


def schema_ref(name: str) -> Schema:
    """A ``$ref`` to a schema."""
    return ref("schemas", name)


def parameter_refs(*names: str) -> list[Schema]:
    """``$ref``s to parameters, in order."""
    return [ref("parameters", name) for name in names]


def case_insensitive_pattern(text: str) -> str:
    """``^[Cc][Uu][Ss][Tt]00000$`` for ``Cust00000``: the segment is matched ignoring case."""
    return "^" + "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in text) + "$"


# ---------------------------------------------------------------------------------- parameters


def _header(name: str, description: str, *examples: str) -> Schema:
    schema: Schema = {"type": "string"}
    if examples:
        schema["examples"] = list(examples)
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


_STATE_PATTERN = (
    "^(?:" + "|".join(case_insensitive_pattern(state.name)[1:-1] for state in BatchTaskState) + ")$"
)


def _any_case(words: Iterable[str]) -> str:
    return "(?:" + "|".join(case_insensitive_pattern(word)[1:-1] for word in words) + ")"


def name_list_pattern(names: Iterable[str], *, paths: bool, aggregates: bool = False) -> str:
    """A comma-separated list of ``names`` in any case (blank entries allowed), as parsed.

    With ``aggregates`` an entry may also be ``Function(name)`` with ``:Modifier``s (the
    functions' column types are checked by the server, 400).
    """
    name = _any_case(names)
    if paths:
        name += r"(?:\s*[/.][^,]*)?"
    if aggregates:
        function = _any_case(f.value for f in Function)
        modifier = _any_case(("Header", "Footer", "HideDetail"))
        name = rf"(?:{function}\s*\(\s*{name}\s*\)\s*(?::\s*{modifier}\s*)*|{name})"
    entry = rf"\s*(?:{name}\s*)?"
    return rf"^{entry}(?:,{entry})*$"


def _choice_pattern(*choices: str) -> str:
    """One of ``choices`` in any case, or blank (the default)."""
    words = "|".join(case_insensitive_pattern(choice)[1:-1] for choice in choices)
    return rf"^\s*(?:{words})?\s*$"


def _timezone_pattern() -> str:
    """What ``SO-TimeZone`` accepts: a known code in any case or a number, and the option."""
    codes = "|".join(case_insensitive_pattern(code)[1:-1] for code in sorted(zone_codes()))
    option = case_insensitive_pattern("includeTZOffset")[1:-1]
    return rf"^\s*(?:{codes}|\d{{1,9}})\s*(?:,\s*{option}\s*)?$"


def _query(name: str, description: str, schema: Schema) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _list_parameters() -> dict[str, Schema]:
    """The OData options of ``GET BatchTask`` (SPEC §7); names are matched ignoring case."""
    visible = [column.name for column in COLUMNS if column.is_visible]
    columns = ", ".join(f"`{name}`" for name in visible)
    text = {"type": "string"}
    return {
        "ListSelect": _query(
            "$select",
            f"Comma-separated columns of the BatchTasks archive provider (any case): {columns}. "
            f"Default: {', '.join(DEFAULT_SELECT)}. An unknown column is a 400. A column may "
            "carry an aggregate, `Count`, `CountAll`, `Sum`, `Avg`, `Min` or `Max`, with the "
            "modifiers `:Header`, `:Footer` (the default) and `:HideDetail` "
            "(`Count(State):Footer`): the totals over every matching row come in a `header` row "
            "before the first page and a `footer` row after the last.",
            {
                **text,
                "pattern": name_list_pattern(visible, paths=False, aggregates=True),
                "examples": ["definitionName,state,progressPercent", "Count(State):Footer"],
            },
        ),
        "Filter": _query(
            "$filter",
            "Restrictions on the columns, e.g. `state eq 4 and lastStarted lastWeek`; a parse "
            "error is a 400 naming the position.",
            {**text, "examples": ["state eq 4"]},
        ),
        "OrderBy": _query(
            "$orderBy",
            "Columns to sort by, each optionally `asc`/`desc`.",
            {**text, "examples": ["lastStarted desc"]},
        ),
        "Top": _query(
            "$top",
            f"Rows per page, default {DEFAULT_TOP}; more than {MAX_TOP} gives {MAX_TOP}. Not a "
            "non-negative integer: 400.",
            {"type": "integer", "minimum": 0},
        ),
        "Skip": _query(
            "$skip",
            "Rows to skip. Not a non-negative integer: 400.",
            {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
        ),
        "Mode": _query(
            "$mode",
            "`Slim` (default; `Wide` is the same) or `Full` rows, any case; else 400.",
            {**text, "pattern": _choice_pattern("Slim", "Wide", "Full"), "examples": ["Full"]},
        ),
        "Output": _query(
            "$output",
            "`Logical` (default) or `Display` values (text formatted for SO-Culture), any case; "
            "else 400.",
            {**text, "pattern": _choice_pattern("Logical", "Display"), "examples": ["Display"]},
        ),
        "JsonSafe": _query(
            "$jsonSafe",
            "`true` replaces `.` in member names (`odata.metadata`) with `_`.",
            {**text, "examples": ["true"]},
        ),
        **{
            name.title(): _query(f"${name}", "Accepted and ignored.", text)
            for name in ("context", "options", "entities")
        },
        "Metadata": _query(
            "$metadata",
            "Answer the column metadata instead of rows (overrides the other parameters): "
            "`ALL` (or empty) for every column, or comma-separated column names.",
            {**text, "examples": ["ALL", "State,DbTag"]},
        ),
        "ArchiveProviderName": {
            "name": "archiveProviderName",
            "in": "path",
            "required": True,
            "description": "The archive provider: `BatchTasks` (any case); any other is 404.",
            "schema": {**text, "examples": ["BatchTasks"]},
        },
    }


def parameters(context_identifier: str) -> dict[str, Schema]:
    """``components/parameters``: the seed page's headers, the query options and path segments."""
    producible = ", ".join(f"`{media.name}`" for media in PRODUCIBLE)
    return {
        "Accept": _header(
            "Accept",
            f"Content-type(s) you would like the response in: {producible}. q-values are "
            "honoured; anything else (or nothing) gives JSON, never 406. The responses' content "
            "maps list the same types.",
            "application/json",
            "application/xml",
        ),
        "AcceptLanguage": _header(
            "Accept-Language",
            "Convert string references and multi-language values into a specified language "
            "(iso2) code.",
            "en",
            "nb, en;q=0.5",
        ),
        "SOLanguage": _header(
            "SO-Language",
            "Convert string references and multi-language values into a specified language "
            "(iso2) code. Overrides Accept-Language value; `*` switches translation off.",
            "en",
            "nb",
            "*",
        ),
        "SOCulture": _header(
            "SO-Culture",
            "Number, date formatting in a specified culture (iso2 language) code. Partially "
            "overrides SO-Language/Accept-Language value. Ignored if no Language set.",
            "en",
            "de",
        ),
        "SOTimeZone": {
            **_header(
                "SO-TimeZone",
                "The time-zone code (any case) or numeric id that date/time responses are "
                "converted to, optionally followed by `, includeTZOffset`. Numeric ids are known "
                "for UTC 1, AU-ACT 36, BD 50, CA-QC 114, DK 140, FR 156, NO 261, US-CA 425, "
                "US-HI 433 and US-NY 460. An unknown zone is a 400.",
                "UTC",
                "NO",
                "US-NY, includeTZOffset",
                "261",
            ),
            "schema": {
                "type": "string",
                "pattern": _timezone_pattern(),
                "examples": ["UTC", "NO", "US-NY, includeTZOffset", "261"],
            },
        },
        "SOAppToken": _header(
            "SO-AppToken",
            "The application token that identifies the partner app. Required for SOTicket and "
            "Bearer requests when the server runs in online mode, ignored otherwise.",
        ),
        "XsrfToken": _header(
            "X-XSRF-TOKEN",
            f"If not using Authorization header, you must provide the value of the `{XSRF_COOKIE}` "
            f"cookie (set by `POST /login` together with the `{SESSION_COOKIE}` session cookie).",
        ),
        "Select": _query(
            "$select",
            "Comma-separated field names (case-insensitive); the others are returned as `null`. "
            "`Id` is always filled. A path (`TableRight/Mask`) selects its first field. An "
            "unknown name is a 400.",
            {
                "type": "string",
                "pattern": name_list_pattern(FIELDS, paths=True),
                "examples": ["Name,State,ProgressPercent"],
            },
        ),
        "Format": {
            "name": "$format",
            "in": "query",
            "required": False,
            "description": "`json` or `xml` (any case) overrides Accept; any other value is "
            "ignored.",
            "schema": {"type": "string", "examples": ["json", "xml"]},
        },
        "TaskId": {
            "name": "id",
            "in": "path",
            "required": True,
            "description": "Id of the BatchTaskInfo. Digits with an optional sign; outside "
            "int32 is a 400, anything that is not a number a 404.",
            "schema": {
                "type": "integer",
                "format": "int32",
                "minimum": INT32_MIN,
                "maximum": INT32_MAX,
            },
        },
        "TaskIdOrState": {
            "name": "id",
            "in": "path",
            "required": True,
            "description": "Id of the BatchTaskInfo to get (digits with an optional sign; outside "
            "int32 is a 400), or a BatchTaskState name in any case for the user tasks in that "
            "state (`GET BatchTask/{state}`, an array). Anything else is a 404.",
            "schema": {
                "anyOf": [
                    {
                        "type": "integer",
                        "format": "int32",
                        "minimum": INT32_MIN,
                        "maximum": INT32_MAX,
                    },
                    {"type": "string", "pattern": _STATE_PATTERN},
                ]
            },
        },
        "StopTaskId": {
            "name": "id",
            "in": "path",
            "required": True,
            "description": "Id of the task to stop. Outside int32 is a 400; a segment that is not "
            "a number answers `false`.",
            "schema": {
                "type": "integer",
                "format": "int32",
                "minimum": INT32_MIN,
                "maximum": INT32_MAX,
            },
        },
        **_list_parameters(),
        "ContextIdentifier": {
            "name": "ContextIdentifier",
            "in": "path",
            "required": True,
            "description": f"The tenant, SuperOffice Online style: this server's default "
            f"`{context_identifier}` (any case; the schema describes it) or a tenant added with "
            "`batchtask tenant add`; an unknown one is a 404.",
            "schema": {
                "type": "string",
                "pattern": case_insensitive_pattern(context_identifier),
                "default": context_identifier,
                "examples": [context_identifier],
            },
        },
    }


# ----------------------------------------------------------------------------------- responses


def negotiated(json_schema: str, xml_schema: str | None = None) -> Schema:
    """A content map for all six producible media types (the XML ones may use another schema)."""
    xml = schema_ref(xml_schema or json_schema)
    content = {name: {"schema": schema_ref(json_schema)} for name in JSON_TYPES}
    content.update({name: {"schema": xml} for name in XML_TYPES})
    return content


VARY_HEADER = {
    "description": "The request headers that change the response bytes (`Origin` too when a "
    "page on an origin named in `CORS_ORIGINS` asks).",
    "required": True,
    "schema": {"type": "string", "enum": [VARY, f"{VARY}, Origin"]},
}
NO_STORE = {"required": True, "schema": {"type": "string", "const": "no-store"}}


def _error(description: str, **headers: Schema) -> Schema:
    return {
        "description": description,
        "headers": {"Vary": VARY_HEADER, "Cache-Control": NO_STORE, **headers},
        "content": negotiated("Error"),
    }


def responses(basic_auth: bool) -> dict[str, Schema]:
    """``components/responses``: the error object under every status the routes produce."""
    challenge = CHALLENGE if basic_auth else "SOTicket, Bearer"
    return {
        "BadRequest": _error(
            "The request is not valid: an id outside int32, an unknown `$select` field, an "
            "unknown SO-TimeZone, a malformed body. The message names what is wrong."
        ),
        "Unauthorized": _error(
            "No valid credentials.",
            **{
                "WWW-Authenticate": {
                    "description": "A challenge for every accepted scheme; a bad Bearer token "
                    'adds `error="invalid_token"`.',
                    "required": True,
                    "schema": {"type": "string", "examples": [challenge]},
                }
            },
        ),
        "Forbidden": _error(
            "Refused: changing another user's task, a system task by a non-administrator, or a "
            "cross-site request on the cookie session."
        ),
        "NotFound": _error(
            "Not found: the task does not exist, the id is not a number, or the "
            "ContextIdentifier is not this server's."
        ),
        "MethodNotAllowed": _error(
            "Any method a documented path does not list.",
            Allow={"required": True, "schema": {"type": "string", "examples": ["HEAD, GET"]}},
        ),
        "Conflict": _error("The task changed while the request was being processed; retry."),
        "PayloadTooLarge": _error("The body is larger than the server's limit (default 1 MiB)."),
        "UnsupportedMediaType": _error("The body's Content-Type is not one the server reads."),
        "TooManyRequests": _error(
            "Too many failed password checks for this user name or client address.",
            **{
                "Retry-After": {
                    "description": "Seconds to wait.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
        ),
        "ServiceUnavailable": _error("The database cannot be reached."),
    }


def error_refs(*statuses: int) -> dict[str, Schema]:
    """The documented error responses for these statuses."""
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "PayloadTooLarge",
        415: "UnsupportedMediaType",
        429: "TooManyRequests",
        503: "ServiceUnavailable",
    }
    return {str(status): ref("responses", names[status]) for status in statuses}


# ------------------------------------------------------------------------------------ security


def security_schemes(context_identifier: str) -> dict[str, Schema]:
    """``components/securitySchemes``: the four ways to authenticate (SPEC §4.1)."""
    return {
        "Basic": {
            "type": "http",
            "scheme": "basic",
            "description": "`Authorization: Basic base64(username:password)` against the "
            "server's users. Repeated failures are throttled (429).",
        },
        "SOTicket": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`Authorization: SOTicket {TICKET_PREFIX}…` (scheme name in any "
            "case). Tickets come from `POST /login` or the CLI; valid 6 hours, each use renews "
            "them. Enter the whole value including `SOTicket `.",
        },
        "Bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": f"Opaque access tokens `{TOKEN_PREFIX}{context_identifier}.…` from "
            "the CLI or admin API, or JWTs from the configured OIDC issuer.",
        },
        "Session": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "The browser session from `POST /login`, used when no Authorization "
            f"header is sent; every request must also carry `X-XSRF-TOKEN` equal to the "
            f"`{XSRF_COOKIE}` cookie.",
        },
    }


def security(basic_auth: bool) -> list[Schema]:
    """The security requirement of the API operations: any one of the enabled schemes."""
    schemes = (
        ["Basic", "SOTicket", "Bearer", "Session"]
        if basic_auth
        else ["SOTicket", "Bearer", "Session"]
    )
    return [{name: []} for name in schemes]


# ---------------------------------------------------------------------------------------- paths


OK_HEADERS = {"Vary": VARY_HEADER, "Cache-Control": NO_STORE}
NO_CONTENT = {"description": "Done; no body."}


def ok(description: str, json_schema: str, xml_schema: str | None = None) -> Schema:
    """A negotiated 200 response."""
    return {
        "description": description,
        "headers": OK_HEADERS,
        "content": negotiated(json_schema, xml_schema),
    }


def body(schema: str, *, required: bool = True, description: str = "") -> Schema:
    """A request body in any of the readable content types."""
    content = {name: {"schema": schema_ref(schema)} for name in BODY_TYPES}
    out: Schema = {"required": required, "content": content}
    if description:
        out["description"] = description
    return out


def api_paths(path: str, item: Callable[[str, tuple[str, ...]], Schema]) -> dict[str, Schema]:
    """``/api/v1/<path>`` and its ``/{ContextIdentifier}/api/v1/<path>`` twin.

    ``item(operation_suffix, leading_parameters)`` builds the path item; the twin's operation ids
    end in ``InContext`` so they stay unique.
    """
    return {
        f"/api/v1/{path}": item("", ()),
        f"/{{ContextIdentifier}}/api/v1/{path}": item("InContext", ("ContextIdentifier",)),
    }
