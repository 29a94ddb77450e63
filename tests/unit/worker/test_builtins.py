"""The built-in definitions: sleep, HTTP callback (allow-list, retries) and retention."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from batchtask.config import Settings
from batchtask.domain.clock import SystemClock
from batchtask.domain.ports import (
    Completion,
    DefinitionPolicy,
    RunRepository,
    Store,
    TaskRepository,
)
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import NewTask
from batchtask.worker.builtins import Environment, builtin_definitions, builtin_periodic, sleep
from batchtask.worker.builtins.callback import allowed, permitted
from batchtask.worker.context import TaskContext, TaskInfo
from batchtask.worker.errors import TaskFailed
from tests.conftest import FakeClock

S = BatchTaskState


def env(
    tmp_path: Path, runs: Any = None, clock: Any = None, tasks: Any = None, **settings: Any
) -> Environment:
    return Environment(
        settings=Settings(database_url=f"sqlite:///{tmp_path / 'db'}", **settings),
        runs=cast(RunRepository, runs),
        clock=clock or SystemClock(),
        tasks=cast(TaskRepository, tasks),
    )


def context(tmp_path: Path, **parameters: str) -> TaskContext:
    return TaskContext(TaskInfo(9, "x", parameters, 1, 1), files_dir=tmp_path)


def test_builtins_are_registered_and_retention_is_periodic_only_with_a_ttl(
    tmp_path: Path,
) -> None:
    """sleep, http, retention and export are defined; retention is scheduled when a TTL is set."""
    names = {spec.name for spec in builtin_definitions(env(tmp_path))}
    assert names == {"batchtask.sleep", "batchtask.http", "batchtask.retention", "batchtask.export"}
    assert builtin_periodic(env(tmp_path)) == []
    (periodic,) = builtin_periodic(env(tmp_path, retention_failed=60, retention_interval=30))
    assert (periodic.name, periodic.interval) == ("batchtask.retention", 30.0)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "parameters",
    [{"seconds": "x"}, {"seconds": "-1"}, {"seconds": "nan"}, {"steps": "0"}, {"seconds": "1e9"}],
)
async def test_sleep_refuses_bad_parameters(tmp_path: Path, parameters: dict[str, str]) -> None:
    """Bad parameters fail for good (no retry would help)."""
    with pytest.raises(TaskFailed, match="parameter"):
        await sleep.sleep(context(tmp_path, **parameters))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8080/hooks", True),
        ("http://127.0.0.1:8080/hooks/a?x=1", True),
        ("HTTP://127.0.0.1:8080/hooks/a", True),
        ("http://127.0.0.1:8080/hooksevil", False),
        ("http://127.0.0.1:80/hooks", False),
        ("http://127.0.0.1:8080.evil/hooks", False),
        ("https://127.0.0.1:8080/hooks", False),
        ("http://user:pw@127.0.0.1:8080/hooks", False),
        ("ftp://127.0.0.1:8080/hooks", False),
        ("http://example.com/any/path", True),
        ("http://example.com:80/x", True),
        ("http://example.com.evil.net/x", False),
        ("not a url", False),
    ],
)
def test_allow_list_matches_origin_and_path_segments(url: str, ok: bool) -> None:
    """Scheme, host and port must match exactly; paths match on segment boundaries."""
    assert allowed(url, ["http://127.0.0.1:8080/hooks", "http://example.com/"]) is ok


def test_nothing_is_allowed_by_default() -> None:
    """An empty allow-list allows no URL."""
    assert not allowed("http://127.0.0.1/", [])


class _Hooks(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, bytes, str]] = []  # noqa: RUF012 - test class state

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Hooks.received.append((self.path, body, self.headers.get("Idempotency-Key", "")))
        status = {"/ok": 200, "/missing": 404, "/down": 503, "/moved": 302}[self.path]
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/ok")
        payload = b"thanks" if status == 200 else b""
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def hooks() -> Iterator[str]:
    """A loopback HTTP server answering /ok, /missing, /down and /moved."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hooks.received.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_callback_posts_and_classifies_answers(tmp_path: Path, hooks: str) -> None:
    """2xx succeeds with the answer; 4xx fails for good; 5xx and refused connections retry;
    redirects are not followed; URLs outside the allow-list are refused."""
    (spec,) = [s for s in builtin_definitions(env(tmp_path, http_allow=(hooks + "/", "http://127.0.0.1:1/")))
               if s.name == "batchtask.http"]  # fmt: skip
    post = spec.handler
    ctx = context(tmp_path, url=hooks + "/ok", body='{"a": 1}')
    post(ctx)
    assert ctx.snapshot().result == "HTTP 200\nthanks"
    assert _Hooks.received == [("/ok", b'{"a": 1}', "batchtask-9")]
    with pytest.raises(TaskFailed, match="HTTP 404"):
        post(context(tmp_path, url=hooks + "/missing"))
    with pytest.raises(TaskFailed, match="HTTP 302"):
        post(context(tmp_path, url=hooks + "/moved"))
    with pytest.raises(ConnectionError, match="HTTP 503"):
        post(context(tmp_path, url=hooks + "/down"))
    with pytest.raises(ConnectionError):
        post(context(tmp_path, url="http://127.0.0.1:1/"))  # nothing listens on port 1
    with pytest.raises(TaskFailed, match="not allowed"):
        post(context(tmp_path, url="http://127.0.0.2:1/"))
    with pytest.raises(TaskFailed, match="required"):
        post(context(tmp_path))
    assert [path for path, _, _ in _Hooks.received] == ["/ok", "/missing", "/moved", "/down"]


