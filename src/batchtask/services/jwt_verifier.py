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
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jwt

from batchtask.domain.errors import AuthenticationFailed

MAX_TOKEN_LENGTH = 8192
#: Compact JWS: three non-empty base64url segments without padding.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_NUMERIC_DATES = ("exp", "nbf", "iat")


def _fail(reason: str) -> AuthenticationFailed:
    return AuthenticationFailed(f"Invalid token: {reason}", invalid_token=True)


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
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._algorithms = list(algorithms)
        self._leeway = leeway
        self._claim = username_claim
        self._client: jwt.PyJWKClient | None = None
        self._keys: dict[str | None, Any] = {}
        if jwks.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=300, timeout=5)
        else:
            key_set = jwt.PyJWKSet.from_json(Path(jwks).read_text("utf-8"))
            for key in key_set.keys:
                self._keys[key.key_id] = key

    def _key(self, kid: object) -> Any:
        if self._client is not None:
            if not isinstance(kid, str):
                raise _fail("the token names no key")
            try:
                return self._client.get_signing_key(kid)
            except jwt.PyJWKClientError as exc:
                raise _fail("unknown key") from exc
        if isinstance(kid, str) and kid in self._keys:
            return self._keys[kid]
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise _fail("unknown key")

    def username(self, token: str) -> str:
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
        key = self._key(header.get("kid"))
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
        subject = claims.get(self._claim)
        if not isinstance(subject, str) or not subject:
            raise _fail("no subject")
        return subject
