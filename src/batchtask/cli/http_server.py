"""The process image of ``batchtask serve`` once the database is prepared: granian and nothing else.

Why a fresh image: the CLI imports the whole application to prepare the database, and granian's
supervisor process would keep all of it resident next to the worker it forks. ``serve`` execs
``python -m batchtask.cli.http_server HOST PORT`` instead, so the supervisor holds only Python,
granian and the settings; the worker builds the app from ``BATCHTASK_*`` variables
(``app_from_env``).

Connections: granian accepts at most ``Settings.http_accept_limit`` at once (its
``backpressure``), a little above ``http_max_connections`` so the app's watchdog can accept the
excess only to refuse it clearly (``http/connections.py``); a header block must arrive within
``http_header_timeout`` and take at most ``http_header_limit`` bytes. The open-file limit is raised to its hard maximum, so the cap — not
``EMFILE`` — decides how many connections there are.
"""

from __future__ import annotations

import sys


def raise_file_limit(needed: int) -> None:
    """Raise the soft open-file limit towards the hard one (at least ``needed`` when allowed)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main(argv: list[str]) -> int:
    """Serve ``batchtask.bootstrap:app_from_env`` on ``HOST PORT`` with ``HTTP_WORKERS`` processes.

    Each process builds its own application after the fork: its own database connections (never
    shared across processes), caches, stream hub and embedded worker.
    """
    from granian.constants import Interfaces  # noqa: PLC0415 - keep module import light
    from granian.http import HTTP1Settings  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    from batchtask.config import Settings  # noqa: PLC0415

    settings = Settings.from_env()
    host, port = argv[0], int(argv[1])
    accept_limit = settings.http_accept_limit
    raise_file_limit(accept_limit + 256)
    Server(
        "batchtask.bootstrap:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        factory=True,
        workers=settings.http_workers,
        websockets=False,
        log_access=False,
        backlog=max(1024, accept_limit),
        backpressure=accept_limit,
        # Slow clients may not hold a connection open by trickling headers (slowloris), nor
        # send a header block larger than the limit (hyper answers 431 and closes).
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings.http_header_timeout * 1000),
            max_buffer_size=settings.http_header_limit,
        ),
    ).serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
