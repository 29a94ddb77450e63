"""``/_batchtask/…``: the emulator controls (SPEC §11.2), only with ``serve --emulator``.

Every call is about one tenant (but ``health`` and creating one) and touches only that tenant's
state, so parallel tests never see each other's. With ``BATCHTASK_EMULATOR_TOKEN`` set, each call
must carry it in ``X-Batchtask-Emulator-Token`` (401 otherwise, compared in constant time).
Bad input is a 400 and an unknown tenant a 404, both with SuperOffice's error object, and
neither changes anything.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from batchtask import __version__
from batchtask.domain.errors import AuthenticationFailed, InvalidInput, NotFound
from batchtask.domain.user import Role
from batchtask.http.body import parsed_body
from batchtask.http.errors import UnsupportedMediaType
from batchtask.http.query_string import query_value
from batchtask.http.respond import directory_of, json_response, query_of
from batchtask.serialisation import emulator as shapes
from batchtask.services.container import Services
from batchtask.services.emulator.clock import ImpossibleClock
from batchtask.services.emulator.seed import plant
from batchtask.services.emulator.state import EmulatorState, TenantControls

TOKEN_HEADER = "x-batchtask-emulator-token"  # noqa: S105 - a header name
#: The admin user every tenant made here comes with.
ADMIN = "admin"
#: Seconds the new admin's Bearer token lasts (a day: a whole test run).
ADMIN_TOKEN_LIFETIME = 24 * 3600
#: Largest control body (a seed of many tasks).
BODY_LIMIT = 16 * 1024 * 1024


def emulator_of(request: Request) -> EmulatorState:
    """The emulator's state, after checking the caller may use the controls."""
    emulator: EmulatorState = request.app.state.emulator
    if emulator.token:
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), emulator.token.encode()):
            raise AuthenticationFailed("the emulator controls need X-Batchtask-Emulator-Token")
    return emulator


async def tenant_of(request: Request) -> Services:
    """The services of the path's tenant; 404 (``TenantNotFound``) when the server has none such."""
    return await directory_of(request).get(request.path_params["ctx"])


async def controls(request: Request) -> TenantControls:
    """The checked caller's controls of the path's tenant."""
    emulator = emulator_of(request)
    services = await tenant_of(request)
    return emulator.controls(services.settings.context_identifier)


async def body_of(request: Request) -> Any:
    """The JSON body (``{}`` when empty)."""
    if not request.headers.get("content-length") and "chunked" not in request.headers.get(
        "transfer-encoding", ""
    ):
        return {}
    kind, value = await parsed_body(request, BODY_LIMIT)
    if kind != "json":
        raise UnsupportedMediaType(content_type=request.headers.get("content-type", ""))
    return value


def no_content() -> Response:
    return Response(status_code=204, headers={"cache-control": "no-store"})


async def health(request: Request) -> Response:
    """``{"Status": "ok", "Version", "Tenants"}``."""
    emulator_of(request)
    tenants = await directory_of(request).list()
    return json_response(shapes.health(__version__, len(tenants)))


async def create_tenant(request: Request) -> Response:
    """A fresh tenant with an admin: 201 ``{"ContextIdentifier", "Admin": {…}}``."""
    emulator = emulator_of(request)
    wanted = shapes.read_new_tenant(await body_of(request))
    directory = directory_of(request)
    if wanted is not None and not await directory.exists(wanted):
        emulator.forget(wanted)  # controls left from a tenant of that name removed earlier
    info = await directory.add(wanted)
    services = await directory.get(info.context_identifier)
    password = secrets.token_urlsafe(18)
    admin = await services.users.add(ADMIN, password, Role.admin, "Emulator Administrator")
    ticket, _ = await services.auth.issue_ticket(admin)
    token, _ = await services.auth.issue_token(admin, ADMIN_TOKEN_LIFETIME)
    body = shapes.new_tenant(info.context_identifier, ADMIN, password, ticket, token)
    return json_response(body, status=201)


async def delete_tenant(request: Request) -> Response:
    """Remove a tenant and everything of it (the default tenant cannot go: 400)."""
    emulator = emulator_of(request)
    services = await tenant_of(request)
    name = services.settings.context_identifier
    await directory_of(request).remove(name)
    emulator.forget(name)
    return no_content()


