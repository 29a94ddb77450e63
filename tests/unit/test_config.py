"""Settings from BATCHTASK_* variables: parsed, validated, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchtask.config import Secret, Settings, SettingsError


def test_environment_values_are_parsed() -> None:
    """Ints, bools, floats, lists and secrets come from text."""
    settings = Settings.from_env(
        {
            "BATCHTASK_DATABASE_URL": "sqlite:///x.db",
            "BATCHTASK_PORT": "9000",
            "BATCHTASK_BASIC_AUTH": "off",
            "BATCHTASK_LEASE": "12.5",
            "BATCHTASK_APP_TOKENS": "a, b",
        }
    )
    assert (settings.port, settings.basic_auth, settings.lease) == (9000, False, 12.5)
    assert [token.value for token in settings.app_tokens] == ["a", "b"]
    assert "a" not in repr(settings.app_tokens)
    assert settings.online_mode


def test_overrides_win_over_the_environment() -> None:
    """CLI flags (keyword overrides) beat variables."""
    settings = Settings.from_env(
        {"BATCHTASK_PORT": "9000", "BATCHTASK_DATABASE_URL": "sqlite:///x"}, port=9001
    )
    assert settings.port == 9001


def test_every_problem_is_reported_with_its_variable() -> None:
    """Malformed, invalid and unknown variables are all named in one error."""
    with pytest.raises(SettingsError) as error:
        Settings.from_env(
            {"BATCHTASK_PORT": "eighty", "BATCHTASK_BASIC_AUTH": "maybe", "BATCHTASK_NOPE": "1"}
        )
    message = str(error.value)
    for name in ("BATCHTASK_PORT", "BATCHTASK_BASIC_AUTH", "BATCHTASK_NOPE"):
        assert name in message


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({"database_url": "mysql://x"}, "DATABASE_URL"),
        ({"port": 0}, "PORT"),
        ({"heartbeat": 40.0}, "HEARTBEAT"),
        ({"jwt_issuer": "https://idp"}, "JWT_ISSUER"),
        ({"jwt_algorithms": ("HS256",)}, "JWT_ALGORITHMS"),
        ({"context_identifier": "Cust 1"}, "CONTEXT_IDENTIFIER"),
        ({"sqlite_synchronous": "sometimes"}, "SQLITE_SYNCHRONOUS"),
        ({"http_header_limit": 4096}, "HTTP_HEADER_LIMIT"),  # hyper's buffer is at least 8 KiB
        ({"http_header_limit": 2 * 1024 * 1024}, "HTTP_HEADER_LIMIT"),
    ],
)
def test_invalid_values_are_refused(overrides: dict[str, object], name: str) -> None:
    """Validation names the offending setting."""
    values = {"database_url": "sqlite:///x.db", **overrides}
    with pytest.raises(SettingsError, match=name):
        Settings(**values)  # type: ignore[arg-type]


def test_cors_origins_are_separated_by_spaces_or_commas() -> None:
    """``CORS_ORIGINS`` reads like SuperOffice's space-separated ``CORSOrigin`` (commas too)."""
    settings = Settings.from_env(
        {
            "BATCHTASK_DATABASE_URL": "sqlite:///x.db",
            "BATCHTASK_CORS_ORIGINS": "http://a.example  https://b.example:8443,*",
            "BATCHTASK_CORS_ENABLE": "false",
        }
    )
    assert settings.cors_origins == ("http://a.example", "https://b.example:8443", "*")
    assert settings.cors_enable is False
    assert Settings(database_url="sqlite:///x.db").cors_origins == ()


@pytest.mark.parametrize("origin", ["ftp://a.example", "http://a.example/path", "a.example", ""])
def test_malformed_cors_origins_are_refused(origin: str) -> None:
    """An origin is ``*`` or ``scheme://host[:port]``; anything else stops the program."""
    with pytest.raises(SettingsError, match="BATCHTASK_CORS_ORIGINS"):
        Settings(database_url="sqlite:///x.db", cors_origins=(origin,))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_the_emulator_binds_loopback_without_a_token(host: str) -> None:
    """``--emulator`` on loopback needs nothing more."""
    assert Settings(database_url="sqlite:///x.db", host=host, emulator=True).emulator


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_the_emulator_refuses_another_address_without_a_token(host: str) -> None:
    """Anyone who reaches the controls could reset every tenant: a token is required."""
    with pytest.raises(SettingsError, match="BATCHTASK_EMULATOR_TOKEN"):
        Settings(database_url="sqlite:///x.db", host=host, emulator=True)
    settings = Settings.from_env(
        {
            "BATCHTASK_DATABASE_URL": "sqlite:///x.db",
            "BATCHTASK_HOST": host,
            "BATCHTASK_EMULATOR": "true",
            "BATCHTASK_EMULATOR_TOKEN": "t0ken",
        }
    )
    assert settings.emulator_token.value == "t0ken"
    assert "t0ken" not in repr(settings)


def test_the_emulator_runs_in_one_process() -> None:
    """Its controls live in one process's memory."""
    with pytest.raises(SettingsError, match="one API process"):
        Settings(database_url="sqlite:///x.db", emulator=True, http_workers=2)


def test_without_a_url_the_database_is_a_sqlite_file_in_the_users_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No ``BATCHTASK_DATABASE_URL``: ``batchtask.db`` under the platform's data directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().database_url == f"sqlite:///{tmp_path / 'batchtask' / 'batchtask.db'}"


def test_a_secret_never_prints_itself() -> None:
    """Neither ``str`` nor ``repr`` (so neither logs nor tracebacks) show a secret's value."""
    secret = Secret("hunter2")
    assert "hunter2" not in f"{secret} {secret!r}"
    assert secret.value == "hunter2"
