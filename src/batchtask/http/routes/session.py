"""``POST /login`` and ``POST /logout``: tickets for clients, cookie sessions for browsers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from batchtask.domain.errors import InvalidInput
from batchtask.http.authentication import (
    SESSION_COOKIE,
    XSRF_COOKIE,
    authenticate,
    refuse_cross_site,
)
from batchtask.http.body import parsed_body
from batchtask.http.request_options import media_type
from batchtask.http.respond import (
    client_address,
    context_of,
    headers_of,
    query_of,
    wire_response,
)
from batchtask.http.tenancy import PREFIX_KEY
from batchtask.serialisation.dates import render_utc


def _field(values: dict[str, Any], name: str) -> str:
    for key, value in values.items():
        if key.lower() == name:
            if not isinstance(value, str):
                raise InvalidInput(f"{name} must be a string", field=name)
            return value
    raise InvalidInput(f"{name} is required", field=name)


async def login(request: Request) -> Response:
    """Check ``{username, password}`` (JSON, XML or form); issue a ticket, a session and XSRF token."""
    ctx = context_of(request)
    headers = headers_of(request)
    refuse_cross_site(headers)
    kind, value = await parsed_body(request, ctx.settings.body_limit)
    if kind == "xml":
        value = value[1]
    if not isinstance(value, dict):
        raise InvalidInput("the body must be an object with username and password", field="body")
    username, password = _field(value, "username"), _field(value, "password")
    result = await ctx.auth.login(username, password, client_address(request), headers.so_apptoken)
    body = {
        "Ticket": result.ticket,
        "AssociateId": result.principal.associate_id,
        "ExpiresAt": render_utc(result.expires_at, offset=True),
    }
    response = wire_response(body, media_type(headers, query_of(request)), root="LoginResult")
    # Browser-session cookies (no Max-Age): the session slides on the server with each use, so a
    # fixed cookie lifetime would log an active user out six hours after login.
    secure = ctx.settings.cookie_secure
    path = cookie_path(request)
    response.set_cookie(SESSION_COOKIE, result.session, path=path,
                        secure=secure, httponly=True, samesite="strict")  # fmt: skip
    response.set_cookie(XSRF_COOKIE, result.xsrf, path=path,
                        secure=secure, httponly=False, samesite="strict")  # fmt: skip
    response.headers["cache-control"] = "no-store"
    return response


def cookie_path(request: Request) -> str:
    """``/{ContextIdentifier}/`` for a tenant's login, ``/`` for the unprefixed default tenant.

    A tenant's session belongs to its own URLs only; browsers send the cookie of the longest
    matching path first and the first occurrence of a name wins (``headers.cookies``), so a
    default-tenant session beside it does not shadow it.
    """
    prefix: str = request.scope.get(PREFIX_KEY, "")
    return f"{prefix}/"


async def logout(request: Request) -> Response:
    """Revoke the caller's login (ticket and session together) and clear the cookies."""
    ctx = context_of(request)
    principal = await authenticate(headers_of(request), client_address(request), ctx.auth)
    await ctx.auth.logout(principal)
    response = Response(status_code=204)
    secure = ctx.settings.cookie_secure
    path = cookie_path(request)
    response.delete_cookie(
        SESSION_COOKIE, path=path, secure=secure, httponly=True, samesite="strict"
    )
    response.delete_cookie(XSRF_COOKIE, path=path, secure=secure, samesite="strict")
    return response
