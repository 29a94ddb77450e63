"""``RunRepository`` in SQL: claims, fenced transitions, leases, stop and retention, both engines.

**Fencing.** A claim increments ``startcount``; every later write of that attempt says
``WHERE batchtask_id = ? AND startcount = ? AND state IN (…)`` and reports whether it applied. A
worker that was paused past its lease, or whose task was stopped, reaped, finished or deleted from
outside, matches no row and never writes again. The partial unique index on ``batchtask_event``
(one ``to_state = 2`` row per task and StartCount) makes a second claim of the same attempt
impossible even if the compare-and-swap were wrong.

**Cancel wins.** Once a Stop has been acknowledged (``cancel_requested`` set), success, retry and
release all end the task ``Failed`` with ``[SR_BATCH_CANCELLED]`` instead, in the same transaction,
so Stop returning ``true`` always means the task really stopped.

**Engines.** PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` and reads rows it will change with
``FOR UPDATE``; SQLite runs the same compare-and-swap inside ``BEGIN IMMEDIATE`` (and first probes
with a plain read, so idle workers polling an empty queue never take the write lock). PostgreSQL
pushes wake-ups and stop requests through triggers (migration 0002) and :meth:`listen`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from batchtask.domain.errors import Conflict, StorageUnavailable
from batchtask.domain.ports import (
    Attempt,
    Completion,
    DefinitionPolicy,
    LeaseStatus,
    Subscription,
    TaskEvent,
)
from batchtask.domain.state import FINISHED, BatchTaskState, CancellationBehaviour
from batchtask.domain.task import (
    BATCH_TASK_TABLE,
    BLOB_LINK_BATCH_TASK,
    FIELD_LENGTHS,
    SYSTEM_ASSOCIATE,
    NewTask,
)
from batchtask.storage.database import Database
from batchtask.storage.task_repository import (
    TASK_COLUMNS,
    TASK_FROM,
    SqlTaskRepository,
    append_event,
    definition_id,
    task_from_row,
)

log = logging.getLogger("batchtask.storage.runs")

CANCELLED = "[SR_BATCH_CANCELLED]"
WORKER_LOST = "[SR_BATCH_WORKER_LOST]"
#: PostgreSQL channels the triggers of migration 0002 notify; the payload is the task id.
CHANNEL_NEW = "batchtask_new"
CHANNEL_CANCEL = "batchtask_cancel"

_STATES = {member.value: member for member in BatchTaskState}
_FENCE = "batchtask_id = ? AND startcount = ?"
_HELD = "state IN (2, 3)"
_SUCCESS = frozenset({BatchTaskState.Succeeded, BatchTaskState.SucceededManualCleanup})
_EVENT_COLUMNS = "batchtask_id, at, actor, from_state, to_state, startcount, reason"


def clip(text: str, field: str) -> str:
    """``text`` cut to the stored length of a SuperOffice field."""
    limit = FIELD_LENGTHS[field]
    return text if limit == 0 or len(text) <= limit else text[: limit - 1] + "…"


def _actor(attempt: Attempt) -> str:
    return f"worker:{attempt.owner}"


class SqlRunRepository:
    """The runtime's reads and fenced writes over one ``Database``."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        self._db = db
        self._tasks = tasks
        self._pg = db.dialect == "postgres"

    def _lock(self, clause: str = " FOR UPDATE") -> str:
        return clause if self._pg else ""

    async def register(
        self, definitions: Sequence[DefinitionPolicy], *, now: datetime
    ) -> Mapping[str, int]:
        """Upsert definitions (description, cancellation, timeout, retry policy); ids by key."""
        ids: dict[str, int] = {}
        async with self._db.transaction() as db:
            for policy in definitions:
                key = policy.name.casefold()
                row = await db.fetchrow(
                    "INSERT INTO batchtaskdefinition (name, name_key, description, timeout,"
                    " autorestartcount, backoff_seconds, cancellation_behaviour, isolation,"
                    " registered, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (name_key) DO UPDATE SET name = excluded.name,"
                    " description = excluded.description, timeout = excluded.timeout,"
                    " autorestartcount = excluded.autorestartcount,"
                    " backoff_seconds = excluded.backoff_seconds,"
                    " cancellation_behaviour = excluded.cancellation_behaviour,"
                    " isolation = excluded.isolation, updated = excluded.updated,"
                    " updatedcount = batchtaskdefinition.updatedcount + 1"
                    " RETURNING batchtaskdefinition_id",
                    policy.name,
                    key,
                    clip(policy.description, "Description"),
                    0 if policy.timeout is None else math.ceil(policy.timeout),
                    max(0, policy.max_starts - 1),
                    float(policy.backoff),
                    int(policy.cancellation),
                    policy.isolation,
                    db.ts(now),
                    db.ts(now),
                )
                assert row is not None  # noqa: S101 - RETURNING
                ids[key] = int(row[0])
        return ids

    async def claim(
        self,
        definition_ids: Sequence[int],
        *,
        owner: str,
        limit: int,
        now: datetime,
        lease_expires: datetime,
    ) -> list[Attempt]:
        """Compare-and-swap up to ``limit`` due ``New`` tasks to ``Aquired``, oldest id first."""
        if not definition_ids or limit < 1:
            return []
        members, member_args = self._db.in_list(list(definition_ids))
        due = f"state = 1 AND batchtaskdefinition_id {members} AND (run_after IS NULL OR run_after <= ?)"
        if not self._pg:
            probe = await self._db.fetchrow(
                f"SELECT 1 FROM batchtask WHERE {due} LIMIT 1", *member_args, self._db.ts(now)
            )
            if probe is None:
                return []
        try:
            async with self._db.transaction() as db:
                rows = await db.fetch(
                    f"WITH picked AS (SELECT batchtask_id FROM batchtask WHERE {due}"
                    f" ORDER BY batchtask_id LIMIT ?{self._lock(' FOR UPDATE SKIP LOCKED')})"
                    " UPDATE batchtask SET state = 2, startcount = startcount + 1,"
                    " lease_owner = ?, lease_expires = ?, cancel_requested = NULL, updated = ?"
                    " WHERE batchtask_id IN (SELECT batchtask_id FROM picked) AND state = 1"
                    " RETURNING batchtask_id, startcount, releasecount",
                    *member_args,
                    db.ts(now),
                    limit,
                    owner,
                    db.ts(lease_expires),
                    db.ts(now),
                )
                if not rows:
                    return []
                releases = {int(row[0]): int(row[2]) for row in rows}
                actor, new, aquired = f"worker:{owner}", BatchTaskState.New, BatchTaskState.Aquired
                claimed = sorted(rows, key=lambda r: int(r[0]))
                await _append_events(
                    db,
                    [
                        TaskEvent(int(r[0]), now, actor, new, aquired, int(r[1]), "claimed")
                        for r in claimed
                    ],
                )
                ids, args = db.in_list(sorted(releases))
                found = await db.fetch(
                    f"SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.batchtask_id {ids}"
                    " ORDER BY t.batchtask_id",
                    *args,
                )
        except Conflict:
            # The unique claim index refused a second claim of one attempt: nothing was claimed.
            log.warning("claim refused by the claim index; retrying later", exc_info=True)
            return []
        attempts = []
        for row in found:
            task = task_from_row(self._db, row)
            attempts.append(Attempt(task=task, owner=owner, releases=releases[task.id]))
        return attempts

    async def start(self, attempt: Attempt, *, now: datetime, lease_expires: datetime) -> bool:
        """``Aquired`` → ``Started``; LastStarted = now; progress, Response and Result reset.

        On PostgreSQL the change and its event are one statement (one round trip instead of
        four); SQLite runs the same two statements in one ``BEGIN IMMEDIATE``.
        """
        update = (
            "UPDATE batchtask SET state = 3, laststarted = ?, lease_expires = ?, updated = ?,"
            " progresspercent = 0, progressdescription = '', response = '', result = ''"
            f" WHERE {_FENCE} AND state = 2"
        )
        fenced = (
            self._db.ts(now),
            self._db.ts(lease_expires),
            self._db.ts(now),
            attempt.task_id,
            attempt.start_count,
        )
        if self._pg:
            inserted = await self._db.execute(
                f"WITH started AS ({update} RETURNING batchtask_id) INSERT INTO batchtask_event"
                f" ({_EVENT_COLUMNS}) SELECT batchtask_id, ?, ?, 2, 3, ?, 'started' FROM started",
                *fenced,
                self._db.ts(now),
                _actor(attempt),
                attempt.start_count,
            )
            return inserted == 1
        async with self._db.transaction() as db:
            changed = await db.execute(update, *fenced)
            if changed != 1:
                return False
            await append_event(
                db,
                TaskEvent(
                    attempt.task_id, now, _actor(attempt), BatchTaskState.Aquired,
                    BatchTaskState.Started, attempt.start_count, "started",
                ),
            )  # fmt: skip
        return True

    async def heartbeat(
        self, attempts: Sequence[Attempt], *, now: datetime, lease_expires: datetime
    ) -> dict[int, LeaseStatus]:
        """Renew the leases of every held attempt in one statement; status by task id."""
        if not attempts:
            return {}
        fences = " OR ".join(["(batchtask_id = ? AND startcount = ?)"] * len(attempts))
        keys = [value for a in attempts for value in (a.task_id, a.start_count)]
        async with self._db.transaction() as db:
            rows = await db.fetch(
                f"UPDATE batchtask SET lease_expires = ?, updated = ? WHERE {_HELD}"
                f" AND ({fences}) RETURNING batchtask_id, cancel_requested",
                db.ts(lease_expires),
                db.ts(now),
                *keys,
            )
        return _statuses(attempts, {int(row[0]): row[1] is not None for row in rows})

    async def inspect(self, attempts: Sequence[Attempt]) -> dict[int, LeaseStatus]:
        """Status by task id, read only (stop requests and lost tasks between heartbeats)."""
        if not attempts:
            return {}
        ids, args = self._db.in_list([a.task_id for a in attempts])
        rows = await self._db.fetch(
            "SELECT batchtask_id, startcount, cancel_requested FROM batchtask"
            f" WHERE batchtask_id {ids} AND {_HELD}",
            *args,
        )
        token = {a.task_id: a.start_count for a in attempts}
        held = {int(r[0]): r[2] is not None for r in rows if token.get(int(r[0])) == int(r[1])}
        return _statuses(attempts, held)

    async def progress(
        self, attempt: Attempt, percent: int, description: str, *, now: datetime
    ) -> bool:
        """Write the progress of a ``Started`` attempt (also the heartbeat column ``updated``)."""
        changed = await self._db.execute(
            "UPDATE batchtask SET progresspercent = ?, progressdescription = ?, updated = ?"
            f" WHERE {_FENCE} AND state = 3",
            max(0, min(100, int(percent))),
            clip(description, "ProgressDescription"),
            self._db.ts(now),
            attempt.task_id,
            attempt.start_count,
        )
        return changed == 1

    async def finish(
        self, attempt: Attempt, completion: Completion, *, now: datetime
    ) -> BatchTaskState | None:
        """End the attempt; a requested Stop turns success into ``Failed``/cancelled."""
        if completion.state not in FINISHED:
            raise ValueError(f"not a finished state: {completion.state!r}")
        async with self._db.transaction() as db:
            held = await self._held(db, attempt)
            if held is None:
                return None
            before, cancel_requested, internal = held
            state, response, reason = completion.state, completion.response, completion.reason
            if state in _SUCCESS and cancel_requested:
                state, response, reason = BatchTaskState.Failed, CANCELLED, "stopped"
            await db.execute(
                "UPDATE batchtask SET state = ?, response = ?, result = COALESCE(?, result),"
                " filename = COALESCE(?, filename),"
                " progresspercent = COALESCE(?, progresspercent),"
                " progressdescription = COALESCE(?, progressdescription),"
                " lease_owner = NULL, lease_expires = NULL, updated = ?"
                f" WHERE {_FENCE} AND {_HELD}",
                int(state),
                clip(response, "Response"),
                completion.result,
                None if completion.file_name is None else clip(completion.file_name, "FileName"),
                None
                if completion.progress_percent is None
                else max(0, min(100, completion.progress_percent)),
                None
                if completion.progress_description is None
                else clip(completion.progress_description, "ProgressDescription"),
                db.ts(now),
                attempt.task_id,
                attempt.start_count,
            )
            await append_event(
                db,
                TaskEvent(
                    attempt.task_id, now, _actor(attempt), before, state, attempt.start_count,
                    reason,
                ),
            )  # fmt: skip
            if internal and state in _SUCCESS:
                await self._tasks.delete([attempt.task_id], now=now, actor=_actor(attempt))
        return state

    async def retry(
        self, attempt: Attempt, *, now: datetime, run_after: datetime, response: str
    ) -> BatchTaskState | None:
        """Back to ``New`` not before ``run_after``; ``Failed``/cancelled when a Stop was asked."""
        seconds = max(0.0, (run_after - now).total_seconds())
        return await self._requeue(
            attempt, now=now, run_after=run_after, response=response, released=False,
            reason=f"retry in {seconds:.1f} s",
        )  # fmt: skip

    async def release(self, attempt: Attempt, *, now: datetime) -> BatchTaskState | None:
        """Back to ``New`` at once (worker shutting down); not counted against the retries."""
        return await self._requeue(
            attempt, now=now, run_after=None, response=None, released=True, reason="released"
        )

    async def _requeue(
        self,
        attempt: Attempt,
        *,
        now: datetime,
        run_after: datetime | None,
        response: str | None,
        released: bool,
        reason: str,
    ) -> BatchTaskState | None:
        async with self._db.transaction() as db:
            held = await self._held(db, attempt)
            if held is None:
                return None
            before, cancel_requested, _ = held
            if cancel_requested:
                await self._fail(db, attempt.task_id, attempt.start_count, before, CANCELLED,
                                 now=now, actor=_actor(attempt), reason="stopped")  # fmt: skip
                return BatchTaskState.Failed
            await db.execute(
                "UPDATE batchtask SET state = 1, run_after = ?, response = COALESCE(?, response),"
                " releasecount = releasecount + ?, lease_owner = NULL, lease_expires = NULL,"
                f" updated = ? WHERE {_FENCE} AND {_HELD}",
                db.ts(run_after),
                None if response is None else clip(response, "Response"),
                1 if released else 0,
                db.ts(now),
                attempt.task_id,
                attempt.start_count,
            )
            await append_event(
                db,
                TaskEvent(
                    attempt.task_id, now, _actor(attempt), before, BatchTaskState.New,
                    attempt.start_count, reason,
                ),
            )  # fmt: skip
        return BatchTaskState.New

    async def _held(
        self, db: Database, attempt: Attempt
    ) -> tuple[BatchTaskState, bool, bool] | None:
        """(state, stop requested, internal) of a still-held attempt, locked; else ``None``."""
        row = await db.fetchrow(
            "SELECT state, cancel_requested, isinternal FROM batchtask"
            f" WHERE {_FENCE} AND {_HELD}{self._lock()}",
            attempt.task_id,
            attempt.start_count,
        )
        if row is None:
            return None
        return _STATES[row[0]], row[1] is not None, bool(row[2])

    async def _fail(
        self,
        db: Database,
        task_id: int,
        start_count: int,
        before: BatchTaskState,
        response: str,
        *,
        now: datetime,
        actor: str,
        reason: str,
        source: str = "",
    ) -> None:
        """``Failed`` now, fenced on what the caller read (inside its transaction)."""
        await db.execute(
            "UPDATE batchtask SET state = 5, response = ?, lease_expires = NULL, updated = ?"
            f" WHERE {_FENCE} AND state = ?",
            response,
            db.ts(now),
            task_id,
            start_count,
            int(before),
        )
        await append_event(
            db,
            TaskEvent(
                task_id, now, actor, before, BatchTaskState.Failed, start_count, reason, source
            ),
        )

    async def reap(
        self, *, now: datetime, actor: str, limit: int = 100
    ) -> list[tuple[int, BatchTaskState]]:
        """Expired leases → ``New`` if starts remain, else ``Failed`` ``[SR_BATCH_WORKER_LOST]``."""
        reaped: list[tuple[int, BatchTaskState]] = []
        async with self._db.transaction() as db:
            rows = await db.fetch(
                "SELECT t.batchtask_id, t.startcount, t.releasecount, t.state,"
                " t.cancel_requested, COALESCE(d.autorestartcount, 0), t.lease_owner"
                " FROM batchtask t LEFT JOIN batchtaskdefinition d"
                " ON d.batchtaskdefinition_id = t.batchtaskdefinition_id"
                " WHERE t.state IN (2, 3) AND t.lease_expires < ?"
                f" ORDER BY t.lease_expires LIMIT ?{self._lock(' FOR UPDATE OF t SKIP LOCKED')}",
                db.ts(now),
                limit,
            )
            for task_id, start_count, releases, state, cancel, restarts, owner in rows:
                before = _STATES[state]
                why = f"lease of {owner} expired"
                if cancel is not None:
                    await self._fail(db, task_id, start_count, before, CANCELLED, now=now,
                                     actor=actor, reason=why)  # fmt: skip
                    reaped.append((task_id, BatchTaskState.Failed))
                elif start_count - releases > restarts:
                    await self._fail(db, task_id, start_count, before, WORKER_LOST, now=now,
                                     actor=actor, reason=why)  # fmt: skip
                    reaped.append((task_id, BatchTaskState.Failed))
                else:
                    await db.execute(
                        "UPDATE batchtask SET state = 1, lease_owner = NULL, lease_expires = NULL,"
                        f" run_after = NULL, updated = ? WHERE {_FENCE} AND state = ?",
                        db.ts(now),
                        task_id,
                        start_count,
                        state,
                    )
                    await append_event(
                        db,
                        TaskEvent(
                            task_id, now, actor, before, BatchTaskState.New, start_count, why
                        ),
                    )
                    reaped.append((task_id, BatchTaskState.New))
        return reaped

    async def request_stop(
        self, task_id: int, *, now: datetime, actor: str, source: str = ""
    ) -> bool:
        """SPEC §8.4. ``New``/``Aquired`` (and ``Started`` without a local lease) fail at once;
        ``Started`` gets ``cancel_requested`` (pushed by NOTIFY on PostgreSQL)."""
        async with self._db.transaction() as db:
            row = await db.fetchrow(
                "SELECT t.state, t.startcount, COALESCE(d.cancellation_behaviour, 0),"
                " t.cancel_requested, t.lease_owner FROM batchtask t"
                " LEFT JOIN batchtaskdefinition d"
                " ON d.batchtaskdefinition_id = t.batchtaskdefinition_id"
                f" WHERE t.batchtask_id = ?{self._lock(' FOR UPDATE OF t')}",
                task_id,
            )
            if row is None or row[2] == CancellationBehaviour.CannotCancel:
                return False
            state = _STATES.get(row[0], BatchTaskState.Unknown)
            start_count = int(row[1])
            if state in (BatchTaskState.New, BatchTaskState.Aquired) or (
                state is BatchTaskState.Started and row[4] is None
            ):
                await db.execute(
                    "UPDATE batchtask SET cancel_requested = ? WHERE batchtask_id = ?",
                    db.ts(now),
                    task_id,
                )
                await self._fail(db, task_id, start_count, state, CANCELLED, now=now,
                                 actor=actor, reason="stopped", source=source)  # fmt: skip
                return True
            if state is not BatchTaskState.Started:
                return False
            if row[3] is None:
                await db.execute(
                    "UPDATE batchtask SET cancel_requested = ?, updated = ?"
                    " WHERE batchtask_id = ? AND state = 3",
                    db.ts(now),
                    db.ts(now),
                    task_id,
                )
                await append_event(
                    db,
                    TaskEvent(
                        task_id, now, actor, state, state, start_count, "stop requested", source
                    ),
                )
        return True

    async def purge(self, state: BatchTaskState, *, before: datetime, limit: int = 500) -> int:
        """Delete up to ``limit`` tasks in ``state`` last changed before ``before``, with their
        parameter blobs and event log. ``SucceededManualCleanup`` is never purged (SPEC §8.6)."""
        if state not in FINISHED or state is BatchTaskState.SucceededManualCleanup:
            raise ValueError(f"{state.name} tasks are never purged")
        async with self._db.transaction() as db:
            rows = await db.fetch(
                "SELECT batchtask_id FROM batchtask WHERE state = ? AND updated < ?"
                f" ORDER BY batchtask_id LIMIT ?{self._lock(' FOR UPDATE SKIP LOCKED')}",
                int(state),
                db.ts(before),
                limit,
            )
            if not rows:
                return 0
            members, args = db.in_list([int(row[0]) for row in rows])
            owned = (
                f"ownertable = {BATCH_TASK_TABLE} AND linktype = {BLOB_LINK_BATCH_TASK}"
                f" AND ownerrecord {members}"
            )
            blobs = await db.fetch(
                f"SELECT binaryobjectid FROM binaryobjectlink WHERE {owned}", *args
            )
            await db.execute(f"DELETE FROM binaryobjectlink WHERE {owned}", *args)
            if blobs:
                blob_members, blob_args = db.in_list([int(blob[0]) for blob in blobs])
                await db.execute(
                    f"DELETE FROM binaryobject WHERE binaryobject_id {blob_members}", *blob_args
                )
            await db.execute(f"DELETE FROM batchtask_event WHERE batchtask_id {members}", *args)
            return await db.execute(f"DELETE FROM batchtask WHERE batchtask_id {members}", *args)

    async def ensure_periodic(
        self, name: str, *, interval: float, now: datetime, description: str, actor: str
    ) -> int | None:
        """Create the next system task of ``name`` unless one is waiting or running."""
        async with self._db.transaction() as db:
            if self._pg:
                await db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", name.casefold())
            definition = await definition_id(db, name, now, CancellationBehaviour.CanCancel)
            pending = await db.fetchrow(
                "SELECT 1 FROM batchtask WHERE batchtaskdefinition_id = ? AND state IN (1, 2, 3)"
                " LIMIT 1",
                definition,
            )
            if pending is not None:
                return None
            row = await db.fetchrow(
                "SELECT MAX(COALESCE(run_after, registered)) FROM batchtask"
                " WHERE batchtaskdefinition_id = ? AND registered_associate_id = ?",
                definition,
                SYSTEM_ASSOCIATE,
            )
            last = None if row is None else db.instant(row[0])
            due = now if last is None else max(now, last + timedelta(seconds=interval))
            task_id = await self._tasks.create(
                NewTask(name=name, associate_id=SYSTEM_ASSOCIATE, description=description),
                now=now,
                actor=actor,
            )
            await db.execute(
                "UPDATE batchtask SET run_after = ? WHERE batchtask_id = ?", db.ts(due), task_id
            )
        return task_id

    async def listen(
        self, on_new: Callable[[], None], on_cancel: Callable[[int], None]
    ) -> Subscription | None:
        """LISTEN on a dedicated pooled connection (PostgreSQL); ``None`` on SQLite."""
        if not self._pg:
            return None
        pool: Any = getattr(self._db, "pool")  # noqa: B009 - PostgreSQL engine only

        def new(_conn: object, _pid: int, _channel: str, _payload: str) -> None:
            on_new()

        def cancel(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            if payload.isdigit():
                on_cancel(int(payload))

        try:
            conn = await pool.acquire()
        except Exception as exc:  # any driver failure means "no push right now"
            raise StorageUnavailable(f"cannot LISTEN: {exc}") from exc
        try:
            await conn.add_listener(CHANNEL_NEW, new)
            await conn.add_listener(CHANNEL_CANCEL, cancel)
        except Exception as exc:
            await _release(pool, conn)
            raise StorageUnavailable(f"cannot LISTEN: {exc}") from exc
        return _PgSubscription(pool, conn)


class _PgSubscription:
    """Both channels on one pooled connection, held until :meth:`close`."""

    def __init__(self, pool: Any, conn: Any) -> None:
        self._pool = pool
        self._conn = conn
        self._closed = False

    @property
    def alive(self) -> bool:
        """False once closed or when the server dropped the connection."""
        return not self._closed and not self._conn.is_closed()

    async def close(self) -> None:
        """Return the connection (listeners are removed by the pool's reset)."""
        if self._closed:
            return
        self._closed = True
        await _release(self._pool, self._conn)


async def _release(pool: Any, conn: Any) -> None:
    try:
        await pool.release(conn)
    except Exception:  # a broken connection is simply dropped
        log.debug("releasing the LISTEN connection failed", exc_info=True)
        conn.terminate()


async def _append_events(db: Database, events: Sequence[TaskEvent]) -> None:
    """Append one or more lines to the task event log in one statement (inside a
    transaction)."""
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(events))
    args = [
        value
        for event in events
        for value in (
            event.task_id,
            db.ts(event.at),
            event.actor,
            None if event.from_state is None else int(event.from_state),
            int(event.to_state),
            event.start_count,
            event.reason,
        )
    ]
    await db.execute(f"INSERT INTO batchtask_event ({_EVENT_COLUMNS}) VALUES {rows}", *args)


def _statuses(attempts: Sequence[Attempt], held: Mapping[int, bool]) -> dict[int, LeaseStatus]:
    out = {}
    for attempt in attempts:
        cancel = held.get(attempt.task_id)
        if cancel is None:
            out[attempt.task_id] = LeaseStatus.LOST
        else:
            out[attempt.task_id] = LeaseStatus.CANCEL_REQUESTED if cancel else LeaseStatus.HELD
    return out
