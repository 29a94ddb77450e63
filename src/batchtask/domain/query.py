"""What a ``$filter`` and ``$orderBy`` mean, independent of how they were written or will be run.

The wire parser (``serialisation/odata_filter.py``) reduces SuperOffice's many spellings to this small tree:
operator aliases become one canonical :class:`Operator` (``eq``, ``=``, ``equals`` and ``set`` are
all ``equals``), negative operators become :class:`Not` of the positive one (``notBegins`` is
``Not(begins)``), OData functions become comparisons (``startswith(DbTag,'x')`` is
``Comparison("DbTag", "begins", ("x",))``), and the unary date operators and the period functions
become one :class:`RelativePeriod` (``thisWeek`` is ``during`` week 0..0, ``next(f,2,month)`` is
``during`` month 1..2). Column names are canonical (:mod:`batchtask.domain.archive`) and values
are already of the column's type, so a consumer (``storage/filter_sql.py``) only translates.

Dates are the one value that cannot be resolved at parse time: text without an offset is local
time in the zone of the request (SPEC §4.6), and "today" depends on the clock. So a
:class:`DateLiteral` and a :class:`RelativePeriod` resolve to aware UTC instants only when given
the zone and the current instant. Every range is half-open ``[start, end)``.

Resolved instants are clamped to years 1000–9999: SQLite stores instants as text whose order is
time order only for four-digit years, and a filter can name any date (``'0001-01-01'``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from batchtask.domain.errors import InvalidInput

__all__ = [
    "MAX_INSTANT",
    "MIN_INSTANT",
    "And",
    "Comparison",
    "DateLiteral",
    "FilterError",
    "Node",
    "Not",
    "Operator",
    "Or",
    "Ordering",
    "PeriodUnit",
    "RelativePeriod",
    "Value",
    "find_period_unit",
    "local_midnight",
]

MIN_INSTANT = datetime(1000, 1, 1, tzinfo=UTC)
"""The earliest instant a filter resolves to (see the module docstring)."""

MAX_INSTANT = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
"""The latest instant a filter resolves to."""


class FilterError(InvalidInput):
    """The ``$filter`` or ``$orderBy`` text is not valid.

    ``position`` is the 0-based character offset of the offending text (the length of the text
    when it ended too early); the message names it too, because clients usually show only that.
    The ``code`` stays ``invalid_input`` so the error is a 400 like every other bad parameter.
    """

    def __init__(self, message: str, position: int, *, field: str = "$filter") -> None:
        super().__init__(f"{message} (at position {position})", field=field, position=position)
        self.position = position
        self.reason = message


class Operator(StrEnum):
    """The canonical comparison operators a parsed filter uses; negations are :class:`Not`."""

    # int, associate, bool (``between`` and ``oneOf`` also on strings)
    EQUALS = "equals"
    LESS = "less"
    LESS_OR_EQUAL = "lessOrEqual"
    GREATER = "greater"
    GREATER_OR_EQUAL = "greaterOrEqual"
    BETWEEN = "between"
    ONE_OF = "oneOf"
    CURRENT_ASSOCIATE = "currentAssociate"
    # string
    IS = "is"
    BEGINS = "begins"
    CONTAINS = "contains"
    ENDS = "ends"
    # date: the date part only, in the zone
    DATE = "date"
    BEFORE = "before"
    AFTER = "after"
    DATE_BETWEEN = "dateBetween"
    DURING = "during"
    # date: exact instants
    DATE_TIME = "dateTime"
    BEFORE_TIME = "beforeTime"
    AFTER_TIME = "afterTime"


class PeriodUnit(StrEnum):
    """The period types of the relative date operators (SuperOffice period type 1–6)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "halfyear"
    YEAR = "year"


_PERIOD_NAMES = {
    name: unit
    for unit, names in (
        (PeriodUnit.DAY, ("day", "days", "1")),
        (PeriodUnit.WEEK, ("week", "weeks", "wk", "wks", "2")),
        (PeriodUnit.MONTH, ("month", "months", "mon", "mos", "3")),
        (PeriodUnit.QUARTER, ("quarter", "quarters", "qtr", "qtrs", "4")),
        (PeriodUnit.HALF_YEAR, ("halfyear", "halfyears", "hyr", "hyrs", "5")),
        (PeriodUnit.YEAR, ("year", "years", "yr", "yrs", "6")),
    )
    for name in names
}


def find_period_unit(text: str) -> PeriodUnit | None:
    """A period type by any of SuperOffice's names (``week``, ``wks``, …) or its number 1–6."""
    return _PERIOD_NAMES.get(text.strip().casefold())


_MONTHS_PER = {
    PeriodUnit.MONTH: 1,
    PeriodUnit.QUARTER: 3,
    PeriodUnit.HALF_YEAR: 6,
    PeriodUnit.YEAR: 12,
}


