"""Tenants: the ContextIdentifiers one server holds, each an isolated SuperOffice Online customer.

A ContextIdentifier is one URL segment (``/Cust12345/api/v1/…``) compared in any case, as ASP.NET
compares paths; so a tenant's *key* is its lower-case spelling and two names that differ only in
case are one tenant. The canonical spelling is the one it was created with. A name must be ASCII
letters and digits (it becomes a file name and a PostgreSQL schema name) and must not be a first
path segment the server itself uses (``/api``, ``/admin``, …), or its URLs could not be told apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from batchtask.domain.errors import InvalidInput, NotFound

#: First path segments of the server's own URLs: never a ContextIdentifier.
RESERVED = frozenset({"api", "admin", "login", "logout", "healthz", "readyz", "metrics"})
MAX_LENGTH = 64
_NAME = re.compile(r"[A-Za-z0-9]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """One registered tenant."""

    context_identifier: str
    #: ``None`` for the default tenant (the server's own database).
    created: datetime | None

    @property
    def key(self) -> str:
        """The case-insensitive identity (file and schema names)."""
        return tenant_key(self.context_identifier)


def tenant_key(context_identifier: str) -> str:
    """The lower-case key of a ContextIdentifier."""
    return context_identifier.lower()


def is_context_identifier(text: str) -> bool:
    """``text`` may name a tenant (letters and digits, not a reserved segment)."""
    return (
        0 < len(text) <= MAX_LENGTH
        and _NAME.fullmatch(text) is not None
        and text.lower() not in RESERVED
    )


def check_context_identifier(text: str) -> str:
    """``text`` itself, or ``InvalidInput`` saying what a ContextIdentifier must be."""
    if not is_context_identifier(text):
        raise InvalidInput(
            f"a ContextIdentifier is 1 to {MAX_LENGTH} ASCII letters and digits and not one of"
            f" {', '.join(sorted(RESERVED))}: {text[:80]!r}"
        )
    return text


class TenantNotFound(NotFound):
    """The tenant does not exist."""

    code = "tenant_not_found"

    def __init__(self, context_identifier: str) -> None:
        super().__init__(f"tenant {context_identifier[:80]!r} not found", tenant=context_identifier)
        self.context_identifier = context_identifier
