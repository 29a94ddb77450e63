"""``batchtask task start|list|show|stop|rm``: batch tasks from the command line.

``task start NAME --param k=v --wait`` follows the task with a progress bar and exits 0 only when
it succeeded, so scripts can chain on it. With ``--url`` every command drives a remote server
through ``batchtask.client`` instead of opening the database (``remote_task.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from batchtask.bootstrap import tenant_services
from batchtask.cli import remote_task
from batchtask.cli.options import add_database, add_tenant, parameters
from batchtask.cli.progress_bar import task_bar
from batchtask.config import Settings
from batchtask.domain.ports import TaskFilter
from batchtask.domain.state import BatchTaskState, parse_state
from batchtask.domain.task import SYSTEM_ASSOCIATE, BatchTask, NewTask
from batchtask.i18n.translator import translator_for
from batchtask.services.container import Services
from batchtask.services.tasks import SOURCE_CLI

SUCCESS = frozenset({BatchTaskState.Succeeded, BatchTaskState.SucceededManualCleanup})
#: Seconds between two looks at a task being waited for.
POLL = 0.2
_ENGLISH = translator_for("en", None)


def register(commands: Any) -> None:
    """Add the ``task`` command group."""
    group = commands.add_parser("task", help="start, list, show, stop and delete batch tasks")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    start = actions.add_parser("start", help="start a task (prints its id)")
    start.add_argument("name", help="task definition, e.g. batchtask.sleep")
    start.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="a ParameterObject entry"
    )
    start.add_argument("--description", default="")
    start.add_argument("--user", metavar="NAME", help="owner (default: a system task)")
    start.add_argument("--internal", action="store_true", help="delete the row when it succeeds")
    start.add_argument("--wait", action="store_true", help="follow progress until it ends")
    start.add_argument("--timeout", type=float, metavar="SECONDS", help="give up waiting after")
    add_database(start)
    add_tenant(start)
    remote_task.add_remote(start)
    start.set_defaults(handler=run_start)

    listing = actions.add_parser("list", help="list tasks")
    listing.add_argument("--state", help="only tasks in this state (name or number)")
    listing.add_argument("--name", help="only tasks of this definition")
    listing.add_argument("--user", metavar="NAME", help="only tasks of this owner")
    listing.add_argument("--limit", type=int, default=50, help="newest N (default 50)")
    add_database(listing)
    add_tenant(listing)
    remote_task.add_remote(listing)
    listing.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="one task with its parameters and event log")
    show.add_argument("id", type=int)
    add_database(show)
    add_tenant(show)
    remote_task.add_remote(show)
    show.set_defaults(handler=run_show)

    stop = actions.add_parser("stop", help="stop a task (prints true or false)")
    stop.add_argument("id", type=int)
    add_database(stop)
    add_tenant(stop)
    remote_task.add_remote(stop)
    stop.set_defaults(handler=run_stop)

    remove = actions.add_parser("rm", help="delete tasks (running ones are stopped first)")
    remove.add_argument("ids", type=int, nargs="+", metavar="ID")
    add_database(remove)
    add_tenant(remove)
    remote_task.add_remote(remove)
    remove.set_defaults(handler=run_remove)


async def _owner(services: Services, name: str | None) -> int:
    if name is None:
        return SYSTEM_ASSOCIATE
    user = await services.users.get(name)
    return user.associate_id


def _actor(name: str | None) -> str:
    """``user:NAME`` when the command names a user, else ``cli`` (the event's source says cli)."""
    return f"user:{name}" if name else "cli"


async def run_start(args: argparse.Namespace, settings: Settings) -> int:
    """Create a ``New`` task; with ``--wait`` follow it to its end."""
    if args.url:
        return await remote_task.start(args)
    async with tenant_services(settings, args.tenant) as services:
        new = NewTask(
            name=args.name,
            associate_id=await _owner(services, args.user),
            description=args.description,
            database_serial_number=settings.database_serial_number,
            is_internal=args.internal,
            parameters=parameters(args.param),
        )
        task_id = await services.store.tasks.create(
            new, now=services.clock.now(), actor=_actor(args.user), source=SOURCE_CLI
        )
        print(task_id, flush=True)
        if not args.wait:
            return 0
        return await follow(services, task_id, give_up=args.timeout)


async def follow(services: Services, task_id: int, *, give_up: float | None = None) -> int:
    """A live progress bar until the task ends: 0 on success, 1 on failure, 3 on timeout."""
    deadline = None if give_up is None else time.monotonic() + give_up
    console = Console(stderr=True)
    with task_bar(console) as update:
        while True:
            task = await services.store.tasks.get(task_id)
            if task is None:
                state = await _gone(services, task_id)
                update(state.name, 100, "")
                break
            update(task.state.name, task.progress_percent, _ENGLISH.text(task.progress_description))
            if task.state.is_finished:
                state = task.state
                break
            if deadline is not None and time.monotonic() > deadline:
                console.print(f"task {task_id} still {task.state.name} after {give_up:g} s")
                return 3
            await asyncio.sleep(POLL)
    if task is not None and task.response:
        console.print(f"{state.name}: {_ENGLISH.text(task.response)}")
    else:
        console.print(state.name)
    return 0 if state in SUCCESS else 1


async def _gone(services: Services, task_id: int) -> BatchTaskState:
    """How a task that no longer exists ended (internal tasks are deleted when they succeed)."""
    for event in reversed(await services.store.tasks.events(task_id)):
        if event.to_state.is_finished:
            return event.to_state
    return BatchTaskState.Unknown


async def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """A table of the newest tasks."""
    if args.url:
        return await remote_task.listing(args)
    try:
        state = None if args.state is None else parse_state(args.state)
    except ValueError as exc:
        print(f"batchtask: {exc}", file=sys.stderr)
        return 2
    async with tenant_services(settings, args.tenant) as services:
        owners = None if args.user is None else [await _owner(services, args.user)]
        found = await services.store.tasks.find(
            TaskFilter(associate_ids=owners, state=state, name=args.name)
        )
    table = Table("Id", "Name", "State", "Owner", "Starts", "Progress", "Response", "Created")
    for task in found[-max(1, args.limit) :]:
        table.add_row(
            str(task.id), task.name, task.state.name, str(task.associate_id),
            str(task.start_count), f"{task.progress_percent}%", _ENGLISH.text(task.response),
            task.created.strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
    Console().print(table)
    return 0


async def run_show(args: argparse.Namespace, settings: Settings) -> int:
    """Every field, the parameters and the event log of one task."""
    if args.url:
        return await remote_task.show(args)
    async with tenant_services(settings, args.tenant) as services:
        task = await services.store.tasks.get(args.id)
        events = await services.store.tasks.events(args.id)
    console = Console()
    if task is None and not events:
        print(f"batchtask: task {args.id} not found", file=sys.stderr)
        return 1
    if task is not None:
        console.print(_fields(task))
    log = Table("At (UTC)", "Actor", "From", "To", "Start", "Reason", title="Events")
    for event in events:
        log.add_row(
            event.at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], event.actor,
            "" if event.from_state is None else event.from_state.name, event.to_state.name,
            str(event.start_count), event.reason,
        )  # fmt: skip
    console.print(log)
    return 0


def _fields(task: BatchTask) -> Table:
    table = Table("Field", "Value", title=f"BatchTask {task.id}", show_header=False)
    rows: list[tuple[str, object]] = [
        ("Name", task.name), ("State", task.state.name), ("AssociateId", task.associate_id),
        ("Description", task.description), ("StartCount", task.start_count),
        ("LastStarted", task.last_started or ""), ("Created", task.created),
        ("Progress", f"{task.progress_percent}% {_ENGLISH.text(task.progress_description)}"),
        ("Response", _ENGLISH.text(task.response)), ("Result", task.result),
        ("FileName", task.file_name), ("IsInternalTask", task.is_internal),
        ("CancellationBehaviour", task.cancellation_behaviour.name),
        ("Lease", f"{task.lease_owner or ''} {task.lease_expires or ''}".strip()),
        ("ParameterObject", ", ".join(f"{k}={v}" for k, v in task.parameters.items())),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, str(value))
    return table


async def run_stop(args: argparse.Namespace, settings: Settings) -> int:
    """SPEC §8.4 Stop; prints ``true``/``false`` and exits 0 only on ``true``."""
    if args.url:
        return await remote_task.stop(args)
    async with tenant_services(settings, args.tenant) as services:
        stopped = await services.store.runs.request_stop(
            args.id, now=services.clock.now(), actor=_actor(None), source=SOURCE_CLI
        )
    print("true" if stopped else "false")
    return 0 if stopped else 1


async def run_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Stop running tasks, then delete the rows with their parameters."""
    if args.url:
        return await remote_task.remove(args)
    async with tenant_services(settings, args.tenant) as services:
        now = services.clock.now()
        for task_id in args.ids:
            task = await services.store.tasks.get(task_id)
            if task is not None and task.state.is_running:
                await services.store.runs.request_stop(
                    task_id, now=now, actor=_actor(None), source=SOURCE_CLI
                )
        deleted = await services.store.tasks.delete(
            args.ids, now=now, actor=_actor(None), source=SOURCE_CLI
        )
        await services.tasks.remove_files(args.ids)
    print(f"deleted {deleted}")
    return 0
