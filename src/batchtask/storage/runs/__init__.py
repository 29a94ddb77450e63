"""``RunRepository`` in SQL: the runtime's reads and fenced writes, split by concern.

* ``claims.py`` — due ``New`` tasks compare-and-swapped to ``Aquired`` (SKIP LOCKED on
  PostgreSQL, a plain-read probe then ``BEGIN IMMEDIATE`` on SQLite);
* ``attempts.py`` — what the holder of an attempt writes (start, finish, retry, release) and Stop;
* ``leases.py`` — heartbeats, status reads, progress;
* ``housekeeping.py`` — the reaper, retention, periodic system tasks and push notifications.

**Fencing.** A claim increments ``startcount``; every later write of that attempt says
``WHERE batchtask_id = :task_id AND startcount = :start_count AND state IN (…)`` and reports
whether it applied. A worker that was paused past its lease, or whose task was stopped, reaped,
finished or deleted from outside, matches no row and never writes again. The partial unique index
on claim events makes a second claim of the same attempt impossible even if the compare-and-swap
were wrong.

**Cancel wins.** Once a Stop has been acknowledged (``cancel_requested`` set), success, retry and
release all end the task ``Failed`` with ``[SR_BATCH_CANCELLED]`` instead, in the same transaction,
so Stop returning ``true`` always means the task really stopped.
"""

from __future__ import annotations

from batchtask.storage.runs.claims import Claims
from batchtask.storage.runs.housekeeping import Housekeeping
from batchtask.storage.runs.leases import Leases

__all__ = ["SqlRunRepository"]


class SqlRunRepository(Claims, Leases, Housekeeping):
    """Every runtime concern over one ``Database`` (see the package docstring)."""
