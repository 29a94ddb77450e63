"""The BatchTasks archive provider: its columns as the reference lists them, and their operators."""

from __future__ import annotations

import pytest

from batchtask.domain.archive import (
    COLUMNS,
    DEFAULT_SELECT,
    ENTITY,
    OPERATORS,
    PROVIDER,
    Arity,
    RestrictionType,
    find_column,
    find_operator,
)
from batchtask.domain.query import Operator, PeriodUnit, RelativePeriod
from batchtask.domain.state import BatchTaskState

#: Reference §5.9 (AP-BT): name | restriction type | can order by, in the provider's order.
REFERENCE = [
    ("getAllRows", "bool", False),
    ("getNoRows", "bool", False),
    ("DefinitionId", "int", True),
    ("DefinitionName", "string", True),
    ("DefinitionDescription", "string", True),
    ("DefinitionTimeOut", "int", True),
    ("Description", "string", True),
    ("DbTag", "string", True),
    ("State", "int", True),
    ("DetailsTable", "int", True),
    ("DetailsRecord", "int", True),
    ("Request", "string", False),
    ("Response", "string", False),
    ("StartCount", "int", True),
    ("LastStarted", "date", True),
    ("ProgressPercent", "int", True),
    ("ProgressDescription", "string", False),
    ("updatedBy", "associate", True),
    ("updatedDate", "date", True),
    ("registeredBy", "associate", True),
    ("registeredDate", "date", True),
]

#: Operator spellings of reference §5.9 per restriction type (``ints`` … ``DateTime``, unary).
REFERENCE_OPERATORS = {
    RestrictionType.INT: "eq = ne le lt gt ge set equals greater less unequals between"
    " oneOf NotOneOf",
    RestrictionType.STRING: "contains is notBegins notContains isNot begins between in",
    RestrictionType.ASSOCIATE: "associateIsOneOf associateIsNotOneOf currentAssociate",
    RestrictionType.DATE: "before date after dateBetween beforeToday dateTime beforeTime afterTime"
    " today afterToday lastWeek thisWeek nextWeek lastMonth thisMonth nextMonth lastQuarter"
    " thisQuarter nextQuarter thisHalf thisYear",
    RestrictionType.BOOL: "set",
}


class TestColumns:
    """The column table."""

    def test_columns_are_the_references_in_its_order(self) -> None:
        """Names, restriction types and order-by marks match AP-BT exactly."""
        assert [(c.name, str(c.restriction_type), c.can_order_by) for c in COLUMNS] == REFERENCE

    def test_provider_and_entity_names(self) -> None:
        """The provider is BatchTasks and its one entity is batchtask."""
        assert (PROVIDER, ENTITY) == ("BatchTasks", "batchtask")

    def test_display_names_are_the_provider_pages(self) -> None:
        """Display names and tooltips are SuperOffice's (typos included)."""
        by_name = {column.name: column for column in COLUMNS}
        assert by_name["getAllRows"].display_name == "GetAll"
        assert by_name["DetailsTable"].display_name == "Table"
        assert by_name["LastStarted"].display_name == "Last Start"
        assert by_name["DefinitionId"].tooltip == "Defintion id"
        assert all(column.display_name and column.tooltip for column in COLUMNS)

    def test_only_registered_and_updated_dates_are_utc(self) -> None:
        """The two "in UTC" columns are marked; LastStarted is a base-zone value."""
        assert {column.name for column in COLUMNS if column.utc} == {
            "registeredDate",
            "updatedDate",
        }

    def test_switches_are_not_visible(self) -> None:
        """getAllRows and getNoRows restrict; they are never selected."""
        assert {column.name for column in COLUMNS if not column.is_visible} == {
            "getAllRows",
            "getNoRows",
        }

    def test_state_takes_state_names(self) -> None:
        """State values may be BatchTaskState names; no other column has names."""
        assert {column.name: column.enum for column in COLUMNS if column.enum} == {
            "State": BatchTaskState
        }

    @pytest.mark.parametrize(
        ("spelling", "canonical"),
        [
            ("DbTag", "DbTag"),
            ("dbtag", "DbTag"),
            ("DBTAG", "DbTag"),
            (" registeredby ", "registeredBy"),
            ("UPDATEDDATE", "updatedDate"),
            ("GETALLROWS", "getAllRows"),
        ],
    )
    def test_find_column_ignores_case(self, spelling: str, canonical: str) -> None:
        """Column names match in any case and come back in their canonical spelling."""
        column = find_column(spelling)
        assert column is not None
        assert column.name == canonical

    @pytest.mark.parametrize("spelling", ["", "Id", "batchtask_id", "State;", "Db Tag", "dbtag2"])
    def test_find_column_unknown(self, spelling: str) -> None:
        """Anything else is no column."""
        assert find_column(spelling) is None


