"""The request journal: what a tenant received, newest 10,000 kept, credentials redacted.

Integration tests assert on it ("my code sent exactly one POST with SO-Language: nb"). The
headers are kept as sent except those that carry secrets, whose value is replaced (the scheme of
``Authorization`` stays, so a test can still see *how* the client authenticated).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase

#: Entries kept per tenant; older ones fall out.
JOURNAL_SIZE = 10_000
REDACTED = "[redacted]"
#: Headers whose whole value is a secret.
_SECRET_HEADERS = frozenset(
    {
        "cookie",
        "x-xsrf-token",
        "so-apptoken",
        "x-batchtask-emulator-token",
        "proxy-authorization",
    }
)
_SCHEMED_HEADERS = frozenset({"authorization"})


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request and how it was answered."""

    at: datetime
    method: str
    #: The path without the ``/{ctx}`` prefix (as faults match it).
    path: str
    query: str
    status: int
    duration_ms: float
    #: The raw header list as received; read it through :attr:`headers` (redacted). Decoding
    #: and redacting when the journal is *read* keeps the cost off every request.
    raw_headers: tuple[tuple[bytes, bytes], ...]

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """The headers (latin-1, as HTTP/1.1 sends them) with every credential redacted."""
        return redact(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in self.raw_headers
        )


def redact(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The headers with every credential replaced by ``[redacted]``."""
    out: list[tuple[str, str]] = []
    for name, given in headers:
        low = name.lower()
        value = given
        if low in _SECRET_HEADERS:
            value = REDACTED
        elif low in _SCHEMED_HEADERS:
            scheme, _, rest = given.strip().partition(" ")
            value = f"{scheme} {REDACTED}" if rest else REDACTED
        out.append((name, value))
    return tuple(out)


class Journal:
    """The newest requests of one tenant."""

    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)

    def record(self, entry: JournalEntry) -> None:
        """Keep one entry (the oldest falls out when full)."""
        self._entries.append(entry)

    def entries(self, method: str | None = None, path: str | None = None) -> list[JournalEntry]:
        """Entries oldest first; ``method`` exact and ``path`` a glob, both in any case."""
        wanted_method = method.upper() if method else None
        wanted_path = path.casefold() if path else None
        return [
            entry
            for entry in self._entries
            if (wanted_method is None or entry.method.upper() == wanted_method)
            and (wanted_path is None or fnmatchcase(entry.path.casefold(), wanted_path))
        ]

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
