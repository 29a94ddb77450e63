"""Bearer JWTs from the configured OIDC issuer: the C1 attack list over HTTP, both engines.

The server trusts one RS256 key (``kid`` ``idp-1``) from a JWKS *file*, issuer
``https://idp.test``, audience ``batchtask-api``, leeway 30 s; the JWT ``sub`` names the user.
Every attack must get SPEC §4.1's 401 with ``WWW-Authenticate: … Bearer error="invalid_token"``,
and the canary listener that ``jku``/``x5u`` headers point at must never be contacted. Tokens are
forged by hand (not with PyJWT's encoder, which refuses most of these shapes). PyJWT checks times
against the real clock, not the server's fake one, so times here are real ``time.time()``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import select
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import RSAAlgorithm

from batchtask.domain.user import Role
from tests.conftest import FakeClock
from tests.integration.auth_support import (
    ENGINES,
    MISSING,
    UNTHROTTLED,
    assert_authenticated,
    assert_unauthenticated,
    bearer,
    http,
    module_database,
    serve,
)
from tests.integration.conftest import LiveServer

ISSUER = "https://idp.test"
AUDIENCE = "batchtask-api"
KID = "idp-1"
LEEWAY = 30

Signer = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Keys:
    """The issuer's key pair, an attacker's keys, and where the canary listens."""

    trusted: rsa.RSAPrivateKey
    attacker: rsa.RSAPrivateKey
    attacker_ec: ec.EllipticCurvePrivateKey
    public_jwk: dict[str, Any]
    canary_url: str


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: dict[str, Any]) -> str:
    """A JSON object as a compact-JWS segment."""
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Signer) -> str:
    """``header.payload.signature`` signed over the first two segments by ``sign``."""
    signing_input = f"{segment(header)}.{segment(claims)}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def rsa_signer(key: rsa.RSAPrivateKey, alg: str) -> Signer:
    """RS256/RS512 (PKCS#1 v1.5) or PS256 (PSS) with ``key``."""
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return lambda data: key.sign(data, pss, hashes.SHA256())
    digest = hashes.SHA512() if alg == "RS512" else hashes.SHA256()
    return lambda data: key.sign(data, padding.PKCS1v15(), digest)


def es256_signer(key: ec.EllipticCurvePrivateKey) -> Signer:
    """ES256 with the raw ``r || s`` signature JWS uses."""

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


def hmac_signer(secret: bytes) -> Signer:
    """HS256 with ``secret``."""
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


def claims(**changes: Any) -> dict[str, Any]:
    """Valid access-token claims for alice; ``None`` removes a claim."""
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": now - 60,
        "exp": now + 600,
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def good(keys: Keys, **changes: Any) -> str:
    """A correctly signed token with these claim changes."""
    header = {"alg": "RS256", "typ": "JWT", "kid": KID}
    return forge(header, claims(**changes), rsa_signer(keys.trusted, "RS256"))


def signed_with_trusted(keys: Keys, **header: Any) -> str:
    """Valid claims, RS256 by the trusted key, under an unusual header."""
    return forge({"alg": "RS256", **header}, claims(), rsa_signer(keys.trusted, "RS256"))


def public_pem(keys: Keys) -> bytes:
    """The issuer's public key as PEM."""
    return keys.trusted.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_der(keys: Keys) -> bytes:
    """The issuer's public key as DER."""
    return keys.trusted.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def attacker_jwk(keys: Keys) -> dict[str, Any]:
    """The attacker's public RSA key as a JWK."""
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(keys.attacker.public_key(), as_dict=True)
    return {**jwk, "kid": "attacker"}


def none_alg(spelling: str) -> Callable[[Keys], str]:
    """``alg: none`` in some spelling, with an empty signature."""

    def build(_: Keys) -> str:
        return f"{segment({'alg': spelling, 'typ': 'JWT'})}.{segment(claims())}."

    return build


def _stripped(keys: Keys) -> str:
    return good(keys).rsplit(".", 1)[0] + "."


def _altered(keys: Keys) -> str:
    header, _, signature = good(keys).split(".")
    return f"{header}.{segment(claims(sub='admin'))}.{signature}"


def _huge(keys: Keys) -> str:
    return good(keys, padding="p" * 8500)


def _bang_in_signature(keys: Keys) -> str:
    header, payload, signature = good(keys).split(".")
    return f"{header}.{payload}.{signature[:10]}!{signature[10:]}"


def _padded_signature(keys: Keys) -> str:
    token = good(keys)
    return token + "=" * (-len(token.rsplit(".", 1)[1]) % 4 or 4)


def _jwe(_: Keys) -> str:
    header = segment({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": KID})
    parts = [b64url(uuid.uuid4().bytes * 4) for _ in range(4)]
    return ".".join([header, *parts])


#: The reliability plan's C1 list, numbered as there; each entry builds one attack token.
ATTACKS: dict[str, Callable[[Keys], str]] = {
    "01-alg-none": none_alg("none"),
    "01-alg-None": none_alg("None"),
    "01-alg-NONE": none_alg("NONE"),
    "01-alg-nOnE": none_alg("nOnE"),
    "02-hs256-public-pem": lambda k: forge(
        {"alg": "HS256", "kid": KID}, claims(), hmac_signer(public_pem(k))
    ),
    "03-hs256-public-der": lambda k: forge(
        {"alg": "HS256", "kid": KID}, claims(), hmac_signer(public_der(k))
    ),
    "04-hs256-public-jwk-text": lambda k: forge(
        {"alg": "HS256", "kid": KID}, claims(), hmac_signer(json.dumps(k.public_jwk).encode())
    ),
    "05-rs512-trusted-key": lambda k: forge(
        {"alg": "RS512", "kid": KID}, claims(), rsa_signer(k.trusted, "RS512")
    ),
    "05-ps256-trusted-key": lambda k: forge(
        {"alg": "PS256", "kid": KID}, claims(), rsa_signer(k.trusted, "PS256")
    ),
    "05-es256-attacker-key": lambda k: forge(
        {"alg": "ES256", "kid": KID}, claims(), es256_signer(k.attacker_ec)
    ),
    "06-rs256-untrusted-key": lambda k: forge(
        {"alg": "RS256", "kid": KID}, claims(), rsa_signer(k.attacker, "RS256")
    ),
    "07-unknown-kid": lambda k: signed_with_trusted(k, kid="rotated-away"),
    "08-kid-path-traversal": lambda k: signed_with_trusted(k, kid="../../../../dev/null"),
    "08-kid-sql": lambda k: signed_with_trusted(k, kid="x' OR '1'='1"),
    "09-jku-attacker-jwks": lambda k: forge(
        {"alg": "RS256", "kid": "attacker", "jku": k.canary_url + "/jwks.json"},
        claims(),
        rsa_signer(k.attacker, "RS256"),
    ),
    "10-x5u-attacker-cert": lambda k: forge(
        {"alg": "RS256", "kid": "attacker", "x5u": k.canary_url + "/cert.pem"},
        claims(),
        rsa_signer(k.attacker, "RS256"),
    ),
    "11-embedded-jwk": lambda k: forge(
        {"alg": "RS256", "jwk": attacker_jwk(k)}, claims(), rsa_signer(k.attacker, "RS256")
    ),
    "12-exp-past-leeway": lambda k: good(k, exp=math.floor(time.time()) - LEEWAY - 1),
    "13-nbf-beyond-leeway": lambda k: good(k, nbf=math.ceil(time.time()) + LEEWAY + 5),
    "14-iat-beyond-leeway": lambda k: good(k, iat=math.ceil(time.time()) + LEEWAY + 5),
    "15-no-exp": lambda k: good(k, exp=None),
    "16-exp-as-string": lambda k: good(k, exp=str(int(time.time()) + 600)),
    "17-wrong-aud": lambda k: good(k, aud="another-api"),
    "18-no-aud": lambda k: good(k, aud=None),
    "19-aud-list-without-ours": lambda k: good(k, aud=["another-api", "batchtask"]),
    "20-wrong-iss": lambda k: good(k, iss="https://evil.example"),
    "21-id-token": lambda k: good(k, nonce="n-0S6_WzA2Mj", aud=AUDIENCE),
    "22-signature-stripped": _stripped,
    "23-payload-altered": _altered,
    "24-unknown-crit": lambda k: signed_with_trusted(
        k, kid=KID, crit=["https://idp.test/policy"], **{"https://idp.test/policy": 1}
    ),
    "25-over-8-kib": _huge,
    "26-non-base64url-char": _bang_in_signature,
    "26-padded-signature": _padded_signature,
    "27-jwe-compact": _jwe,
}


@pytest.fixture(scope="module")
def canary() -> Iterator[socket.socket]:
    """A loopback TCP listener that records any connection (SSRF detector)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield listener
    finally:
        listener.close()


@pytest.fixture(scope="module")
def keys(canary: socket.socket) -> Keys:
    """Fresh keys for this run."""
    trusted = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk: dict[str, Any] = RSAAlgorithm.to_jwk(trusted.public_key(), as_dict=True)
    public_jwk.update(kid=KID, alg="RS256", use="sig")
    host, port = canary.getsockname()
    return Keys(
        trusted=trusted,
        attacker=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        attacker_ec=ec.generate_private_key(ec.SECP256R1()),
        public_jwk=public_jwk,
        canary_url=f"http://{host}:{port}",
    )


@pytest.fixture(scope="module")
def jwks_file(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issuer's JWKS, as the server reads it."""
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [keys.public_jwk]}), "utf-8")
    return path


