"""Metrics of several API processes (``serve --workers N``) summed into one scrape.

Each granian worker process counts its own requests (``HttpMetrics``); a scrape reaches only one
of them. So every process writes its counters, about once a second, to ``<folder>/<pid>.json``
(written whole, then renamed: a reader never sees half a file), and a scrape adds the other
processes' latest files to its own live counters. Files of processes that have exited stay, so
totals never go backwards when granian respawns a worker; ``serve`` makes a fresh folder per run.
Another process's figures are at most a second old.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("batchtask.http")

#: Seconds between two writes of a process's counters.
PUBLISH_INTERVAL = 1.0

Snapshot = dict[str, Any]


class MetricsShare:
    """One process's side of the shared folder."""

    def __init__(self, folder: Path, pid: int | None = None) -> None:
        self.folder = folder
        self.pid = os.getpid() if pid is None else pid
        folder.mkdir(parents=True, exist_ok=True)

    def publish(self, snapshot: Snapshot) -> None:
        """Write this process's counters (atomically)."""
        path = self.folder / f"{self.pid}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(snapshot), "utf-8")
        os.replace(temporary, path)

    def peers(self) -> list[Snapshot]:
        """The latest counters of every other process (unreadable files are skipped)."""
        out = []
        for path in self.folder.glob("*.json"):
            if path.stem == str(self.pid):
                continue
            with contextlib.suppress(OSError, ValueError):
                out.append(json.loads(path.read_text("utf-8")))
        return out

    async def run(self, snapshot: Any) -> None:
        """Publish ``snapshot()`` every :data:`PUBLISH_INTERVAL` seconds until cancelled."""
        while True:
            try:
                self.publish(snapshot())
            except OSError as exc:  # a full disk must not take the API down
                log.warning("could not share metrics: %s", exc)
            await asyncio.sleep(PUBLISH_INTERVAL)
