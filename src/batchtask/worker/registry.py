"""Task definitions (SPEC §8.1): the ``@definition`` decorator, plug-ins and the registry.

A definition is a name plus a handler plus policy. Handlers are plain callables, sync or async,
that take one :class:`~batchtask.worker.context.TaskContext`::

    @definition("acme.report", description="Monthly report", timeout=600, max_starts=3)
    def report(ctx: TaskContext) -> None:
        ...

The decorator only marks the function (it returns it unchanged), so importing a module never
changes global state and the same function can be pickled by reference into a child process.
Registries collect marked functions from modules, objects or the ``batchtask.handlers``
entry-point group of installed packages.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import import_module, metadata
from types import ModuleType
from typing import Any, Literal, TypeVar

from batchtask.domain.ports import DefinitionPolicy
from batchtask.domain.state import CancellationBehaviour
from batchtask.domain.task import FIELD_LENGTHS
from batchtask.worker.errors import DefinitionError

log = logging.getLogger("batchtask.worker")

#: Entry-point group of handler plug-ins; each entry names a module or a decorated function.
ENTRY_POINT_GROUP = "batchtask.handlers"
#: Attribute the decorator sets on a handler.
MARK = "__batchtask_definition__"

Isolation = Literal["inline", "process"]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Definition:
    """A runnable task definition."""

    name: str
    #: ``handler(ctx)``; a coroutine function runs on the worker's loop, a plain function in a
    #: thread, and either in a child process with ``isolation="process"``.
    handler: Callable[..., Any]
    description: str = ""
    cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel
    #: Seconds one attempt may run (``None`` = no limit); it ends ``Failed`` [SR_BATCH_TIMED_OUT].
    timeout: float | None = None
    #: Attempts before the task ends ``Failed``; handler errors are retried until then.
    max_starts: int = 3
    #: Base of the exponential retry delay, in seconds (jittered).
    backoff: float = 1.0
    #: ``process`` runs the handler in a spawned child so a Stop or timeout can kill it.
    isolation: Isolation = "inline"

    def __post_init__(self) -> None:
        problems = []
        if not self.name.strip() or len(self.name) > FIELD_LENGTHS["Name"]:
            problems.append("name must be 1..254 characters")
        if not callable(self.handler):
            problems.append("handler must be callable")
        if self.timeout is not None and not self.timeout > 0:
            problems.append("timeout must be positive or None")
        if self.max_starts < 1:
            problems.append("max_starts must be at least 1")
        if not self.backoff >= 0:
            problems.append("backoff must not be negative")
        if self.isolation not in ("inline", "process"):
            problems.append("isolation must be 'inline' or 'process'")
        elif self.isolation == "process" and not _importable(self.handler):
            problems.append("isolation='process' needs a module-level function")
        if problems:
            raise DefinitionError(f"definition {self.name!r}: " + "; ".join(problems))

    @property
    def key(self) -> str:
        """Definition names compare case-insensitively, as SuperOffice's do."""
        return self.name.casefold()

    @property
    def is_async(self) -> bool:
        """The handler is a coroutine function."""
        return inspect.iscoroutinefunction(self.handler)

    def policy(self) -> DefinitionPolicy:
        """What the database stores about this definition."""
        return DefinitionPolicy(
            name=self.name,
            description=self.description,
            cancellation=self.cancellation,
            timeout=self.timeout,
            max_starts=self.max_starts,
            backoff=self.backoff,
            isolation=self.isolation,
        )


def definition(
    name: str,
    *,
    description: str = "",
    cancellation: CancellationBehaviour = CancellationBehaviour.CanCancel,
    timeout: float | None = None,
    max_starts: int = 3,
    backoff: float = 1.0,
    isolation: Isolation = "inline",
) -> Callable[[F], F]:
    """Mark ``handler`` as the definition ``name``; the function itself is returned unchanged."""

    def mark(handler: F) -> F:
        spec = Definition(
            name, handler, description=description, cancellation=cancellation,
            timeout=timeout, max_starts=max_starts, backoff=backoff, isolation=isolation,
        )  # fmt: skip
        setattr(handler, MARK, spec)
        return handler

    return mark


class Registry:
    """The definitions one worker can run, by case-insensitive name."""

    def __init__(self, definitions: Iterable[Definition] = ()) -> None:
        self._by_key: dict[str, Definition] = {}
        #: Definitions that replace others of their name while they last (the emulator's
        #: scripted definitions, SPEC §11.2); they may come and go while the worker runs.
        self._overrides: dict[str, Definition] = {}
        #: Grows with every change of ``_overrides``: the worker registers again when it moved.
        self.version = 0
        for spec in definitions:
            self.add(spec)

    def override(self, spec: Definition) -> None:
        """Run tasks of ``spec.name`` with ``spec`` (instead of a registered one) from now on."""
        self._overrides[spec.key] = spec
        self.version += 1

    def drop_override(self, name: str) -> None:
        """Back to the registered definition of ``name`` (or none)."""
        if self._overrides.pop(name.casefold(), None) is not None:
            self.version += 1

    def add(self, spec: Definition) -> Definition:
        """Register one definition; a second one of the same name is an error."""
        if spec.key in self._by_key:
            raise DefinitionError(f"definition {spec.name!r} is registered twice")
        self._by_key[spec.key] = spec
        return spec

    def collect(self, target: object) -> list[Definition]:
        """Register a :class:`Definition`, a decorated function, or every one in a module."""
        if isinstance(target, Definition):
            return [self.add(target)]
        if isinstance(target, ModuleType):
            found = [
                member
                for _, member in inspect.getmembers(target)
                if isinstance(getattr(member, MARK, None), Definition)
            ]
            if not found:
                raise DefinitionError(f"module {target.__name__} defines no @definition handler")
            return [self.add(getattr(member, MARK)) for member in found]
        spec = getattr(target, MARK, None)
        if isinstance(spec, Definition):
            return [self.add(spec)]
        raise DefinitionError(f"{target!r} is not a @definition handler, Definition or module")

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[Definition]:
        """Register the handlers of installed plug-ins; a broken plug-in stops the worker."""
        loaded: list[Definition] = []
        for entry in metadata.entry_points(group=group):
            try:
                target = entry.load()
            except Exception as exc:
                raise DefinitionError(f"plug-in {entry.name!r} ({entry.value}): {exc}") from exc
            found = self.collect(target)
            log.info("plug-in %s: %s", entry.name, ", ".join(spec.name for spec in found))
            loaded += found
        return loaded

    def get(self, name: str) -> Definition | None:
        """The definition called ``name`` (any case)."""
        key = name.casefold()
        return self._overrides.get(key) or self._by_key.get(key)

    def __iter__(self) -> Iterator[Definition]:
        merged = {**self._by_key, **self._overrides}
        return iter(list(merged.values()))

    def __len__(self) -> int:
        return len(self._by_key.keys() | self._overrides.keys())


def import_handlers(module: str) -> ModuleType:
    """Import a handler module named in the ``handlers`` setting."""
    try:
        return import_module(module)
    except ImportError as exc:
        raise DefinitionError(f"handler module {module!r}: {exc}") from exc


def _importable(handler: Callable[..., Any]) -> bool:
    """A child process can find the handler again by module and qualified name."""
    module = getattr(handler, "__module__", None)
    qualname = getattr(handler, "__qualname__", "")
    return bool(module) and module != "__main__" and "<" not in qualname
