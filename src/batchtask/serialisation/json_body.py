"""Strict JSON request bodies: one decoder, one behaviour everywhere.

Refused with ``BodyError`` (a 400): invalid UTF-8, a BOM, ``NaN``/``Infinity``, numbers with more
than 30 digits, duplicate keys, nesting deeper than ``max_depth``, lone surrogates. The checks run
before or during decoding, so no input reaches a ``RecursionError`` or a 5xx.
"""

from __future__ import annotations

import json
import re
from typing import Any


class BodyError(ValueError):
    """The request body is malformed; the message says how."""


_MAX_NUMBER_DIGITS = 30
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not a valid JSON number")


def _int(text: str) -> int:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise BodyError("number too large")
    return int(text)


def _float(text: str) -> float:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise BodyError("number too large")
    value = float(text)
    if value in {float("inf"), float("-inf")}:
        raise BodyError("number too large")
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BodyError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _depth(text: str, limit: int) -> None:
    """Reject deep nesting before the recursive decoder sees it (strings are skipped)."""
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                raise BodyError(f"nesting deeper than {limit}")
        elif char in "]}":
            depth -= 1


def parse_json(body: bytes, *, max_depth: int = 32) -> Any:
    """Decode a JSON body strictly."""
    if body.startswith(b"\xef\xbb\xbf"):
        raise BodyError("a byte order mark is not allowed")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"invalid UTF-8 at byte {exc.start}") from None
    if not text.strip():
        raise BodyError("the body is empty")
    _depth(text, max_depth)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_reject_constant,
            parse_int=_int,
            parse_float=_float,
        )
    except BodyError:
        raise
    except json.JSONDecodeError as exc:
        raise BodyError(
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise BodyError(f"malformed JSON: {exc}") from None
    if _LONE_SURROGATE.search(json.dumps(value, ensure_ascii=False)):
        raise BodyError("the body contains a lone UTF-16 surrogate")
    return value
