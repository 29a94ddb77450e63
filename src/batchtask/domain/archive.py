"""The columns of SuperOffice's ``BatchTasks`` archive provider, which back ``GET /api/v1/BatchTask``.

The list endpoint is SuperOffice's archive service with the ``BatchTasks`` provider (reference
§5.9, AP-BT), so ``$select``, ``$filter`` and ``$orderBy`` name these columns, with their
restriction types deciding which filter operators apply and ``can_order_by`` which may be sorted.
Names, types, order-by marks, display names and tooltips are the provider page's, verbatim
(including its "Defintion" typos, which clients may show).

Clients spell column names in any case (the ``$select`` examples are lower-case), so lookups go
through :func:`find_column`, which ignores case and returns the canonical spelling.

:data:`OPERATORS` is SuperOffice's ``RestrictionOperations.GetOperatorsForType``: the operator
spellings each restriction type accepts (the REST list of reference §5.9 plus the archive
restriction-type and operator pages), each reduced to a canonical
:class:`~batchtask.domain.query.Operator`. Beyond the per-type lists, the equality family
(``eq``, ``=``, ``equals``, ``ne``, ``!=``, ``<>``, ``unequals``) works on every type, because the
operator page lists ``equals`` under "All types"; ordering operators stay integer-only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum, StrEnum
from types import MappingProxyType

from batchtask.domain.query import Operator, PeriodUnit, RelativePeriod, Value
from batchtask.domain.state import BatchTaskState

__all__ = [
    "COLUMNS",
    "DEFAULT_SELECT",
    "ENTITY",
    "OPERATORS",
    "PROVIDER",
    "ArchiveColumn",
    "Arity",
    "OperatorSpec",
    "RestrictionType",
    "find_column",
    "find_operator",
]

PROVIDER = "BatchTasks"
"""The archive provider name (``GET /api/v1/archive/BatchTasks``)."""

ENTITY = "batchtask"
"""The provider's one entity; the ``EntityName`` of every row."""


class RestrictionType(StrEnum):
    """``ArchiveColumnInfo.RestrictionType``: which family of filter operators a column takes."""

    INT = "int"
    STRING = "string"
    DATE = "date"
    ASSOCIATE = "associate"
    BOOL = "bool"


@dataclass(frozen=True, slots=True)
class ArchiveColumn:
    """One provider column, as ``GET /api/v1/archive/BatchTasks$metadata`` would describe it."""

    #: Canonical spelling (``DefinitionId``, ``updatedBy``).
    name: str
    restriction_type: RestrictionType
    #: May appear in ``$orderBy``.
    can_order_by: bool
    #: English ``DisplayName`` (the part before the colon on the provider page).
    display_name: str
    #: English ``DisplayTooltip``.
    tooltip: str
    #: May appear in ``$select``; ``getAllRows``/``getNoRows`` are restriction-only switches.
    is_visible: bool = True
    #: The value is UTC and is never converted to the request's zone ("in UTC" on the provider
    #: page); other dates are base-zone values shown in the requested zone (SPEC §4.6).
    utc: bool = False
    #: Named values a filter may use instead of integers (``State eq 'Failed'``).
    enum: type[IntEnum] | None = None


_I, _S, _D, _A, _B = (
    RestrictionType.INT,
    RestrictionType.STRING,
    RestrictionType.DATE,
    RestrictionType.ASSOCIATE,
    RestrictionType.BOOL,
)

