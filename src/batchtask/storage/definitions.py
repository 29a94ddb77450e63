"""Task definitions: created lazily on first use of a name (as SuperOffice does; names are unique
ignoring case), and upserted with their policy by the workers that run them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

from batchtask.domain.ports import DefinitionPolicy
from batchtask.domain.state import CancellationBehaviour
from batchtask.domain.task import FIELD_LENGTHS
from batchtask.storage.database import Database
from batchtask.storage.queries import load


def clip(text: str, field: str) -> str:
    """``text`` cut to the stored length of a SuperOffice field."""
    limit = FIELD_LENGTHS[field]
    return text if limit == 0 or len(text) <= limit else text[: limit - 1] + "…"


async def definition_id(
    db: Database, name: str, now: datetime, cancellation: CancellationBehaviour
) -> int:
    """The id of the definition called ``name`` (any case), created if there is none."""
    queries = load("definitions", db)
    key = name.casefold()
    row = await queries.id_by_key.one(db, key=key)
    if row is not None:
        return int(row[0])
    await queries.insert_lazily.execute(
        db, name=name, key=key, cancellation=int(cancellation), now=db.ts(now)
    )
    row = await queries.id_by_key.one(db, key=key)
    assert row is not None  # noqa: S101 - inserted or present just above
    return int(row[0])


async def register(
    db: Database, definitions: Sequence[DefinitionPolicy], *, now: datetime
) -> Mapping[str, int]:
    """Upsert definitions with their policy; ids by casefolded name."""
    queries = load("definitions", db)
    ids: dict[str, int] = {}
    async with db.transaction() as tx:
        for policy in definitions:
            key = policy.name.casefold()
            row = await queries.register.fetchrow(
                tx,
                name=policy.name,
                key=key,
                description=clip(policy.description, "Description"),
                timeout=0 if policy.timeout is None else math.ceil(policy.timeout),
                restarts=max(0, policy.max_starts - 1),
                backoff=float(policy.backoff),
                cancellation=int(policy.cancellation),
                isolation=policy.isolation,
                now=tx.ts(now),
            )
            assert row is not None  # noqa: S101 - RETURNING
            ids[key] = int(row[0])
    return ids
