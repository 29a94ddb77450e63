"""The ``$filter``/``$orderBy`` parser: every operator, every error with its position, no crashes."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchtask.domain.archive import COLUMNS, OPERATORS, RestrictionType
from batchtask.domain.errors import InvalidInput
from batchtask.domain.query import (
    MAX_INSTANT,
    MIN_INSTANT,
    And,
    Comparison,
    DateLiteral,
    FilterError,
    Node,
    Not,
    Operator,
    Or,
    Ordering,
    PeriodUnit,
    RelativePeriod,
    Value,
    local_midnight,
)
from batchtask.serialisation.odata_filter import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_LIST,
    parse_filter,
    parse_order_by,
)
from batchtask.storage.filter_sql import compile_filter, compile_order_by
from batchtask.storage.postgres import PostgresDialect
from batchtask.storage.sqlite import SqliteDialect

OP = Operator
P = PeriodUnit
OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")


DIALECTS = (SqliteDialect(), PostgresDialect())


def c(column: str, operator: Operator, *values: Value) -> Comparison:
    """Shorthand for a comparison."""
    return Comparison(column, operator, values)


def day(text: str) -> DateLiteral:
    """A date-only literal read in the comparison's zone."""
    return DateLiteral(datetime.fromisoformat(text), has_time=False)


def local(text: str) -> DateLiteral:
    """A local date-time literal read in the comparison's zone."""
    return DateLiteral(datetime.fromisoformat(text), has_time=True)


def instant(text: str) -> DateLiteral:
    """A date-time literal with an offset: a fixed instant."""
    return DateLiteral(datetime.fromisoformat(text).astimezone(UTC), has_time=True)


