"""Users (SuperOffice associates) and the identity a request runs as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a user may do: admins see and change every task, users only their own."""

    admin = "admin"
    user = "user"


@dataclass(frozen=True, slots=True)
class User:
    """A stored user; ``associate_id`` is the SuperOffice AssociateId of the tasks they own."""

    associate_id: int
    username: str
    display_name: str
    role: Role
    active: bool
    password_hash: str

    @property
    def is_admin(self) -> bool:
        """Admins have FULL rights on every task."""
        return self.role is Role.admin


class AuthMethod(StrEnum):
    """How a request proved who it is."""

    basic = "basic"
    ticket = "ticket"
    token = "token"  # noqa: S105 - a kind name, not a secret
    jwt = "jwt"
    session = "session"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    user: User
    method: AuthMethod
    #: Id of the credential row (ticket, token or session) that authenticated, if any.
    credential_id: int | None = None
    #: Login grant the credential belongs to; ``/logout`` revokes the whole grant.
    grant: str | None = None

    @property
    def associate_id(self) -> int:
        """AssociateId of the caller."""
        return self.user.associate_id

    @property
    def is_admin(self) -> bool:
        """Whether the caller is an admin."""
        return self.user.is_admin
