"""The console's pages (SPEC §10.2): Overview, Tasks, Task, Definitions, Workers, and login.

A page is a read: it authenticates with the browser session alone (a navigation cannot send the
XSRF header, and a GET changes nothing), renders what the admin API would answer, and leaves
every change to the script, whose admin API calls carry the XSRF header. Not logged in → the
login page, which comes back to the page asked for. Each page carries the change number it was
rendered at (``data-change``), so the script's stream starts exactly there: nothing that changed
while the page was on its way is missed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from batchtask.domain.actions import allowed_actions
from batchtask.domain.errors import AuthenticationFailed, TaskNotFound
from batchtask.domain.query import FilterError, Ordering
from batchtask.domain.state import STORABLE, BatchTaskState
from batchtask.domain.task_list import TaskListQuery, TaskSelection
from batchtask.domain.user import Principal
from batchtask.http.authentication import SESSION_COOKIE, XSRF_COOKIE
from batchtask.http.console.assets import asset_url
from batchtask.http.console.texts import script_messages
from batchtask.http.console.view import Viewer, page
from batchtask.http.respond import context_of, headers_of
from batchtask.http.task_id import parse_task_id
from batchtask.http.tenancy import PREFIX_KEY
from batchtask.serialisation.odata_filter import parse_filter
from batchtask.services.container import Services

PAGE_SIZE = 50


def N_(text: str) -> str:
    """Mark a console text that is translated where it is shown (``texts.py`` finds it)."""
    return text


#: Quick filters of the Tasks page: key → (label msgid, ``$filter``).
VIEWS: dict[str, tuple[str, str]] = {
    "": (N_("All"), ""),
    "waiting": (N_("Waiting"), "state eq 1"),
    "running": (N_("Running"), "state in (2, 3)"),
    "succeeded": (N_("Succeeded"), "state in (4, 6)"),
    "failed": (N_("Failed"), "state eq 5"),
    "mine": (N_("Mine"), "registeredBy currentAssociate"),
}
#: Sortable columns of the Tasks page: key → archive column.
SORTS = {
    "name": "DefinitionName",
    "state": "State",
    "progress": "ProgressPercent",
    "starts": "StartCount",
    "created": "registeredDate",
}


def _base(request: Request) -> str:
    """The console's path prefix: ``/{ContextIdentifier}`` as the browser sent it (``""`` for the
    unprefixed default tenant), so every link and call of the page stays in its tenant."""
    prefix: str = request.scope.get(PREFIX_KEY, "")
    return prefix


async def viewer_of(request: Request) -> tuple[Services, Principal | None, Viewer]:
    """The services, the logged-in viewer (``None`` when not logged in) and their formats."""
    ctx = context_of(request)
    headers = headers_of(request)
    cookies = headers.cookies()
    viewer = Viewer.of(headers.accept_language, cookies)
    session, xsrf = cookies.get(SESSION_COOKIE), cookies.get(XSRF_COOKIE)
    if not session or not xsrf:
        return ctx, None, viewer
    try:
        return ctx, await ctx.auth.session(session, xsrf), viewer
    except AuthenticationFailed:
        return ctx, None, viewer


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = urlencode({"next": target})
    return RedirectResponse(f"{_base(request)}/admin/login?{query}", status_code=303)


async def _common(
    request: Request, ctx: Services, principal: Principal, viewer: Viewer, *, name: str, title: str
) -> dict[str, Any]:
    base = _base(request)
    return {
        "page": name,
        "title": viewer.gettext(title),
        "base": base,
        "user": principal.user,
        "change": await ctx.store.changes.latest(),
        "texts": viewer.texts(script_messages()),
        "asset": lambda file: asset_url(base, file),
    }


async def root(request: Request) -> Response:
    """``/`` and ``/admin``: the console lives at ``/admin/``."""
    return RedirectResponse(f"{_base(request)}/admin/", status_code=302)


async def login(request: Request) -> Response:
    """The login page (it signs in through ``POST /login``)."""
    _, _, viewer = await viewer_of(request)
    base = _base(request)
    target = request.query_params.get("next", "")
    if not target.startswith(f"{base}/admin") or "//" in target:
        target = f"{base}/admin/"
    return page(
        "login.html",
        viewer,
        {
            "base": base,
            "next": target,
            "texts": viewer.texts(script_messages()),
            "asset": lambda file: asset_url(base, file),
        },
    )


async def overview(request: Request) -> Response:
    """Counts, oldest wait, throughput and queue charts, running tasks, recent failures."""
    ctx, principal, viewer = await viewer_of(request)
    if principal is None:
        return _to_login(request)
    common = await _common(request, ctx, principal, viewer, name="overview", title=N_("Overview"))
    stats = await ctx.admin.stats(window=60, step=60)
    running = await ctx.admin.page(
        principal, TaskListQuery(TaskSelection(filter=parse_filter("state in (2, 3)")), top=20)
    )
    failures = await ctx.admin.page(
        principal,
        TaskListQuery(
            TaskSelection(filter=parse_filter("state eq 5")),
            order=(Ordering("updatedDate", descending=True),), top=10,
        ),
    )  # fmt: skip
    now = ctx.clock.now()
    workers = await ctx.admin.workers()
    counts = {state.name: stats.counts.get(state, 0) for state in sorted(STORABLE)}
    return page(
        "overview.html",
        viewer,
        {
            **common,
            "counts": counts,
            "oldest": stats.oldest_waiting_seconds,
            "alive": sum(1 for worker in workers if worker.alive(now)),
            "running": running.tasks,
            "failures": failures.tasks,
        },
    )


def _search(view_filter: str, search: str, viewer: Viewer) -> tuple[str, str, str]:
    """(filter, free text, note): a search that parses as a ``$filter`` is one, else it is text."""
    search = search.strip()
    note = ""
    filter_text = view_filter
    free_text = ""
    if search:
        try:
            parse_filter(search)
        except FilterError as error:
            free_text = search
            if any(f" {word} " in f" {search.lower()} " for word in ("eq", "ne", "lt", "gt", "in")):
                note = viewer.gettext("Not a valid filter, so searched as text:") + f" {error}"
        else:
            filter_text = f"({view_filter}) and ({search})" if view_filter else search
    return filter_text, free_text, note


async def tasks(request: Request) -> Response:
    """The task table: search, quick filters, sort, paging, selection and bulk actions."""
    ctx, principal, viewer = await viewer_of(request)
    if principal is None:
        return _to_login(request)
    common = await _common(request, ctx, principal, viewer, name="tasks", title=N_("Tasks"))
    params = request.query_params
    view = params.get("view", "") if params.get("view", "") in VIEWS else ""
    search = params.get("search", "")[:254]
    order = params.get("order", "")
    sort_key = order.lstrip("-") if order.lstrip("-") in SORTS else ""
    descending = order.startswith("-")
    page_number = int(params["page"]) if params.get("page", "").isdigit() else 1
    page_number = max(1, min(page_number, 100_000))
    filter_text, free_text, note = _search(VIEWS[view][1], search, viewer)
    ordering = (Ordering(SORTS[sort_key], descending),) if sort_key else ()
    skip = (page_number - 1) * PAGE_SIZE
    selection = TaskSelection(
        filter=parse_filter(filter_text) if filter_text else None,
        text=free_text,
        zone=viewer.zone,
    )
    result = await ctx.admin.page(
        principal, TaskListQuery(selection, order=ordering, top=PAGE_SIZE, skip=skip)
    )
    base = common["base"]

    def url(**changes: str | int) -> str:
        values: dict[str, str | int] = {
            "search": search,
            "view": view,
            "order": order,
            "page": page_number,
        }
        values.update(changes)
        kept = {
            key: value
            for key, value in values.items()
            if value not in ("", 1) or (key == "page" and value != 1)
        }
        return f"{base}/admin/tasks" + (f"?{urlencode(kept)}" if kept else "")

    def sort_url(key: str) -> str:
        flip = f"-{key}" if sort_key == key and not descending else key
        return url(order=flip, page=1)

    last = skip + len(result.tasks)
    range_text = f"{skip + 1}–{last} / {viewer.number(result.count)}" if result.tasks else ""
    columns = [
        ("", "#", "num"),
        ("name", viewer.gettext("Name"), ""),
        ("state", viewer.gettext("State"), ""),
        ("progress", viewer.gettext("Progress"), ""),
        ("", viewer.gettext("Owner"), "hide-narrow"),
        ("starts", viewer.gettext("Starts"), "num hide-narrow"),
        ("created", viewer.gettext("Created"), "hide-narrow"),
    ]
    return page(
        "tasks.html",
        viewer,
        {
            **common,
            "tasks": result.tasks,
            "owners": result.owners,
            "actions": {
                t.id: [a.value for a in allowed_actions(principal, t)] for t in result.tasks
            },
            "count": result.count,
            "search": search,
            "search_note": note,
            "view": view,
            "views": [(key, viewer.gettext(label)) for key, (label, _) in VIEWS.items()],
            "view_url": lambda key: url(view=key, page=1),
            "order": order,
            "order_by": ""
            if not sort_key
            else f"{SORTS[sort_key]} {'desc' if descending else 'asc'}",
            "sort_key": sort_key,
            "sort_dir": "descending" if descending else "ascending",
            "sort_url": sort_url,
            "columns": columns,
            "filter_text": filter_text,
            "free_text": free_text,
            "skip": skip,
            "top": PAGE_SIZE,
            "range_text": range_text,
            "prev_url": url(page=page_number - 1) if page_number > 1 else None,
            "next_url": url(page=page_number + 1) if last < result.count else None,
        },
    )


async def task(request: Request) -> Response:
    """One task: every field, parameters, result, live progress, timeline, lease, actions, edit."""
    ctx, principal, viewer = await viewer_of(request)
    if principal is None:
        return _to_login(request)
    task_id = parse_task_id(request.path_params["id"])
    common = await _common(request, ctx, principal, viewer, name="task", title=N_("Task"))
    try:
        if task_id is None:
            raise TaskNotFound(0)
        story = await ctx.admin.story(principal, task_id)
    except TaskNotFound:
        return page(
            "missing.html", viewer, {**common, "task_id": request.path_params["id"]}, status=404
        )
    item = story.task
    owner = await ctx.store.users.by_id(item.associate_id) if item.associate_id else None
    yes, no = viewer.gettext("yes"), viewer.gettext("no")
    fields = [
        (
            viewer.gettext("Owner"),
            owner.display_name or owner.username if owner else viewer.gettext("system"),
        ),
        (viewer.gettext("Description"), viewer.translator.text(item.description) or "—"),
        (viewer.gettext("Request"), item.request or "—"),
        (viewer.gettext("Response"), viewer.translator.text(item.response) or "—"),
        (viewer.gettext("Context"), item.context or "—"),
        (viewer.gettext("File"), item.file_name or "—"),
        (viewer.gettext("Cancellation"), item.cancellation_behaviour.name),
        (viewer.gettext("System task"), yes if item.is_system else no),
        (viewer.gettext("Internal task"), yes if item.is_internal else no),
        (viewer.gettext("Details"), f"{item.details_table} / {item.details_record}"),
        (viewer.gettext("Database serial number"), item.database_serial_number or "—"),
    ]
    lease = None
    if item.lease_owner and item.state.is_running:
        lease = {"owner": item.lease_owner, "expires": item.lease_expires}
    return page(
        "task.html",
        viewer,
        {
            **common,
            "title": f"#{item.id} {viewer.translator.text(item.name)}",
            "task": item,
            "events": story.events,
            "actions": [action.value for action in story.actions],
            "fields": fields,
            "lease": lease,
            "storable": [state.name for state in sorted(STORABLE)],
        },
    )


async def definitions(request: Request) -> Response:
    """Each definition's figures, and a form to start a task of it."""
    ctx, principal, viewer = await viewer_of(request)
    if principal is None:
        return _to_login(request)
    common = await _common(
        request, ctx, principal, viewer, name="definitions", title=N_("Definitions")
    )
    items = await ctx.admin.definitions()

    def counts_text(counts: dict[BatchTaskState, int]) -> str:
        shown = [(state, n) for state, n in sorted(counts.items()) if n]
        return (
            " · ".join(f"{viewer.state_label(state.name)} {viewer.number(n)}" for state, n in shown)
            or "—"
        )

    starts, timeout = viewer.gettext("starts"), viewer.gettext("timeout")

    def policy(item: Any) -> str:
        parts = [item.cancellation.name, f"{starts} ≤ {item.max_starts}"]
        if item.timeout:
            parts.append(f"{timeout} {item.timeout} s")
        if item.isolation:
            parts.append(item.isolation)
        return " · ".join(parts)

    return page(
        "definitions.html",
        viewer,
        {
            **common,
            "definitions": items,
            "segments": lambda counts: _segments(counts, viewer),
            "counts_text": counts_text,
            "policy": policy,
        },
    )


def _segments(counts: dict[BatchTaskState, int], viewer: Viewer) -> list[tuple[str, str, str, str]]:
    """(state, x, width, label) of a bar of the tasks per state, in percent of the whole."""
    total = sum(counts.values())
    out = []
    x = 0.0
    for state in sorted(counts):
        if not counts[state] or not total:
            continue
        share = 100 * counts[state] / total
        label = f"{viewer.state_label(state.name)}: {viewer.number(counts[state])}"
        out.append((state.name, f"{x:.2f}", f"{share:.2f}", label))
        x += share
    return out


async def workers(request: Request) -> Response:
    """Every registered worker, kept live."""
    ctx, principal, viewer = await viewer_of(request)
    if principal is None:
        return _to_login(request)
    common = await _common(request, ctx, principal, viewer, name="workers", title=N_("Workers"))
    now = ctx.clock.now()
    items = sorted(await ctx.admin.workers(), key=lambda w: (not w.alive(now), w.id))
    return page(
        "workers.html", viewer, {**common, "workers": items, "alive": lambda w: w.alive(now)}
    )
