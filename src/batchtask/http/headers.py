"""The request headers batchtask reads, collected in one pass over the raw ASGI header list.

One pass is cheaper than repeated case-insensitive lookups, and it lets authentication notice a
repeated ``Authorization`` header (ambiguous, so refused) without a second scan.
"""

from __future__ import annotations

from dataclasses import dataclass

_WANTED = {
    b"authorization": "authorization",
    b"accept": "accept",
    b"accept-language": "accept_language",
    b"so-language": "so_language",
    b"so-culture": "so_culture",
    b"so-timezone": "so_timezone",
    b"so-apptoken": "so_apptoken",
    b"x-xsrf-token": "xsrf",
    b"cookie": "cookie",
    b"origin": "origin",
    b"sec-fetch-site": "sec_fetch_site",
    b"host": "host",
    b"content-type": "content_type",
    b"x-forwarded-proto": "forwarded_proto",
}


@dataclass(slots=True)
class RequestHeaders:
    """Decoded values (latin-1, as HTTP/1.1 transmits them) of the headers we use."""

    authorization: str | None = None
    authorization_count: int = 0
    accept: str | None = None
    accept_language: str | None = None
    so_language: str | None = None
    so_culture: str | None = None
    so_timezone: str | None = None
    so_apptoken: str | None = None
    xsrf: str | None = None
    cookie: str | None = None
    origin: str | None = None
    sec_fetch_site: str | None = None
    host: str | None = None
    content_type: str | None = None
    #: ``X-Forwarded-Proto`` of a proxy that ends TLS in front of the service.
    forwarded_proto: str | None = None
    #: The scheme the request arrived with (``scope["scheme"]``; not a header).
    scheme: str = "http"

    @classmethod
    def from_scope(cls, raw: list[tuple[bytes, bytes]], scheme: str = "http") -> RequestHeaders:
        """Collect from ``scope["headers"]`` (names arrive lower-cased)."""
        headers = cls(scheme=scheme)
        for name, value in raw:
            attribute = _WANTED.get(name)
            if attribute is None:
                continue
            text = value.decode("latin-1")
            if attribute == "authorization":
                headers.authorization_count += 1
            elif attribute == "cookie" and headers.cookie is not None:
                text = headers.cookie + "; " + text
            setattr(headers, attribute, text)
        return headers

    def cookies(self) -> dict[str, str]:
        """Cookie header as a dict (first occurrence of a name wins)."""
        out: dict[str, str] = {}
        if not self.cookie:
            return out
        for part in self.cookie.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep and name and name not in out:
                out[name] = value.strip().strip('"')
        return out
