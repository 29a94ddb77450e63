"""``batchtask user …`` and ``batchtask task …`` on a database, in this process, on each engine.

``tests/e2e`` runs the same commands as real processes for the README's flow; this file covers
every command and its refusals, and reads what the commands wrote through the store.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from batchtask.bootstrap import close_services, open_services
from batchtask.cli import task as task_cli
from batchtask.cli.main import main
from batchtask.config import Settings
from batchtask.domain.clock import SystemClock
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask, TaskOutcome
from batchtask.services.container import Services
from batchtask.storage.connect import open_store

S = BatchTaskState


@pytest.fixture
def db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database; cheap Argon2 and a wide terminal for the tables."""
    monkeypatch.setenv("BATCHTASK_ARGON2_MEMORY_COST", "8")
    monkeypatch.setenv("BATCHTASK_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["db", "upgrade", "--database", database_url]) == 0
    return database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``batchtask ARGV``: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def states(database: str, *ids: int) -> list[BatchTaskState | None]:
    """The state of each task (``None``: gone), read through the store."""

    async def read() -> list[BatchTaskState | None]:
        store = await open_store(database)
        try:
            found = [await store.tasks.get(task_id) for task_id in ids]
        finally:
            await store.close()
        return [None if task is None else task.state for task in found]

    return asyncio.run(read())


def test_user_add_list_passwd_and_remove(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The user group: created with a role, listed, password changed, removed; unknown: 1."""
    code, out, _ = run(capsys, "user", "add", "ann", "--password", "password one", "--role", "admin",
                       "--display-name", "Ann A.", "--database", db)  # fmt: skip
    assert code == 0
    assert out.startswith("created admin ann (AssociateId ")
    assert run(capsys, "user", "add", "bo", "--password", "password two", "--database", db)[0] == 0
    code, out, _ = run(capsys, "user", "list", "--database", db)
    assert code == 0
    assert "ann" in out
    assert "Ann A." in out
    assert "bo" in out
    code, out, _ = run(
        capsys, "user", "passwd", "bo", "--password", "password three", "--database", db
    )
    assert (code, out.strip()) == (
        0,
        "password changed for bo; their tickets and sessions are revoked",
    )
    assert run(capsys, "user", "remove", "bo", "--database", db)[:2] == (0, "removed bo\n")
    code, _, err = run(capsys, "user", "remove", "bo", "--database", db)
    assert code == 1
    assert err.startswith("batchtask: ")
    code, out, _ = run(capsys, "user", "list", "--database", db)
    assert "bo " not in out


def test_user_add_reads_the_password_from_stdin_when_not_a_terminal(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``--password`` and no terminal, the first line of stdin is the password."""
    monkeypatch.setattr("sys.stdin", _Lines("from stdin here\n"))
    assert run(capsys, "user", "add", "cy", "--database", db)[0] == 0
    monkeypatch.setattr("sys.stdin", _Lines("changed password\n"))
    assert run(capsys, "user", "passwd", "cy", "--database", db)[0] == 0


class _Lines:
    """A non-terminal stdin with fixed text."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines(keepends=True)

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        return self._lines.pop(0) if self._lines else ""


def test_task_start_list_show_stop_and_rm(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Start prints the id; list filters by state, name and owner; show has the fields and the
    event log; stop answers true once and false after; rm deletes."""
    assert run(capsys, "user", "add", "ann", "--password", "password one", "--database", db)[0] == 0
    code, out, _ = run(capsys, "task", "start", "batchtask.sleep", "--param", "seconds=5",
                       "--description", "mine", "--user", "ann", "--database", db)  # fmt: skip
    assert code == 0
    mine = int(out)
    code, out, _ = run(capsys, "task", "start", "batchtask.export", "--internal", "--database", db)
    system = int(out)
    assert states(db, mine, system) == [S.New, S.New]

    code, out, _ = run(capsys, "task", "list", "--database", db)
    assert code == 0
    assert "batchtask.sleep" in out
    assert "batchtask.export" in out
    code, out, _ = run(capsys, "task", "list", "--user", "ann", "--state", "New",
                       "--name", "batchtask.sleep", "--limit", "5", "--database", db)  # fmt: skip
    assert "batchtask.sleep" in out
    assert "batchtask.export" not in out
    code, _, err = run(capsys, "task", "list", "--state", "Sleepy", "--database", db)
    assert code == 2
    assert err.startswith("batchtask: ")

    code, out, _ = run(capsys, "task", "show", str(mine), "--database", db)
    assert code == 0
    for text in (f"BatchTask {mine}", "batchtask.sleep", "mine", "seconds=5", "Events", "user:ann"):
        assert text in out
    code, _, err = run(capsys, "task", "show", "999999", "--database", db)
    assert (code, err.strip()) == (1, "batchtask: task 999999 not found")

    assert run(capsys, "task", "stop", str(mine), "--database", db)[:2] == (0, "true\n")
    assert run(capsys, "task", "stop", str(mine), "--database", db)[:2] == (1, "false\n")
    assert states(db, mine) == [S.Failed]
    code, out, _ = run(capsys, "task", "show", str(mine), "--database", db)
    assert "[SR_BATCH_CANCELLED]" not in out  # shown in English, not as the resource key
    assert run(capsys, "task", "rm", str(mine), str(system), "--database", db)[:2] == (
        0, "deleted 2\n",
    )  # fmt: skip
    assert states(db, mine, system) == [None, None]
    code, out, _ = run(capsys, "task", "show", str(mine), "--database", db)
    assert code == 0  # gone, but its event log is still there
    assert "Events" in out


def test_task_rm_stops_a_running_task_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A running task is asked to stop before its row goes (its event log says so)."""

    async def started() -> int:
        store = await open_store(db)
        try:
            now = SystemClock().now()
            task_id = await store.tasks.create(NewTask("batchtask.sleep", 0), now=now, actor="t")
            await store.tasks.record_outcome(
                task_id, TaskOutcome(state=S.Started), now=now, actor="t"
            )
        finally:
            await store.close()
        return task_id

    task_id = asyncio.run(started())
    assert run(capsys, "task", "rm", str(task_id), "--database", db)[:2] == (0, "deleted 1\n")
    assert states(db, task_id) == [None]


def test_task_start_wait_gives_up_after_its_timeout(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No worker runs here, so ``--wait --timeout`` ends with exit code 3 and says why."""
    code, out, err = run(capsys, "task", "start", "batchtask.sleep", "--wait", "--timeout", "0",
                         "--database", db)  # fmt: skip
    assert code == 3
    assert f"task {int(out)} still New after 0 s" in err


def test_a_malformed_param_stops_the_command(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--param`` without ``=`` is refused before anything is written."""
    with pytest.raises(SystemExit, match="--param needs KEY=VALUE"):
        main(["task", "start", "batchtask.sleep", "--param", "oops", "--database", db])


class TestFollow:
    """``task start --wait`` follows the task: 0 on success, 1 otherwise, the outcome printed."""

    async def _services(self, database: str) -> Services:
        return await open_services(Settings(database_url=database))

    def test_success_failure_and_a_deleted_internal_task(
        self, db: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        async def scenario() -> list[int]:
            services = await self._services(db)
            try:
                now = services.clock.now()
                tasks = services.store.tasks
                ok = await tasks.create(NewTask("batchtask.sleep", 0), now=now, actor="t")
                bad = await tasks.create(NewTask("batchtask.sleep", 0), now=now, actor="t")
                gone = await tasks.create(
                    NewTask("batchtask.sleep", 0, is_internal=True), now=now, actor="t"
                )
                await tasks.record_outcome(
                    ok, TaskOutcome(state=S.Succeeded, progress_percent=100), now=now, actor="t"
                )
                await tasks.record_outcome(
                    bad, TaskOutcome(state=S.Failed, response="boom"), now=now, actor="t"
                )
                await tasks.record_outcome(gone, TaskOutcome(state=S.Succeeded), now=now, actor="t")
                await tasks.delete([gone], now=now, actor="t")
                return [
                    await task_cli.follow(services, ok),
                    await task_cli.follow(services, bad),
                    await task_cli.follow(services, gone),
                ]
            finally:
                await close_services(services)

        assert asyncio.run(scenario()) == [0, 1, 0]
        err = capsys.readouterr().err
        assert "Succeeded" in err
        assert "Failed: boom" in err


def test_ticket_and_token_print_only_the_credential(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ticket`` prints an SOTicket, ``token`` a Bearer token (with a lifetime); both usable by
    scripts as they are; an unknown user is exit 1 and a lifetime of 0 is refused."""
    assert run(capsys, "user", "add", "ann", "--password", "password one", "--database", db)[0] == 0
    code, out, _ = run(capsys, "ticket", "ann", "--database", db)
    assert code == 0
    assert out.startswith("7T:")
    assert len(out.split()) == 1
    code, out, _ = run(capsys, "token", "ann", "--expires", "60", "--database", db)
    assert code == 0
    assert len(out.split()) == 1
    assert run(capsys, "ticket", "nobody", "--database", db)[0] == 1
    with pytest.raises(SystemExit, match="--expires must be positive"):
        main(["token", "ann", "--expires", "0", "--database", db])


def test_db_status_before_and_after_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new database has every migration pending (exit 1); after ``upgrade``, none (exit 0)."""
    database = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, out, _ = run(capsys, "db", "status", "--database", database)
    assert code == 1
    assert "schema at version 0" in out
    assert "pending 0001_" in out
    code, out, _ = run(capsys, "db", "upgrade", "--database", database)
    assert code == 0
    assert "applied 0001_" in out
    code, out, _ = run(capsys, "db", "status", "--database", database)
    assert code == 0
    assert "pending" not in out


def test_invalid_settings_are_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad ``BATCHTASK_*`` value stops any command before it touches a database."""
    monkeypatch.setenv("BATCHTASK_POLL_INTERVAL", "soon")
    code, _, err = run(capsys, "user", "list", "--database", "sqlite:///nowhere.db")
    assert code == 2
    assert err.startswith("batchtask: invalid settings:")
