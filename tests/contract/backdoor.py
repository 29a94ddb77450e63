"""What contract tests do behind a store's back (states no API produces), for every kind of store.

The SQL stores are changed with SQL; the memory store's rows are changed directly. Each helper
does the same thing to both, so the tests around it stay the same for every store.
"""

from __future__ import annotations

from typing import Any

from batchtask.domain.state import BatchTaskState
from batchtask.storage.memory import MemoryStore


async def force_task(store: Any, task_id: int, **columns: object) -> None:
    """Set ``state`` (a ``BatchTaskState``) and/or ``start_count`` of a task directly."""
    if isinstance(store, MemoryStore):
        row = store.tables.tasks[task_id]
        for name, value in columns.items():
            setattr(row, name, value)
        return
    names = {"state": "state", "start_count": "startcount"}
    sets = ", ".join(f"{names[name]} = ?" for name in columns)
    values = [int(v) if isinstance(v, BatchTaskState) else v for v in columns.values()]
    await store.db.execute(f"UPDATE batchtask SET {sets} WHERE batchtask_id = ?", *values, task_id)


async def blob_count(store: Any) -> int:
    """How many parameter blobs the database holds."""
    if isinstance(store, MemoryStore):
        return len(store.tables.blobs)
    row = await store.db.fetchrow("SELECT COUNT(*) FROM binaryobject")
    return int(row[0])


async def definition_row(store: Any, definition_id: int) -> tuple[object, ...]:
    """(name, description, timeout, autorestartcount, backoff, cancellation) of a definition."""
    if isinstance(store, MemoryStore):
        d = store.tables.definitions[definition_id]
        return (d.name, d.description, d.timeout, d.restarts, d.backoff, int(d.cancellation))
    row = await store.db.fetchrow(
        "SELECT name, description, timeout, autorestartcount, backoff_seconds,"
        " cancellation_behaviour FROM batchtaskdefinition WHERE batchtaskdefinition_id = ?",
        definition_id,
    )
    return tuple(row)