@pytest.fixture(scope="module", params=ENGINES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, jwks_file: Path
) -> Iterator[LiveServer]:
    """One server per engine validating JWTs against the JWKS file."""
    url = module_database(request, tmp_path_factory)
    with serve(
        url,
        FakeClock(),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        jwt_jwks=str(jwks_file),
        jwt_leeway=LEEWAY,
        credential_cache_ttl=0,
        **UNTHROTTLED,
    ) as server:
        yield server


def get(live: LiveServer, token: str) -> httpx.Response:
    """``GET`` the missing task with ``Authorization: Bearer <token>``."""
    return http(live).get(MISSING, headers=bearer(token))


def assert_canary_silent(canary: socket.socket) -> None:
    """Nobody connected to the canary."""
    readable, _, _ = select.select([canary], [], [], 0.05)
    assert not readable, "the server fetched a URL named by the token"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_401_invalid_token(
    live: LiveServer, keys: Keys, canary: socket.socket, attack: str
) -> None:
    """Each C1 attack → 401 with ``error="invalid_token"``, and no outbound fetch."""
    token = ATTACKS[attack](keys)
    assert_unauthenticated(get(live, token), invalid_token=True)
    assert_canary_silent(canary)


def test_correct_token_is_accepted(live: LiveServer, keys: Keys) -> None:
    """Control: a correctly signed, current access token for alice authenticates."""
    assert_authenticated(get(live, good(keys)))


