"""Scripted definitions: tasks of a name that run given steps and end as told, with no code.

How integrators emulate SuperOffice's own tasks (an import, a mass update) whose handlers this
server does not have: ``PUT /_batchtask/tenants/{ctx}/definitions/{name}`` with steps and an
outcome, and the tenant's worker runs tasks of that name by the script.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class ScriptOutcome(Enum):
    """How a scripted task ends."""

    Succeeded = "Succeeded"
    Failed = "Failed"
    SucceededManualCleanup = "SucceededManualCleanup"


@dataclass(frozen=True, slots=True)
class ScriptStep:
    """After ``after_ms`` (since the previous step, on the tenant's clock), report progress."""

    percent: int
    text: str = ""
    after_ms: int = 0


@dataclass(frozen=True, slots=True)
class Script:
    """The whole behaviour of a scripted definition."""

    steps: tuple[ScriptStep, ...] = ()
    outcome: ScriptOutcome = ScriptOutcome.Succeeded
    result: str = ""
    #: The Response of a ``Failed`` outcome (SuperOffice's error text or a ``[SR_…]`` reference).
    response: str = ""
    #: A file the task leaves (its Result is written into it), ``""`` for none.
    file_name: str = ""


class ScriptBook:
    """The scripted definitions of one tenant, by case-insensitive name."""

    def __init__(self) -> None:
        self._scripts: dict[str, tuple[str, Script]] = {}
        self._listeners: list[Callable[[str], None]] = []

    def put(self, name: str, script: Script) -> None:
        """Script ``name`` (replacing an earlier script of it)."""
        self._scripts[name.casefold()] = (name, script)
        self._changed(name)

    def remove(self, name: str) -> bool:
        """Forget the script of ``name``; whether there was one."""
        gone = self._scripts.pop(name.casefold(), None) is not None
        if gone:
            self._changed(name)
        return gone

    def get(self, name: str) -> Script | None:
        """The script of ``name`` (any case)."""
        found = self._scripts.get(name.casefold())
        return None if found is None else found[1]

    def names(self) -> list[str]:
        """Every scripted name, as first given."""
        return [name for name, _ in self._scripts.values()]

    def clear(self) -> None:
        """Forget every script."""
        names = self.names()
        self._scripts.clear()
        for name in names:
            self._changed(name)

    def on_change(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(name)`` whenever a script is put or removed (the worker listens)."""
        self._listeners.append(listener)

    def _changed(self, name: str) -> None:
        for listener in self._listeners:
            listener(name)
