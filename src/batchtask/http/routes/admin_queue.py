"""``/admin/api/definitions``, ``workers`` and ``stats``: what runs, where, and how fast."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from batchtask.http.respond import json_response, query_of
from batchtask.http.routes.admin_tasks import count_param
from batchtask.http.routes.batch_task import caller, options_for
from batchtask.serialisation import admin as shapes
from batchtask.services.admin import MAX_WINDOW


async def definitions(request: Request) -> Response:
    """``GET definitions``: each definition with its counts, 24-hour outcomes and run times."""
    ctx, _ = await caller(request)
    text = options_for(request, ctx, carrier_select=False).translator
    return json_response([shapes.definition(item, text) for item in await ctx.admin.definitions()])


async def workers(request: Request) -> Response:
    """``GET workers``: every registered worker process, alive or not."""
    ctx, _ = await caller(request)
    now = ctx.clock.now()
    return json_response([shapes.worker(item, now) for item in await ctx.admin.workers()])


async def stats(request: Request) -> Response:
    """``GET stats?window=3600&step=60``: counts, the oldest wait and a time series."""
    ctx, _ = await caller(request)
    query = query_of(request)
    window = count_param(query, "window", 3600, MAX_WINDOW)
    step = count_param(query, "step", 60, MAX_WINDOW)
    return json_response(shapes.stats(await ctx.admin.stats(window=window, step=step)))
