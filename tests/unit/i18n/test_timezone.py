"""The ``SO-TimeZone`` header and the server's base zone (SPEC §4.6)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.core import get_global
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtask.domain.errors import InvalidInput, UnknownTimeZone
from batchtask.i18n.timezone import (
    _PRIMARY_ZONES,
    ZoneChoice,
    parse_timezone_header,
    resolve_zone,
    zone_codes,
)

DOCUMENTED_IDS = {
    "1": ("UTC", "UTC"),
    "36": ("AU-ACT", "Australia/Sydney"),
    "50": ("BD", "Asia/Dhaka"),
    "114": ("CA-QC", "America/Toronto"),
    "140": ("DK", "Europe/Copenhagen"),
    "156": ("FR", "Europe/Paris"),
    "261": ("NO", "Europe/Oslo"),
    "425": ("US-CA", "America/Los_Angeles"),
    "433": ("US-HI", "Pacific/Honolulu"),
    "460": ("US-NY", "America/New_York"),
}

SUBDIVISIONS = {
    "US-NY": "America/New_York",
    "US-CA": "America/Los_Angeles",
    "US-HI": "Pacific/Honolulu",
    "US-TX": "America/Chicago",
    "US-IL": "America/Chicago",
    "US-CO": "America/Denver",
    "US-AZ": "America/Phoenix",
    "US-AK": "America/Anchorage",
    "US-WA": "America/Los_Angeles",
    "US-FL": "America/New_York",
    "CA-QC": "America/Toronto",
    "CA-ON": "America/Toronto",
    "CA-BC": "America/Vancouver",
    "CA-AB": "America/Edmonton",
    "CA-NS": "America/Halifax",
    "CA-NL": "America/St_Johns",
    "AU-ACT": "Australia/Sydney",
    "AU-NSW": "Australia/Sydney",
    "AU-VIC": "Australia/Melbourne",
    "AU-QLD": "Australia/Brisbane",
    "AU-SA": "Australia/Adelaide",
    "AU-WA": "Australia/Perth",
    "AU-TAS": "Australia/Hobart",
    "AU-NT": "Australia/Darwin",
    "BR-SP": "America/Sao_Paulo",
    "BR-AM": "America/Manaus",
    "RU-MOW": "Europe/Moscow",
    "MX-CMX": "America/Mexico_City",
    "ID-JK": "Asia/Jakarta",
    "CN-BJ": "Asia/Shanghai",
}

COUNTRIES = {
    "NO": "Europe/Oslo",
    "SE": "Europe/Stockholm",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "BD": "Asia/Dhaka",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    "RU": "Europe/Moscow",
    "BR": "America/Sao_Paulo",
}

ZONE_TERRITORIES: dict[str, str] = dict(get_global("zone_territories"))
ZONE_ALIASES: dict[str, str] = dict(get_global("zone_aliases"))


class TestParseTimezoneHeader:
    @pytest.mark.parametrize(("value", "expected"), DOCUMENTED_IDS.items())
    def test_accepts_documented_numeric_ids(self, value: str, expected: tuple[str, str]) -> None:
        """Each documented id names its code's zone, and the choice carries the code."""
        choice = parse_timezone_header(value)
        assert (choice.code, choice.zone.key) == expected
        assert choice.include_offset is False

    @pytest.mark.parametrize(("code", "zone"), SUBDIVISIONS.items())
    def test_maps_subdivisions_to_iana_zones(self, code: str, zone: str) -> None:
        """ISO 3166-2 codes of multi-zone countries name the subdivision's IANA zone."""
        assert parse_timezone_header(code).zone == ZoneInfo(zone)

    @pytest.mark.parametrize(("code", "zone"), COUNTRIES.items())
    def test_maps_countries_to_their_primary_zone(self, code: str, zone: str) -> None:
        """ISO 3166-1 codes name the country's zone (its primary one when it has several)."""
        assert parse_timezone_header(code).zone.key == zone

    @pytest.mark.parametrize("value", ["utc", "UTC", " Utc ", "1", "001"])
    def test_accepts_utc(self, value: str) -> None:
        """UTC is a code of its own (id 1)."""
        assert parse_timezone_header(value) == ZoneChoice("UTC", ZoneInfo("UTC"), False)

    @pytest.mark.parametrize(
        "value",
        [
            "US-NY, includeTZOffset",
            "us-ny,includetzoffset",
            "  US-NY  ,  INCLUDETZOFFSET  ",
            "460, includeTZOffset",
            "460,IncludeTzOffset",
        ],
    )
    def test_reads_include_tz_offset(self, value: str) -> None:
        """``, includeTZOffset`` is case-insensitive and whitespace tolerant."""
        assert parse_timezone_header(value) == ZoneChoice(
            "US-NY", ZoneInfo("America/New_York"), True
        )

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "   ",
            "XX",
            "ZZ",
            "US-XX",
            "NO, foo",
            "NO,",
            "NO, includeTZOffset, includeTZOffset",
            ", includeTZOffset",
            "includeTZOffset",
            "NO;includeTZOffset",
            "0",
            "999",
            "-261",
            "+261",
            "٢٦١",
            "Europe/Oslo",
            "GMT",
            "NO\x00",
            "ＮＯ",
            "N O",
            "9" * 5000,
            "US-NY" * 100,
        ],
    )
    def test_unknown_values_raise_unknown_timezone(self, value: str) -> None:
        """Anything but a known code or documented id is the client's 400."""
        with pytest.raises(UnknownTimeZone) as raised:
            parse_timezone_header(value)
        error = raised.value
        assert isinstance(error, InvalidInput)
        assert error.code == "unknown_timezone"
        assert error.field == "SO-TimeZone"
        assert error.params["zone"] == value.strip()[:64]
        assert str(error).startswith("Unknown time zone: ")
        assert len(str(error)) < 400

    def test_error_message_quotes_the_value(self) -> None:
        """The message shows the offending value."""
        with pytest.raises(UnknownTimeZone, match=r"^Unknown time zone: 'XX'$"):
            parse_timezone_header("XX")

    def test_unknown_value_raises_every_time(self) -> None:
        """Caching the miss does not turn a second attempt into a success."""
        for _ in range(3):
            with pytest.raises(UnknownTimeZone):
                parse_timezone_header("QQ")

    def test_every_code_is_a_zone_of_its_country(self) -> None:
        """Country and subdivision codes map to a zone CLDR places in that country."""
        for code in sorted(zone_codes() - {"UTC"}):
            key = parse_timezone_header(code).zone.key
            territory = ZONE_TERRITORIES.get(key) or ZONE_TERRITORIES.get(ZONE_ALIASES.get(key, ""))
            assert territory == code.split("-")[0], (code, key)

    def test_every_multi_zone_country_names_its_primary_zone(self) -> None:
        """CLDR's zone lists are unordered, so multi-zone countries must be chosen explicitly."""
        territory_zones: dict[str, list[str]] = dict(get_global("territory_zones"))
        multi_zone = {
            country
            for country, zones in territory_zones.items()
            if len(zones) > 1 and len(country) == 2 and country != "ZZ"
        }
        assert multi_zone == set(_PRIMARY_ZONES)
        for country, zone in _PRIMARY_ZONES.items():
            assert zone in territory_zones[country], country

    def test_codes_cover_utc_countries_and_subdivisions(self) -> None:
        """Every documented and listed code is known."""
        codes = zone_codes()
        assert {code for code, _ in DOCUMENTED_IDS.values()} <= codes
        assert set(SUBDIVISIONS) <= codes
        assert len([c for c in codes if len(c) == 2]) > 240

    @settings(database=None, deadline=None, max_examples=500)
    @given(
        value=st.text()
        | st.builds(
            "".join,
            st.lists(
                st.sampled_from(
                    ["US", "-", "NY", "NO", "261", ",", " ", "includeTZOffset", "\x00", "ø", "9"]
                ),
                max_size=8,
            ),
        )
    )
    def test_never_raises_anything_but_unknown_timezone(self, value: str) -> None:
        """Arbitrary header text parses or raises UnknownTimeZone, nothing else."""
        try:
            choice = parse_timezone_header(value)
        except UnknownTimeZone:
            return
        assert isinstance(choice.zone, ZoneInfo)

    @settings(database=None, deadline=None, max_examples=400)
    @given(
        code=st.sampled_from(sorted(zone_codes())),
        moment=st.datetimes(
            min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
        ),
    )
    def test_utc_round_trip_through_every_zone_is_lossless(
        self, code: str, moment: datetime
    ) -> None:
        """Converting a UTC instant into the requested zone and back changes nothing."""
        zone = parse_timezone_header(code).zone
        local = moment.astimezone(zone)
        back = local.astimezone(UTC)
        assert back == moment
        assert back.replace(tzinfo=None) == moment.replace(tzinfo=None)


class TestResolveZone:
    @pytest.mark.parametrize(
        ("name", "zone"),
        [
            ("UTC", "UTC"),
            ("Europe/Oslo", "Europe/Oslo"),
            ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
            ("NO", "Europe/Oslo"),
            ("us-ny", "America/New_York"),
            ("261", "Europe/Oslo"),
            (" DK ", "Europe/Copenhagen"),
        ],
    )
    def test_accepts_codes_ids_and_iana_names(self, name: str, zone: str) -> None:
        """The base-zone setting takes an SO code, an SO id or an IANA name."""
        assert resolve_zone(name) == ZoneInfo(zone)

    @pytest.mark.parametrize(
        "name",
        ["", "Nowhere/City", "europe/oslo", "NO, includeTZOffset", "../etc/passwd", "\x00", "XX"],
    )
    def test_rejects_anything_else_with_value_error(self, name: str) -> None:
        """A bad setting is a configuration error (ValueError), not a client error."""
        with pytest.raises(ValueError, match="Unknown time zone"):
            resolve_zone(name)
