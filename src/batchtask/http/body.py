"""Reading request bodies: a size cap enforced while streaming, then a parser by content type."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from batchtask.domain.errors import InvalidInput
from batchtask.http.errors import BodyTooLarge, ClientClosedRequest, UnsupportedMediaType
from batchtask.http.negotiation import body_kind
from batchtask.serialisation.json_body import BodyError, parse_json
from batchtask.serialisation.xml import XmlBodyError, parse_xml

MAX_FORM_FIELDS = 100
log = logging.getLogger("batchtask.http")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or ``BodyTooLarge`` as soon as it passes ``limit`` bytes.

    granian reports a body whose chunked framing is malformed (a bare LF after a chunk size,
    chunk data not followed by CRLF) as a disconnect before the end of the body; that is the
    client's fault, so it is a 400, not a 500. A disconnect before the declared
    ``Content-Length`` arrived is the client going away: logged at info level and counted as 499
    (``ClientClosedRequest``), not an error of the server's or a bad request.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit=limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit=limit)
            chunks.append(chunk)
    except ClientDisconnect:
        if declared is not None and declared.isdigit() and size < int(declared):
            log.info(
                "client closed the connection after %d of %s body bytes (%s %s)",
                size, declared, request.method, request.url.path,
            )  # fmt: skip
            raise ClientClosedRequest(
                "The client closed the connection before the body was complete", field="body"
            ) from None
        raise InvalidInput("The request body ended early or is malformed", field="body") from None
    return b"".join(chunks)


async def parsed_body(request: Request, limit: int) -> tuple[str, Any]:
    """``(kind, value)``: kind ``json``/``xml``/``form``; 415 for other types, 400 when malformed.

    XML yields ``(root, value)`` as the value; form yields a flat ``dict``.
    """
    content_type = request.headers.get("content-type")
    kind = body_kind(content_type)
    if kind is None:
        raise UnsupportedMediaType(content_type=content_type or "(none)")
    body = await read_body(request, limit)
    try:
        if kind == "json":
            return kind, parse_json(body)
        if kind == "xml":
            return kind, parse_xml(body)
    except (BodyError, XmlBodyError) as exc:
        raise InvalidInput(str(exc), field="body") from None
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                          max_num_fields=MAX_FORM_FIELDS, errors="strict")  # fmt: skip
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"malformed form body: {exc}", field="body") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise InvalidInput(f"duplicate form field {key!r}", field="body")
        form[key] = value
    return kind, form
