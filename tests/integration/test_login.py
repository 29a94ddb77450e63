"""``POST /login`` over HTTP on both engines: bodies, answers and refusals (SPEC §4.1, §4.3)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree

from tests.conftest import FakeClock
from tests.integration.auth_support import (
    ENGINES,
    MISSING,
    PASSWORD,
    UNTHROTTLED,
    assert_authenticated,
    assert_unauthenticated,
    http,
    module_database,
    serve,
    soticket,
)
from tests.integration.conftest import LiveServer

CREDENTIALS = {"username": "alice", "password": PASSWORD}


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per engine with the fake clock at 2026-11-28 12:00 UTC."""
    url = module_database(request, tmp_path_factory)
    with serve(url, FakeClock(), **UNTHROTTLED) as server:
        yield server


def post(live: LiveServer, **kwargs: Any) -> httpx.Response:
    """``POST /login``."""
    return http(live).post("/login", **kwargs)


def assert_invalid(response: httpx.Response, message: str) -> None:
    """A 400 validation error with this message."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["ErrorType"] == "SoValidationException"
    assert body["ErrorMessage"] == message


class TestAccepted:
    def test_json_login_answers_ticket_associate_and_expiry(self, live: LiveServer) -> None:
        """JSON credentials → 200 ``{Ticket, AssociateId, ExpiresAt}``, expiry 6 h ahead."""
        response = post(live, json=CREDENTIALS)
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["Ticket", "AssociateId", "ExpiresAt"]
        assert body["Ticket"].startswith("7T:")
        assert body["AssociateId"] == live.users["alice"].associate_id
        assert body["ExpiresAt"] == "2026-11-28T18:00:00Z"
        assert response.headers["cache-control"] == "no-store"

    def test_form_login_is_accepted(self, live: LiveServer) -> None:
        """Form-encoded credentials are accepted (SPEC §4.1)."""
        response = post(live, data=CREDENTIALS)
        assert response.status_code == 200
        assert response.json()["AssociateId"] == live.users["alice"].associate_id

    def test_xml_login_answers_xml_when_asked(self, live: LiveServer) -> None:
        """An XML body with ``Accept: application/xml`` → a ``LoginResult`` document."""
        body = f"<Login><Username>alice</Username><Password>{PASSWORD}</Password></Login>"
        response = post(
            live,
            content=body,
            headers={"Content-Type": "application/xml", "Accept": "application/xml"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        root = ElementTree.fromstring(response.content)
        assert root.tag == "LoginResult"
        assert [child.tag for child in root] == ["Ticket", "AssociateId", "ExpiresAt"]
        assert root.findtext("AssociateId") == str(live.users["alice"].associate_id)

    def test_field_names_are_case_insensitive(self, live: LiveServer) -> None:
        """``UserName``/``PASSWORD`` are read like ``username``/``password``."""
        response = post(live, json={"UserName": "alice", "PASSWORD": PASSWORD})
        assert response.status_code == 200

    def test_user_name_is_case_insensitive(self, live: LiveServer) -> None:
        """``ALICE`` logs in as alice."""
        response = post(live, json={"username": "ALICE", "password": PASSWORD})
        assert response.json()["AssociateId"] == live.users["alice"].associate_id

    def test_issued_ticket_authenticates(self, live: LiveServer) -> None:
        """The ticket in the body works as ``Authorization: SOTicket``."""
        ticket = post(live, json=CREDENTIALS).json()["Ticket"]
        assert_authenticated(http(live).get(MISSING, headers=soticket(ticket)))

    def test_issued_session_authenticates_with_its_token(self, live: LiveServer) -> None:
        """The cookies set by the login work as a browser session with the XSRF header."""
        with live.client() as client:
            response = client.post("/login", json=CREDENTIALS)
            xsrf = response.cookies["XSRF-TOKEN"]
            assert_authenticated(client.get(MISSING, headers={"X-XSRF-TOKEN": xsrf}))

    def test_each_login_issues_new_secrets(self, live: LiveServer) -> None:
        """Two logins never share a ticket, session or XSRF token."""
        first, second = post(live, json=CREDENTIALS), post(live, json=CREDENTIALS)
        assert first.json()["Ticket"] != second.json()["Ticket"]
        for name in ("batchtask_session", "XSRF-TOKEN"):
            assert first.cookies[name] != second.cookies[name]

    def test_ticket_carries_at_least_128_random_bits(self, live: LiveServer) -> None:
        """After ``7T:`` the ticket is base64 of at least 16 bytes (it carries 32)."""
        ticket = post(live, json=CREDENTIALS).json()["Ticket"]
        assert len(base64.b64decode(ticket[3:], validate=True)) >= 16


class TestRefused:
    def test_wrong_password_is_401(self, live: LiveServer) -> None:
        """A wrong password → 401 with the error object and no cookies."""
        response = post(live, json={"username": "alice", "password": "wrong password"})
        assert_unauthenticated(response)
        assert response.json()["ErrorMessage"] == "Unknown user name or wrong password"
        assert "set-cookie" not in response.headers

    def test_unknown_user_is_401_like_wrong_password(self, live: LiveServer) -> None:
        """An unknown name answers byte for byte like a wrong password."""
        unknown = post(live, json={"username": "nobody", "password": "wrong password"})
        known = post(live, json={"username": "alice", "password": "wrong password"})
        assert (unknown.status_code, unknown.content) == (401, known.content)

    def test_disabled_user_is_401(self, live: LiveServer) -> None:
        """A disabled user's correct password is refused."""
        live.add_user("retired")
        live.call(lambda s: s.users.set_active("retired", False))
        assert_unauthenticated(post(live, json={"username": "retired", "password": PASSWORD}))

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"password": PASSWORD}, "username is required"),
            ({"username": "alice"}, "password is required"),
            ({}, "username is required"),
            ({"username": 5, "password": PASSWORD}, "username must be a string"),
            ({"username": "alice", "password": None}, "password must be a string"),
        ],
        ids=["no-username", "no-password", "empty", "number-username", "null-password"],
    )
    def test_missing_or_mistyped_field_is_400_naming_it(
        self, live: LiveServer, body: dict[str, Any], message: str
    ) -> None:
        """A missing or non-string field → 400 naming the field."""
        assert_invalid(post(live, json=body), message)

    def test_form_without_password_is_400(self, live: LiveServer) -> None:
        """Form bodies are checked the same way."""
        assert_invalid(post(live, data={"username": "alice"}), "password is required")

    def test_xml_without_password_is_400(self, live: LiveServer) -> None:
        """XML bodies are checked the same way."""
        response = post(
            live,
            content="<Login><Username>alice</Username></Login>",
            headers={"Content-Type": "application/xml"},
        )
        assert_invalid(response, "password is required")

    def test_json_array_is_400(self, live: LiveServer) -> None:
        """A body that is not an object → 400."""
        response = post(live, json=["alice", PASSWORD])
        assert response.status_code == 400
        assert response.json()["ErrorType"] == "SoValidationException"

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b'{"username": "alice", "password": ', "application/json"),
            (b"\xff\xfe{}", "application/json"),
            (b'{"username": "a", "username": "b", "password": "c"}', "application/json"),
            (b"<Login><Username>alice</Login>", "application/xml"),
            (b"<!DOCTYPE x [<!ENTITY a 'b'>]><Login/>", "application/xml"),
        ],
        ids=["truncated-json", "bad-utf8", "duplicate-key", "bad-xml", "xml-entity"],
    )
    def test_malformed_body_is_400(
        self, live: LiveServer, content: bytes, content_type: str
    ) -> None:
        """Malformed JSON or XML → 400, never 5xx."""
        response = post(live, content=content, headers={"Content-Type": content_type})
        assert response.status_code == 400
        assert response.json()["ErrorType"] == "SoValidationException"

    @pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", None])
    def test_unsupported_content_type_is_415(
        self, live: LiveServer, content_type: str | None
    ) -> None:
        """Bodies are parsed only by their declared type (SPEC §4.3) → 415 otherwise."""
        headers = {} if content_type is None else {"Content-Type": content_type}
        content = b'{"username": "alice", "password": "x"}'
        response = post(live, content=content, headers=headers)
        assert response.status_code == 415

    def test_oversized_body_is_413(self, live: LiveServer) -> None:
        """A body over the 1 MiB limit → 413."""
        response = post(live, json={"username": "alice", "password": "p" * (1024 * 1024)})
        assert response.status_code == 413

    def test_very_long_user_name_is_401_not_500(self, live: LiveServer) -> None:
        """A 100 000-character user name is a failed login (401), not a database error."""
        response = post(live, json={"username": secrets.token_hex(50_000), "password": "x"})
        assert_unauthenticated(response)

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
        ],
        ids=["foreign-origin", "null-origin", "fetch-metadata"],
    )
    def test_cross_site_login_is_403(self, live: LiveServer, headers: dict[str, str]) -> None:
        """A form posted by another site cannot log the browser in (login CSRF) → 403."""
        response = post(live, data=CREDENTIALS, headers=headers)
        assert response.status_code == 403
        assert response.json()["ErrorType"] == "SoAccessDeniedException"
        assert "set-cookie" not in response.headers

    def test_same_origin_login_is_accepted(self, live: LiveServer) -> None:
        """The login page of the server itself (same Origin) logs in."""
        headers = {"Origin": live.base_url, "Sec-Fetch-Site": "same-origin"}
        assert post(live, data=CREDENTIALS, headers=headers).status_code == 200

    def test_get_login_is_405(self, live: LiveServer) -> None:
        """Only POST logs in."""
        assert http(live).get("/login").status_code == 405
