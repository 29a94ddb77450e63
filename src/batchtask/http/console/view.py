"""Rendering a console page for one viewer: the language, the time zone and the formats.

The language comes from the browser (``Accept-Language``, the shipped languages, English
otherwise); the time zone from the ``batchtask_tz`` cookie the console's script sets from the
browser's own zone (UTC until it has). Dates and numbers are formatted by Babel in the viewer's
culture; task texts (``[SR_…]`` references, multi-language values) go through the same
translator the API uses. Templates are autoescaped Jinja2; no page carries inline script or style.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from batchtask.i18n import console_text
from batchtask.i18n.culture import locale_of, negotiate_culture
from batchtask.i18n.language import negotiate_language
from batchtask.i18n.translator import Translator, translator_for
from batchtask.serialisation.admin import instant

TEMPLATES = Path(__file__).resolve().parent / "templates"
ZONE_COOKIE = "batchtask_tz"
#: What the pages may load and run (SPEC §10.2: strict, nothing from another host).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "vary": "Cookie, Accept-Language",
}


@cache
def environment() -> Environment:
    """The Jinja2 environment (templates from the package, autoescaped)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def zone_of(cookies: dict[str, str]) -> ZoneInfo:
    """The viewer's IANA zone from the cookie; UTC when absent or unknown."""
    name = unquote(cookies.get(ZONE_COOKIE, ""))
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def duration_text(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``2 h 10 min``, ``1 d 4 h`` (as the script writes them).

    A zero second part is left out (``2 h``, not ``2 h 0 min``) so the figure fits its card.
    """
    s = max(0, round(seconds))
    for size, unit, part, part_unit in (
        (86400, "d", 3600, "h"),
        (3600, "h", 60, "min"),
        (60, "min", 1, "s"),
    ):
        if s >= size:
            rest = (s % size) // part
            return f"{s // size} {unit} {rest} {part_unit}" if rest else f"{s // size} {unit}"
    return f"{s} s"


@dataclass(frozen=True, slots=True)
class Viewer:
    """One viewer's language, culture and zone, and the helpers templates format with."""

    language: str
    zone: ZoneInfo
    translator: Translator

    @classmethod
    def of(cls, accept_language: str | None, cookies: dict[str, str]) -> Viewer:
        """From the request's ``Accept-Language`` and cookies."""
        language = negotiate_language(None, accept_language) or console_text.DEFAULT
        # The browser's first choice (en-GB, nb-NO) formats dates and numbers when it is a
        # variant of the language shown; otherwise the language's own formats.
        first = (accept_language or "").split(",", 1)[0].split(";", 1)[0].strip()
        same = first.replace("_", "-").lower().split("-", 1)[0] == language
        culture = negotiate_culture(first if same else None, language)
        return cls(language, zone_of(cookies), translator_for(language, culture))

    def gettext(self, message: str) -> str:
        """A console text in the viewer's language."""
        return console_text.text(self.language, message)

    def local(self, value: datetime) -> str:
        """Date and time in the viewer's zone and culture (short date, time with seconds)."""
        locale = locale_of(self.translator.culture or self.language)
        moment = value.astimezone(self.zone)
        return f"{format_date(moment, 'short', locale=locale)} {format_time(moment, 'medium', locale=locale)}"

    def number(self, value: float) -> str:
        """A number grouped in the viewer's culture."""
        return format_decimal(value, locale=locale_of(self.translator.culture or self.language))

    def millis(self, value: float | None) -> str:
        """A run time: ``850 ms``, ``2.4 s``, ``3 min 5 s``; ``—`` when unknown."""
        if value is None:
            return "—"
        if value < 1000:
            return f"{self.number(round(value))} ms"
        if value < 60_000:
            return f"{self.number(round(value / 1000, 1))} s"
        return duration_text(value / 1000)

    def state_label(self, state: str) -> str:
        """A state's name in the viewer's language."""
        key = f"state:{state}"
        label = self.gettext(key)
        return state if label == key else label

    def helpers(self) -> dict[str, Callable[..., Any]]:
        """What every template may call."""
        return {
            "_": self.gettext,
            "tr": self.translator.text,
            "local": self.local,
            "iso": instant,
            "number": self.number,
            "millis": self.millis,
            "duration": duration_text,
            "state_label": self.state_label,
        }

    def texts(self, messages: list[str]) -> dict[str, str]:
        """The script's texts in the viewer's language."""
        return {message: self.gettext(message) for message in messages}


def page(template: str, viewer: Viewer, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A rendered page with the console's security headers."""
    html = (
        environment()
        .get_template(template)
        .render(lang=viewer.language, zone=viewer.zone.key, **viewer.helpers(), **context)
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
