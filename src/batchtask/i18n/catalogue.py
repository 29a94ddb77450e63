"""String resources: the text behind each ``[SR_NAME]`` reference, per language.

Resources live in gettext catalogues, ``locale/<lang>/LC_MESSAGES/batchtask.po``, because that is
the format translators and their tools already know. Unlike ordinary gettext the msgid is the
resource NAME (``SR_BATCH_CANCELLED``), not the English text: SuperOffice clients see and store
the names, so they are the stable identity and the English text can be reworded freely.

Each catalogue is parsed once, on first use. A language without a catalogue, and a name missing
from one, fall back to English, so a partly translated language degrades to English text rather
than to raw references. Fuzzy and empty entries count as missing.

:func:`missing_translations` is the completeness check used by the tests and the lint script.
"""

from __future__ import annotations

import ast
import functools
import re
import string
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from babel.messages.pofile import read_po

from batchtask.i18n import multilanguage
from batchtask.i18n.language import SHIPPED_LANGUAGES

_FALLBACK = "en"
_SHIPPED = frozenset(SHIPPED_LANGUAGES)
_LOCALE = Path(__file__).resolve().parent / "locale"

#: A resource name wherever it appears in source text. A match ending in ``_`` is the prefix of a
#: name assembled at run time (``f"SR_ERROR_{code}"``), not a name, and is not checked.
_NAME = re.compile(r"\bSR_[A-Z0-9_]+")
_PACKAGE_ROOT = _LOCALE.parent.parent


def resource(language: str, name: str) -> str | None:
    """The text of resource ``name`` in ``language`` (English if we lack it); ``None`` if unknown.

    ``language`` is a code as :func:`~batchtask.i18n.language.negotiate_language` returns it.
    """
    if language in _SHIPPED:
        text = _texts(language).get(name)
        if text is not None or language == _FALLBACK:
            return text
    return _texts(_FALLBACK).get(name)


def resource_names() -> frozenset[str]:
    """Every resource name the project ships (the English catalogue is the reference)."""
    return frozenset(_entries(_FALLBACK))


def missing_translations() -> list[str]:
    """Every completeness problem of the shipped catalogues and sources; empty when all is well.

    Checks that each shipped language has a catalogue with exactly the English names, no empty or
    fuzzy text and the same ``{placeholders}``, and that every resource name used in the
    package's Python code exists in English.
    """
    problems: list[str] = []
    catalogues: dict[str, Mapping[str, str]] = {}
    for language in SHIPPED_LANGUAGES:
        if _path(language).is_file():
            catalogues[language] = _entries(language)
        else:
            problems.append(f"{language}: no catalogue at {_path(language)}")
    problems += catalogue_problems(catalogues)
    problems += unknown_references(
        sorted(_PACKAGE_ROOT.rglob("*.py")), catalogues.get(_FALLBACK, {})
    )
    return problems


def catalogue_problems(catalogues: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Differences of each catalogue (language → name → text) from the English one."""
    english = catalogues.get(_FALLBACK)
    if english is None:
        return [f"{_FALLBACK}: the reference catalogue is missing"]
    problems: list[str] = []
    for language, texts in catalogues.items():
        problems += [f"{language}: {name} is missing" for name in sorted(english.keys() - texts)]
        if language != _FALLBACK:
            extra = sorted(texts.keys() - english)
            problems += [f"{language}: {name} is not in the English catalogue" for name in extra]
        for name in sorted(texts.keys() & english):
            text = texts[name]
            if not text:
                problems.append(f"{language}: {name} is empty or fuzzy")
                continue
            mine, theirs = _placeholders(text), _placeholders(english[name])
            if mine is None:
                problems.append(f"{language}: {name} is not a valid format string")
            elif mine != theirs and theirs is not None:
                problems.append(
                    f"{language}: {name} has placeholders {sorted(mine)}, English {sorted(theirs)}"
                )
    return problems


def unknown_references(sources: Iterable[Path], known: Collection[str]) -> list[str]:
    """Resource names used in the string literals of ``sources`` that are not in ``known``.

    Docstrings and other bare string statements are documentation, free to mention example
    names; whole multi-language values are data that is resolved before resources are looked up.
    """
    problems: list[str] = []
    for source in sources:
        for name in sorted(_referenced_names(source.read_text(encoding="utf-8"))):
            if name not in known:
                problems.append(f"{source}: {name} is not in the English catalogue")
    return problems


def _referenced_names(code: str) -> set[str]:
    tree = ast.parse(code)
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in documentation
            and multilanguage.sections(node.value) is None
        ):
            names.update(n for n in _NAME.findall(node.value) if not n.endswith("_"))
    return names


def _placeholders(template: str) -> frozenset[str] | None:
    """The ``{field}`` names of a format string; ``None`` when it is malformed."""
    try:
        return frozenset(field for _, field, _, _ in string.Formatter().parse(template) if field)
    except ValueError:
        return None


def _path(language: str) -> Path:
    return _LOCALE / language / "LC_MESSAGES" / "batchtask.po"


@functools.cache
def _entries(language: str) -> Mapping[str, str]:
    """Name → text as written in the catalogue; fuzzy entries read as empty (untranslated)."""
    with _path(language).open("rb") as file:
        catalogue = read_po(file, locale=language, domain="batchtask", ignore_obsolete=True)
    return {
        message.id: "" if message.fuzzy else message.string
        for message in catalogue
        if message.id and isinstance(message.id, str) and isinstance(message.string, str)
    }


@functools.cache
def _texts(language: str) -> Mapping[str, str]:
    """The usable entries: those with a non-empty, non-fuzzy text."""
    return {name: text for name, text in _entries(language).items() if text}
