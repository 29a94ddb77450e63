"""The console's pages over real HTTP on both engines, without a browser: where they send a
visitor who is not logged in, what they render for one who is, their security headers and
assets, and that they carry nothing a strict CSP would block (SPEC §10.2)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from batchtask.http.console import texts
from batchtask.http.console.assets import STATIC, asset_names
from tests.integration.conftest import PASSWORD, LiveServer
from tests.integration.test_seed_endpoint import make_task

PAGES = ("/admin/", "/admin/tasks", "/admin/definitions", "/admin/workers")


@contextmanager
def logged_in(server: LiveServer, name: str = "alice") -> Iterator[httpx.Client]:
    """A client with the session and XSRF cookies of ``name``, and the viewer's zone."""
    with server.client(follow_redirects=False) as client:
        login = client.post("/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 200
        client.cookies.set("batchtask_tz", "America/New_York")
        yield client


def test_root_goes_to_the_console_and_strangers_to_the_login_page(server: LiveServer) -> None:
    """/ → /admin/; a page without a session → the login page, which comes back to it."""
    with server.client(follow_redirects=False) as client:
        root = client.get("/")
        assert (root.status_code, root.headers["location"]) == (302, "/admin/")
        page = client.get("/admin/tasks?view=failed")
        assert page.status_code == 303
        assert page.headers["location"] == "/admin/login?next=%2Fadmin%2Ftasks%3Fview%3Dfailed"
        login = client.get(page.headers["location"])
    assert login.status_code == 200
    assert 'data-next="/admin/tasks?view=failed"' in login.text


def test_the_login_page_never_sends_anyone_elsewhere(server: LiveServer) -> None:
    """``next`` outside the console (another host, //evil) falls back to the Overview."""
    with server.client() as client:
        for target in ("https://evil.example/", "//evil.example/admin", "/api/v1/BatchTask"):
            page = client.get("/admin/login", params={"next": target})
            assert 'data-next="/admin/"' in page.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_with_strict_headers_and_no_inline_code(server: LiveServer, path: str) -> None:
    """Each page: 200, strict CSP, no inline script or style, the change number for the stream."""
    make_task(server, "alice", description="a <b>bold</b> description")
    with logged_in(server) as client:
        page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "<b>bold</b>" not in html  # autoescaped
    assert " style=" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script or 'type="application/json"' in script
    assert re.search(r'data-change="\d+"', html)
    assert "http://" not in html.replace(server.base_url, "")
    assert "https://" not in html


def test_task_rows_carry_id_state_and_progress(server: LiveServer) -> None:
    """Scripts and tests read the task table through data attributes."""
    task_id = make_task(server, "alice")
    with logged_in(server) as client:
        html = client.get("/admin/tasks").text
    row = re.search(rf'<tr data-task-id="{task_id}" data-state="New"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None
    assert 'data-progress="0"' in row.group(1)


def test_the_task_page_and_a_missing_task(server: LiveServer) -> None:
    """A task's page shows its timeline with who did what; a missing one is a 404 page."""
    task_id = make_task(server, "alice")
    with logged_in(server, "admin") as client:
        assert (
            client.post(
                f"/admin/api/tasks/{task_id}/stop",
                headers={"X-XSRF-TOKEN": client.cookies["XSRF-TOKEN"]},
            ).status_code
            == 200
        )
        page = client.get(f"/admin/tasks/{task_id}")
        missing = client.get("/admin/tasks/4242")
    assert page.status_code == 200
    assert 'data-state="Failed"' in page.text
    assert "user:admin · console" in page.text
    assert missing.status_code == 404


def test_texts_follow_the_language_and_times_the_zone(server: LiveServer) -> None:
    """Accept-Language picks the texts; the zone cookie picks the clock (New York is UTC−5)."""
    make_task(server, "alice")
    with logged_in(server) as client:
        html = client.get("/admin/tasks", headers={"Accept-Language": "de-DE"}).text
    assert ">Aufgaben<" in html
    assert "07:00:00" in html  # created 12:00 UTC on the test clock


def test_assets_are_served_with_a_content_hash(server: LiveServer) -> None:
    """Assets come from the package, cached for a year under their content hash."""
    with logged_in(server) as client:
        html = client.get("/admin/").text
        urls = re.findall(r'(?:src|href)="(/admin/static/[^"]+)"', html)
        assert urls
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            assert "immutable" in response.headers["cache-control"]
        assert client.get("/admin/static/nothing.js").status_code == 404


def test_every_console_text_is_translated() -> None:
    """Each shipped language translates every text the pages and the script use."""
    assert texts.problems() == []


def test_vendored_assets_match_their_recorded_hashes() -> None:
    """The vendored files are byte for byte what static/README.md says was vendored."""
    import hashlib  # noqa: PLC0415

    readme = (STATIC / "README.md").read_text()
    for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M):
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest
        assert name in asset_names()


def test_the_search_box_takes_a_filter_or_text(server: LiveServer) -> None:
    """A search that parses as a ``$filter`` filters; one that does not is searched as text, with
    a note when it looked like a filter."""
    alpha = make_task(server, "alice", description="alpha report")
    beta = make_task(server, "alice", description="beta")
    with logged_in(server) as client:
        by_filter = client.get("/admin/tasks", params={"search": "description eq 'beta'"}).text
        by_text = client.get("/admin/tasks", params={"search": "alpha"}).text
        broken = client.get("/admin/tasks", params={"search": "description eq"}).text
    assert f'data-task-id="{beta}"' in by_filter
    assert f'data-task-id="{alpha}"' not in by_filter
    assert f'data-task-id="{alpha}"' in by_text
    assert f'data-task-id="{beta}"' not in by_text
    assert "Not a valid filter, so searched as text:" in broken
