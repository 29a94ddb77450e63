"""Golden files: answers compared byte for byte with ``tests/integration/golden/``.

The live server's port changes every run, so its base URL is replaced by ``http://testserver``
before comparing. Regenerate deliberately with ``UPDATE_GOLDEN=1 pytest …``.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"
BASE = b"http://testserver"


def assert_golden(name: str, content: bytes, base_url: str) -> None:
    """``content`` (with ``base_url`` neutralised) equals the golden file ``name``."""
    normal = content.replace(base_url.encode(), BASE)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(normal)
    assert normal == path.read_bytes(), f"{name} differs; UPDATE_GOLDEN=1 regenerates it"
