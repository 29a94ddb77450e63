"""``PyJwtVerifier`` on its own: claim types, token shape, keys, leeway (no server)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from batchtask.domain.errors import AuthenticationFailed
from batchtask.services.jwt_verifier import PyJwtVerifier, RemoteKeys

ISSUER, AUDIENCE = "https://idp.test", "batchtask-api"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """The issuer's signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    """A second key the issuer also publishes."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(tmp_path: Path, *keys: tuple[str, rsa.RSAPrivateKey]) -> str:
    """A JWKS file with these ``(kid, key)`` pairs."""
    entries = []
    for kid, private in keys:
        entry: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        entries.append({**entry, "kid": kid, "alg": "RS256", "use": "sig"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": entries}), "utf-8")
    return str(path)


def verifier(tmp_path: Path, key: rsa.RSAPrivateKey, **options: Any) -> PyJwtVerifier:
    """A verifier trusting ``key`` as kid ``k1``."""
    return PyJwtVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks=jwks(tmp_path, ("k1", key)), **options
    )


def token(key: rsa.RSAPrivateKey, kid: str | None = "k1", **changes: Any) -> str:
    """An RS256 token for alice; ``None`` removes a claim."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now - 10, "exp": now + 600}
    claims.update(changes)
    headers = {} if kid is None else {"kid": kid}
    payload = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(payload, key, algorithm="RS256", headers=headers)


def refused(check: PyJwtVerifier, value: str) -> AuthenticationFailed:
    """The failure ``check`` raises for ``value``."""
    with pytest.raises(AuthenticationFailed) as failure:
        asyncio.run(check.username(value))
    return failure.value


def test_valid_token_names_its_subject(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """A correct token yields its ``sub``."""
    assert asyncio.run(verifier(tmp_path, key).username(token(key))) == "alice"


def test_failures_blame_the_token(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """Every refusal is marked ``invalid_token`` for the Bearer challenge."""
    assert refused(verifier(tmp_path, key), token(key, exp=1)).invalid_token is True


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": "4102444800"},
        {"nbf": "0"},
        {"iat": "0"},
        {"exp": True},
        {"exp": [4102444800]},
    ],
    ids=["exp-string", "nbf-string", "iat-string", "exp-bool", "exp-list"],
)
def test_numeric_dates_must_be_numbers(
    tmp_path: Path, key: rsa.RSAPrivateKey, changes: dict[str, Any]
) -> None:
    """``exp``/``nbf``/``iat`` that are not JSON numbers are refused (RFC 7519 NumericDate)."""
    refused(verifier(tmp_path, key), token(key, **changes))


def test_fractional_numeric_date_is_accepted(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """NumericDate may carry a fraction."""
    assert (
        asyncio.run(verifier(tmp_path, key).username(token(key, exp=time.time() + 600.5)))
        == "alice"
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "==",
        lambda t: t.replace(".", "..", 1),
        lambda t: " " + t,
        lambda t: t + ".",
        lambda t: t.rsplit(".", 1)[0] + ".",
    ],
    ids=["padding", "empty-segment", "leading-space", "four-parts", "no-signature"],
)
def test_token_must_be_an_exact_compact_jws(
    tmp_path: Path, key: rsa.RSAPrivateKey, mangle: Any
) -> None:
    """Only the exact ``header.payload.signature`` base64url shape is read."""
    refused(verifier(tmp_path, key), mangle(token(key)))


def test_over_long_token_is_refused_unread(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """Tokens over 8 KiB are refused before parsing."""
    refused(verifier(tmp_path, key), token(key, blob="x" * 9000))


def test_token_without_kid_is_refused_when_several_keys(
    tmp_path: Path, key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    """With two keys published, a token naming none is not guessed at."""
    check = PyJwtVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks=jwks(tmp_path, ("k1", key), ("k2", other_key))
    )
    refused(check, token(key, kid=None))


def test_key_is_chosen_by_kid(
    tmp_path: Path, key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    """With two keys, each token is checked against the key its ``kid`` names."""
    check = PyJwtVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks=jwks(tmp_path, ("k1", key), ("k2", other_key))
    )
    assert asyncio.run(check.username(token(other_key, kid="k2"))) == "alice"
    refused(check, token(other_key, kid="k1"))


def test_leeway_is_honoured(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """Expired 20 s ago passes with 30 s leeway and fails with 10 s."""
    expired = token(key, exp=int(time.time()) - 20)
    assert asyncio.run(verifier(tmp_path, key, leeway=30).username(expired)) == "alice"
    refused(verifier(tmp_path, key, leeway=10), expired)


def test_configured_claim_names_the_user(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """``username_claim`` picks another claim than ``sub``."""
    check = verifier(tmp_path, key, username_claim="preferred_username")
    assert asyncio.run(check.username(token(key, preferred_username="bob"))) == "bob"


def test_missing_username_claim_is_refused(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """A token without the configured claim is refused."""
    refused(verifier(tmp_path, key, username_claim="preferred_username"), token(key))


@pytest.mark.parametrize("subject", ["", 42])
def test_subject_must_be_a_non_empty_string(
    tmp_path: Path, key: rsa.RSAPrivateKey, subject: object
) -> None:
    """An empty or non-string subject names nobody."""
    check = verifier(tmp_path, key, username_claim="uid")
    refused(check, token(key, uid=subject))


@pytest.mark.parametrize("claim", ["nonce", "at_hash"])
def test_id_tokens_are_refused(tmp_path: Path, key: rsa.RSAPrivateKey, claim: str) -> None:
    """Tokens with ID-token claims are not access tokens."""
    refused(verifier(tmp_path, key), token(key, **{claim: "abc"}))


def test_header_that_is_not_json_is_refused(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """A header segment that is base64url but not JSON is a plain refusal."""
    garbage = base64.urlsafe_b64encode(b"\xff\xfe not json").rstrip(b"=").decode()
    _, payload, signature = token(key).split(".")
    refused(verifier(tmp_path, key), f"{garbage}.{payload}.{signature}")


class FakeJwks:
    """A JWKS source: counts fetches, can fail, tells its clock."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        entry: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        self.set = jwt.PyJWKSet.from_dict({"keys": [{**entry, "kid": "k1", "alg": "RS256"}]})
        self.fetched = 0
        self.failing = False
        self.now = 1000.0

    def fetch(self) -> dict[str | None, Any]:
        self.fetched += 1
        if self.failing:
            raise OSError("connection refused")
        return {key.key_id: key for key in self.set.keys}

    def remote(self) -> RemoteKeys:
        return RemoteKeys(self.fetch, lifespan=300, retry_after=30, monotonic=lambda: self.now)


def test_remote_keys_are_fetched_once_and_refreshed_in_the_background(
    tmp_path: Path, key: rsa.RSAPrivateKey
) -> None:
    """Issue 11 #5: keys are cached; once stale they still answer at once while one refresh runs
    behind the answer."""
    source = FakeJwks(key)
    remote = source.remote()
    check = PyJwtVerifier(issuer=ISSUER, audience=AUDIENCE, jwks="", remote=remote)

    async def scenario() -> list[int]:
        seen = []
        assert await check.username(token(key)) == "alice"
        assert await check.username(token(key)) == "alice"
        seen.append(source.fetched)
        source.now += 301
        source.failing = True  # the refresh fails: the cached key keeps serving
        assert await check.username(token(key)) == "alice"
        seen.append(source.fetched)  # not yet: the refresh runs behind the answer
        await remote.settled()
        seen.append(source.fetched)
        assert await check.username(token(key)) == "alice"
        seen.append(source.fetched)  # a failed refresh is not retried at once
        return seen

    assert asyncio.run(scenario()) == [1, 1, 2, 2]


def test_unknown_keys_and_failures_do_not_fetch_again_at_once(
    tmp_path: Path, key: rsa.RSAPrivateKey
) -> None:
    """A failed fetch, or a key id the fresh JWKS lacks, answers 401 without another fetch until
    ``retry_after`` has passed (made-up key ids cannot make a stream of fetches)."""
    source = FakeJwks(key)
    source.failing = True
    check = PyJwtVerifier(issuer=ISSUER, audience=AUDIENCE, jwks="", remote=source.remote())

    async def refused(value: str) -> str:
        with pytest.raises(AuthenticationFailed) as failure:
            await check.username(value)
        return str(failure.value)

    async def scenario() -> list[int]:
        seen = []
        assert "unknown key" in await refused(token(key))
        assert "unknown key" in await refused(token(key))
        seen.append(source.fetched)
        source.now += 31
        source.failing = False
        assert await check.username(token(key)) == "alice"
        seen.append(source.fetched)
        assert "unknown key" in await refused(token(key, kid="made-up"))
        assert "unknown key" in await refused(token(key, kid="made-up-2"))
        seen.append(source.fetched)
        source.now += 31
        assert "unknown key" in await refused(token(key, kid="made-up-3"))
        seen.append(source.fetched)
        return seen

    assert asyncio.run(scenario()) == [1, 2, 2, 3]
