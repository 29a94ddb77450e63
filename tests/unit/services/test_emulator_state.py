"""The emulator's per-tenant pieces without HTTP: clock, faults, journal, scripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from batchtask.services.emulator.clock import ImpossibleClock, TenantClock
from batchtask.services.emulator.faults import FaultBook, FaultSpec
from batchtask.services.emulator.journal import Journal, JournalEntry, redact
from batchtask.services.emulator.scripts import Script, ScriptBook
from batchtask.services.emulator.state import EmulatorState
from tests.conftest import FakeClock

AT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_a_running_clock_keeps_its_offset_from_real_time() -> None:
    real = FakeClock()
    clock = TenantClock(real)
    clock.set(AT, frozen=False)
    real.advance(10)
    assert clock.now() == AT + timedelta(seconds=10)
    clock.advance(50)
    assert clock.now() == AT + timedelta(seconds=60)
    assert not clock.frozen
    clock.reset()
    assert clock.now() == real.now()
    assert clock.is_real


def test_a_frozen_clock_moves_only_when_told() -> None:
    real = FakeClock()
    clock = TenantClock(real)
    clock.set(AT, frozen=True)
    real.advance(3600)
    assert clock.now() == AT
    clock.advance(1.5)
    assert clock.now() == AT + timedelta(seconds=1.5)
    clock.set(None, frozen=True)  # freeze "now": the tenant's now, not the real one
    assert clock.now() == AT + timedelta(seconds=1.5)


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), 1e20])
def test_an_impossible_advance_changes_nothing(seconds: float) -> None:
    clock = TenantClock(FakeClock())
    clock.set(AT, frozen=True)
    with pytest.raises(ImpossibleClock):
        clock.advance(seconds)
    assert clock.now() == AT


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ImpossibleClock):
        TenantClock(FakeClock()).set(datetime(2024, 1, 1), frozen=True)


def spec(**extra: object) -> FaultSpec:
    values: dict[str, object] = {"method": "GET", "path": "/api/v1/BatchTask/*", "status": 503}
    values.update(extra)
    return FaultSpec(body=None, **values)  # type: ignore[arg-type]


def test_a_fault_fires_exactly_times_times_then_vanishes() -> None:
    book = FaultBook()
    book.add(spec(times=3))
    fired = [book.fire("GET", "/api/v1/batchtask/7") is not None for _ in range(5)]
    assert fired == [True, True, True, False, False]
    assert book.all() == []


def test_a_fault_matches_method_and_glob_in_any_case() -> None:
    book = FaultBook()
    book.add(spec())
    assert book.fire("get", "/API/V1/BatchTask/1") is not None
    assert book.fire("PUT", "/api/v1/BatchTask/1") is None
    assert book.fire("GET", "/api/v1/BatchTasks") is None
    anything = FaultBook()
    anything.add(spec(method="*", path="*"))
    assert anything.fire("DELETE", "/admin/api/tasks/1") is not None


def test_a_probability_fault_fires_by_chance_and_the_first_firing_wins() -> None:
    draws = iter([0.7, 0.2])
    book = FaultBook(chance=lambda: next(draws))
    book.add(spec(probability=0.5, status=500))
    book.add(spec(status=502))
    assert book.fire("GET", "/api/v1/BatchTask/1").status == 502  # type: ignore[union-attr]
    assert book.fire("GET", "/api/v1/BatchTask/1").status == 500  # type: ignore[union-attr]


def entry(method: str, path: str) -> JournalEntry:
    return JournalEntry(AT, method, path, "", 200, 1.0, ((b"authorization", b"Basic eA=="),))


def test_the_journal_keeps_the_newest_and_filters() -> None:
    journal = Journal(size=3)
    for number in range(5):
        journal.record(entry("GET", f"/api/v1/BatchTask/{number}"))
    journal.record(entry("POST", "/api/v1/BatchTask"))
    assert [e.path for e in journal.entries()] == [
        "/api/v1/BatchTask/3",
        "/api/v1/BatchTask/4",
        "/api/v1/BatchTask",
    ]
    assert [e.path for e in journal.entries(method="get", path="*/4")] == ["/api/v1/BatchTask/4"]
    assert journal.entries()[0].headers == (("authorization", "Basic [redacted]"),)
    journal.clear()
    assert len(journal) == 0


def test_credentials_are_redacted() -> None:
    headers = redact(
        [
            ("Authorization", "Basic YWRtaW46c2VjcmV0"),
            ("authorization", "opaque"),
            ("Cookie", "session=abc"),
            ("X-XSRF-Token", "x"),
            ("SO-AppToken", "app"),
            ("Accept", "application/json"),
        ]
    )
    assert headers == (
        ("Authorization", "Basic [redacted]"),
        ("authorization", "[redacted]"),
        ("Cookie", "[redacted]"),
        ("X-XSRF-Token", "[redacted]"),
        ("SO-AppToken", "[redacted]"),
        ("Accept", "application/json"),
    )


def test_scripts_by_name_in_any_case_tell_their_listeners() -> None:
    book = ScriptBook()
    heard: list[str] = []
    book.on_change(heard.append)
    book.put("Acme.Import", Script(result="ok"))
    assert book.get("acme.import") == Script(result="ok")
    assert book.remove("ACME.IMPORT")
    assert not book.remove("acme.import")
    assert heard == ["Acme.Import", "ACME.IMPORT"]


def test_each_tenant_has_its_own_controls() -> None:
    state = EmulatorState(FakeClock())
    state.clock_for("Cust1").set(AT, frozen=True)
    assert state.controls("CUST1").clock.now() == AT
    assert state.controls("Cust2").clock.is_real
    state.controls("Cust1").faults.add(spec())
    state.forget("cust1")
    assert state.peek("Cust1") is None
    assert state.controls("Cust1").faults.all() == []
