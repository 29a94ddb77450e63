"""``BatchTaskState`` and ``BatchTaskCancellationBehaviour`` with SuperOffice's names and values.

The names are wire vocabulary (including SuperOffice's spelling ``Aquired``); the serialisation layer
emits them verbatim. ``All`` is a query value only and is never stored.
"""

from __future__ import annotations

from enum import IntEnum


class BatchTaskState(IntEnum):
    """Lifecycle of one task; values are the ``state`` column and the CRMScript integers."""

    Unknown = 0
    New = 1
    Aquired = 2
    Started = 3
    Succeeded = 4
    Failed = 5
    SucceededManualCleanup = 6
    All = 99999

    @property
    def is_finished(self) -> bool:
        """True for the three terminal states."""
        return self in FINISHED

    @property
    def is_running(self) -> bool:
        """True while a worker holds the task (claimed or executing)."""
        return self in RUNNING


FINISHED = frozenset(
    {BatchTaskState.Succeeded, BatchTaskState.Failed, BatchTaskState.SucceededManualCleanup}
)
RUNNING = frozenset({BatchTaskState.Aquired, BatchTaskState.Started})

#: States a client may store through PUT / UpdateBatchTask (SPEC §8.5).
STORABLE = frozenset(
    {
        BatchTaskState.New,
        BatchTaskState.Aquired,
        BatchTaskState.Started,
        BatchTaskState.Succeeded,
        BatchTaskState.Failed,
        BatchTaskState.SucceededManualCleanup,
    }
)


class CancellationBehaviour(IntEnum):
    """Whether a task may be stopped (SuperOffice ``BatchTaskCancellationBehaviour``)."""

    CanCancel = 0
    CancelWithWarning = 1
    CannotCancel = 2


_STATE_BY_NAME = {member.name.casefold(): member for member in BatchTaskState}
_CANCEL_BY_NAME = {member.name.casefold(): member for member in CancellationBehaviour}


def parse_state(value: str | int) -> BatchTaskState:
    """Read a state from a name (any case) or its integer value; ``ValueError`` otherwise.

    Booleans are refused even though ``bool`` is an ``int`` subclass: ``true`` is not a state.
    """
    if isinstance(value, bool):
        raise ValueError("not a BatchTaskState")
    if isinstance(value, int):
        return BatchTaskState(value)
    text = value.strip()
    if text.lstrip("-").isdecimal() and text.isascii():
        return BatchTaskState(int(text))
    try:
        return _STATE_BY_NAME[text.casefold()]
    except KeyError:
        raise ValueError(f"not a BatchTaskState: {value!r}") from None


def parse_cancellation(value: str | int) -> CancellationBehaviour:
    """Read a cancellation behaviour from a name (any case) or its integer value."""
    if isinstance(value, bool):
        raise ValueError("not a BatchTaskCancellationBehaviour")
    if isinstance(value, int):
        return CancellationBehaviour(value)
    text = value.strip()
    if text.isdecimal() and text.isascii():
        return CancellationBehaviour(int(text))
    try:
        return _CANCEL_BY_NAME[text.casefold()]
    except KeyError:
        raise ValueError(f"not a BatchTaskCancellationBehaviour: {value!r}") from None
