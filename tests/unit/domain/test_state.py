"""BatchTaskState and CancellationBehaviour names and values."""

from __future__ import annotations

import pytest

from batchtask.domain.state import (
    BatchTaskState,
    CancellationBehaviour,
    parse_cancellation,
    parse_state,
)


def test_values_are_superoffices() -> None:
    """The integers are SuperOffice's, including All = 99999 and the Aquired spelling."""
    assert [(s.name, s.value) for s in BatchTaskState] == [
        ("Unknown", 0),
        ("New", 1),
        ("Aquired", 2),
        ("Started", 3),
        ("Succeeded", 4),
        ("Failed", 5),
        ("SucceededManualCleanup", 6),
        ("All", 99999),
    ]
    assert [(c.name, c.value) for c in CancellationBehaviour] == [
        ("CanCancel", 0),
        ("CancelWithWarning", 1),
        ("CannotCancel", 2),
    ]


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("New", BatchTaskState.New),
        ("new", BatchTaskState.New),
        ("AQUIRED", BatchTaskState.Aquired),
        (" Started ", BatchTaskState.Started),
        ("4", BatchTaskState.Succeeded),
        (5, BatchTaskState.Failed),
        ("99999", BatchTaskState.All),
    ],
)
def test_parse_state_accepts_names_in_any_case_and_integers(
    text: str | int, state: BatchTaskState
) -> None:
    """Names are case-insensitive; integers and digit strings are values."""
    assert parse_state(text) is state


@pytest.mark.parametrize("text", ["Acquired", "", "7", True, "٣", "New,Started"])
def test_parse_state_refuses_everything_else(text: str | int) -> None:
    """Misspellings, unknown values, booleans and non-ASCII digits are refused."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by input
        parse_state(text)


def test_finished_and_running_sets() -> None:
    """Finished and running are the documented groups."""
    assert {s for s in BatchTaskState if s.is_finished} == {
        BatchTaskState.Succeeded,
        BatchTaskState.Failed,
        BatchTaskState.SucceededManualCleanup,
    }
    assert {s for s in BatchTaskState if s.is_running} == {
        BatchTaskState.Aquired,
        BatchTaskState.Started,
    }


def test_parse_cancellation() -> None:
    """Cancellation behaviour by name or value."""
    assert parse_cancellation("cannotcancel") is CancellationBehaviour.CannotCancel
    assert parse_cancellation(1) is CancellationBehaviour.CancelWithWarning
    with pytest.raises(ValueError):  # noqa: PT011
        parse_cancellation("Maybe")
