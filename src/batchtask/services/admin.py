"""The console's use cases (SPEC §10.1): the task page, a task's story, actions one by one or in
bulk, definitions, workers and queue figures — every one as a ``Principal``, with §6 rights.

**Rights.** Everyone reads everything; a change needs ``may_change`` (admins, or the owner of a
user task). Single actions refuse with 403 (``Forbidden``) and change nothing. Bulk actions
decide per task: forbidden, missing or not-applicable tasks are listed under ``Skipped`` with a
reason, the rest are done — or only counted, with ``DryRun``.

**Audit.** Every change is written to the task's event log by storage, with the actor
(``user:NAME``) and the source the HTTP edge names (``console`` for browser sessions,
``admin-api`` otherwise, ``cli`` from the command line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from batchtask.domain.actions import TaskAction, allowed_actions, may_stop
from batchtask.domain.clock import Clock
from batchtask.domain.errors import Conflict, Forbidden, InvalidInput, TaskNotFound
from batchtask.domain.ports import Store, TaskEvent
from batchtask.domain.rights import REASON_NOT_OWNER, TaskRights, may_change
from batchtask.domain.state import BatchTaskState
from batchtask.domain.stats import DefinitionFigures, QueueStats
from batchtask.domain.task import SYSTEM_ASSOCIATE, BatchTask
from batchtask.domain.task_list import MAX_BULK, TaskBrief, TaskListQuery, TaskPage, TaskSelection
from batchtask.domain.user import Principal
from batchtask.domain.worker_info import WorkerInfo
from batchtask.services.tasks import TaskService, actor

#: ``Skipped`` reasons of bulk actions (string resources, translated like every ``Reason``).
SKIP_MISSING = "[SR_ADMIN_SKIP_MISSING]"
SKIP_NOT_STOPPABLE = "[SR_ADMIN_SKIP_NOT_STOPPABLE]"
SKIP_NOT_FINISHED = "[SR_ADMIN_SKIP_NOT_FINISHED]"
#: Limits of ``GET stats``.
MAX_WINDOW = 7 * 24 * 3600
MAX_POINTS = 1440
#: The window of the definition figures.
RECENT = timedelta(hours=24)


class NotFinished(Conflict):
    """Only a finished task can be retried."""

    resource = "SR_ERROR_TASK_NOT_FINISHED"

    def __init__(self, task_id: int) -> None:
        super().__init__(f"BatchTask id {task_id} has not finished", id=task_id)


@dataclass(frozen=True, slots=True)
class TaskStory:
    """A task with the caller's rights, its event log, and what the caller may do now."""

    task: BatchTask
    rights: TaskRights
    events: list[TaskEvent]
    actions: tuple[TaskAction, ...]


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What a bulk action matched, did (or would do) and skipped, with why."""

    matched: int
    done: int
    skipped: list[tuple[int, str]]


class AdminService:
    """The admin API and the console, on top of the task use cases."""

    def __init__(self, store: Store, clock: Clock, tasks: TaskService) -> None:
        self._store = store
        self._clock = clock
        self._tasks = tasks

    def _selection(self, principal: Principal, selection: TaskSelection) -> TaskSelection:
        return replace(selection, now=self._clock.now(), associate_id=principal.associate_id)

    async def page(self, principal: Principal, query: TaskListQuery) -> TaskPage:
        """One page of the tasks matching a selection (everyone may read every task)."""
        selection = self._selection(principal, query.selection)
        return await self._store.admin.page(replace(query, selection=selection))

    async def story(self, principal: Principal, task_id: int) -> TaskStory:
        """One task, its event log and the caller's actions; 404 when missing."""
        task, rights = await self._tasks.get(principal, task_id)
        events = await self._store.tasks.events(task_id)
        return TaskStory(task, rights, events, allowed_actions(principal, task))

    async def stop(self, principal: Principal, task_id: int, *, source: str) -> bool:
        """SPEC §8.4; 404 when missing, 403 when not the caller's to change."""
        await self._changeable(principal, task_id)
        return await self._tasks.stop(principal, task_id, source=source)

    async def retry(self, principal: Principal, task_id: int, *, source: str) -> TaskStory:
        """A finished task back to ``New`` (fresh retry budget); 409 when it has not finished."""
        task = await self._changeable(principal, task_id)
        if not task.state.is_finished:
            raise NotFinished(task_id)
        done = await self._store.admin.retry(
            [task_id], now=self._clock.now(), actor=actor(principal), source=source
        )
        if not done:  # finished a moment ago, and changed since
            raise NotFinished(task_id)
        self._tasks.work_may_be_waiting()
        return await self.story(principal, task_id)

    async def delete(self, principal: Principal, task_id: int, *, source: str) -> None:
        """SPEC §5.1 DELETE: idempotent, 403 for someone else's task."""
        await self._tasks.delete(principal, [task_id], source=source)

    async def _changeable(self, principal: Principal, task_id: int) -> BatchTask:
        task = await self._store.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if not may_change(principal, task):
            raise Forbidden("Only the owner of the task or an administrator can change it")
        return task

    async def bulk(
        self,
        principal: Principal,
        action: TaskAction,
        *,
        ids: Sequence[int] | None = None,
        selection: TaskSelection | None = None,
        dry_run: bool = False,
        source: str,
    ) -> BulkOutcome:
        """Stop, Retry or Delete each task of ``ids`` or of a selection, with per-task rights.

        More than :data:`MAX_BULK` ids, or a selection matching more (unless ``dry_run``), is a
        400 and changes nothing.
        """
        if action is TaskAction.Edit:
            raise InvalidInput("Action must be Stop, Retry or Delete", field="Action")
        skipped: list[tuple[int, str]] = []
        if ids is not None:
            if len(set(ids)) > MAX_BULK:
                raise InvalidInput(f"at most {MAX_BULK} ids per call", field="Ids")
            briefs = await self._store.admin.briefs(ids)
            found = {brief.id for brief in briefs}
            skipped += [(task_id, SKIP_MISSING) for task_id in sorted(set(ids) - found)]
        else:
            chosen = self._selection(principal, selection or TaskSelection())
            briefs = await self._store.admin.matching(chosen, MAX_BULK + 1)
            if len(briefs) > MAX_BULK:
                matched = await self._store.admin.count(chosen)
                if dry_run:  # the real call would be refused: nothing would be done
                    return BulkOutcome(matched, 0, [])
                raise InvalidInput(
                    f"the filter matches {matched} tasks; at most {MAX_BULK} per call",
                    field="Filter",
                )
        todo: list[int] = []
        for brief in briefs:
            reason = self._refusal(principal, action, brief)
            if reason is None:
                todo.append(brief.id)
            else:
                skipped.append((brief.id, reason))
        if dry_run:
            return BulkOutcome(len(briefs), len(todo), sorted(skipped))
        done = await self._apply(principal, action, todo, source)
        why = SKIP_NOT_STOPPABLE if action is TaskAction.Stop else SKIP_NOT_FINISHED
        skipped += [(task_id, why) for task_id in sorted(set(todo) - set(done))]
        return BulkOutcome(len(briefs), len(done), sorted(skipped))

    @staticmethod
    def _refusal(principal: Principal, action: TaskAction, brief: TaskBrief) -> str | None:
        mine = principal.is_admin or (
            brief.associate_id != SYSTEM_ASSOCIATE and brief.associate_id == principal.associate_id
        )
        if not mine:
            return REASON_NOT_OWNER
        if action is TaskAction.Stop and not may_stop(
            brief.state, brief.cancellation, brief.stop_requested
        ):
            return SKIP_NOT_STOPPABLE
        if action is TaskAction.Retry and not brief.state.is_finished:
            return SKIP_NOT_FINISHED
        return None

    async def _apply(
        self, principal: Principal, action: TaskAction, todo: list[int], source: str
    ) -> list[int]:
        now, who = self._clock.now(), actor(principal)
        if not todo:
            return []
        if action is TaskAction.Stop:
            return await self._store.admin.stop(todo, now=now, actor=who, source=source)
        if action is TaskAction.Retry:
            retried = await self._store.admin.retry(todo, now=now, actor=who, source=source)
            if retried:
                self._tasks.work_may_be_waiting()
            return retried
        await self._store.tasks.delete(todo, now=now, actor=who, source=source)
        await self._tasks.remove_files(todo)
        return todo

    async def definitions(self) -> list[DefinitionFigures]:
        """Every definition with its figures and the number of alive workers that run it."""
        now = self._clock.now()
        figures = await self._store.stats.definitions(since=now - RECENT)
        workers = [w for w in await self._store.workers.all() if w.alive(now)]
        out = []
        for figure in figures:
            key = figure.name.casefold()
            count = sum(1 for w in workers if key in {n.casefold() for n in w.definitions})
            out.append(replace(figure, workers=count))
        return out

    async def workers(self) -> list[WorkerInfo]:
        """Every registered worker."""
        return await self._store.workers.all()

    async def stats(self, *, window: int = 3600, step: int = 60) -> QueueStats:
        """Counts now, the oldest wait, and ``window`` seconds of series in ``step`` steps."""
        if not 1 <= step <= MAX_WINDOW:
            raise InvalidInput(f"step must be 1..{MAX_WINDOW} seconds", field="step")
        if not step <= window <= MAX_WINDOW:
            raise InvalidInput(f"window must be step..{MAX_WINDOW} seconds", field="window")
        points = -(-window // step)
        if points > MAX_POINTS:
            raise InvalidInput(f"window/step gives more than {MAX_POINTS} points", field="step")
        now = self._clock.now()
        counts = await self._store.stats.counts()
        head = await self._store.stats.oldest_waiting(now)
        oldest = 0.0 if head is None else max(0.0, (now - head).total_seconds())
        epoch = int(now.timestamp())
        end = now + timedelta(seconds=(-epoch) % step) - timedelta(microseconds=now.microsecond)
        start = end - timedelta(seconds=points * step)
        series = await self._store.stats.series(
            start=start, step=step, points=points, waiting_now=counts.get(BatchTaskState.New, 0)
        )
        return QueueStats(now, counts, oldest, tuple(series))
