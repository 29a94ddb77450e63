"""Issued credentials: SOTickets, Bearer access tokens and browser sessions.

Only a SHA-256 of each secret is stored, so a database leak yields nothing usable. Tickets and
sessions slide (each use renews them); access tokens have a fixed expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CredentialKind(StrEnum):
    """What a stored secret is."""

    ticket = "ticket"
    token = "token"  # noqa: S105 - a kind name, not a secret
    session = "session"


@dataclass(frozen=True, slots=True)
class Credential:
    """One stored credential (never the secret itself)."""

    id: int
    kind: CredentialKind
    associate_id: int
    #: All credentials issued by one login share a grant; logout revokes the grant.
    grant: str
    created: datetime
    expires_at: datetime
    #: Seconds each use extends the expiry by; 0 for fixed-expiry tokens.
    sliding_seconds: int
    #: SHA-256 of the XSRF token bound to a browser session.
    xsrf_hash: str | None = None
    #: SHA-256 of the SO-AppToken the credential was issued to, in online mode.
    app_hash: str | None = None