class TestDefaultSelect:
    """Columns returned without ``$select``."""

    def test_default_columns_exist_and_are_visible(self) -> None:
        """Every default column is a visible provider column, in provider order, no duplicates."""
        order = [column.name for column in COLUMNS]
        assert len(set(DEFAULT_SELECT)) == len(DEFAULT_SELECT)
        for name in DEFAULT_SELECT:
            column = find_column(name)
            assert column is not None
            assert column.name == name
            assert column.is_visible
        assert list(DEFAULT_SELECT) == sorted(DEFAULT_SELECT, key=order.index)

    def test_default_columns_leave_out_long_texts(self) -> None:
        """Request/Response and the progress text are opt-in."""
        assert not {"Request", "Response", "ProgressDescription"} & set(DEFAULT_SELECT)


class TestOperators:
    """Operator spellings per restriction type."""

    @pytest.mark.parametrize(
        ("restriction_type", "spelling"),
        [(kind, name) for kind, names in REFERENCE_OPERATORS.items() for name in names.split()],
    )
    def test_every_reference_operator_is_known(
        self, restriction_type: RestrictionType, spelling: str
    ) -> None:
        """Each operator the reference lists for a type applies to that type, in any case."""
        assert find_operator(restriction_type, spelling) is not None
        assert find_operator(restriction_type, spelling.upper()) is not None

    @pytest.mark.parametrize(
        ("restriction_type", "spelling"),
        [
            (RestrictionType.STRING, "gt"),
            (RestrictionType.STRING, "currentAssociate"),
            (RestrictionType.INT, "contains"),
            (RestrictionType.INT, "today"),
            (RestrictionType.DATE, "lt"),
            (RestrictionType.DATE, "oneOf"),
            (RestrictionType.ASSOCIATE, "gt"),
            (RestrictionType.BOOL, "between"),
            (RestrictionType.INT, "associateIsOneOf"),
        ],
    )
    def test_operators_of_other_types_are_refused(
        self, restriction_type: RestrictionType, spelling: str
    ) -> None:
        """An operator of another family does not apply."""
        assert find_operator(restriction_type, spelling) is None

    def test_negative_operators_are_negations(self) -> None:
        """notBegins is Not(begins); ne is Not(equals); associateIsNotOneOf is Not(oneOf)."""
        spec = find_operator(RestrictionType.STRING, "notBegins")
        assert spec is not None
        assert (spec.operator, spec.negated) == (Operator.BEGINS, True)
        spec = find_operator(RestrictionType.INT, "ne")
        assert spec is not None
        assert (spec.operator, spec.negated) == (Operator.EQUALS, True)
        spec = find_operator(RestrictionType.ASSOCIATE, "associateIsNotOneOf")
        assert spec is not None
        assert (spec.operator, spec.arity, spec.negated) == (Operator.ONE_OF, Arity.LIST, True)

    def test_unary_date_operators_carry_their_period(self) -> None:
        """lastWeek is week −1..−1; beforeToday is before day 0."""
        spec = find_operator(RestrictionType.DATE, "lastWeek")
        assert spec is not None
        assert (spec.operator, spec.arity) == (Operator.DURING, Arity.NONE)
        assert spec.fixed == RelativePeriod(PeriodUnit.WEEK, -1, -1)
        spec = find_operator(RestrictionType.DATE, "beforeToday")
        assert spec is not None
        assert (spec.operator, spec.fixed) == (Operator.BEFORE, RelativePeriod(PeriodUnit.DAY))

    def test_every_type_has_a_table(self) -> None:
        """No restriction type is left without operators."""
        assert set(OPERATORS) == set(RestrictionType)
