"""CORS in a real Chromium: a page on another loopback port calls the API with a ticket.

The page is served by a small HTTP server on a free loopback port (another origin than the API);
the API allows exactly that origin. The page reads a task, updates it (a preflighted PUT) and
reads the challenge of a 401; a page whose origin is not listed gets nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from tests.integration.test_cors import ALLOWED, cors_server
from tests.integration.test_seed_endpoint import make_task

pytestmark = pytest.mark.browser
_ONLY_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


PAGE = """<!doctype html>
<html><body><pre id="out"></pre><script>
const api = "%(api)s", ticket = "%(ticket)s";
async function run() {
  const out = {};
  try {
    const read = await fetch(api + "/api/v1/BatchTask/%(id)s",
      {headers: {"Authorization": "SOTicket " + ticket, "Accept": "application/json"}});
    const task = await read.json();
    out.read = {status: read.status, name: task.Name, description: task.Description};
    const put = await fetch(api + "/api/v1/batchtask/%(id)s/", {method: "PUT",
      headers: {"Authorization": "SOTicket " + ticket, "Content-Type": "application/json",
                "SO-Language": "en"},
      body: JSON.stringify({Description: "from the browser"})});
    out.put = {status: put.status, description: (await put.json()).Description};
    const denied = await fetch(api + "/api/v1/BatchTask/%(id)s",
      {headers: {"Authorization": "SOTicket 7T:wrong"}});
    out.denied = {status: denied.status, challenge: denied.headers.get("WWW-Authenticate")};
  } catch (error) {
    out.blocked = String(error);
  }
  document.getElementById("out").textContent = JSON.stringify(out);
}
run();
</script></body></html>
"""


class PageServer:
    """Serves one HTML page at ``/`` from a free loopback port (another origin than the API)."""

    def __init__(self) -> None:
        self.html = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(owner.html)))
                self.end_headers()
                self.wfile.write(owner.html)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@contextmanager
def page_server() -> Iterator[PageServer]:
    """A running ``PageServer``; set ``.html`` before the browser asks."""
    server = PageServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def _read_page(browser_page: Any, origin: str) -> Any:
    browser_page.goto(origin + "/")
    browser_page.wait_for_function("document.getElementById('out').textContent !== ''")
    return json.loads(browser_page.inner_text("#out"))


@_ONLY_SQLITE
def test_a_page_on_another_origin_reads_and_updates_a_task(
    database_url: str, clock: FakeClock, tmp_path: Path, browser_page: Any
) -> None:
    """Chromium: a page on another loopback port reads a task with a ticket, updates it, reads a 401."""
    with page_server() as page, cors_server(database_url, clock, tmp_path, (page.origin,)) as live:
        task_id = make_task(live, "alice", description="seen by the page")
        values = {"api": live.base_url, "ticket": live.ticket("alice"), "id": task_id}
        page.html = (PAGE % values).encode()
        result = _read_page(browser_page, page.origin)
    assert result == {
        "read": {"status": 200, "name": "batchtask.sleep", "description": "seen by the page"},
        "put": {"status": 200, "description": "from the browser"},
        "denied": {"status": 401, "challenge": 'Basic realm="batchtask", SOTicket, Bearer'},
    }, result


@_ONLY_SQLITE
def test_a_page_on_an_unlisted_origin_is_blocked(
    database_url: str, clock: FakeClock, tmp_path: Path, browser_page: Any
) -> None:
    """Chromium refuses to hand the page an answer its origin is not allowed to read."""
    with page_server() as page, cors_server(database_url, clock, tmp_path, (ALLOWED,)) as live:
        task_id = make_task(live, "alice")
        values = {"api": live.base_url, "ticket": live.ticket("alice"), "id": task_id}
        page.html = (PAGE % values).encode()
        result = _read_page(browser_page, page.origin)
    assert list(result) == ["blocked"]
    assert "Failed to fetch" in result["blocked"]
