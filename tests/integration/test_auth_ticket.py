"""SOTicket lifecycle (Suite C6) over HTTP on both engines: entropy, sliding expiry, revocation,
online mode (SPEC §4.1).

The server runs with ``credential_cache_ttl=0``: its per-process cache of verified credentials is
kept in monotonic time, which the fake clock does not move. Only the two-process test uses the
default 1 s cache, on purpose.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from batchtask.config import Secret
from tests.conftest import FakeClock
from tests.integration.auth_support import (
    ENGINES,
    MISSING,
    assert_authenticated,
    assert_unauthenticated,
    basic,
    http,
    login,
    module_database,
    serve,
    soticket,
)
from tests.integration.conftest import PASSWORD, LiveServer

HOUR = 3600
APP_A, APP_B = "app-token-a", "app-token-b"


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server per engine that re-reads every credential from the database on each request.

    Tests move its clock forward freely: each one issues its own tickets after any earlier move.
    """
    url = module_database(request, tmp_path_factory)
    with serve(url, FakeClock(), credential_cache_ttl=0) as server:
        yield server


@pytest.fixture(scope="module")
def online(live: LiveServer) -> Iterator[LiveServer]:
    """A second process on the same database, in online mode with two registered SO-AppTokens."""
    with serve(
        live.settings.database_url,
        live.clock,
        users=False,
        credential_cache_ttl=0,
        app_tokens=(Secret(APP_A), Secret(APP_B)),
    ) as server:
        yield server


def fresh_user(live: LiveServer) -> str:
    """A new user of its own, for tests that change or disable a user."""
    name = "user-" + uuid.uuid4().hex[:10]
    live.add_user(name)
    return name


def get(live: LiveServer, ticket: str, app_token: str | None = None) -> httpx.Response:
    """``GET`` the missing task with an SOTicket (and an SO-AppToken)."""
    headers = soticket(ticket)
    if app_token is not None:
        headers["SO-AppToken"] = app_token
    return http(live).get(MISSING, headers=headers)


def logout_with_ticket(live: LiveServer, ticket: str) -> None:
    """``POST /logout`` authenticated by a ticket (204)."""
    assert http(live).post("/logout", headers=soticket(ticket)).status_code == 204


class TestTicketFormat:
    def test_ticket_is_7t_and_base64_of_at_least_128_bits(self, live: LiveServer) -> None:
        """``7T:`` + base64 of ≥ 16 random bytes (the server uses 32)."""
        ticket = live.ticket("alice")
        assert ticket.startswith("7T:")
        assert len(base64.b64decode(ticket[3:], validate=True)) >= 16

    def test_tickets_never_repeat(self, live: LiveServer) -> None:
        """Fifty tickets are fifty different values."""
        assert len({live.ticket("alice") for _ in range(50)}) == 50

    def test_only_a_hash_is_stored(self, live: LiveServer) -> None:
        """The credential table holds the ticket's SHA-256, never the ticket."""
        ticket = live.ticket("alice")
        rows = live.call(lambda s: s.store.db.fetch("SELECT * FROM credential"))  # type: ignore[attr-defined]
        stored = [str(value) for row in rows for value in row]
        assert rows
        assert all(ticket[3:] not in value for value in stored)
        assert hashlib.sha256(ticket.encode()).hexdigest() in stored

    @pytest.mark.parametrize(
        "value",
        ["7T:", "7T:not-a-real-ticket", "8A:Cust00000.abc", "not-a-ticket", "7t:abc"],
    )
    def test_unknown_or_malformed_ticket_is_401(self, live: LiveServer, value: str) -> None:
        """Made-up or mis-prefixed tickets are a 401."""
        assert_unauthenticated(get(live, value))

    def test_altered_ticket_is_401(self, live: LiveServer) -> None:
        """Changing one character of a real ticket makes it unknown."""
        ticket = live.ticket("alice")
        altered = ticket[:-2] + ("A" if ticket[-2] != "A" else "B") + ticket[-1]
        assert_unauthenticated(get(live, altered))

    def test_token_sent_as_ticket_is_401(self, live: LiveServer) -> None:
        """An opaque Bearer token is not a ticket, even for the right user."""
        user = live.users["alice"]
        token, _ = live.call(lambda s: s.auth.issue_token(user))
        assert_unauthenticated(get(live, token))


