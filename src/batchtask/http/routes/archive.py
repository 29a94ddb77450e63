"""The OData list over the ``BatchTasks`` archive provider (SPEC §7, reference §5.9, ARCH).

``GET /api/v1/BatchTask`` calls the archive service with the ``BatchTasks`` provider, and
``GET /api/v1/Archive/BatchTasks`` is that provider itself: same parameters, same rows.
``GET /api/v1/Archive/BatchTasks$metadata`` (or ``?$metadata=ALL``) describes its columns, and
is where every list's ``odata.metadata`` points. Other provider names are 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from batchtask.domain.aggregate import Aggregate, parse_select_item
from batchtask.domain.archive import COLUMNS, DEFAULT_SELECT, PROVIDER, find_column
from batchtask.domain.archive_query import DEFAULT_TOP, MAX_TOP, ArchiveQuery, ArchiveRow
from batchtask.domain.errors import InvalidInput, NotFound
from batchtask.domain.rights import TaskRights
from batchtask.http.query_string import Query, query_value
from batchtask.http.request_options import media_type, translator
from batchtask.http.respond import base_url, headers_of, query_of, wire_response
from batchtask.http.routes.batch_task import caller, options_for
from batchtask.serialisation.archive_list import ListShape, archive_list
from batchtask.serialisation.archive_metadata import archive_metadata as archive_metadata_document
from batchtask.serialisation.odata_filter import parse_filter, parse_order_by

MAX_SKIP = 2**63 - 1
_MODES = {"slim": False, "wide": False, "full": True}
_OUTPUTS = {"logical": False, "display": True}


def _count(query: dict[str, str], name: str, default: int, limit: int) -> int:
    raw = query_value(query, name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"{name} must be a non-negative integer", field=name)
    if len(text) > 19 or int(text) > limit:
        if name == "$top":
            return MAX_TOP
        raise InvalidInput(f"{name} is too large", field=name)
    return int(text)


def _selection(query: Query) -> tuple[tuple[str | Aggregate, ...], tuple[str, ...]]:
    """The ``$select`` items in order (names and aggregates) and the columns they read."""
    raw = query_value(query, "$select")
    if raw is None or not raw.strip():
        return DEFAULT_SELECT, DEFAULT_SELECT
    items: list[str | Aggregate] = []
    columns: list[str] = []
    for part in raw.split(","):
        name = part.strip()
        if not name:
            continue
        item: str | Aggregate | None = parse_select_item(name)
        if item is None:
            column = find_column(name)
            if column is None or not column.is_visible:
                raise InvalidInput(f"unknown column {name[:60]!r} in $select", field="$select")
            item = column.name
        if item not in items:
            items.append(item)
        wanted = item if isinstance(item, str) else item.column
        if wanted not in columns:
            columns.append(wanted)
    return tuple(items), tuple(columns)


def _choice(query: dict[str, str], name: str, choices: dict[str, bool]) -> bool:
    raw = query_value(query, name)
    if raw is None or not raw.strip():
        return False
    try:
        return choices[raw.strip().lower()]
    except KeyError:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}", field=name) from None


def metadata_url(request: Request) -> str:
    """Where the column metadata of the list is: the list's ``odata.metadata``."""
    return f"{base_url(request)}/api/v1/Archive/{PROVIDER}$metadata"


async def list_batch_tasks(request: Request) -> Response:
    """The archive page: ``{"odata.metadata", "odata.nextLink", "value"}``.

    ``GET /api/v1/BatchTask`` and ``GET /api/v1/Archive/BatchTasks`` (the same provider).
    """
    ctx, principal = await caller(request)
    query = query_of(request)
    media = media_type(headers_of(request), query)
    options = options_for(request, ctx, carrier_select=False)
    top = _count(query, "$top", DEFAULT_TOP, MAX_TOP)
    skip = _count(query, "$skip", 0, MAX_SKIP)
    filter_text = query_value(query, "$filter")
    order_text = query_value(query, "$orderBy")
    items, columns = _selection(query)
    archive = ArchiveQuery(
        columns=columns,
        filter=parse_filter(filter_text) if filter_text is not None else None,
        order=parse_order_by(order_text) if order_text is not None else (),
        top=top,
        skip=skip,
        zone=options.zone,
    )
    shape = ListShape(
        items=items,
        full=_choice(query, "$mode", _MODES),
        display=_choice(query, "$output", _OUTPUTS),
        json_safe=(query_value(query, "$jsonSafe") or "").strip().lower() == "true",
        safe_names=media.is_xml,
    )
    aggregates = [item for item in items if isinstance(item, Aggregate)]
    hide_detail = any(aggregate.hide_detail for aggregate in aggregates)
    rows: list[tuple[ArchiveRow, TaskRights]] = []
    more = False
    if not hide_detail:  # else only the totals, on one page
        rows, more = await ctx.tasks.archive(principal, archive)
    # $top=0 can never be followed by anything: a link to itself would loop a client forever.
    following = more and top > 0
    next_link = (
        str(request.url.include_query_params(**{"$skip": skip + top})) if following else None
    )
    header = skip == 0 and any(aggregate.header for aggregate in aggregates)
    footer = not following and any(aggregate.footer for aggregate in aggregates)
    if hide_detail and skip > 0:
        header = footer = False
    totals = (
        await ctx.tasks.archive_totals(principal, archive, aggregates) if header or footer else {}
    )
    body = archive_list(
        rows, shape, options, metadata=metadata_url(request), next_link=next_link,
        totals=totals, header=header, footer=footer,
    )  # fmt: skip
    return wire_response(body, media, root="ODataResponse")


def _provider(request: Request) -> None:
    name = request.path_params["archiveProviderName"]
    if name.casefold() != PROVIDER.casefold():
        raise ArchiveNotFound(f"There is no archive provider {name[:100]}.", provider=name[:100])


async def archive_provider(request: Request) -> Response:
    """``GET Archive/{archiveProviderName}``: ``BatchTasks`` is the list above; ``$metadata`` its columns."""
    _provider(request)
    if query_value(query_of(request), "$metadata") is not None:
        return await _metadata(request)
    return await list_batch_tasks(request)


async def archive_metadata(request: Request) -> Response:
    """``GET Archive/{archiveProviderName}$metadata``: the provider's columns, translated (reference §5.9)."""
    _provider(request)
    return await _metadata(request)


async def _metadata(request: Request) -> Response:
    await caller(request)
    headers = headers_of(request)
    query = query_of(request)
    wanted = (query_value(query, "$metadata") or "").strip()
    columns = list(COLUMNS)
    if wanted and wanted.casefold() != "all":
        columns = []
        for part in wanted.split(","):
            column = find_column(part)
            if column is None:
                raise InvalidInput(
                    f"unknown column {part.strip()[:60]!r} in $metadata", field="$metadata"
                )
            columns.append(column)
    body = archive_metadata_document(columns, translator(headers))
    return wire_response(body, media_type(headers, query), root="ArchiveColumns")


class ArchiveNotFound(NotFound):
    """There is no such archive provider."""

    resource = "SR_ERROR_ARCHIVE_NOT_FOUND"
