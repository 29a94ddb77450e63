"""Aggregates in an archive ``$select``: ``Count(State):Footer``, ``Avg(ProgressPercent):Header``.

SuperOffice's archive lets a ``$select`` column carry an aggregation function and modifiers
(reference §5.9; the Archive endpoint page lists ``GroupBy, Sum, Avg, Percent, Count, CountAll,
DatePart`` and the modifiers ``:Header, :Footer, :HideDetail``, stacking as in
``Count(middleName):HideDetail:Footer``). batchtask computes, over every row the filter matches
(not just the page):

=============  ==================================================  ================================
function       value                                               columns
=============  ==================================================  ================================
``Count``      rows where the column has a value (not NULL, not    every column
               ``""``, an associate not 0)
``CountAll``   rows                                                every column
``Sum``        the sum (0 when no row)                             int
``Avg``        the mean as a number (``null`` when no row)          int
``Min``/``Max``  the least/greatest value (``null`` when no row);   int, string (code-point order),
               ``Min``/``Max`` are not in SuperOffice's list but   date
               the issue asks for them
=============  ==================================================  ================================

Modifiers: ``:Header`` puts the value in a row before the first page's rows, ``:Footer`` (the
default when neither is given) in a row after the last page's rows, ``:HideDetail`` leaves the
task rows out so only the aggregate rows remain. ``GroupBy``, ``Percent`` and ``DatePart`` (groups)
are refused with a 400 that names them; a column's detail rows show its plain value.

Names match in any case; :attr:`Aggregate.key` is the canonical spelling used as the member name
in the rows (``count(state):footer`` is answered as ``Count(State):Footer``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from batchtask.domain.archive import RestrictionType, find_column
from batchtask.domain.errors import InvalidInput

__all__ = ["Aggregate", "Function", "parse_select_item"]


class Function(StrEnum):
    """The aggregation functions batchtask computes."""

    COUNT = "Count"
    COUNT_ALL = "CountAll"
    SUM = "Sum"
    AVG = "Avg"
    MIN = "Min"
    MAX = "Max"


#: SuperOffice's grouping functions, which need row groups batchtask does not build.
UNSUPPORTED = ("GroupBy", "Percent", "DatePart")
_MODIFIERS = {"header": "Header", "footer": "Footer", "hidedetail": "HideDetail"}
_FUNCTIONS = {function.value.casefold(): function for function in Function}
_NUMERIC = frozenset({Function.SUM, Function.AVG})
_ORDERED = frozenset({Function.MIN, Function.MAX})
_ITEM = re.compile(r"\s*([A-Za-z]+)\s*\(\s*([A-Za-z]+)\s*\)\s*((?::\s*[A-Za-z]+\s*)*)", re.ASCII)


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One aggregated ``$select`` column."""

    function: Function
    #: The canonical column name.
    column: str
    header: bool = False
    footer: bool = True
    hide_detail: bool = False
    #: Modifiers as written (canonical case), in order, for :attr:`key`.
    modifiers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The member name in rows: ``Count(State):Footer``."""
        return f"{self.function.value}({self.column})" + "".join(f":{m}" for m in self.modifiers)


def parse_select_item(text: str) -> str | Aggregate | None:
    """A ``$select`` item: ``None`` when it is a plain name, else the :class:`Aggregate`.

    ``InvalidInput`` (naming ``$select``) for a malformed item, an unknown or unsupported function
    or modifier, or a function the column's type does not allow.
    """
    if "(" not in text and ":" not in text:
        return None
    found = _ITEM.fullmatch(text)
    if found is None:
        raise InvalidInput(f"malformed aggregate {text[:60]!r} in $select", field="$select")
    name, argument, tail = found.groups()
    function = _FUNCTIONS.get(name.casefold())
    if function is None:
        if name.casefold() in {u.casefold() for u in UNSUPPORTED}:
            raise InvalidInput(f"the aggregate {name} in $select is not supported", field="$select")
        raise InvalidInput(f"unknown aggregate function {name[:40]!r} in $select", field="$select")
    column = find_column(argument)
    if column is None or not column.is_visible:
        raise InvalidInput(f"unknown column {argument[:60]!r} in $select", field="$select")
    modifiers: list[str] = []
    for part in tail.split(":")[1:]:
        modifier = _MODIFIERS.get(part.strip().casefold())
        if modifier is None:
            raise InvalidInput(
                f"unknown modifier {part.strip()[:40]!r} in $select", field="$select"
            )
        if modifier not in modifiers:
            modifiers.append(modifier)
    kind = column.restriction_type
    if function in _NUMERIC and kind is not RestrictionType.INT:
        raise InvalidInput(
            f"{function.value} in $select needs a number column, not {column.name}", field="$select"
        )
    if function in _ORDERED and kind is RestrictionType.ASSOCIATE:
        raise InvalidInput(
            f"{function.value} in $select cannot order {column.name}", field="$select"
        )
    header = "Header" in modifiers
    return Aggregate(
        function,
        column.name,
        header=header,
        footer="Footer" in modifiers or not header,
        hide_detail="HideDetail" in modifiers,
        modifiers=tuple(modifiers),
    )
