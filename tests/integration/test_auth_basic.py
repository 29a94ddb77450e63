"""Basic authentication and ``Authorization`` header parsing (Suite C5) over HTTP, both engines.

The expected statuses are SPEC §4.1's: every failure is a 401 with the error object and
``WWW-Authenticate: Basic realm="batchtask", SOTicket, Bearer``; valid variants (any scheme case,
spaces or tabs after the scheme) are accepted; nothing is ever a 5xx. A ``GET`` of a missing task
answering 404 proves a request was authenticated.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import FakeClock
from tests.integration.auth_support import (
    CHALLENGE,
    ENGINES,
    MISSING,
    PASSWORD,
    UNTHROTTLED,
    assert_authenticated,
    assert_unauthenticated,
    basic,
    http,
    login,
    module_database,
    serve,
)
from tests.integration.conftest import LiveServer

LATIN_PASSWORD = "pässwörd-ÿ1"
WRONG_PASSWORD_BODY = (
    b'{"Error":true,"ErrorType":"SoAuthenticationException",'
    b'"ErrorMessage":"Unknown user name or wrong password","ErrorSource":"batchtask"}'
)


def b64(raw: bytes) -> str:
    """Standard base64 text of raw bytes."""
    return base64.b64encode(raw).decode("ascii")


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per engine; credentials are re-read from the database on every request."""
    url = module_database(request, tmp_path_factory)
    with serve(url, FakeClock(), credential_cache_ttl=0, **UNTHROTTLED) as server:
        server.add_user("latin", password=LATIN_PASSWORD)
        yield server


def get(live: LiveServer, headers: Any) -> httpx.Response:
    """``GET`` the missing task with these headers (a dict or a list of pairs)."""
    return http(live).get(MISSING, headers=headers)


class TestBasic:
    def test_correct_password_is_accepted(self, live: LiveServer) -> None:
        """A user's name and password authenticate."""
        assert_authenticated(get(live, basic("alice")))

    def test_user_name_is_case_insensitive(self, live: LiveServer) -> None:
        """User names match ignoring case (SPEC §4.4)."""
        assert_authenticated(get(live, basic("ALICE")))

    def test_wrong_password_is_401_with_the_error_body(self, live: LiveServer) -> None:
        """A wrong password gets exactly the SuperOffice error object and the challenge."""
        response = get(live, basic("alice", "wrong password"))
        assert_unauthenticated(response)
        assert response.content == WRONG_PASSWORD_BODY

    def test_unknown_user_body_is_identical_to_wrong_password(self, live: LiveServer) -> None:
        """An unknown user name answers byte for byte like a wrong password (no enumeration)."""
        unknown = get(live, basic("nobody-" + secrets.token_hex(4), "wrong password"))
        known = get(live, basic("alice", "wrong password"))
        assert (unknown.status_code, unknown.content) == (known.status_code, known.content)
        assert unknown.headers["www-authenticate"] == known.headers["www-authenticate"]

    def test_utf8_credentials_are_accepted(self, live: LiveServer) -> None:
        """A non-ASCII password sent as UTF-8 (RFC 7617's charset) authenticates."""
        header = {"Authorization": "Basic " + b64(f"latin:{LATIN_PASSWORD}".encode())}
        assert_authenticated(get(live, header))

    def test_latin1_credentials_are_accepted(self, live: LiveServer) -> None:
        """The same password sent as Latin-1 bytes (older clients) authenticates too."""
        header = {"Authorization": "Basic " + b64(f"latin:{LATIN_PASSWORD}".encode("latin-1"))}
        assert_authenticated(get(live, header))

    def test_password_may_contain_colons(self, live: LiveServer) -> None:
        """Only the first colon separates the name; the rest belongs to the password."""
        live.add_user("colon", password="a:b:c:d-pass")
        assert_authenticated(get(live, basic("colon", "a:b:c:d-pass")))

    def test_disabled_user_is_refused(self, live: LiveServer) -> None:
        """A disabled user's correct password is a 401 like any wrong password."""
        live.add_user("gone")
        assert_authenticated(get(live, basic("gone")))
        live.call(lambda s: s.users.set_active("gone", False))
        response = get(live, basic("gone"))
        assert_unauthenticated(response)
        assert response.content == WRONG_PASSWORD_BODY

    def test_changed_password_retires_the_old_one(self, live: LiveServer) -> None:
        """After a password change the old password, though verified before, is refused."""
        live.add_user("changer")
        assert_authenticated(get(live, basic("changer")))
        live.call(lambda s: s.users.set_password("changer", "brand new password"))
        assert_unauthenticated(get(live, basic("changer")))
        assert_authenticated(get(live, basic("changer", "brand new password")))

    def test_very_long_user_name_is_401(self, live: LiveServer) -> None:
        """A 6 KiB user name is a 401, not a 500 (it becomes a throttle key)."""
        assert_unauthenticated(get(live, basic(secrets.token_hex(3000), "x")))

    def test_disabled_basic_is_401_without_basic_challenge(self, live: LiveServer) -> None:
        """With ``BASIC_AUTH=false`` correct Basic credentials are refused and not offered."""
        with serve(live.settings.database_url, FakeClock(), users=False, basic_auth=False) as other:
            response = get(other, basic("alice"))
        assert response.status_code == 401
        assert response.json()["ErrorType"] == "SoAuthenticationException"
        assert response.headers["www-authenticate"] == "SOTicket, Bearer"