@pytest.mark.anyio
async def test_retention_purges_old_finished_tasks_by_state(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """Succeeded and Failed go after their TTL; ManualCleanup and young tasks stay."""
    ids = await store.runs.register([DefinitionPolicy("t")], now=clock.now())
    ends = [S.Succeeded, S.Failed, S.SucceededManualCleanup, S.Succeeded]
    created = []
    for index, state in enumerate(ends):
        if index == 3:
            clock.advance(3600)
        task_id = await store.tasks.create(NewTask("t", 1), now=clock.now(), actor="t")
        (attempt,) = await store.runs.claim(
            list(ids.values()), owner="w", limit=1, now=clock.now(),
            lease=30,
        )  # fmt: skip
        await store.runs.finish(attempt, Completion(state), now=clock.now())
        created.append(task_id)
    clock.advance(60)
    environment = env(tmp_path, runs=store.runs, clock=clock,
                      retention_succeeded=600, retention_failed=600)  # fmt: skip
    (spec,) = [s for s in builtin_definitions(environment) if s.name == "batchtask.retention"]
    ctx = context(tmp_path)
    await spec.handler(ctx)
    assert ctx.snapshot().result == "2 tasks deleted"
    left = [task_id for task_id in created if await store.tasks.get(task_id) is not None]
    assert left == created[2:]


@pytest.mark.anyio
async def test_retention_deletes_the_history_of_tasks_deleted_through_the_api(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """Issue 11 #11: a task deleted through the API leaves its event lines behind; retention
    removes them once they are older than the longest TTL set (a live task's lines stay)."""
    await store.runs.register([DefinitionPolicy("t")], now=clock.now())
    deleted = await store.tasks.create(NewTask("t", 1), now=clock.now(), actor="t")
    live = await store.tasks.create(NewTask("t", 1), now=clock.now(), actor="t")
    await store.tasks.delete([deleted], now=clock.now(), actor="user:alice", source="api")
    clock.advance(3600)
    environment = env(tmp_path, runs=store.runs, clock=clock, tasks=store.tasks,
                      retention_succeeded=600, retention_failed=1800)  # fmt: skip
    (spec,) = [s for s in builtin_definitions(environment) if s.name == "batchtask.retention"]
    await spec.handler(context(tmp_path))
    assert await store.tasks.events(deleted) == []
    assert await store.tasks.events(live) != []


@pytest.mark.anyio
async def test_retention_deletes_the_files_of_tasks_that_are_gone(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """Issue 11 #10: the folders of purged tasks (and of tasks deleted any other way: by hand,
    an internal task that succeeded, a file written after a DELETE) go; the folders of tasks that
    remain, and anything that is not a task's folder, stay."""
    ids = await store.runs.register([DefinitionPolicy("t")], now=clock.now())
    old = await store.tasks.create(NewTask("t", 1), now=clock.now(), actor="t")
    (attempt,) = await store.runs.claim(list(ids.values()), owner="w", limit=1, now=clock.now(),
                                        lease=30)  # fmt: skip
    await store.runs.finish(attempt, Completion(S.Succeeded), now=clock.now())
    kept = await store.tasks.create(NewTask("t", 1), now=clock.now(), actor="t")
    clock.advance(3600)
    environment = env(tmp_path, runs=store.runs, clock=clock, tasks=store.tasks,
                      retention_succeeded=600)  # fmt: skip
    root = environment.settings.files_path
    for name in (str(old), str(kept), "987654", "notes"):
        (root / name).mkdir(parents=True)
        (root / name / "f.csv").write_text("x")
    (spec,) = [s for s in builtin_definitions(environment) if s.name == "batchtask.retention"]
    await spec.handler(context(tmp_path))
    assert sorted(path.name for path in root.iterdir()) == sorted([str(kept), "notes"])


def test_built_ins_have_a_default_maximum_runtime(tmp_path: Path) -> None:
    """Issue 11 #7: built-ins without a timeout of their own get BUILTIN_TIMEOUT (default an
    hour; 0 = none), so a day-long sleep cannot hold a slot for a day."""

    def timeouts(**settings: Any) -> dict[str, float | None]:
        return {spec.name: spec.timeout for spec in builtin_definitions(env(tmp_path, **settings))}

    assert set(timeouts().values()) == {3600.0}
    assert timeouts(builtin_timeout=120)["batchtask.sleep"] == 120
    assert set(timeouts(builtin_timeout=0).values()) == {None}


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://127.0.0.1:8080/hooks/../admin", None),
        ("http://127.0.0.1:8080/hooks/%2e%2e/admin", None),
        ("http://127.0.0.1:8080/hooks/%2E%2e/%2e%2E/admin", None),
        ("http://127.0.0.1:8080/hooks/./../admin", None),
        ("http://127.0.0.1:8080/hooks/..;/admin", None),
        ("http://127.0.0.1:8080/hooks/..%2fadmin", None),
        ("http://127.0.0.1:8080/hooks/..%5Cadmin", None),
        ("http://127.0.0.1:8080/hooks\\..\\admin", None),
        ("http://127.0.0.1:8080/hooks/a b", None),
        ("http://127.0.0.1:8080/hooks/\u00e9", None),
        ("http://127.0.0.1:8080/hooks/a\r\nX: 1", None),
        ("http://127.0.0.1:8080/hooks/a/../b?x=1#f", "http://127.0.0.1:8080/hooks/b?x=1"),
        ("HTTP://127.0.0.1:8080/hooks/%7euser/./x", "http://127.0.0.1:8080/hooks/~user/x"),
        ("http://127.0.0.1:8080/hooks/a/..", "http://127.0.0.1:8080/hooks/"),
        ("http://example.com:80/x/%41", "http://example.com/x/A"),
    ],
)
def test_the_allow_list_compares_the_normalised_url(url: str, sent: str | None) -> None:
    """Issue 11 #8: dot segments (plain or percent-encoded) are removed before the prefix is
    compared, and the normalised URL is the one sent; what a receiver could read as a way out
    (encoded slashes, backslashes, ``..;``, blanks and controls) is refused."""
    assert permitted(url, ["http://127.0.0.1:8080/hooks", "http://example.com/x/"]) == sent


def test_http_callback_sends_the_normalised_url_and_refuses_header_breaks(
    tmp_path: Path, hooks: str
) -> None:
    """Issue 11 #8: ``/in/../ok`` is sent as ``/ok`` (when ``/`` is allowed) and refused under
    ``/in/``; a content type with CR, LF or NUL is refused before anything is sent (``\\r\\n``
    followed by a blank used to be sent as a folded header)."""
    (spec,) = [s for s in builtin_definitions(env(tmp_path, http_allow=(hooks + "/",)))
               if s.name == "batchtask.http"]  # fmt: skip
    spec.handler(context(tmp_path, url=hooks + "/in/../ok"))
    assert [path for path, _, _ in _Hooks.received] == ["/ok"]
    (narrow,) = [s for s in builtin_definitions(env(tmp_path, http_allow=(hooks + "/in/",)))
                 if s.name == "batchtask.http"]  # fmt: skip
    for url in (hooks + "/in/../ok", hooks + "/in/%2e%2e/ok"):
        with pytest.raises(TaskFailed, match="not allowed"):
            narrow.handler(context(tmp_path, url=url))
    for bad in ("application/json\r\n X-Injected: 1", "text/plain\nX: 1", "a\x00b", "a\rb"):
        with pytest.raises(TaskFailed, match="content_type"):
            spec.handler(context(tmp_path, url=hooks + "/ok", content_type=bad))
    assert [path for path, _, _ in _Hooks.received] == ["/ok"]
