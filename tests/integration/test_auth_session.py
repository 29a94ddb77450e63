"""Browser sessions and the XSRF / CSRF attack list (Suite D) over HTTP, both engines.

Where the reliability plan's table expects 403 for a bad or missing token, SPEC §4.1 decides
instead: a session request whose ``X-XSRF-TOKEN`` is missing or does not match is **401**, on
**every** method (GET included). The plan's 403 stays for cross-site requests (``Origin`` foreign
or ``null``, ``Sec-Fetch-Site: cross-site|same-site``), which are refused before the token is read
(docs/decisions.md). Each docstring names which source its status comes from.

Every refused write is followed by a look at the ``batchtask`` table: a rejected request must not
have created, changed or deleted a task.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FakeClock, sql_store
from tests.integration.auth_support import (
    ENGINES,
    MISSING,
    UNTHROTTLED,
    assert_authenticated,
    assert_unauthenticated,
    basic,
    bearer,
    http,
    login,
    module_database,
    serve,
    soticket,
)
from tests.integration.conftest import PASSWORD, LiveServer


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per engine (every test logs in afresh, so tests do not share sessions)."""
    url = module_database(request, tmp_path_factory)
    with serve(url, FakeClock(), **UNTHROTTLED) as server:
        yield server


def cookies(session: str, xsrf: str | None = None) -> str:
    """A ``Cookie`` header as a browser would send it."""
    return f"batchtask_session={session}" + ("" if xsrf is None else f"; XSRF-TOKEN={xsrf}")


def request(live: LiveServer, method: str, path: str = MISSING, **kwargs: Any) -> httpx.Response:
    """One request on a fresh connection with no cookie jar."""
    return http(live).request(method, path, **kwargs)


def session_get(live: LiveServer, session: str, xsrf_header: Any, **extra: Any) -> httpx.Response:
    """``GET`` the missing task with a session cookie, the XSRF cookie and this header."""
    headers = {"Cookie": cookies(session, "cookie-value-is-not-used"), **extra}
    if xsrf_header is not None:
        headers["X-XSRF-TOKEN"] = xsrf_header
    return request(live, "GET", headers=headers)


def assert_session_alive(live: LiveServer, session: str, xsrf: str) -> None:
    """The session still authenticates with its own token."""
    assert_authenticated(session_get(live, session, xsrf))


TASKS = "/api/v1/BatchTask"
NEW_TASK = {"Name": "batchtask.sleep", "Description": "before"}


def snapshot(live: LiveServer) -> list[tuple[object, ...]]:
    """Every task row's id, state and description."""
    rows = live.call(
        lambda s: sql_store(s.store).db.fetch(
            "SELECT batchtask_id, state, description FROM batchtask ORDER BY batchtask_id"
        )
    )
    return [tuple(row) for row in rows]


def alices_task(live: LiveServer) -> int:
    """A new task owned by alice, created with Basic."""
    response = request(live, "POST", TASKS, json=NEW_TASK, headers=basic("alice"))
    assert response.status_code == 200, response.text
    task_id: int = response.json()
    return task_id


def assert_forbidden(response: httpx.Response) -> None:
    """A 403 with the error object."""
    assert response.status_code == 403, response.text
    assert response.json()["ErrorType"] == "SoAccessDeniedException"


class TestSession:
    def test_session_with_matching_header_is_accepted(self, live: LiveServer) -> None:
        """Session cookie plus ``X-XSRF-TOKEN`` equal to the login's token authenticates."""
        _, session, xsrf = login(live, "alice")
        assert_authenticated(session_get(live, session, xsrf))

    def test_token_is_checked_against_the_server_not_the_cookie(self, live: LiveServer) -> None:
        """The ``XSRF-TOKEN`` cookie is only a carrier: the header alone, right, is enough."""
        _, session, xsrf = login(live, "alice")
        response = request(live, "GET", headers={"Cookie": cookies(session), "X-XSRF-TOKEN": xsrf})
        assert_authenticated(response)

    def test_unknown_session_is_401(self, live: LiveServer) -> None:
        """A made-up session cookie is a 401."""
        assert_unauthenticated(session_get(live, "made-up-session", "made-up-token"))


