"""The console's duration text: the same words the page script writes, short enough for a card."""

from __future__ import annotations

import pytest

from batchtask.http.console.view import duration_text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (42.4, "42 s"),
        (60, "1 min"),
        (185, "3 min 5 s"),
        (7200, "2 h"),
        (7800, "2 h 10 min"),
        (86400 + 4 * 3600 + 59, "1 d 4 h"),
        (2 * 86400, "2 d"),
        (-5, "0 s"),
    ],
)
def test_duration_text(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text
