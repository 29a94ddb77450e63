"""``BATCHTASK_LOG_FORMAT=json``: one JSON object a line with the log context (SPEC §10.3)."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar, Token
from typing import Any

from batchtask.serialisation.log_format import JsonFormatter
from batchtask.services import log_context


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    """A record as the logging module builds it."""
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            import sys  # noqa: PLC0415

            info = sys.exc_info()
    return logging.LogRecord("batchtask.worker", logging.WARNING, __file__, 1, message, args, info)


def test_a_line_has_time_level_logger_message_and_the_context() -> None:
    """The request, task, attempt and worker of the moment ride along."""
    tokens: list[Token[Any]] = [
        log_context.request_id.set("r-1"), log_context.task_id.set(7),
        log_context.attempt.set(2), log_context.worker_id.set("host:1:ab"),
    ]  # fmt: skip
    try:
        line = json.loads(JsonFormatter().format(record("task %s: %s", 7, "done")))
    finally:
        variables: tuple[ContextVar[Any], ...] = (
            log_context.request_id, log_context.task_id, log_context.attempt, log_context.worker_id,
        )  # fmt: skip
        for variable, token in zip(variables, tokens, strict=True):
            variable.reset(token)
    assert line["time"].endswith("Z")
    assert (line["level"], line["logger"], line["message"]) == (
        "warning",
        "batchtask.worker",
        "task 7: done",
    )
    assert (line["request_id"], line["task_id"], line["attempt"], line["worker_id"]) == (
        "r-1",
        7,
        2,
        "host:1:ab",
    )


def test_no_context_no_fields_and_tracebacks_are_kept() -> None:
    """Fields without a value are left out; an exception is one string field."""
    line = json.loads(JsonFormatter().format(record("failed", exc=True)))
    assert "task_id" not in line
    assert "request_id" not in line
    assert "ValueError: boom" in line["exception"]
    assert "\n" not in JsonFormatter().format(record("two\nlines"))
