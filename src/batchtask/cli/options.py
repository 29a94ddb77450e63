"""Options shared by several commands."""

from __future__ import annotations

import argparse


def add_database(command: argparse.ArgumentParser) -> None:
    """``--database URL``."""
    command.add_argument(
        "--database",
        metavar="URL",
        help="sqlite:///path/file.db or postgresql://user@host:port/db "
        "(default: BATCHTASK_DATABASE_URL, else a SQLite file in the user's data directory)",
    )


def add_tenant(command: argparse.ArgumentParser) -> None:
    """``--tenant CTX``: the tenant whose data the command touches (default: the default one)."""
    command.add_argument(
        "--tenant",
        metavar="CTX",
        help="the tenant's ContextIdentifier (default: BATCHTASK_CONTEXT_IDENTIFIER, Cust00000)",
    )


def parameters(pairs: list[str]) -> dict[str, str]:
    """``k=v`` strings as a ParameterObject; ``SystemExit`` on a malformed one."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"batchtask: --param needs KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out
