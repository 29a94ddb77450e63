"""``AsyncClient``: the awaitable client (SPEC §12); runs on asyncio or trio (through anyio)."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import TypeVar

import anyio
import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from batchtask.client.admin import AsyncAdmin
from batchtask.client.agents import AsyncAgents
from batchtask.client.call import Call
from batchtask.client.connection import Connection, is_event_stream
from batchtask.client.emulator import AsyncEmulator
from batchtask.client.errors import NotFound, error_for
from batchtask.client.follower import IDLE, Follower, OnProgress, Step, Until
from batchtask.client.info import BatchTaskInfo
from batchtask.client.rest import MAX_PAGE, start_body, update_body
from batchtask.domain.state import BatchTaskState

T = TypeVar("T")
#: Carriers of one ``list`` page read at once.
CONCURRENT_READS = 8


class AsyncClient:
    """The awaitable twin of :class:`batchtask.client.Client`: same arguments, same calls.

    ``async with AsyncClient(url, ticket=…) as client: info = await client.get(7)``;
    ``async for info in client.list(…)``; ``async for event in client.admin.stream()``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        ticket: str | None = None,
        token: str | None = None,
        tenant: str | None = None,
        timeout: float = 30.0,
        language: str | None = None,
        emulator_token: str | None = None,
        follow_stream: bool = True,
    ) -> None:
        self._conn = Connection(
            base_url,
            username=username,
            password=password,
            ticket=ticket,
            token=token,
            tenant=tenant,
            timeout=timeout,
            language=language,
            emulator_token=emulator_token,
            follow_stream=follow_stream,
        )
        self._http = httpx.AsyncClient(
            base_url=self._conn.base_url, timeout=timeout, headers=self._conn.headers
        )
        #: The 15 methods of the Batch agent (``POST Agents/Batch/…``).
        self.agents = AsyncAgents(self._send, self._conn.routes.api)
        #: The admin API (``/admin/api/…``, SPEC §10.1).
        self.admin = AsyncAdmin(self._send, self._conn, self._events)
        #: The emulator controls (``/_batchtask/…``, SPEC §11.2; ``serve --emulator`` only).
        self.emulator = AsyncEmulator(self._send, self._conn)

    @property
    def tenant(self) -> str | None:
        """The ContextIdentifier this client addresses (``None``: the server's default)."""
        return self._conn.tenant

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _send(self, call: Call[T]) -> T:
        response = await self._http.request(
            call.method,
            call.path,
            params=call.params,
            json=call.json,
            headers=self._conn.headers_for(call),
        )
        return call.result(response)

    async def login(self) -> str:
        """Trade the username and password for a SOTicket, used from now on; the ticket."""
        ticket = await self._send(self._conn.rest.login(*self._conn.credentials.login_pair()))
        self._conn.credentials.use_ticket(ticket)
        self._http.cookies.clear()  # the browser session /login also opens is not wanted
        return ticket

    async def get(self, id: int) -> BatchTaskInfo:
        """``GET BatchTask/{id}``; :class:`NotFound` when there is no such task."""
        return await self._send(self._conn.rest.get(id))

    async def start(
        self,
        name: str,
        parameters: Mapping[str, str] | None = None,
        *,
        description: str = "",
        request: str = "",
        context: str = "",
        is_system_task: bool = False,
        is_internal_task: bool = False,
        details_table: int = 0,
        details_record: int = 0,
    ) -> BatchTaskInfo:
        """Start a task of definition ``name`` (``POST BatchTask``); the new task as stored."""
        body = start_body(
            name,
            parameters,
            description=description,
            request=request,
            context=context,
            is_system_task=is_system_task,
            is_internal_task=is_internal_task,
            details_table=details_table,
            details_record=details_record,
        )
        return await self.get(await self._send(self._conn.rest.create(body)))

    async def update(
        self,
        id: int,
        *,
        state: BatchTaskState | str | None = None,
        description: str | None = None,
        response: str | None = None,
        request: str | None = None,
    ) -> BatchTaskInfo:
        """``PUT BatchTask/{id}``: the four fields SuperOffice lets a client change."""
        body = update_body(state=state, description=description, response=response, request=request)
        return await self._send(self._conn.rest.update(id, body))

    async def stop(self, id: int) -> bool:
        """``POST BatchTask/{id}/Stop``: whether the task was stopped (SPEC §8.4)."""
        return await self._send(self._conn.rest.stop(id))

    async def delete(self, id: int) -> None:
        """``DELETE BatchTask/{id}`` (a running task is stopped first; a missing one is fine)."""
        await self._send(self._conn.rest.delete(id))

    def list(
        self, filter: str | None = None, order_by: str | None = None, page_size: int = 100
    ) -> AsyncIterator[BatchTaskInfo]:
        """Every task the caller may read, page by page: ``async for info in client.list()``.

        As :meth:`batchtask.client.Client.list`; the carriers of one page are read concurrently.
        """
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE}")
        return self._pages(filter, order_by, page_size)

    async def _pages(
        self, filter: str | None, order_by: str | None, page_size: int
    ) -> AsyncIterator[BatchTaskInfo]:
        skip = 0
        while True:
            call = self._conn.rest.id_page(
                filter=filter, order_by=order_by, top=page_size, skip=skip
            )
            page = await self._send(call)
            for info in await self._read_all(page.ids):
                if info is not None:
                    yield info
            if not page.more or not page.ids:
                return
            skip += len(page.ids)

    async def _read_all(self, ids: Sequence[int]) -> builtins.list[BatchTaskInfo | None]:
        found: builtins.list[BatchTaskInfo | None] = [None] * len(ids)
        limiter = anyio.CapacityLimiter(CONCURRENT_READS)

        async def read(index: int, task_id: int) -> None:
            async with limiter:
                found[index] = await self._get_or_none(task_id)

        async with anyio.create_task_group() as group:
            for index, task_id in enumerate(ids):
                group.start_soon(read, index, task_id)
        return found

    async def _get_or_none(self, task_id: int) -> BatchTaskInfo | None:
        try:
            return await self.get(task_id)
        except NotFound:
            return None

    async def wait(
        self,
        id: int,
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's signature (SPEC §12)
        until: Until = None,
        on_progress: OnProgress = None,
    ) -> BatchTaskInfo:
        """As :meth:`batchtask.client.Client.wait`, awaitable."""
        follower = Follower(id, timeout=timeout, until=until, on_progress=on_progress)
        try:
            with anyio.fail_after(timeout):
                return await self._follow(follower)
        except TimeoutError:
            if follower.expired():
                raise follower.timed_out() from None
            raise

    async def _follow(self, follower: Follower) -> BatchTaskInfo:
        if follower.see(await self.get(follower.task_id)):
            return follower.last
        if self._conn.follow_stream:
            finished = await self._follow_stream(follower)
            if finished is not None:
                return finished
        while True:
            await anyio.sleep(follower.pause())
            if follower.see(await self.get(follower.task_id)):
                return follower.last

    async def _follow_stream(self, follower: Follower) -> BatchTaskInfo | None:
        """Follow the task's event stream; ``None`` to go on by polling."""
        path = self._conn.task_stream(follower.task_id)
        timeout = httpx.Timeout(self._conn.timeout, read=IDLE)
        while True:
            headers = self._conn.stream_headers(follower.last_event_id)
            try:
                async with self._http.stream(
                    "GET", path, headers=headers, timeout=timeout
                ) as response:
                    if not is_event_stream(response):
                        return None
                    async for event in EventSource(response).aiter_sse():
                        step = follower.apply(event)
                        if step is Step.FINISH:
                            return follower.final(await self._get_or_none(follower.task_id))
                        if step is Step.REFRESH and follower.see(await self.get(follower.task_id)):
                            return follower.last
                    return None  # closed without "end": go on by polling
            except httpx.ReadTimeout:
                continue  # silent past the keep-alive: reopen where it left off
            except (httpx.TransportError, SSEError):
                return None

    async def _events(self, path: str, last_event_id: str | None) -> AsyncIterator[ServerSentEvent]:
        """A Server-Sent Events stream, open while the iterator is consumed."""
        headers = self._conn.stream_headers(last_event_id)
        timeout = httpx.Timeout(self._conn.timeout, read=None)
        async with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                await response.aread()
                raise error_for(response)
            async for event in EventSource(response).aiter_sse():
                yield event


__all__ = ["AsyncClient"]