def _clamp(moment: datetime) -> datetime:
    return min(max(moment, MIN_INSTANT), MAX_INSTANT)


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """Local wall time → aware UTC, the way ``serialisation.dates.parse_datetime`` reads it.

    Of the two candidate offsets (a repeated or skipped local time) the smaller is used, as .NET's
    ``TimeZoneInfo.ConvertTimeToUtc`` does, so a literal and a day boundary agree with body dates.
    """
    first = wall.replace(tzinfo=zone).utcoffset() or timedelta()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset() or timedelta()
    try:
        moment = (wall - min(first, second)).replace(tzinfo=UTC)
    except OverflowError:
        return MIN_INSTANT if wall.year < 5000 else MAX_INSTANT
    return _clamp(moment)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``zone`` (clamped)."""
    return _to_utc(datetime(day.year, day.month, day.day), zone)


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of an aware instant in ``zone`` (its UTC day at the ends of time)."""
    try:
        return moment.astimezone(zone).date()
    except OverflowError:
        return moment.astimezone(UTC).date()


def _shift_day(day: date, days: int) -> date | None:
    ordinal = day.toordinal() + days
    if ordinal < 1 or ordinal > date.max.toordinal():
        return None
    return date.fromordinal(ordinal)


@dataclass(frozen=True, slots=True)
class DateLiteral:
    """A date or date-time as written in a filter.

    ``moment`` is aware (UTC) when the text carried ``Z`` or an offset, and a naive local wall time
    otherwise, to be read in the zone of the comparison. ``has_time`` is false for ``YYYY-MM-DD``.
    """

    moment: datetime
    has_time: bool = False

    def instant(self, zone: ZoneInfo) -> datetime:
        """The aware UTC instant the text names when local times are read in ``zone``."""
        if self.moment.tzinfo is None:
            return _to_utc(self.moment, zone)
        return _clamp(self.moment.astimezone(UTC))

    def day(self, zone: ZoneInfo) -> date:
        """The calendar day the text names in ``zone`` (date operators use only the date part)."""
        if self.moment.tzinfo is None:
            return self.moment.date()
        return _local_date(self.moment, zone)

    def day_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC of that day in ``zone``."""
        day = self.day(zone)
        following = _shift_day(day, 1)
        end = MAX_INSTANT if following is None else local_midnight(following, zone)
        return local_midnight(day, zone), end


@dataclass(frozen=True, slots=True)
class RelativePeriod:
    """Whole periods ``first``..``last`` (inclusive) counted from the current one (0).

    ``today`` is day 0..0, ``lastWeek`` week −1..−1, ``thisAndNext(f, 2, month)`` month 0..2.
    Weeks are ISO weeks (Monday first), quarters start in January, April, July and October, and
    half-years in January and July, all in the zone of the comparison.
    """

    unit: PeriodUnit
    first: int = 0
    last: int = 0

    def bounds(self, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC, for the clock reading ``now`` seen in ``zone``."""
        today = _local_date(now, zone)
        return (
            self._period_start(today, self.first, zone),
            self._period_start(today, self.last + 1, zone),
        )

    def _period_start(self, today: date, index: int, zone: ZoneInfo) -> datetime:
        """Start of period ``index`` relative to the one containing ``today``."""
        if self.unit is PeriodUnit.DAY:
            day = _shift_day(today, index)
        elif self.unit is PeriodUnit.WEEK:
            day = _shift_day(today, 7 * index - today.weekday())
        else:
            size = _MONTHS_PER[self.unit]
            month = (today.year * 12 + today.month - 1) // size * size + index * size
            year = month // 12
            if year < date.min.year or year > date.max.year:
                day = None
            else:
                day = date(year, month % 12 + 1, 1)
        if day is None:
            return MIN_INSTANT if index < 0 else MAX_INSTANT
        return local_midnight(day, zone)


Value = int | str | bool | DateLiteral | RelativePeriod
"""A comparison operand, already of the column's type (``State`` names are their integers)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """``column operator values``: canonical column name, :class:`Operator` value, operands."""

    column: str
    operator: str
    values: tuple[Value, ...] = ()


@dataclass(frozen=True, slots=True)
class And:
    """Every part holds (two or more parts)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one part holds (two or more parts)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The part does not hold. Comparisons are two-valued: a never-started task's ``LastStarted``
    is before, after and on no date, so ``not (LastStarted today)`` includes it."""

    part: Node


Node = Comparison | And | Or | Not
"""A parsed ``$filter``."""


@dataclass(frozen=True, slots=True)
class Ordering:
    """One ``$orderBy`` item: canonical column name and direction."""

    column: str
    descending: bool = False
