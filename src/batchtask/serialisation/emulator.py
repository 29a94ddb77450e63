"""The emulator controls' JSON (SPEC §11.2): reading their bodies, shaping their answers.

Readers raise ``InvalidInput`` naming the field, so a bad control call is a 400 with
SuperOffice's error object and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from batchtask.domain.errors import InvalidInput
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import FIELD_LENGTHS, INT32_MAX, NewTask, TaskOutcome
from batchtask.domain.user import Role
from batchtask.serialisation.carrier_input import read_carrier, read_int
from batchtask.serialisation.dates import UNSET_DATETIME, parse_datetime, render_utc
from batchtask.services.emulator.clock import TenantClock
from batchtask.services.emulator.faults import Fault, FaultSpec
from batchtask.services.emulator.journal import JournalEntry
from batchtask.services.emulator.scripts import Script, ScriptOutcome, ScriptStep
from batchtask.services.emulator.seed import Seed, SeedTask, SeedUser, refuse
from batchtask.services.users import check_password, check_username

#: Longest a fault may hold a request, and a script wait between steps (ms): one hour.
MAX_DELAY_MS = 3_600_000
MAX_STEPS = 1000
_UTC = ZoneInfo("UTC")


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a JSON object", field=what)
    return value


def _known(body: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in body:
        if key not in allowed:
            raise InvalidInput(f"{where}: unknown field {key!r}", field=str(key))


def _flag(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false", field=name)
    return value


def _number(body: Mapping[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a number", field=name)
    return float(value)


def _text(body: Mapping[str, Any], name: str, limit: int) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", field=name)
    if limit and len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
    return value


# -- answers ---------------------------------------------------------------------------------


def health(version: str, tenants: int) -> dict[str, Any]:
    """``GET /_batchtask/health``."""
    return {"Status": "ok", "Version": version, "Tenants": tenants}


def clock(value: TenantClock) -> dict[str, Any]:
    """``{"Now", "Frozen"}``."""
    return {"Now": render_utc(value.now(), offset=True), "Frozen": value.frozen}


def fault(value: Fault) -> dict[str, Any]:
    """A fault in force (``Times`` counts what is left)."""
    spec = value.spec
    out: dict[str, Any] = {
        "Id": value.id,
        "Match": {"Method": spec.method, "Path": spec.path},
        "Status": spec.status,
        "Body": spec.body,
        "LatencyMs": spec.latency_ms,
    }
    if value.remaining is not None:
        out["Times"] = value.remaining
    if spec.probability is not None:
        out["Probability"] = spec.probability
    return out


def journal_entry(entry: JournalEntry) -> dict[str, Any]:
    """One request of the journal."""
    return {
        "At": render_utc(entry.at, offset=True),
        "Method": entry.method,
        "Path": entry.path,
        "Query": entry.query,
        "Status": entry.status,
        "DurationMs": round(entry.duration_ms, 3),
        "Headers": dict(entry.headers),
    }


def new_tenant(ctx: str, name: str, password: str, ticket: str, token: str) -> dict[str, Any]:
    """``POST /_batchtask/tenants``: the tenant and its admin's credentials."""
    return {
        "ContextIdentifier": ctx,
        "Admin": {"Name": name, "Password": password, "Ticket": ticket, "Token": token},
    }


# -- bodies ----------------------------------------------------------------------------------


def read_new_tenant(body: Any) -> str | None:
    """``POST /_batchtask/tenants`` ``{"ContextIdentifier"}`` (optional: generated when absent)."""
    values = _object(body, "body")
    _known(values, {"ContextIdentifier"}, "tenant")
    raw = values.get("ContextIdentifier")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidInput("ContextIdentifier must be a string", field="ContextIdentifier")
    return raw


def read_reset(body: Any) -> bool:
    """``POST …/reset`` ``{"Users": bool}`` (default false)."""
    values = _object(body, "body")
    _known(values, {"Users"}, "reset")
    return _flag(values, "Users", False)


def read_clock(body: Any) -> tuple[Any, bool]:
    """``PUT …/clock`` ``{"Now", "Frozen"}``: the moment (``None`` = now) and whether frozen."""
    values = _object(body, "body")
    _known(values, {"Now", "Frozen"}, "clock")
    frozen = _flag(values, "Frozen", True)
    raw = values.get("Now")
    if raw is None:
        return None, frozen
    if not isinstance(raw, str):
        raise InvalidInput("Now must be a date-time text", field="Now")
    try:
        moment = parse_datetime(raw, _UTC)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="Now") from None
    if moment == UNSET_DATETIME:
        raise InvalidInput("Now must be a real moment, not the empty date", field="Now")
    return moment, frozen


