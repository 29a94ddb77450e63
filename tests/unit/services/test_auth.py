"""``Authenticator`` against a real store on both engines: caches, sliding renewal, revocation.

Two ``Authenticator`` instances on one store stand for two API processes. The per-process caches
run on a hand-moved monotonic clock, so the 1 s revocation window is checked exactly.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from batchtask.domain.credential import CredentialKind
from batchtask.domain.errors import AuthenticationFailed
from batchtask.domain.user import AuthMethod, Role
from batchtask.services.auth import Authenticator, AuthPolicy, secret_hash
from batchtask.services.password import PasswordHasher
from batchtask.services.throttle import LoginThrottle, ThrottlePolicy
from batchtask.services.users import UserService
from batchtask.storage.store import SqlStore
from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"
ADDRESS = "192.0.2.1"


class Monotonic:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic() -> Monotonic:
    """The per-process cache clock."""
    return Monotonic()


@pytest.fixture
def hasher() -> PasswordHasher:
    """Cheap Argon2 for tests."""
    return PasswordHasher(time_cost=1, memory_cost=64)


def authenticator(
    store: SqlStore, clock: FakeClock, hasher: PasswordHasher, monotonic: Monotonic
) -> Authenticator:
    """One process's authenticator with the default cache lifetimes."""
    throttle = LoginThrottle(store.throttle, clock, ThrottlePolicy(free_failures=1000))
    return Authenticator(store, clock, hasher, throttle, AuthPolicy(), monotonic=monotonic)


@pytest.fixture
def auth(
    store: SqlStore, clock: FakeClock, hasher: PasswordHasher, monotonic: Monotonic
) -> Authenticator:
    """Process A."""
    return authenticator(store, clock, hasher, monotonic)


@pytest.fixture
async def users(store: SqlStore, clock: FakeClock, hasher: PasswordHasher) -> UserService:
    """User management with alice created."""
    service = UserService(store, clock, hasher)
    await service.add("alice", PASSWORD, Role.user)
    return service


async def stored_expiry(store: SqlStore, clock: FakeClock, ticket: str) -> object:
    """The expiry the database holds for a ticket."""
    found = await store.credentials.lookup(CredentialKind.ticket, secret_hash(ticket), clock.now())
    assert found is not None
    return found[0].expires_at


