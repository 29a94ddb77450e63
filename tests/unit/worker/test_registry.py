"""Definitions: the decorator, policy validation, registries and entry-point plug-ins."""

from __future__ import annotations

import types
from typing import Any

import pytest

from batchtask.domain.ports import DefinitionPolicy
from batchtask.domain.state import CancellationBehaviour
from batchtask.worker.context import TaskContext
from batchtask.worker.errors import DefinitionError
from batchtask.worker.registry import MARK, Definition, Registry, definition, import_handlers
from tests.unit.worker import handlers


def test_the_decorator_marks_and_returns_the_function() -> None:
    """Decorating changes no global state; the function stays callable as it was."""

    @definition("Acme.Report", description="d", timeout=5, max_starts=4, backoff=2,
                cancellation=CancellationBehaviour.CannotCancel)  # fmt: skip
    def report(ctx: TaskContext) -> None:
        return None

    spec = getattr(report, MARK)
    assert isinstance(spec, Definition)
    assert (spec.key, spec.is_async, spec.handler) == ("acme.report", False, report)
    assert spec.policy() == DefinitionPolicy(
        "Acme.Report", "d", CancellationBehaviour.CannotCancel, 5, 4, 2, "inline"
    )


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 255}, "name"),
        ({"timeout": 0}, "timeout"),
        ({"max_starts": 0}, "max_starts"),
        ({"backoff": -1}, "backoff"),
        ({"isolation": "thread"}, "isolation"),
    ],
)
def test_invalid_policies_are_refused(kwargs: dict[str, Any], problem: str) -> None:
    """Each broken field is named."""
    values: dict[str, Any] = {"name": "ok", "handler": handlers.in_thread, **kwargs}
    with pytest.raises(DefinitionError, match=problem):
        Definition(**values)


def test_process_isolation_needs_an_importable_function() -> None:
    """A closure cannot be found again in a child process."""

    def local(ctx: TaskContext) -> None:
        return None

    with pytest.raises(DefinitionError, match="module-level"):
        Definition("x", local, isolation="process")
    assert Definition("x", handlers.in_child, isolation="process").isolation == "process"


def test_registry_collects_modules_and_refuses_duplicates() -> None:
    """A module contributes every decorated member; names are unique case-insensitively."""
    registry = Registry()
    found = registry.collect(handlers)
    assert {spec.name for spec in found} >= {"test.process", "test.thread", "test.boom"}
    assert registry.get("TEST.THREAD") is getattr(handlers.in_thread, MARK)
    assert len(registry) == len(found)
    with pytest.raises(DefinitionError, match="twice"):
        registry.collect(handlers.in_thread)
    with pytest.raises(DefinitionError, match="not a @definition"):
        Registry().collect(print)
    with pytest.raises(DefinitionError, match="defines no"):
        Registry().collect(types.ModuleType("empty"))


def test_entry_points_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed plug-ins register their handlers; a broken one names itself."""

    class Entry:
        def __init__(self, name: str, value: str, target: object) -> None:
            self.name, self.value, self._target = name, value, target

        def load(self) -> object:
            if isinstance(self._target, Exception):
                raise self._target
            return self._target

    entries = [Entry("tests", "tests.unit.worker.handlers", handlers)]
    monkeypatch.setattr("batchtask.worker.registry.metadata.entry_points", lambda group: entries)
    registry = Registry()
    assert {spec.name for spec in registry.load_entry_points()} >= {"test.process"}
    entries[:] = [Entry("broken", "nope:x", ImportError("no module nope"))]
    with pytest.raises(DefinitionError, match="plug-in 'broken'"):
        Registry().load_entry_points()


def test_handler_modules_from_settings_are_imported() -> None:
    """``BATCHTASK_HANDLERS`` names modules; a missing one is a clear error."""
    assert import_handlers("tests.unit.worker.handlers") is handlers
    with pytest.raises(DefinitionError, match=r"handler module 'no\.such\.module'"):
        import_handlers("no.such.module")