COLUMNS: tuple[ArchiveColumn, ...] = (
    ArchiveColumn(
        "getAllRows",
        _B,
        False,
        "GetAll",
        "Get all rows of archive - use with care, you may be fetching the whole database",
        is_visible=False,
    ),
    ArchiveColumn(
        "getNoRows", _B, False, "GetNone", "Do not get any rows from the archive", is_visible=False
    ),
    ArchiveColumn("DefinitionId", _I, True, "Definition id", "Defintion id"),
    ArchiveColumn("DefinitionName", _S, True, "Definition name", "Defintion Name"),
    ArchiveColumn("DefinitionDescription", _S, True, "Definition descr", "Defintion Description"),
    ArchiveColumn("DefinitionTimeOut", _I, True, "Timeout", "Timeout"),
    ArchiveColumn("Description", _S, True, "Description", "Description"),
    ArchiveColumn("DbTag", _S, True, "DbTag", "DbTag"),
    ArchiveColumn("State", _I, True, "State", "Task State", enum=BatchTaskState),
    ArchiveColumn("DetailsTable", _I, True, "Table", "Task Table id"),
    ArchiveColumn("DetailsRecord", _I, True, "Record", "Task Record id"),
    ArchiveColumn("Request", _S, False, "Request", "Task Request"),
    ArchiveColumn("Response", _S, False, "Response", "Task Response"),
    ArchiveColumn("StartCount", _I, True, "Start", "Start count"),
    ArchiveColumn("LastStarted", _D, True, "Last Start", "Task Last Started"),
    ArchiveColumn("ProgressPercent", _I, True, "Progress", "Progress Percent"),
    ArchiveColumn("ProgressDescription", _S, False, "Progress Description", "Progress Description"),
    ArchiveColumn("updatedBy", _A, True, "Updated by", "The user who last updated the data"),
    ArchiveColumn(
        "updatedDate",
        _D,
        True,
        "Updated",
        "The date/time the data was last updated in UTC.",
        utc=True,
    ),
    ArchiveColumn("registeredBy", _A, True, "Registered by", "The user who registered the data"),
    ArchiveColumn(
        "registeredDate",
        _D,
        True,
        "Registered date",
        "The date/time the data was registered in UTC.",
        utc=True,
    ),
)
"""Every column, in the provider page's order (which is also the metadata order)."""

DEFAULT_SELECT: tuple[str, ...] = (
    "DefinitionName",
    "Description",
    "State",
    "StartCount",
    "LastStarted",
    "ProgressPercent",
    "updatedDate",
    "registeredBy",
    "registeredDate",
)
"""Columns returned when ``$select`` is absent.

SuperOffice returns a provider's default columns then; the BatchTasks page does not list them, so
this is our choice, in provider order: what a task list screen shows (which task, what it is doing, how far along,
who started it and when), leaving out the potentially long ``Request``/``Response`` texts, the
``ProgressDescription``, the ``DetailsTable``/``DetailsRecord`` pointers, the definition's
description and timeout, ``DbTag``, and the restriction-only ``getAllRows``/``getNoRows``.
The row's ``PrimaryKey`` (the task id) is always present, so ``DefinitionId`` is not needed either.
"""

_BY_KEY: Mapping[str, ArchiveColumn] = MappingProxyType(
    {column.name.casefold(): column for column in COLUMNS}
)


def find_column(name: str) -> ArchiveColumn | None:
    """The column called ``name`` in any case, or ``None``."""
    return _BY_KEY.get(name.strip().casefold())


class Arity(Enum):
    """How many operands an operator takes; the value is how messages describe it."""

    NONE = "no value"
    ONE = "one value"
    TWO = "two values in parentheses"
    LIST = "a list of values in parentheses"


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """What one operator spelling means on one restriction type."""

    #: The documented spelling, for messages.
    spelling: str
    operator: Operator
    arity: Arity
    #: The spelling is the negation of ``operator`` (``notBegins``, ``ne``, ``associateIsNotOneOf``).
    negated: bool = False
    #: The operand of a unary date operator (``today`` is day 0..0, ``lastWeek`` week −1..−1).
    fixed: Value | None = None


def _spellings(
    *rows: tuple[Sequence[str], Operator, Arity, bool, Value | None],
) -> Mapping[str, OperatorSpec]:
    return MappingProxyType(
        {
            name.casefold(): OperatorSpec(name, operator, arity, negated, fixed)
            for names, operator, arity, negated, fixed in rows
            for name in names
        }
    )


_EQ = ("eq", "=", "equals")
_NE = ("ne", "!=", "<>", "unequals")
_ONE, _TWO, _LIST, _NONE = Arity.ONE, Arity.TWO, Arity.LIST, Arity.NONE
_DAY, _WEEK, _MONTH = PeriodUnit.DAY, PeriodUnit.WEEK, PeriodUnit.MONTH
_QUARTER, _HALF, _YEAR = PeriodUnit.QUARTER, PeriodUnit.HALF_YEAR, PeriodUnit.YEAR


def _unary(
    names: str, operator: Operator, unit: PeriodUnit, offset: int = 0
) -> tuple[tuple[str], Operator, Arity, bool, RelativePeriod]:
    return (names,), operator, _NONE, False, RelativePeriod(unit, offset, offset)


