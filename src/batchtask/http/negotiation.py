"""Which media type a response is rendered in, and what kind of body a request carries.

SPEC §4.2: six producible types, four rendering JSON and two XML; the response ``Content-Type``
is the matched type. ``$format=json|xml`` wins over ``Accept``. q-values are honoured, and among
equal q the range written first wins. When nothing producible is acceptable -- no header, an
empty one, ``*/*;q=0``, a typo such as ``aplication/json``, garbage -- the answer is JSON, never
406: SuperOffice's server falls back to JSON and real clients depend on it.

Matching follows RFC 9110 §12.5.1: each producible type takes the q of the *most specific* range
that matches it (``application/json`` over ``application/*`` over ``*/*``), so
``application/json;q=0, */*`` yields ``text/json``. Wildcards therefore pick the first
acceptable type of their family in ``PRODUCIBLE`` order: ``*/*`` and ``application/*`` give
``application/json``, ``text/*`` gives ``text/json``. Media-type parameters other than ``q`` are
ignored. A ``q`` that is not a non-negative decimal is ignored (the range keeps q=1) and a q above
1 counts as 1 -- lenient, because a client that writes ``q=high`` still wants that type. An
unknown ``$format`` value is ignored and ``Accept`` decides.

Pure functions over header text: nothing here imports the web framework. ``negotiate`` runs for
every request, so answers for headers up to ``_CACHED_HEADER_LIMIT`` characters are cached;
longer ones (rare, possibly hostile) are computed each time so they cannot fill the cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "CACHE_CONTROL",
    "JSON",
    "PRODUCIBLE",
    "VARY",
    "XML",
    "MediaType",
    "body_kind",
    "negotiate",
    "negotiate_data",
]


@dataclass(frozen=True, slots=True)
class MediaType:
    """A type the server can produce."""

    name: str
    """Lower-case ``type/subtype`` as written in ``Accept``."""
    is_xml: bool
    """Render with the XML writer (else JSON)."""
    content_type: bytes
    """The response ``Content-Type`` header value, charset included."""


def _media_type(name: str, *, is_xml: bool) -> MediaType:
    return MediaType(name, is_xml, f"{name}; charset=utf-8".encode("ascii"))


PRODUCIBLE: tuple[MediaType, ...] = (
    _media_type("application/json", is_xml=False),
    _media_type("text/json", is_xml=False),
    _media_type("application/json-patch+json", is_xml=False),
    _media_type("application/merge-patch+json", is_xml=False),
    _media_type("application/xml", is_xml=True),
    _media_type("text/xml", is_xml=True),
)
"""In order of preference when a wildcard or a tie leaves the choice to the server."""

JSON = PRODUCIBLE[0]
XML = PRODUCIBLE[4]

VARY = "Accept, Accept-Language, SO-Language, SO-Culture, SO-TimeZone"
"""The ``Vary`` header of every response: all the headers that change its bytes."""

CACHE_CONTROL = "no-store"
"""The ``Cache-Control`` of every API answer: it carries the caller's rights and live task state,
so no cache may keep it (issue 11 #11; errors and the admin API say the same)."""

_FORMATS = {"json": JSON, "xml": XML}
_CACHED_HEADER_LIMIT = 512
_Q_VALUE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)

# For each producible type, the ranges that match it, most specific first.
_CANDIDATES = tuple(
    (media, (media.name, media.name.split("/", 1)[0] + "/*", "*/*")) for media in PRODUCIBLE
)


def negotiate(accept: str | None, format_param: str | None = None) -> MediaType:
    """The media type to render a response in; never raises, always one of ``PRODUCIBLE``."""
    if format_param:
        chosen = _FORMATS.get(format_param.strip().lower())
        if chosen is not None:
            return chosen
    if not accept:
        return JSON
    if len(accept) > _CACHED_HEADER_LIMIT:
        return _from_accept(accept)
    return _cached_from_accept(accept)


def _q_value(text: str) -> float:
    if _Q_VALUE.fullmatch(text) is None:
        return 1.0
    return min(float(text), 1.0)


def _from_accept(accept: str) -> MediaType:
    # range text → (q, position) of its first occurrence; later repeats never win a tie.
    ranges: dict[str, tuple[float, int]] = {}
    for position, entry in enumerate(accept.split(",")):
        name, _, parameters = entry.partition(";")
        name = name.strip().lower()
        if not name or name in ranges:
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                quality = _q_value(value.strip())
                break
        ranges[name] = (quality, position)
    best, best_quality, best_position = JSON, 0.0, 0
    for media, patterns in _CANDIDATES:
        for pattern in patterns:
            found = ranges.get(pattern)
            if found is None:
                continue
            quality, position = found
            if quality > best_quality or (quality == best_quality > 0 and position < best_position):
                best, best_quality, best_position = media, quality, position
            break  # the most specific matching range decides, even when it says q=0
    return best


_cached_from_accept = lru_cache(maxsize=1024)(_from_accept)

_PAGES = ("text/html", "application/xhtml+xml")


def negotiate_data(accept: str | None, format_param: str | None = None) -> MediaType | None:
    """The media type when JSON or XML is asked for *specifically*, else ``None`` (a page).

    For ``GET /api``, which SuperOffice answers with HTML "if you don't ask specifically":
    ``$format``, or an ``Accept`` that names a producible type at least as strongly as HTML.
    A browser's ``text/html,…,application/xml;q=0.9,*/*;q=0.8`` gets the page; no ``Accept``
    or ``*/*`` too.
    """
    if format_param and format_param.strip().lower() in _FORMATS:
        return _FORMATS[format_param.strip().lower()]
    if not accept:
        return None
    named, page = 0.0, 0.0
    for entry in accept[:_CACHED_HEADER_LIMIT].split(","):
        name, _, parameters = entry.partition(";")
        name = name.strip().lower()
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                quality = _q_value(value.strip())
        if name in _PAGES:
            page = max(page, quality)
        elif any(media.name == name for media in PRODUCIBLE):
            named = max(named, quality)
    if named > 0 and named >= page:
        return negotiate(accept)
    return None


_BODY_KINDS = {
    "application/json": "json",
    "text/json": "json",
    "application/json-patch+json": "json",
    "application/merge-patch+json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/x-www-form-urlencoded": "form",
}


def body_kind(content_type: str | None) -> str | None:
    """``"json"``, ``"xml"`` or ``"form"`` for a request ``Content-Type``; ``None`` means 415."""
    if not content_type:
        return None
    return _BODY_KINDS.get(content_type.partition(";")[0].strip().lower())
