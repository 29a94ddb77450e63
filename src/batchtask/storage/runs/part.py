"""What every concern of the run repository shares: the database, the task repository, names."""

from __future__ import annotations

from batchtask.domain.ports import Attempt
from batchtask.domain.state import BatchTaskState
from batchtask.storage.database import Database
from batchtask.storage.task_repository import SqlTaskRepository

CANCELLED = "[SR_BATCH_CANCELLED]"
WORKER_LOST = "[SR_BATCH_WORKER_LOST]"
#: PostgreSQL channels the triggers of migration 0002 notify; the payload is the task id.
CHANNEL_NEW = "batchtask_new"
CHANNEL_CANCEL = "batchtask_cancel"
SUCCESS = frozenset({BatchTaskState.Succeeded, BatchTaskState.SucceededManualCleanup})


def actor(attempt: Attempt) -> str:
    """Who writes an attempt's events."""
    return f"worker:{attempt.owner}"


class Part:
    """Base of the concern classes (cooperative: each adds its own queries)."""

    def __init__(self, db: Database, tasks: SqlTaskRepository) -> None:
        self._db = db
        self._tasks = tasks
