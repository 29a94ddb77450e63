"""batchtask.export writes the CSV of an archive query on both engines."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from batchtask.config import Settings
from batchtask.domain.ports import Store
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask, TaskOutcome
from batchtask.worker.builtins import Environment
from batchtask.worker.builtins.export import definitions
from batchtask.worker.context import TaskContext, TaskInfo
from batchtask.worker.errors import TaskFailed
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio


def exporter(store: Store, clock: FakeClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The export handler bound to the store."""
    env = Environment(
        settings=Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}"),
        runs=store.runs, clock=clock, tasks=store.tasks,
    )  # fmt: skip
    (spec,) = definitions(env)
    return spec.handler


async def seed(store: Store, clock: FakeClock, count: int) -> list[int]:
    """``count`` tasks, every third one Succeeded."""
    ids = []
    for index in range(count):
        task_id = await store.tasks.create(
            NewTask(name="batchtask.sleep", associate_id=1, description=f"task {index}"),
            now=clock.now(), actor="t",
        )  # fmt: skip
        if index % 3 == 0:
            await store.tasks.record_outcome(
                task_id, TaskOutcome(state=BatchTaskState.Succeeded), now=clock.now(), actor="t"
            )
        ids.append(task_id)
    return ids


async def test_export_writes_the_filtered_rows(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """Only matching tasks are written, with a header, and the result counts them."""
    ids = await seed(store, clock, 7)
    ctx = TaskContext(TaskInfo(99, "batchtask.export", {"filter": "State eq 4", "columns": "Description,State"}, 1, 1),
                      files_dir=tmp_path)  # fmt: skip
    await exporter(store, clock, tmp_path)(ctx)
    path = tmp_path / "99" / "export-99.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["Id", "Description", "State"]
    assert [int(row[0]) for row in rows[1:]] == [ids[0], ids[3], ids[6]]
    assert rows[1][1:] == ["task 0", "4"]
    snapshot = ctx.snapshot()
    assert snapshot.file_name == "export-99.csv"
    assert snapshot.result == "Exported 3 tasks"


async def test_export_pages_through_large_results(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """More rows than one page are all exported."""
    await seed(store, clock, 1005)
    ctx = TaskContext(TaskInfo(5, "batchtask.export", {}, 1, 1), files_dir=tmp_path)
    await exporter(store, clock, tmp_path)(ctx)
    rows = list(
        csv.reader((tmp_path / "5" / "export-5.csv").read_text(encoding="utf-8").splitlines())
    )
    assert len(rows) == 1006


@pytest.mark.parametrize(
    "parameters",
    [{"filter": "State eq"}, {"format": "xlsx"}, {"columns": "Nope"}, {"orderBy": "Request"}],
)
async def test_bad_parameters_fail_the_task(
    store: Store, clock: FakeClock, tmp_path: Path, parameters: dict[str, str]
) -> None:
    """A bad filter, format, column or order fails the task with a message."""
    ctx = TaskContext(TaskInfo(1, "batchtask.export", parameters, 1, 1), files_dir=tmp_path)
    with pytest.raises(TaskFailed):
        await exporter(store, clock, tmp_path)(ctx)


async def test_formula_cells_are_neutralised(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """Issue 11 #9 (OWASP CSV injection): a text cell starting with ``=``, ``+``, ``-``, ``@``,
    tab or CR gets a leading ``'``, so a spreadsheet shows it instead of running it; other text
    and numbers are written as they are."""
    texts = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "a=b", "plain"]
    for text in texts:
        await store.tasks.create(
            NewTask(name="batchtask.sleep", associate_id=1, description=text),
            now=clock.now(), actor="t",
        )  # fmt: skip
    ctx = TaskContext(TaskInfo(7, "batchtask.export", {"columns": "Description,State"}, 1, 1),
                      files_dir=tmp_path)  # fmt: skip
    await exporter(store, clock, tmp_path)(ctx)
    with (tmp_path / "7" / "export-7.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[1] for row in rows[1:]] == [
        "'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "plain"
    ]  # fmt: skip
    assert {row[2] for row in rows[1:]} == {"1"}
