"""Runtime settings: parsed from the environment, validated, and turned into a worker config."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchtask.config import Settings, SettingsError
from batchtask.worker.runner import WorkerConfig


def test_runtime_settings_come_from_the_environment() -> None:
    """Lists, numbers and the files folder beside the SQLite file."""
    settings = Settings.from_env(
        {
            "BATCHTASK_DATABASE_URL": "sqlite:////srv/bt/batchtask.db",
            "BATCHTASK_HTTP_ALLOW": "http://127.0.0.1:9000/hooks, https://example.com/",
            "BATCHTASK_HANDLERS": "acme.tasks, acme.more",
            "BATCHTASK_RETENTION_SUCCEEDED": "86400",
            "BATCHTASK_CANCEL_GRACE": "2.5",
        }
    )
    assert settings.http_allow == ("http://127.0.0.1:9000/hooks", "https://example.com/")
    assert settings.handlers == ("acme.tasks", "acme.more")
    assert (settings.retention_succeeded, settings.retention_failed) == (86400, 0)
    assert settings.files_path == Path("/srv/bt/files")
    assert Settings(database_url="sqlite:///x.db", files_dir="/data/f").files_path == Path(
        "/data/f"
    )


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({"http_allow": ("ftp://x",)}, "HTTP_ALLOW"),
        ({"handlers": ("not a module",)}, "HANDLERS"),
        ({"poll_interval": 0}, "POLL_INTERVAL"),
        ({"cancel_grace": -1}, "CANCEL_GRACE"),
        ({"shutdown_grace": -1}, "SHUTDOWN_GRACE"),
        ({"retention_failed": -1}, "RETENTION_FAILED"),
        ({"retention_interval": 0}, "RETENTION_INTERVAL"),
    ],
)
def test_invalid_runtime_settings_are_refused(overrides: dict[str, object], name: str) -> None:
    """Each problem names its variable."""
    with pytest.raises(SettingsError, match=name):
        Settings(database_url="sqlite:///x.db", **overrides)  # type: ignore[arg-type]


def test_worker_config_takes_settings_and_overrides() -> None:
    """CLI flags (overrides) win; ``None`` means "not given"."""
    settings = Settings(database_url="sqlite:///d/x.db", concurrency=8, lease=20, heartbeat=5)
    config = WorkerConfig.from_settings(settings, concurrency=None, shutdown_grace=0)
    assert (config.concurrency, config.lease, config.heartbeat) == (8, 20, 5)
    assert (config.shutdown_grace, config.files_dir) == (0, Path("d/files"))
    assert config.owner.count(":") == 2
