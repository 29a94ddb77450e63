"""Users, credentials and login throttling in memory (the contracts of the SQL repositories)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from batchtask.domain.credential import Credential, CredentialKind
from batchtask.domain.errors import Conflict
from batchtask.domain.ports import ThrottleChange, ThrottleCounter
from batchtask.domain.user import Role, User
from batchtask.storage.memory.tables import CredentialRow, Tables, UserRow


def _user(row: UserRow) -> User:
    return User(
        associate_id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        active=row.active,
        password_hash=row.password_hash,
    )


class MemoryUserRepository:
    """Users of the service; names unique ignoring case."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(
        self, username: str, password_hash: str, role: Role, *, display_name: str, now: datetime
    ) -> User:
        """Create a user; ``Conflict`` when the name is taken (case-insensitively)."""
        key = username.casefold()
        if any(row.username.casefold() == key for row in self._t.users.values()):
            raise Conflict(f"user {username!r} already exists")
        row = UserRow(
            self._t.next_user(), username, display_name, password_hash, role, True, now, now
        )
        self._t.users[row.id] = row
        return _user(row)

    async def by_name(self, username: str) -> User | None:
        """Look a user up by name, case-insensitively."""
        key = username.casefold()
        row = next((r for r in self._t.users.values() if r.username.casefold() == key), None)
        return None if row is None else _user(row)

    async def by_id(self, associate_id: int) -> User | None:
        """Look a user up by associate id."""
        row = self._t.users.get(associate_id)
        return None if row is None else _user(row)

    async def all(self) -> list[User]:
        """Every user, by associate id."""
        return [_user(self._t.users[key]) for key in sorted(self._t.users)]

    async def set_password(self, associate_id: int, password_hash: str, *, now: datetime) -> None:
        """Replace a user's password hash."""
        row = self._t.users.get(associate_id)
        if row is not None:
            row.password_hash, row.updated = password_hash, now

    async def set_active(self, associate_id: int, active: bool, *, now: datetime) -> None:
        """Enable or disable a user."""
        row = self._t.users.get(associate_id)
        if row is not None:
            row.active, row.updated = active, now

    async def remove(self, associate_id: int) -> bool:
        """Delete a user and their credentials."""
        credentials = self._t.credentials
        for key in [k for k, c in credentials.items() if c.associate_id == associate_id]:
            del credentials[key]
        return self._t.users.pop(associate_id, None) is not None


class MemoryCredentialRepository:
    """Hashed tickets, tokens and sessions."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

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
        """Store a new credential (``Conflict`` for a hash already stored or an unknown user)."""
        if associate_id not in self._t.users or any(
            row.secret_hash == secret_hash for row in self._t.credentials.values()
        ):
            raise Conflict("credential refused")
        row = CredentialRow(
            self._t.next_credential(), kind, secret_hash, associate_id, grant, now, expires_at,
            sliding_seconds, xsrf_hash, app_hash,
        )  # fmt: skip
        self._t.credentials[row.id] = row
        return _credential(row)

    async def lookup(
        self, kind: CredentialKind, secret_hash: str, now: datetime
    ) -> tuple[Credential, User] | None:
        """The unexpired credential with this hash and its active user."""
        for row in self._t.credentials.values():
            if row.secret_hash == secret_hash and row.kind is kind and row.expires_at > now:
                user = self._t.users.get(row.associate_id)
                if user is None or not user.active:
                    return None
                return _credential(row), _user(user)
        return None

    async def extend(self, credential_id: int, expires_at: datetime) -> None:
        """Move a sliding credential's expiry forward (never backward)."""
        row = self._t.credentials.get(credential_id)
        if row is not None and row.expires_at < expires_at:
            row.expires_at = expires_at

    async def revoke_grant(self, grant: str) -> int:
        """Delete every credential of one login."""
        return self._revoke(lambda row: row.grant == grant)

    async def revoke_user(self, associate_id: int) -> int:
        """Delete every credential of one user."""
        return self._revoke(lambda row: row.associate_id == associate_id)

    def _revoke(self, which: Callable[[CredentialRow], bool]) -> int:
        keys = [key for key, row in self._t.credentials.items() if which(row)]
        for key in keys:
            del self._t.credentials[key]
        return len(keys)


def _credential(row: CredentialRow) -> Credential:
    return Credential(
        row.id, row.kind, row.associate_id, row.grant, row.created, row.expires_at,
        row.sliding_seconds, row.xsrf_hash, row.app_hash,
    )  # fmt: skip


class MemoryThrottleRepository:
    """Login-attempt counters, one per key (a method never suspends: it is atomic)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def read(self, keys: Sequence[str]) -> dict[str, ThrottleCounter]:
        """The counters of ``keys``; missing keys read as empty counters."""
        return {key: replace(self._t.throttle.get(key) or ThrottleCounter(key)) for key in keys}

    async def change(self, keys: Sequence[str], change: ThrottleChange) -> None:
        """Let ``change`` decide on the keys' counters and store what it returns."""
        current = {
            key: replace(self._t.throttle.get(key) or ThrottleCounter(key))
            for key in sorted(set(keys))
        }
        for counter in change(current):
            self._t.throttle[counter.key] = replace(counter)
