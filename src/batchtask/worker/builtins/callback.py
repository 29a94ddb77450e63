"""``batchtask.http``: POST a payload to an allow-listed URL, retried with back-off.

Parameters: ``url`` (required), ``body`` (default empty), ``content_type`` (default
``application/json``), ``timeout`` seconds per request (default 10, at most 60).

Only URLs under a prefix of the ``http_allow`` setting may be called; an empty list allows
nothing. A prefix matches by scheme, host and port exactly and by path segment, so
``http://127.0.0.1:80/hooks`` allows neither ``http://127.0.0.1:8000/…`` nor ``/hooksevil``.
Redirects are not followed (they could leave the allow-list) and URLs with credentials are
refused. Connection errors, timeouts, 408, 425, 429 and 5xx answers are retried (``max_starts``
5, exponential back-off); any other non-2xx answer fails the task at once. Each request carries an
``Idempotency-Key`` that is the same for every attempt, so receivers can drop repeats.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from batchtask import __version__
from batchtask.worker.builtins import Environment
from batchtask.worker.context import TaskContext
from batchtask.worker.errors import TaskFailed
from batchtask.worker.registry import Definition

NAME = "batchtask.http"
RETRYABLE = frozenset({408, 425, 429})
#: Bytes of the answer kept in the task's Result.
MAX_ANSWER = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int, str] | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port, parts.path or "/"


def allowed(url: str, prefixes: Sequence[str]) -> bool:
    """Whether ``url`` lies under one of the allow-listed ``prefixes``."""
    target = _origin(url)
    if target is None:
        return False
    for prefix in prefixes:
        rule = _origin(prefix)
        if rule is None or rule[:3] != target[:3]:
            continue
        base, path = rule[3], target[3]
        if base.endswith("/") and path.startswith(base):
            return True
        if path == base or path.startswith(base + "/"):
            return True
    return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """3xx answers are returned as errors instead of being followed."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def definitions(env: Environment) -> list[Definition]:
    """The HTTP callback definition, bound to the ``http_allow`` setting."""
    allow = tuple(env.settings.http_allow)
    opener = urllib.request.build_opener(_NoRedirect)
    agent = f"batchtask/{__version__}"

    def post(ctx: TaskContext) -> None:
        parameters = ctx.parameters
        url = parameters.get("url", "").strip()
        if not url:
            raise TaskFailed("parameter url is required")
        if not allowed(url, allow):
            raise TaskFailed(f"URL not allowed by BATCHTASK_HTTP_ALLOW: {url[:200]}")
        try:
            timeout = min(60.0, max(0.1, float(parameters.get("timeout", "10"))))
        except ValueError:
            raise TaskFailed("parameter timeout is not a number") from None
        request = urllib.request.Request(  # noqa: S310 - scheme and host checked by allowed()
            url,
            data=parameters.get("body", "").encode(),
            method="POST",
            headers={
                "Content-Type": parameters.get("content_type", "application/json"),
                "User-Agent": agent,
                "Idempotency-Key": f"batchtask-{ctx.task_id}",
            },
        )
        if ctx.cancelled:
            return
        ctx.progress(0, f"POST {url[:200]}")
        try:
            with opener.open(request, timeout=timeout) as answer:
                status = answer.status
                body = answer.read(MAX_ANSWER).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            message = f"HTTP {exc.code} {exc.reason}".strip()
            if exc.code in RETRYABLE or exc.code >= 500:
                raise ConnectionError(message) from None
            raise TaskFailed(message) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectionError(f"POST {url[:200]}: {reason}") from None
        ctx.progress(100, f"HTTP {status}")
        ctx.result(f"HTTP {status}\n{body}" if body else f"HTTP {status}")

    return [
        Definition(NAME, post, description="[SR_BATCH_HTTP_DESCRIPTION]", max_starts=5, backoff=2.0)
    ]
