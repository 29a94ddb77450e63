"""Scripted definitions run by the worker: each step waits on the tenant's clock, then reports.

``PUT /_batchtask/tenants/{ctx}/definitions/{name}`` puts a script in the tenant's
``ScriptBook``; :func:`follow_scripts` makes the tenant's worker run tasks of that name by it
(over a handler of the same name, if any) until the script is deleted. A step's ``AfterMs`` is
counted on the tenant's clock from the previous step, so with a frozen clock a task waits at its
step until the test advances the clock — progress a test can step through deterministically.
The outcome ends the task: ``Failed`` at once (no retry) with the script's Response,
``SucceededManualCleanup``, or ``Succeeded``; ``Result`` and ``FileName`` (a file holding the
Result) are set either way.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from batchtask.domain.clock import Clock
from batchtask.services.emulator.clock import TenantClock
from batchtask.services.emulator.scripts import ScriptBook, ScriptOutcome
from batchtask.worker.context import TaskContext
from batchtask.worker.errors import TaskFailed
from batchtask.worker.registry import Definition
from batchtask.worker.runner import Worker

#: How often a waiting step looks at the clock (it may be moved at any time) and for a Stop.
STEP_POLL = 0.02
#: The Response of a scripted failure that names none.
SCRIPTED_FAILURE = "the scripted definition failed"


def scripted_definition(name: str, scripts: ScriptBook, clock: Clock) -> Definition:
    """The definition that runs tasks of ``name`` by their tenant's script."""

    async def run(ctx: TaskContext) -> None:
        script = scripts.get(ctx.name)
        if script is None:
            raise TaskFailed("the script of this definition was deleted")
        due = clock.now()
        for step in script.steps:
            due += timedelta(milliseconds=step.after_ms)
            while clock.now() < due:
                if ctx.cancelled:
                    return
                await asyncio.sleep(STEP_POLL)
            ctx.progress(step.percent, step.text)
        if script.result:
            ctx.result(script.result)
        if script.file_name:
            ctx.file(script.file_name).write_text(script.result, encoding="utf-8")
        if script.outcome is ScriptOutcome.Failed:
            raise TaskFailed(script.response or SCRIPTED_FAILURE)
        if script.outcome is ScriptOutcome.SucceededManualCleanup:
            ctx.manual_cleanup()

    return Definition(name, run, description="scripted by the emulator", max_starts=1)


def follow_scripts(worker: Worker, scripts: ScriptBook, clock: Clock) -> None:
    """Keep ``worker``'s definitions in step with the tenant's scripts from now on, and (with the
    tenant's ``TenantClock``) its periodic tasks with the clock: a set or an advance schedules
    them for the new time at once, so retention follows the tenant clock."""
    if isinstance(clock, TenantClock):
        clock.on_change(worker.clock_moved)

    def changed(name: str) -> None:
        if scripts.get(name) is None:
            worker.registry.drop_override(name)
        else:
            worker.registry.override(scripted_definition(name, scripts, clock))
        worker.definitions_changed()

    for name in scripts.names():
        worker.registry.override(scripted_definition(name, scripts, clock))
    scripts.on_change(changed)
