"""SPEC §4 header combinations on GET /api/v1/BatchTask/{id}, table-driven, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import TaskOutcome
from tests.integration.conftest import LiveServer
from tests.integration.test_seed_endpoint import basic, make_task

ACCEPT_CASES: list[tuple[dict[str, str], str, str]] = [
    # (headers, query, expected content type)
    ({}, "", "application/json"),
    ({"Accept": "application/json"}, "", "application/json"),
    ({"Accept": "application/json; charset=utf-8"}, "", "application/json"),
    ({"Accept": "text/json"}, "", "text/json"),
    ({"Accept": "application/xml"}, "", "application/xml"),
    ({"Accept": "text/xml"}, "", "text/xml"),
    ({"Accept": "application/json-patch+json"}, "", "application/json-patch+json"),
    ({"Accept": "application/merge-patch+json"}, "", "application/merge-patch+json"),
    ({"Accept": "*/*"}, "", "application/json"),
    ({"Accept": "application/*"}, "", "application/json"),
    ({"Accept": "aplication/json"}, "", "application/json"),
    ({"Accept": "image/png"}, "", "application/json"),
    ({"Accept": "application/xml;q=0.5, application/json;q=0.9"}, "", "application/json"),
    ({"Accept": "application/json;q=0.5, application/xml;q=0.9"}, "", "application/xml"),
    ({"Accept": "text/xml, application/json"}, "", "text/xml"),
    ({"Accept": "application/json"}, "?$format=xml", "application/xml"),
    ({"Accept": "application/xml"}, "?$format=JSON", "application/json"),
    ({}, "?$format=Xml", "application/xml"),
]


def _get(
    client: httpx.Client, task_id: int, headers: dict[str, str], query: str = ""
) -> httpx.Response:
    return client.get(f"/api/v1/BatchTask/{task_id}{query}", headers={**basic("alice"), **headers})


def test_accept_and_format_choose_the_media_type(server: LiveServer) -> None:
    """Every Accept/$format case answers 200 in the matched type with charset=utf-8."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        for headers, query, expected in ACCEPT_CASES:
            response = _get(client, task_id, headers, query)
            assert response.status_code == 200, (headers, query)
            assert response.headers["content-type"] == f"{expected}; charset=utf-8", (
                headers,
                query,
            )
            if "xml" in expected:
                assert response.text.startswith("<?xml"), (headers, query)
                assert "<BatchTaskInfo " in response.text
            else:
                assert response.json()["Id"] == task_id


def test_errors_follow_the_negotiated_type(server: LiveServer) -> None:
    """A 404 asked for in XML comes back as the XML error object."""
    with server.client() as client:
        response = _get(client, 987654, {"Accept": "application/xml"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert "<ErrorInfo " in response.text
    assert "<ErrorType>SoNotFoundException</ErrorType>" in response.text


LANGUAGE_CASES: list[tuple[dict[str, str], str, str]] = [
    # (headers, expected Description, expected ProgressDescription)
    ({}, "[SR_BATCH_DEMO_DESCRIPTION]", 'US:"Done";NO:"Ferdig";'),
    ({"Accept-Language": "en"}, "Nightly export of finished tasks", "Done"),
    ({"Accept-Language": "nb-NO"}, "Nattlig eksport av fullførte oppgaver", "Ferdig"),
    ({"Accept-Language": "fr;q=0.5, nb;q=0.9"}, "Nattlig eksport av fullførte oppgaver", "Ferdig"),
    ({"Accept-Language": "*"}, "[SR_BATCH_DEMO_DESCRIPTION]", 'US:"Done";NO:"Ferdig";'),
    ({"Accept-Language": "nb", "SO-Language": "en"}, "Nightly export of finished tasks", "Done"),
    (
        {"Accept-Language": "en", "SO-Language": "*"},
        "[SR_BATCH_DEMO_DESCRIPTION]",
        'US:"Done";NO:"Ferdig";',
    ),
    (
        {"Accept-Language": "en", "SO-Language": "x"},
        "[SR_BATCH_DEMO_DESCRIPTION]",
        'US:"Done";NO:"Ferdig";',
    ),
    (
        {"SO-Language": "sv"},
        "Nattlig export av avslutade uppgifter",
        "Done",
    ),  # no SE: first section
]


def test_language_headers_translate_string_fields(server: LiveServer) -> None:
    """SO-Language over Accept-Language; `*`/`x` switch translation off; ML values pick a section."""
    task_id = make_task(server, "alice", description="[SR_BATCH_DEMO_DESCRIPTION]")
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id,
            TaskOutcome(progress_description='US:"Done";NO:"Ferdig";'),
            now=server.clock.now(),
            actor="test",
        )
    )
    with server.client() as client:
        for headers, description, progress in LANGUAGE_CASES:
            body = _get(client, task_id, headers).json()
            assert body["Description"] == description, headers
            assert body["ProgressDescription"] == progress, headers


