"""The admin API's JSON shapes (SPEC §10.1): PascalCase like SuperOffice's, but its own.

Dates are ISO 8601 in UTC with milliseconds and ``Z`` (``2026-11-28T12:00:00.000Z``), which every
browser and JSON client parses; ``null`` when unset. Texts that may hold string-resource
references or multi-language values (Name, Description, Response, ProgressDescription, every
Reason) go through the request's translator, as in the SuperOffice API. States and actions are
their wire names. The live stream's ``task`` event data is :func:`task_event` — the Python client
follows it, so its fields are the SPEC's, exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from batchtask.domain.actions import TaskAction
from batchtask.domain.change import TaskChange
from batchtask.domain.ports import TaskEvent
from batchtask.domain.state import STORABLE, BatchTaskState
from batchtask.domain.stats import DefinitionFigures, QueueStats
from batchtask.domain.task import BatchTask
from batchtask.domain.worker_info import WorkerInfo
from batchtask.i18n.translator import Translator

#: The states ``Counts`` always lists, in value order.
COUNTED = tuple(sorted(STORABLE))


def instant(value: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and ``Z``; ``None`` stays ``None``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def counts(values: dict[BatchTaskState, int]) -> dict[str, int]:
    """``{state name: n}`` for every storable state, zeros included."""
    return {state.name: values.get(state, 0) for state in COUNTED}


def task_summary(
    task: BatchTask, owner: str, actions: tuple[TaskAction, ...], text: Translator
) -> dict[str, Any]:
    """One row of ``GET tasks``."""
    return {
        "Id": task.id,
        "Name": text.text(task.name),
        "State": task.state.name,
        "ProgressPercent": task.progress_percent,
        "ProgressDescription": text.text(task.progress_description),
        "StartCount": task.start_count,
        "AssociateId": task.associate_id,
        "Owner": owner,
        "IsSystemTask": task.is_system,
        "Description": text.text(task.description),
        "Response": text.text(task.response),
        "Created": instant(task.created),
        "LastStarted": instant(task.last_started),
        "Updated": instant(task.updated),
        "StopRequested": task.cancel_requested is not None,
        "Actions": [action.value for action in actions],
    }


def event(item: TaskEvent, text: Translator) -> dict[str, Any]:
    """One line of a task's event log."""
    return {
        "At": instant(item.at),
        "Actor": item.actor,
        "Source": item.source,
        "From": None if item.from_state is None else item.from_state.name,
        "To": item.to_state.name,
        "StartCount": item.start_count,
        "Reason": text.text(item.reason),
    }


def lease(task: BatchTask) -> dict[str, Any] | None:
    """Who holds the task and until when; ``None`` unless a worker holds it."""
    if task.lease_owner is None or not task.state.is_running:
        return None
    return {"Owner": task.lease_owner, "Expires": instant(task.lease_expires)}


def task_event(change: TaskChange, text: Translator) -> dict[str, Any]:
    """The data of an ``event: task`` (a deleted task is reported with State ``Unknown``)."""
    state = BatchTaskState.Unknown if change.state is None else change.state
    return {
        "Id": change.task_id,
        "Name": text.text(change.name),
        "State": state.name,
        "ProgressPercent": change.progress_percent,
        "ProgressDescription": text.text(change.progress_description),
        "StartCount": change.start_count,
        "AssociateId": change.associate_id,
    }


def worker(item: WorkerInfo, now: datetime) -> dict[str, Any]:
    """One entry of ``GET workers`` (and the data of an ``event: worker``)."""
    return {
        "Id": item.id,
        "Host": item.host,
        "Pid": item.pid,
        "Version": item.version,
        "Kind": item.kind,
        "Started": instant(item.started),
        "LastHeartbeat": instant(item.last_heartbeat),
        "Slots": item.slots,
        "Busy": item.busy,
        "Definitions": list(item.definitions),
        "Running": list(item.running),
        "Alive": item.alive(now),
    }


def definition(item: DefinitionFigures, text: Translator) -> dict[str, Any]:
    """One entry of ``GET definitions``."""
    return {
        "Name": item.name,
        "Description": text.text(item.description),
        "CancellationBehaviour": item.cancellation.name,
        "Timeout": item.timeout,
        "MaxStarts": item.max_starts,
        "Isolation": item.isolation,
        "Counts": counts(item.counts),
        "Succeeded24h": item.succeeded_24h,
        "Failed24h": item.failed_24h,
        "P50Ms": None if item.p50_ms is None else round(item.p50_ms, 1),
        "P95Ms": None if item.p95_ms is None else round(item.p95_ms, 1),
        "Workers": item.workers,
    }


def stats(item: QueueStats) -> dict[str, Any]:
    """``GET stats`` (and the data of an ``event: stats``)."""
    return {
        "At": instant(item.at),
        "Counts": counts(item.counts),
        "OldestWaitingSeconds": round(item.oldest_waiting_seconds, 3),
        "Series": [
            {
                "At": instant(point.at),
                "Started": point.started,
                "Succeeded": point.succeeded,
                "Failed": point.failed,
                "Waiting": point.waiting,
            }
            for point in item.series
        ],
    }
