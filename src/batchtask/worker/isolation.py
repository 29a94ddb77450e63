"""Running a handler in a spawned child process, so that a Stop or a timeout can kill it.

Parent and child share one duplex pipe. The child sends ``("update", Snapshot)`` whenever the
handler reports something and ends with ``("done",)`` or ``("error", summary, permanent)``. The
parent sends ``"cancel"`` when the task must stop; a watcher thread in the child turns that into
``ctx.cancelled``. When the parent dies (even by ``kill -9``) the child reads end-of-file on the
pipe and exits at once, so an orphan can never keep running a task that was handed to another
worker.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from batchtask.worker.context import TaskContext, TaskInfo
from batchtask.worker.errors import TaskFailed

#: Exit status of a child whose parent disappeared.
ORPHANED = 70


def summary(exc: BaseException) -> str:
    """One line about an exception, for the task's Response."""
    if isinstance(exc, TaskFailed) and str(exc):
        return str(exc)
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def resolve(module: str, qualname: str) -> Any:
    """The object called ``qualname`` in ``module``."""
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def child_main(
    module: str, qualname: str, info: TaskInfo, files_dir: str, conn: Connection
) -> None:
    """Entry point of the child process."""
    cancel = threading.Event()

    def watch() -> None:
        try:
            while True:
                if conn.recv() == "cancel":
                    cancel.set()
        except (EOFError, OSError):
            os._exit(ORPHANED)

    threading.Thread(target=watch, name="batchtask-parent-watch", daemon=True).start()
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            conn.send(message)

    ctx = TaskContext(
        info,
        files_dir=Path(files_dir),
        cancel_flag=cancel,
        on_change=lambda: send(("update", ctx.snapshot())),
    )
    try:
        handler = resolve(module, qualname)
        if inspect.iscoroutinefunction(handler):
            asyncio.run(handler(ctx))
        else:
            handler(ctx)
    except BaseException as exc:  # everything is reported to the parent
        send(("error", summary(exc), isinstance(exc, TaskFailed)))
    else:
        send(("done",))
