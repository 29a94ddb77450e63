"""The console in a real Chromium against a real ``batchtask serve --demo`` (SPEC §10.2).

What a person does: log in through the login page, see the demo tasks, start a
``batchtask.sleep`` from the Definitions page and watch its bar advance without reloading, stop
it and see ``Failed`` and the timeline entry, filter by state, bulk-delete after the dry-run
count, and — as a plain user — find no action buttons on someone else's task. No request may
leave for another host. Screenshots (desktop, phone, dark) are saved for people to look at.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from tests.browser.conftest import PLAIN_PASSWORD, Console

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


class Visit:
    """A browser context that records every request it makes."""

    def __init__(self, browser: Browser, console: Console, **options: object) -> None:
        self.console = console
        settings: dict[str, object] = {"locale": "en-GB", "timezone_id": "Europe/Oslo"}
        settings.update(options)
        self.context: BrowserContext = browser.new_context(viewport=DESKTOP, **settings)  # type: ignore[arg-type]
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(20_000)

    def login(self, username: str, password: str) -> None:
        """Through the login page, as a person does."""
        self.page.goto(self.console.base_url + "/")
        self.page.wait_for_url("**/admin/login**")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.console.base_url + "/admin/")

    def foreign(self) -> list[str]:
        """Requests that went anywhere but the console's own host."""
        own = urlsplit(self.console.base_url).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).netloc != own and not url.startswith("data:")
        ]


def shot(page: Page, artifacts: Path, name: str) -> None:
    """Keep a screenshot of what the test sees."""
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=False)


def test_a_person_runs_watches_stops_filters_and_deletes(
    browser: Browser, console: Console, artifacts: Path
) -> None:
    """The console works end to end for an admin, live, with nothing from another host."""
    visit = Visit(browser, console)
    page = visit.page
    visit.login("demo", console.admin_password)
    page.wait_for_selector("#chart-throughput canvas")
    page.wait_for_selector("#live[data-live='on']")
    shot(page, artifacts, "overview")

    # The demo tasks are listed, each row readable by scripts.
    page.click("nav >> text=Tasks")
    page.wait_for_selector("#tasks tbody tr[data-task-id]")
    assert page.locator("#tasks tbody tr[data-task-id]").count() >= 6
    states = page.eval_on_selector_all("#tasks tbody tr", "rows => rows.map(r => r.dataset.state)")
    assert "Succeeded" in states
    assert "Failed" in states

    # Start a sleep task from the Definitions page; its bar moves without a reload.
    page.click("nav >> text=Definitions")
    page.click("tr[data-definition='batchtask.sleep'] button[data-start]")
    page.fill("#start-description", "started from the browser test")
    page.click("#start-ok")
    page.wait_for_url("**/admin/tasks/*")
    task_id = int(page.url.rsplit("/", 1)[1])
    page.evaluate("window.__noReload = true")
    page.wait_for_function(
        "() => Number(document.querySelector('#task progress').dataset.progress) > 0"
    )
    first = int(page.get_attribute("#task progress", "data-progress") or 0)
    page.wait_for_function(
        f"() => Number(document.querySelector('#task progress').dataset.progress) > {first}"
    )
    assert page.evaluate("window.__noReload") is True
    assert page.get_attribute("#task", "data-state") == "Started"
    shot(page, artifacts, "task")

    # Stop it: Failed, and the timeline says who did it from where.
    page.click("button[data-action='Stop']")
    page.wait_for_selector("#task[data-state='Failed']")
    page.wait_for_selector("#timeline li[data-to='Failed']")
    assert "console" in page.inner_text("#timeline")
    assert page.evaluate("window.__noReload") is True

    # Retry the failed task: it goes back to the queue and runs again; stop it once more.
    page.click("button[data-action='Retry']")
    page.wait_for_selector("#task:not([data-state='Failed'])")
    page.wait_for_function(
        "() => document.querySelector('#timeline').innerText.includes('retried')"
    )
    page.wait_for_selector("#task[data-state='Started']")
    page.click("button[data-action='Stop']")
    page.wait_for_selector("#task[data-state='Failed']")

    # Filter by state.
    page.goto(console.base_url + "/admin/tasks")
    page.click(".chips >> text=Failed")
    page.wait_for_url("**view=failed**")
    states = page.eval_on_selector_all("#tasks tbody tr", "rows => rows.map(r => r.dataset.state)")
    assert states
    assert set(states) == {"Failed"}
    assert page.locator(f"#tasks tbody tr[data-task-id='{task_id}']").count() == 1

    # Bulk delete with the dry-run count and a confirmation.
    page.check(f"#tasks tbody tr[data-task-id='{task_id}'] input.pick")
    page.click("button[data-bulk='Delete']")
    page.wait_for_selector("#confirm[open]")
    assert "1 of 1" in page.inner_text("#confirm-text")
    page.click("#confirm-ok")
    page.wait_for_selector(f"#tasks tbody tr[data-task-id='{task_id}']", state="detached")

    # Phone size and the dark theme.
    page.set_viewport_size(PHONE)
    page.goto(console.base_url + "/admin/tasks")
    page.wait_for_selector("#tasks tbody tr")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, artifacts, "tasks-phone")
    page.set_viewport_size(DESKTOP)
    page.goto(console.base_url + "/admin/")
    page.click("#theme")
    page.wait_for_selector("html[data-theme]")
    shot(page, artifacts, "overview-theme-switched")
    assert visit.foreign() == []
    visit.context.close()


def test_a_plain_user_sees_no_actions_on_another_users_task(
    browser: Browser, console: Console, artifacts: Path
) -> None:
    """A plain user may read the demo admin's task but is offered no action on it."""
    visit = Visit(browser, console)
    page = visit.page
    visit.login("plain", PLAIN_PASSWORD)
    page.goto(console.base_url + "/admin/tasks")
    page.wait_for_selector("#tasks tbody tr[data-task-id]")
    boxes = page.eval_on_selector_all(
        "#tasks tbody input.pick", "boxes => boxes.map(b => b.disabled)"
    )
    assert boxes
    assert all(boxes)
    page.goto(console.base_url + "/admin/tasks/1")
    page.wait_for_selector("#task")
    assert page.get_attribute("#task", "data-actions") == ""
    visible = page.eval_on_selector_all(
        "[data-action]", "buttons => buttons.filter(b => b.offsetParent !== null).length"
    )
    assert visible == 0
    assert page.locator("#edit").count() == 0
    shot(page, artifacts, "task-read-only")
    assert visit.foreign() == []
    visit.context.close()


def test_times_follow_the_viewers_zone_and_texts_their_language(
    browser: Browser, console: Console
) -> None:
    """A Norwegian browser in New York gets Norwegian texts and New York times."""
    visit = Visit(browser, console, locale="nb-NO", timezone_id="America/New_York")
    visit.context.set_extra_http_headers({"Accept-Language": "nb"})
    visit.login("demo", console.admin_password)
    page = visit.page
    page.goto(console.base_url + "/admin/tasks")
    assert page.inner_text("nav >> a[aria-current='page']") == "Oppgaver"
    iso = page.get_attribute("#tasks tbody time", "datetime")
    shown = page.inner_text("#tasks tbody time")
    expected = page.evaluate(
        """iso => { const d = new Date(iso);
        return new Intl.DateTimeFormat('en-US', {timeZone: 'America/New_York', hour: 'numeric', hour12: false}).format(d); }""",
        iso,
    )
    assert f"{int(expected):02d}:" in shown or f"{int(expected)}:" in shown
    visit.context.close()
