"""The console actions a caller may take on a task right now (SPEC §10.1 ``Actions``).

Rights come first (§6: admins and owners may change a task, everyone else may only read it), then
the task's state: Stop while it waits or runs (unless its definition cannot be cancelled, or a
stop is already on its way), Retry once it has finished, Delete and Edit always.
"""

from __future__ import annotations

from enum import StrEnum

from batchtask.domain.rights import may_change
from batchtask.domain.state import BatchTaskState, CancellationBehaviour
from batchtask.domain.task import BatchTask
from batchtask.domain.user import Principal


class TaskAction(StrEnum):
    """An action of the console and the admin API, by its wire name."""

    Stop = "Stop"
    Retry = "Retry"
    Delete = "Delete"
    Edit = "Edit"


def may_stop(state: BatchTaskState, cancellation: CancellationBehaviour, stopping: bool) -> bool:
    """Stop would change something: waiting or running, cancellable, not already stopping."""
    if cancellation is CancellationBehaviour.CannotCancel or stopping:
        return False
    return state in (BatchTaskState.New, BatchTaskState.Aquired, BatchTaskState.Started)


def allowed_actions(principal: Principal, task: BatchTask) -> tuple[TaskAction, ...]:
    """The actions offered to ``principal`` on ``task`` now, in display order."""
    if not may_change(principal, task):
        return ()
    actions = []
    if may_stop(task.state, task.cancellation_behaviour, task.cancel_requested is not None):
        actions.append(TaskAction.Stop)
    if task.state.is_finished:
        actions.append(TaskAction.Retry)
    actions += [TaskAction.Delete, TaskAction.Edit]
    return tuple(actions)
