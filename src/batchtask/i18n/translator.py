"""Translating response text for one request's language and culture (SPEC §4.5).

Two kinds of translatable text exist. A multi-language value (``US:"Supplier";NO:"Leverandør";``)
is resolved first, because its sections may themselves hold references; then every ``[SR_NAME]``
reference is replaced by the resource text. Unknown references stay as they are, as SuperOffice
leaves them.

:meth:`Translator.text` runs on about ten fields of every response, so it is built for the common
case of plain text: no language, or no ``[`` and no ``:"`` in the value, costs a couple of
substring tests and no regular expression at all.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from batchtask.i18n import multilanguage
from batchtask.i18n.catalogue import resource
from batchtask.i18n.culture import format_number
from batchtask.i18n.language import superoffice_keys

_REFERENCE = re.compile(r"\[(SR_[A-Z0-9_]+)\]")


@dataclass(frozen=True, slots=True)
class Translator:
    """Translates text for ``language`` (``None`` = leave everything untranslated).

    ``culture`` formats numbers in messages and defaults to the language; it is ignored, like
    SuperOffice's ``SO-Culture``, when there is no language. Immutable, so one instance can
    serve every request with the same headers.
    """

    #: ISO 639-1 code as :func:`~batchtask.i18n.language.negotiate_language` returns it.
    language: str | None
    #: Babel locale id as :func:`~batchtask.i18n.culture.negotiate_culture` returns it.
    culture: str | None = None
    #: Multi-language value keys to try, best first.
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        language = self.language or None  # "" is no language, like an absent header
        object.__setattr__(self, "language", language)
        object.__setattr__(self, "culture", (self.culture or language) if language else None)
        object.__setattr__(self, "_keys", superoffice_keys(language) if language else ())

    def text(self, value: str) -> str:
        """``value`` with its multi-language value resolved and ``[SR_…]`` references replaced."""
        language = self.language
        if language is None:
            return value
        if ':"' in value:
            value = multilanguage.choose(value, self._keys)
        if "[" in value:
            value = _REFERENCE.sub(
                lambda match: resource(language, match.group(1)) or match.group(0), value
            )
        return value

    def message(self, resource_name: str, default: str, **params: object) -> str:
        """Resource ``resource_name`` (``default`` when untranslated or unknown), filled in.

        With a language, numbers are formatted in the culture (``12 345`` in ``nb``) except
        identifiers (``id``, ``…_id``), which are never grouped, and string parameters are
        translated too (a ``reason`` may itself be a reference). Placeholders without a
        parameter stay as ``{name}``; a broken template is returned unformatted, never raised.
        """
        if self.language is None or self.culture is None:
            return _fill(default, params)
        template = resource(self.language, resource_name) or default
        culture = self.culture
        localised: dict[str, object] = {}
        for name, value in params.items():
            if isinstance(value, bool) or _is_identifier(name):
                localised[name] = value
            elif isinstance(value, (int, float)):
                localised[name] = format_number(value, culture)
            elif isinstance(value, str):
                localised[name] = self.text(value)
            else:
                localised[name] = value
        return _fill(template, localised)


def _is_identifier(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "Id"))


class _KeepMissing(dict[str, object]):
    """Format parameters where an absent ``{name}`` renders as itself instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + str(key) + "}"


def _fill(template: str, params: dict[str, object]) -> str:
    if "{" not in template:
        return template
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
        return template


NO_TRANSLATION = Translator(None)


@functools.lru_cache(maxsize=256)
def translator_for(language: str | None, culture: str | None) -> Translator:
    """The (shared, immutable) translator for a negotiated language and culture."""
    if language is None:
        return NO_TRANSLATION
    return Translator(language, culture)
