"""Seeding a tenant in one call: users, and tasks with their fields kept as given.

All or nothing: every item is checked first — its shape (by the reader in ``serialisation``),
then against the tenant (a user name taken, an Id already used) — and every problem is reported
with the item's index; only a seed without any is written. Tasks keep the Id, State, Created,
LastStarted, StartCount, progress and texts they are given; a task without an Id gets the next
free one, a task without Created the tenant clock's now.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from batchtask.domain.errors import InvalidInput
from batchtask.domain.task import NewTask, TaskOutcome
from batchtask.domain.user import Role
from batchtask.services.container import Services

ACTOR = "emulator:seed"
SOURCE = "emulator"


@dataclass(frozen=True, slots=True)
class SeedUser:
    """A user to create."""

    name: str
    password: str
    role: Role = Role.user


@dataclass(frozen=True, slots=True)
class SeedTask:
    """A task to create as given."""

    new: NewTask
    #: ``None``: the next free id.
    id: int | None = None
    #: ``None``: the tenant clock's now.
    created: datetime | None = None
    #: ``AssociateId`` was given (else the tenant's first admin owns it).
    owner_given: bool = False
    #: What differs from a fresh ``New`` task (``None``: nothing).
    outcome: TaskOutcome | None = None


@dataclass(frozen=True, slots=True)
class Seed:
    """Users and tasks to create in one tenant."""

    users: tuple[SeedUser, ...] = ()
    tasks: tuple[SeedTask, ...] = ()


def refuse(problems: list[str]) -> InvalidInput:
    """One 400 listing every bad item."""
    return InvalidInput("the seed was not applied: " + "; ".join(problems), field="seed")


async def plant(services: Services, seed: Seed) -> list[int]:
    """Create the seed's users and tasks in ``services``' tenant; the tasks' ids, in order."""
    store = services.store
    problems: list[str] = []
    names: set[str] = set()
    for index, user in enumerate(seed.users):
        key = user.name.casefold()
        if key in names or await store.users.by_name(user.name) is not None:
            problems.append(f"Users[{index}].Name: the user {user.name!r} exists")
        names.add(key)
    free_from = await store.tasks.next_id()
    ids: set[int] = set()
    for index, task in enumerate(seed.tasks):
        if task.id is None:
            continue
        if task.id in ids:
            problems.append(f"Tasks[{index}].Id: {task.id} is given twice")
        elif task.id < free_from:
            problems.append(f"Tasks[{index}].Id: {task.id} is used (ids from {free_from} are free)")
        ids.add(task.id)
    if problems:
        raise refuse(problems)
    for user in seed.users:
        await services.users.add(user.name, user.password, user.role)
    admins = [u for u in await store.users.all() if u.role is Role.admin]
    owner = admins[0].associate_id if admins else 0
    order = sorted((i for i, t in enumerate(seed.tasks) if t.id is not None),
                   key=lambda i: seed.tasks[i].id or 0)  # fmt: skip
    order += [i for i, t in enumerate(seed.tasks) if t.id is None]
    created: dict[int, int] = {}
    for index in order:
        task = seed.tasks[index]
        if task.id is not None:
            await store.tasks.next_id(at_least=task.id)
        new = task.new
        if not task.owner_given:
            new = replace(new, associate_id=owner)
        now = services.clock.now()
        task_id = await store.tasks.create(new, now=task.created or now, actor=ACTOR, source=SOURCE)
        if task.outcome is not None:
            await store.tasks.record_outcome(
                task_id, task.outcome, now=now, actor=ACTOR, reason="seeded"
            )
        created[index] = task_id
    return [created[index] for index in range(len(seed.tasks))]
