"""Which language a request wants, from ``SO-Language`` and ``Accept-Language`` (SPEC §4.5).

The answer is a lowercase ISO 639-1 code, or ``None`` meaning "do not translate": SuperOffice
returns ``[SR_…]`` references and multi-language values raw when no language is set, and
``SO-Language: *`` (or ``x``) asks for exactly that.

``SO-Language`` is the client's explicit choice, so it may name a language we ship no string
resources for as long as SuperOffice has a multi-language key for it (``fi``, ``es``, ``it``,
``pl``): multi-language values can still be resolved and resources fall back to English.
``Accept-Language`` is a browser's wish list, so only languages we ship can win it.

Both headers come straight from the network: parsing never raises, and work is bounded.
"""

from __future__ import annotations

import functools
import re

SHIPPED_LANGUAGES: tuple[str, ...] = ("en", "nb", "sv", "da", "de", "fr", "nl")

#: ISO 639-1 code → the SuperOffice keys of multi-language values, in the order to try them.
_SUPEROFFICE_KEYS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB"),
    "nb": ("NO",),
    "sv": ("SE",),
    "da": ("DK",),
    "de": ("GE",),
    "fr": ("FR",),
    "nl": ("NL",),
    "fi": ("FI",),
    "es": ("ES",),
    "it": ("IT",),
    "pl": ("PL",),
}

#: Norwegian has three ISO codes (and two ISO 639-2 ones); SuperOffice has one ``NO`` key.
_ALIASES = {"no": "nb", "nn": "nb", "nob": "nb", "nno": "nb", "nor": "nb"}

#: Languages ``SO-Language`` may name; ``Accept-Language`` is limited to SHIPPED_LANGUAGES.
_KEYED_LANGUAGES = frozenset(_SUPEROFFICE_KEYS)
_SHIPPED = frozenset(SHIPPED_LANGUAGES)

#: Longer headers are not cached (a cache entry would keep the whole string alive). Only the
#: first _MAX_HEADER characters and _MAX_ENTRIES entries are looked at: no real client sends more,
#: and a hostile one cannot make parsing slow.
_MAX_CACHED_LENGTH = 512
_MAX_HEADER = 4096
_MAX_ENTRIES = 64

_Q_VALUE = re.compile(r"q\s*=\s*([01](?:\.[0-9]{0,6})?)", re.ASCII | re.IGNORECASE)
_Q_PARAMETER = re.compile(r"q\s*=", re.ASCII | re.IGNORECASE)
_SWITCH_OFF = frozenset({"*", "x"})


def negotiate_language(so_language: str | None, accept_language: str | None) -> str | None:
    """The request's language (ISO 639-1, lowercase) or ``None`` for no translation.

    ``SO-Language`` wins when non-blank; ``*``/``x`` there switch translation off. Otherwise the
    highest-q ``Accept-Language`` tag naming a shipped language wins, ties going to header order.
    """
    so_language = so_language.strip() if so_language else ""
    if so_language:
        if len(so_language) > _MAX_CACHED_LENGTH:
            return _negotiate(so_language, None)
        return _negotiate_cached(so_language, None)
    if not accept_language:
        return None
    if len(accept_language) > _MAX_CACHED_LENGTH:
        return _negotiate(None, accept_language)
    return _negotiate_cached(None, accept_language)


def superoffice_keys(language: str) -> tuple[str, ...]:
    """The multi-language value keys for ``language``, best first; ``()`` when it has none."""
    language = language.lower()
    return _SUPEROFFICE_KEYS.get(_ALIASES.get(language, language), ())


def _negotiate(so_language: str | None, accept_language: str | None) -> str | None:
    if so_language:
        if so_language.lower() in _SWITCH_OFF:
            return None
        return _best(so_language, _KEYED_LANGUAGES)
    if accept_language:
        return _best(accept_language, _SHIPPED)
    return None


#: Clients repeat identical headers, so the same few strings are parsed again and again.
_negotiate_cached = functools.lru_cache(maxsize=1024)(_negotiate)


def _best(header: str, acceptable: frozenset[str]) -> str | None:
    """The acceptable language with the highest q-value; the first one listed among equals."""
    best: str | None = None
    best_q = 0.0
    for language, q in _weighted_languages(header):
        if language in acceptable and q > best_q:
            best, best_q = language, q
    return best


def _weighted_languages(header: str) -> list[tuple[str, float]]:
    """``(language, q)`` for each entry, in header order; unparseable entries are skipped.

    Besides RFC 9110's ``tag;q=0.5, tag`` this accepts SuperOffice's own sample
    ``en-us; en-gb``, where ``;`` separates tags: a ``;`` part that is not a ``q=`` parameter
    starts a new entry.
    """
    entries: list[tuple[str, float]] = []
    for item in header[:_MAX_HEADER].split(",", _MAX_ENTRIES)[:_MAX_ENTRIES]:
        pending: list[str] = []
        for part in item.split(";", _MAX_ENTRIES)[:_MAX_ENTRIES]:
            token = part.strip()
            if not _Q_PARAMETER.match(token):
                pending.append(token)
                continue
            q = _quality(token)
            # A q parameter weights the tag just before it; earlier ones in the item had none.
            entries.extend((tag, 1.0) for tag in pending[:-1])
            if pending and q is not None:
                entries.append((pending[-1], q))
            pending = []
        entries.extend((tag, 1.0) for tag in pending)
    result: list[tuple[str, float]] = []
    for tag, q in entries:
        language = _primary_language(tag)
        if language is not None and q > 0:
            result.append((language, q))
    return result


def _quality(token: str) -> float | None:
    match = _Q_VALUE.fullmatch(token)
    return min(float(match.group(1)), 1.0) if match else None


def _primary_language(tag: str) -> str | None:
    """``nb-NO`` → ``nb``, ``en_US`` → ``en``, ``NO`` → ``nb``; ``None`` for anything else."""
    primary = tag.replace("_", "-").split("-", 1)[0].lower()
    if not (2 <= len(primary) <= 3 and primary.isascii() and primary.isalpha()):
        return None
    return _ALIASES.get(primary, primary)
