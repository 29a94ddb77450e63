"""The ``SO-TimeZone`` header: which IANA zone a request's dates are read and written in (§4.6).

SuperOffice names zones by location code or numeric id (``NO`` ≡ ``261``), optionally followed
by ``, includeTZOffset``. Its full table is tenant data the docs never list, so codes are mapped
here onto IANA zones: ``UTC``; ISO 3166-1 countries through CLDR's territory → zone data (Babel);
ISO 3166-2 subdivisions of countries spanning several zones through a table of IANA zone *names*
(never fixed offsets, so daylight saving time follows the tz database); and the ten numeric ids
the docs do list.

CLDR lists a country's zones in no meaningful order (the US list starts with ``America/Adak``)
and Babel does not ship CLDR's primary-zone data, so the zone a bare multi-zone country code
means is named in :data:`_PRIMARY_ZONES`: the capital's, or the most populous one's.

A bad header is the client's mistake, so everything unparseable raises
:class:`~batchtask.domain.errors.UnknownTimeZone` (400) and nothing else.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.core import get_global

from batchtask.domain.errors import UnknownTimeZone

UTC_CODE = "UTC"

#: The ids of SuperOffice's ``GET /api/v1/TimeZone`` that its documentation shows.
_DOCUMENTED_IDS: dict[int, str] = {
    1: "UTC",
    36: "AU-ACT",
    50: "BD",
    114: "CA-QC",
    140: "DK",
    156: "FR",
    261: "NO",
    425: "US-CA",
    433: "US-HI",
    460: "US-NY",
}

#: ISO 3166-2 subdivisions of multi-zone countries → IANA zone.
_SUBDIVISIONS: dict[str, str] = {
    # United States
    "US-AK": "America/Anchorage",
    "US-AZ": "America/Phoenix",
    "US-CA": "America/Los_Angeles",
    "US-CO": "America/Denver",
    "US-DC": "America/New_York",
    "US-FL": "America/New_York",
    "US-GA": "America/New_York",
    "US-HI": "Pacific/Honolulu",
    "US-IL": "America/Chicago",
    "US-MA": "America/New_York",
    "US-MI": "America/Detroit",
    "US-MN": "America/Chicago",
    "US-NV": "America/Los_Angeles",
    "US-NY": "America/New_York",
    "US-OR": "America/Los_Angeles",
    "US-TX": "America/Chicago",
    "US-UT": "America/Denver",
    "US-WA": "America/Los_Angeles",
    # Canada
    "CA-AB": "America/Edmonton",
    "CA-BC": "America/Vancouver",
    "CA-MB": "America/Winnipeg",
    "CA-NB": "America/Moncton",
    "CA-NL": "America/St_Johns",
    "CA-NS": "America/Halifax",
    "CA-NT": "America/Edmonton",
    "CA-NU": "America/Iqaluit",
    "CA-ON": "America/Toronto",
    "CA-PE": "America/Halifax",
    "CA-QC": "America/Toronto",
    "CA-SK": "America/Regina",
    "CA-YT": "America/Whitehorse",
    # Australia
    "AU-ACT": "Australia/Sydney",
    "AU-NSW": "Australia/Sydney",
    "AU-NT": "Australia/Darwin",
    "AU-QLD": "Australia/Brisbane",
    "AU-SA": "Australia/Adelaide",
    "AU-TAS": "Australia/Hobart",
    "AU-VIC": "Australia/Melbourne",
    "AU-WA": "Australia/Perth",
    # Brazil
    "BR-AC": "America/Rio_Branco",
    "BR-AM": "America/Manaus",
    "BR-DF": "America/Sao_Paulo",
    "BR-RJ": "America/Sao_Paulo",
    "BR-SP": "America/Sao_Paulo",
    # Russia
    "RU-IRK": "Asia/Irkutsk",
    "RU-KGD": "Europe/Kaliningrad",
    "RU-MOW": "Europe/Moscow",
    "RU-NVS": "Asia/Novosibirsk",
    "RU-PRI": "Asia/Vladivostok",
    "RU-SPE": "Europe/Moscow",
    "RU-SVE": "Asia/Yekaterinburg",
    # Mexico
    "MX-BCN": "America/Tijuana",
    "MX-CMX": "America/Mexico_City",
    "MX-JAL": "America/Mexico_City",
    "MX-NLE": "America/Monterrey",
    "MX-ROO": "America/Cancun",
    # Argentina, Indonesia, China
    "AR-C": "America/Argentina/Buenos_Aires",
    "AR-NQ": "America/Argentina/Salta",
    "ID-BA": "Asia/Makassar",
    "ID-JK": "Asia/Jakarta",
    "ID-PA": "Asia/Jayapura",
    "CN-BJ": "Asia/Shanghai",
    "CN-XJ": "Asia/Urumqi",
}

#: The zone a bare code means for each country that CLDR gives several zones.
_PRIMARY_ZONES: dict[str, str] = {
    "AQ": "Antarctica/McMurdo",
    "AR": "America/Argentina/Buenos_Aires",
    "AU": "Australia/Sydney",
    "BR": "America/Sao_Paulo",
    "CA": "America/Toronto",
    "CD": "Africa/Kinshasa",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CY": "Asia/Nicosia",
    "DE": "Europe/Berlin",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "FM": "Pacific/Pohnpei",
    "GL": "America/Nuuk",
    "ID": "Asia/Jakarta",
    "KI": "Pacific/Tarawa",
    "KZ": "Asia/Almaty",
    "MH": "Pacific/Majuro",
    "MN": "Asia/Ulaanbaatar",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NZ": "Pacific/Auckland",
    "PF": "Pacific/Tahiti",
    "PG": "Pacific/Port_Moresby",
    "PS": "Asia/Hebron",
    "PT": "Europe/Lisbon",
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "UM": "Pacific/Wake",
    "US": "America/New_York",
    "UZ": "Asia/Tashkent",
}

_OPTION = "includetzoffset"
#: Longer values are rejected unparsed and uncached: the longest code is 6 characters.
_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """A parsed ``SO-TimeZone`` header."""

    #: The canonical code (``US-NY``, ``NO``, ``UTC``), also when the header gave a numeric id.
    code: str
    zone: ZoneInfo
    #: ``, includeTZOffset`` was given: render dates with their offset (``-0500``, or ``Z``).
    include_offset: bool


def parse_timezone_header(value: str) -> ZoneChoice:
    """The zone an ``SO-TimeZone`` value names; ``UnknownTimeZone`` for anything else."""
    choice = _parse(value) if len(value) <= _MAX_LENGTH else None
    if choice is None:
        shown = value.strip()[:_MAX_LENGTH]
        raise UnknownTimeZone(f"Unknown time zone: {shown!r}", field="SO-TimeZone", zone=shown)
    return choice


def resolve_zone(name: str) -> ZoneInfo:
    """The server's base zone from a setting: an SO code or id, or an IANA name (``Europe/Oslo``).

    Raises ValueError for anything else (``, includeTZOffset`` included: it means nothing here).
    """
    found = _code_and_zone(name.strip()) if len(name) <= _MAX_LENGTH else None
    if found is not None:
        return found[1]
    if name in _iana_names():
        return ZoneInfo(name)
    raise ValueError(
        f"Unknown time zone {name!r}: expected an SO-TimeZone code or id (UTC, NO, US-NY, 261) "
        "or an IANA zone name (Europe/Oslo)"
    )


def zone_codes() -> frozenset[str]:
    """Every code :func:`parse_timezone_header` accepts (numeric ids aside)."""
    return frozenset({UTC_CODE, *_SUBDIVISIONS, *_country_zones()})


@functools.lru_cache(maxsize=1024)
def _parse(value: str) -> ZoneChoice | None:
    """Cached parse; ``None`` (cacheable, unlike an exception) for an unknown zone."""
    code_text, comma, option = value.partition(",")
    if comma and option.strip().lower() != _OPTION:
        return None
    found = _code_and_zone(code_text.strip())
    if found is None:
        return None
    return ZoneChoice(code=found[0], zone=found[1], include_offset=bool(comma))


def _code_and_zone(text: str) -> tuple[str, ZoneInfo] | None:
    if not text.isascii():
        return None
    code = text.upper()
    if code.isdigit():
        code = _DOCUMENTED_IDS.get(int(code), "")
    if code == UTC_CODE:
        name: str | None = "UTC"
    else:
        name = _SUBDIVISIONS.get(code) or _country_zones().get(code)
    if name is None:
        return None
    zone = _zone(name)
    return (code, zone) if zone is not None else None


@functools.cache
def _country_zones() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → IANA zone, from CLDR (``ZZ``, unknown region, excluded)."""
    zones: Mapping[str, list[str]] = get_global("territory_zones")
    return {
        country: _PRIMARY_ZONES.get(country, names[0])
        for country, names in zones.items()
        if len(country) == 2 and country.isalpha() and country != "ZZ" and names
    }


@functools.cache
def _zone(name: str) -> ZoneInfo | None:
    """The zone, or ``None`` if this tzdata predates a zone CLDR already knows."""
    try:
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@functools.cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
