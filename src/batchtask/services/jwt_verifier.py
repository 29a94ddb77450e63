"""Bearer JWTs from a configured OIDC issuer, validated with PyJWT.

Everything an attacker controls in the token header is distrusted: keys come only from the
configured JWKS (file or URL; ``jku``, ``x5u`` and embedded ``jwk`` headers are ignored), the
algorithm must be one of the configured asymmetric ones (so ``alg=none`` and HMAC-with-public-key
confusion cannot pass), and ``exp``, ``nbf`` (when present), ``iat``, ``iss`` and ``aud`` are all
checked. ID tokens (``nonce``/``at_hash`` claims) are refused as access tokens.

Two gaps of PyJWT are closed here. It reads ``exp``/``nbf``/``iat`` with ``int()``, which accepts
strings such as ``"4102444800"``, so those claims must be JSON numbers (RFC 7519 NumericDate). And
its segment decoding has been lenient (older releases dropped characters outside the alphabet; the
current one still accepts ``=`` padding, which RFC 7515 forbids), so a token must have the exact
compact JWS shape before it is parsed: one token, one spelling.

A JWKS URL is fetched off the event loop (issue 11 #5: PyJWKClient fetched on it, so a key server
that never answered stalled every request for 5 s): in a thread, with a deadline, one fetch at a
time (``RemoteKeys``). Keys are kept for ``lifespan`` seconds and then refreshed in the background
while the old ones keep serving; a token naming an unknown key makes the request wait for a fetch
— only that request — unless the last attempt (success or failure) is younger than
``retry_after``, so tokens with made-up key ids cannot turn into a stream of fetches.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt

from batchtask.domain.errors import AuthenticationFailed

MAX_TOKEN_LENGTH = 8192
#: Compact JWS: three non-empty base64url segments without padding.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_NUMERIC_DATES = ("exp", "nbf", "iat")
log = logging.getLogger("batchtask.auth")

Keys = dict[str | None, Any]


def _fail(reason: str) -> AuthenticationFailed:
    return AuthenticationFailed(f"Invalid token: {reason}", invalid_token=True)


def _keys_of(key_set: jwt.PyJWKSet) -> Keys:
    return {key.key_id: key for key in key_set.keys}


class RemoteKeys:
    """The keys of a JWKS URL: fetched in a thread with a deadline, cached, refreshed in the
    background, failures remembered (module docstring)."""

    def __init__(
        self,
        fetch: Callable[[], Keys],
        *,
        timeout: float = 5.0,
        lifespan: float = 300.0,
        retry_after: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._timeout = timeout
        self._lifespan = lifespan
        self._retry_after = retry_after
        self._monotonic = monotonic
        self._keys: Keys = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._flight: asyncio.Task[None] | None = None
        #: Fetches started so far (tests read it).
        self.fetches = 0

    async def key(self, kid: str) -> Any:
        """The key ``kid``, or ``None`` when the JWKS (as last fetched) has none."""
        now = self._monotonic()
        if kid in self._keys:
            if self._fetched_at is not None and now - self._fetched_at >= self._lifespan:
                self._start()  # stale: refresh behind the answer, keep serving the old key
            return self._keys[kid]
        recent = self._attempted_at is not None and now - self._attempted_at < self._retry_after
        if self._flight is None and recent:
            return None
        flight = self._start()
        if flight is not None:
            await asyncio.shield(flight)  # a client that leaves does not cancel the fetch
        return self._keys.get(kid)

    async def settled(self) -> None:
        """Wait for the fetch in flight, if any (tests; a refresh otherwise runs on its own)."""
        flight = self._flight
        if flight is not None:
            await asyncio.shield(flight)

    def _start(self) -> asyncio.Task[None] | None:
        if self._flight is None:
            now = self._monotonic()
            if (
                self._attempted_at is not None
                and now - self._attempted_at < self._retry_after
                and self._fetched_at != self._attempted_at
            ):
                return None  # the last attempt failed a moment ago: do not hammer the server
            self._flight = asyncio.ensure_future(self._refresh())
        return self._flight

    async def _refresh(self) -> None:
        self._attempted_at = self._monotonic()
        self.fetches += 1
        try:
            keys = await asyncio.wait_for(asyncio.to_thread(self._fetch), self._timeout)
        except Exception as exc:  # any failure: keep the old keys, remember when it was
            log.warning("JWKS not fetched (%s: %s)", type(exc).__name__, exc)
        else:
            self._keys = keys
            self._fetched_at = self._attempted_at
        finally:
            self._flight = None


def fetch_jwks(url: str, timeout: float) -> Callable[[], Keys]:
    """A blocking fetch of ``url``'s key set (run in a thread by ``RemoteKeys``)."""
    client = jwt.PyJWKClient(url, cache_keys=False, cache_jwk_set=False, timeout=timeout)
    return lambda: _keys_of(client.get_jwk_set(refresh=True))


class PyJwtVerifier:
    """Validates JWT access tokens and returns the user name they assert."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: str,
        algorithms: tuple[str, ...] = ("RS256",),
        leeway: int = 30,
        username_claim: str = "sub",
        tenant: str = "",
        tenant_claim: str = "",
        default_tenant: bool = True,
        remote: RemoteKeys | None = None,
        fetch_timeout: float = 5.0,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._algorithms = list(algorithms)
        self._leeway = leeway
        self._claim = username_claim
        self._tenant = tenant.casefold()
        self._tenant_claim = tenant_claim
        self._default_tenant = default_tenant
        self._remote = remote
        self._keys: Keys = {}
        if remote is None and jwks.startswith(("https://", "http://")):
            self._remote = RemoteKeys(fetch_jwks(jwks, fetch_timeout), timeout=fetch_timeout)
        elif remote is None:
            self._keys = _keys_of(jwt.PyJWKSet.from_json(Path(jwks).read_text("utf-8")))

    async def _key(self, kid: object) -> Any:
        if self._remote is not None:
            if not isinstance(kid, str):
                raise _fail("the token names no key")
            key = await self._remote.key(kid)
            if key is None:
                raise _fail("unknown key")
            return key
        if isinstance(kid, str) and kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise _fail("unknown key")

    async def username(self, token: str) -> str:
        """The verified token's user name claim."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise _fail("too long")
        if _COMPACT_JWS.fullmatch(token) is None:
            raise _fail("not a compact JWS")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _fail("malformed") from exc
        if header.get("alg") not in self._algorithms:
            raise _fail("algorithm not accepted")
        key = await self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", self._claim]},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise _fail(str(exc)) from exc
        for name in _NUMERIC_DATES:
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise _fail(f"{name} is not a NumericDate")
        if "nonce" in claims or "at_hash" in claims:
            raise _fail("an ID token is not an access token")
        self._check_tenant(claims)
        subject = claims.get(self._claim)
        if not isinstance(subject, str) or not subject:
            raise _fail("no subject")
        return subject

    def _check_tenant(self, claims: dict[str, Any]) -> None:
        """A token is for one tenant: the one its tenant claim names, or the default one when it
        names none (a single-tenant issuer). Users of the same name in two tenants are two people,
        so a token for one must be 401 in the other."""
        if not self._tenant_claim:
            return
        named = claims.get(self._tenant_claim)
        if named is None:
            if not self._default_tenant:
                raise _fail("the token names no tenant")
            return
        if not isinstance(named, str) or named.casefold() != self._tenant:
            raise _fail("the token is for another tenant")
