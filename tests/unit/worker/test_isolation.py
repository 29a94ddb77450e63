"""The child process of ``isolation="process"`` handlers never outlives its worker."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from batchtask.worker.context import TaskInfo
from batchtask.worker.errors import TaskFailed
from batchtask.worker.isolation import ORPHANED, child_main, resolve, summary
from tests.unit.worker import handlers


def test_a_child_exits_when_its_parent_end_of_the_pipe_closes(tmp_path: Path) -> None:
    """Closing the parent's end (what the kernel does when a worker is killed -9) ends the
    child at once, even in the middle of a long handler."""
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe(duplex=True)
    info = TaskInfo(1, "test.process", {"seconds": "60", "stubborn": "1"}, 0, 1)
    process = spawn.Process(
        target=child_main,
        args=("tests.unit.worker.handlers", "in_child", info, str(tmp_path), theirs),
        daemon=True,
    )
    process.start()
    theirs.close()
    try:
        kind, snapshot = ours.recv()  # the handler is running
        assert kind == "update"
        assert snapshot.progress[0] == 50
        ours.close()
        process.join(30)  # the handler would run 60 s: ending before that is the point
        assert process.exitcode == ORPHANED
    finally:
        if process.exitcode is None:
            process.kill()
            process.join()


def test_handlers_are_found_again_by_name() -> None:
    """The child resolves the handler by module and qualified name."""
    assert resolve("tests.unit.worker.handlers", "in_child") is handlers.in_child


def test_error_summaries_are_one_line() -> None:
    """TaskFailed keeps its message; other errors are prefixed with their type."""
    assert summary(TaskFailed("bad input")) == "bad input"
    assert summary(ValueError("a\nb")) == "ValueError: a b"
    assert summary(KeyError()) == "KeyError"
