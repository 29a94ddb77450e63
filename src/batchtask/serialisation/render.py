"""Wire form → response bytes, as JSON or XML."""

from __future__ import annotations

import json
from typing import Any

from batchtask.serialisation.xml import render_xml

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
