"""Unit tests of services and the worker run on the in-memory store.

The contract suite (``tests/contract``) proves it behaves like SQLite and PostgreSQL; tests that
are about a database live there, in ``tests/integration`` and in ``tests/reliability``.
"""

from __future__ import annotations

import pytest

from batchtask.storage.memory import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    """A fresh in-memory store."""
    return MemoryStore()
