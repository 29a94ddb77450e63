"""Culture negotiation and CLDR formatting (SPEC §4.5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from batchtask.i18n.culture import (
    format_date,
    format_datetime,
    format_number,
    locale_of,
    negotiate_culture,
)

NBSP = "\u00a0"


class TestNegotiateCulture:
    @pytest.mark.parametrize(
        ("so_culture", "language", "expected"),
        [
            (None, "nb", "nb"),
            ("", "nl", "nl"),
            ("   ", "nl", "nl"),
            ("nb-NO", "nb", "nb_NO"),
            ("nb_NO", "nb", "nb_NO"),
            ("en-US", "en", "en_US"),
            (" en-gb ", "en", "en_GB"),
            ("sv", "en", "sv"),
            ("de-CH", "fr", "de_CH"),
            ("zh-Hant-TW", "en", "zh_Hant_TW"),
            ("xx-YY", "fr", "fr"),
            ("*", "da", "da"),
            ("garbage!!", "de", "de"),
            ("n\x00b", "sv", "sv"),
            ("ñb-NO", "sv", "sv"),
            ("en-" + "a" * 1000, "de", "de"),
        ],
    )
    def test_parses_the_culture_or_defaults_to_the_language(
        self, so_culture: str | None, language: str, expected: str
    ) -> None:
        """SO-Culture becomes a Babel locale id; blank or unknown ones give the language."""
        assert negotiate_culture(so_culture, language) == expected

    @pytest.mark.parametrize("so_culture", [None, "nb-NO", "en-US"])
    def test_is_ignored_without_a_language(self, so_culture: str | None) -> None:
        """No language means no culture either."""
        assert negotiate_culture(so_culture, None) is None


class TestFormatting:
    @pytest.mark.parametrize(
        ("value", "culture", "expected"),
        [
            (1234.5, "nb_NO", f"1{NBSP}234,5"),
            (1234.5, "en_US", "1,234.5"),
            (1234.5, "de", "1.234,5"),
            (1234, "sv", f"1{NBSP}234"),
            (-3, "nl", "-3"),
            (0.1 + 0.2, "da", "0,3"),
            (1234.5, "xx", "1,234.5"),
            (1234.5, "nb_XX", f"1{NBSP}234,5"),
            (1e300, "en", "1e+300"),
        ],
    )
    def test_formats_numbers_in_the_culture(
        self, value: float, culture: str, expected: str
    ) -> None:
        """Numbers follow CLDR; bad cultures degrade to their language, then English."""
        assert format_number(value, culture) == expected

    def test_formats_date_times_in_medium_format(self) -> None:
        """Date-times use the culture's medium format, in the value's own zone."""
        moment = datetime(2026, 11, 28, 14, 5, 9, tzinfo=timezone(timedelta(hours=-5)))
        assert format_datetime(moment, "nb_NO") == "28. nov. 2026, 14:05:09"
        assert format_datetime(moment, "de") == "28.11.2026, 14:05:09"
        assert format_datetime(moment.replace(tzinfo=None), "nb") == "28. nov. 2026, 14:05:09"
        assert "Nov 28, 2026" in format_datetime(moment, "en_US")

    def test_formats_dates_in_medium_format(self) -> None:
        """Dates use the culture's medium format."""
        assert format_date(date(2026, 11, 28), "nb") == "28. nov. 2026"
        assert format_date(date(2026, 11, 28), "en_US") == "Nov 28, 2026"
        assert format_date(datetime(2026, 11, 28, 23, 0), "fr") == "28 nov. 2026"

    def test_locales_are_cached(self) -> None:
        """Each culture's Babel locale is built once."""
        assert locale_of("sv_SE") is locale_of("sv_SE")
