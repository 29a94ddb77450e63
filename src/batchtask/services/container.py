"""``Services``: every use case of one process, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from batchtask.config import Settings
from batchtask.domain.clock import Clock
from batchtask.domain.ports import Store
from batchtask.services.admin import AdminService
from batchtask.services.auth import Authenticator
from batchtask.services.live import LiveHub
from batchtask.services.runtime_metrics import QueueSnapshot, RuntimeMetrics
from batchtask.services.tasks import TaskService
from batchtask.services.users import UserService


@dataclass(frozen=True, slots=True)
class Services:
    """Services and settings shared by every request, CLI command or worker of one process."""

    settings: Settings
    store: Store
    clock: Clock
    auth: Authenticator
    tasks: TaskService
    users: UserService
    base_zone: ZoneInfo
    admin: AdminService
    #: The live stream's fan-out in this process.
    live: LiveHub
    #: What this process's workers count (claims, retries, lost leases, durations).
    runtime: RuntimeMetrics
    #: The database's queue figures for ``/metrics``.
    queue: QueueSnapshot