class TestBasicCache:
    async def test_repeated_basic_hashes_once(
        self, auth: Authenticator, users: UserService
    ) -> None:
        """A second Basic request with the same credentials costs no Argon2 verification."""
        principal = await auth.basic("alice", PASSWORD, ADDRESS)
        await auth.basic("alice", PASSWORD, ADDRESS)
        assert principal.method is AuthMethod.basic
        assert auth.password_verifications == 1

    async def test_concurrent_identical_credentials_share_one_verification(
        self, auth: Authenticator, users: UserService
    ) -> None:
        """Twenty parallel requests with the same credentials on a cold cache: one verification,
        all accepted; twenty with the same wrong password: one verification, all refused."""
        principals = await asyncio.gather(
            *(auth.basic("alice", PASSWORD, ADDRESS) for _ in range(20))
        )
        assert {principal.user.username for principal in principals} == {"alice"}
        assert auth.password_verifications == 1
        results = await asyncio.gather(
            *(auth.basic("alice", "wrong", ADDRESS) for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(result, AuthenticationFailed) for result in results)
        assert auth.password_verifications == 2
        assert auth._flights == {}  # every flight landed and was forgotten

    async def test_cache_is_keyed_by_a_digest_never_the_password(
        self, auth: Authenticator, users: UserService
    ) -> None:
        """Nothing the cache holds contains the password (SPEC §4.1)."""
        await auth.basic("alice", PASSWORD, ADDRESS)
        held = repr(auth._basic)  # the property is about private state
        assert PASSWORD not in held
        assert PASSWORD.encode().hex() not in held

    async def test_wrong_password_is_not_cached(
        self, auth: Authenticator, users: UserService
    ) -> None:
        """A failure is never remembered as a success."""
        with pytest.raises(AuthenticationFailed):
            await auth.basic("alice", "wrong", ADDRESS)
        with pytest.raises(AuthenticationFailed):
            await auth.basic("alice", "wrong", ADDRESS)
        assert auth.password_verifications == 2

    async def test_cached_credentials_are_verified_again_after_the_ttl(
        self, auth: Authenticator, users: UserService, monotonic: Monotonic
    ) -> None:
        """After ``basic_cache_ttl`` (60 s) the password is verified again."""
        await auth.basic("alice", PASSWORD, ADDRESS)
        monotonic.now += 60
        await auth.basic("alice", PASSWORD, ADDRESS)
        assert auth.password_verifications == 2

    async def test_password_change_voids_the_cache_within_a_second(
        self, auth: Authenticator, users: UserService, monotonic: Monotonic
    ) -> None:
        """A cached old password stops working once the user row is re-read (1 s)."""
        await auth.basic("alice", PASSWORD, ADDRESS)
        await users.set_password("alice", "a brand new password")
        monotonic.now += 1
        with pytest.raises(AuthenticationFailed):
            await auth.basic("alice", PASSWORD, ADDRESS)

    async def test_disabling_voids_the_cache_within_a_second(
        self, auth: Authenticator, users: UserService, monotonic: Monotonic
    ) -> None:
        """A cached password of a now-disabled user stops working within 1 s."""
        await auth.basic("alice", PASSWORD, ADDRESS)
        await users.set_active("alice", False)
        monotonic.now += 1
        with pytest.raises(AuthenticationFailed):
            await auth.basic("alice", PASSWORD, ADDRESS)


class TestCredentialCache:
    async def test_other_process_honours_a_revoked_ticket_under_a_second(
        self,
        store: SqlStore,
        clock: FakeClock,
        hasher: PasswordHasher,
        auth: Authenticator,
        users: UserService,
        monotonic: Monotonic,
    ) -> None:
        """Process B may trust a ticket revoked on A for < 1 s (documented), and not at 1 s."""
        other = authenticator(store, clock, hasher, monotonic)
        login = await auth.login("alice", PASSWORD, ADDRESS)
        await other.ticket(login.ticket, None)
        await auth.logout(login.principal)
        monotonic.now += 0.9
        await other.ticket(login.ticket, None)
        monotonic.now += 0.1
        with pytest.raises(AuthenticationFailed):
            await other.ticket(login.ticket, None)

    async def test_logging_out_forgets_at_once_in_the_same_process(
        self, auth: Authenticator, users: UserService
    ) -> None:
        """The process that logs out refuses the ticket immediately, cache or not."""
        login = await auth.login("alice", PASSWORD, ADDRESS)
        await auth.ticket(login.ticket, None)
        await auth.logout(login.principal)
        with pytest.raises(AuthenticationFailed):
            await auth.ticket(login.ticket, None)

    async def test_cached_ticket_still_expires(
        self, auth: Authenticator, users: UserService, clock: FakeClock
    ) -> None:
        """A cache hit does not outlive the ticket's expiry."""
        login = await auth.login("alice", PASSWORD, ADDRESS)
        await auth.ticket(login.ticket, None)
        clock.advance(6 * 3600 + 1)
        with pytest.raises(AuthenticationFailed):
            await auth.ticket(login.ticket, None)


class TestSlidingRenewal:
    async def test_use_within_a_minute_writes_nothing(
        self,
        auth: Authenticator,
        users: UserService,
        store: SqlStore,
        clock: FakeClock,
        monotonic: Monotonic,
    ) -> None:
        """A ticket used 30 s after issue keeps its stored expiry: no write per request."""
        login = await auth.login("alice", PASSWORD, ADDRESS)
        issued = await stored_expiry(store, clock, login.ticket)
        clock.advance(30)
        monotonic.now += 5
        await auth.ticket(login.ticket, None)
        assert await stored_expiry(store, clock, login.ticket) == issued

    async def test_use_after_a_minute_slides_the_expiry(
        self,
        auth: Authenticator,
        users: UserService,
        store: SqlStore,
        clock: FakeClock,
        monotonic: Monotonic,
    ) -> None:
        """A ticket used 61 s after issue is stored as expiring 6 h after that use."""
        login = await auth.login("alice", PASSWORD, ADDRESS)
        clock.advance(61)
        monotonic.now += 5
        await auth.ticket(login.ticket, None)
        assert await stored_expiry(store, clock, login.ticket) == clock.now() + timedelta(hours=6)
