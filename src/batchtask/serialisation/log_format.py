"""``BATCHTASK_LOG_FORMAT=json``: one JSON object a line (SPEC §10.3).

Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message``, and when
known ``request_id``, ``task_id``, ``attempt``, ``worker_id``; ``exception`` holds a traceback.
Log collectors (Loki, Elasticsearch, CloudWatch) read it without a parsing rule.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from batchtask.services import log_context


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        """The line (no trailing newline; the handler adds it)."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, variable in (
            ("request_id", log_context.request_id),
            ("task_id", log_context.task_id),
            ("attempt", log_context.attempt),
            ("worker_id", log_context.worker_id),
        ):
            value = variable.get()
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
