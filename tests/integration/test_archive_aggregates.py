"""Aggregates in ``$select`` over HTTP (reference §5.9): rows, placement, paging, XML, errors."""

from __future__ import annotations

from typing import Any

import pytest

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.golden_files import assert_golden
from tests.integration.test_seed_endpoint import basic, make_task


@pytest.fixture
def seeded(server: LiveServer) -> list[int]:
    """Four tasks: progress 0, 40, 100, 0; one Succeeded, one Failed."""
    ids = [make_task(server, "alice", description=d) for d in ("a", "b", "c", "d")]
    for task_id, state, progress in ((ids[1], BatchTaskState.Failed, 40),
                                     (ids[2], BatchTaskState.Succeeded, 100)):  # fmt: skip
        outcome = TaskOutcome(state=state, progress_percent=progress)
        server.run(
            server.services.store.tasks.record_outcome(
                task_id, outcome, now=server.clock.now(), actor="t"
            )
        )
    return ids


def get(server: LiveServer, query: str, **headers: str) -> Any:
    """GET the Archive list as alice."""
    with server.client() as client:
        return client.get(
            f"/api/v1/Archive/BatchTasks{query}", headers={**basic("alice"), **headers}
        )


def test_footer_and_header_rows(server: LiveServer, seeded: list[int]) -> None:
    """Task rows show the column's value; the header/footer rows carry the totals."""
    body = get(
        server,
        "?$select=Description,Count(State):Footer,Avg(ProgressPercent):Header,"
        "Max(ProgressPercent):Header:Footer",
    ).json()
    rows = body["value"]
    assert [row["EntityName"] for row in rows] == ["header", *["batchtask"] * 4, "footer"]
    assert rows[0] == {
        "PrimaryKey": "0", "EntityName": "header", "Description": None,
        "Count(State):Footer": None, "Avg(ProgressPercent):Header": 35.0,
        "Max(ProgressPercent):Header:Footer": 100,
    }  # fmt: skip
    assert rows[-1] == {
        "PrimaryKey": "0", "EntityName": "footer", "Description": None,
        "Count(State):Footer": 4, "Avg(ProgressPercent):Header": None,
        "Max(ProgressPercent):Header:Footer": 100,
    }  # fmt: skip
    assert rows[2]["Count(State):Footer"] == 5  # a task row: its State (Failed)
    assert rows[2]["Avg(ProgressPercent):Header"] == 40


@pytest.mark.parametrize(
    ("item", "total"),
    [
        ("Count(Description)", 4),
        ("CountAll(LastStarted)", 4),
        ("Sum(ProgressPercent)", 140),
        ("Avg(ProgressPercent)", 35.0),
        ("Min(State)", 1),
        ("Max(Description)", "d"),
        ("Min(registeredDate)", "2026-11-28T12:00:00"),
        ("Max(LastStarted)", "0001-01-01T00:00:00"),
    ],
)
def test_every_function_over_http(
    server: LiveServer, seeded: list[int], item: str, total: object
) -> None:
    """Each function's footer value, rendered like the column (dates ISO, unset date)."""
    rows = get(server, f"?$select={item}:HideDetail").json()["value"]
    key = item + ":HideDetail"
    assert rows == [{"PrimaryKey": "0", "EntityName": "footer", key: total}]


def test_totals_cover_every_page_and_sit_at_the_ends(server: LiveServer, seeded: list[int]) -> None:
    """The header is on the first page, the footer on the last; both count all pages."""
    select = "?$select=Sum(ProgressPercent):Header:Footer&$top=3"
    first = get(server, select).json()
    last = get(server, select + "&$skip=3").json()
    assert [row["EntityName"] for row in first["value"]] == ["header", "batchtask", "batchtask",
                                                             "batchtask"]  # fmt: skip
    assert first["value"][0]["Sum(ProgressPercent):Header:Footer"] == 140
    assert first["odata.nextLink"] is not None
    assert [row["EntityName"] for row in last["value"]] == ["batchtask", "footer"]
    assert last["value"][-1]["Sum(ProgressPercent):Header:Footer"] == 140
    assert last["odata.nextLink"] is None


def test_filter_applies_to_the_totals(server: LiveServer, seeded: list[int]) -> None:
    """Only the filtered rows are counted."""
    rows = get(server, "?$select=Count(State):HideDetail&$filter=State eq 1").json()["value"]
    assert rows[0]["Count(State):HideDetail"] == 2


def test_hide_detail_pages(server: LiveServer, seeded: list[int]) -> None:
    """Only the totals, on one page; a later page is empty."""
    first = get(server, "?$select=CountAll(State):HideDetail:Header:Footer&$top=1").json()
    later = get(server, "?$select=CountAll(State):HideDetail&$skip=2").json()
    assert [row["EntityName"] for row in first["value"]] == ["header", "footer"]
    assert first["odata.nextLink"] is None
    assert later["value"] == []


def test_full_mode_rows(server: LiveServer, seeded: list[int]) -> None:
    """Full rows: RawValue/DisplayValue of the total, StyleHint and EntityName footer."""
    rows = get(
        server, "?$select=Avg(ProgressPercent):HideDetail&$mode=Full", **{"SO-Language": "de"}
    ).json()["value"]
    assert rows == [{
        "PrimaryKey": 0, "EntityName": "footer", "StyleHint": "footer", "LinkHint": "",
        "TableRight": {"Mask": 1, "Reason": ""},
        "Column": {"Avg(ProgressPercent):HideDetail": {
            "RawValue": 35.0, "DisplayValue": "35", "LinkHint": "", "TooltipHint": ""}},
    }]  # fmt: skip


def test_names_are_safe_in_xml_and_under_json_safe(server: LiveServer, seeded: list[int]) -> None:
    """``Count(State):Footer`` is ``Count_State__Footer`` where a name must be safe."""
    xml = get(server, "?$select=State,Count(State):Footer&$top=1", Accept="application/xml")
    safe = get(server, "?$select=Count(State):HideDetail&$jsonSafe=true").json()
    assert xml.status_code == 200
    assert "<Count_State__Footer>" in xml.text
    assert safe["value"][0]["Count_State__HideDetail"] == 4
    assert "odata_metadata" in safe


def test_both_lists_and_golden(server: LiveServer, seeded: list[int]) -> None:
    """``GET BatchTask`` takes aggregates too; the bytes are pinned by a golden file."""
    query = "?$select=Description,State,Count(State):Footer,Avg(ProgressPercent):Header"
    with server.client() as client:
        listed = client.get("/api/v1/BatchTask" + query, headers=basic("alice"))
    archived = get(server, query)
    assert listed.content == archived.content
    assert_golden("archive-aggregates.json", archived.content, server.base_url)
    xml = get(server, query, Accept="application/xml")
    assert_golden("archive-aggregates.xml", xml.content, server.base_url)


@pytest.mark.parametrize(
    "select",
    ["GroupBy(State):Header", "Sum(Description)", "Count(Nope)", "Count(State):Sideways",
     "Percent(State)", "Count(State"],
)  # fmt: skip
def test_bad_aggregates_are_400(server: LiveServer, seeded: list[int], select: str) -> None:
    """Unsupported, mistyped or malformed aggregates: 400 naming ``$select``."""
    response = get(server, f"?$select={select}")
    assert response.status_code == 400
    assert "$select" in response.json()["ErrorMessage"]
