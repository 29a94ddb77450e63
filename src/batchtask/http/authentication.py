"""Reading credentials off a request: ``Authorization`` (Basic, SOTicket, Bearer) or the session.

Scheme names are case-insensitive and may be followed by any run of spaces or tabs. Anything
malformed — no scheme, bad base64, no colon, a repeated header — is a 401, never a 5xx. Without an
``Authorization`` header the browser-session path applies: the session cookie plus an
``X-XSRF-TOKEN`` header equal to the token issued with that session, on every method; cross-site
requests (``Sec-Fetch-Site`` or a foreign ``Origin``) are refused outright.

Basic credentials are ambient too: a browser that once answered our ``WWW-Authenticate: Basic``
challenge re-sends them on its own, even on a request another site triggers. The challenge must stay
(SPEC §4.1), so a cross-site request carrying Basic credentials is refused (403) like a cross-site
session request. SOTicket and Bearer are never sent by a browser on its own and are not checked.
``/login`` refuses cross-site requests too (login CSRF: a foreign page must not log the browser in
to an account of the attacker's choosing).
"""

from __future__ import annotations

import binascii
from base64 import b64decode

from batchtask.domain.errors import AuthenticationFailed, Forbidden
from batchtask.domain.user import Principal
from batchtask.http.headers import RequestHeaders
from batchtask.services.auth import Authenticator

SESSION_COOKIE = "batchtask_session"
XSRF_COOKIE = "XSRF-TOKEN"
MAX_HEADER = 8192


def split_scheme(value: str) -> tuple[str, str]:
    """``("basic", "dGpl…")`` from ``"Basic   dGpl…"``; the scheme lower-cased."""
    text = value.strip(" \t")
    space, tab = text.find(" "), text.find("\t")
    cut = space if tab < 0 else tab if space < 0 else min(space, tab)
    if cut < 0:
        return text.lower(), ""
    return text[:cut].lower(), text[cut:].strip(" \t")


def decode_basic(value: str) -> tuple[str, str]:
    """User name and password of a Basic credential; ``AuthenticationFailed`` when malformed."""
    try:
        raw = b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise AuthenticationFailed("Malformed Basic credentials") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon or not username:
        raise AuthenticationFailed("Malformed Basic credentials")
    return username, password


def refuse_cross_site(headers: RequestHeaders) -> None:
    """``Forbidden`` (403) when a browser marks the request as coming from another site."""
    if _cross_site(headers):
        raise Forbidden("Cross-site requests are refused")


def _cross_site(headers: RequestHeaders) -> bool:
    site = (headers.sec_fetch_site or "").strip().lower()
    if site in {"cross-site", "same-site"}:
        return True
    origin = headers.origin
    if origin is None:
        return False
    origin = origin.strip()
    if origin == "null":
        return True
    scheme, separator, authority = origin.lower().partition("://")
    if not separator:
        return True
    own = (headers.forwarded_proto or headers.scheme).split(",", 1)[0].strip().lower()
    return scheme != own or _authority(authority.rstrip("/"), scheme) != _authority(
        (headers.host or "").strip().lower(), own
    )


def _authority(host: str, scheme: str) -> str:
    """``host[:port]`` without the scheme's default port (browsers leave it out of ``Origin``)."""
    default = {"http": ":80", "https": ":443"}.get(scheme)
    return host[: -len(default)] if default and host.endswith(default) else host


async def authenticate(headers: RequestHeaders, address: str, auth: Authenticator) -> Principal:
    """The caller of a request, or the 401/403/429 error that explains why not."""
    if headers.authorization is not None:
        if headers.authorization_count > 1:
            raise AuthenticationFailed("More than one Authorization header")
        scheme, credentials = split_scheme(headers.authorization)
        if len(headers.authorization) > MAX_HEADER:
            raise AuthenticationFailed(
                "Authorization header too long", invalid_token=scheme == "bearer"
            )
        if not credentials:
            raise AuthenticationFailed("Authorization header without credentials")
        if scheme == "soticket":
            return await auth.ticket(credentials, headers.so_apptoken)
        if scheme == "bearer":
            return await auth.bearer(credentials, headers.so_apptoken)
        if scheme == "basic":
            refuse_cross_site(headers)
            username, password = decode_basic(credentials)
            return await auth.basic(username, password, address)
        raise AuthenticationFailed("Unsupported authorization scheme")
    session = headers.cookies().get(SESSION_COOKIE)
    if not session:
        raise AuthenticationFailed("Authentication required")
    refuse_cross_site(headers)
    return await auth.session(session, headers.xsrf)
