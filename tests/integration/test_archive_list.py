"""GET /api/v1/BatchTask: the OData list (SPEC §7) over real HTTP on both engines."""

from __future__ import annotations

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task


@pytest.fixture
def seeded(server: LiveServer) -> list[int]:
    """Five tasks: alice ×3 (one Succeeded, 40 %), bob ×2."""
    ids = [
        make_task(server, "alice", name="batchtask.sleep", description="first"),
        make_task(server, "alice", name="batchtask.export", description="second"),
        make_task(server, "alice", name="batchtask.sleep", description="third"),
        make_task(server, "bob", name="batchtask.sleep", description="fourth"),
        make_task(server, "bob", name="batchtask.http", description="fifth"),
    ]
    server.call(
        lambda s: s.store.tasks.record_outcome(
            ids[1],
            TaskOutcome(state=BatchTaskState.Succeeded, progress_percent=40),
            now=server.clock.now(),
            actor="t",
        )
    )
    return ids


def get(server: LiveServer, query: str, user: str = "alice", **headers: str):  # type: ignore[no-untyped-def]
    """GET the list."""
    with server.client() as client:
        return client.get(f"/api/v1/BatchTask{query}", headers={**basic(user), **headers})


def test_slim_rows_with_selected_columns(server: LiveServer, seeded: list[int]) -> None:
    """Slim rows: PrimaryKey string, EntityName, the selected columns; nextLink null."""
    response = get(server, "?$select=Description,State,registeredBy,DefinitionName")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["odata.metadata", "odata.nextLink", "value"]
    assert body["odata.nextLink"] is None
    first = body["value"][0]
    assert first == {
        "PrimaryKey": str(seeded[0]), "EntityName": "batchtask", "Description": "first",
        "State": 1, "registeredBy": "alice", "DefinitionName": "batchtask.sleep",
    }  # fmt: skip
    assert [row["PrimaryKey"] for row in body["value"]] == [str(i) for i in seeded]


def test_filter_order_and_paging(server: LiveServer, seeded: list[int]) -> None:
    """$filter and $orderBy run in SQL; $top/$skip page with odata.nextLink."""
    filtered = get(
        server,
        "?$select=Description&$filter=DefinitionName eq 'batchtask.sleep' and Description begins 'f'",
    )
    assert [row["Description"] for row in filtered.json()["value"]] == ["first", "fourth"]
    ordered = get(server, "?$select=Description&$orderBy=Description desc&$top=2")
    body = ordered.json()
    assert [row["Description"] for row in body["value"]] == ["third", "second"]
    assert "%24skip=2" in body["odata.nextLink"] or "$skip=2" in body["odata.nextLink"]
    second_page = get(server, "?$select=Description&$orderBy=Description desc&$top=2&$skip=2")
    assert [row["Description"] for row in second_page.json()["value"]] == ["fourth", "first"]
    state = get(server, "?$select=Description&$filter=State eq 'Succeeded'")
    assert [row["Description"] for row in state.json()["value"]] == ["second"]


def test_full_mode_has_raw_and_display_values(server: LiveServer, seeded: list[int]) -> None:
    """Full rows carry RawValue/DisplayValue per column and a numeric TableRight.Mask."""
    body = get(
        server, "?$select=State,ProgressPercent&$mode=Full&$filter=ProgressPercent ge 40", "bob"
    ).json()
    (row,) = body["value"]
    assert row["PrimaryKey"] == seeded[1]
    assert row["TableRight"]["Mask"] == 1
    assert row["Column"]["State"] == {
        "RawValue": 4,
        "DisplayValue": "Succeeded",
        "LinkHint": "",
        "TooltipHint": "",
    }
    assert row["Column"]["ProgressPercent"]["RawValue"] == 40


@pytest.mark.parametrize("language", ["en", "de", "nb"])
def test_display_output_keeps_dates_iso(
    server: LiveServer, seeded: list[int], language: str
) -> None:
    """$output=Display changes booleans only (reference §3.4): dates stay ISO in every culture.

    Before issue 12 it gave "Dec 4, 2026, 1:02:18 PM" / "04.12.2026, 13:02:18".
    """
    query = (
        "?$select=ProgressPercent,registeredDate,LastStarted,State&$filter=ProgressPercent ge 40"
    )
    headers = {"SO-Language": language, "SO-TimeZone": "US-NY"}
    display = get(server, query + "&$output=Display", **headers).json()
    logical = get(server, query + "&$output=Logical", **headers).json()
    assert display == logical
    (row,) = display["value"]
    assert row["registeredDate"] == "2026-11-28T12:00:00"
    assert row["LastStarted"] == "0001-01-01T00:00:00"
    assert (row["ProgressPercent"], row["State"]) == (40, 4)
    full = get(server, query + "&$mode=Full", **headers).json()["value"][0]["Column"]
    assert full["registeredDate"]["DisplayValue"] == "2026-11-28T12:00:00"
    assert full["State"]["DisplayValue"] == "Succeeded"
    assert full["ProgressPercent"]["DisplayValue"] == "40"


def test_json_safe_and_xml(server: LiveServer, seeded: list[int]) -> None:
    """$jsonSafe renames odata.* members; $format=xml answers XML."""
    safe = get(server, "?$jsonSafe=true&$top=1").json()
    assert "odata_metadata" in safe
    assert "odata_nextLink" in safe
    xml = get(server, "?$format=xml&$top=1&$select=Description")
    assert xml.headers["content-type"] == "application/xml; charset=utf-8"
    assert "<Description>first</Description>" in xml.text


@pytest.mark.parametrize(
    "query",
    [
        "?$top=-1",
        "?$top=abc",
        "?$top=1e9",
        "?$skip=-1",
        "?$skip=9223372036854775808",
        "?$select=Nope",
        "?$select=getAllRows",
        "?$orderBy=Id;DROP TABLE batchtask",
        "?$orderBy=Request",
        "?$filter=Description eq 'unbalanced",
        "?$filter=" + "(" * 1000 + "State eq 1" + ")" * 1000,
        "?$filter=State eq 'x'",
        "?$filter=Description eq 'x' or 1 eq 1",
        "?$filter=startswith(" + "a," * 10000 + ")",
        "?$mode=Tall",
        "?$output=Pretty",
        "?$filter=%00",
    ],
)
def test_bad_queries_are_400(server: LiveServer, seeded: list[int], query: str) -> None:
    """Suite B3: malformed parameters are 400 with the error object — never 5xx."""
    response = get(server, query)
    assert response.status_code == 400, response.text
    assert response.json()["Error"] is True


def test_top_is_capped_and_zero_is_allowed(server: LiveServer, seeded: list[int]) -> None:
    """$top above 1000 is capped; $top=0 returns no rows."""
    assert len(get(server, "?$top=2147483648").json()["value"]) == 5
    assert get(server, "?$top=0").json()["value"] == []


def test_injection_attempts_match_literally(server: LiveServer, seeded: list[int]) -> None:
    """A quote-doubling filter value is a literal, never SQL."""
    response = get(server, "?$filter=Description eq 'x'' OR 1=1 --'")
    assert response.status_code == 200
    assert response.json()["value"] == []
    assert len(get(server, "").json()["value"]) == 5
