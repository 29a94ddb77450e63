"""The .NET [Flags] text of TableRight/FieldRight masks, and reading it back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batchtask.domain.flags import FIELD_RIGHT, TABLE_RIGHT


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "None"),
        (1, "Select"),
        (8, "Delete"),
        (15, "FULL"),
        (3, "UR"),
        (16, "Filtering"),
        (37, "RI, RestrictedUpdate"),
        (51, "Update, RF, RestrictedUpdate"),
        (128 + 15, "FULL, Uninitialized"),
        (256, "256"),
    ],
)
def test_table_right_text(value: int, text: str) -> None:
    """Exact members by name; other values as the greedy decomposition in ascending order."""
    assert TABLE_RIGHT.format(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "None"),
        (1, "Read"),
        (3, "Update"),
        (67, "Update, UIHintMandatory"),
        (32, "Nullable"),
        (192, "UIHints"),
        (195, "Update, UIHints"),
    ],
)
def test_field_right_text(value: int, text: str) -> None:
    """EFieldRight text matches .NET, including the observed 'Update, UIHintMandatory'."""
    assert FIELD_RIGHT.format(value) == text


@given(st.integers(min_value=0, max_value=255))
def test_table_right_text_reads_back(value: int) -> None:
    """Every representable mask parses back to itself."""
    assert TABLE_RIGHT.parse(TABLE_RIGHT.format(value)) == value


@given(st.integers(min_value=0, max_value=511))
def test_field_right_text_reads_back(value: int) -> None:
    """Every representable field mask parses back to itself."""
    assert FIELD_RIGHT.parse(FIELD_RIGHT.format(value)) == value


def test_aliases_and_integers_are_accepted_when_parsing() -> None:
    """R, F and Unused4 are accepted; integers pass through; unknown names are refused."""
    assert TABLE_RIGHT.parse("R, F") == 17
    assert FIELD_RIGHT.parse("unused4") == 32
    assert TABLE_RIGHT.parse(5) == 5
    with pytest.raises(ValueError, match="ETableRight"):
        TABLE_RIGHT.parse("Everything")
    with pytest.raises(ValueError, match="ETableRight"):
        TABLE_RIGHT.parse(True)
