"""How an attempt ends, decided from what happened: a pure function, so every rule has a test.

::

    lease lost ───────────────────────────▶ Drop      (not ours any more: write nothing)
    handler returned, nothing asked ──────▶ Finish    Succeeded | SucceededManualCleanup
    worker shutting down ─────────────────▶ Release   (back to New at once, start not counted)
    Stop requested ───────────────────────▶ Finish    Failed [SR_BATCH_CANCELLED]
    timed out ────────────────────────────▶ Finish    Failed [SR_BATCH_TIMED_OUT]
    raised TaskFailed, or no starts left ─▶ Finish    Failed (error summary)
    raised, starts left ──────────────────▶ Retry     (New, not before the back-off delay)

The storage layer still has the last word: a Stop acknowledged meanwhile turns a success, retry
or release into ``Failed``/cancelled, and a fenced-out write changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from batchtask.domain.ports import Completion
from batchtask.domain.state import BatchTaskState
from batchtask.worker.backoff import retry_delay

CANCELLED = "[SR_BATCH_CANCELLED]"
TIMED_OUT = "[SR_BATCH_TIMED_OUT]"


class Abort(Enum):
    """Why the worker stopped waiting for a handler."""

    CANCELLED = "stop requested"
    TIMED_OUT = "timed out"
    LOST = "lease lost"
    SHUTDOWN = "worker shutting down"


@dataclass(frozen=True, slots=True)
class Ending:
    """Everything the decision depends on, as the worker saw it when the handler stopped."""

    #: The handler returned normally.
    ok: bool
    #: Why the worker stopped waiting, if it did.
    abort: Abort | None = None
    #: One-line error summary when not ``ok``.
    error: str = ""
    #: The handler raised ``TaskFailed``: never retried.
    permanent: bool = False
    #: Attempts that count against ``max_starts`` (this one included).
    starts_used: int = 1
    #: The last progress the handler reported, its result, file and cleanup wish.
    progress: tuple[int, str] | None = None
    result: str | None = None
    file_name: str | None = None
    manual_cleanup: bool = False
    #: Seconds the attempt ran.
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class Rules:
    """The definition's policy for its attempts."""

    max_starts: int = 3
    backoff: float = 1.0
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """Write nothing: the attempt is no longer ours."""


@dataclass(frozen=True, slots=True)
class Release:
    """Back to ``New`` at once; the start is not counted."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Back to ``New``, due ``delay`` seconds from now, with the error as Response."""

    delay: float
    response: str


@dataclass(frozen=True, slots=True)
class Finish:
    """End the task with this completion."""

    completion: Completion


Outcome = Drop | Release | Retry | Finish


def decide(
    ending: Ending,
    rules: Rules,
    *,
    delay: Callable[[float, int], float] = retry_delay,
) -> Outcome:
    """The outcome of an attempt; ``delay(backoff, starts_used)`` gives a retry's wait."""
    abort = ending.abort
    if abort is Abort.LOST:
        return Drop()
    percent, text = ending.progress if ending.progress is not None else (None, None)
    if ending.ok and abort is None:
        state = (
            BatchTaskState.SucceededManualCleanup
            if ending.manual_cleanup
            else BatchTaskState.Succeeded
        )
        return Finish(
            Completion(
                state,
                result=ending.result,
                file_name=ending.file_name,
                progress_percent=100,
                progress_description=text,
                reason=f"succeeded in {ending.elapsed:.2f} s",
            )
        )
    if abort is Abort.SHUTDOWN:
        return Release()
    if abort is Abort.CANCELLED:
        return Finish(
            Completion(
                BatchTaskState.Failed,
                response=CANCELLED,
                result=ending.result,
                progress_percent=percent,
                progress_description=text,
                reason=abort.value,
            )
        )
    if abort is Abort.TIMED_OUT:
        why = abort.value if rules.timeout is None else f"{abort.value} ({rules.timeout:g} s)"
        return Finish(
            Completion(
                BatchTaskState.Failed,
                response=TIMED_OUT,
                result=ending.result,
                progress_percent=percent,
                progress_description=text,
                reason=why,
            )
        )
    if ending.permanent or ending.starts_used >= rules.max_starts:
        return Finish(
            Completion(
                BatchTaskState.Failed,
                response=ending.error,
                result=ending.result,
                progress_percent=percent,
                progress_description=text,
                reason=f"failed after {ending.starts_used} start(s)",
            )
        )
    return Retry(delay(rules.backoff, ending.starts_used), ending.error)
