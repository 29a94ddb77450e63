"""Reading ``$select`` aggregates (``domain/aggregate.py``)."""

from __future__ import annotations

import pytest

from batchtask.domain.aggregate import Aggregate, Function, parse_select_item
from batchtask.domain.errors import InvalidInput


def test_plain_names_are_not_aggregates() -> None:
    """A column name is left to the caller."""
    assert parse_select_item("State") is None


@pytest.mark.parametrize(
    ("text", "key", "header", "footer", "hide"),
    [
        ("Count(State):Footer", "Count(State):Footer", False, True, False),
        ("count(state)", "Count(State)", False, True, False),
        (" avg ( progresspercent ) : header ", "Avg(ProgressPercent):Header", True, False, False),
        ("Max(lastStarted):Header:Footer", "Max(LastStarted):Header:Footer", True, True, False),
        (
            "CountAll(DbTag):HideDetail:Footer",
            "CountAll(DbTag):HideDetail:Footer",
            False,
            True,
            True,
        ),
        ("Min(Description):footer:FOOTER", "Min(Description):Footer", False, True, False),
    ],
)
def test_canonical_spelling_and_placement(
    text: str, key: str, header: bool, footer: bool, hide: bool
) -> None:
    """Names in any case; Footer when no placement is given; modifiers stack."""
    item = parse_select_item(text)
    assert isinstance(item, Aggregate)
    assert (item.key, item.header, item.footer, item.hide_detail) == (key, header, footer, hide)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("GroupBy(State):Header", "GroupBy in .select is not supported"),
        ("Percent(ProgressPercent)", "Percent in .select is not supported"),
        ("DatePart(LastStarted):Year", "DatePart in .select is not supported"),
        ("Median(State)", "unknown aggregate function"),
        ("Sum(Description)", "in .select needs a number column"),
        ("Avg(LastStarted)", "in .select needs a number column"),
        ("Min(registeredBy)", "in .select cannot order registeredBy"),
        ("Count(Nope)", "unknown column"),
        ("Count(getAllRows)", "unknown column"),
        ("Count(State):Sideways", "unknown modifier"),
        ("Count(Count(State))", "malformed aggregate"),
        ("Count(State", "malformed aggregate"),
        ("State:Footer", "malformed aggregate"),
    ],
)
def test_what_is_refused(text: str, message: str) -> None:
    """A 400 that names the problem (and ``$select``)."""
    with pytest.raises(InvalidInput, match=message) as raised:
        parse_select_item(text)
    assert raised.value.field == "$select"


def test_functions() -> None:
    """SuperOffice's Count/CountAll/Sum/Avg, and the Min/Max the issue asks for."""
    assert [f.value for f in Function] == ["Count", "CountAll", "Sum", "Avg", "Min", "Max"]
