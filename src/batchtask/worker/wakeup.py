"""``Wakeup``: when an idle worker should look for work, pushed or polled.

On PostgreSQL a dedicated pooled connection LISTENs; triggers (migration 0002) NOTIFY new work and
stop requests for running tasks at commit, whichever process made the change. When the connection
drops, the worker falls back to polling and subscribes again with back-off. SQLite has no push:
the worker polls every ``poll_interval`` (a read that takes no write lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from batchtask.domain.ports import RunRepository, Subscription

log = logging.getLogger("batchtask.worker")

#: Seconds between checks that the LISTEN connection is still alive.
_WATCH_INTERVAL = 2.0
_MAX_BACKOFF = 30.0


class Wakeup:
    """An event the claim loop waits on, set by pushes, by the worker itself, or by a timeout."""

    def __init__(self, runs: RunRepository, on_cancel: Callable[[int], None]) -> None:
        self._runs = runs
        self._on_cancel = on_cancel
        self._event = asyncio.Event()
        self._subscription: Subscription | None = None

    @property
    def pushing(self) -> bool:
        """The database is pushing notifications right now."""
        return self._subscription is not None and self._subscription.alive

    def poke(self) -> None:
        """Wake the claim loop (new work pushed, a slot freed, shutdown)."""
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Until poked or ``seconds`` have passed; whether it was poked."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        poked = self._event.is_set()
        self._event.clear()
        return poked

    async def run(self) -> None:
        """Keep a subscription alive (returns at once when the engine cannot push)."""
        backoff = 1.0
        while True:
            if not self.pushing:
                await self.close()
                try:
                    self._subscription = await self._runs.listen(self.poke, self._on_cancel)
                except Exception as exc:  # database away or failing: retry, never die
                    log.warning("LISTEN failed (%s); polling, retrying in %.0f s", exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(_MAX_BACKOFF, backoff * 2)
                    continue
                if self._subscription is None:
                    return
                backoff = 1.0
                self.poke()  # catch up with anything that arrived while we were not listening
            await asyncio.sleep(_WATCH_INTERVAL)

    async def close(self) -> None:
        """Drop the subscription."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            try:
                await subscription.close()
            except Exception:
                log.debug("closing the LISTEN subscription failed", exc_info=True)