VALID: list[tuple[str, Node]] = [
    # ints: eq = ne le lt gt ge set equals greater less unequals between, plus lists
    ("State eq 4", c("State", OP.EQUALS, 4)),
    ("State = 4", c("State", OP.EQUALS, 4)),
    ("StartCount set 2", c("StartCount", OP.EQUALS, 2)),
    ("StartCount equals 2", c("StartCount", OP.EQUALS, 2)),
    ("StartCount ne 2", Not(c("StartCount", OP.EQUALS, 2))),
    ("StartCount unequals 2", Not(c("StartCount", OP.EQUALS, 2))),
    ("StartCount != 2", Not(c("StartCount", OP.EQUALS, 2))),
    ("StartCount <> 2", Not(c("StartCount", OP.EQUALS, 2))),
    ("ProgressPercent lt 50", c("ProgressPercent", OP.LESS, 50)),
    ("ProgressPercent less 50", c("ProgressPercent", OP.LESS, 50)),
    ("ProgressPercent < 50", c("ProgressPercent", OP.LESS, 50)),
    ("ProgressPercent le 50", c("ProgressPercent", OP.LESS_OR_EQUAL, 50)),
    ("ProgressPercent <= 50", c("ProgressPercent", OP.LESS_OR_EQUAL, 50)),
    ("ProgressPercent gt 50", c("ProgressPercent", OP.GREATER, 50)),
    ("ProgressPercent greater 50", c("ProgressPercent", OP.GREATER, 50)),
    ("ProgressPercent > 50", c("ProgressPercent", OP.GREATER, 50)),
    ("ProgressPercent ge 50", c("ProgressPercent", OP.GREATER_OR_EQUAL, 50)),
    ("ProgressPercent >= 50", c("ProgressPercent", OP.GREATER_OR_EQUAL, 50)),
    ("DetailsRecord between (10, 20)", c("DetailsRecord", OP.BETWEEN, 10, 20)),
    ("DetailsTable eq -1", c("DetailsTable", OP.EQUALS, -1)),
    ("DefinitionTimeOut eq +30", c("DefinitionTimeOut", OP.EQUALS, 30)),
    ("DefinitionId eq '7'", c("DefinitionId", OP.EQUALS, 7)),
    ("State oneOf (4,5,6)", c("State", OP.ONE_OF, 4, 5, 6)),
    ("State oneOf 4", c("State", OP.ONE_OF, 4)),
    ("State in (1)", c("State", OP.ONE_OF, 1)),
    ("State NotOneOf (4, 5)", Not(c("State", OP.ONE_OF, 4, 5))),
    ("State notOneOf (4, 5)", Not(c("State", OP.ONE_OF, 4, 5))),
    ("StartCount eq 2147483647", c("StartCount", OP.EQUALS, 2147483647)),
    ("StartCount eq -2147483648", c("StartCount", OP.EQUALS, -2147483648)),
    # State names
    ("State eq 'Succeeded'", c("State", OP.EQUALS, 4)),
    ('State eq "failed"', c("State", OP.EQUALS, 5)),
    ("State oneOf ('New', 'Aquired', 3)", c("State", OP.ONE_OF, 1, 2, 3)),
    ("State eq 'All'", c("State", OP.EQUALS, 99999)),
    # strings: contains is notBegins notContains isNot begins between in
    ("Description contains 'abc'", c("Description", OP.CONTAINS, "abc")),
    ("Description notContains 'abc'", Not(c("Description", OP.CONTAINS, "abc"))),
    ("DbTag begins 'S'", c("DbTag", OP.BEGINS, "S")),
    ("DbTag notBegins 'S'", Not(c("DbTag", OP.BEGINS, "S"))),
    ("DbTag is 'x'", c("DbTag", OP.IS, "x")),
    ("DbTag isNot 'x'", Not(c("DbTag", OP.IS, "x"))),
    ("DbTag eq 'x'", c("DbTag", OP.IS, "x")),
    ("DbTag ne 'x'", Not(c("DbTag", OP.IS, "x"))),
    ("DefinitionName between ('A','S')", c("DefinitionName", OP.BETWEEN, "A", "S")),
    ("DefinitionName in ('a', 'b')", c("DefinitionName", OP.ONE_OF, "a", "b")),
    ("DefinitionName oneOf ('a')", c("DefinitionName", OP.ONE_OF, "a")),
    ("DefinitionName notOneOf ('a')", Not(c("DefinitionName", OP.ONE_OF, "a"))),
    ("Request contains ''", c("Request", OP.CONTAINS, "")),
    ("Response is 'it''s'", c("Response", OP.IS, "it's")),
    ('ProgressDescription is "say ""hi"""', c("ProgressDescription", OP.IS, 'say "hi"')),
    ("DefinitionDescription is 'ø ünïcödé ✓'", c("DefinitionDescription", OP.IS, "ø ünïcödé ✓")),
    ("DbTag is '  padded  '", c("DbTag", OP.IS, "  padded  ")),
    ("DbTag is 'a\nb'", c("DbTag", OP.IS, "a\nb")),
    # associates
    ("registeredBy associateIsOneOf (1,6)", c("registeredBy", OP.ONE_OF, 1, 6)),
    ("registeredBy associateIsNotOneOf (1,6)", Not(c("registeredBy", OP.ONE_OF, 1, 6))),
    ("updatedBy currentAssociate", c("updatedBy", OP.CURRENT_ASSOCIATE)),
    ("updatedBy eq 0", c("updatedBy", OP.EQUALS, 0)),
    ("updatedBy oneOf (0)", c("updatedBy", OP.ONE_OF, 0)),
    # bool switches
    ("getAllRows set true", c("getAllRows", OP.EQUALS, True)),
    ("getNoRows set false", c("getNoRows", OP.EQUALS, False)),
    ("getNoRows eq 1", c("getNoRows", OP.EQUALS, True)),
    ("getAllRows set 'FALSE'", c("getAllRows", OP.EQUALS, False)),
    ("getAllRows ne true", Not(c("getAllRows", OP.EQUALS, True))),
    # dates: before date after dateBetween, and the DateTime operators
    ("registeredDate before '2020-05-28'", c("registeredDate", OP.BEFORE, day("2020-05-28"))),
    ("registeredDate after 2020-05-28", c("registeredDate", OP.AFTER, day("2020-05-28"))),
    ("LastStarted date '2020-05-28'", c("LastStarted", OP.DATE, day("2020-05-28"))),
    ("LastStarted eq '2020-05-28'", c("LastStarted", OP.DATE, day("2020-05-28"))),
    ("LastStarted ne '2020-05-28'", Not(c("LastStarted", OP.DATE, day("2020-05-28")))),
    (
        "updatedDate dateBetween ('2020-05-11','2020-05-31')",
        c("updatedDate", OP.DATE_BETWEEN, day("2020-05-11"), day("2020-05-31")),
    ),
    (
        "updatedDate between ('2020-05-11','2020-05-31')",
        c("updatedDate", OP.DATE_BETWEEN, day("2020-05-11"), day("2020-05-31")),
    ),
    (
        "LastStarted dateTime '2020-05-28T15:00:00'",
        c("LastStarted", OP.DATE_TIME, local("2020-05-28T15:00:00")),
    ),
    (
        "LastStarted beforeTime 2020-05-28T15:00:00Z",
        c("LastStarted", OP.BEFORE_TIME, instant("2020-05-28T15:00:00+00:00")),
    ),
    (
        "LastStarted afterTime '2020-05-28T15:00:01.5-05:00'",
        c("LastStarted", OP.AFTER_TIME, instant("2020-05-28T15:00:01.5-05:00")),
    ),
    (
        "LastStarted afterTime '2020-05-28T15:00+0530'",
        c("LastStarted", OP.AFTER_TIME, instant("2020-05-28T15:00:00+05:30")),
    ),
    # unary date operators
    ("LastStarted beforeToday", c("LastStarted", OP.BEFORE, RelativePeriod(P.DAY))),
    ("LastStarted today", c("LastStarted", OP.DURING, RelativePeriod(P.DAY))),
    ("LastStarted afterToday", c("LastStarted", OP.AFTER, RelativePeriod(P.DAY))),
    ("registeredDate lastWeek", c("registeredDate", OP.DURING, RelativePeriod(P.WEEK, -1, -1))),
    ("registeredDate thisWeek", c("registeredDate", OP.DURING, RelativePeriod(P.WEEK))),
    ("registeredDate nextWeek", c("registeredDate", OP.DURING, RelativePeriod(P.WEEK, 1, 1))),
    ("registeredDate lastMonth", c("registeredDate", OP.DURING, RelativePeriod(P.MONTH, -1, -1))),
    ("registeredDate thisMonth", c("registeredDate", OP.DURING, RelativePeriod(P.MONTH))),
    ("registeredDate nextMonth", c("registeredDate", OP.DURING, RelativePeriod(P.MONTH, 1, 1))),
    (
        "registeredDate lastQuarter",
        c("registeredDate", OP.DURING, RelativePeriod(P.QUARTER, -1, -1)),
    ),
    ("registeredDate thisQuarter", c("registeredDate", OP.DURING, RelativePeriod(P.QUARTER))),
    ("registeredDate nextQuarter", c("registeredDate", OP.DURING, RelativePeriod(P.QUARTER, 1, 1))),
    ("registeredDate thisHalf", c("registeredDate", OP.DURING, RelativePeriod(P.HALF_YEAR))),
    ("registeredDate thisYear", c("registeredDate", OP.DURING, RelativePeriod(P.YEAR))),
    ("registeredDate THISYEAR", c("registeredDate", OP.DURING, RelativePeriod(P.YEAR))),
    # functions
    ("startswith(DbTag,'x')", c("DbTag", OP.BEGINS, "x")),
    ("endswith(DbTag,'x')", c("DbTag", OP.ENDS, "x")),
    ("substringof('x', Description)", c("Description", OP.CONTAINS, "x")),
    ("substringof(Description, 'x')", c("Description", OP.CONTAINS, "x")),
    ("startswith(DbTag,'x') eq true", c("DbTag", OP.BEGINS, "x")),
    ("startswith(DbTag,'x') eq false", Not(c("DbTag", OP.BEGINS, "x"))),
    ("endswith(DbTag,'x') ne true", Not(c("DbTag", OP.ENDS, "x"))),
    ("STARTSWITH(dbtag, 'x')", c("DbTag", OP.BEGINS, "x")),
    ("this(registeredDate, week)", c("registeredDate", OP.DURING, RelativePeriod(P.WEEK))),
    ("this(registeredDate, 'quarters')", c("registeredDate", OP.DURING, RelativePeriod(P.QUARTER))),
    ("this(registeredDate, 5)", c("registeredDate", OP.DURING, RelativePeriod(P.HALF_YEAR))),
    ("next(LastStarted, 2, wks)", c("LastStarted", OP.DURING, RelativePeriod(P.WEEK, 1, 2))),
    ("previous(LastStarted, 3, mon)", c("LastStarted", OP.DURING, RelativePeriod(P.MONTH, -3, -1))),
    ("thisAndNext(LastStarted, 2, days)", c("LastStarted", OP.DURING, RelativePeriod(P.DAY, 0, 2))),
    (
        "thisAndPrevious(LastStarted, 2, yrs)",
        c("LastStarted", OP.DURING, RelativePeriod(P.YEAR, -2, 0)),
    ),
    (
        "thisAndPreviousAndNext(LastStarted, hyr)",
        c("LastStarted", OP.DURING, RelativePeriod(P.HALF_YEAR, -1, 1)),
    ),
    (
        "nextPeriod(LastStarted, 1, qtr)",
        c("LastStarted", OP.DURING, RelativePeriod(P.QUARTER, 1, 1)),
    ),
    # logic and grouping
    (
        "State eq 4 and DbTag is 'x'",
        And((c("State", OP.EQUALS, 4), c("DbTag", OP.IS, "x"))),
    ),
    (
        "State eq 4 or State eq 5 or State eq 6",
        Or((c("State", OP.EQUALS, 4), c("State", OP.EQUALS, 5), c("State", OP.EQUALS, 6))),
    ),
    (
        "State eq 1 or State eq 2 and DbTag is 'x'",
        Or((c("State", OP.EQUALS, 1), And((c("State", OP.EQUALS, 2), c("DbTag", OP.IS, "x"))))),
    ),
    (
        "(State eq 1 or State eq 2) and DbTag is 'x'",
        And((Or((c("State", OP.EQUALS, 1), c("State", OP.EQUALS, 2))), c("DbTag", OP.IS, "x"))),
    ),
    (
        "State eq 1 and (State eq 2 and State eq 3)",
        And((c("State", OP.EQUALS, 1), c("State", OP.EQUALS, 2), c("State", OP.EQUALS, 3))),
    ),
    ("not State eq 1", Not(c("State", OP.EQUALS, 1))),
    ("NOT (State eq 1)", Not(c("State", OP.EQUALS, 1))),
    ("not not State eq 1", Not(Not(c("State", OP.EQUALS, 1)))),
    (
        "not State eq 1 and State eq 2",
        And((Not(c("State", OP.EQUALS, 1)), c("State", OP.EQUALS, 2))),
    ),
    ("((State eq 1))", c("State", OP.EQUALS, 1)),
    ("  State\teq\n1  ", c("State", OP.EQUALS, 1)),
    (
        "LastStarted today AND DbTag is 'x' OR State eq 1",
        Or(
            (
                And((c("LastStarted", OP.DURING, RelativePeriod(P.DAY)), c("DbTag", OP.IS, "x"))),
                c("State", OP.EQUALS, 1),
            )
        ),
    ),
    # keywords are whole words: column-like names starting with and/or/not are operators here
    ("DbTag notBegins 'or'", Not(c("DbTag", OP.BEGINS, "or"))),
    # case-insensitive columns and operators
    ("dbtag BEGINS 'S'", c("DbTag", OP.BEGINS, "S")),
    ("STATE EQ 4", c("State", OP.EQUALS, 4)),
    ("registeredby ASSOCIATEISONEOF (1)", c("registeredBy", OP.ONE_OF, 1)),
    # injection attempts that are valid filters match literally
    ("Description eq 'x'' OR 1=1 --'", c("Description", OP.IS, "x' OR 1=1 --")),
    ("DbTag is '; DROP TABLE batchtask; --'", c("DbTag", OP.IS, "; DROP TABLE batchtask; --")),
    ("DbTag contains '%_\\'", c("DbTag", OP.CONTAINS, "%_\\")),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[text for text, _ in VALID])
