"""User management for the CLI and admin API: names are checked, passwords hashed with Argon2id."""

from __future__ import annotations

from collections.abc import Callable

from batchtask.domain.clock import Clock
from batchtask.domain.errors import InvalidInput, UserNotFound
from batchtask.domain.ports import Store
from batchtask.domain.user import Role, User
from batchtask.services.password import MAX_PASSWORD_LENGTH, PasswordHasher

MAX_USERNAME_LENGTH = 50
MIN_PASSWORD_LENGTH = 8


def check_username(username: str) -> str:
    """A user name usable with Basic authentication: no colon, no spaces or control characters."""
    name = username.strip()
    if not name or len(name) > MAX_USERNAME_LENGTH:
        raise InvalidInput(f"user names are 1..{MAX_USERNAME_LENGTH} characters", field="username")
    if ":" in name or any(char.isspace() or not char.isprintable() for char in name):
        raise InvalidInput(
            "user names may not contain ':', spaces or control characters", field="username"
        )
    return name


def check_password(password: str) -> str:
    """Passwords of 8..1024 characters, used exactly as given."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"passwords are {MIN_PASSWORD_LENGTH}..{MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return password


class UserService:
    """Create, list, re-password and remove users."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        hasher: PasswordHasher,
        *,
        on_change: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher
        #: Told the associate id of a user whose password, state or existence changed, so this
        #: process's caches (``Authenticator.forget_user``) stop trusting what they verified.
        self._on_change = on_change

    def _changed(self, user: User) -> None:
        if self._on_change is not None:
            self._on_change(user.associate_id)

    async def add(self, username: str, password: str, role: Role, display_name: str = "") -> User:
        """Create a user; ``Conflict`` when the name is taken."""
        name = check_username(username)
        password_hash = self._hasher.hash(check_password(password))
        return await self._store.users.add(
            name, password_hash, role, display_name=display_name or name, now=self._clock.now()
        )

    async def get(self, username: str) -> User:
        """A user by name; ``UserNotFound`` otherwise."""
        user = await self._store.users.by_name(username)
        if user is None:
            raise UserNotFound(f"User {username} not found", username=username)
        return user

    async def all(self) -> list[User]:
        """Every user."""
        return await self._store.users.all()

    async def set_password(self, username: str, password: str) -> User:
        """Replace a password and revoke every ticket, token and session of the user."""
        user = await self.get(username)
        password_hash = self._hasher.hash(check_password(password))
        await self._store.users.set_password(
            user.associate_id, password_hash, now=self._clock.now()
        )
        await self._store.credentials.revoke_user(user.associate_id)
        self._changed(user)
        return user

    async def set_active(self, username: str, active: bool) -> User:
        """Enable or disable a user; disabling revokes every credential at once."""
        user = await self.get(username)
        await self._store.users.set_active(user.associate_id, active, now=self._clock.now())
        if not active:
            await self._store.credentials.revoke_user(user.associate_id)
        self._changed(user)
        return user

    async def remove(self, username: str) -> User:
        """Delete a user and their credentials (their tasks stay)."""
        user = await self.get(username)
        await self._store.users.remove(user.associate_id)
        self._changed(user)
        return user