def read_advance(body: Any) -> float:
    """``POST …/clock/advance`` ``{"Seconds": n}`` (zero or more)."""
    values = _object(body, "body")
    _known(values, {"Seconds"}, "advance")
    if "Seconds" not in values:
        raise InvalidInput("Seconds is required", field="Seconds")
    seconds = _number(values, "Seconds")
    if seconds < 0:
        raise InvalidInput(
            "Seconds must not be negative (set the clock to go back)", field="Seconds"
        )
    return seconds


def read_fault(body: Any) -> FaultSpec:
    """``POST …/faults``: Match (Method, Path glob), Status, Body, LatencyMs, Times|Probability."""
    values = _object(body, "body")
    _known(values, {"Match", "Status", "Body", "LatencyMs", "Times", "Probability"}, "fault")
    if values.get("Match") is None:
        raise InvalidInput("a fault needs Match {Method, Path}", field="Match")
    match = _object(values["Match"], "Match")
    _known(match, {"Method", "Path"}, "Match")
    method = _text(match, "Method", 16) or "*"
    if method != "*" and not method.isalpha():
        raise InvalidInput("Match.Method must be an HTTP method or *", field="Match.Method")
    path = _text(match, "Path", 1000)
    if not path.startswith("/"):
        raise InvalidInput("Match.Path must be a path glob starting with /", field="Match.Path")
    status = None
    if values.get("Status") is not None:
        status = read_int("Status", values["Status"], 100, 599)
    latency = 0
    if values.get("LatencyMs") is not None:
        latency = read_int("LatencyMs", values["LatencyMs"], 0, MAX_DELAY_MS)
    if status is None and latency == 0:
        raise InvalidInput("a fault needs a Status, a LatencyMs or both", field="Status")
    times = None
    if values.get("Times") is not None:
        times = read_int("Times", values["Times"], 1)
    probability = None
    if values.get("Probability") is not None:
        probability = _number(values, "Probability")
        if not 0 < probability <= 1:
            raise InvalidInput("Probability must be more than 0 and at most 1", field="Probability")
    if times is not None and probability is not None:
        raise InvalidInput("give Times or Probability, not both", field="Times")
    return FaultSpec(
        method=method.upper(),
        path=path,
        status=status,
        body=values.get("Body"),
        latency_ms=latency,
        times=times,
        probability=probability,
    )


def read_script(body: Any) -> Script:
    """``PUT …/definitions/{name}``: Steps, Outcome, Result, Response, FileName."""
    values = _object(body, "body")
    _known(values, {"Steps", "Outcome", "Result", "Response", "FileName"}, "definition")
    raw_steps = values.get("Steps") or []
    if not isinstance(raw_steps, list):
        raise InvalidInput("Steps must be a list", field="Steps")
    if len(raw_steps) > MAX_STEPS:
        raise InvalidInput(f"at most {MAX_STEPS} Steps", field="Steps")
    steps = []
    for index, raw in enumerate(raw_steps):
        where = f"Steps[{index}]"
        step = _object(raw, where)
        _known(step, {"Percent", "Text", "AfterMs"}, where)
        steps.append(
            ScriptStep(
                percent=read_int(f"{where}.Percent", step.get("Percent", 0), 0, 100),
                text=_text(step, "Text", FIELD_LENGTHS["ProgressDescription"]),
                after_ms=read_int(f"{where}.AfterMs", step.get("AfterMs", 0), 0, MAX_DELAY_MS),
            )
        )
    outcome_text = values.get("Outcome", ScriptOutcome.Succeeded.value)
    outcomes = {item.value.casefold(): item for item in ScriptOutcome}
    if not isinstance(outcome_text, str) or outcome_text.casefold() not in outcomes:
        raise InvalidInput(
            "Outcome must be Succeeded, Failed or SucceededManualCleanup", field="Outcome"
        )
    file_name = _text(values, "FileName", FIELD_LENGTHS["FileName"])
    if file_name and (file_name in {".", ".."} or any(c in file_name for c in "/\\\0")):
        raise InvalidInput("FileName must be a plain file name", field="FileName")
    return Script(
        steps=tuple(steps),
        outcome=outcomes[outcome_text.casefold()],
        result=_text(values, "Result", FIELD_LENGTHS["Result"]),
        response=_text(values, "Response", FIELD_LENGTHS["Response"]),
        file_name=file_name,
    )


