"""A real Chromium (Debian's ``chromium``) driven by Playwright, and a real ``batchtask serve``.

``scripts/install-browser`` installs the browser with apt (``scripts/test`` calls it, so CI has it);
Playwright only drives it through ``executable_path`` and never downloads one. The fixtures here
(``browser``, ``browser_page``) serve every browser test: the console's and the CORS test's. Without a browser
the tests skip on a laptop and **fail** when ``CI=true``. Screenshots go to ``test-artifacts/``
(``BATCHTASK_ARTIFACTS`` to change it) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BATCHTASK = [sys.executable, "-m", "batchtask"]
PLAIN_PASSWORD = "a plain user's password"


def chromium_path() -> str | None:
    """Debian's chromium, or the one ``BATCHTASK_CHROMIUM`` names."""
    return os.environ.get("BATCHTASK_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser_executable() -> str:
    """The browser binary; a missing one fails in CI and skips elsewhere."""
    found = chromium_path()
    if found is None:
        message = "no chromium: run scripts/install-browser (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


#: Headless, no sandbox (containers run as root), no background traffic of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (it drives the system Chromium; it downloads nothing).

    Per module, not per session: while it runs, Playwright's sync API keeps its event loop marked
    as running on the main thread, so an ``asyncio.run`` in a later test module (the PostgreSQL
    fixtures) would fail.
    """
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, browser_executable: str) -> Iterator[Browser]:
    """Headless Debian Chromium, shared by a module's tests."""
    launched = playwright.chromium.launch(executable_path=browser_executable, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[Page]:
    """A fresh context (no cookies, no cache) and one page in it, closed after the test."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are kept after the run."""
    folder = Path(os.environ.get("BATCHTASK_ARTIFACTS", ROOT / "test-artifacts" / "browser"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Console:
    """A ``batchtask serve --demo`` process and what a person needs to log in."""

    base_url: str
    env: dict[str, str]
    admin_password: str
    log: list[str] = field(default_factory=list)

    def cli(self, *args: str) -> str:
        """Run the CLI against the server's database."""
        done = subprocess.run(
            [*BATCHTASK, *args], env=self.env, capture_output=True, text=True, check=True,
            timeout=60,
        )  # fmt: skip
        return done.stdout


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The server as ``./scripts/run`` starts it (demo data, embedded worker, default settings —
    Secure cookies included: browsers accept them on loopback), plus a plain user ``plain``."""
    directory = tmp_path_factory.mktemp("console")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BATCHTASK_")},
        "BATCHTASK_DATABASE_URL": f"sqlite:///{directory / 'batchtask.db'}",
        "BATCHTASK_POLL_INTERVAL": "0.2",
    }
    process = subprocess.Popen(
        [*BATCHTASK, "serve", "--demo", "--port", str(port)], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    password = None
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while password is None:
            assert time.monotonic() < deadline, "serve printed no demo password:\n" + "".join(lines)
            line = process.stdout.readline()
            assert line, "serve exited:\n" + "".join(lines)
            lines.append(line)
            found = re.match(r"demo admin:\s+\S+ / (\S+)", line)
            password = found.group(1) if found else None
        while not _answers(base_url + "/readyz"):
            assert process.poll() is None, "serve exited:\n" + "".join(lines)
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        served = Console(base_url, env, password, lines)
        served.cli("user", "add", "plain", "--password", PLAIN_PASSWORD)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
