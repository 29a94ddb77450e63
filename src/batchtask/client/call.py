"""One HTTP exchange described as data: what to send, and how to read the answer.

Why: ``Client`` and ``AsyncClient`` offer the same calls, one blocking and one awaitable. Every
call is built here once, as a :class:`Call` that knows its method, path, parameters, body and
how to read a successful answer; the two clients only send it. So the wire knowledge lives in one
place and the sync and async surfaces cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import httpx

from batchtask.client.errors import error_for
from batchtask.client.info import BatchTaskInfo

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """A request and the reader of its successful answer."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: Mapping[str, str | int] | None = None
    json: Any = None
    #: An emulator control: sends the emulator token instead of the user's credentials.
    emulator: bool = False

    def result(self, response: httpx.Response) -> T:
        """The answer's value; the matching :class:`BatchTaskError` for an error status."""
        if response.status_code >= 400:
            raise error_for(response)
        return self.read(response)


@dataclass(frozen=True, slots=True)
class Routes:
    """Path prefixes of one tenant (``/{ctx}/api/v1``) or of the default one (``/api/v1``)."""

    api: str
    admin: str
    login: str

    @classmethod
    def of(cls, tenant: str | None) -> Routes:
        """The prefixes for ``tenant`` (``None``: the server's default tenant)."""
        root = f"/{quote(tenant, safe='')}" if tenant else ""
        return cls(api=f"{root}/api/v1", admin=f"{root}/admin/api", login=f"{root}/login")


def segment(value: str | int) -> str:
    """A value as one path segment (ids, definition names, tenants)."""
    return quote(str(value), safe="")


def read_nothing(response: httpx.Response) -> None:
    """Ignore the body (204 answers)."""
    del response


def read_int(response: httpx.Response) -> int:
    """A bare integer (the id of a new task)."""
    value = response.json()
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def read_bool(response: httpx.Response) -> bool:
    """A bare boolean (Stop)."""
    value = response.json()
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def read_carrier(response: httpx.Response) -> BatchTaskInfo:
    """One ``BatchTaskInfo``."""
    return carrier(response.json())


def read_carrier_or_none(response: httpx.Response) -> BatchTaskInfo | None:
    """One ``BatchTaskInfo``, or ``None`` for the agents' ``null`` (not found)."""
    value = response.json()
    return None if value is None else carrier(value)


def read_carriers(response: httpx.Response) -> list[BatchTaskInfo]:
    """An array of ``BatchTaskInfo``."""
    value = response.json()
    if not isinstance(value, list):
        raise TypeError(f"expected an array of BatchTaskInfo, got {type(value).__name__}")
    return [carrier(item) for item in value]


def carrier(value: Any) -> BatchTaskInfo:
    """A JSON object as a ``BatchTaskInfo``."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a BatchTaskInfo object, got {type(value).__name__}")
    return BatchTaskInfo.from_wire(value)


class Send(Protocol):
    """How a blocking client sends a call."""

    def __call__(self, call: Call[T], /) -> T: ...


class AsyncSend(Protocol):
    """How an awaitable client sends a call."""

    def __call__(self, call: Call[T], /) -> Awaitable[T]: ...
