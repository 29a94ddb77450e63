"""The paths of ``POST /login`` and ``POST /logout`` (SPEC §4.1)."""

from __future__ import annotations

from batchtask.http.authentication import SESSION_COOKIE, XSRF_COOKIE
from batchtask.http.openapi.components import (
    BODY_TYPES,
    NO_STORE,
    RENDERING,
    VARY_HEADER,
    Schema,
    error_refs,
    negotiated,
    parameter_refs,
    schema_ref,
    security,
)


def paths(basic: bool) -> dict[str, Schema]:
    """``POST /login`` and ``POST /logout``."""
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
                "parameters": parameter_refs("Format", *RENDERING, "SOAppToken"),
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        name: {"schema": schema_ref("LoginRequest")} for name in BODY_TYPES
                    },
                },
                "responses": {
                    "200": {
                        "description": "Logged in: the ticket, and the session and XSRF cookies.",
                        "headers": {
                            "Vary": VARY_HEADER,
                            "Cache-Control": NO_STORE,
                            "Set-Cookie": set_cookie,
                        },
                        "content": negotiated("LoginResult"),
                    },
                    **error_refs(400, 401, 413, 415, 429, 503),
                },
            }
        },
        "/logout": {
            "post": {
                "tags": ["Session"],
                "operationId": "Session_Logout",
                "summary": "Revoke the caller's login (its ticket and session together).",
                "parameters": parameter_refs("Format", *RENDERING, "SOAppToken", "XsrfToken"),
                "security": security(basic),
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
                    **error_refs(401, 403, 429, 503),
                },
            }
        },
    }
