"""The process image of ``batchtask serve`` once the database is prepared: granian and nothing else.

Why a fresh image: the CLI imports the whole application to prepare the database, and granian's
supervisor process would keep all of it resident next to the worker it forks. ``serve`` execs
``python -m batchtask.cli.http_server HOST PORT`` instead, so the supervisor holds only Python
and granian; the worker builds the app from ``BATCHTASK_*`` variables (``app_from_env``).
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    """Serve ``batchtask.bootstrap:app_from_env`` on ``HOST PORT``."""
    from granian.constants import Interfaces  # noqa: PLC0415 - keep module import light
    from granian.http import HTTP1Settings  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    host, port = argv[0], int(argv[1])
    Server(
        "batchtask.bootstrap:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=1,
        websockets=False,
        log_access=False,
        # Slow clients may not hold a connection open by trickling headers (slowloris).
        http1_settings=HTTP1Settings(header_read_timeout=10_000),
    ).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
