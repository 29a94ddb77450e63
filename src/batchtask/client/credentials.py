"""Which ``Authorization`` the client sends: Basic, SOTicket or Bearer (SPEC §4.1).

Exactly one kind is configured: a username and password (Basic on every request, until
``login()`` trades them for a ticket), a ticket, a token, or nothing (emulator controls and
health checks need no user).
"""

from __future__ import annotations

import base64


class Credentials:
    """The caller's credentials; ``login()`` switches them to the ticket it obtained."""

    def __init__(
        self,
        *,
        username: str | None,
        password: str | None,
        ticket: str | None,
        token: str | None,
    ) -> None:
        given = [kind for kind, value in (("ticket", ticket), ("token", token)) if value]
        if username is not None or password is not None:
            if username is None or password is None:
                raise ValueError("give both username and password")
            given.append("username/password")
        if len(given) > 1:
            raise ValueError(f"give one kind of credentials, not {' and '.join(given)}")
        self.username = username
        self._password = password
        self.authorization: str | None = None
        if ticket:
            self.use_ticket(ticket)
        elif token:
            self.authorization = f"Bearer {token}"
        elif username is not None and password is not None:
            pair = f"{username}:{password}".encode()
            self.authorization = f"Basic {base64.b64encode(pair).decode('ascii')}"

    def login_pair(self) -> tuple[str, str]:
        """Username and password for ``POST /login``."""
        if self.username is None or self._password is None:
            raise ValueError("login() needs the client to be made with username and password")
        return self.username, self._password

    def use_ticket(self, ticket: str) -> None:
        """Authenticate with this SOTicket from now on."""
        self.authorization = f"SOTicket {ticket}"

    def __repr__(self) -> str:
        scheme = (self.authorization or "none").split(" ", 1)[0]
        return f"Credentials({scheme})"
