"""Authentication: Basic, SOTicket, Bearer (opaque or JWT), browser sessions, login and logout.

Hot-path design: a request with a known ticket must not cost a database write, nor a Basic request
an Argon2 verification. So verified credentials are remembered per process for a short time
(``credential_cache_ttl``, default 1 s — revocation on another process is seen within that), Basic
credentials for ``basic_cache_ttl`` keyed by an HMAC of (user, password) under a per-process random
key — never the password itself — and a sliding ticket's expiry is written at most once a minute.

Single flight: concurrent Basic requests with the same credentials on a cold cache share ONE
verification (keyed by the same HMAC): the first reserves a throttle attempt and hashes, the others
wait for its outcome. Before, each reserved an attempt of its own, so a burst of one client's
parallel requests used up its throttle budget and got 429s, and hashed the same password N times.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from batchtask.domain.clock import Clock
from batchtask.domain.credential import Credential, CredentialKind
from batchtask.domain.errors import AuthenticationFailed
from batchtask.domain.ports import Store
from batchtask.domain.user import AuthMethod, Principal, User
from batchtask.services.password import PasswordHasher
from batchtask.services.throttle import LoginThrottle

TICKET_PREFIX = "7T:"
TOKEN_PREFIX = "8A:"  # noqa: S105 - a prefix, not a secret
#: A sliding credential's stored expiry is refreshed when it lags the ideal by more than this.
RENEW_SLACK = timedelta(seconds=60)
#: Longest credential text looked at; longer input fails without touching the database.
MAX_SECRET_LENGTH = 4096
_CACHE_LIMIT = 10_000


def secret_hash(secret: str) -> str:
    """SHA-256 of a secret, as stored; the secret itself is never stored."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _bytes_hash(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """Authentication settings the service needs."""

    context_identifier: str = "Cust00000"
    basic_enabled: bool = True
    ticket_lifetime: int = 6 * 3600
    token_lifetime: int = 3600
    credential_cache_ttl: float = 1.0
    basic_cache_ttl: float = 60.0
    #: SHA-256 digests of registered SO-AppTokens; non-empty = online mode.
    app_token_hashes: frozenset[bytes] = frozenset()

    @property
    def online_mode(self) -> bool:
        """SOTicket and Bearer must carry a registered SO-AppToken."""
        return bool(self.app_token_hashes)


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What ``/login`` hands out."""

    principal: Principal
    ticket: str
    session: str
    xsrf: str
    expires_at: datetime


class JwtVerifier(Protocol):
    """Validates a Bearer JWT and returns the user name it asserts (see ``jwt_verifier``)."""

    async def username(self, token: str) -> str:
        """The verified token's user name; ``AuthenticationFailed`` otherwise."""
        ...