def test_token_expired_within_leeway_is_accepted(live: LiveServer, keys: Keys) -> None:
    """Control: ``exp = now − leeway + 1 s`` is still inside the leeway and accepted."""
    assert_authenticated(get(live, good(keys, exp=math.ceil(time.time()) - LEEWAY + 1)))


def test_token_without_kid_uses_the_only_key(live: LiveServer, keys: Keys) -> None:
    """With a single key in the JWKS, a token that names no key is checked against it."""
    token = forge({"alg": "RS256"}, claims(), rsa_signer(keys.trusted, "RS256"))
    assert_authenticated(get(live, token))


def test_unknown_subject_is_401(live: LiveServer, keys: Keys) -> None:
    """A valid token whose ``sub`` is no user is refused."""
    assert_unauthenticated(get(live, good(keys, sub="nobody")), invalid_token=True)


def test_disabled_subject_is_401(live: LiveServer, keys: Keys) -> None:
    """A valid token for a disabled user is refused."""
    name = "user-" + uuid.uuid4().hex[:10]
    live.add_user(name)
    assert_authenticated(get(live, good(keys, sub=name)))
    live.call(lambda s: s.users.set_active(name, False))
    assert_unauthenticated(get(live, good(keys, sub=name)), invalid_token=True)


def test_attack_list_is_complete() -> None:
    """All 27 items of the reliability plan's C1 list are present."""
    assert {int(name[:2]) for name in ATTACKS} == set(range(1, 28))


CTX_CLAIM = "http://schemes.superoffice.net/identity/ctx"


def tenant_with_alice(live: LiveServer, name: str) -> None:
    """A second tenant with its own user ``alice`` (the same name as the default tenant's)."""

    async def create() -> None:
        tenants = live.app.state.tenants
        if name.casefold() not in {t.context_identifier.casefold() for t in await tenants.list()}:
            await tenants.add(name)
            services = await tenants.get(name)
            await services.users.add("alice", "Alice's own password 1", Role.user)

    live.run(create())


def test_token_naming_its_tenant_is_accepted_there_only(live: LiveServer, keys: Keys) -> None:
    """A token whose ctx claim names a tenant is that tenant's: 401 in the default tenant."""
    tenant_with_alice(live, "CustJwt1")
    token = good(keys, **{CTX_CLAIM: "custjwt1"})
    assert_authenticated(http(live).get("/CustJwt1" + MISSING, headers=bearer(token)))
    assert_unauthenticated(get(live, token), invalid_token=True)


def test_token_naming_no_tenant_is_the_default_tenants(live: LiveServer, keys: Keys) -> None:
    """A single-tenant issuer's token (no ctx claim) is not accepted by another tenant."""
    tenant_with_alice(live, "CustJwt2")
    token = good(keys)
    assert_authenticated(get(live, token))
    assert_unauthenticated(
        http(live).get("/CustJwt2" + MISSING, headers=bearer(token)), invalid_token=True
    )


def test_token_naming_the_default_tenant_is_accepted(live: LiveServer, keys: Keys) -> None:
    """Control: the claim may name the default tenant too (any case)."""
    assert_authenticated(get(live, good(keys, **{CTX_CLAIM: "CUST00000"})))
