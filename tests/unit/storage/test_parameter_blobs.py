"""ParameterObject blobs: encoding round trip and a decode cache bounded by bytes."""

from __future__ import annotations

import gc
import tracemalloc

from batchtask.storage import parameter_blobs


def test_blobs_round_trip() -> None:
    """What is encoded decodes to the same dictionary; no blob is an empty one."""
    parameters = {"a": "1", "ключ": "значение", "": ""}
    assert parameter_blobs.decode(parameter_blobs.encode(parameters)) == parameters
    assert parameter_blobs.decode(None) == {}


def test_the_decode_cache_is_bounded_by_bytes() -> None:
    """Issue 11 #6: the cache of decoded blobs keeps at most its byte budget, however large the
    blobs read (it was 1,024 entries of any size: 400 blobs of 50 KB kept 40 MB, 1,024 of 1 MB
    would keep 2 GB)."""
    parameter_blobs.clear_cache()
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for index in range(400):
            blob = parameter_blobs.encode({"k": f"{index:06d}" + "x" * 50_000})
            assert parameter_blobs.decode(blob)["k"].startswith(f"{index:06d}")
            del blob
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        parameter_blobs.clear_cache()
    assert kept < parameter_blobs.CACHE_BYTES * 1.25, kept
    assert parameter_blobs.CACHE_BYTES <= 16 * 1024 * 1024


def test_small_blobs_are_remembered() -> None:
    """A blob read again is decoded once (the hot path of GET BatchTask/{id})."""
    parameter_blobs.clear_cache()
    blob = parameter_blobs.encode({"seconds": "5"})
    first = parameter_blobs.decode(blob)
    assert parameter_blobs.decode(bytes(blob)) == first
    assert parameter_blobs.cache_info() == (1, 2 * len(blob))
