"""The files tasks write: ``<files folder>/<task id>/<name>``, removed when their task goes.

A task's folder is removed when the task is deleted (REST, agents, admin API, CLI) and, as a
sweep, by retention: every folder named by a task id that no longer exists goes, so the files of
tasks purged by retention, internal tasks deleted when they succeeded, rows deleted by hand, or a
file a still-running handler wrote just after its task's DELETE do not stay on disk forever (issue
11 #10). Task ids are never reused, so a folder whose task is gone belongs to nobody. Only folders
whose name is a task id are touched; the disk work runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path

log = logging.getLogger("batchtask.files")

#: Folders looked up in the database at once by the sweep.
SWEEP_BATCH = 500


class TaskFiles:
    """The files folder of one tenant's tasks."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def remove(self, task_ids: Iterable[int]) -> int:
        """Remove the folders of these tasks; how many there were."""
        ids = [int(task_id) for task_id in task_ids]
        if not ids:
            return 0
        return await asyncio.to_thread(self._remove, ids)

    async def sweep(self, existing: Callable[[Sequence[int]], Awaitable[set[int]]]) -> int:
        """Remove the folders of tasks that no longer exist (``existing`` says which of some
        ids do); how many went."""
        names = await asyncio.to_thread(self._task_folders)
        removed = 0
        for start in range(0, len(names), SWEEP_BATCH):
            batch = names[start : start + SWEEP_BATCH]
            alive = await existing(batch)
            removed += await self.remove(task_id for task_id in batch if task_id not in alive)
        return removed

    def _task_folders(self) -> list[int]:
        try:
            entries = list(self.root.iterdir())
        except OSError:  # no folder yet: nothing was ever written
            return []
        return sorted(
            int(entry.name)
            for entry in entries
            if entry.name.isascii() and entry.name.isdigit() and entry.is_dir()
        )

    def _remove(self, task_ids: list[int]) -> int:
        count = 0
        for task_id in task_ids:
            folder = self.root / str(task_id)
            if not folder.is_dir():
                continue
            try:
                shutil.rmtree(folder)
            except OSError as exc:  # a file held open elsewhere: the next sweep retries
                log.warning("could not remove %s: %s", folder, exc)
                continue
            count += 1
        return count
