"""One run of a handler, whatever its isolation, that can be asked to stop and be interrupted.

=========== ===================== ============================= ===========================
isolation   runs                  cooperative stop              interrupt (after the grace)
=========== ===================== ============================= ===========================
async       a task on the loop    ``ctx.cancelled``             ``Task.cancel()``
sync        a daemon thread       ``ctx.cancelled``             abandoned (cannot be killed)
process     a spawned child       ``ctx.cancelled`` via pipe    ``Process.kill()``
=========== ===================== ============================= ===========================

An abandoned thread keeps its worker slot until it really returns (:meth:`Execution.settled`), so
a handler that ignores ``cancelled`` can never make the worker run more than ``concurrency``
handlers at once; its writes are fenced out because the task has already ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from batchtask.worker.context import TaskContext
from batchtask.worker.errors import TaskFailed
from batchtask.worker.isolation import child_main, summary
from batchtask.worker.registry import Definition

#: Seconds to wait for a finished child process to exit before killing it.
_JOIN_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class HandlerResult:
    """How the handler ended."""

    ok: bool
    #: One-line error summary when not ``ok``.
    error: str = ""
    #: The handler raised :class:`TaskFailed`: do not retry.
    permanent: bool = False


_OK = HandlerResult(ok=True)
_INTERRUPTED = HandlerResult(ok=False, error="interrupted")


def _failed(exc: BaseException) -> HandlerResult:
    return HandlerResult(ok=False, error=summary(exc), permanent=isinstance(exc, TaskFailed))


class Execution:
    """Runs ``spec.handler(ctx)`` once."""

    def __init__(
        self, spec: Definition, ctx: TaskContext, cancel: threading.Event, files_dir: Path
    ) -> None:
        self._spec = spec
        self._ctx = ctx
        self._cancel = cancel
        self._files_dir = files_dir
        self._interrupted = False
        self._task: asyncio.Future[Any] | None = None
        self._thread_done: asyncio.Future[HandlerResult] | None = None
        self._abandon: asyncio.Future[None] | None = None
        self._process: Any = None
        self._conn: Connection | None = None

    async def run(self) -> HandlerResult:
        """Run the handler to its end (or until interrupted)."""
        if self._spec.isolation == "process":
            return await self._run_process()
        if self._spec.is_async:
            return await self._run_async()
        return await self._run_thread()

    def request_cancel(self) -> None:
        """Ask the handler to stop (``ctx.cancelled`` becomes true)."""
        self._cancel.set()
        if self._conn is not None:
            with contextlib.suppress(OSError):  # the child is already gone
                self._conn.send("cancel")

    def interrupt(self) -> None:
        """Stop waiting for the handler: cancel it, kill its process or abandon its thread."""
        self._interrupted = True
        self._cancel.set()
        if self._task is not None:
            self._task.cancel()
        if self._abandon is not None and not self._abandon.done():
            self._abandon.set_result(None)
        if self._process is not None and self._process.exitcode is None:
            self._process.kill()

    @property
    def straggling(self) -> bool:
        """An abandoned thread is still running the handler."""
        return self._thread_done is not None and not self._thread_done.done()

    async def settled(self) -> None:
        """Wait until an abandoned thread has really returned."""
        if self._thread_done is not None:
            await self._thread_done

    async def _run_async(self) -> HandlerResult:
        self._task = asyncio.ensure_future(self._spec.handler(self._ctx))
        if self._interrupted:
            self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the worker itself is being cancelled
            return _INTERRUPTED if self._interrupted else HandlerResult(False, "cancelled")
        except Exception as exc:
            return _failed(exc)
        return _OK

    async def _run_thread(self) -> HandlerResult:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[HandlerResult] = loop.create_future()
        self._thread_done = done
        self._abandon = loop.create_future()
        if self._interrupted:
            self._abandon.set_result(None)

        def settle(result: HandlerResult) -> None:
            if not done.done():
                done.set_result(result)

        def target() -> None:
            try:
                self._spec.handler(self._ctx)
                result = _OK
            except BaseException as exc:  # a thread has nobody else to report to
                result = _failed(exc)
            with contextlib.suppress(RuntimeError):  # loop closed: nobody waits any more
                loop.call_soon_threadsafe(settle, result)

        name = f"batchtask-task-{self._ctx.task_id}"
        threading.Thread(target=target, name=name, daemon=True).start()
        waiters: list[asyncio.Future[Any]] = [done, self._abandon]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        return done.result() if done.done() else _INTERRUPTED

    async def _run_process(self) -> HandlerResult:
        loop = asyncio.get_running_loop()
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe(duplex=True)
        handler = self._spec.handler
        process = spawn.Process(
            target=child_main,
            args=(handler.__module__, handler.__qualname__, self._ctx.info,
                  str(self._files_dir), theirs),
            name=f"batchtask-task-{self._ctx.task_id}",
            daemon=True,
        )  # fmt: skip
        try:
            await asyncio.to_thread(process.start)
        finally:
            theirs.close()
        self._process, self._conn = process, ours
        if self._interrupted:
            process.kill()
        elif self._cancel.is_set():
            self.request_cancel()
        messages: asyncio.Queue[tuple[Any, ...] | None] = asyncio.Queue()
        fd = ours.fileno()

        def readable() -> None:
            try:
                while ours.poll():
                    messages.put_nowait(ours.recv())
            except (EOFError, OSError):
                loop.remove_reader(fd)
                messages.put_nowait(None)

        loop.add_reader(fd, readable)
        result: HandlerResult | None = None
        try:
            while (message := await messages.get()) is not None:
                if message[0] == "update":
                    self._ctx.apply(message[1])
                elif message[0] == "done":
                    result = _OK
                elif message[0] == "error":
                    result = HandlerResult(ok=False, error=message[1], permanent=message[2])
        except BaseException:
            process.kill()  # the worker itself is going away: never leave the child behind
            raise
        finally:
            loop.remove_reader(fd)
            self._conn = None
            ours.close()
            await asyncio.to_thread(process.join, _JOIN_TIMEOUT)
            if process.exitcode is None:
                process.kill()
                await asyncio.to_thread(process.join)
        if result is not None:
            return result
        if self._interrupted:
            return _INTERRUPTED
        return HandlerResult(
            ok=False, error=f"the task's process exited with code {process.exitcode}"
        )
