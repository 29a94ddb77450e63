"""Which paths carry a tenant prefix (``http/tenancy.py``)."""

from __future__ import annotations

import pytest

from batchtask.http.tenancy import split_tenant


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
