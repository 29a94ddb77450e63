"""The client's tolerant JSON readers: a missing or mistyped member reads as its empty value."""

from __future__ import annotations

from typing import Any

import pytest

from batchtask.client import json_value as jv

ODD: dict[str, Any] = {
    "int": 3, "bool": True, "float": 1.5, "text": "t", "null": None,
    "list": [1, True, "x", 2, {"a": 1}], "map": {"New": 2, "Failed": "x", "Done": 1},
}  # fmt: skip


@pytest.mark.parametrize(
    ("reader", "key", "expected"),
    [
        (jv.integer, "int", 3), (jv.integer, "bool", 0), (jv.integer, "text", 0),
        (jv.number, "float", 1.5), (jv.number, "int", 3.0), (jv.number, "bool", 0.0),
        (jv.number, "missing", 0.0),
        (jv.text, "text", "t"), (jv.text, "int", ""),
        (jv.optional_text, "text", "t"), (jv.optional_text, "null", None),
        (jv.optional_text, "int", None),
        (jv.flag, "bool", True), (jv.flag, "int", False),
        (jv.integers, "list", [1, 2]), (jv.integers, "text", []),
        (jv.items, "list", [{"a": 1}]), (jv.items, "map", []),
        (jv.counts, "map", {"New": 2, "Failed": 0, "Done": 1}), (jv.counts, "list", {}),
    ],
)  # fmt: skip
def test_each_reader_takes_its_type_and_empties_the_rest(
    reader: Any, key: str, expected: object
) -> None:
    assert reader(ODD, key) == expected
