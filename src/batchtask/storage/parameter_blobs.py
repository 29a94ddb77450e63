"""ParameterObjects: a BinaryObject holding UTF-8 JSON, linked to its task (SPEC §9).

``conceptualType`` ``StringDictionary``; the link is owner table 243, link type 6, rank 0, and the
task's ``DetailsTable``/``DetailsRecord`` point at the BinaryObject. The one module that encodes,
decodes and deletes them (a task and its blob are inserted together by ``create`` in
``sql/tasks.sql``), for the API's tasks and for retention alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from batchtask.storage.database import Database
from batchtask.storage.queries import load


def encode(parameters: dict[str, str]) -> bytes:
    """The blob of a ParameterObject."""
    return json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()


def decode(blob: object) -> dict[str, str]:
    """The ParameterObject dictionary of a stored blob (``None`` → empty)."""
    if blob is None:
        return {}
    assert isinstance(blob, bytes | memoryview)  # noqa: S101 - BLOB/BYTEA column
    return dict(_decoded(bytes(blob)))


@lru_cache(maxsize=1024)
def _decoded(blob: bytes) -> tuple[tuple[str, str], ...]:
    """Decoded blobs, remembered: the same task is read far more often than it is written."""
    data = json.loads(blob)
    return tuple((str(key), str(value)) for key, value in data.items())


async def delete_of(db: Database, task_ids: Sequence[int]) -> int:
    """Delete the blobs (and links) of these tasks; how many blobs went."""
    return await load("parameter_blobs", db).delete_of_tasks.execute(
        db, task_ids=db.array(list(task_ids))
    )
