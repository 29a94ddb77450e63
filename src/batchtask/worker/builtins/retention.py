"""``batchtask.retention`` (SPEC §8.6): deletes finished tasks older than their state's TTL.

Runs as a periodic system task (AssociateId 0) when ``retention_succeeded`` or
``retention_failed`` is set; ``SucceededManualCleanup`` tasks are never purged, and internal tasks
are already deleted when they succeed. Purging goes in batches so a large backlog never holds the
write lock for long, and a Stop takes effect between batches. The event lines of tasks deleted
through the API (which keep their history) go once older than the longest TTL set (issue 11 #11).
Then the files of every task that is gone — purged now, deleted earlier, internal tasks that
succeeded — are removed (``services/task_files.py``; issue 11 #10).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from batchtask.domain.ports import TaskFilter
from batchtask.domain.state import BatchTaskState
from batchtask.services.task_files import TaskFiles
from batchtask.worker.builtins import Environment
from batchtask.worker.context import TaskContext
from batchtask.worker.periodic import Periodic
from batchtask.worker.registry import Definition

NAME = "batchtask.retention"
DESCRIPTION = "[SR_BATCH_RETENTION_DESCRIPTION]"
BATCH = 500


def definitions(env: Environment) -> list[Definition]:
    """The retention definition, bound to the database and the TTL settings."""
    settings, runs, clock, tasks = env.settings, env.runs, env.clock, env.tasks
    files = TaskFiles(settings.files_path)

    async def existing(ids: Sequence[int]) -> set[int]:
        return {task.id for task in await tasks.find(TaskFilter(ids=list(ids)))}

    ttls = (
        (BatchTaskState.Succeeded, settings.retention_succeeded),
        (BatchTaskState.Failed, settings.retention_failed),
    )

    async def retention(ctx: TaskContext) -> None:
        deleted = 0
        active = [(state, ttl) for state, ttl in ttls if ttl > 0]
        for done, (state, ttl) in enumerate(active):
            before = clock.now() - timedelta(seconds=ttl)
            while not ctx.cancelled:
                count = await runs.purge(state, before=before, limit=BATCH)
                deleted += count
                if count < BATCH:
                    break
            ctx.progress(100 * (done + 1) / len(active), f"{deleted} tasks deleted")
        if active:  # the history of tasks deleted through the API, kept as long as any TTL
            before = clock.now() - timedelta(seconds=max(ttl for _, ttl in active))
            while not ctx.cancelled:
                if await runs.purge_orphan_events(before=before, limit=BATCH) < BATCH:
                    break
        if not ctx.cancelled:
            await files.sweep(existing)
        ctx.result(f"{deleted} tasks deleted")

    return [Definition(NAME, retention, description=DESCRIPTION, max_starts=3, backoff=60.0)]


def periodic(env: Environment) -> list[Periodic]:
    """Scheduled only when a TTL is set."""
    settings = env.settings
    if settings.retention_succeeded <= 0 and settings.retention_failed <= 0:
        return []
    return [Periodic(NAME, float(settings.retention_interval), DESCRIPTION)]
