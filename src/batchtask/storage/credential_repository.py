"""``CredentialRepository`` in SQL: hashed tickets, tokens and sessions joined to their user."""

from __future__ import annotations

from datetime import datetime

from batchtask.domain.credential import Credential, CredentialKind
from batchtask.domain.user import User
from batchtask.storage.database import Database, Row
from batchtask.storage.user_repository import USER_COLUMNS, user_from_row

CREDENTIAL_COLUMNS = (
    "c.credential_id, c.kind, c.associate_id, c.grant_id, c.created, c.expires_at,"
    " c.sliding_seconds, c.xsrf_hash, c.app_hash"
)
_USER = ", ".join(f"a.{column.strip()}" for column in USER_COLUMNS.split(","))


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
            row = await db.fetchrow(
                "INSERT INTO credential (kind, secret_hash, associate_id, grant_id, created,"
                " expires_at, sliding_seconds, xsrf_hash, app_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING credential_id",
                kind.value,
                secret_hash,
                associate_id,
                grant,
                self._db.ts(now),
                self._db.ts(expires_at),
                sliding_seconds,
                xsrf_hash,
                app_hash,
            )
        assert row is not None  # noqa: S101 - RETURNING
        return Credential(
            int(row[0]), kind, associate_id, grant, now, expires_at, sliding_seconds,
            xsrf_hash, app_hash,
        )  # fmt: skip

    async def lookup(
        self, kind: CredentialKind, secret_hash: str, now: datetime
    ) -> tuple[Credential, User] | None:
        """The unexpired credential with this hash and its active user."""
        row = await self._db.fetchrow(
            f"SELECT {CREDENTIAL_COLUMNS}, {_USER} FROM credential c"
            " JOIN associate a ON a.associate_id = c.associate_id"
            " WHERE c.secret_hash = ? AND c.kind = ? AND c.expires_at > ? AND a.active = ?",
            secret_hash,
            kind.value,
            self._db.ts(now),
            self._db.flag(True),
        )
        if row is None:
            return None
        return _credential(self._db, row), user_from_row(row, 9)

    async def extend(self, credential_id: int, expires_at: datetime) -> None:
        """Move a sliding credential's expiry forward (never backward)."""
        await self._db.execute(
            "UPDATE credential SET expires_at = ? WHERE credential_id = ? AND expires_at < ?",
            self._db.ts(expires_at),
            credential_id,
            self._db.ts(expires_at),
        )

    async def revoke_grant(self, grant: str) -> int:
        """Delete every credential of one login."""
        return await self._db.execute("DELETE FROM credential WHERE grant_id = ?", grant)

    async def revoke_user(self, associate_id: int) -> int:
        """Delete every credential of one user."""
        return await self._db.execute("DELETE FROM credential WHERE associate_id = ?", associate_id)
