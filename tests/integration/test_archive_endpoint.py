"""``GET /api/v1/Archive/BatchTasks`` and its column metadata (reference §5.9, ARCH, META)."""

from __future__ import annotations

from typing import Any

import pytest

from batchtask.domain.archive import COLUMNS
from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.golden_files import assert_golden
from tests.integration.test_seed_endpoint import basic, make_task

QUERIES = [
    "",
    "?$select=Description,State,registeredBy,DefinitionName",
    "?$select=Description&$orderBy=Description desc&$top=2",
    "?$select=Description&$orderBy=Description desc&$top=2&$skip=2",
    "?$select=State,ProgressPercent&$mode=Full&$filter=ProgressPercent ge 40",
    "?$jsonSafe=true&$top=1",
    "?$format=xml&$top=1&$select=Description",
]


@pytest.fixture
def seeded(server: LiveServer) -> list[int]:
    """Three tasks of alice (one Succeeded at 40 %) and one of bob."""
    ids = [
        make_task(server, "alice", name="batchtask.sleep", description="first"),
        make_task(server, "alice", name="batchtask.export", description="second"),
        make_task(server, "bob", name="batchtask.sleep", description="third"),
        make_task(server, "alice", name="batchtask.http", description="fourth"),
    ]
    outcome = TaskOutcome(state=BatchTaskState.Succeeded, progress_percent=40)
    server.call(
        lambda s: s.store.tasks.record_outcome(ids[1], outcome, now=server.clock.now(), actor="t")
    )
    return ids


def get(server: LiveServer, path: str, **headers: str) -> Any:
    """GET with alice's credentials."""
    with server.client() as client:
        return client.get(path, headers={**basic("alice"), **headers})


@pytest.mark.parametrize("query", QUERIES)
def test_archive_batchtasks_is_the_batchtask_list(
    server: LiveServer, seeded: list[int], query: str
) -> None:
    """Same parameters, same rows, same bytes as ``GET /api/v1/BatchTask`` (any case)."""
    listed = get(server, "/api/v1/BatchTask" + query)
    for path in ("/api/v1/Archive/BatchTasks", "/api/v1/archive/batchtasks/"):
        archived = get(server, path + query)
        assert archived.status_code == listed.status_code == 200
        # the nextLink names the path the client used; everything else is the same bytes
        same = archived.content.replace(f"{path}?".encode(), b"/api/v1/BatchTask?")
        assert same == listed.content


@pytest.mark.parametrize(
    ("query", "headers", "golden"),
    [
        ("?$select=Description,State,StartCount,registeredBy,DefinitionName", {}, "archive.json"),
        ("?$select=Description,State,registeredDate&$mode=Full", {}, "archive-full.json"),
        ("?$select=Description,State,LastStarted&$top=2", {"Accept": "application/xml"},
         "archive.xml"),
    ],
)  # fmt: skip
def test_archive_goldens(
    server: LiveServer, seeded: list[int], query: str, headers: dict[str, str], golden: str
) -> None:
    """The Archive list, byte for byte (both engines give the same bytes)."""
    response = get(server, "/api/v1/Archive/BatchTasks" + query, **headers)
    assert response.status_code == 200
    assert_golden(golden, response.content, server.base_url)


@pytest.mark.parametrize(
    ("headers", "golden"),
    [
        ({}, "archive-metadata.json"),
        ({"Accept": "application/xml"}, "archive-metadata.xml"),
        ({"SO-Language": "en"}, "archive-metadata-en.json"),
        ({"Accept-Language": "nb"}, "archive-metadata-nb.json"),
    ],
)
def test_metadata_goldens(server: LiveServer, headers: dict[str, str], golden: str) -> None:
    """The column metadata: resource references untranslated, or the language's text."""
    response = get(server, "/api/v1/Archive/BatchTasks$metadata", **headers)
    assert response.status_code == 200
    assert_golden(golden, response.content, server.base_url)


def test_metadata_describes_every_column(server: LiveServer) -> None:
    """All 21 columns in provider order with META's 13 members; English is the provider page's."""
    body = get(server, "/Cust00000/api/v1/archive/batchtasks$METADATA", **{"SO-Language": "en"})
    document = body.json()
    assert list(document) == [column.name for column in COLUMNS]
    members = ["DisplayName", "DisplayTooltip", "DisplayType", "CanOrderBy", "Name",
               "CanRestrictBy", "RestrictionType", "RestrictionListName", "IsVisible",
               "ExtraInfo", "Width", "IconHint", "HeadingIconHint"]  # fmt: skip
    for column in COLUMNS:
        info = document[column.name]
        assert list(info) == members
        assert (info["DisplayName"], info["DisplayTooltip"]) == (
            column.display_name,
            column.tooltip,
        )
        assert info["CanOrderBy"] is column.can_order_by
        assert info["IsVisible"] is column.is_visible
        assert info["RestrictionType"] == column.restriction_type.value


def test_the_lists_odata_metadata_resolves(server: LiveServer, seeded: list[int]) -> None:
    """``odata.metadata`` of both lists (and of a tenant's) is the metadata document."""
    document = get(server, "/api/v1/Archive/BatchTasks$metadata").json()
    for path in ("/api/v1/BatchTask", "/api/v1/Archive/BatchTasks", "/cust00000/api/v1/BatchTask"):
        link = get(server, path + "?$top=1").json()["odata.metadata"]
        assert link.endswith("/api/v1/Archive/BatchTasks$metadata")
        with server.client() as client:
            followed = client.get(link, headers=basic("alice"))
        assert followed.status_code == 200
        assert followed.json() == document


def test_metadata_parameter(server: LiveServer) -> None:
    """``$metadata=ALL`` overrides the other parameters; named columns give those; others 400."""
    everything = get(server, "/api/v1/Archive/BatchTasks$metadata").json()
    assert get(server, "/api/v1/Archive/BatchTasks?$metadata=ALL&$top=1").json() == everything
    some = get(server, "/api/v1/Archive/BatchTasks?$metadata=state,DbTag").json()
    assert list(some) == ["State", "DbTag"]
    assert get(server, "/api/v1/Archive/BatchTasks?$metadata=Nope").status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/api/v1/Archive/FindContact", "/api/v1/Archive/FindContact$metadata",
     "/Cust99999/api/v1/Archive/BatchTasks"],
)  # fmt: skip
def test_other_providers_are_404(server: LiveServer, path: str) -> None:
    """Only BatchTasks is served."""
    response = get(server, path)
    assert response.status_code == 404
    assert response.json()["ErrorType"] == "SoNotFoundException"


def test_archive_needs_credentials(server: LiveServer) -> None:
    """The list and its metadata are the caller's data: 401 without credentials."""
    with server.client() as client:
        for path in ("/api/v1/Archive/BatchTasks", "/api/v1/Archive/BatchTasks$metadata"):
            assert client.get(path).status_code == 401


def test_top_zero_has_no_next_link(server: LiveServer, seeded: list[int]) -> None:
    """``$top=0`` answers no rows and no nextLink (a link to itself would loop a client)."""
    for path in ("/api/v1/BatchTask", "/api/v1/Archive/BatchTasks"):
        body = get(server, path + "?$top=0").json()
        assert body["value"] == []
        assert body["odata.nextLink"] is None
        paged = get(server, path + "?$top=1&$skip=1").json()
        assert "%24skip=2" in paged["odata.nextLink"] or "$skip=2" in paged["odata.nextLink"]