OPERATORS: Mapping[RestrictionType, Mapping[str, OperatorSpec]] = MappingProxyType(
    {
        _I: _spellings(
            ((*_EQ, "set"), Operator.EQUALS, _ONE, False, None),
            (_NE, Operator.EQUALS, _ONE, True, None),
            (("lt", "<", "less"), Operator.LESS, _ONE, False, None),
            (("le", "<="), Operator.LESS_OR_EQUAL, _ONE, False, None),
            (("gt", ">", "greater"), Operator.GREATER, _ONE, False, None),
            (("ge", ">="), Operator.GREATER_OR_EQUAL, _ONE, False, None),
            (("between",), Operator.BETWEEN, _TWO, False, None),
            (("oneOf", "in"), Operator.ONE_OF, _LIST, False, None),
            (("notOneOf",), Operator.ONE_OF, _LIST, True, None),
        ),
        _A: _spellings(
            ((*_EQ, "set"), Operator.EQUALS, _ONE, False, None),
            (_NE, Operator.EQUALS, _ONE, True, None),
            (("associateIsOneOf", "oneOf", "in"), Operator.ONE_OF, _LIST, False, None),
            (("associateIsNotOneOf", "notOneOf"), Operator.ONE_OF, _LIST, True, None),
            (("currentAssociate",), Operator.CURRENT_ASSOCIATE, _NONE, False, None),
        ),
        _S: _spellings(
            (("is", *_EQ), Operator.IS, _ONE, False, None),
            (("isNot", *_NE), Operator.IS, _ONE, True, None),
            (("begins",), Operator.BEGINS, _ONE, False, None),
            (("notBegins",), Operator.BEGINS, _ONE, True, None),
            (("contains",), Operator.CONTAINS, _ONE, False, None),
            (("notContains",), Operator.CONTAINS, _ONE, True, None),
            (("between",), Operator.BETWEEN, _TWO, False, None),
            (("in", "oneOf"), Operator.ONE_OF, _LIST, False, None),
            (("notOneOf",), Operator.ONE_OF, _LIST, True, None),
        ),
        _D: _spellings(
            (("date", *_EQ), Operator.DATE, _ONE, False, None),
            (_NE, Operator.DATE, _ONE, True, None),
            (("before",), Operator.BEFORE, _ONE, False, None),
            (("after",), Operator.AFTER, _ONE, False, None),
            (("dateBetween", "between"), Operator.DATE_BETWEEN, _TWO, False, None),
            (("dateTime",), Operator.DATE_TIME, _ONE, False, None),
            (("beforeTime",), Operator.BEFORE_TIME, _ONE, False, None),
            (("afterTime",), Operator.AFTER_TIME, _ONE, False, None),
            _unary("beforeToday", Operator.BEFORE, _DAY),
            _unary("today", Operator.DURING, _DAY),
            _unary("afterToday", Operator.AFTER, _DAY),
            _unary("lastWeek", Operator.DURING, _WEEK, -1),
            _unary("thisWeek", Operator.DURING, _WEEK),
            _unary("nextWeek", Operator.DURING, _WEEK, 1),
            _unary("lastMonth", Operator.DURING, _MONTH, -1),
            _unary("thisMonth", Operator.DURING, _MONTH),
            _unary("nextMonth", Operator.DURING, _MONTH, 1),
            _unary("lastQuarter", Operator.DURING, _QUARTER, -1),
            _unary("thisQuarter", Operator.DURING, _QUARTER),
            _unary("nextQuarter", Operator.DURING, _QUARTER, 1),
            _unary("thisHalf", Operator.DURING, _HALF),
            _unary("thisYear", Operator.DURING, _YEAR),
        ),
        _B: _spellings(
            (("set", *_EQ), Operator.EQUALS, _ONE, False, None),
            (_NE, Operator.EQUALS, _ONE, True, None),
        ),
    }
)
"""Operator spellings by restriction type, keyed by casefolded spelling."""


def find_operator(restriction_type: RestrictionType, spelling: str) -> OperatorSpec | None:
    """What ``spelling`` (any case) means on a column of ``restriction_type``, or ``None``."""
    return OPERATORS[restriction_type].get(spelling.casefold())
