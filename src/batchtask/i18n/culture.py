"""Culture (``SO-Culture``): how numbers and dates look inside pre-formatted text (SPEC §4.5).

Culture only touches text the API formats itself (OData display values, numbers in translated
messages); JSON numbers and ISO dates stay culture-neutral. SuperOffice ignores ``SO-Culture``
when no language is set, and defaults it to the language. All formats come from Babel's CLDR
data: there are no hand-written format tables here.

A culture is a Babel locale id (``nb_NO``, ``en_US``, ``sv``). Formatting never fails on a bad
culture: it degrades to the culture's language, then to English.
"""

from __future__ import annotations

import decimal
import functools
import re
from datetime import date, datetime

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal

#: BCP 47-ish: a language, then script/territory/variant subtags, ``-`` or ``_`` separated.
#: Checked before Babel sees the value, which comes from a request header.
_LOCALE_ID = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}", re.ASCII)
_ENGLISH = Locale("en")


def negotiate_culture(so_culture: str | None, language: str | None) -> str | None:
    """The Babel locale id to format with; ``None`` when there is no language (no translation).

    ``so_culture`` like ``nb-NO`` becomes ``nb_NO``; blank or unknown cultures give ``language``.
    """
    if language is None:
        return None
    if so_culture:
        parsed = _parse(so_culture.strip())
        if parsed is not None:
            return str(parsed)
    return language


def format_number(value: int | float, culture: str) -> str:
    """``value`` as the culture writes it: ``1 234,5`` in ``nb``, ``1,234.5`` in ``en``."""
    try:
        return str(format_decimal(value, locale=locale_of(culture)))
    except decimal.InvalidOperation:  # magnitudes beyond Babel's decimal context
        return str(value)


def format_datetime(value: datetime, culture: str) -> str:
    """``value`` in the culture's medium date-time format, in ``value``'s own zone.

    Convert to the requested time zone first; naive values are shown as they are.
    """
    return str(babel_format_datetime(value, format="medium", locale=locale_of(culture)))


def format_date(value: date, culture: str) -> str:
    """``value`` in the culture's medium date format (``28. nov. 2026`` in ``nb``)."""
    return str(babel_format_date(value, format="medium", locale=locale_of(culture)))


@functools.lru_cache(maxsize=256)
def locale_of(culture: str) -> Locale:
    """The Babel locale for ``culture``, else for its language, else English.

    Cached because building a Locale loads CLDR data and the same few cultures recur.
    """
    parsed = _parse(culture)
    if parsed is None:
        parsed = _parse(culture.replace("-", "_").split("_", 1)[0])
    return parsed or _ENGLISH


def _parse(identifier: str) -> Locale | None:
    if not _LOCALE_ID.fullmatch(identifier):
        return None
    try:
        parsed: Locale = Locale.parse(identifier.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None
    return parsed
