"""``Client``: the blocking client (SPEC §12)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TypeVar

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from batchtask.client.admin import Admin
from batchtask.client.agents import Agents
from batchtask.client.call import Call
from batchtask.client.connection import Connection, is_event_stream
from batchtask.client.emulator import Emulator
from batchtask.client.errors import NotFound, error_for
from batchtask.client.follower import Follower, OnProgress, Step, Until
from batchtask.client.info import BatchTaskInfo
from batchtask.client.rest import MAX_PAGE, start_body, update_body
from batchtask.domain.state import BatchTaskState

T = TypeVar("T")


class Client:
    """A blocking client of one batchtask (or SuperOffice) server, as one user of one tenant.

    ``Client("http://127.0.0.1:8000", username="alice", password="…")`` sends Basic credentials;
    ``ticket=`` sends ``SOTicket``, ``token=`` sends ``Bearer``; ``tenant="Cust12345"`` addresses
    ``/Cust12345/api/v1/…``. Use it as a context manager, or call :meth:`close`.
    ``language`` asks for translated texts (``SO-Language``); ``emulator_token`` is sent to the
    emulator controls; ``follow_stream=False`` makes :meth:`wait` poll instead of following the
    task's event stream (for proxies that buffer Server-Sent Events).
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
        self._http = httpx.Client(
            base_url=self._conn.base_url, timeout=timeout, headers=self._conn.headers
        )
        #: The 15 methods of the Batch agent (``POST Agents/Batch/…``).
        self.agents = Agents(self._send, self._conn.routes.api)
        #: The admin API (``/admin/api/…``, SPEC §10.1).
        self.admin = Admin(self._send, self._conn, self._events)
        #: The emulator controls (``/_batchtask/…``, SPEC §11.2; ``serve --emulator`` only).
        self.emulator = Emulator(self._send, self._conn)

    @property
    def tenant(self) -> str | None:
        """The ContextIdentifier this client addresses (``None``: the server's default)."""
        return self._conn.tenant

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, call: Call[T]) -> T:
        response = self._http.request(
            call.method,
            call.path,
            params=call.params,
            json=call.json,
            headers=self._conn.headers_for(call),
        )
        return call.result(response)

    def login(self) -> str:
        """Trade the username and password for a SOTicket, used from now on; the ticket."""
        ticket = self._send(self._conn.rest.login(*self._conn.credentials.login_pair()))
        self._conn.credentials.use_ticket(ticket)
        self._http.cookies.clear()  # the browser session /login also opens is not wanted
        return ticket

    def get(self, id: int) -> BatchTaskInfo:
        """``GET BatchTask/{id}``; :class:`NotFound` when there is no such task."""
        return self._send(self._conn.rest.get(id))

    def start(
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
        return self.get(self._send(self._conn.rest.create(body)))

    def update(
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
        return self._send(self._conn.rest.update(id, body))

    def stop(self, id: int) -> bool:
        """``POST BatchTask/{id}/Stop``: whether the task was stopped (SPEC §8.4)."""
        return self._send(self._conn.rest.stop(id))

    def delete(self, id: int) -> None:
        """``DELETE BatchTask/{id}`` (a running task is stopped first; a missing one is fine)."""
        self._send(self._conn.rest.delete(id))

    def list(
        self, filter: str | None = None, order_by: str | None = None, page_size: int = 100
    ) -> Iterator[BatchTaskInfo]:
        """Every task the caller may read, page by page as the iterator is consumed.

        ``filter`` and ``order_by`` are the OData ``$filter``/``$orderBy`` of ``GET BatchTask``
        (the BatchTasks archive columns, e.g. ``"State eq 'Failed'"``, ``"registeredDate desc"``).
        Each page of ids is read from the OData list and each task as a full carrier; a task
        deleted in between is skipped.
        """
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE}")
        return self._pages(filter, order_by, page_size)

    def _pages(
        self, filter: str | None, order_by: str | None, page_size: int
    ) -> Iterator[BatchTaskInfo]:
        skip = 0
        while True:
            call = self._conn.rest.id_page(
                filter=filter, order_by=order_by, top=page_size, skip=skip
            )
            page = self._send(call)
            for task_id in page.ids:
                info = self._get_or_none(task_id)
                if info is not None:
                    yield info
            if not page.more or not page.ids:
                return
            skip += len(page.ids)

    def _get_or_none(self, task_id: int) -> BatchTaskInfo | None:
        try:
            return self.get(task_id)
        except NotFound:
            return None

    def wait(
        self,
        id: int,
        timeout: float | None = None,
        until: Until = None,
        on_progress: OnProgress = None,
    ) -> BatchTaskInfo:
        """Block until the task finishes (or reaches a state in ``until``); its last snapshot.

        ``on_progress(snapshot)`` is called with the first snapshot and on every change of
        state, percent, progress text or start count. After ``timeout`` seconds
        :class:`WaitTimeout` is raised; its ``.last`` is the last snapshot seen.
        """
        follower = Follower(id, timeout=timeout, until=until, on_progress=on_progress)
        if follower.see(self.get(id)):
            return follower.last
        if self._conn.follow_stream:
            finished = self._follow_stream(follower)
            if finished is not None:
                return finished
        while True:
            if follower.expired():
                raise follower.timed_out()
            time.sleep(follower.pause())
            if follower.see(self.get(id)):
                return follower.last

    def _follow_stream(self, follower: Follower) -> BatchTaskInfo | None:
        """Follow the task's event stream; ``None`` to go on by polling."""
        path = self._conn.task_stream(follower.task_id)
        while True:
            read_timeout = follower.read_timeout()
            timeout = httpx.Timeout(self._conn.timeout, read=read_timeout)
            headers = self._conn.stream_headers(follower.last_event_id)
            try:
                with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
                    if not is_event_stream(response):
                        return None
                    for event in EventSource(response).iter_sse():
                        step = follower.apply(event)
                        if step is Step.FINISH:
                            return follower.final(self._get_or_none(follower.task_id))
                        if step is Step.REFRESH and follower.see(self.get(follower.task_id)):
                            return follower.last
                        if follower.expired():
                            raise follower.timed_out()
                        if follower.should_reopen(read_timeout):
                            break
                    else:
                        return None  # closed without "end": go on by polling
            except httpx.ReadTimeout:
                if follower.expired():
                    raise follower.timed_out() from None
            except (httpx.TransportError, SSEError):
                return None

    def _events(self, path: str, last_event_id: str | None) -> Iterator[ServerSentEvent]:
        """A Server-Sent Events stream, open while the iterator is consumed."""
        headers = self._conn.stream_headers(last_event_id)
        timeout = httpx.Timeout(self._conn.timeout, read=None)
        with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise error_for(response)
            yield from EventSource(response).iter_sse()


__all__ = ["Client"]
