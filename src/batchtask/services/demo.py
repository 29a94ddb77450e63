"""Demo data for ``batchtask serve --demo``: two users and tasks in every interesting state.

Created only in an empty database, so restarting with ``--demo`` never duplicates anything. The
tasks cover what a SuperOffice client meets: a ParameterObject, a system task, a task never
started (of a SuperOffice definition no worker here runs), a string-resource reference, a multi-language progress text, and LastStarted on the
started ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from batchtask.domain.clock import Clock
from batchtask.domain.ports import Store
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import SYSTEM_ASSOCIATE, NewTask, TaskOutcome
from batchtask.domain.user import Role
from batchtask.services.users import UserService

DEMO_ADMIN = "demo"
DEMO_USER = "user"

#: The never-started task's definition: a SuperOffice task (status monitor regeneration, run by
#: its Batch Task Server) that no batchtask worker runs, so the demo keeps a ``New`` task with
#: ``LastStarted`` unset even with the embedded worker on.
NEVER_STARTED = "RegenerateStatusMonitors"

PROGRESS_TEXT = (
    'US:"Export finished";NO:"Eksport fullført";SE:"Exporten är klar";DK:"Eksport færdig";'
    'GE:"Export abgeschlossen";FR:"Export terminé";NL:"Export voltooid";'
)


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    """Passwords generated for the demo users (printed once)."""

    admin_password: str
    user_password: str


async def seed_demo(
    store: Store, clock: Clock, users: UserService, *, serial: str
) -> DemoCredentials | None:
    """Create the demo users and tasks; ``None`` when the database already has users or tasks."""
    if await store.users.all() or await store.tasks.get(1) is not None:
        return None
    credentials = DemoCredentials(secrets.token_urlsafe(12), secrets.token_urlsafe(12))
    admin = await users.add(
        DEMO_ADMIN, credentials.admin_password, Role.admin, "Demo Administrator"
    )
    user = await users.add(DEMO_USER, credentials.user_password, Role.user, "Demo User")
    now = clock.now()
    earlier = now - timedelta(hours=2)

    async def task(new: NewTask, outcome: TaskOutcome | None = None) -> int:
        task_id = await store.tasks.create(new, now=earlier, actor="demo")
        if outcome is not None:
            await store.tasks.record_outcome(task_id, outcome, now=now, actor="demo", reason="demo")
        return task_id

    await task(
        NewTask(
            "batchtask.export",
            admin.associate_id,
            description="[SR_BATCH_DEMO_DESCRIPTION]",
            request="export",
            database_serial_number=serial,
            parameters={"filter": "State eq 4", "format": "csv"},
        ),
        TaskOutcome(
            BatchTaskState.Succeeded,
            1,
            earlier + timedelta(minutes=1),
            100,
            PROGRESS_TEXT,
            result="3 rows",
            response="[SR_BATCH_PROGRESS_DONE]",
            file_name="export-1.csv",
        ),
    )
    await task(
        NewTask(
            "batchtask.sleep",
            user.associate_id,
            description="Counting down",
            database_serial_number=serial,
            parameters={"seconds": "600", "steps": "10"},
        ),
        TaskOutcome(BatchTaskState.Started, 1, now - timedelta(minutes=4), 40, "Step 4 of 10"),
    )
    await task(
        NewTask(
            NEVER_STARTED,
            user.associate_id,
            description="Waiting for a worker",
            database_serial_number=serial,
            parameters={"runAsBatch": "true"},
        ),
    )
    await task(
        NewTask(
            "batchtask.http",
            user.associate_id,
            description="Notify the billing system",
            request="POST /hooks/billing",
            database_serial_number=serial,
        ),
        TaskOutcome(
            BatchTaskState.Failed,
            3,
            now - timedelta(minutes=30),
            0,
            "",
            response="[SR_BATCH_TIMED_OUT]",
        ),
    )
    await task(
        NewTask(
            "batchtask.retention",
            SYSTEM_ASSOCIATE,
            description="[SR_BATCH_RETENTION_DESCRIPTION]",
            database_serial_number=serial,
        ),
        TaskOutcome(
            BatchTaskState.SucceededManualCleanup,
            1,
            now - timedelta(hours=1),
            100,
            "[SR_BATCH_PROGRESS_DONE]",
            result="0 tasks deleted",
        ),
    )
    await task(
        NewTask(
            "batchtask.sleep",
            admin.associate_id,
            description="Nightly warm-up",
            database_serial_number=serial,
            parameters={"seconds": "1", "steps": "1"},
        ),
        TaskOutcome(
            BatchTaskState.Succeeded,
            1,
            now - timedelta(minutes=50),
            100,
            "[SR_BATCH_PROGRESS_DONE]",
            result="slept 1 s",
        ),
    )
    return credentials
