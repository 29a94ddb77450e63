"""``batchtask task … --url``: the task commands driving a real ``batchtask serve`` over HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.test_cli_and_serve import cli, free_port, serve
from tests.e2e.test_worker import worker

pytestmark = pytest.mark.e2e
PASSWORD = "a long password"


def test_task_commands_against_a_remote_server(tmp_path: Path) -> None:
    """start, list, show, stop, rm and start --wait go through the client to the server."""
    database = f"sqlite:///{tmp_path / 'remote.db'}"
    cli("db", "upgrade", database=database)
    cli("user", "add", "alice", "--password", PASSWORD, database=database)
    elsewhere = f"sqlite:///{tmp_path / 'unused.db'}"  # --url never opens a database
    login: list[str] = []

    def remote(*args: str, check: bool = True) -> tuple[int, str, str]:
        done = cli("task", *args, *login, database=elsewhere, check=check)
        return done.returncode, done.stdout, done.stderr

    for base, _ in serve(database):
        login[:] = ["--url", base, "--username", "alice", "--password", PASSWORD]

        _, out, _ = remote(
            "start", "batchtask.sleep", "--param", "seconds=30", "--description", "d1"
        )
        task_id = out.strip()
        assert task_id.isdigit()
        _, table, _ = remote("list", "--state", "New")
        assert re.search(rf"│ {task_id}\s+│ batchtask\S*\s+│ New", table)
        _, shown, _ = remote("show", task_id)
        assert "batchtask.sleep" in shown
        assert "seconds=30" in shown
        assert remote("stop", task_id) == (0, "true\n", "")
        assert remote("stop", task_id, check=False)[:2] == (1, "false\n")
        _, table, _ = remote("list", "--name", "batchtask.sleep")
        assert "Failed" in table
        assert remote("rm", task_id, "424242")[1] == "deleted 1\n"
        code, _, err = remote("show", task_id, check=False)
        assert code == 1
        assert "not found" in err

        code, out, err = remote(
            "start", "batchtask.sleep", "--wait", "--timeout", "0.5", check=False
        )
        assert code == 3  # no worker is running: the wait gives up
        assert "still New after 0.5 s" in err

        with worker(database):
            code, out, err = remote(
                "start", "batchtask.sleep", "--param", "seconds=1", "--param", "steps=2", "--wait"
            )
        assert code == 0
        assert out.strip().isdigit()
        assert "Succeeded" in err
        assert not (tmp_path / "unused.db").exists()


def test_remote_refusals_are_one_line_and_exit_1(tmp_path: Path) -> None:
    """Wrong credentials, an unreachable server and clashing credentials are reported plainly."""
    database = f"sqlite:///{tmp_path / 'remote.db'}"
    cli("db", "upgrade", database=database)
    cli("user", "add", "alice", "--password", PASSWORD, database=database)
    for base, _ in serve(database):
        wrong = cli("task", "list", "--url", base, "--username", "alice", "--password", "nope",
                    database=database, check=False)  # fmt: skip
        assert wrong.returncode == 1
        assert wrong.stderr.startswith("batchtask: 401 ")
    unreachable = cli("task", "stop", "1", "--url", f"http://127.0.0.1:{free_port()}",
                      "--ticket", "7T:x", database=database, check=False)  # fmt: skip
    assert unreachable.returncode == 1
    assert "cannot reach" in unreachable.stderr
    clash = cli("task", "stop", "1", "--url", "http://127.0.0.1:1", "--ticket", "7T:x",
                "--token", "8A:y", database=database, check=False)  # fmt: skip
    assert clash.returncode == 1
    assert "one kind of credentials" in clash.stderr
