"""What a log line is about: the request, the task, its attempt and the worker (SPEC §10.3).

Context variables, so each asyncio task — one request, one attempt — carries its own values
without passing them around; ``serialisation/log_format.py`` writes them into JSON log lines.
"""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("batchtask_request_id", default=None)
task_id: ContextVar[int | None] = ContextVar("batchtask_task_id", default=None)
attempt: ContextVar[int | None] = ContextVar("batchtask_attempt", default=None)
worker_id: ContextVar[str | None] = ContextVar("batchtask_worker_id", default=None)
