"""``EmulatorState``: every tenant's clock, faults, journal and scripts, by ContextIdentifier."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from batchtask.domain.clock import Clock
from batchtask.services.emulator.clock import TenantClock
from batchtask.services.emulator.faults import FaultBook
from batchtask.services.emulator.journal import Journal
from batchtask.services.emulator.scripts import ScriptBook


@dataclass(slots=True)
class TenantControls:
    """The emulator's controls of one tenant."""

    clock: TenantClock
    faults: FaultBook = field(default_factory=FaultBook)
    journal: Journal = field(default_factory=Journal)
    scripts: ScriptBook = field(default_factory=ScriptBook)

    def reset(self) -> None:
        """Real time, no faults, an empty journal, no scripts."""
        self.clock.reset()
        self.faults.clear()
        self.journal.clear()
        self.scripts.clear()


class EmulatorState:
    """The controls of every tenant of this process, made on first use.

    ``clock_for`` is the clock factory the composition root gives each tenant's services, so the
    clock a test sets is the very one that tenant's services and worker read.
    """

    def __init__(self, real: Clock, *, token: str = "") -> None:
        self.real = real
        #: ``BATCHTASK_EMULATOR_TOKEN``: when set, every control call must carry it.
        self.token = token
        self._tenants: dict[str, TenantControls] = {}

    def controls(self, ctx: str) -> TenantControls:
        """The controls of tenant ``ctx`` (any case), made when first asked for."""
        key = ctx.casefold()
        found = self._tenants.get(key)
        if found is None:
            found = self._tenants[key] = TenantControls(TenantClock(self.real))
        return found

    def peek(self, ctx: str) -> TenantControls | None:
        """The controls of ``ctx`` if any were made (the request path asks without making)."""
        return self._tenants.get(ctx.casefold())

    def clock_for(self, ctx: str) -> TenantClock:
        """The clock factory: tenant ``ctx``'s clock."""
        return self.controls(ctx).clock

    def forget(self, ctx: str) -> None:
        """Drop a removed tenant's controls (a tenant made again starts afresh)."""
        controls = self._tenants.pop(ctx.casefold(), None)
        if controls is not None:
            controls.reset()

    def __iter__(self) -> Iterator[str]:
        return iter(self._tenants)
