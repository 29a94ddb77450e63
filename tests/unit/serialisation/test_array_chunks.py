"""A list rendered a page at a time is byte for byte the list rendered at once (issue 11 #6)."""

from __future__ import annotations

import pytest

from batchtask.serialisation.render import ArrayChunks, render
from batchtask.serialisation.wire import KeyValues

ENTRIES = [
    {"Id": index, "Name": f"n<{index}>&", "Done": index % 2 == 0, "Gone": None,
     "Parameters": KeyValues({"k": "v\r"}), "Tags": ["a", "b"]}
    for index in range(7)
]  # fmt: skip


@pytest.mark.parametrize("xml", [False, True])
@pytest.mark.parametrize("pages", [[], [[]], [[0]], [[0, 1, 2], [3], [], [4, 5, 6]], [[], [0, 1]]])
def test_pages_joined_are_the_whole_rendering(xml: bool, pages: list[list[int]]) -> None:
    chunks = ArrayChunks(xml=xml, root="ArrayOfBatchTaskInfo", item="BatchTaskInfo")
    pieces = [chunks.start()]
    pieces += [chunks.page([ENTRIES[i] for i in page]) for page in pages]
    pieces.append(chunks.end())
    whole = [ENTRIES[i] for page in pages for i in page]
    assert b"".join(pieces) == render(
        whole, xml=xml, root="ArrayOfBatchTaskInfo", item="BatchTaskInfo"
    )
