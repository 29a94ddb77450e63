"""The CORS policy (``http/cors.py``): who may read, and never ``*`` with credentials."""

from __future__ import annotations

from batchtask.http.cors import CorsPolicy


def test_named_origins_get_themselves_and_credentials() -> None:
    """A listed origin (any case, a trailing slash) is echoed with credentials and Vary."""
    policy = CorsPolicy.of(True, ["https://App.example:8443/"])
    headers = policy.decorate([(b"vary", b"Accept")], "https://app.example:8443")
    assert (b"access-control-allow-origin", b"https://app.example:8443") in headers
    assert (b"access-control-allow-credentials", b"true") in headers
    assert (b"vary", b"Accept, Origin") in headers
    assert policy.decorate([], "https://other.example") == []


def test_wildcard_never_comes_with_credentials() -> None:
    """``*`` answers ``*`` and no ``Allow-Credentials``, in answers and preflights."""
    policy = CorsPolicy.of(True, ["*"])
    for headers in (policy.decorate([], "http://x.example"), policy.preflight("http://x.example")):
        assert headers is not None
        assert (b"access-control-allow-origin", b"*") in headers
        assert all(name != b"access-control-allow-credentials" for name, _ in headers)


def test_disabled_or_empty_allows_nobody() -> None:
    """``CORS_ENABLE=false`` or no origins: no policy at all."""
    for policy in (CorsPolicy.of(False, ["*"]), CorsPolicy.of(True, [])):
        assert not policy.enabled
        assert policy.preflight("http://x.example") is None
        assert policy.decorate([(b"vary", b"Accept")], "http://x.example") == [(b"vary", b"Accept")]
