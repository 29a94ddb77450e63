"""``RunRepository`` in memory: the contract of ``storage/runs`` (fencing, cancel wins, the claim
index, owner shares, reaping, retention, periodic tasks) over plain records. The "database's
clock" of leases is the clock the store was given. Nothing is pushed: workers poll."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from batchtask.domain.clock import Clock
from batchtask.domain.ports import (
    Attempt,
    Completion,
    DefinitionPolicy,
    End,
    LeaseStatus,
    OwnerShare,
    Subscription,
    TaskEvent,
)
from batchtask.domain.state import FINISHED, BatchTaskState, CancellationBehaviour
from batchtask.domain.task import SYSTEM_ASSOCIATE, NewTask
from batchtask.storage.definitions import clip
from batchtask.storage.memory.tables import DefinitionRow, Tables, TaskRow, visible
from batchtask.storage.memory.tasks import MemoryTaskRepository, definition_id
from batchtask.storage.runs.claims import claim_plan
from batchtask.storage.runs.leases import statuses
from batchtask.storage.runs.part import CANCELLED, SUCCESS, WORKER_LOST, actor

S = BatchTaskState
_HELD = frozenset({S.Aquired, S.Started})


class MemoryRunRepository:
    """The runtime's reads and fenced writes over one in-memory database."""

    def __init__(self, tables: Tables, tasks: MemoryTaskRepository, clock: Clock) -> None:
        self._t = tables
        self._tasks = tasks
        self._clock = clock

    def _lease(self, seconds: float) -> datetime:
        """A lease's end on the database's clock."""
        return self._clock.now() + timedelta(seconds=seconds)

    def _held(self, attempt: Attempt) -> TaskRow | None:
        row = self._t.tasks.get(attempt.task_id)
        if row is None or row.start_count != attempt.start_count or row.state not in _HELD:
            return None
        return row

    async def register(
        self, definitions: Sequence[DefinitionPolicy], *, now: datetime
    ) -> Mapping[str, int]:
        """Upsert definitions with their policy; ids by casefolded name."""
        ids: dict[str, int] = {}
        for policy in definitions:
            key = policy.name.casefold()
            row = self._t.definition_by_key(key)
            if row is None:
                row = DefinitionRow(self._t.next_definition(), policy.name, key, now, now)
                self._t.definitions[row.id] = row
            else:
                row.updated_count += 1
            row.name, row.updated = policy.name, now
            row.description = clip(policy.description, "Description")
            row.timeout = 0 if policy.timeout is None else math.ceil(policy.timeout)
            row.restarts = max(0, policy.max_starts - 1)
            row.backoff = float(policy.backoff)
            row.cancellation = policy.cancellation
            row.isolation = policy.isolation
            ids[key] = row.id
        return ids

    async def claim(
        self,
        definition_ids: Sequence[int],
        *,
        owner: str,
        limit: int,
        now: datetime,
        lease: float,
        share: OwnerShare | None = None,
    ) -> list[Attempt]:
        """Up to ``limit`` due ``New`` tasks of these definitions → ``Aquired``, oldest first,
        no plain owner beyond its room in the claimer's share."""
        known = set(definition_ids)
        full, room_list, room = claim_plan(limit, share)
        rooms = dict(room_list)
        taken: dict[int, int] = {}
        due: list[TaskRow] = []
        for _, row in sorted(self._t.tasks.items()):
            who = row.registered_associate_id
            if len(due) >= limit:
                break
            if (
                row.state is not S.New
                or row.definition_id not in known
                or (row.run_after is not None and row.run_after > now)
                or who in full
                or taken.get(who, 0) >= rooms.get(who, room)
            ):
                continue
            taken[who] = taken.get(who, 0) + 1
            due.append(row)
        lease_expires = self._lease(lease)
        if not all(self._t.claimable(row.id, row.start_count + 1) for row in due):
            return []  # the claim index refuses the whole claim, as the rolled-back SQL does
        attempts = []
        for row in due:
            row.state, row.start_count = S.Aquired, row.start_count + 1
            row.lease_owner, row.lease_expires = owner, lease_expires
            row.cancel_requested, row.updated = None, now
            self._t.log(TaskEvent(row.id, now, f"worker:{owner}", S.New, S.Aquired,
                                  row.start_count, "claimed"))  # fmt: skip
            self._t.changed(row)
            attempts.append(
                Attempt(task=self._tasks.task(row), owner=owner, releases=row.release_count)
            )
        return attempts

    async def start_many(
        self, attempts: Sequence[Attempt], *, now: datetime, lease: float
    ) -> set[int]:
        """``Aquired`` → ``Started`` for every attempt still held; the ids that started."""
        return {a.task_id for a in attempts if self._start(a, now=now, lease=lease)}

    async def start(self, attempt: Attempt, *, now: datetime, lease: float) -> bool:
        """``Aquired`` → ``Started``; LastStarted = now; progress, Response and Result reset."""
        return self._start(attempt, now=now, lease=lease)

    def _start(self, attempt: Attempt, *, now: datetime, lease: float) -> bool:
        row = self._held(attempt)
        if row is None or row.state is not S.Aquired:
            return False
        row.state, row.last_started, row.lease_expires, row.updated = (
            S.Started, now, self._lease(lease), now,
        )  # fmt: skip
        row.progress_percent, row.progress_description, row.response, row.result = 0, "", "", ""
        self._t.log(TaskEvent(row.id, now, actor(attempt), S.Aquired, S.Started,
                              row.start_count, "started"))  # fmt: skip
        self._t.changed(row)
        return True

    async def heartbeat(
        self, attempts: Sequence[Attempt], *, now: datetime, lease: float
    ) -> dict[int, LeaseStatus]:
        """Renew the leases of every held attempt; status by task id."""
        lease_expires = self._lease(lease)
        held: dict[int, bool] = {}
        for attempt in attempts:
            row = self._held(attempt)
            if row is not None:
                row.lease_expires, row.updated = lease_expires, now
                held[row.id] = row.cancel_requested is not None
        return statuses(attempts, held)

    async def inspect(self, attempts: Sequence[Attempt]) -> dict[int, LeaseStatus]:
        """Status by task id, read only."""
        held = {}
        for attempt in attempts:
            row = self._held(attempt)
            if row is not None:
                held[row.id] = row.cancel_requested is not None
        return statuses(attempts, held)

    async def progress(
        self, attempt: Attempt, percent: int, description: str, *, now: datetime
    ) -> bool:
        """Write the progress of a ``Started`` attempt."""
        row = self._held(attempt)
        if row is None or row.state is not S.Started:
            return False
        shown = visible(row)
        row.progress_percent = max(0, min(100, int(percent)))
        row.progress_description = clip(description, "ProgressDescription")
        row.updated = now
        self._t.touched(row, shown)
        return True

    async def conclude(
        self, ends: Sequence[tuple[Attempt, End]], *, now: datetime
    ) -> list[BatchTaskState | None]:
        """End many attempts; the state written for each, ``None`` where fenced out."""
        for _, end in ends:
            if isinstance(end, Completion) and end.state not in FINISHED:
                raise ValueError(f"not a finished state: {end.state!r}")
        return [
            self._finish(attempt, end, now=now)
            if isinstance(end, Completion)
            else self._requeue(
                attempt,
                now=now,
                run_after=end.run_after,
                response=end.response,
                released=end.released,
                reason=end.reason,
            )
            for attempt, end in ends
        ]

    async def finish(
        self, attempt: Attempt, completion: Completion, *, now: datetime
    ) -> BatchTaskState | None:
        """End the attempt; a requested Stop turns success into ``Failed``/cancelled."""
        if completion.state not in FINISHED:
            raise ValueError(f"not a finished state: {completion.state!r}")
        return self._finish(attempt, completion, now=now)

    def _finish(
        self, attempt: Attempt, completion: Completion, *, now: datetime
    ) -> BatchTaskState | None:
        if completion.state not in FINISHED:
            raise ValueError(f"not a finished state: {completion.state!r}")
        row = self._held(attempt)
        if row is None:
            return None
        before = row.state
        final, response, reason = completion.state, completion.response, completion.reason
        if final in SUCCESS and row.cancel_requested is not None:
            final, response, reason = S.Failed, CANCELLED, "stopped"
        row.state, row.response = final, clip(response, "Response")
        if completion.result is not None:
            row.result = completion.result
        if completion.file_name is not None:
            row.file_name = clip(completion.file_name, "FileName")
        if completion.progress_percent is not None:
            row.progress_percent = max(0, min(100, completion.progress_percent))
        if completion.progress_description is not None:
            row.progress_description = clip(completion.progress_description, "ProgressDescription")
        row.lease_owner, row.lease_expires, row.updated = None, None, now
        self._t.log(TaskEvent(row.id, now, actor(attempt), before, final, row.start_count, reason))
        self._t.changed(row)
        if row.is_internal and final in SUCCESS:
            self._tasks.delete_now([row.id], now=now, actor=actor(attempt))
        return final

    async def retry(
        self, attempt: Attempt, *, now: datetime, run_after: datetime, response: str
    ) -> BatchTaskState | None:
        """Back to ``New`` not before ``run_after``; ``Failed``/cancelled when a Stop was asked."""
        seconds = max(0.0, (run_after - now).total_seconds())
        return self._requeue(
            attempt, now=now, run_after=run_after, response=response, released=False,
            reason=f"retry in {seconds:.1f} s",
        )  # fmt: skip

    async def release(self, attempt: Attempt, *, now: datetime) -> BatchTaskState | None:
        """Back to ``New`` at once; not counted against the retries."""
        return self._requeue(
            attempt, now=now, run_after=None, response=None, released=True, reason="released"
        )

    def _requeue(
        self,
        attempt: Attempt,
        *,
        now: datetime,
        run_after: datetime | None,
        response: str | None,
        released: bool,
        reason: str,
    ) -> BatchTaskState | None:
        row = self._held(attempt)
        if row is None:
            return None
        if row.cancel_requested is not None:
            self._fail(row, CANCELLED, now=now, actor=actor(attempt), reason="stopped")
            return S.Failed
        before = row.state
        row.state, row.run_after = S.New, run_after
        if response is not None:
            row.response = clip(response, "Response")
        row.release_count += 1 if released else 0
        row.lease_owner, row.lease_expires, row.updated = None, None, now
        self._t.log(TaskEvent(row.id, now, actor(attempt), before, S.New, row.start_count, reason))
        self._t.changed(row)
        return S.New

    def _fail(
        self, row: TaskRow, response: str, *, now: datetime, actor: str, reason: str,
        source: str = "",
    ) -> None:  # fmt: skip
        before = row.state
        row.state, row.response, row.lease_expires, row.updated = S.Failed, response, None, now
        self._t.log(
            TaskEvent(row.id, now, actor, before, S.Failed, row.start_count, reason, source)
        )
        self._t.changed(row)

    async def reap(
        self, *, now: datetime, actor: str, limit: int = 100
    ) -> list[tuple[int, BatchTaskState]]:
        """Leases expired on the database's clock → ``New`` if starts remain, else ``Failed``
        ``[SR_BATCH_WORKER_LOST]``."""
        clock = self._clock.now()
        expired = sorted(
            (
                row
                for row in self._t.tasks.values()
                if row.state in _HELD
                and row.lease_expires is not None
                and row.lease_expires < clock
            ),
            key=lambda row: row.lease_expires or now,
        )[:limit]
        reaped: list[tuple[int, BatchTaskState]] = []
        for row in expired:
            why = f"lease of {row.lease_owner} expired"
            definition = self._t.definitions.get(row.definition_id)
            restarts = 0 if definition is None else definition.restarts
            if row.cancel_requested is not None or row.start_count - row.release_count > restarts:
                response = CANCELLED if row.cancel_requested is not None else WORKER_LOST
                self._fail(row, response, now=now, actor=actor, reason=why)
                reaped.append((row.id, S.Failed))
                continue
            before = row.state
            row.state, row.lease_owner, row.lease_expires = S.New, None, None
            row.run_after, row.updated = None, now
            self._t.log(TaskEvent(row.id, now, actor, before, S.New, row.start_count, why))
            self._t.changed(row)
            reaped.append((row.id, S.New))
        return reaped

    async def request_stop(
        self, task_id: int, *, now: datetime, actor: str, source: str = ""
    ) -> bool:
        """SPEC §8.4: ``True`` only when the task will really stop."""
        row = self._t.tasks.get(task_id)
        if row is None:
            return False
        definition = self._t.definitions.get(row.definition_id)
        if definition is not None and definition.cancellation is CancellationBehaviour.CannotCancel:
            return False
        if row.state in (S.New, S.Aquired) or (row.state is S.Started and row.lease_owner is None):
            row.cancel_requested = now
            self._t.changed(row)
            self._fail(row, CANCELLED, now=now, actor=actor, reason="stopped", source=source)
            return True
        if row.state is not S.Started:
            return False
        if row.cancel_requested is None:
            row.cancel_requested, row.updated = now, now
            self._t.log(TaskEvent(task_id, now, actor, row.state, row.state, row.start_count,
                                  "stop requested", source))  # fmt: skip
            self._t.changed(row)
        return True

    async def purge(self, state: BatchTaskState, *, before: datetime, limit: int = 500) -> int:
        """Delete up to ``limit`` tasks in ``state`` last changed before ``before``, with their
        blobs and history. ``SucceededManualCleanup`` is never purged."""
        if state not in FINISHED or state is S.SucceededManualCleanup:
            raise ValueError(f"{state.name} tasks are never purged")
        t = self._t
        gone = sorted(
            i for i, row in t.tasks.items() if row.state is state and row.updated < before
        )
        gone = gone[:limit]
        for task_id in gone:
            row = t.tasks.pop(task_id)
            if row.blob_id is not None:
                t.blobs.pop(row.blob_id, None)
            t.changed(row)
        purged = set(gone)
        t.events[:] = [event for event in t.events if event.task_id not in purged]
        return len(gone)

    async def purge_orphan_events(self, *, before: datetime, limit: int = 500) -> int:
        """Delete the history of up to ``limit`` tasks that are gone and whose newest line is
        older than ``before``."""
        t = self._t
        newest: dict[int, datetime] = {}
        for event in t.events:
            if event.task_id not in t.tasks:
                newest[event.task_id] = max(event.at, newest.get(event.task_id, event.at))
        gone = sorted(task_id for task_id, at in newest.items() if at < before)[:limit]
        purged = set(gone)
        t.events[:] = [event for event in t.events if event.task_id not in purged]
        return len(gone)

    async def ensure_periodic(
        self, name: str, *, interval: float, now: datetime, description: str, actor: str
    ) -> int | None:
        """Create the next system task of ``name`` unless one is waiting or running."""
        t = self._t
        definition = definition_id(t, name, now, CancellationBehaviour.CanCancel)
        mine = [row for row in t.tasks.values() if row.definition_id == definition]
        latest = now + timedelta(seconds=interval)
        for row in mine:  # never due more than one interval from now (a clock moved back)
            if row.state is S.New and row.run_after is not None and row.run_after > latest:
                row.run_after = latest
        if any(row.state in (S.New, *_HELD) for row in mine):
            return None
        system = [
            row.run_after or row.registered
            for row in mine
            if row.registered_associate_id == SYSTEM_ASSOCIATE
        ]
        last = max(system, default=None)
        # a last run more than an interval ahead: the clock was moved back (the emulator)
        due = now if last is None or last > latest else max(now, last + timedelta(seconds=interval))
        task_id = self._tasks.create_now(
            NewTask(name=name, associate_id=SYSTEM_ASSOCIATE, description=description),
            now=now,
            actor=actor,
        )
        t.tasks[task_id].run_after = due
        return task_id

    async def listen(
        self, on_new: Callable[[], None], on_cancel: Callable[[int], None]
    ) -> Subscription | None:
        """No push in memory: workers poll, as on SQLite."""
        return None
