"""What both clients share: the server's address, the tenant's paths, credentials and headers."""

from __future__ import annotations

from typing import Any

import httpx

from batchtask import __version__
from batchtask.client.call import Call, Routes, segment
from batchtask.client.credentials import Credentials
from batchtask.client.info import TIME_ZONE
from batchtask.client.rest import Rest

#: The header that carries ``BATCHTASK_EMULATOR_TOKEN`` to the emulator controls (SPEC §11.2).
EMULATOR_TOKEN_HEADER = "X-Batchtask-Emulator-Token"  # noqa: S105 - a header name


class Connection:
    """Settings of one client, validated once; no I/O."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None,
        password: str | None,
        ticket: str | None,
        token: str | None,
        tenant: str | None,
        timeout: float,
        language: str | None,
        emulator_token: str | None,
        follow_stream: bool,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http:// or https:// URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant or None
        self.routes = Routes.of(self.tenant)
        self.rest = Rest(self.routes)
        self.credentials = Credentials(
            username=username, password=password, ticket=ticket, token=token
        )
        self.timeout = timeout
        self.emulator_token = emulator_token
        self.follow_stream = follow_stream
        self.headers = {
            "Accept": "application/json",
            "SO-TimeZone": TIME_ZONE,
            "User-Agent": f"batchtask-client/{__version__}",
        }
        if language:
            self.headers["SO-Language"] = language

    def headers_for(self, call: Call[Any]) -> dict[str, str]:
        """Credentials for one call: the user's, or the emulator token for a control."""
        if call.emulator:
            return {EMULATOR_TOKEN_HEADER: self.emulator_token} if self.emulator_token else {}
        authorization = self.credentials.authorization
        return {"Authorization": authorization} if authorization else {}

    def stream_headers(self, last_event_id: str | None) -> dict[str, str]:
        """Headers of a Server-Sent Events request."""
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        authorization = self.credentials.authorization
        if authorization:
            headers["Authorization"] = authorization
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        return headers

    def task_stream(self, task_id: int) -> str:
        """``/admin/api/tasks/{id}/stream``."""
        return f"{self.routes.admin}/tasks/{segment(task_id)}/stream"

    def tenant_of(self, tenant: str | None) -> str:
        """The tenant an emulator control is about: the one given, else the client's own."""
        chosen = tenant or self.tenant
        if not chosen:
            raise ValueError("name the tenant (tenant=…) or make the client with tenant=…")
        return chosen


def is_event_stream(response: httpx.Response) -> bool:
    """A 200 answer carrying Server-Sent Events (not a 404 page or a proxy's HTML)."""
    kind = response.headers.get("content-type", "").partition(";")[0].strip()
    return response.status_code == 200 and kind == "text/event-stream"
