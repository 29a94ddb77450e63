"""Tolerant readers of JSON values: a missing or mistyped member reads as its empty value.

Why tolerant: the client must keep working against servers that add members, leave some out, or
null them under ``$select``; a snapshot with an empty field beats an exception in the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: .NET's ``DateTime.MinValue`` wall time: SuperOffice's "no date".
_EMPTY_DATE = datetime(1, 1, 1)  # naive on purpose: compared by wall time


def integer(data: Mapping[str, Any], key: str) -> int:
    """An integer member (booleans are not integers here)."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def number(data: Mapping[str, Any], key: str) -> float:
    """A numeric member."""
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def text(data: Mapping[str, Any], key: str) -> str:
    """A string member."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


def optional_text(data: Mapping[str, Any], key: str) -> str | None:
    """A string member that may be ``null``."""
    value = data.get(key)
    return value if isinstance(value, str) else None


def flag(data: Mapping[str, Any], key: str) -> bool:
    """A boolean member."""
    return data.get(key) is True


def mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """An object member."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def items(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The objects of an array member."""
    value = data.get(key)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def integers(data: Mapping[str, Any], key: str) -> list[int]:
    """The integers of an array member."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, int) and not isinstance(item, bool)]


def counts(data: Mapping[str, Any], key: str) -> dict[str, int]:
    """An object of integers (``{"New": 3, "Failed": 1}``)."""
    value = mapping(data, key)
    return {str(name): integer(value, name) for name in value}


def date(data: Mapping[str, Any], key: str) -> datetime | None:
    """A date-time member as an aware datetime (see :func:`parse_date`)."""
    return parse_date(data.get(key))


def parse_date(value: object) -> datetime | None:
    """Wire date text as an aware datetime; ``None`` for SuperOffice's empty date or no value.

    Text without an offset is read as UTC (the client asks for UTC with offsets).
    """
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.replace(tzinfo=None) == _EMPTY_DATE:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def render_date(value: datetime | None) -> str:
    """An aware datetime as UTC wire text with ``Z``; ``None`` as the empty date."""
    if value is None:
        return "0001-01-01T00:00:00"
    if value.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; the client sends instants only")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
