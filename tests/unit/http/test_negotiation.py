"""Response content negotiation and request body kinds, as pure functions over header text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtask.http.negotiation import (
    JSON,
    PRODUCIBLE,
    VARY,
    XML,
    MediaType,
    body_kind,
    negotiate,
)

CASES = [
    # missing, empty, whitespace
    (None, "application/json"),
    ("", "application/json"),
    ("   ", "application/json"),
    # each producible type by name
    ("application/json", "application/json"),
    ("text/json", "text/json"),
    ("application/json-patch+json", "application/json-patch+json"),
    ("application/merge-patch+json", "application/merge-patch+json"),
    ("application/xml", "application/xml"),
    ("text/xml", "text/xml"),
    # case and parameters
    ("Application/XML", "application/xml"),
    ("TEXT/XML; charset=utf-8", "text/xml"),
    ("application/xml;charset=utf-8;q=0.5", "application/xml"),
    ("application/json; odata=verbose", "application/json"),
    # wildcards
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    ("text/*", "text/json"),
    ("image/*", "application/json"),
    # q-values
    ("application/xml;q=0.9, application/json;q=0.8", "application/xml"),
    ("application/json;q=0.1, text/xml", "text/xml"),
    ("text/xml;q=0.5, application/json;q=0.50", "text/xml"),
    ("application/json;q=0.500, text/xml;q=0.5", "application/json"),
    ("application/xml; Q=0.9, application/json; q=0.8", "application/xml"),
    ("application/json;q=0", "application/json"),
    ("application/json;q=0, */*", "text/json"),
    ("application/json;q=0, application/*", "application/json-patch+json"),
    ("application/xml;q=0, text/*;q=0.1, */*;q=0.2", "application/json"),
    ("*/*;q=0", "application/json"),
    ("text/xml;q=0, text/*", "text/json"),
    ("text/*;q=0.5, text/xml", "text/xml"),
    # equal q: header order
    ("text/xml, application/json", "text/xml"),
    ("application/json, text/xml", "application/json"),
    ("*/*, text/xml", "application/json"),
    ("text/xml, */*", "text/xml"),
    ("text/json, text/xml;q=1.0", "text/json"),
    # the browser default: XML beats */*
    (
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
        "application/xml",
    ),
    # invalid q: ignored (q=1); above 1 counts as 1
    ("application/xml;q=abc, application/json;q=0.9", "application/xml"),
    ("application/xml;q=-1, application/json;q=0.9", "application/xml"),
    ("application/xml;q=2, application/json", "application/xml"),
    ("application/xml;q=nan, application/json;q=0.9", "application/xml"),
    ("application/xml;q=, application/json;q=0.9", "application/xml"),
    # repeats: the first occurrence counts
    ("text/xml;q=0.1, application/json;q=0.5, text/xml", "application/json"),
    # nothing producible, typos, garbage
    ("aplication/json", "application/json"),
    ("application/jsn", "application/json"),
    ("text/html", "application/json"),
    ("application/xml+atom", "application/json"),
    ("xml", "application/json"),
    ("*/json", "application/json"),
    (",,,;;;===", "application/json"),
    ('text/xml; foo="a,b"', "text/xml"),
    ("\x00\xff\u2028", "application/json"),
    ("text/xml, " * 10_000, "text/xml"),
    ("text/plain;q=0.1, " * 20_000 + "application/xml;q=0.2", "application/xml"),
]


@pytest.mark.parametrize(("accept", "chosen"), CASES)
def test_negotiate_accept(accept: str | None, chosen: str) -> None:
    """Accept decides by q, then header order, with JSON as the fallback for everything."""
    assert negotiate(accept).name == chosen


@pytest.mark.parametrize(
    ("accept", "format_param", "chosen"),
    [
        ("application/xml", "json", JSON),
        ("application/json", "xml", XML),
        ("text/json", "XML", XML),
        (None, " Json ", JSON),
        ("text/xml", "atom", PRODUCIBLE[5]),
        ("text/xml", "", PRODUCIBLE[5]),
        (None, "yaml", JSON),
    ],
)
def test_format_parameter_overrides(
    accept: str | None, format_param: str, chosen: MediaType
) -> None:
    """$format=json|xml wins over Accept; an unknown $format is ignored."""
    assert negotiate(accept, format_param) is chosen


def test_producible_content_types() -> None:
    """Six producible types; Content-Type is the name with a UTF-8 charset."""
    assert [media.name for media in PRODUCIBLE] == [
        "application/json",
        "text/json",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/xml",
        "text/xml",
    ]
    assert [media.is_xml for media in PRODUCIBLE] == [False] * 4 + [True] * 2
    assert JSON.content_type == b"application/json; charset=utf-8"
    assert XML.content_type == b"application/xml; charset=utf-8"


def test_vary() -> None:
    """Vary lists every header that changes a response's bytes."""
    assert VARY == "Accept, Accept-Language, SO-Language, SO-Culture, SO-TimeZone"


@given(accept=st.text(), format_param=st.none() | st.text(max_size=8))
def test_negotiate_never_raises(accept: str, format_param: str | None) -> None:
    """Any header text gives one of the producible types."""
    assert negotiate(accept, format_param) in PRODUCIBLE


@given(
    accept=st.lists(
        st.sampled_from(
            ["application/json", "text/xml", "*/*", "text/*", "x/y", ";q=0", ";q=0.5", ", ", " "]
        ),
        max_size=12,
    ).map("".join)
)
def test_negotiate_never_raises_on_near_misses(accept: str) -> None:
    """Fragments of real headers glued together still negotiate."""
    assert negotiate(accept) in PRODUCIBLE


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/json", "json"),
        ("application/json; charset=utf-8", "json"),
        ("Text/JSON", "json"),
        ("application/json-patch+json", "json"),
        ("application/merge-patch+json;charset=UTF-8", "json"),
        ("application/xml", "xml"),
        ("text/xml; charset=iso-8859-1", "xml"),
        ("application/x-www-form-urlencoded", "form"),
        (" application/x-www-form-urlencoded ; charset=utf-8", "form"),
        ("multipart/form-data; boundary=x", None),
        ("text/plain", None),
        ("aplication/json", None),
        ("", None),
        (None, None),
    ],
)
def test_body_kind(content_type: str | None, kind: str | None) -> None:
    """Request bodies are JSON, XML or form by media type; anything else is None (415)."""
    assert body_kind(content_type) == kind


@given(content_type=st.text())
def test_body_kind_never_raises(content_type: str) -> None:
    """Any Content-Type text is classified without error."""
    assert body_kind(content_type) in {"json", "xml", "form", None}