def test_valid_filters_parse_to_their_canonical_tree(text: str, expected: Node) -> None:
    """Each operator spelling, value form and function reduces to the canonical tree."""
    assert parse_filter(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_filter_is_all_rows(text: str) -> None:
    """No filter means every row (getAllRows set true)."""
    assert parse_filter(text) == c("getAllRows", OP.EQUALS, True)


INVALID: list[tuple[str, int, str]] = [
    # text, 0-based position, part of the message
    ("Id;DROP TABLE", 2, "unexpected character ';'"),
    ("Id eq 1", 0, "unknown column 'Id'"),
    ("State;DROP TABLE batchtask", 5, "unexpected character ';'"),
    ("State eq 1; DROP TABLE batchtask", 10, "unexpected character ';'"),
    ("Description eq 'x' OR 1=1 --'", 22, "unexpected '1'"),
    ("Description eq 'x'' OR 1=1 --", 18, "unterminated quoted string"),
    ("nope eq 1", 0, "unknown column 'nope'"),
    ("State", 5, "unexpected end of the text"),
    ("State eq", 6, "operator 'eq' needs one value"),
    ("State eq 1 xyz", 11, "unexpected 'xyz'"),
    ("(State eq 1", 11, "expected ')'"),
    ("State eq 1)", 10, "unexpected ')'"),
    ("State eq 1 and", 14, "unexpected end of the text"),
    ("and State eq 1", 0, "unexpected 'and'"),
    ("State eq 1 or or State eq 2", 14, "unexpected 'or'"),
    ("State eq 'x", 9, "unterminated quoted string"),
    ('State eq "x', 9, "unterminated quoted string"),
    ("State eq #", 9, "unexpected character '#'"),
    ("State frobs 1", 6, "operator 'frobs' cannot be used on int column State"),
    ("DbTag gt 'x'", 6, "operator 'gt' cannot be used on string column DbTag"),
    ("DbTag lt 'x'", 6, "cannot be used on string column"),
    ("State contains 'x'", 6, "operator 'contains' cannot be used on int column State"),
    ("State today", 6, "cannot be used on int column"),
    ("LastStarted gt '2020-01-01'", 12, "cannot be used on date column"),
    ("updatedBy gt 1", 10, "cannot be used on associate column"),
    ("getAllRows between (1, 2)", 11, "cannot be used on bool column"),
    ("State associateIsOneOf (1)", 6, "cannot be used on int column"),
    ("State eq 'x'", 9, "'x' is not a BatchTaskState name or a number"),
    ("StartCount eq 'x'", 14, "'x' is not a number"),
    ("State eq true", 9, "needs a number, not bool"),
    ("State eq 2020-01-01", 9, "needs a number, not date"),
    ("State eq 2147483648", 9, "outside the 32-bit integer range"),
    ("State eq -2147483649", 9, "outside the 32-bit integer range"),
    ("State eq 99999999999999999999999", 9, "outside the 32-bit integer range"),
    ("State eq '99999999999'", 9, "outside the 32-bit integer range"),
    ("DbTag is 1", 9, "needs a quoted string, not int"),
    ("DbTag is true", 9, "needs a quoted string, not bool"),
    ("DbTag is ('a')", 9, "needs one value, not a list"),
    ("State between 1", 14, "needs two values in parentheses"),
    ("State between (1)", 14, "needs exactly two values"),
    ("State between (1, 2, 3)", 14, "needs exactly two values"),
    ("State in ((1))", 10, "lists cannot be nested"),
    ("State in ()", 10, "unexpected ')'"),
    ("State in (1,)", 12, "unexpected ')'"),
    ("LastStarted today 1", 18, "operator 'today' takes no value"),
    ("updatedBy currentAssociate (1)", 27, "takes no value"),
    ("LastStarted date 'soon'", 17, "'soon' is not a date"),
    ("LastStarted date '2020-02-30'", 17, "is not a date"),
    ("LastStarted date '2020-01-01T25:00'", 17, "is not a date"),
    ("LastStarted date 5", 17, "needs a date, not int"),
    ("LastStarted before", 12, "needs one value"),
    ("getAllRows set 'yes'", 15, "needs true or false"),
    ("getAllRows set 2", 15, "needs true or false"),
    ("State eq 1 and 5abc eq 1", 15, "unexpected character '5'"),
    # functions
    ("foo(DbTag, 'x')", 0, "unknown function 'foo'"),
    ("startswith(DbTag)", 0, "startswith() takes a column and a quoted string"),
    ("startswith(DbTag, 'x', 'y')", 0, "takes a column and a quoted string"),
    ("startswith('x', DbTag)", 11, "startswith() needs a column name here"),
    ("startswith(State, 'x')", 11, "needs a string column, not State"),
    ("startswith(Nope, 'x')", 11, "unknown column 'Nope'"),
    ("startswith(DbTag, 1)", 18, "needs a quoted string, not int"),
    ("startswith(DbTag, Description)", 18, "needs a quoted string here"),
    ("substringof('a', 'b')", 12, "needs a column name here"),
    ("startswith(DbTag,'x') gt true", 22, "compared only with eq or ne"),
    ("startswith(DbTag,'x') eq 'maybe'", 25, "needs true or false"),
    ("startswith(DbTag,'x') eq (true)", 22, "compared only with true or false"),
    ("startswith()", 0, "takes a column and a quoted string"),
    ("this(registeredDate)", 0, "this() takes a column and a period"),
    ("this(registeredDate, fortnight)", 21, "needs a period"),
    ("this(registeredDate, 7)", 21, "needs a period"),
    ("this(DbTag, week)", 5, "this() needs a date column, not DbTag"),
    ("next(registeredDate, week)", 0, "takes a column, a count and a period"),
    ("next(registeredDate, 0, week)", 21, "must be 1 to 10000"),
    ("next(registeredDate, 10001, week)", 21, "must be 1 to 10000"),
    ("next(registeredDate, 'two', week)", 21, "needs a whole number of periods"),
    ("next(registeredDate, 2, (week))", 25, "unexpected 'week'"),
    ("next(registeredDate, 2, ('week'))", 24, "needs a period"),
    ("previous(registeredDate, -1, day)", 25, "must be 1 to 10000"),
    # order of the grammar
    ("startswith(DbTag,'x' eq 1", 21, "unexpected 'eq'"),
    ("not", 3, "unexpected end of the text"),
    ("()", 1, "unexpected ')'"),
    ("'State' eq 1", 0, "unexpected '"),
]


@pytest.mark.parametrize(
    ("text", "position", "message"), INVALID, ids=[text for text, _, _ in INVALID]
)
def test_invalid_filters_name_the_position(text: str, position: int, message: str) -> None:
    """Each mistake is a FilterError at the offending character, saying what is wrong."""
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.position == position
    assert message in str(caught.value)
    assert f"(at position {position})" in str(caught.value)


def test_filter_error_is_invalid_input_for_the_filter_field() -> None:
    """A FilterError is a 400 invalid_input naming $filter, with the position as a parameter."""
    with pytest.raises(FilterError) as caught:
        parse_filter("State eq")
    error = caught.value
    assert isinstance(error, InvalidInput)
    assert error.code == "invalid_input"
    assert error.field == "$filter"
    assert error.params["position"] == 6


class TestBounds:
    """Limits on size and shape."""

    def test_longest_filter_is_accepted(self) -> None:
        """A filter of exactly the maximum length parses."""
        text = "DbTag is '" + "x" * (MAX_LENGTH - 11) + "'"
        assert len(text) == MAX_LENGTH
        assert parse_filter(text) == c("DbTag", OP.IS, "x" * (MAX_LENGTH - 11))

    def test_longer_filter_is_refused(self) -> None:
        """One character more is a FilterError at the limit."""
        text = "DbTag is '" + "x" * (MAX_LENGTH - 10) + "'"
        with pytest.raises(FilterError) as caught:
            parse_filter(text)
        assert caught.value.position == MAX_LENGTH

    def test_nesting_at_the_limit_parses(self) -> None:
        """32 levels of parentheses and not are accepted."""
        text = "(" * (MAX_DEPTH // 2) + "not " * (MAX_DEPTH // 2) + "State eq 1"
        text += ")" * (MAX_DEPTH // 2)
        node = parse_filter(text)
        for _ in range(MAX_DEPTH // 2):
            assert isinstance(node, Not)
            node = node.part
        assert node == c("State", OP.EQUALS, 1)

    @pytest.mark.parametrize(
        ("text", "position"),
        [
            ("(" * 33 + "State eq 1" + ")" * 33, 0),
            ("(" * 40 + "State eq 1" + ")" * 40, 7),
            ("not " * 33 + "State eq 1", 0),
            ("not (" * 17 + "State eq 1" + ")" * 17, 4),
        ],
    )
    def test_deeper_nesting_is_refused(self, text: str, position: int) -> None:
        """The 33rd level is refused at its opening parenthesis or not."""
        with pytest.raises(FilterError, match="nests deeper than 32") as caught:
            parse_filter(text)
        assert caught.value.position == position

    def test_deep_unclosed_nesting_is_a_filter_error(self) -> None:
        """Thousands of open parentheses fail cleanly (no recursion)."""
        with pytest.raises(FilterError):
            parse_filter("(" * (MAX_LENGTH - 1))

    def test_long_and_chain_is_flat(self) -> None:
        """A long chain of and is one node, not a deep one."""
        text = " and ".join(["State eq 1"] * 250)
        node = parse_filter(text)
        assert isinstance(node, And)
        assert len(node.parts) == 250

    def test_list_at_the_limit(self) -> None:
        """A list of 1000 values is accepted."""
        text = "State oneOf (" + ",".join(["1"] * MAX_LIST) + ")"
        node = parse_filter(text)
        assert isinstance(node, Comparison)
        assert len(node.values) == MAX_LIST

    def test_longer_list_is_refused(self) -> None:
        """1001 values are refused at the opening parenthesis."""
        text = "State oneOf (" + ",".join(["1"] * (MAX_LIST + 1)) + ")"
        with pytest.raises(FilterError, match="at most 1000") as caught:
            parse_filter(text)
        assert caught.value.position == 12

    @pytest.mark.parametrize(
        ("text", "position"),
        [("DbTag is 'a\x00b'", 11), ("DbTag is 'a\ud800'", 11), ("\x00", 0)],
    )
    def test_unstorable_characters_are_refused(self, text: str, position: int) -> None:
        """NUL and lone surrogates never reach a database driver."""
        with pytest.raises(FilterError, match="cannot be stored") as caught:
            parse_filter(text)
        assert caught.value.position == position


class TestOrderBy:
    """``$orderBy``."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", ()),
            ("  ", ()),
            ("State", (Ordering("State"),)),
            ("state asc", (Ordering("State"),)),
            ("State DESC", (Ordering("State", descending=True),)),
            (
                "DefinitionName asc,registeredDate desc , DbTag",
                (
                    Ordering("DefinitionName"),
                    Ordering("registeredDate", descending=True),
                    Ordering("DbTag"),
                ),
            ),
            ("State desc, STATE asc", (Ordering("State", descending=True),)),
        ],
    )
    def test_orderings(self, text: str, expected: tuple[Ordering, ...]) -> None:
        """Columns in any case, optional direction, first mention wins."""
        assert parse_order_by(text) == expected

    @pytest.mark.parametrize(
        ("text", "position", "message"),
        [
            ("Request", 0, "column Request cannot be sorted on"),
            ("State, Response desc", 7, "column Response cannot be sorted on"),
            ("getAllRows", 0, "cannot be sorted on"),
            ("nope", 0, "unknown column 'nope'"),
            ("State up", 6, "unexpected 'up'"),
            ("State,", 6, "unexpected end of the text"),
            (",State", 0, "unexpected ','"),
            ("State;DROP TABLE batchtask", 5, "unexpected character ';'"),
            ("State desc desc", 11, "unexpected 'desc'"),
            ("desc", 0, "unexpected 'desc'"),
        ],
    )
    def test_invalid_orderings(self, text: str, position: int, message: str) -> None:
        """Unknown, unsortable or malformed items are FilterErrors naming $orderBy."""
        with pytest.raises(FilterError) as caught:
            parse_order_by(text)
        assert caught.value.position == position
        assert caught.value.field == "$orderBy"
        assert message in str(caught.value)

    def test_every_orderable_column_is_accepted(self) -> None:
        """All columns marked CanOrderBy parse and compile on both engines."""
        names = [column.name for column in COLUMNS if column.can_order_by]
        orderings = parse_order_by(", ".join(f"{name} desc" for name in names))
        assert [ordering.column for ordering in orderings] == names
        for dialect in DIALECTS:
            assert compile_order_by(orderings, dialect).endswith("t.batchtask_id ASC")


def _bounds(text: str, now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local first and last day a unary/function date filter covers."""
    node = parse_filter(f"LastStarted {text}" if "(" not in text else text)
    assert isinstance(node, Comparison)
    period = node.values[0]
    assert isinstance(period, RelativePeriod)
    start, end = period.bounds(now, zone)
    return start.astimezone(zone).date(), (end.astimezone(zone) - timedelta(days=1)).date()


# SuperOffice's own table (convert-to-new-date-range-operators), today = Wednesday 18.03.2020.
DOCUMENTED_RANGES = [
    ("lastWeek", "2020-03-09", "2020-03-15"),
    ("thisWeek", "2020-03-16", "2020-03-22"),
    ("nextWeek", "2020-03-23", "2020-03-29"),
    ("lastMonth", "2020-02-01", "2020-02-29"),
    ("thisMonth", "2020-03-01", "2020-03-31"),
    ("nextMonth", "2020-04-01", "2020-04-30"),
    ("lastQuarter", "2019-10-01", "2019-12-31"),
    ("thisQuarter", "2020-01-01", "2020-03-31"),
    ("nextQuarter", "2020-04-01", "2020-06-30"),
    ("thisHalf", "2020-01-01", "2020-06-30"),
    ("thisYear", "2020-01-01", "2020-12-31"),
    ("today", "2020-03-18", "2020-03-18"),
    ("next(LastStarted, 3, days)", "2020-03-19", "2020-03-21"),
    ("previous(LastStarted, 2, weeks)", "2020-03-02", "2020-03-15"),
    ("thisAndNext(LastStarted, 2, months)", "2020-03-01", "2020-05-31"),
    ("thisAndPrevious(LastStarted, 2, quarters)", "2019-07-01", "2020-03-31"),
    ("thisAndPreviousAndNext(LastStarted, year)", "2019-01-01", "2021-12-31"),
    ("next(LastStarted, 2, halfyears)", "2020-07-01", "2021-06-30"),
    ("this(LastStarted, day)", "2020-03-18", "2020-03-18"),
]


class TestRelativeDates:
    """Relative periods resolve in the request's zone to half-open UTC ranges."""

    @pytest.mark.parametrize(("text", "first", "last"), DOCUMENTED_RANGES)
    @pytest.mark.parametrize("zone", [ZoneInfo("UTC"), OSLO, NEW_YORK])
    def test_documented_ranges(self, text: str, first: str, last: str, zone: ZoneInfo) -> None:
        """The legacy operators and the period functions cover SuperOffice's documented days."""
        now = datetime(2020, 3, 18, 12, 0, tzinfo=zone)
        assert _bounds(text, now, zone) == (date.fromisoformat(first), date.fromisoformat(last))

    def test_today_depends_on_the_zone(self) -> None:
        """At 23:30 UTC it is already tomorrow in Oslo."""
        now = datetime(2020, 3, 18, 23, 30, tzinfo=UTC)
        assert _bounds("today", now, ZoneInfo("UTC"))[0] == date(2020, 3, 18)
        assert _bounds("today", now, OSLO)[0] == date(2020, 3, 19)

    def test_day_across_spring_forward_is_23_hours(self) -> None:
        """A local day is local midnight to local midnight, whatever its length."""
        now = datetime(2020, 3, 29, 12, 0, tzinfo=OSLO)
        start, end = RelativePeriod(P.DAY).bounds(now, OSLO)
        assert end - start == timedelta(hours=23)
        assert start == datetime(2020, 3, 28, 23, 0, tzinfo=UTC)

    def test_midnight_in_a_gap_starts_the_day_after_the_gap(self) -> None:
        """Where a day starts at 01:00 (Santiago skips midnight) that is when it starts."""
        santiago = ZoneInfo("America/Santiago")
        start = local_midnight(date(2019, 9, 8), santiago)
        assert start.astimezone(santiago).hour == 1

    def test_literals_without_offset_are_local(self) -> None:
        """'2020-01-01' is Oslo's 1 January; with an offset the instant is fixed."""
        assert day("2020-01-01").day_bounds(OSLO) == (
            datetime(2019, 12, 31, 23, 0, tzinfo=UTC),
            datetime(2020, 1, 1, 23, 0, tzinfo=UTC),
        )
        assert local("2020-06-01T12:00:00").instant(OSLO) == datetime(2020, 6, 1, 10, tzinfo=UTC)
        fixed = instant("2020-06-01T12:00:00+00:00")
        assert fixed.instant(OSLO) == fixed.instant(NEW_YORK)
        assert fixed.day(ZoneInfo("Pacific/Kiritimati")) == date(2020, 6, 2)

    @pytest.mark.parametrize(
        "text",
        [
            "LastStarted date '0001-01-01'",
            "LastStarted date '9999-12-31'",
            "LastStarted before '0500-06-01T00:00:00+05:00'",
            "LastStarted dateBetween ('0001-01-01', '9999-12-31')",
            "next(LastStarted, 10000, years)",
            "previous(LastStarted, 10000, years)",
            "thisAndNext(LastStarted, 10000, days)",
            "previous(LastStarted, 10000, weeks)",
        ],
    )
    def test_extreme_dates_clamp_instead_of_overflowing(self, text: str) -> None:
        """Dates at the ends of the calendar compile to instants within 1000–9999."""
        for zone in (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
            for now in (MIN_INSTANT, datetime(2020, 1, 1, tzinfo=UTC), MAX_INSTANT):
                _, args = compile_filter(
                    parse_filter(text), SqliteDialect(), now=now, zone=zone, associate_id=1
                )
                for value in args:
                    assert isinstance(value, datetime)
                    assert MIN_INSTANT <= value <= MAX_INSTANT


# ---------------------------------------------------------------------------------------------
# Nothing but FilterError escapes, whatever the input.

_NAMES = [column.name for column in COLUMNS] + ["nope", "Id"]
_SPELLINGS = sorted({spec.spelling for table in OPERATORS.values() for spec in table.values()})
_FUNCTIONS = ["startswith", "endswith", "substringof", "this", "next", "previous", "thisAndNext"]
_FUNCTIONS += ["thisAndPrevious", "thisAndPreviousAndNext", "frob"]
_SCALARS = st.one_of(
    st.sampled_from(
        ["1", "-3", "0", "99999", "2147483648", "true", "false", "'x'", "''", "'a''b'", '"q"']
    ),
    st.sampled_from(["'Failed'", "2020-01-01", "'2020-02-30'", "'2020-01-01T10:00+01:00'"]),
    st.sampled_from(["week", "'months'", "5", "'0001-01-01'", "9999-12-31T23:59:59Z"]),
    st.integers(-(2**40), 2**40).map(str),
    st.text(max_size=8).map(lambda text: "'" + text.replace("'", "''") + "'"),
)
_VALUES = st.one_of(
    _SCALARS,
    st.lists(_SCALARS, min_size=0, max_size=4).map(lambda items: "(" + ",".join(items) + ")"),
)
_COMPARISONS = st.one_of(
    st.builds(
        lambda column, operator, value: f"{column} {operator} {value}".strip(),
        st.sampled_from(_NAMES),
        st.sampled_from(_SPELLINGS),
        st.one_of(st.just(""), _VALUES),
    ),
    st.builds(
        lambda function, arguments: f"{function}({', '.join(arguments)})",
        st.sampled_from(_FUNCTIONS),
        st.lists(st.one_of(st.sampled_from(_NAMES), _SCALARS), max_size=4),
    ),
)
_FILTERS = st.recursive(
    _COMPARISONS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} and {b}", inner, inner),
        st.builds(lambda a, b: f"{a} OR {b}", inner, inner),
        inner.map(lambda a: f"not {a}"),
        inner.map(lambda a: f"({a})"),
    ),
    max_leaves=12,
)


def _parse_and_compile(text: str) -> None:
    position: int | None
    try:
        node = parse_filter(text)
    except FilterError as error:
        position = error.position
    else:
        position = None
    if position is not None:
        assert 0 <= position <= max(len(text), MAX_LENGTH)
        return
    for dialect in DIALECTS:
        for zone in (ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati")):
            sql, args = compile_filter(
                node,
                dialect,
                now=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
                zone=zone,
                associate_id=1,
            )
            assert sql.count("?") == len(args)


@given(st.text(max_size=200))
@settings(max_examples=400, deadline=None)
def test_arbitrary_text_raises_only_filter_error(text: str) -> None:
    """Any text either parses (and compiles) or is a FilterError."""
    _parse_and_compile(text)
    field = "$orderBy"
    try:
        parse_order_by(text)
    except FilterError as error:
        field = error.field or ""
    assert field == "$orderBy"


@given(_FILTERS)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_grammar_shaped_text_raises_only_filter_error(text: str) -> None:
    """Filter-shaped text with mixed-up columns, operators and values never crashes."""
    _parse_and_compile(text)


@given(
    st.lists(
        st.one_of(
            st.sampled_from(["(", ")", ",", " ", "'", '"', "and", "or", "not", "=", "<>"]),
            st.sampled_from(_NAMES),
            st.sampled_from(_SPELLINGS),
            _SCALARS,
        ),
        max_size=25,
    ).map("".join)
)
@settings(max_examples=600, deadline=None)
def test_token_soup_raises_only_filter_error(text: str) -> None:
    """Any sequence of the language's tokens, even without spaces, never crashes."""
    _parse_and_compile(text)
    with contextlib.suppress(FilterError):
        parse_order_by(text)


def test_every_column_operator_pair_either_parses_or_is_refused() -> None:
    """Each column with each known spelling and each value kind: parsed trees always compile."""
    values = ["", "1", "'x'", "(1, 2)", "('a', 'b')", "true", "'2020-01-01'"]
    parsed = 0
    for name in _NAMES:
        for spelling in _SPELLINGS:
            for value in values:
                try:
                    node = parse_filter(f"{name} {spelling} {value}")
                except FilterError:
                    continue
                parsed += 1
                compile_filter(
                    node,
                    PostgresDialect(),
                    now=datetime(2026, 1, 1, tzinfo=UTC),
                    zone=OSLO,
                    associate_id=1,
                )
    assert parsed > 150


def test_restriction_types_cover_every_column() -> None:
    """Every column's restriction type has an operator table."""
    assert {column.restriction_type for column in COLUMNS} <= set(RestrictionType)
