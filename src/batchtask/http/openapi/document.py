"""The OpenAPI 3.1 document of everything the server answers (SPEC §1), served at ``/api/openapi.json``.

Why it is built from code rather than kept as a file: the wire vocabulary -- media types, the 401
challenge, cookie names, the schemas of ``serialisation/schema.py`` -- already lives in code, so
deriving the document from it means it cannot drift from the responses. The integration tests
validate real responses against it and fuzz the live server with it (schemathesis), so a change
on the wire that is not reflected here fails CI.

What it promises, and why it is written the way it is:

* Every status a documented operation really returns is listed (a 500 is always a bug, so it is
  not). A 405 (any undocumented method on a documented path) is described once, in
  ``components/responses``, because listing the wrong methods would claim operations the server
  does not have.
* Responses and error bodies are negotiated, so each lists all six producible media types
  (``Accept`` and ``$format`` pick one). ``Accept`` is also listed as a header parameter, as on
  SuperOffice's own reference page, although OpenAPI tools take it from the content maps.
* Only two settings change the document: the ContextIdentifier (the accepted tenant segment) and
  whether Basic authentication is on. ``openapi_json`` is cached per such pair, so the document
  is built once per process.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from batchtask import __version__
from batchtask.domain.task import INT32_MAX, INT32_MIN
from batchtask.http.authentication import SESSION_COOKIE, XSRF_COOKIE
from batchtask.http.errors import CHALLENGE
from batchtask.http.negotiation import PRODUCIBLE, VARY
from batchtask.serialisation.schema import component_schemas
from batchtask.services.auth import TICKET_PREFIX, TOKEN_PREFIX

__all__ = ["openapi_document", "openapi_json"]

Schema = dict[str, Any]

JSON_TYPES = tuple(media.name for media in PRODUCIBLE if not media.is_xml)
XML_TYPES = tuple(media.name for media in PRODUCIBLE if media.is_xml)


def _ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema_ref(name: str) -> Schema:
    return _ref("schemas", name)


def _case_insensitive_pattern(text: str) -> str:
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


def _parameters(context_identifier: str) -> dict[str, Schema]:
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
        "SOTimeZone": _header(
            "SO-TimeZone",
            "The time-zone code or numeric id that date/time responses are converted to, "
            "optionally followed by `, includeTZOffset`. An unknown zone is a 400.",
            "UTC",
            "NO",
            "US-NY, includeTZOffset",
            "261",
        ),
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
        "Select": {
            "name": "$select",
            "in": "query",
            "required": False,
            "description": "Comma-separated field names (case-insensitive); the others are "
            "returned as `null`. `Id` is always filled. An unknown name is a 400.",
            "schema": {"type": "string", "examples": ["Name,State,ProgressPercent"]},
        },
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
            "description": "Id of the BatchTaskInfo to get. Digits with an optional sign; "
            "outside int32 is a 400, anything that is not a number a 404.",
            "schema": {
                "type": "integer",
                "format": "int32",
                "minimum": INT32_MIN,
                "maximum": INT32_MAX,
            },
        },
        "ContextIdentifier": {
            "name": "ContextIdentifier",
            "in": "path",
            "required": True,
            "description": f"The tenant, SuperOffice Online style. Only this server's "
            f"`{context_identifier}` (any case) is accepted; any other is a 404.",
            "schema": {
                "type": "string",
                "pattern": _case_insensitive_pattern(context_identifier),
                "default": context_identifier,
                "examples": [context_identifier],
            },
        },
    }


# ----------------------------------------------------------------------------------- responses


def _negotiated(json_schema: str, xml_schema: str | None = None) -> Schema:
    xml = _schema_ref(xml_schema or json_schema)
    content = {name: {"schema": _schema_ref(json_schema)} for name in JSON_TYPES}
    content.update({name: {"schema": xml} for name in XML_TYPES})
    return content


_VARY_HEADER = {
    "description": "The request headers that change the response bytes.",
    "required": True,
    "schema": {"type": "string", "const": VARY},
}
_NO_STORE = {"required": True, "schema": {"type": "string", "const": "no-store"}}


def _error(description: str, **headers: Schema) -> Schema:
    return {
        "description": description,
        "headers": {"Vary": _VARY_HEADER, "Cache-Control": _NO_STORE, **headers},
        "content": _negotiated("Error"),
    }


def _responses(basic_auth: bool) -> dict[str, Schema]:
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
        "Forbidden": _error("Refused: a cross-site request on the cookie session."),
        "NotFound": _error(
            "Not found: the task does not exist, the id is not a number, or the "
            "ContextIdentifier is not this server's."
        ),
        "MethodNotAllowed": _error(
            "Any method a documented path does not list.",
            Allow={"required": True, "schema": {"type": "string", "examples": ["HEAD, GET"]}},
        ),
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


def _error_refs(*statuses: int) -> dict[str, Schema]:
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        413: "PayloadTooLarge",
        415: "UnsupportedMediaType",
        429: "TooManyRequests",
        503: "ServiceUnavailable",
    }
    return {str(status): _ref("responses", names[status]) for status in statuses}


# ------------------------------------------------------------------------------------ security


def _security_schemes(context_identifier: str) -> dict[str, Schema]:
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


def _security(basic_auth: bool) -> list[Schema]:
    schemes = (
        ["Basic", "SOTicket", "Bearer", "Session"]
        if basic_auth
        else ["SOTicket", "Bearer", "Session"]
    )
    return [{name: []} for name in schemes]


# ---------------------------------------------------------------------------------------- paths


def _parameter_refs(*names: str) -> list[Schema]:
    return [_ref("parameters", name) for name in names]


_RENDERING = ("Accept", "AcceptLanguage", "SOLanguage", "SOCulture")


def _get_batch_task(operation_id: str, path_parameters: tuple[str, ...], basic: bool) -> Schema:
    return {
        "tags": ["BatchTask"],
        "operationId": operation_id,
        "summary": "Get a single BatchTaskInfo based on Id.",
        "parameters": _parameter_refs(
            *path_parameters,
            "Select",
            "Format",
            *_RENDERING,
            "SOTimeZone",
            "SOAppToken",
            "XsrfToken",
        ),
        "security": _security(basic),
        "responses": {
            "200": {
                "description": "OK",
                "headers": {"Vary": _VARY_HEADER},
                "content": _negotiated("BatchTaskInfo", "BatchTaskInfoXml"),
            },
            **_error_refs(400, 401, 403, 404, 429, 503),
        },
    }


def _session_paths(basic: bool) -> dict[str, Schema]:
    body_types = (*JSON_TYPES, *XML_TYPES, "application/x-www-form-urlencoded")
    set_cookie = {
        "description": f"`{SESSION_COOKIE}` (HttpOnly) and `{XSRF_COOKIE}`, SameSite=Strict.",
        "required": True,
        "schema": {"type": "string"},
    }
    return {
        "/login": {
            "post": {
                "tags": ["Session"],
                "operationId": "Session_Login",
                "summary": "Exchange a user name and password for an SOTicket and a browser "
                "session.",
                "parameters": _parameter_refs("Format", *_RENDERING, "SOAppToken"),
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        name: {"schema": _schema_ref("LoginRequest")} for name in body_types
                    },
                },
                "responses": {
                    "200": {
                        "description": "Logged in: the ticket, and the session and XSRF cookies.",
                        "headers": {
                            "Vary": _VARY_HEADER,
                            "Cache-Control": _NO_STORE,
                            "Set-Cookie": set_cookie,
                        },
                        "content": _negotiated("LoginResult"),
                    },
                    **_error_refs(400, 401, 413, 415, 429, 503),
                },
            }
        },
        "/logout": {
            "post": {
                "tags": ["Session"],
                "operationId": "Session_Logout",
                "summary": "Revoke the caller's login (its ticket and session together).",
                "parameters": _parameter_refs("Format", *_RENDERING, "SOAppToken", "XsrfToken"),
                "security": _security(basic),
                "responses": {
                    "204": {
                        "description": "Logged out; the cookies are cleared.",
                        "headers": {
                            "Set-Cookie": {
                                **set_cookie,
                                "description": "Expired "
                                f"`{SESSION_COOKIE}` and `{XSRF_COOKIE}` cookies.",
                            }
                        },
                    },
                    **_error_refs(401, 403, 429, 503),
                },
            }
        },
    }


def _operations_paths() -> dict[str, Schema]:
    def probe(operation_id: str, summary: str, responses: dict[str, Schema]) -> Schema:
        return {
            "get": {
                "tags": ["Operations"],
                "operationId": operation_id,
                "summary": summary,
                "security": [],
                "responses": responses,
            }
        }

    return {
        "/healthz": probe(
            "Operations_Healthz",
            "Liveness: answering at all is the signal.",
            {
                "200": {
                    "description": "Up.",
                    "content": {"application/json": {"schema": _schema_ref("Health")}},
                }
            },
        ),
        "/readyz": probe(
            "Operations_Readyz",
            "Readiness: the database answers.",
            {
                "200": {
                    "description": "Ready.",
                    "content": {"application/json": {"schema": _schema_ref("Readiness")}},
                },
                **_error_refs(503),
            },
        ),
        "/metrics": probe(
            "Operations_Metrics",
            "Prometheus text exposition of this process's metrics.",
            {
                "200": {
                    "description": "The metrics.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        ),
    }


def openapi_document(context_identifier: str = "Cust00000", *, basic_auth: bool = True) -> Schema:
    """A fresh OpenAPI 3.1 document (a plain dict) for a server with these settings."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "batchtask: SuperOffice BatchTask Web API",
            "version": __version__,
            "description": "A self-hosted implementation of the SuperOffice CRM Web API "
            "BatchTask system. Every operation under `/api/v1` is also served under "
            f"`/{{ContextIdentifier}}/api/v1` for this server's `{context_identifier}`. A method "
            "a documented path does not list answers 405 with an `Allow` header and the error "
            "body.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "tags": [
            {"name": "BatchTask", "description": "The SuperOffice-compatible REST resource."},
            {
                "name": "Session",
                "description": "Tickets for clients, cookie sessions for browsers.",
            },
            {"name": "Operations", "description": "Liveness, readiness and metrics."},
        ],
        "paths": {
            "/api/v1/BatchTask/{id}": {
                "get": _get_batch_task("v1Batch_GetBatchTaskInfo", ("TaskId",), basic_auth)
            },
            "/{ContextIdentifier}/api/v1/BatchTask/{id}": {
                "get": _get_batch_task(
                    "v1Batch_GetBatchTaskInfoInContext", ("ContextIdentifier", "TaskId"), basic_auth
                )
            },
            **_session_paths(basic_auth),
            **_operations_paths(),
        },
        "components": {
            "schemas": component_schemas(),
            "parameters": _parameters(context_identifier),
            "responses": _responses(basic_auth),
            "securitySchemes": _security_schemes(context_identifier),
        },
    }


@lru_cache(maxsize=8)
def openapi_json(context_identifier: str = "Cust00000", *, basic_auth: bool = True) -> bytes:
    """The document as compact UTF-8 JSON, built once per distinct settings."""
    document = openapi_document(context_identifier, basic_auth=basic_auth)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