#: Most users and tasks one seed may create.
MAX_SEED = 10_000


def read_seed(body: Any, zone: ZoneInfo) -> Seed:
    """``POST …/seed`` ``{"Users": […], "Tasks": […]}``: every bad item reported with its index.

    Tasks are carrier-like objects (a ``BatchTaskInfo`` as the API returns it will do): unknown
    and read-only fields are ignored; an empty date (``0001-01-01``) is no date. ``Created`` is
    UTC, ``LastStarted`` in ``zone`` unless it carries an offset (as the API renders them).
    """
    values = _object(body, "body")
    _known(values, {"Users", "Tasks"}, "seed")
    problems: list[str] = []
    users: list[SeedUser] = []
    tasks: list[SeedTask] = []
    for key, read, out in (("Users", _seed_user, users), ("Tasks", _seed_task, tasks)):
        items = values.get(key) or []
        if not isinstance(items, list):
            problems.append(f"{key}: must be a list")
            continue
        if len(items) > MAX_SEED:
            problems.append(f"{key}: at most {MAX_SEED} in one seed")
            continue
        for index, item in enumerate(items):
            try:
                out.append(read(item, zone))  # type: ignore[arg-type]
            except InvalidInput as exc:
                problems.append(f"{key}[{index}]: {exc}")
    if problems:
        raise refuse(problems)
    return Seed(tuple(users), tuple(tasks))


def _seed_user(item: Any, zone: ZoneInfo) -> SeedUser:
    del zone
    values = _object(item, "user")
    _known(values, {"Name", "Password", "Role"}, "user")
    name, password = values.get("Name"), values.get("Password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise InvalidInput("Name and Password are required strings")
    role_text = values.get("Role") or "user"
    roles = {role.value: role for role in Role}
    if not isinstance(role_text, str) or role_text.casefold() not in roles:
        raise InvalidInput("Role must be admin or user")
    return SeedUser(check_username(name), check_password(password), roles[role_text.casefold()])


def _date(values: Mapping[str, Any], name: str, zone: ZoneInfo) -> Any:
    raw = values.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidInput(f"{name} must be a date-time text", field=name)
    try:
        moment = parse_datetime(raw, zone)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {exc}", field=name) from None
    return None if moment == UNSET_DATETIME else moment


def _seed_task(item: Any, zone: ZoneInfo) -> SeedTask:
    values = _object(item, "task")
    carrier = read_carrier(values)
    if carrier.name is None or not carrier.name.strip():
        raise InvalidInput("Name is required", field="Name")
    found = {str(key).casefold(): value for key, value in values.items() if value is not None}

    def number(name: str, low: int, high: int = INT32_MAX) -> int | None:
        raw = found.get(name.casefold())
        return None if raw is None else read_int(name, raw, low, high)

    def text(name: str) -> str | None:
        raw = found.get(name.casefold())
        if raw is None:
            return None
        return _text({name: raw}, name, FIELD_LENGTHS.get(name, 0))

    if carrier.id is not None and carrier.id < 1:
        raise InvalidInput("Id must be 1 or more", field="Id")
    state = carrier.state
    if state in (BatchTaskState.All, BatchTaskState.Unknown):
        raise InvalidInput(f"State {state.name} is not a task's state", field="State")
    owner = number("AssociateId", 0)
    if carrier.is_system:
        owner = 0
    new = NewTask(
        name=carrier.name,
        associate_id=owner or 0,
        description=carrier.description or "",
        request=carrier.request or "",
        context=carrier.context or "",
        database_serial_number=text("DatabaseSerialNumber") or "",
        file_name=text("FileName") or "",
        details_table=carrier.details_table or 0,
        details_record=carrier.details_record or 0,
        is_internal=bool(carrier.is_internal),
        parameters=carrier.parameters,
    )
    outcome = TaskOutcome(
        state=None if state is BatchTaskState.New else state,
        start_count=number("StartCount", 0),
        last_started=_date({"LastStarted": found.get("laststarted")}, "LastStarted", zone),
        progress_percent=number("ProgressPercent", 0, 100),
        progress_description=text("ProgressDescription"),
        result=text("Result"),
        response=carrier.response,
        file_name=None,
    )
    return SeedTask(
        new=new,
        id=carrier.id,
        created=_date({"Created": found.get("created")}, "Created", _UTC),
        owner_given=owner is not None,
        outcome=None if outcome == TaskOutcome() else outcome,
    )