class Authenticator:
    """Turns credentials from a request into a ``Principal``, or raises a 401/403/429 error."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        policy: AuthPolicy,
        *,
        jwt: JwtVerifier | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._clock = clock
        self._hasher = hasher
        self._throttle = throttle
        self.policy = policy
        self._jwt = jwt
        self._monotonic = monotonic
        self._key = secrets.token_bytes(32)
        self._credentials: dict[str, tuple[Credential, User, float]] = {}
        self._basic: dict[bytes, tuple[int, str, float]] = {}
        #: Verifications in flight by cache key (single flight, see the module docstring).
        self._flights: dict[bytes, asyncio.Task[User]] = {}
        self._users: dict[int, tuple[User | None, float]] = {}

    @property
    def password_verifications(self) -> int:
        """Argon2 verifications started so far by this process (tests and metrics read it)."""
        return self._hasher.verifications

    # ---------------------------------------------------------------- Basic

    async def basic(self, username: str, password: str, address: str) -> Principal:
        """Check a username and password (Basic), with throttling and the verified cache."""
        if not self.policy.basic_enabled:
            raise AuthenticationFailed("Basic authentication is disabled")
        key = hmac.new(
            self._key, username.casefold().encode("utf-8", "surrogatepass") + b"\0"
            + password.encode("utf-8", "surrogatepass"), hashlib.sha256,
        ).digest()  # fmt: skip
        now = self._monotonic()
        cached = self._basic.get(key)
        if cached is not None and now - cached[2] < self.policy.basic_cache_ttl:
            # The throttle decides before the cache answers: a blocked caller must get 429 for
            # the right password too, or the cache becomes a fast password oracle.
            await self._throttle.check(username, address)
            user = await self._user(cached[0])
            if user is not None and user.active and user.password_hash == cached[1]:
                return Principal(user, AuthMethod.basic)
            self._basic.pop(key, None)
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._verify_basic(key, username, password, address))
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
            # A cancelled caller (client gone) must not cancel the others' verification.
            return Principal(await asyncio.shield(flight), AuthMethod.basic)
        user = await asyncio.shield(flight)
        # A follower's own address may be blocked: the throttle decides for it as for the cache.
        await self._throttle.check(username, address)
        return Principal(user, AuthMethod.basic)

    async def _verify_basic(self, key: bytes, username: str, password: str, address: str) -> User:
        user = await self._check_password(username, password, address)
        self._remember(self._basic, key, (user.associate_id, user.password_hash, self._monotonic()))
        return user

    def _landed(self, key: bytes, flight: asyncio.Task[User]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: no "never retrieved" warning when every caller left

    async def _check_password(self, username: str, password: str, address: str) -> User:
        # The attempt is reserved (counted) before hashing, atomically: parallel guesses cannot
        # all slip past a check made before any of them was counted.
        reservation = await self._throttle.reserve(username, address)
        user = await self._store.users.by_name(username)
        stored = user.password_hash if user is not None and user.active else None
        if not await self._hasher.verify(stored, password) or user is None:
            raise AuthenticationFailed("Unknown user name or wrong password")
        await self._throttle.succeeded(reservation)
        return user

    async def _user(self, associate_id: int) -> User | None:
        now = self._monotonic()
        cached = self._users.get(associate_id)
        if cached is not None and now - cached[1] < self.policy.credential_cache_ttl:
            return cached[0]
        user = await self._store.users.by_id(associate_id)
        self._remember(self._users, associate_id, (user, now))
        return user

    # ---------------------------------------------------------------- tickets, tokens, sessions

    async def ticket(self, ticket: str, app_token: str | None) -> Principal:
        """Check an SOTicket (``7T:…``); each use slides its expiry."""
        if not ticket.startswith(TICKET_PREFIX):
            raise AuthenticationFailed("Not an SOTicket")
        credential, user = await self._lookup(CredentialKind.ticket, ticket)
        self._check_app_token(credential, app_token)
        return Principal(user, AuthMethod.ticket, credential.id, credential.grant)

    async def bearer(self, token: str, app_token: str | None) -> Principal:
        """Check a Bearer token: an opaque ``8A:`` access token, or a JWT when configured."""
        if token.startswith(TOKEN_PREFIX):
            credential, user = await self._lookup(CredentialKind.token, token)
            self._check_app_token(credential, app_token)
            return Principal(user, AuthMethod.token, credential.id, credential.grant)
        if self._jwt is None:
            raise AuthenticationFailed("Unknown access token", invalid_token=True)
        self._check_app_token(None, app_token)
        subject = await self._store.users.by_name(await self._jwt.username(token))
        if subject is None or not subject.active:
            raise AuthenticationFailed("The token's subject is not a user", invalid_token=True)
        return Principal(subject, AuthMethod.jwt)

    async def session(self, session: str, xsrf_header: str | None) -> Principal:
        """Check a browser session cookie and its ``X-XSRF-TOKEN`` header (every method)."""
        credential, user = await self._lookup(CredentialKind.session, session)
        if xsrf_header is None or credential.xsrf_hash is None:
            raise AuthenticationFailed("The X-XSRF-TOKEN header is missing")
        expected = bytes.fromhex(credential.xsrf_hash)
        if not hmac.compare_digest(_bytes_hash(xsrf_header), expected):
            raise AuthenticationFailed("The X-XSRF-TOKEN header does not match the session")
        return Principal(user, AuthMethod.session, credential.id, credential.grant)

    async def _lookup(self, kind: CredentialKind, secret: str) -> tuple[Credential, User]:
        if not secret or len(secret) > MAX_SECRET_LENGTH:
            raise AuthenticationFailed(invalid_token=kind is CredentialKind.token)
        digest = secret_hash(secret)
        now_mono = self._monotonic()
        cached = self._credentials.get(digest)
        if cached is not None and now_mono - cached[2] < self.policy.credential_cache_ttl:
            credential, user = cached[0], cached[1]
            if credential.kind is kind and credential.expires_at > self._clock.now():
                return credential, user
        now = self._clock.now()
        found = await self._store.credentials.lookup(kind, digest, now)
        if found is None:
            self._credentials.pop(digest, None)
            raise AuthenticationFailed(
                f"The {kind.value} is unknown, expired or revoked",
                invalid_token=kind is CredentialKind.token,
            )
        credential, user = found
        if credential.sliding_seconds:
            ideal = now + timedelta(seconds=credential.sliding_seconds)
            if ideal - credential.expires_at > RENEW_SLACK:
                await self._store.credentials.extend(credential.id, ideal)
                credential = _with_expiry(credential, ideal)
        self._remember(self._credentials, digest, (credential, user, now_mono))
        return credential, user

    def _check_app_token(self, credential: Credential | None, app_token: str | None) -> None:
        if not self.policy.online_mode:
            return
        if app_token is None:
            raise AuthenticationFailed("Online mode: the SO-AppToken header is required")
        digest = _bytes_hash(app_token)
        if not any(hmac.compare_digest(digest, known) for known in self.policy.app_token_hashes):
            raise AuthenticationFailed("The SO-AppToken is not registered")
        if (
            credential is not None
            and credential.app_hash is not None
            and not hmac.compare_digest(digest, bytes.fromhex(credential.app_hash))
        ):
            raise AuthenticationFailed("The credential was issued to another application")

    # ---------------------------------------------------------------- issuing and revoking

    async def login(
        self, username: str, password: str, address: str, app_token: str | None = None
    ) -> LoginResult:
        """Check a password and issue a ticket plus a browser session with its XSRF token."""
        user = await self._check_password(username, password, address)
        if self.policy.online_mode and app_token is not None:
            self._check_app_token(None, app_token)
        app_hash = _bytes_hash(app_token).hex() if app_token and self.policy.online_mode else None
        grant = secrets.token_hex(16)
        ticket = await self._issue_ticket(user, grant, app_hash)
        session = secrets.token_urlsafe(32)
        xsrf = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires = now + timedelta(seconds=self.policy.ticket_lifetime)
        await self._store.credentials.issue(
            CredentialKind.session, secret_hash(session), user.associate_id, grant=grant, now=now,
            expires_at=expires, sliding_seconds=self.policy.ticket_lifetime,
            xsrf_hash=_bytes_hash(xsrf).hex(),
        )  # fmt: skip
        principal = Principal(user, AuthMethod.session, None, grant)
        return LoginResult(principal, ticket, session, xsrf, expires)

    async def issue_ticket(self, user: User) -> tuple[str, datetime]:
        """A new SOTicket for a user (CLI), with its expiry."""
        ticket = await self._issue_ticket(user, secrets.token_hex(16), None)
        return ticket, self._clock.now() + timedelta(seconds=self.policy.ticket_lifetime)

    async def _issue_ticket(self, user: User, grant: str, app_hash: str | None) -> str:
        ticket = TICKET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        now = self._clock.now()
        await self._store.credentials.issue(
            CredentialKind.ticket, secret_hash(ticket), user.associate_id, grant=grant, now=now,
            expires_at=now + timedelta(seconds=self.policy.ticket_lifetime),
            sliding_seconds=self.policy.ticket_lifetime, app_hash=app_hash,
        )  # fmt: skip
        return ticket

    async def issue_token(self, user: User, lifetime: int | None = None) -> tuple[str, datetime]:
        """A new opaque Bearer access token ``8A:{ContextIdentifier}.{random}`` with fixed expiry."""
        token = f"{TOKEN_PREFIX}{self.policy.context_identifier}.{secrets.token_urlsafe(32)}"
        now = self._clock.now()
        expires = now + timedelta(seconds=lifetime or self.policy.token_lifetime)
        await self._store.credentials.issue(
            CredentialKind.token, secret_hash(token), user.associate_id,
            grant=secrets.token_hex(16), now=now, expires_at=expires, sliding_seconds=0,
        )  # fmt: skip
        return token, expires

    async def logout(self, principal: Principal) -> None:
        """Revoke every credential of the caller's login (ticket and session together)."""
        if principal.grant is None:
            return
        await self._store.credentials.revoke_grant(principal.grant)
        for digest, (credential, _, _) in list(self._credentials.items()):
            if credential.grant == principal.grant:
                self._credentials.pop(digest, None)

    def forget_user(self, associate_id: int) -> None:
        """Drop cached state of one user (after a password change or removal in this process)."""
        self._users.pop(associate_id, None)
        for digest, (credential, _, _) in list(self._credentials.items()):
            if credential.associate_id == associate_id:
                self._credentials.pop(digest, None)

    def forget_all(self) -> None:
        """Drop every cached user and credential (after a tenant's users were reset)."""
        self._users.clear()
        self._credentials.clear()
        self._basic.clear()

    @staticmethod
    def _remember(cache: dict, key: object, value: object) -> None:  # type: ignore[type-arg]
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = value


def _with_expiry(credential: Credential, expires_at: datetime) -> Credential:
    return Credential(
        credential.id, credential.kind, credential.associate_id, credential.grant,
        credential.created, expires_at, credential.sliding_seconds, credential.xsrf_hash,
        credential.app_hash,
    )  # fmt: skip


def app_token_hashes(tokens: Sequence[str]) -> frozenset[bytes]:
    """Digests of registered SO-AppTokens for ``AuthPolicy``."""
    return frozenset(_bytes_hash(token) for token in tokens)