async def reset_tenant(request: Request) -> Response:
    """Tasks, events, files, faults, journal, scripts (and users with ``{"Users": true}``) gone;
    ids start at 1 and the clock runs real time again."""
    emulator = emulator_of(request)
    users = shapes.read_reset(await body_of(request))
    services = await tenant_of(request)
    name = services.settings.context_identifier
    await directory_of(request).reset(name, users=users)
    emulator.controls(name).reset()
    return no_content()


async def seed(request: Request) -> Response:
    """Users and tasks as given, all or nothing: ``{"Tasks": [ids]}``."""
    emulator_of(request)
    services = await tenant_of(request)
    planted = await plant(services, shapes.read_seed(await body_of(request), services.base_zone))
    return json_response({"Tasks": planted})


async def get_clock(request: Request) -> Response:
    """``{"Now", "Frozen"}``."""
    return json_response(shapes.clock((await controls(request)).clock))


async def put_clock(request: Request) -> Response:
    """Set the clock: ``{"Now", "Frozen"}`` (Now absent = the tenant's now; Frozen default true)."""
    tenant = await controls(request)
    moment, frozen = shapes.read_clock(await body_of(request))
    try:
        tenant.clock.set(moment, frozen=frozen)
    except ImpossibleClock as exc:
        raise InvalidInput(str(exc), field="Now") from None
    return json_response(shapes.clock(tenant.clock))


async def delete_clock(request: Request) -> Response:
    """Back to real time."""
    (await controls(request)).clock.reset()
    return no_content()


async def advance_clock(request: Request) -> Response:
    """``{"Seconds": n}`` forward."""
    tenant = await controls(request)
    seconds = shapes.read_advance(await body_of(request))
    try:
        tenant.clock.advance(seconds)
    except ImpossibleClock as exc:
        raise InvalidInput(str(exc), field="Seconds") from None
    return json_response(shapes.clock(tenant.clock))


async def put_definition(request: Request) -> Response:
    """Script the definition ``{name}``."""
    tenant = await controls(request)
    name = request.path_params["name"]
    if not name.strip() or len(name) > 254:
        raise InvalidInput("a definition name is 1..254 characters", field="name")
    script = shapes.read_script(await body_of(request))
    tenant.scripts.put(name, script)
    return json_response({"Name": name, "Steps": len(script.steps)})


async def delete_definition(request: Request) -> Response:
    """Forget the script of ``{name}`` (404 when there is none)."""
    tenant = await controls(request)
    name = request.path_params["name"]
    if not tenant.scripts.remove(name):
        raise NotFound(f"definition {name!r} is not scripted", name=name)
    return no_content()


async def add_fault(request: Request) -> Response:
    """Put a fault in force: 201 ``{"Id"}``."""
    tenant = await controls(request)
    fault = tenant.faults.add(shapes.read_fault(await body_of(request)))
    return json_response({"Id": fault.id}, status=201)


async def list_faults(request: Request) -> Response:
    """The faults in force, oldest first."""
    return json_response([shapes.fault(item) for item in (await controls(request)).faults.all()])


async def clear_faults(request: Request) -> Response:
    """Remove every fault of the tenant."""
    (await controls(request)).faults.clear()
    return no_content()


async def delete_fault(request: Request) -> Response:
    """Remove one fault (404 when there is none such)."""
    tenant = await controls(request)
    raw = request.path_params["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10) or not tenant.faults.remove(
        int(raw)
    ):
        raise NotFound(f"there is no fault {raw[:20]!r}", id=raw[:20])
    return no_content()


async def list_requests(request: Request) -> Response:
    """The journal, oldest first; ``?method=`` and ``?path=`` (a glob) narrow it."""
    tenant = await controls(request)
    query = query_of(request)
    entries = tenant.journal.entries(query_value(query, "method"), query_value(query, "path"))
    return json_response([shapes.journal_entry(entry) for entry in entries])


async def clear_requests(request: Request) -> Response:
    """Empty the journal."""
    (await controls(request)).journal.clear()
    return no_content()