class TestHeaderParsing:
    """Suite C5: how the ``Authorization`` header is read."""

    @pytest.mark.parametrize("scheme", ["basic", "BASIC", "Basic", "bAsIc"])
    def test_basic_scheme_is_case_insensitive(self, live: LiveServer, scheme: str) -> None:
        """The scheme name matches in any case."""
        credentials = b64(f"alice:{PASSWORD}".encode())
        assert_authenticated(get(live, {"Authorization": f"{scheme} {credentials}"}))

    @pytest.mark.parametrize("scheme", ["sOtIcKeT", "SOTICKET", "SoTicket", "soticket"])
    def test_soticket_scheme_is_case_insensitive(self, live: LiveServer, scheme: str) -> None:
        """SuperOffice's several spellings of SOTicket are all accepted (SPEC §4.1)."""
        ticket = live.ticket("alice")
        assert_authenticated(get(live, {"Authorization": f"{scheme} {ticket}"}))

    @pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
    def test_bearer_scheme_is_case_insensitive(self, live: LiveServer, scheme: str) -> None:
        """Bearer matches in any case too."""
        user = live.users["alice"]
        token, _ = live.call(lambda s: s.auth.issue_token(user))
        assert_authenticated(get(live, {"Authorization": f"{scheme} {token}"}))

    @pytest.mark.parametrize("separator", ["  ", "\t", " \t ", "     "])
    def test_runs_of_spaces_and_tabs_separate_the_scheme(
        self, live: LiveServer, separator: str
    ) -> None:
        """Two spaces, a tab, or a mix between scheme and credentials are accepted."""
        credentials = b64(f"alice:{PASSWORD}".encode())
        assert_authenticated(get(live, {"Authorization": f"Basic{separator}{credentials}"}))

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("Basic" + b64(f"alice:{PASSWORD}".encode()), id="no-space"),
            pytest.param("Basic " + b64(b"alice" + PASSWORD.encode()), id="no-colon"),
            pytest.param("Basic " + b64(f":{PASSWORD}".encode()), id="empty-user"),
            pytest.param("Basic " + b64(b"alice:"), id="empty-password"),
            pytest.param("Basic !!!not-base64!!!", id="non-base64"),
            pytest.param("Basic YWxp Y2U6eA==", id="base64-with-space"),
            pytest.param("Basic " + b64(f"alice:{PASSWORD}".encode())[:-2], id="bad-padding"),
            pytest.param("Basic", id="scheme-only"),
            pytest.param("", id="empty-header"),
            pytest.param("Digest username=alice, realm=batchtask", id="digest"),
            pytest.param("Negotiate YIIB", id="negotiate"),
            pytest.param("Basic " + b64(b"alice:" + b"p" * 7680), id="10-KiB"),
        ],
    )
    def test_malformed_or_unknown_is_401(self, live: LiveServer, value: str) -> None:
        """Malformed Basic credentials and unknown schemes are a plain 401."""
        assert_unauthenticated(get(live, {"Authorization": value}))

    def test_non_ascii_header_bytes_are_401(self, live: LiveServer) -> None:
        """Raw Latin-1 bytes in the header (not base64) are a 401, not a 500."""
        assert_unauthenticated(get(live, {"Authorization": b"Basic \xe9\xff\xe0"}))

    def test_two_authorization_headers_are_401(self, live: LiveServer) -> None:
        """Two headers, even two valid ones, are ambiguous and refused."""
        headers = [("Authorization", basic("alice")["Authorization"])] * 2
        assert_unauthenticated(get(live, headers))

    def test_two_different_authorization_headers_are_401(self, live: LiveServer) -> None:
        """A valid header next to an invalid one is refused whichever comes first."""
        good, bad = basic("alice")["Authorization"], basic("alice", "wrong")["Authorization"]
        assert_unauthenticated(get(live, [("Authorization", good), ("Authorization", bad)]))

    def test_header_wins_over_session_without_xsrf(self, live: LiveServer) -> None:
        """With a session cookie and an ``Authorization`` header, the header decides, no XSRF."""
        _, session, xsrf = login(live, "bob")
        cookie = f"batchtask_session={session}; XSRF-TOKEN={xsrf}"
        assert_authenticated(get(live, {**basic("alice"), "Cookie": cookie}))

    def test_failing_header_is_not_rescued_by_a_session(self, live: LiveServer) -> None:
        """A wrong header with a valid session and XSRF token is still a 401: no fallback."""
        _, session, xsrf = login(live, "bob")
        headers = {
            **basic("bob", "wrong"),
            "Cookie": f"batchtask_session={session}; XSRF-TOKEN={xsrf}",
            "X-XSRF-TOKEN": xsrf,
        }
        assert_unauthenticated(get(live, headers))

    def test_no_credentials_at_all_is_401(self, live: LiveServer) -> None:
        """A request with neither header nor session is a 401 with the full challenge."""
        response = get(live, {})
        assert_unauthenticated(response)
        assert response.headers["www-authenticate"] == CHALLENGE
