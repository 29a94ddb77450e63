"""The outcome policy: how an attempt ends, from what happened (no database, no worker)."""

from __future__ import annotations

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.worker.outcome import (
    CANCELLED,
    TIMED_OUT,
    Abort,
    Drop,
    Ending,
    Finish,
    Release,
    Retry,
    Rules,
    decide,
)

S = BatchTaskState
RULES = Rules(max_starts=3, backoff=2.0, timeout=60.0)


def fixed_delay(backoff: float, starts_used: int) -> float:
    """A deterministic stand-in for the jittered back-off."""
    return backoff * 10 + starts_used


def finish(outcome: object) -> Finish:
    assert isinstance(outcome, Finish), outcome
    return outcome


def test_success_writes_100_percent_the_result_and_the_file() -> None:
    """A returned handler succeeds at 100 %, keeping its last progress text and its result."""
    ending = Ending(
        ok=True, progress=(40, "Step 2 of 5"), result="done", file_name="out.csv", elapsed=1.234
    )
    done = finish(decide(ending, RULES)).completion
    assert (done.state, done.progress_percent, done.progress_description) == (
        S.Succeeded,
        100,
        "Step 2 of 5",
    )
    assert (done.result, done.file_name, done.reason) == ("done", "out.csv", "succeeded in 1.23 s")


def test_manual_cleanup_is_its_own_success_state() -> None:
    """``ctx.manual_cleanup()`` ends SucceededManualCleanup."""
    done = finish(decide(Ending(ok=True, manual_cleanup=True), RULES)).completion
    assert done.state is S.SucceededManualCleanup


@pytest.mark.parametrize("ok", [True, False])
def test_a_lost_lease_writes_nothing_whatever_the_handler_did(ok: bool) -> None:
    """Another worker may hold the task: even a success is dropped."""
    assert decide(Ending(ok=ok, abort=Abort.LOST), RULES) == Drop()


@pytest.mark.parametrize("ok", [True, False])
def test_shutdown_releases(ok: bool) -> None:
    """A worker shutting down hands the task back, whether or not the handler noticed."""
    assert decide(Ending(ok=ok, abort=Abort.SHUTDOWN), RULES) == Release()


@pytest.mark.parametrize("ok", [True, False])
def test_a_stop_fails_the_task_cancelled_even_if_the_handler_returned(ok: bool) -> None:
    """A handler that returns after a Stop still ends cancelled, keeping its progress."""
    ending = Ending(ok=ok, abort=Abort.CANCELLED, progress=(30, "half"), result="partial")
    done = finish(decide(ending, RULES)).completion
    assert (done.state, done.response, done.reason) == (S.Failed, CANCELLED, "stop requested")
    assert (done.progress_percent, done.progress_description, done.result) == (
        30,
        "half",
        "partial",
    )


def test_a_timeout_fails_the_task_and_names_the_limit() -> None:
    """A timed-out attempt is not retried; the event says how long the limit was."""
    done = finish(decide(Ending(ok=False, abort=Abort.TIMED_OUT, starts_used=1), RULES)).completion
    assert (done.state, done.response, done.reason) == (S.Failed, TIMED_OUT, "timed out (60 s)")


def test_errors_are_retried_with_the_back_off_until_the_last_start() -> None:
    """Starts 1 and 2 of 3 retry after delay(backoff, starts_used); start 3 fails."""
    for used in (1, 2):
        outcome = decide(
            Ending(ok=False, error="RuntimeError: boom", starts_used=used),
            RULES,
            delay=fixed_delay,
        )
        assert outcome == Retry(delay=20.0 + used, response="RuntimeError: boom")
    last = decide(Ending(ok=False, error="RuntimeError: boom", starts_used=3), RULES)
    done = finish(last).completion
    assert (done.state, done.response, done.reason) == (
        S.Failed,
        "RuntimeError: boom",
        "failed after 3 start(s)",
    )


def test_task_failed_is_never_retried() -> None:
    """``TaskFailed`` (permanent) fails at once, with starts left."""
    done = finish(
        decide(Ending(ok=False, error="bad parameters", permanent=True), RULES)
    ).completion
    assert (done.state, done.response) == (S.Failed, "bad parameters")


def test_one_start_means_no_retry() -> None:
    """``max_starts=1`` fails the first error."""
    outcome = decide(Ending(ok=False, error="x"), Rules(max_starts=1))
    assert finish(outcome).completion.state is S.Failed


def test_the_default_delay_is_the_jittered_back_off() -> None:
    """Without a delay function the real back-off applies: between half and all of the base."""
    outcome = decide(Ending(ok=False, error="x", starts_used=1), RULES)
    assert isinstance(outcome, Retry)
    assert 1.0 <= outcome.delay <= 2.0