class TestXsrfAttackList:
    def test_d1_missing_header_on_get_is_401(self, live: LiveServer) -> None:
        """D1: no ``X-XSRF-TOKEN`` → 401 (SPEC: every method, GET too)."""
        _, session, _ = login(live, "alice")
        assert_unauthenticated(session_get(live, session, None))

    def test_d1_post_without_header_creates_nothing(self, live: LiveServer) -> None:
        """D1: ``POST BatchTask`` with the session cookie and no header → 401 (SPEC), no task."""
        _, session, xsrf = login(live, "alice")
        before = snapshot(live)
        response = request(
            live, "POST", TASKS, json=NEW_TASK, headers={"Cookie": cookies(session, xsrf)}
        )
        assert_unauthenticated(response)
        assert snapshot(live) == before

    def test_d1_control_post_with_header_creates_the_task(self, live: LiveServer) -> None:
        """D1 control: the same POST with the right header creates a task (no false positive)."""
        _, session, xsrf = login(live, "alice")
        headers = {"Cookie": cookies(session, xsrf), "X-XSRF-TOKEN": xsrf}
        response = request(live, "POST", TASKS, json=NEW_TASK, headers=headers)
        assert response.status_code == 200
        assert response.json() in [row[0] for row in snapshot(live)]

    def test_d1_logout_without_header_changes_nothing(self, live: LiveServer) -> None:
        """D1 on ``POST /logout``: without the header → 401 (SPEC), and the session lives on."""
        _, session, xsrf = login(live, "alice")
        response = request(live, "POST", "/logout", headers={"Cookie": cookies(session, xsrf)})
        assert_unauthenticated(response)
        assert_session_alive(live, session, xsrf)

    def test_d2_wrong_header_is_401(self, live: LiveServer) -> None:
        """D2: a header that differs from the session's token → 401 (SPEC)."""
        _, session, xsrf = login(live, "alice")
        assert_unauthenticated(
            session_get(live, session, xsrf[:-1] + ("A" if xsrf[-1] != "A" else "B"))
        )

    def test_d3_cookie_tossing_is_401(self, live: LiveServer) -> None:
        """D3: attacker-set ``XSRF-TOKEN=aaa`` cookie echoed as the header → 401 (SPEC)."""
        _, session, _ = login(live, "alice")
        headers = {"Cookie": cookies(session, "aaa"), "X-XSRF-TOKEN": "aaa"}
        assert_unauthenticated(request(live, "GET", headers=headers))

    def test_d4_empty_header_and_empty_cookie_are_401(self, live: LiveServer) -> None:
        """D4: ``'' == ''`` does not pass → 401 (SPEC)."""
        _, session, _ = login(live, "alice")
        headers = {"Cookie": cookies(session, ""), "X-XSRF-TOKEN": ""}
        assert_unauthenticated(request(live, "GET", headers=headers))

    def test_d5_another_users_token_is_401(self, live: LiveServer) -> None:
        """D5: bob's valid token with alice's session → 401 (SPEC)."""
        _, alice_session, _ = login(live, "alice")
        _, _, bob_xsrf = login(live, "bob")
        assert_unauthenticated(session_get(live, alice_session, bob_xsrf))

    def test_d6_token_of_an_earlier_login_is_401(self, live: LiveServer) -> None:
        """D6: each login has its own token; the previous login's does not open the new one."""
        _, _, old_xsrf = login(live, "alice")
        _, new_session, _ = login(live, "alice")
        assert_unauthenticated(session_get(live, new_session, old_xsrf))

    def test_d7_token_after_logout_is_401(self, live: LiveServer) -> None:
        """D7: after ``/logout`` (204) the session and its token are dead → 401."""
        _, session, xsrf = login(live, "alice")
        headers = {"Cookie": cookies(session, xsrf), "X-XSRF-TOKEN": xsrf}
        assert request(live, "POST", "/logout", headers=headers).status_code == 204
        assert_unauthenticated(session_get(live, session, xsrf))

    def test_d8_non_ascii_header_is_401_not_500(self, live: LiveServer) -> None:
        """D8: Latin-1 bytes ``é…`` in the header are compared safely → 401 (SPEC), never 500."""
        _, session, _ = login(live, "alice")
        assert_unauthenticated(session_get(live, session, b"\xe9\x85\xff"))

    def test_d8_non_ascii_session_cookie_is_401_not_500(self, live: LiveServer) -> None:
        """D8 for the cookie: a non-ASCII session value is a 401, never 500."""
        response = request(
            live,
            "GET",
            headers={"Cookie": b"batchtask_session=\xe9\xff", "X-XSRF-TOKEN": "x"},
        )
        assert_unauthenticated(response)

    def test_d9_100_kib_header_is_401(self, live: LiveServer) -> None:
        """D9: a 100 KiB token header → 401 (SPEC), no 5xx (its cost is a benchmark's business)."""
        _, session, _ = login(live, "alice")
        assert_unauthenticated(session_get(live, session, "x" * 102_400))

    @pytest.mark.parametrize("method", ["PUT", "DELETE"])
    def test_d10_put_and_delete_without_header_change_nothing(
        self, live: LiveServer, method: str
    ) -> None:
        """D10: PUT and DELETE with the session cookie and no header → 401 (SPEC), task intact."""
        task_id = alices_task(live)
        _, session, xsrf = login(live, "alice")
        before = snapshot(live)
        response = request(
            live,
            method,
            f"{TASKS}/{task_id}",
            json={"Description": "after"} if method == "PUT" else None,
            headers={"Cookie": cookies(session, xsrf)},
        )
        assert_unauthenticated(response)
        assert snapshot(live) == before

    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_d11_safe_methods_without_header_are_401(self, live: LiveServer, method: str) -> None:
        """D11: GET and HEAD are no exception → 401 (SPEC: every method), nothing changes."""
        task_id = alices_task(live)
        _, session, _ = login(live, "alice")
        before = snapshot(live)
        response = request(live, method, f"{TASKS}/{task_id}", headers={"Cookie": cookies(session)})
        assert response.status_code == 401
        assert snapshot(live) == before

    def test_d11_options_is_refused_without_side_effects(self, live: LiveServer) -> None:
        """D11: OPTIONS answers 204 with ``Allow`` only, and the session and tasks are untouched."""
        _, session, xsrf = login(live, "alice")
        before = snapshot(live)
        response = request(live, "OPTIONS", TASKS, headers={"Cookie": cookies(session)})
        assert response.status_code == 204
        assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"
        assert response.content == b""
        assert snapshot(live) == before
        assert_session_alive(live, session, xsrf)

    @pytest.mark.parametrize(
        "origin", ["https://evil.example", "http://127.0.0.1.evil.example", "null"]
    )
    def test_d12_d13_foreign_or_null_origin_is_403(self, live: LiveServer, origin: str) -> None:
        """D12/D13: a valid token from a foreign or ``null`` Origin → 403 (decisions.md)."""
        _, session, xsrf = login(live, "alice")
        assert_forbidden(session_get(live, session, xsrf, Origin=origin))

    def test_d12_foreign_origin_post_creates_nothing(self, live: LiveServer) -> None:
        """D12: a POST with a valid token but ``Origin: https://evil.example`` → 403, no task."""
        _, session, xsrf = login(live, "alice")
        before = snapshot(live)
        headers = {
            "Cookie": cookies(session, xsrf),
            "X-XSRF-TOKEN": xsrf,
            "Origin": "https://evil.example",
        }
        assert_forbidden(request(live, "POST", TASKS, json=NEW_TASK, headers=headers))
        assert snapshot(live) == before

    def test_d12_foreign_origin_on_logout_changes_nothing(self, live: LiveServer) -> None:
        """D12 on ``POST /logout``: foreign Origin → 403 and the session survives."""
        _, session, xsrf = login(live, "alice")
        headers = {
            "Cookie": cookies(session, xsrf),
            "X-XSRF-TOKEN": xsrf,
            "Origin": "https://evil.example",
        }
        assert_forbidden(request(live, "POST", "/logout", headers=headers))
        assert_session_alive(live, session, xsrf)

    def test_same_origin_is_accepted(self, live: LiveServer) -> None:
        """An Origin equal to the Host is the normal browser case and is accepted."""
        _, session, xsrf = login(live, "alice")
        origin = live.base_url
        assert_authenticated(session_get(live, session, xsrf, Origin=origin))

    def test_an_origin_of_another_scheme_is_403(self, live: LiveServer) -> None:
        """Issue 11 #11: the origin's scheme counts too — ``https://`` + this host and port is
        another origin than this ``http://`` service, and a login from it is refused as well (case
        does not count)."""
        _, session, xsrf = login(live, "alice")
        origin = live.base_url.replace("http://", "https://")
        assert_forbidden(session_get(live, session, xsrf, Origin=origin))
        assert_authenticated(session_get(live, session, xsrf, Origin=live.base_url.upper()))
        response = request(
            live, "POST", "/login", json={"username": "alice", "password": PASSWORD},
            headers={"Origin": origin},
        )  # fmt: skip
        assert response.status_code == 403

    def test_a_tls_proxy_passes_its_scheme(self, live: LiveServer) -> None:
        """Behind a proxy that ends TLS, ``X-Forwarded-Proto: https`` makes the ``https://``
        origin the service's own (a cross-site page cannot send that header: it is not one a
        CORS preflight allows)."""
        _, session, xsrf = login(live, "alice")
        origin = live.base_url.replace("http://", "https://")
        assert_authenticated(
            session_get(live, session, xsrf, Origin=origin, **{"X-Forwarded-Proto": "https"})
        )
        assert_forbidden(
            session_get(live, session, xsrf, Origin=live.base_url, **{"X-Forwarded-Proto": "https"})
        )

    @pytest.mark.parametrize("site", ["cross-site", "same-site", "CROSS-SITE"])
    def test_d14_cross_site_fetch_metadata_is_403(self, live: LiveServer, site: str) -> None:
        """D14: ``Sec-Fetch-Site: cross-site`` or ``same-site`` → 403 (decisions.md, Go's rule)."""
        _, session, xsrf = login(live, "alice")
        assert_forbidden(session_get(live, session, xsrf, **{"Sec-Fetch-Site": site}))

    @pytest.mark.parametrize("site", ["same-origin", "none"])
    def test_d14_same_origin_fetch_metadata_is_accepted(self, live: LiveServer, site: str) -> None:
        """``Sec-Fetch-Site: same-origin`` or ``none`` passes to the token check."""
        _, session, xsrf = login(live, "alice")
        assert_authenticated(session_get(live, session, xsrf, **{"Sec-Fetch-Site": site}))

    def test_d15_text_plain_login_is_415(self, live: LiveServer) -> None:
        """D15: JSON sent as ``text/plain`` is not parsed → 415 (SPEC §4.3), no cookies set."""
        body = f'{{"username": "alice", "password": "{PASSWORD}"}}'
        response = request(
            live, "POST", "/login", content=body, headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 415
        assert response.json()["ErrorType"] == "SoUnsupportedMediaTypeException"
        assert "set-cookie" not in response.headers

    def test_d16_form_post_without_token_creates_nothing(self, live: LiveServer) -> None:
        """D16: a form-encoded ``POST BatchTask`` (an accepted type) without token → 401 (SPEC).

        The body type is allowed, so the token, not the content type, is what stops the request.
        """
        _, session, xsrf = login(live, "alice")
        before = snapshot(live)
        response = request(
            live,
            "POST",
            TASKS,
            content="Name=batchtask.sleep",
            headers={
                "Cookie": cookies(session, xsrf),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert_unauthenticated(response)
        assert snapshot(live) == before

    def test_d17_method_override_header_is_ignored(self, live: LiveServer) -> None:
        """D17: ``X-HTTP-Method-Override: DELETE`` on a POST does not delete → 405, task intact."""
        task_id = alices_task(live)
        before = snapshot(live)
        headers = {**basic("alice"), "X-HTTP-Method-Override": "DELETE"}
        response = request(live, "POST", f"{TASKS}/{task_id}", headers=headers)
        assert response.status_code == 405
        assert snapshot(live) == before

    def test_d18_login_cookie_attributes(self, live: LiveServer) -> None:
        """D18: session cookie HttpOnly, SameSite=Strict, Path=/; XSRF-TOKEN readable by scripts."""
        response = http(live).post("/login", json={"username": "alice", "password": PASSWORD})
        session, xsrf = _set_cookies(response)
        assert {"httponly", "samesite=strict", "path=/"} <= session
        assert {"samesite=strict", "path=/"} <= xsrf
        assert "httponly" not in xsrf
        assert response.headers["cache-control"] == "no-store"

    def test_d18_cookies_live_as_long_as_the_server_session(self, live: LiveServer) -> None:
        """Neither cookie has a fixed lifetime: the session slides on the server (SPEC §4.1)."""
        response = http(live).post("/login", json={"username": "alice", "password": PASSWORD})
        for attributes in _set_cookies(response):
            assert not [a for a in attributes if a.startswith(("max-age", "expires"))]

    def test_d18_cookies_are_secure_by_default(self, live: LiveServer) -> None:
        """D18: with the default ``COOKIE_SECURE=true`` both cookies carry ``Secure``."""
        with serve(live.settings.database_url, FakeClock(), users=False, cookie_secure=True) as s:
            response = http(s).post("/login", json={"username": "alice", "password": PASSWORD})
        session, xsrf = _set_cookies(response)
        assert "secure" in session
        assert "secure" in xsrf

    def test_d19_cors_preflight_gets_no_allow_origin(self, live: LiveServer) -> None:
        """D19: a preflight from ``https://evil.example`` gets no ``Access-Control-Allow-*``."""
        response = request(
            live,
            "OPTIONS",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "DELETE",
                "Access-Control-Request-Headers": "x-xsrf-token",
            },
        )
        assert response.status_code < 500
        assert not [name for name in response.headers if name.startswith("access-control-")]

    def test_d20_ticket_without_xsrf_is_accepted(self, live: LiveServer) -> None:
        """D20: ``Authorization: SOTicket`` needs no XSRF header, even beside a session cookie."""
        ticket, session, _ = login(live, "alice")
        response = request(live, "GET", headers={**soticket(ticket), "Cookie": cookies(session)})
        assert_authenticated(response)

    def test_d20_bearer_without_xsrf_is_accepted(self, live: LiveServer) -> None:
        """D20: ``Authorization: Bearer`` needs no XSRF header."""
        user = live.users["alice"]
        token, _ = live.call(lambda s: s.auth.issue_token(user))
        assert_authenticated(request(live, "GET", headers=bearer(token)))

    def test_d20_ticket_from_another_site_is_accepted(self, live: LiveServer) -> None:
        """D20: tickets are never ambient, so a cross-site request carrying one is not refused."""
        ticket = live.ticket("alice")
        headers = {**soticket(ticket), "Sec-Fetch-Site": "cross-site"}
        assert_authenticated(request(live, "GET", headers=headers))

    @pytest.mark.parametrize(
        "extra",
        [
            {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
        ],
        ids=["fetch-metadata", "origin", "null-origin"],
    )
    def test_d21_cross_site_basic_is_403(self, live: LiveServer, extra: dict[str, str]) -> None:
        """D21: the Basic challenge is always sent (SPEC), so cross-site Basic is refused → 403."""
        assert_forbidden(request(live, "GET", headers={**basic("alice"), **extra}))

    def test_d21_cross_site_basic_post_creates_nothing(self, live: LiveServer) -> None:
        """D21: a cross-site POST riding on cached Basic credentials → 403, no task."""
        before = snapshot(live)
        headers = {**basic("alice"), "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
        assert_forbidden(request(live, "POST", TASKS, json=NEW_TASK, headers=headers))
        assert snapshot(live) == before

    def test_d21_same_origin_basic_is_accepted(self, live: LiveServer) -> None:
        """D21 control: Basic with a same-origin Origin header is accepted."""
        headers = {**basic("alice"), "Origin": live.base_url, "Sec-Fetch-Site": "same-origin"}
        assert_authenticated(request(live, "GET", headers=headers))


class TestLogout:
    def test_logout_is_204_and_clears_both_cookies(self, live: LiveServer) -> None:
        """``POST /logout`` answers 204 with no body and expires both cookies."""
        _, session, xsrf = login(live, "alice")
        headers = {"Cookie": cookies(session, xsrf), "X-XSRF-TOKEN": xsrf}
        response = request(live, "POST", "/logout", headers=headers)
        assert response.status_code == 204
        assert response.content == b""
        expired = response.headers.get_list("set-cookie")
        assert sorted(value.split("=", 1)[0] for value in expired) == [
            "XSRF-TOKEN",
            "batchtask_session",
        ]
        assert all("max-age=0" in value.lower() for value in expired)

    def test_logout_of_the_session_revokes_the_ticket_of_the_login(self, live: LiveServer) -> None:
        """Ticket and session of one login die together."""
        ticket, session, xsrf = login(live, "alice")
        headers = {"Cookie": cookies(session, xsrf), "X-XSRF-TOKEN": xsrf}
        assert request(live, "POST", "/logout", headers=headers).status_code == 204
        assert_unauthenticated(request(live, "GET", headers=soticket(ticket)))

    def test_logout_leaves_other_logins_alone(self, live: LiveServer) -> None:
        """Logging out one browser does not log out another login of the same user."""
        _, first, first_xsrf = login(live, "alice")
        _, second, second_xsrf = login(live, "alice")
        headers = {"Cookie": cookies(first, first_xsrf), "X-XSRF-TOKEN": first_xsrf}
        assert request(live, "POST", "/logout", headers=headers).status_code == 204
        assert_session_alive(live, second, second_xsrf)

    def test_logout_without_credentials_is_401(self, live: LiveServer) -> None:
        """``/logout`` is authenticated like any call."""
        assert_unauthenticated(request(live, "POST", "/logout"))


def _set_cookies(response: httpx.Response) -> tuple[set[str], set[str]]:
    """Attributes (lower-cased) of the session and XSRF ``Set-Cookie`` headers."""
    found: dict[str, set[str]] = {}
    for value in response.headers.get_list("set-cookie"):
        name = value.split("=", 1)[0]
        found[name] = {part.strip().lower() for part in value.split(";")[1:]}
    return found["batchtask_session"], found["XSRF-TOKEN"]
