"""``batchtask.http``: POST a payload to an allow-listed URL, retried with back-off.

Parameters: ``url`` (required), ``body`` (default empty), ``content_type`` (default
``application/json``), ``timeout`` seconds per request (default 10, at most 60).

Only URLs under a prefix of the ``http_allow`` setting may be called; an empty list allows
nothing. A prefix matches by scheme, host and port exactly and by path segment, so
``http://127.0.0.1:80/hooks`` allows neither ``http://127.0.0.1:8000/…`` nor ``/hooksevil``.
The URL is normalised first (RFC 3986 §6.2.2: case, default port, percent-encoded unreserved
characters decoded, dot segments removed) and the normalised URL is what is sent, so
``/hooks/../admin`` or ``/hooks/%2e%2e/admin`` is compared — and would be sent — as ``/admin``
(issue 11 #8). What a receiver might still read as a way up (an encoded slash or backslash, a
plain backslash, ``..;``) and blanks, control or non-ASCII characters are refused outright, as
is a CR, LF or NUL in a header value (a ``content_type`` with CR LF would add a header).
Redirects are not followed (they could leave the allow-list) and URLs with credentials are
refused. Connection errors, timeouts, 408, 425, 429 and 5xx answers are retried (``max_starts``
5, exponential back-off); any other non-2xx answer fails the task at once. Each request carries an
``Idempotency-Key`` that is the same for every attempt, so receivers can drop repeats.
"""

from __future__ import annotations

import re
import string
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
#: Percent-encodings that some servers decode into a path separator or worse.
_SEPARATORS = re.compile(r"%(?:2f|5c|00)", re.IGNORECASE)


def _decode_unreserved(match: re.Match[str]) -> str:
    char = chr(int(match[1], 16))
    return char if char in _UNRESERVED else "%" + match[1].upper()


def _without_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path."""
    out: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _normalised(url: str) -> tuple[str, str, int, str, str] | None:
    """(scheme, host, port, path, query) of ``url`` normalised, or None when it may not be sent."""
    if any(char <= " " or char >= "\x7f" or char == "\\" for char in url):
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.password:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    path = _PERCENT.sub(_decode_unreserved, parts.path or "/")
    if not path.startswith("/") or _SEPARATORS.search(path):
        return None
    if any(segment.split(";")[0] in (".", "..") and ";" in segment for segment in path.split("/")):
        return None
    return scheme, parts.hostname.lower(), port, _without_dot_segments(path), parts.query


def permitted(url: str, prefixes: Sequence[str]) -> str | None:
    """The normalised ``url`` when it lies under one of the allow-listed ``prefixes``, else None."""
    target = _normalised(url)
    if target is None:
        return None
    scheme, host, port, path, query = target
    for prefix in prefixes:
        rule = _normalised(prefix)
        if rule is None or rule[:3] != target[:3]:
            continue
        base = rule[3]
        if (base.endswith("/") and path.startswith(base)) or (
            path == base or path.startswith(base + "/")
        ):
            netloc = f"[{host}]" if ":" in host else host
            if port != _DEFAULT_PORTS[scheme]:
                netloc += f":{port}"
            return urlunsplit((scheme, netloc, path, query, ""))
    return None


def allowed(url: str, prefixes: Sequence[str]) -> bool:
    """Whether ``url`` lies under one of the allow-listed ``prefixes``."""
    return permitted(url, prefixes) is not None


def _checked(headers: Mapping[str, str], names: Mapping[str, str]) -> dict[str, str]:
    """``headers`` unchanged, or TaskFailed naming the parameter whose value breaks a line."""
    for header, value in headers.items():
        if any(char in value for char in "\r\n\x00"):
            raise TaskFailed(f"parameter {names.get(header, header)} contains CR, LF or NUL")
    return dict(headers)


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
        target = permitted(url, allow)
        if target is None:
            raise TaskFailed(f"URL not allowed by BATCHTASK_HTTP_ALLOW: {url[:200]!r}")
        url = target
        try:
            timeout = min(60.0, max(0.1, float(parameters.get("timeout", "10"))))
        except ValueError:
            raise TaskFailed("parameter timeout is not a number") from None
        request = urllib.request.Request(  # noqa: S310 - scheme and host checked by permitted()
            url,
            data=parameters.get("body", "").encode(),
            method="POST",
            headers=_checked(
                {
                    "Content-Type": parameters.get("content_type", "application/json"),
                    "User-Agent": agent,
                    "Idempotency-Key": f"batchtask-{ctx.task_id}",
                },
                {"Content-Type": "content_type"},
            ),
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