class TestSlidingExpiry:
    def test_ticket_is_valid_just_before_six_hours_idle(self, live: LiveServer) -> None:
        """5 h 59 min after issue, unused, the ticket still works."""
        ticket = live.ticket("alice")
        live.clock.advance(6 * HOUR - 60)
        assert_authenticated(get(live, ticket))

    def test_ticket_expires_after_six_hours_idle(self, live: LiveServer) -> None:
        """6 h and 1 s after issue, unused, the ticket is a 401."""
        ticket = live.ticket("alice")
        live.clock.advance(6 * HOUR + 1)
        assert_unauthenticated(get(live, ticket))

    def test_each_use_renews_the_ticket_for_six_hours(self, live: LiveServer) -> None:
        """Used every 5 h 59 min, a ticket outlives its first six hours many times over."""
        ticket = live.ticket("alice")
        for _ in range(4):
            live.clock.advance(6 * HOUR - 60)
            assert_authenticated(get(live, ticket))

    def test_renewed_ticket_expires_six_hours_after_last_use(self, live: LiveServer) -> None:
        """Renewal slides from the last use: 6 h 1 s idle after it, the ticket is dead."""
        ticket = live.ticket("alice")
        live.clock.advance(5 * HOUR)
        assert_authenticated(get(live, ticket))
        live.clock.advance(6 * HOUR + 1)
        assert_unauthenticated(get(live, ticket))

    def test_login_ticket_slides_like_a_cli_ticket(self, live: LiveServer) -> None:
        """A ticket from ``/login`` renews on use the same way."""
        ticket, _, _ = login(live, "alice")
        live.clock.advance(6 * HOUR - 60)
        assert_authenticated(get(live, ticket))
        live.clock.advance(6 * HOUR - 60)
        assert_authenticated(get(live, ticket))

    def test_login_session_slides_past_six_hours(self, live: LiveServer) -> None:
        """The browser session of a login renews on use like its ticket."""
        _, session, xsrf = login(live, "alice")
        headers = {"Cookie": f"batchtask_session={session}", "X-XSRF-TOKEN": xsrf}
        for _ in range(2):
            live.clock.advance(6 * HOUR - 60)
            assert_authenticated(http(live).get(MISSING, headers=headers))

    def test_idle_login_session_expires_after_six_hours(self, live: LiveServer) -> None:
        """An unused browser session is dead 6 h and 1 s after login."""
        _, session, xsrf = login(live, "alice")
        live.clock.advance(6 * HOUR + 1)
        headers = {"Cookie": f"batchtask_session={session}", "X-XSRF-TOKEN": xsrf}
        assert_unauthenticated(http(live).get(MISSING, headers=headers))


