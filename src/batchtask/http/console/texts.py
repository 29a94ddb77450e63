"""Which console texts exist, and whether every shipped language translates them all.

Texts are found where they are used: ``_("…")`` in the templates, ``t("…")``, ``fill("…")`` and
``N_("…")`` in the script, and the state names (``state:<Name>``). ``scripts/check`` and the tests
call :func:`problems`, so a text added without its translations fails the build.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from batchtask.domain.state import STORABLE, BatchTaskState
from batchtask.i18n import console_text
from batchtask.i18n.language import SHIPPED_LANGUAGES

HERE = Path(__file__).resolve().parent
_TEMPLATE = re.compile(r"""_\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\)""")
_SCRIPT = re.compile(r"""\b(?:t|fill|N_)\("((?:[^"\\]|\\.)*)\"""")
_CODE = re.compile(r"""\b(?:gettext|N_)\("((?:[^"\\]|\\.)*)"\)""")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: States a page can show: every stored one, and Unknown for a deleted task.
STATES = (*sorted(STORABLE), BatchTaskState.Unknown)


def state_messages() -> list[str]:
    """The msgids of the state names."""
    return [f"state:{state.name}" for state in STATES]


@cache
def script_messages() -> list[str]:
    """Every text the script looks up (sent to the page in the viewer's language)."""
    source = (HERE / "static" / "console.js").read_text(encoding="utf-8")
    found = {match.group(1) for match in _SCRIPT.finditer(source)}
    return sorted(found | set(state_messages()))


@cache
def template_messages() -> list[str]:
    """Every text the templates and the page code translate."""
    pages = (HERE / "pages.py").read_text(encoding="utf-8")
    found = {match.group(1) for match in _CODE.finditer(pages)}
    for template in sorted((HERE / "templates").glob("*.html")):
        for match in _TEMPLATE.finditer(template.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return sorted(found)


def problems() -> list[str]:
    """Texts some shipped language does not translate, or translates with other placeholders."""
    needed = sorted(set(template_messages()) | set(script_messages()))
    out = []
    for language in SHIPPED_LANGUAGES:
        texts = console_text.catalogue(language)
        if not texts:
            out.append(f"{language}: no console catalogue at {console_text.path(language)}")
            continue
        for message in needed:
            text = texts.get(message)
            if text is None:
                out.append(f"{language}: console text {message!r} is missing")
            elif set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(message)):
                out.append(f"{language}: console text {message!r} has other placeholders")
        out += [
            f"{language}: console text {m!r} is not used" for m in sorted(set(texts) - set(needed))
        ]
    return out
