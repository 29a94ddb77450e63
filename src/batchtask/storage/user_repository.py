"""``UserRepository`` in SQL: users are SuperOffice associates; names are unique ignoring case."""

from __future__ import annotations

from datetime import datetime

from batchtask.domain.errors import Conflict
from batchtask.domain.user import Role, User
from batchtask.storage.database import Database, Row

USER_COLUMNS = "associate_id, username, display_name, role, active, password_hash"


def user_from_row(row: Row, offset: int = 0) -> User:
    """Map ``USER_COLUMNS`` starting at ``offset``."""
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

    async def add(
        self, username: str, password_hash: str, role: Role, *, display_name: str, now: datetime
    ) -> User:
        """Create a user; ``Conflict`` when the name is taken (case-insensitively)."""
        try:
            async with self._db.transaction() as db:
                row = await db.fetchrow(
                    "INSERT INTO associate (username, username_key, display_name, password_hash, role,"
                    f" active, registered, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}",
                    username,
                    username.casefold(),
                    display_name,
                    password_hash,
                    role.value,
                    self._db.flag(True),
                    self._db.ts(now),
                    self._db.ts(now),
                )
        except Conflict:
            raise Conflict(f"user {username!r} already exists") from None
        assert row is not None  # noqa: S101 - RETURNING
        return user_from_row(row)

    async def by_name(self, username: str) -> User | None:
        """Look a user up by name, case-insensitively."""
        row = await self._db.fetchrow(
            f"SELECT {USER_COLUMNS} FROM associate WHERE username_key = ?", username.casefold()
        )
        return None if row is None else user_from_row(row)

    async def by_id(self, associate_id: int) -> User | None:
        """Look a user up by associate id."""
        row = await self._db.fetchrow(
            f"SELECT {USER_COLUMNS} FROM associate WHERE associate_id = ?", associate_id
        )
        return None if row is None else user_from_row(row)

    async def all(self) -> list[User]:
        """Every user, by associate id."""
        rows = await self._db.fetch(f"SELECT {USER_COLUMNS} FROM associate ORDER BY associate_id")
        return [user_from_row(row) for row in rows]

    async def set_password(self, associate_id: int, password_hash: str, *, now: datetime) -> None:
        """Replace a user's password hash."""
        await self._db.execute(
            "UPDATE associate SET password_hash = ?, updated = ? WHERE associate_id = ?",
            password_hash,
            self._db.ts(now),
            associate_id,
        )

    async def set_active(self, associate_id: int, active: bool, *, now: datetime) -> None:
        """Enable or disable a user."""
        await self._db.execute(
            "UPDATE associate SET active = ?, updated = ? WHERE associate_id = ?",
            self._db.flag(active),
            self._db.ts(now),
            associate_id,
        )

    async def remove(self, associate_id: int) -> bool:
        """Delete a user and (by cascade) their credentials."""
        async with self._db.transaction() as db:
            await db.execute("DELETE FROM credential WHERE associate_id = ?", associate_id)
            return (
                await db.execute("DELETE FROM associate WHERE associate_id = ?", associate_id) > 0
            )