class TestRevocation:
    def test_logout_revokes_the_ticket(self, live: LiveServer) -> None:
        """``POST /logout`` with a ticket → 204, then the ticket is a 401."""
        ticket, _, _ = login(live, "alice")
        logout_with_ticket(live, ticket)
        assert_unauthenticated(get(live, ticket))

    def test_logout_with_ticket_revokes_the_session_of_the_login(self, live: LiveServer) -> None:
        """The login's browser session dies with its ticket."""
        ticket, session, xsrf = login(live, "alice")
        logout_with_ticket(live, ticket)
        headers = {"Cookie": f"batchtask_session={session}", "X-XSRF-TOKEN": xsrf}
        assert_unauthenticated(http(live).get(MISSING, headers=headers))

    def test_logout_leaves_other_tickets_of_the_user(self, live: LiveServer) -> None:
        """Revocation is per login: another ticket of the same user keeps working."""
        ticket, _, _ = login(live, "alice")
        other = live.ticket("alice")
        logout_with_ticket(live, ticket)
        assert_authenticated(get(live, other))

    def test_password_change_revokes_every_ticket(self, live: LiveServer) -> None:
        """``user passwd`` kills all of the user's tickets (ASVS 7.4.1)."""
        name = fresh_user(live)
        tickets = [live.ticket(name), login(live, name)[0]]
        live.call(lambda s: s.users.set_password(name, "another password"))
        for ticket in tickets:
            assert_unauthenticated(get(live, ticket))

    def test_disabling_revokes_tickets_and_sessions(self, live: LiveServer) -> None:
        """Disabling bob kills his tickets and sessions, and enabling him does not revive them."""
        name = fresh_user(live)
        ticket, session, xsrf = login(live, name)
        live.call(lambda s: s.users.set_active(name, False))
        live.call(lambda s: s.users.set_active(name, True))
        assert_unauthenticated(get(live, ticket))
        headers = {"Cookie": f"batchtask_session={session}", "X-XSRF-TOKEN": xsrf}
        assert_unauthenticated(http(live).get(MISSING, headers=headers))

    def test_disabling_one_user_spares_others(self, live: LiveServer) -> None:
        """Disabling one user leaves another user's ticket alone."""
        ticket = live.ticket("alice")
        name = fresh_user(live)
        live.call(lambda s: s.users.set_active(name, False))
        assert_authenticated(get(live, ticket))

    def test_revocation_reaches_a_second_process(self, live: LiveServer) -> None:
        """A logout on process A becomes a 401 on process B once B's credential cache (1 s by
        default; its expiry is unit-tested on a fake clock) lets go of the ticket."""
        with serve(live.settings.database_url, live.clock, users=False) as second:
            ticket, _, _ = login(live, "alice")
            assert_authenticated(get(second, ticket))  # B now trusts the ticket for up to 1 s
            logout_with_ticket(live, ticket)
            assert_unauthenticated(get(live, ticket))
            deadline = time.monotonic() + 20
            while (answer := get(second, ticket)).status_code != 401:
                assert time.monotonic() < deadline, "process B still accepts the revoked ticket"
                time.sleep(0.05)
            assert_unauthenticated(answer)


class TestOnlineMode:
    def test_ticket_with_registered_app_token_is_accepted(self, online: LiveServer) -> None:
        """Online mode: a ticket plus a registered SO-AppToken authenticates."""
        assert_authenticated(get(online, online.ticket("alice"), APP_A))

    def test_ticket_without_app_token_is_401(self, online: LiveServer) -> None:
        """Online mode: a ticket without SO-AppToken → 401 (SPEC §4.1)."""
        assert_unauthenticated(get(online, online.ticket("alice")))

    def test_ticket_with_unregistered_app_token_is_401(self, online: LiveServer) -> None:
        """Online mode: an unknown SO-AppToken → 401."""
        assert_unauthenticated(get(online, online.ticket("alice"), "app-token-c"))

    def test_login_ticket_is_bound_to_its_app_token(self, online: LiveServer) -> None:
        """A ticket issued via ``/login`` with app token A is refused with registered token B."""
        response = http(online).post(
            "/login",
            json={"username": "alice", "password": PASSWORD},
            headers={"SO-AppToken": APP_A},
        )
        ticket = response.json()["Ticket"]
        assert_authenticated(get(online, ticket, APP_A))
        assert_unauthenticated(get(online, ticket, APP_B))

    def test_login_with_unregistered_app_token_is_401(self, online: LiveServer) -> None:
        """``/login`` naming an unregistered SO-AppToken issues nothing."""
        response = http(online).post(
            "/login",
            json={"username": "alice", "password": PASSWORD},
            headers={"SO-AppToken": "app-token-c"},
        )
        assert_unauthenticated(response)
        assert "set-cookie" not in response.headers

    def test_basic_needs_no_app_token(self, online: LiveServer) -> None:
        """The app-token rule covers SOTicket and Bearer only; Basic is unaffected."""
        assert_authenticated(http(online).get(MISSING, headers=basic("alice")))

    def test_app_token_is_ignored_outside_online_mode(self, live: LiveServer) -> None:
        """Without registered app tokens any SO-AppToken header is ignored."""
        assert_authenticated(get(live, live.ticket("alice"), "whatever"))
