"""Task ids in URL paths: what counts as a number, and the int32 range."""

from __future__ import annotations

from batchtask.domain.errors import InvalidInput
from batchtask.domain.task import INT32_MAX, INT32_MIN

_INT32_DIGITS = 10


def is_numeric(segment: str) -> bool:
    """ASCII digits with an optional sign: an id (``GET BatchTask/{id}``), never a state name."""
    digits = segment[1:] if segment[:1] in {"+", "-"} else segment
    return digits.isascii() and digits.isdigit()


def parse_task_id(text: str) -> int | None:
    """An id from a path segment: ASCII digits with an optional sign.

    ``None`` when the segment is not a number at all (``1e3``, ``0x10``, full-width or Arabic-Indic
    digits, ``5.0``); ``InvalidInput`` (400) when it is a number outside int32.
    """
    digits = text[1:] if text[:1] in {"+", "-"} else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    stripped = digits.lstrip("0") or "0"
    if len(stripped) > _INT32_DIGITS:
        raise InvalidInput(f"id {text[:20]!r} is outside the int32 range", field="id")
    value = int(text)
    if not INT32_MIN <= value <= INT32_MAX:
        raise InvalidInput(f"id {text!r} is outside the int32 range", field="id")
    return value
