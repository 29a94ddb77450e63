"""Texts of the console pages, per language (SPEC §10.2: "texts in their language").

The console's catalogues are ``locale/<lang>/LC_MESSAGES/console.po`` beside the string
resources, in the ordinary gettext style: the msgid is the English text (``"Retry"``), because
these are user-interface words, not names clients store. State names use the msgid
``state:<Name>`` so the wire spelling (``Aquired``) can read as a word in every language. A text
a catalogue lacks falls back to its msgid, so a missing translation shows English, never a key.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from babel.messages.pofile import read_po

from batchtask.i18n.language import SHIPPED_LANGUAGES

_LOCALE = Path(__file__).resolve().parent / "locale"
#: The console's language when the browser asks for none we ship.
DEFAULT = "en"


def path(language: str) -> Path:
    """Where a language's console catalogue lives."""
    return _LOCALE / language / "LC_MESSAGES" / "console.po"


@functools.cache
def catalogue(language: str) -> Mapping[str, str]:
    """msgid → text of one language (empty and fuzzy entries left out)."""
    if language not in SHIPPED_LANGUAGES or not path(language).is_file():
        return {}
    with path(language).open("rb") as file:
        parsed = read_po(file, locale=language, domain="console", ignore_obsolete=True)
    return {
        message.id: message.string
        for message in parsed
        if isinstance(message.id, str)
        and message.id
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


def text(language: str, message: str) -> str:
    """``message`` in ``language`` (English text when untranslated)."""
    return catalogue(language).get(message) or catalogue(DEFAULT).get(message) or message
