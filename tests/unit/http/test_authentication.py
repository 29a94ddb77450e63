"""Reading credentials off a request, as pure functions over header values (no server)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from batchtask.domain.errors import AuthenticationFailed, Forbidden
from batchtask.http.authentication import (
    MAX_HEADER,
    SESSION_COOKIE,
    authenticate,
    decode_basic,
    split_scheme,
)
from batchtask.http.headers import RequestHeaders


def b64(raw: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(raw).decode("ascii")


class RecordingAuthenticator:
    """Stands in for ``Authenticator``: records which check ``authenticate`` chose."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def basic(self, username: str, password: str, address: str) -> str:
        self.calls.append(("basic", (username, password, address)))
        return "basic-principal"

    async def ticket(self, ticket: str, app_token: str | None) -> str:
        self.calls.append(("ticket", (ticket, app_token)))
        return "ticket-principal"

    async def bearer(self, token: str, app_token: str | None) -> str:
        self.calls.append(("bearer", (token, app_token)))
        return "bearer-principal"

    async def session(self, session: str, xsrf: str | None) -> str:
        self.calls.append(("session", (session, xsrf)))
        return "session-principal"


def run(headers: RequestHeaders, auth: RecordingAuthenticator | None = None) -> Any:
    """``authenticate`` with a recording authenticator, from address ``192.0.2.1``."""
    return asyncio.run(authenticate(headers, "192.0.2.1", auth or RecordingAuthenticator()))  # type: ignore[arg-type]


def with_authorization(*values: str, **fields: Any) -> RequestHeaders:
    """Headers as parsed from the wire, with these ``Authorization`` values."""
    raw = [(b"authorization", value.encode("latin-1")) for value in values]
    headers = RequestHeaders.from_scope(raw)
    for name, value in fields.items():
        setattr(headers, name, value)
    return headers


class TestSplitScheme:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("Basic abc", ("basic", "abc")),
            ("BASIC abc", ("basic", "abc")),
            ("sOtIcKeT 7T:x", ("soticket", "7T:x")),
            ("Bearer  abc", ("bearer", "abc")),
            ("Bearer\tabc", ("bearer", "abc")),
            ("Bearer \t abc \t", ("bearer", "abc")),
            ("  Basic abc", ("basic", "abc")),
            ("Basicabc", ("basicabc", "")),
            ("Basic", ("basic", "")),
            ("", ("", "")),
            ("Basic a b", ("basic", "a b")),
        ],
    )
    def test_scheme_is_lowered_and_credentials_trimmed(
        self, value: str, expected: tuple[str, str]
    ) -> None:
        """The scheme is lower-cased; any run of spaces/tabs separates it from the credentials."""
        assert split_scheme(value) == expected


class TestDecodeBasic:
    def test_name_and_password(self) -> None:
        """``alice:secret`` → (alice, secret)."""
        assert decode_basic(b64(b"alice:secret")) == ("alice", "secret")

    def test_password_keeps_later_colons(self) -> None:
        """Only the first colon separates."""
        assert decode_basic(b64(b"alice:a:b:")) == ("alice", "a:b:")

    def test_empty_password_is_allowed_through(self) -> None:
        """An empty password is a (wrong) password, left to the password check."""
        assert decode_basic(b64(b"alice:")) == ("alice", "")

    def test_utf8_is_decoded(self) -> None:
        """UTF-8 bytes are read as UTF-8."""
        assert decode_basic(b64("ålice:pässord".encode())) == ("ålice", "pässord")

    def test_latin1_is_the_fallback(self) -> None:
        """Bytes that are not UTF-8 are read as Latin-1."""
        assert decode_basic(b64("ålice:pässord".encode("latin-1"))) == ("ålice", "pässord")

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(b64(b"alice"), id="no-colon"),
            pytest.param(b64(b":secret"), id="empty-user"),
            pytest.param("!!!", id="not-base64"),
            pytest.param("YWxp Y2U6eA==", id="inner-space"),
            pytest.param("YWxpY2U6eA", id="missing-padding"),
            pytest.param("YWxpY2U6eA==é", id="non-ascii"),
            pytest.param("", id="empty"),
        ],
    )
    def test_malformed_is_authentication_failed(self, value: str) -> None:
        """Malformed credentials raise ``AuthenticationFailed`` (401), nothing else."""
        with pytest.raises(AuthenticationFailed):
            decode_basic(value)


