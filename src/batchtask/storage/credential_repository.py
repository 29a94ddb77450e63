"""``CredentialRepository`` in SQL (``sql/credentials.sql``): hashed tickets, tokens and sessions
joined to their user."""

from __future__ import annotations

from datetime import datetime

from batchtask.domain.credential import Credential, CredentialKind
from batchtask.domain.user import User
from batchtask.storage.database import Database, Row
from batchtask.storage.queries import load
from batchtask.storage.user_repository import user_from_row


def _credential(db: Database, row: Row) -> Credential:
    created, expires = db.instant(row[4]), db.instant(row[5])
    assert created is not None  # noqa: S101 - NOT NULL column
    assert expires is not None  # noqa: S101 - NOT NULL column
    return Credential(
        id=row[0],
        kind=CredentialKind(row[1]),
        associate_id=row[2],
        grant=row[3],
        created=created,
        expires_at=expires,
        sliding_seconds=row[6],
        xsrf_hash=row[7],
        app_hash=row[8],
    )


class SqlCredentialRepository:
    """Tickets, tokens and sessions; the secret itself is never stored."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("credentials", db)

    async def issue(
        self,
        kind: CredentialKind,
        secret_hash: str,
        associate_id: int,
        *,
        grant: str,
        now: datetime,
        expires_at: datetime,
        sliding_seconds: int,
        xsrf_hash: str | None = None,
        app_hash: str | None = None,
    ) -> Credential:
        """Store a new credential."""
        async with self._db.transaction() as db:
            row = await self._sql.issue.fetchrow(
                db, kind=kind.value, secret_hash=secret_hash, associate_id=associate_id,
                grant=grant, now=db.ts(now), expires_at=db.ts(expires_at),
                sliding_seconds=sliding_seconds, xsrf_hash=xsrf_hash, app_hash=app_hash,
            )  # fmt: skip
        assert row is not None  # noqa: S101 - RETURNING
        return Credential(
            int(row[0]), kind, associate_id, grant, now, expires_at, sliding_seconds,
            xsrf_hash, app_hash,
        )  # fmt: skip

    async def lookup(
        self, kind: CredentialKind, secret_hash: str, now: datetime
    ) -> tuple[Credential, User] | None:
        """The unexpired credential with this hash and its active user."""
        db = self._db
        row = await self._sql.lookup.one(
            db, secret_hash=secret_hash, kind=kind.value, now=db.ts(now), active=db.flag(True)
        )
        if row is None:
            return None
        return _credential(db, row), user_from_row(row, 9)

    async def extend(self, credential_id: int, expires_at: datetime) -> None:
        """Move a sliding credential's expiry forward (never backward)."""
        await self._sql.extend.execute(
            self._db, expires_at=self._db.ts(expires_at), credential_id=credential_id
        )

    async def revoke_grant(self, grant: str) -> int:
        """Delete every credential of one login."""
        return await self._sql.revoke_grant.execute(self._db, grant=grant)

    async def revoke_user(self, associate_id: int) -> int:
        """Delete every credential of one user."""
        return await self._sql.revoke_user.execute(self._db, associate_id=associate_id)
