"""The follower behind ``wait()``: stream events merged into snapshots, reports, the end."""

from __future__ import annotations

import json

import pytest
from httpx_sse import ServerSentEvent

from batchtask.client import BatchTaskInfo, BatchTaskState, NotFound
from batchtask.client.follower import Follower, Step


def task_event(**data: object) -> ServerSentEvent:
    return ServerSentEvent(event="task", data=json.dumps({"Id": 7, **data}), id="41")


def follower(**kwargs: object) -> tuple[Follower, list[BatchTaskInfo]]:
    seen: list[BatchTaskInfo] = []
    made = Follower(7, timeout=kwargs.get("timeout"), until=kwargs.get("until"),  # type: ignore[arg-type]
                    on_progress=seen.append)  # fmt: skip
    made.see(BatchTaskInfo(id=7, name="n", result="", state=BatchTaskState.New))
    return made, seen


def test_task_events_merge_into_the_last_snapshot_and_report_changes() -> None:
    """A task event moves state/percent/text; the same values again are not reported twice."""
    made, seen = follower()
    step = made.apply(task_event(State="Started", ProgressPercent=40, ProgressDescription="half"))
    assert step is Step.CONTINUE
    assert made.last_event_id == "41"
    assert (made.last.state, made.last.progress_percent) == (BatchTaskState.Started, 40)
    assert made.last.name == "n"  # fields the event does not carry are kept
    made.apply(task_event(State="Started", ProgressPercent=40, ProgressDescription="half"))
    assert [s.progress_percent for s in seen] == [0, 40]


def test_a_finished_state_or_end_finishes_and_reset_refreshes() -> None:
    """Succeeded in a task event, or an end event, ends the wait; reset asks for a re-read."""
    made, _ = follower()
    assert made.apply(ServerSentEvent(event="reset")) is Step.REFRESH
    assert made.apply(ServerSentEvent(event="stats", data="{}")) is Step.CONTINUE
    assert made.apply(task_event(State="Succeeded")) is Step.FINISH
    assert follower()[0].apply(ServerSentEvent(event="end")) is Step.FINISH


def test_until_states_and_foreign_or_malformed_events() -> None:
    """until= ends on its states; other tasks' events are ignored; bad data forces a re-read."""
    made, _ = follower(until={BatchTaskState.Started})
    other = ServerSentEvent(event="task", data=json.dumps({"Id": 8, "State": "Started"}))
    assert made.apply(other) is Step.CONTINUE
    assert made.apply(ServerSentEvent(event="task", data="not json")) is Step.REFRESH
    assert made.apply(task_event(State="Bogus")) is Step.REFRESH
    assert made.apply(task_event(State="Started")) is Step.FINISH


def test_final_uses_the_fresh_carrier_or_the_finished_snapshot() -> None:
    """The row may be gone after the end (internal tasks): a finished snapshot is returned,
    an unfinished one is NotFound."""
    made, _ = follower()
    made.apply(task_event(State="Succeeded", ProgressPercent=100))
    assert made.final(None).state is BatchTaskState.Succeeded
    fresh = BatchTaskInfo(id=7, state=BatchTaskState.Succeeded, result="done")
    assert made.final(fresh).result == "done"
    unfinished, _ = follower()
    with pytest.raises(NotFound):
        unfinished.final(None)


def test_deadline_and_stream_read_timeouts() -> None:
    """Without a timeout reads wait for the keep-alive; with one they never outlast it much."""
    endless, _ = follower()
    assert endless.read_timeout() == 20.0
    assert not endless.should_reopen(20.0)
    assert endless.remaining() is None
    short, _ = follower(timeout=5.0)
    assert short.read_timeout() <= 5.0
    assert short.should_reopen(20.0)
    assert not short.expired()
    done, _ = follower(timeout=0.0)
    assert done.expired()
    assert done.timed_out().last.id == 7
