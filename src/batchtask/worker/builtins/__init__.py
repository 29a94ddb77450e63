"""Built-in task definitions (SPEC §8.1), registered by every worker.

Each module exposes ``definitions(env) -> list[Definition]`` and, when it runs on a schedule,
``periodic(env) -> list[Periodic]``. To add one write the module and
list it in ``_modules``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from batchtask.config import Settings
from batchtask.domain.clock import Clock
from batchtask.domain.ports import RunRepository, TaskRepository
from batchtask.worker.periodic import Periodic
from batchtask.worker.registry import Definition


@dataclass(frozen=True, slots=True)
class Environment:
    """What built-in handlers may use besides their task context."""

    settings: Settings
    runs: RunRepository
    clock: Clock
    tasks: TaskRepository


def builtin_definitions(env: Environment) -> list[Definition]:
    """Every built-in definition; those without a timeout of their own get ``builtin_timeout``
    (so a day-long sleep cannot hold a slot for a day unless the operator allows it)."""
    limit = env.settings.builtin_timeout or None
    return [
        spec if spec.timeout is not None or limit is None else replace(spec, timeout=limit)
        for module in _modules()
        for spec in module.definitions(env)
    ]


def builtin_periodic(env: Environment) -> list[Periodic]:
    """The built-ins that run on a schedule with the current settings."""
    return [
        item
        for module in _modules()
        if hasattr(module, "periodic")
        for item in module.periodic(env)
    ]


def _modules() -> tuple[Any, ...]:
    from batchtask.worker.builtins import callback, export, retention, sleep  # noqa: PLC0415

    return (sleep, callback, retention, export)
