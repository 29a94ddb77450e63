"""``TenantClock``: a clock a test can freeze, set and move, per tenant.

Why not a fake clock in the tests alone: integration tests drive a *running* server over HTTP, so
the server itself must let them say "it is now 2024-03-01 09:00" or "an hour passes". The tenant's
services and worker read this clock for everything they stamp (Created, LastStarted, events),
for relative ``$filter`` dates, retention and scripted steps; credentials keep the real clock
(``real``), so moving a tenant a day ahead never logs the test out.

State is one immutable pair swapped in one assignment, so threads (sync handlers) may read it
while the event loop changes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from batchtask.domain.clock import Clock


class ImpossibleClock(ValueError):
    """A clock setting that cannot be (before year 1, after year 9999, not a moment)."""


@dataclass(frozen=True, slots=True)
class _State:
    #: Added to the real time while running.
    offset: timedelta = timedelta(0)
    #: The instant the clock stands still at, or ``None`` while it runs.
    frozen_at: datetime | None = None


class TenantClock:
    """Real time, shifted or frozen on request (the ``Clock`` protocol)."""

    def __init__(self, real: Clock) -> None:
        #: The clock this one is set against (the machine's; a test's fake one in our tests).
        self.real = real
        self._state = _State()
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every set, advance and reset (the worker re-schedules)."""
        self._listeners.append(listener)

    def _changed(self, state: _State) -> None:
        self._state = state
        for listener in self._listeners:
            listener()

    def now(self) -> datetime:
        """The tenant's current time, aware UTC."""
        state = self._state
        if state.frozen_at is not None:
            return state.frozen_at
        return self.real.now() + state.offset

    @property
    def frozen(self) -> bool:
        """The clock stands still until set or advanced."""
        return self._state.frozen_at is not None

    @property
    def is_real(self) -> bool:
        """Neither shifted nor frozen."""
        return self._state == _State()

    def set(self, at: datetime | None, *, frozen: bool) -> None:
        """Stand still at ``at`` (now when ``None``), or run on from ``at``."""
        if at is not None and (at.tzinfo is None or at.utcoffset() is None):
            raise ImpossibleClock("Now must carry a time zone offset (for example Z)")
        moment = self.now() if at is None else at.astimezone(UTC)
        if frozen:
            self._changed(_State(frozen_at=moment))
        else:
            self._changed(_State(offset=moment - self.real.now()))

    def advance(self, seconds: float) -> None:
        """Move the clock forward; a frozen one stays frozen at the new time."""
        if not seconds >= 0 or seconds == float("inf"):
            raise ImpossibleClock("Seconds must be a finite number, zero or more")
        state = self._state
        try:
            step = timedelta(seconds=seconds)
            _ = self.now() + step  # a clock past the year 9999 is refused here
            moved = (
                _State(frozen_at=state.frozen_at + step)
                if state.frozen_at is not None
                else _State(offset=state.offset + step)
            )
        except OverflowError:
            raise ImpossibleClock("the clock would pass the year 9999") from None
        self._changed(moved)

    def reset(self) -> None:
        """Back to real time."""
        self._changed(_State())
