"""``BatchTaskInfo`` from and to SuperOffice's wire form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from batchtask.client import BatchTaskInfo, BatchTaskState, CancellationBehaviour
from batchtask.client.json_value import parse_date, render_date


def test_dates_are_aware_and_the_empty_date_is_none() -> None:
    """Z, offsets without colon, seven fraction digits, no offset (UTC), and 0001-01-01."""
    assert parse_date("2026-11-28T14:05:09Z") == datetime(2026, 11, 28, 14, 5, 9, tzinfo=UTC)
    five_behind = timezone(timedelta(hours=-5))
    assert parse_date("2026-11-28T09:05:09.1234567-0500") == datetime(
        2026, 11, 28, 9, 5, 9, 123456, tzinfo=five_behind
    )
    assert parse_date("2026-11-28T14:05:09") == datetime(2026, 11, 28, 14, 5, 9, tzinfo=UTC)
    assert parse_date("0001-01-01T00:00:00") is None
    assert parse_date(None) is None
    assert parse_date("garbage") is None
    assert render_date(None) == "0001-01-01T00:00:00"
    assert render_date(datetime(2026, 1, 2, 4, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-01-02T03:00:00Z"
    )
    with pytest.raises(ValueError, match="time zone"):
        render_date(datetime(2026, 1, 2))


def test_from_wire_reads_every_field_and_tolerates_nulls() -> None:
    """Names and values map one to one; $select's nulls become empty values."""
    info = BatchTaskInfo.from_wire(
        {"Id": 3, "Name": "x", "State": "SucceededManualCleanup", "ParameterObject": {"a": "b"},
         "CancellationBehaviour": "CannotCancel", "Description": None, "ProgressPercent": None,
         "TableRight": {"Mask": "Select", "Reason": "[SR_X]"},
         "FieldProperties": {"State": {"FieldRight": {"Mask": "Read", "Reason": ""},
                                       "FieldType": "T", "FieldLength": 4}}}
    )  # fmt: skip
    assert info.state is BatchTaskState.SucceededManualCleanup
    assert info.cancellation_behaviour is CancellationBehaviour.CannotCancel
    assert (info.description, info.progress_percent) == ("", 0)
    assert info.table_right is not None
    assert info.table_right.reason == "[SR_X]"
    assert info.field_properties["State"].field_length == 4
    wire = info.to_wire()
    assert wire["State"] == "SucceededManualCleanup"
    assert wire["ParameterObject"] == {"a": "b"}
    assert "TableRight" not in wire
    assert BatchTaskInfo.from_wire(wire).parameter_object == {"a": "b"}