def test_culture_does_not_change_json_numbers_or_dates(server: LiveServer) -> None:
    """SO-Culture only affects pre-formatted text: JSON numbers and ISO dates stay neutral."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        plain = _get(client, task_id, {}).json()
        cultured = _get(client, task_id, {"SO-Culture": "de-DE", "SO-Language": "de"}).json()
    assert cultured["Created"] == plain["Created"]
    assert cultured["ProgressPercent"] == plain["ProgressPercent"]


TIMEZONE_CASES: list[tuple[str | None, str, str]] = [
    # (SO-TimeZone, expected LastStarted, expected Created) — LastStarted 2026-07-01 12:00 UTC
    (None, "2026-07-01T12:00:00", "2026-11-28T12:00:00"),
    ("UTC", "2026-07-01T12:00:00", "2026-11-28T12:00:00"),
    ("UTC, includeTZOffset", "2026-07-01T12:00:00Z", "2026-11-28T12:00:00Z"),
    ("NO", "2026-07-01T14:00:00", "2026-11-28T12:00:00"),
    ("261", "2026-07-01T14:00:00", "2026-11-28T12:00:00"),
    ("NO, includeTZOffset", "2026-07-01T14:00:00+0200", "2026-11-28T12:00:00Z"),
    ("US-NY,includeTZOffset", "2026-07-01T08:00:00-0400", "2026-11-28T12:00:00Z"),
    ("460", "2026-07-01T08:00:00", "2026-11-28T12:00:00"),
    ("US-HI, includeTZOffset", "2026-07-01T02:00:00-1000", "2026-11-28T12:00:00Z"),
    ("AU-ACT", "2026-07-01T22:00:00", "2026-11-28T12:00:00"),
    ("BD", "2026-07-01T18:00:00", "2026-11-28T12:00:00"),
    ("us-ca", "2026-07-01T05:00:00", "2026-11-28T12:00:00"),
]


def test_timezone_converts_last_started_only(server: LiveServer) -> None:
    """SO-TimeZone converts LastStarted; Created stays UTC and is only tagged Z with the offset."""
    task_id = make_task(server, "alice")
    started = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    server.call(
        lambda s: s.store.tasks.record_outcome(
            task_id,
            TaskOutcome(state=BatchTaskState.Started, start_count=1, last_started=started),
            now=server.clock.now(),
            actor="test",
        )
    )
    with server.client() as client:
        for zone, last_started, created in TIMEZONE_CASES:
            headers = {} if zone is None else {"SO-TimeZone": zone}
            body = _get(client, task_id, headers).json()
            assert (body["LastStarted"], body["Created"]) == (last_started, created), zone


def test_unset_last_started_is_the_dotnet_min_value_in_any_zone(server: LiveServer) -> None:
    """A task never started renders 0001-01-01T00:00:00 whatever the zone."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        for zone in (None, "NO", "US-NY, includeTZOffset"):
            headers: dict[str, str] = {} if zone is None else {"SO-TimeZone": zone}
            assert _get(client, task_id, headers).json()["LastStarted"] == "0001-01-01T00:00:00"


def test_unknown_timezone_is_400_naming_it(server: LiveServer) -> None:
    """An unknown SO-TimeZone code is a 400 whose message names the code, translated."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        plain = _get(client, task_id, {"SO-TimeZone": "XX-NOPE"})
        translated = _get(client, task_id, {"SO-TimeZone": "XX-NOPE", "SO-Language": "de"})
    assert plain.status_code == 400
    assert plain.json()["ErrorMessage"] == "Unknown time zone: 'XX-NOPE'"
    assert translated.status_code == 400
    assert "XX-NOPE" in translated.json()["ErrorMessage"]
    assert translated.json()["ErrorMessage"] != plain.json()["ErrorMessage"]


SELECT_CASES = [
    ("State", {"Id", "State"}),
    ("state,DESCRIPTION", {"Id", "State", "Description"}),
    ("Id", {"Id"}),
    ("TableRight/Mask, Name", {"Id", "TableRight", "Name"}),
]


def test_select_nulls_unselected_fields(server: LiveServer) -> None:
    """$select keeps every field present, nulling the unselected ones; Id always filled."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        for select, kept in SELECT_CASES:
            body = _get(client, task_id, {}, f"?$select={select}").json()
            assert len(body) == 24
            assert {name for name, value in body.items() if value is not None} == kept, select
        bad = _get(client, task_id, {}, "?$select=Nope")
    assert bad.status_code == 400
    assert "Nope" in bad.json()["ErrorMessage"]


def test_vary_is_on_every_response(server: LiveServer) -> None:
    """Responses, success or error, carry Vary over the negotiation headers."""
    task_id = make_task(server, "alice")
    with server.client() as client:
        for response in (_get(client, task_id, {}), _get(client, 4242424, {})):
            assert response.headers["vary"] == (
                "Accept, Accept-Language, SO-Language, SO-Culture, SO-TimeZone"
            )


def test_every_authenticated_answer_is_no_store(server: LiveServer) -> None:
    """Issue 11 #11: answers carry the caller's rights and live task state, so none may be kept by
    a cache: ``Cache-Control: no-store`` on every 200 of the API — the fast lane's task read, the
    framework's lists, agents and writes, streamed lists — as on its errors."""
    task_id = make_task(server, "alice")
    alice = basic("alice")
    agent = "/api/v1/Agents/Batch/"
    with server.client() as client:
        answers = {
            "task (fast lane)": client.get(f"/api/v1/BatchTask/{task_id}", headers=alice),
            "task (XML)": client.get(f"/api/v1/BatchTask/{task_id}?$format=xml", headers=alice),
            "state list": client.get("/api/v1/BatchTask/All", headers=alice),
            "archive list": client.get("/api/v1/BatchTask", headers=alice),
            "post": client.post("/api/v1/BatchTask", json={"Name": "x"}, headers=alice),
            "put": client.put(
                f"/api/v1/BatchTask/{task_id}", json={"Description": "d"}, headers=alice
            ),
            "agent": client.post(agent + "GetBatchTaskInfo", json={"Id": task_id}, headers=alice),
            "agent list": client.post(
                agent + "GetBatchTaskInfosByAssociates", json={}, headers=alice
            ),
            "admin api": client.get("/admin/api/tasks", headers=alice),
        }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.text)
        assert response.headers.get("cache-control") == "no-store", name
