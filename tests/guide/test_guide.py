"""The guide shows the example test file exactly as CI runs it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "testing-your-integration.md"
EXAMPLE = ROOT / "tests" / "guide" / "test_integration_example.py"
START = "<!-- example: tests/guide/test_integration_example.py -->\n```python\n"
END = "```\n<!-- end of example -->"


def test_the_guide_shows_the_example_file_whole() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    assert text.count(START) == 1
    shown = text.split(START, 1)[1].split(END, 1)[0]
    assert shown == EXAMPLE.read_text(encoding="utf-8")


def test_the_guide_names_every_fixture_of_the_plugin() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for fixture in ("batchtask_server", "batchtask_tenant", "batchtask_client"):
        assert f"`{fixture}`" in text
