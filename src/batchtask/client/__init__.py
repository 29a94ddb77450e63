"""A typed Python client for the SuperOffice BatchTask Web API, and for batchtask's own extras.

::

    from batchtask.client import Client, BatchTaskState

    with Client("http://127.0.0.1:8000", username="alice", password="…") as client:
        task = client.start("batchtask.sleep", {"seconds": "2"})
        done = client.wait(task.id, timeout=60, on_progress=print)
        assert done.state is BatchTaskState.Succeeded

:class:`AsyncClient` is the same, awaitable. The client speaks only HTTP: it imports nothing of
the server but the domain's enums (an import-linter contract keeps it so), and works against any
server with SuperOffice's BatchTask API; ``admin``, ``emulator`` and the stream that ``wait()``
follows are batchtask's own.
"""

from batchtask.client.admin import (
    BulkResult,
    Definition,
    Lease,
    Skipped,
    Stats,
    StatsPoint,
    StreamEvent,
    TaskDetail,
    TaskEvent,
    TaskPage,
    TaskSummary,
    Worker,
)
from batchtask.client.asynchronous import AsyncClient
from batchtask.client.blocking import Client
from batchtask.client.emulator import Clock, Fault, Health, JournalEntry, Step, Tenant, TenantAdmin
from batchtask.client.errors import (
    BatchTaskError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServerError,
    Unauthorized,
    WaitTimeout,
)
from batchtask.client.info import BatchTaskInfo, FieldProperty, TableRight
from batchtask.domain.state import BatchTaskState, CancellationBehaviour

__all__ = [
    "AsyncClient",
    "BatchTaskError",
    "BatchTaskInfo",
    "BatchTaskState",
    "BulkResult",
    "CancellationBehaviour",
    "Client",
    "Clock",
    "Conflict",
    "Definition",
    "Fault",
    "FieldProperty",
    "Forbidden",
    "Health",
    "InvalidInput",
    "JournalEntry",
    "Lease",
    "NotFound",
    "ServerError",
    "Skipped",
    "Stats",
    "StatsPoint",
    "Step",
    "StreamEvent",
    "TableRight",
    "TaskDetail",
    "TaskEvent",
    "TaskPage",
    "TaskSummary",
    "Tenant",
    "TenantAdmin",
    "Unauthorized",
    "WaitTimeout",
    "Worker",
]
