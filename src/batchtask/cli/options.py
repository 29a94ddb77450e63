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
