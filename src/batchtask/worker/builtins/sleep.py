"""``batchtask.sleep``: sleeps ``seconds`` in ``steps`` equal steps and reports each (demos, tests)."""

from __future__ import annotations

import asyncio
import math

from batchtask.i18n.catalogue import resource
from batchtask.worker.builtins import Environment
from batchtask.worker.context import TaskContext
from batchtask.worker.errors import TaskFailed
from batchtask.worker.registry import Definition, definition

MAX_SECONDS = 86_400
MAX_STEPS = 10_000
#: How often a sleeping step looks at ``ctx.cancelled``.
_SLICE = 0.05


def step_text(step: int, steps: int) -> str:
    """``Step 2 of 5`` (SR_BATCH_PROGRESS_STEP)."""
    template = resource("en", "SR_BATCH_PROGRESS_STEP") or "Step {step} of {steps}"
    return template.format(step=step, steps=steps)


def _number(
    parameters: dict[str, str], name: str, default: float, low: float, high: float
) -> float:
    raw = parameters.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise TaskFailed(f"parameter {name} is not a number: {raw[:40]!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise TaskFailed(f"parameter {name} must be between {low:g} and {high:g}")
    return value


@definition("batchtask.sleep", description="[SR_BATCH_SLEEP_DESCRIPTION]", backoff=1.0)
async def sleep(ctx: TaskContext) -> None:
    """Parameters: ``seconds`` (default 1, ≤ 1 day) and ``steps`` (default 1, ≤ 10 000)."""
    parameters = ctx.parameters
    seconds = _number(parameters, "seconds", 1.0, 0.0, MAX_SECONDS)
    steps = int(_number(parameters, "steps", 1.0, 1.0, MAX_STEPS))
    loop = asyncio.get_running_loop()
    for step in range(1, steps + 1):
        wake = loop.time() + seconds / steps
        while (left := wake - loop.time()) > 0:
            if ctx.cancelled:
                return
            await asyncio.sleep(min(left, _SLICE))
        ctx.progress(100 * step / steps, step_text(step, steps))
    ctx.result(f"slept {seconds:g} s")


def definitions(env: Environment) -> list[Definition]:
    """The sleep definition (needs nothing from ``env``)."""
    spec: Definition = getattr(sleep, "__batchtask_definition__")  # noqa: B009 - set by decorator
    return [spec]