class TestAuthenticate:
    def test_basic_goes_to_the_password_check_with_the_address(self) -> None:
        """Basic credentials reach ``basic`` with the client address."""
        auth = RecordingAuthenticator()
        assert run(with_authorization("Basic " + b64(b"alice:pw")), auth) == "basic-principal"
        assert auth.calls == [("basic", ("alice", "pw", "192.0.2.1"))]

    def test_soticket_goes_to_the_ticket_check_with_the_app_token(self) -> None:
        """SOTicket (any case) reaches ``ticket`` with the SO-AppToken."""
        auth = RecordingAuthenticator()
        run(with_authorization("SOTICKET 7T:abc", so_apptoken="app"), auth)
        assert auth.calls == [("ticket", ("7T:abc", "app"))]

    def test_bearer_goes_to_the_bearer_check(self) -> None:
        """Bearer reaches ``bearer``."""
        auth = RecordingAuthenticator()
        run(with_authorization("bearer 8A:x.y"), auth)
        assert auth.calls == [("bearer", ("8A:x.y", None))]

    def test_two_authorization_headers_fail_before_any_check(self) -> None:
        """A repeated header is refused without looking at either value."""
        auth = RecordingAuthenticator()
        with pytest.raises(AuthenticationFailed):
            run(with_authorization("Bearer a", "Bearer b"), auth)
        assert auth.calls == []

    @pytest.mark.parametrize(
        "value", ["Digest x", "Negotiate x", "Basic", "Bearer", "", "NTLM TlRMTVNTUAAB"]
    )
    def test_unknown_scheme_or_no_credentials_fail(self, value: str) -> None:
        """Unknown schemes and schemes without credentials are a 401."""
        with pytest.raises(AuthenticationFailed) as failure:
            run(with_authorization(value))
        assert failure.value.invalid_token is False

    def test_over_long_header_fails_before_any_check(self) -> None:
        """A header over the limit is refused without decoding it."""
        auth = RecordingAuthenticator()
        with pytest.raises(AuthenticationFailed):
            run(with_authorization("Basic " + "A" * MAX_HEADER), auth)
        assert auth.calls == []

    def test_over_long_bearer_header_is_an_invalid_token(self) -> None:
        """An over-long Bearer header is blamed on the token (``error="invalid_token"``)."""
        with pytest.raises(AuthenticationFailed) as failure:
            run(with_authorization("Bearer " + "A" * MAX_HEADER))
        assert failure.value.invalid_token is True

    def test_no_header_and_no_session_fails(self) -> None:
        """Without any credentials the request is a 401."""
        with pytest.raises(AuthenticationFailed):
            run(RequestHeaders())

    def test_session_cookie_goes_to_the_session_check_with_the_header(self) -> None:
        """A session cookie reaches ``session`` with the ``X-XSRF-TOKEN`` value."""
        auth = RecordingAuthenticator()
        headers = RequestHeaders(cookie=f"{SESSION_COOKIE}=s1; XSRF-TOKEN=c", xsrf="h")
        assert run(headers, auth) == "session-principal"
        assert auth.calls == [("session", ("s1", "h"))]

    def test_header_wins_over_a_session_cookie(self) -> None:
        """With both, the ``Authorization`` header decides and the session is not consulted."""
        auth = RecordingAuthenticator()
        headers = with_authorization("SOTicket 7T:t", cookie=f"{SESSION_COOKIE}=s1")
        run(headers, auth)
        assert [name for name, _ in auth.calls] == ["ticket"]

    @pytest.mark.parametrize(
        "fields",
        [
            {"sec_fetch_site": "cross-site"},
            {"sec_fetch_site": "same-site"},
            {"origin": "https://evil.example"},
            {"origin": "null"},
            {"origin": "http://app.example.evil"},
            {"origin": "https://app.example"},  # issue 11 #11: another scheme, another origin
            {"origin": "http://app.example", "scheme": "https"},
            {"origin": "app.example"},
        ],
    )
    def test_cross_site_session_is_forbidden(self, fields: dict[str, Any]) -> None:
        """A cross-site session request is a 403 before the token is looked at."""
        auth = RecordingAuthenticator()
        headers = RequestHeaders(cookie=f"{SESSION_COOKIE}=s1", host="app.example", **fields)
        with pytest.raises(Forbidden):
            run(headers, auth)
        assert auth.calls == []

    @pytest.mark.parametrize(
        "fields",
        [
            {},
            {"sec_fetch_site": "same-origin"},
            {"sec_fetch_site": "none"},
            {"origin": "http://app.example"},
            {"origin": "https://APP.example/", "scheme": "https"},
            {"origin": "https://app.example", "forwarded_proto": "https"},
            {"origin": "http://app.example:80"},
        ],
    )
    def test_same_origin_session_passes_to_the_token_check(self, fields: dict[str, Any]) -> None:
        """Same-origin or unmarked session requests go on to the XSRF check."""
        auth = RecordingAuthenticator()
        headers = RequestHeaders(cookie=f"{SESSION_COOKIE}=s1", host="app.example", **fields)
        run(headers, auth)
        assert [name for name, _ in auth.calls] == ["session"]

    def test_cross_site_basic_is_forbidden(self) -> None:
        """Basic credentials are ambient in browsers, so cross-site Basic is a 403 unchecked."""
        auth = RecordingAuthenticator()
        headers = with_authorization(
            "Basic " + b64(b"alice:pw"), sec_fetch_site="cross-site", host="app.example"
        )
        with pytest.raises(Forbidden):
            run(headers, auth)
        assert auth.calls == []

    @pytest.mark.parametrize("value", ["SOTicket 7T:t", "Bearer 8A:x.y"])
    def test_cross_site_ticket_or_bearer_is_allowed(self, value: str) -> None:
        """Tickets and tokens are never sent by a browser on its own, so no origin check."""
        auth = RecordingAuthenticator()
        run(with_authorization(value, origin="https://evil.example", host="app.example"), auth)
        assert len(auth.calls) == 1
