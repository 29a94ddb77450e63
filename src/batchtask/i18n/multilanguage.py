"""SuperOffice multi-language values: ``US:"Supplier";NO:"Leverandør";`` (reference §5.5).

A value is multi-language only when the *whole* string is a sequence of ``KEY:"text";``
sections (two uppercase letters, the ``;`` after the last section optional). A section's text is
everything up to the next ``";`` (or the closing ``"`` of the last section), so it may contain
quotes and semicolons but never ``";``: that is the format's own limit, not ours. Anything else
is plain text and is left alone.
"""

from __future__ import annotations

import re

#: One section, anchored where the previous one ended; whitespace between sections is tolerated.
_SECTION = re.compile(r'\s*([A-Z]{2}):"(.*?)"(?:;|\Z)', re.DOTALL)


def sections(value: str) -> tuple[tuple[str, str], ...] | None:
    """The ``(key, text)`` sections of a multi-language value, or ``None`` if it is not one."""
    found: list[tuple[str, str]] = []
    position, end = 0, len(value.rstrip())
    while position < end:
        match = _SECTION.match(value, position, end)
        if match is None:
            return None
        found.append((match.group(1), match.group(2)))
        position = match.end()
    return tuple(found) or None


def choose(value: str, keys: tuple[str, ...]) -> str:
    """The text for the first of ``keys`` present, else the first section's text.

    ``value`` is returned unchanged when it is not a multi-language value.
    """
    parsed = sections(value)
    if parsed is None:
        return value
    for key in keys:
        for section_key, text in parsed:
            if section_key == key:
                return text
    return parsed[0][1]
