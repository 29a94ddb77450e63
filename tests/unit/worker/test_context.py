"""``TaskContext``: what handlers report is clamped, coalesced and safe to read across threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from batchtask.worker.context import Snapshot, TaskContext, TaskInfo

INFO = TaskInfo(7, "x", {"a": "1"}, 3, 2)


def test_facts_and_parameters_are_read_only(tmp_path: Path) -> None:
    """The parameters are a copy; the facts come from the claimed task."""
    ctx = TaskContext(INFO, files_dir=tmp_path)
    ctx.parameters["a"] = "changed"
    assert ctx.parameters == {"a": "1"}
    assert (ctx.task_id, ctx.name, ctx.associate_id, ctx.attempt) == (7, "x", 3, 2)


def test_progress_is_clamped_and_taken_once(tmp_path: Path) -> None:
    """Only the latest report is pending; percent 0..100, text at most 254 characters."""
    changes: list[int] = []
    ctx = TaskContext(INFO, files_dir=tmp_path, on_change=lambda: changes.append(1))
    assert ctx.take_progress() is None
    ctx.progress(-5, "a")
    ctx.progress(140.4, "b" * 300)
    taken = ctx.take_progress()
    assert taken is not None
    assert taken[0] == 100
    assert len(taken[1]) == 254
    assert ctx.take_progress() is None
    assert len(changes) == 2


def test_cancelled_follows_the_flag(tmp_path: Path) -> None:
    """The worker sets the flag; the handler reads ``cancelled``."""
    flag = threading.Event()
    ctx = TaskContext(INFO, files_dir=tmp_path, cancel_flag=flag)
    assert not ctx.cancelled
    flag.set()
    assert ctx.cancelled


def test_files_live_in_a_folder_per_task(tmp_path: Path) -> None:
    """``file(name)`` returns ``<files_dir>/<id>/<name>`` and records FileName."""
    ctx = TaskContext(INFO, files_dir=tmp_path)
    path = ctx.file("report.csv")
    assert path == tmp_path / "7" / "report.csv"
    assert path.parent.is_dir()
    assert ctx.snapshot().file_name == "report.csv"


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "..\\x", "a\0b", "x" * 261])
def test_file_names_cannot_escape(tmp_path: Path, name: str) -> None:
    """Only plain names are accepted."""
    with pytest.raises(ValueError, match="plain file name"):
        TaskContext(INFO, files_dir=tmp_path).file(name)


def test_snapshots_round_trip(tmp_path: Path) -> None:
    """What a child process reports is applied to the parent's context."""
    child = TaskContext(INFO, files_dir=tmp_path)
    child.progress(30, "x")
    child.result("r")
    child.manual_cleanup()
    parent = TaskContext(INFO, files_dir=tmp_path)
    parent.apply(child.snapshot())
    assert parent.snapshot() == Snapshot((30, "x"), "r", None, True)
    assert parent.take_progress() == (30, "x")
    parent.apply(child.snapshot())
    assert parent.take_progress() is None
