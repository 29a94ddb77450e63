"""The pytest plugin as users run it: ``pytest -n 2`` over modules that use its fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_the_fixtures_under_pytest_xdist() -> None:
    """Two workers, each with its own emulator, every test with its own tenant: all pass."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-v", "-p", "no:cacheprovider",
         "tests/plugin", "tests/guide/test_integration_example.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "9 passed" in output, output
    assert "[gw0]" in output
    assert "[gw1]" in output


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    from importlib.metadata import entry_points  # noqa: PLC0415

    found = [entry.value for entry in entry_points(group="pytest11") if entry.name == "batchtask"]
    assert found == ["batchtask.pytest_plugin"]
