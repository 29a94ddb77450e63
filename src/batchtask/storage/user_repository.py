"""``UserRepository`` in SQL (``sql/users.sql``): users are SuperOffice associates; names are
unique ignoring case."""

from __future__ import annotations

from datetime import datetime

from batchtask.domain.errors import Conflict
from batchtask.domain.user import Role, User
from batchtask.storage.database import Database, Row
from batchtask.storage.queries import load


def user_from_row(row: Row, offset: int = 0) -> User:
    """Map ``{_user_columns}`` starting at ``offset``."""
    return User(
        associate_id=row[offset],
        username=row[offset + 1],
        display_name=row[offset + 2],
        role=Role(row[offset + 3]),
        active=bool(row[offset + 4]),
        password_hash=row[offset + 5],
    )


class SqlUserRepository:
    """Users of the service."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = load("users", db)

    async def add(
        self, username: str, password_hash: str, role: Role, *, display_name: str, now: datetime
    ) -> User:
        """Create a user; ``Conflict`` when the name is taken (case-insensitively)."""
        db = self._db
        try:
            async with db.transaction() as tx:
                row = await self._sql.add.fetchrow(
                    tx, username=username, key=username.casefold(), display_name=display_name,
                    password_hash=password_hash, role=role.value, active=tx.flag(True),
                    now=tx.ts(now),
                )  # fmt: skip
        except Conflict:
            raise Conflict(f"user {username!r} already exists") from None
        assert row is not None  # noqa: S101 - RETURNING
        return user_from_row(row)

    async def by_name(self, username: str) -> User | None:
        """Look a user up by name, case-insensitively."""
        row = await self._sql.by_name.one(self._db, key=username.casefold())
        return None if row is None else user_from_row(row)

    async def by_id(self, associate_id: int) -> User | None:
        """Look a user up by associate id."""
        row = await self._sql.by_id.one(self._db, associate_id=associate_id)
        return None if row is None else user_from_row(row)

    async def all(self) -> list[User]:
        """Every user, by associate id."""
        return [user_from_row(row) for row in await self._sql.all.fetch(self._db)]

    async def set_password(self, associate_id: int, password_hash: str, *, now: datetime) -> None:
        """Replace a user's password hash."""
        await self._sql.set_password.execute(
            self._db, password_hash=password_hash, now=self._db.ts(now), associate_id=associate_id
        )

    async def set_active(self, associate_id: int, active: bool, *, now: datetime) -> None:
        """Enable or disable a user."""
        await self._sql.set_active.execute(
            self._db, active=self._db.flag(active), now=self._db.ts(now), associate_id=associate_id
        )

    async def remove(self, associate_id: int) -> bool:
        """Delete a user and their credentials."""
        async with self._db.transaction() as db:
            return await self._sql.remove.execute(db, associate_id=associate_id) > 0
