"""Opaque Bearer access tokens ``8A:{ContextIdentifier}.{random}`` over HTTP on both engines.

SPEC §4.1: issued by the CLI/admin API with a fixed expiry (default 3600 s, no sliding); every
Bearer failure is a 401 whose challenge adds ``error="invalid_token"`` (RFC 6750). The server runs
with ``credential_cache_ttl=0`` so the fake clock alone decides expiry.
"""

from __future__ import annotations

import base64
import re
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
    bearer,
    http,
    login,
    module_database,
    serve,
)
from tests.integration.conftest import LiveServer

APP_TOKEN = "registered-app"


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server per engine; tests move its clock forward after issuing their own tokens."""
    url = module_database(request, tmp_path_factory)
    with serve(url, FakeClock(), credential_cache_ttl=0) as server:
        yield server


@pytest.fixture(scope="module")
def online(live: LiveServer) -> Iterator[LiveServer]:
    """A second process on the same database, in online mode."""
    with serve(
        live.settings.database_url,
        live.clock,
        users=False,
        credential_cache_ttl=0,
        app_tokens=(Secret(APP_TOKEN),),
    ) as server:
        yield server


def issue(live: LiveServer, name: str = "alice", lifetime: int | None = None) -> str:
    """A new access token for a user, issued by the server's own service (as the CLI does)."""
    user = live.users[name]
    token, _ = live.call(lambda s: s.auth.issue_token(user, lifetime))
    return token


def get(live: LiveServer, token: str, app_token: str | None = None) -> httpx.Response:
    """``GET`` the missing task with a Bearer token (and an SO-AppToken)."""
    headers = bearer(token)
    if app_token is not None:
        headers["SO-AppToken"] = app_token
    return http(live).get(MISSING, headers=headers)


class TestOpaqueToken:
    def test_valid_token_is_accepted(self, live: LiveServer) -> None:
        """A fresh token authenticates."""
        assert_authenticated(get(live, issue(live)))

    def test_token_has_the_superoffice_shape(self, live: LiveServer) -> None:
        """``8A:Cust00000.`` followed by at least 128 bits of URL-safe random text."""
        token = issue(live)
        match = re.fullmatch(r"8A:Cust00000\.([A-Za-z0-9_-]+)", token)
        assert match is not None
        assert len(base64.urlsafe_b64decode(match[1] + "==")) >= 16

    def test_token_is_valid_until_its_expiry(self, live: LiveServer) -> None:
        """3599 s after issue the token still works."""
        token = issue(live)
        live.clock.advance(3599)
        assert_authenticated(get(live, token))

    def test_expired_token_is_401_invalid_token(self, live: LiveServer) -> None:
        """3601 s after issue the token is a 401 with ``error="invalid_token"``."""
        token = issue(live)
        live.clock.advance(3601)
        assert_unauthenticated(get(live, token), invalid_token=True)

    def test_use_does_not_extend_a_token(self, live: LiveServer) -> None:
        """Unlike tickets, tokens do not slide: used at 3000 s, dead at 3601 s."""
        token = issue(live)
        live.clock.advance(3000)
        assert_authenticated(get(live, token))
        live.clock.advance(601)
        assert_unauthenticated(get(live, token), invalid_token=True)

    def test_issued_lifetime_is_honoured(self, live: LiveServer) -> None:
        """A token issued for 60 s is dead after 61 s."""
        token = issue(live, lifetime=60)
        live.clock.advance(61)
        assert_unauthenticated(get(live, token), invalid_token=True)

    @pytest.mark.parametrize("context", ["Cust12345", "cust00000", "Cust00000x", ""])
    def test_wrong_context_prefix_is_401(self, live: LiveServer, context: str) -> None:
        """The same random part under another ContextIdentifier is not the token."""
        token = issue(live)
        altered = token.replace("Cust00000", context, 1)
        assert_unauthenticated(get(live, altered), invalid_token=True)

    def test_altered_random_part_is_401(self, live: LiveServer) -> None:
        """Changing one character of the random part makes the token unknown."""
        token = issue(live)
        altered = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert_unauthenticated(get(live, altered), invalid_token=True)

    @pytest.mark.parametrize("value", ["8A:", "not-a-token", "8A:Cust00000.", "x" * 5000])
    def test_unknown_token_is_401_invalid_token(self, live: LiveServer, value: str) -> None:
        """Made-up tokens are a 401 with ``error="invalid_token"`` (JWTs are off here)."""
        assert_unauthenticated(get(live, value), invalid_token=True)

    def test_ticket_sent_as_bearer_is_401(self, live: LiveServer) -> None:
        """An SOTicket is not an access token, even for the right user."""
        assert_unauthenticated(get(live, live.ticket("alice")), invalid_token=True)

    def test_disabled_users_token_is_401(self, live: LiveServer) -> None:
        """Disabling a user revokes their tokens."""
        name = "user-" + uuid.uuid4().hex[:10]
        live.add_user(name)
        token = issue(live, name)
        live.call(lambda s: s.users.set_active(name, False))
        assert_unauthenticated(get(live, token), invalid_token=True)

    def test_logout_with_a_token_revokes_it(self, live: LiveServer) -> None:
        """``POST /logout`` authenticated by a token revokes that token."""
        token = issue(live)
        assert http(live).post("/logout", headers=bearer(token)).status_code == 204
        assert_unauthenticated(get(live, token), invalid_token=True)

    def test_logout_with_a_token_spares_the_users_logins(self, live: LiveServer) -> None:
        """Revoking a token does not touch the same user's tickets."""
        ticket, _, _ = login(live, "alice")
        token = issue(live)
        assert http(live).post("/logout", headers=bearer(token)).status_code == 204
        response = http(live).get(MISSING, headers={"Authorization": f"SOTicket {ticket}"})
        assert_authenticated(response)


class TestOnlineMode:
    def test_token_with_registered_app_token_is_accepted(self, online: LiveServer) -> None:
        """Online mode: token plus registered SO-AppToken authenticates."""
        assert_authenticated(get(online, issue(online), APP_TOKEN))

    def test_token_without_app_token_is_401(self, online: LiveServer) -> None:
        """Online mode: a token without SO-AppToken → 401 (SPEC §4.1).

        The challenge has no ``error="invalid_token"``: the token is fine, the application is
        not, and a client that refreshed its token would not help itself.
        """
        assert_unauthenticated(get(online, issue(online)))

    def test_token_with_unregistered_app_token_is_401(self, online: LiveServer) -> None:
        """Online mode: an unknown SO-AppToken → 401 (the token itself is not blamed)."""
        assert_unauthenticated(get(online, issue(online), "unregistered-app"))
