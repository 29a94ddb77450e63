"""Which paths carry a tenant prefix (``http/tenancy.py``)."""

from __future__ import annotations

from collections.abc import MutableMapping
from types import SimpleNamespace
from typing import Any

import pytest

from batchtask.domain.errors import StorageUnavailable
from batchtask.domain.tenant import TenantNotFound
from batchtask.http.tenancy import TenantRouter, split_tenant
from batchtask.storage.tenant_databases import tenant_url


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/Cust1/api/v1/BatchTask/7", ("Cust1", "/api/v1/BatchTask/7")),
        ("/cust1/API/V1/batchtask/7/", ("cust1", "/API/V1/batchtask/7/")),
        ("/Cust1/api", ("Cust1", "/api")),
        ("/Cust1/admin/", ("Cust1", "/admin/")),
        ("/Cust1/admin/api/stream", ("Cust1", "/admin/api/stream")),
        ("/Cust1/login", ("Cust1", "/login")),
        ("/Cust1/Logout/", ("Cust1", "/Logout/")),
        ("/api/v1/BatchTask/7", None),
        ("/admin/api/tasks", None),  # "admin" is never a tenant
        ("/API/api/v1", None),
        ("/Login/api/v1", None),
        ("/healthz", None),
        ("/Cust1/healthz", None),
        ("/Cust1/metrics", None),
        ("/Cust1", None),
        ("/Cust1/", None),
        ("/Cust-1/api/v1", None),
        ("/Cust1/apiX", None),
        ("/_batchtask/tenants", None),
        ("/a/b/api/v1/BatchTask/7", None),
        ("/Cust\u212a/api/v1", None),  # ASCII letters only
    ],
)
def test_split_tenant(path: str, expected: tuple[str, str] | None) -> None:
    assert split_tenant(path) == expected


class _Directory:
    """A stand-in for the tenant directory: knows no tenant, or fails."""

    default_context = "Cust00000"
    default = object()

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    def cached(self, context_identifier: str) -> None:
        return None

    async def get(self, context_identifier: str) -> None:
        raise self.failure


async def _call(router: TenantRouter, path: str) -> tuple[int, bytes, dict[str, Any]]:
    scope: dict[str, Any] = {
        "type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
        "query_string": b"", "headers": [(b"accept", b"application/json")],
    }  # fmt: skip
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await router(scope, receive, send)
    status = sent[0]["status"] if sent else 0
    return status, b"".join(m.get("body", b"") for m in sent[1:]), scope


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (TenantNotFound("Nobody"), 404),
        (StorageUnavailable("the database is away"), 503),
        (RuntimeError("a bug"), 500),
    ],
)
async def test_router_answers_what_the_directory_cannot(failure: Exception, status: int) -> None:
    router = TenantRouter(_inner, SimpleNamespace(tenants=_Directory(failure)))
    answered, body, _ = await _call(router, "/Nobody/api/v1/BatchTask/1")
    assert answered == status
    assert b"ErrorType" in body
    default, _, scope = await _call(router, "/api/v1/BatchTask/1")
    assert default == 204  # the default tenant never asks the directory
    assert scope["batchtask.tenant"] == "Cust00000"
    assert scope["batchtask.prefix"] == ""


@pytest.mark.anyio
async def test_router_without_a_directory_passes_through() -> None:
    router = TenantRouter(_inner, SimpleNamespace())
    assert (await _call(router, "/Cust1/api/v1"))[0] == 204


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////data/bt.db", "sqlite:////data/bt.db.tenants/custa.sqlite3"),
        ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db?search_path=tenant_custa"),
        (
            "postgresql://u@h/db?sslmode=require&search_path=x",
            "postgresql://u@h/db?sslmode=require&search_path=tenant_custa",
        ),
        ("memory://name", "memory://name~custa"),
        ("memory://", "memory://"),
    ],
)
def test_tenant_urls(url: str, expected: str) -> None:
    assert tenant_url(url, "custa") == expected


def test_tenant_urls_refuse_what_is_not_a_key() -> None:
    for key in ("CustA", "a/b", "admin", ""):
        with pytest.raises(ValueError, match="tenant key"):
            tenant_url("sqlite:////data/bt.db", key)
    with pytest.raises(ValueError, match="unsupported"):
        tenant_url("mysql://x", "custa")
