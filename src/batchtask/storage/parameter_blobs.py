"""ParameterObjects: a BinaryObject holding UTF-8 JSON, linked to its task (SPEC §9).

``conceptualType`` ``StringDictionary``; the link is owner table 243, link type 6, rank 0, and the
task's ``DetailsTable``/``DetailsRecord`` point at the BinaryObject. The one module that encodes,
decodes and deletes them (a task and its blob are inserted together by ``create`` in
``sql/tasks.sql``), for the API's tasks and for retention alike.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence

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


#: Bytes the decode cache may hold, counting each blob twice (the key and its decoded text).
CACHE_BYTES = 8 * 1024 * 1024
#: Blobs larger than this are decoded every time: one would push out hundreds of small ones.
CACHE_LARGEST = 64 * 1024

_Pairs = tuple[tuple[str, str], ...]
_cache: OrderedDict[bytes, _Pairs] = OrderedDict()
_cached_bytes = 0
_lock = threading.Lock()  # decode runs on the loop and in worker threads alike


def _decoded(blob: bytes) -> _Pairs:
    """Decoded blobs, remembered: the same task is read far more often than it is written.

    Least recently used first out, bounded by :data:`CACHE_BYTES` of blobs rather than by a
    count (issue 11 #6: 1,024 entries of any size could hold gigabytes).
    """
    global _cached_bytes  # noqa: PLW0603 - the one cache of the process
    with _lock:
        pairs = _cache.get(blob)
        if pairs is not None:
            _cache.move_to_end(blob)
            return pairs
    data = json.loads(blob)
    pairs = tuple((str(key), str(value)) for key, value in data.items())
    if len(blob) <= CACHE_LARGEST:
        with _lock:
            if blob not in _cache:
                _cache[blob] = pairs
                _cached_bytes += 2 * len(blob)
                while _cached_bytes > CACHE_BYTES:
                    gone, _ = _cache.popitem(last=False)
                    _cached_bytes -= 2 * len(gone)
    return pairs


def cache_info() -> tuple[int, int]:
    """(entries, bytes counted) of the decode cache."""
    with _lock:
        return len(_cache), _cached_bytes


def clear_cache() -> None:
    """Forget every decoded blob (tests)."""
    global _cached_bytes  # noqa: PLW0603 - the one cache of the process
    with _lock:
        _cache.clear()
        _cached_bytes = 0


async def delete_of(db: Database, task_ids: Sequence[int]) -> int:
    """Delete the blobs (and links) of these tasks; how many blobs went."""
    return await load("parameter_blobs", db).delete_of_tasks.execute(
        db, task_ids=db.array(list(task_ids))
    )
