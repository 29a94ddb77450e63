"""``PyJwtVerifier`` on its own: claim types, token shape, keys, leeway (no server)."""

from __future__ import annotations

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
from batchtask.services.jwt_verifier import PyJwtVerifier

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
        check.username(value)
    return failure.value


def test_valid_token_names_its_subject(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """A correct token yields its ``sub``."""
    assert verifier(tmp_path, key).username(token(key)) == "alice"


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
    assert verifier(tmp_path, key).username(token(key, exp=time.time() + 600.5)) == "alice"


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
    assert check.username(token(other_key, kid="k2")) == "alice"
    refused(check, token(other_key, kid="k1"))


def test_leeway_is_honoured(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """Expired 20 s ago passes with 30 s leeway and fails with 10 s."""
    expired = token(key, exp=int(time.time()) - 20)
    assert verifier(tmp_path, key, leeway=30).username(expired) == "alice"
    refused(verifier(tmp_path, key, leeway=10), expired)


def test_configured_claim_names_the_user(tmp_path: Path, key: rsa.RSAPrivateKey) -> None:
    """``username_claim`` picks another claim than ``sub``."""
    check = verifier(tmp_path, key, username_claim="preferred_username")
    assert check.username(token(key, preferred_username="bob")) == "bob"


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
