"""Wire form → response bytes, as JSON or XML."""

from __future__ import annotations

import json
from typing import Any

from batchtask.serialisation.xml import render_xml, render_xml_array_start, render_xml_items

#: One encoder for the process: ``json.dumps`` with options builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def render_json(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return _JSON(value).encode("utf-8", "replace")


def render(value: Any, *, xml: bool, root: str, item: str | None = None) -> bytes:
    """JSON, or XML with ``root`` as the document element (``item`` for array entries)."""
    if xml:
        return render_xml(root, value, item=item)
    return render_json(value)


class ArrayChunks:
    """An array rendered a page at a time: ``start()``, ``page()`` per page, ``end()``.

    The pieces joined are byte for byte ``render(whole_list, …)``, so a list answered in pieces
    (issue 11 #6: a list of every task never sits in memory whole) reads exactly as one answered
    at once.
    """

    def __init__(self, *, xml: bool, root: str, item: str) -> None:
        self._xml = xml
        self._root = root
        self._item = item
        self._written = False

    def start(self) -> bytes:
        """Everything before the first entry."""
        return render_xml_array_start(self._root) if self._xml else b"["

    def page(self, values: list[Any]) -> bytes:
        """The entries of one page (with the separator from the previous page's)."""
        if not values:
            return b""
        if self._xml:
            return render_xml_items(self._item, values)
        body = render_json(values)[1:-1]
        if self._written:
            body = b"," + body
        self._written = True
        return body

    def end(self) -> bytes:
        """Everything after the last entry."""
        return f"</{self._root}>".encode() if self._xml else b"]"
