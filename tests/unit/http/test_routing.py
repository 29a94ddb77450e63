"""Route templates compiled as ASP.NET matches them (``http/routing.py``)."""

from __future__ import annotations

import pytest

from batchtask.http.routing import TASK_PATTERN, compile_template, path_parameters


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/BatchTask/7", {"id": "7"}),
        ("/api/v1/batchtask/7", {"id": "7"}),
        ("/API/V1/BATCHTASK/7/", {"id": "7"}),
        ("/Cust1/api/v1/BatchTask/New", None),  # the prefix is the tenant router's
        ("/api/v1/BatchTask/7\n", {"id": "7\n"}),  # the segment keeps it: not digits, so 404
        ("/api/v1/BatchTask/7//", None),
        ("/api/v1/BatchTask/", None),
        ("/api/v1/BatchTask/7/Stop", None),
        ("/a/b/api/v1/BatchTask/7", None),
        ("/api/v1/BatchTas\u212a/7", None),
        ("/api/v1/BatchTaſk/7", None),
    ],
)
def test_task_pattern(path: str, expected: dict[str, str] | None) -> None:
    """Any ASCII case, one trailing slash, the whole path; no tenant segment (``tenancy.py``
    strips it before routing)."""
    assert path_parameters(TASK_PATTERN, path) == expected


def test_literals_are_escaped_and_templates_have_no_tenant() -> None:
    """``.`` in a template is a dot; no template has a tenant prefix."""
    pattern = compile_template("/api/openapi.json")
    assert path_parameters(pattern, "/API/OpenAPI.JSON/") == {}
    assert path_parameters(pattern, "/api/openapiXjson") is None
    assert path_parameters(pattern, "/Cust1/api/openapi.json") is None
