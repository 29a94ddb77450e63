"""``batchtask task … --url URL``: the task commands against a remote server, through the client.

The same commands and output as the local ones, but over the HTTP API with the caller's own
credentials (``--username``/``--password``, ``--ticket`` or ``--token``), so they see and may do
exactly what that user may. Texts come back in English, as the local commands print them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from functools import wraps

import httpx
from rich.console import Console
from rich.table import Table

from batchtask.cli.options import parameters
from batchtask.cli.progress_bar import task_bar
from batchtask.client import (
    AsyncClient,
    BatchTaskError,
    BatchTaskInfo,
    BatchTaskState,
    NotFound,
    WaitTimeout,
)

SUCCESS = frozenset({BatchTaskState.Succeeded, BatchTaskState.SucceededManualCleanup})
Command = Callable[[argparse.Namespace], Awaitable[int]]


def add_remote(command: argparse.ArgumentParser) -> None:
    """``--url`` and the credentials to use there."""
    remote = command.add_argument_group("remote server (instead of --database)")
    remote.add_argument("--url", metavar="URL", help="drive the server at URL over its HTTP API")
    remote.add_argument("--username", metavar="NAME", help="log in as NAME (password asked)")
    remote.add_argument("--password", help="NAME's password (else asked on the terminal)")
    remote.add_argument("--ticket", help="an SOTicket (7T:…)")
    remote.add_argument("--token", help="a Bearer token (8A:…)")


def client_of(args: argparse.Namespace) -> AsyncClient:
    """A client for ``--url`` with the credentials given (``SystemExit`` when they clash)."""
    password = args.password
    if args.username and password is None:
        password = getpass.getpass(f"password for {args.username}: ")
    try:
        return AsyncClient(
            args.url, username=args.username, password=password, ticket=args.ticket,
            token=args.token, tenant=getattr(args, "tenant", None), language="en",
        )  # fmt: skip
    except ValueError as exc:
        raise SystemExit(f"batchtask: {exc}") from None


def remote(command: Command) -> Command:
    """Report the server's refusals and unreachable servers as one line and exit code 1."""

    @wraps(command)
    async def run(args: argparse.Namespace) -> int:
        try:
            return await command(args)
        except BatchTaskError as exc:
            print(f"batchtask: {exc}", file=sys.stderr)
        except httpx.TransportError as exc:
            print(f"batchtask: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1

    return run


@remote
async def start(args: argparse.Namespace) -> int:
    """Start a task owned by the caller; with ``--wait`` follow it to its end."""
    if args.user:
        raise SystemExit("batchtask: --user does not apply with --url (the task is the caller's)")
    async with client_of(args) as client:
        info = await client.start(
            args.name, parameters(args.param), description=args.description,
            is_internal_task=args.internal,
        )  # fmt: skip
        print(info.id, flush=True)
        if not args.wait:
            return 0
        console = Console(stderr=True)
        try:
            with task_bar(console) as update:
                done = await client.wait(
                    info.id,
                    timeout=args.timeout,
                    on_progress=lambda s: update(
                        s.state.name, s.progress_percent, s.progress_description
                    ),
                )
        except WaitTimeout as exc:
            console.print(f"task {info.id} still {exc.last.state.name} after {args.timeout:g} s")
            return 3
        except NotFound:
            if not args.internal:
                raise
            console.print("Succeeded (an internal task is deleted when it succeeds)")
            return 0
    console.print(f"{done.state.name}: {done.response}" if done.response else done.state.name)
    return 0 if done.state in SUCCESS else 1


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@remote
async def listing(args: argparse.Namespace) -> int:
    """The newest tasks the caller may read, oldest first, as the local table."""
    if args.user:
        raise SystemExit("batchtask: --user does not apply with --url; use --name or --state")
    clauses = []
    if args.state is not None:
        clauses.append(f"State eq {_quoted(args.state)}")
    if args.name is not None:
        clauses.append(f"DefinitionName eq {_quoted(args.name)}")
    limit = max(1, args.limit)
    async with client_of(args) as client:
        newest = client.list(
            filter=" and ".join(clauses) or None,
            order_by="registeredDate desc",
            page_size=min(limit, 1000),
        )
        found: list[BatchTaskInfo] = []
        async for info in newest:
            found.append(info)
            if len(found) >= limit:
                break
    table = Table("Id", "Name", "State", "Owner", "Starts", "Progress", "Response", "Created")
    for task in sorted(found, key=lambda t: t.id):
        table.add_row(
            str(task.id), task.name, task.state.name, str(task.associate_id),
            str(task.start_count), f"{task.progress_percent}%", task.response,
            task.created.strftime("%Y-%m-%d %H:%M:%S") if task.created else "",
        )  # fmt: skip
    Console().print(table)
    return 0


@remote
async def show(args: argparse.Namespace) -> int:
    """Every field of one task, and its event log when the server has the admin API."""
    async with client_of(args) as client:
        try:
            task = await client.get(args.id)
        except NotFound:
            print(f"batchtask: task {args.id} not found", file=sys.stderr)
            return 1
        try:
            events = (await client.admin.task(args.id)).events
        except BatchTaskError:
            events = None
    console = Console()
    console.print(_fields(task))
    if events is not None:
        log = Table("At (UTC)", "Actor", "From", "To", "Start", "Reason", title="Events")
        for event in events:
            log.add_row(
                event.at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if event.at else "", event.actor,
                event.from_state.name if event.from_state else "", event.to_state.name,
                str(event.start_count), event.reason,
            )  # fmt: skip
        console.print(log)
    return 0


def _fields(task: BatchTaskInfo) -> Table:
    table = Table("Field", "Value", title=f"BatchTask {task.id}", show_header=False)
    rows: list[tuple[str, object]] = [
        ("Name", task.name), ("State", task.state.name), ("AssociateId", task.associate_id),
        ("Description", task.description), ("StartCount", task.start_count),
        ("LastStarted", task.last_started or ""), ("Created", task.created or ""),
        ("Progress", f"{task.progress_percent}% {task.progress_description}"),
        ("Response", task.response), ("Result", task.result), ("FileName", task.file_name),
        ("IsInternalTask", task.is_internal_task),
        ("CancellationBehaviour", task.cancellation_behaviour.name),
        ("Rights", task.table_right.mask if task.table_right else ""),
        ("ParameterObject", ", ".join(f"{k}={v}" for k, v in task.parameter_object.items())),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, str(value))
    return table


@remote
async def stop(args: argparse.Namespace) -> int:
    """``POST BatchTask/{id}/Stop``; prints ``true``/``false``, exit 0 only on ``true``."""
    async with client_of(args) as client:
        stopped = await client.stop(args.id)
    print("true" if stopped else "false")
    return 0 if stopped else 1


@remote
async def remove(args: argparse.Namespace) -> int:
    """Delete tasks (the server stops running ones first); prints how many existed."""
    deleted = 0
    async with client_of(args) as client:
        for task_id in args.ids:
            try:
                await client.get(task_id)
            except NotFound:
                continue
            await client.delete(task_id)
            deleted += 1
    print(f"deleted {deleted}")
    return 0


__all__ = ["add_remote", "client_of", "listing", "remove", "show", "start", "stop"]
