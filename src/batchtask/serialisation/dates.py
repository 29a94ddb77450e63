"""Date-time text on the wire (SPEC §4.6): local ISO 8601 out, any ISO 8601 in, UTC inside.

SuperOffice renders ``DateTime`` the .NET way: ``YYYY-MM-DDTHH:MM:SS`` with a fraction only when it
is non-zero (format ``FFFFFFF``: up to seven digits, trailing zeros dropped; Python holds six),
and with ``SO-TimeZone: …, includeTZOffset`` an offset *without* a colon (``-0500``), or ``Z`` for
UTC. Base-zone fields (``LastStarted``) are converted to the requested zone; UTC fields
(``Created``) never are. The unset value is .NET's ``DateTime.MinValue``, ``0001-01-01T00:00:00``,
in every zone and with or without offset; it parses back to ``datetime(1, 1, 1, tzinfo=UTC)``.

Offsets go out in whole minutes, as .NET's ``DateTimeOffset`` holds them. The only offsets with
seconds are historical local mean times (Dhaka before 1941, most zones before 1900); those are
rounded to the minute and the wall time is shifted with them, so the text still names the exact
instant when it carries its offset.

Reading a local time that a zone skips (spring forward) uses the offset from before the gap, so
``02:30`` becomes ``03:30`` summer time; a local time that happens twice (fall back) is read as
standard time, the later one, as .NET's ``TimeZoneInfo.ConvertTimeToUtc`` does. Both are "the
smaller of the two candidate offsets".

Rendering runs for every date in every response, so it avoids ``strftime`` and reuses
``isoformat``'s C implementation for the wall time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

__all__ = ["UNSET", "UNSET_DATETIME", "parse_datetime", "render_local", "render_utc"]

UNSET = "0001-01-01T00:00:00"
"""How an unset date-time is rendered (``DateTime.MinValue``)."""

UNSET_DATETIME = datetime(1, 1, 1, tzinfo=UTC)
"""What ``UNSET`` parses to, and the value that renders as ``UNSET``."""

_UTC_ZONE_KEYS = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
)

_OFFSET_TEXT: dict[int, str] = {}
"""``±HHMM`` by offset in minutes; a few dozen entries at most."""


def _offset_text(minutes: int) -> str:
    text = _OFFSET_TEXT.get(minutes)
    if text is None:
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        text = _OFFSET_TEXT[minutes] = f"{sign}{hours:02d}{rest:02d}"
    return text


def _wall_text(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.F…]`` of ``moment``'s own fields, ignoring its zone."""
    text = moment.isoformat()
    if moment.microsecond:
        return text[:26].rstrip("0")
    return text[:19]


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone; wire dates are rendered from aware values")


def render_local(value: datetime | None, zone: ZoneInfo, *, offset: bool) -> str:
    """Render a base-zone field (``LastStarted``) in the requested ``zone``.

    ``value`` is an aware datetime (stored as UTC); ``None`` renders ``UNSET``. With ``offset`` the
    zone's offset is appended (``-0500``); a UTC zone is tagged ``Z`` instead.
    """
    if value is None:
        return UNSET
    _require_aware(value)
    if value.year == 1 and value == UNSET_DATETIME:
        return UNSET
    try:
        local = value.astimezone(zone)
        delta = local.utcoffset() or timedelta()
        seconds = delta.days * 86400 + delta.seconds
        minutes, spare = divmod(seconds, 60)
        if spare:
            minutes = round(seconds / 60)
            local = value.astimezone(timezone(timedelta(minutes=minutes)))
    except OverflowError:
        raise ValueError(f"{value.isoformat()} cannot be shown in {zone.key}") from None
    text = _wall_text(local)
    if not offset:
        return text
    if zone.key in _UTC_ZONE_KEYS:
        return f"{text}Z"
    return text + _offset_text(minutes)


def render_utc(value: datetime | None, *, offset: bool) -> str:
    """Render an always-UTC field (``Created``): never converted; ``Z`` when offsets are asked."""
    if value is None:
        return UNSET
    _require_aware(value)
    if value.year == 1 and value == UNSET_DATETIME:
        return UNSET
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = _wall_text(value)
    return f"{text}Z" if offset else text


_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?",
    re.ASCII,
)


def parse_datetime(text: str, zone: ZoneInfo) -> datetime:
    """Read wire date-time text into an aware UTC datetime.

    Accepts ``YYYY-MM-DD`` and ``YYYY-MM-DDTHH:MM[:SS[.fffffff]]`` with an optional ``Z`` or
    ``±HH:MM``/``±HHMM``. Text without an offset is local time in ``zone``. A seventh fraction
    digit is truncated (Python holds microseconds). Raises ``ValueError`` and nothing else.
    """
    match = _DATE_TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not a date-time; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, "
            "optionally with a fraction and Z or an offset such as +01:00"
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        wall = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
        )
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid date-time: {error}") from None
    if wall == datetime.min:
        return UNSET_DATETIME
    if zulu:
        return wall.replace(tzinfo=UTC)
    if sign:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValueError(f"{text!r} has an impossible offset {sign}{off_h}:{off_m}")
        delta = timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            delta = -delta
    else:
        delta = _offset_in(wall, zone)
    try:
        return (wall - delta).replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the range of dates in UTC") from None


def _offset_in(wall: datetime, zone: ZoneInfo) -> timedelta:
    """The UTC offset of local time ``wall`` in ``zone``: the smaller one when there are two.

    For a repeated local time that is standard time (the later instant); for a skipped one it is
    the offset before the gap, which moves the time forward by the gap.
    """
    first = wall.replace(tzinfo=zone).utcoffset() or timedelta()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset() or timedelta()
    return min(first, second)
