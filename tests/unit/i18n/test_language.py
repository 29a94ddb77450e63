"""Language negotiation from ``SO-Language`` and ``Accept-Language`` (SPEC §4.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtask.i18n.language import SHIPPED_LANGUAGES, negotiate_language, superoffice_keys

KEYED_ONLY = ("fi", "es", "it", "pl")


class TestSoLanguage:
    @pytest.mark.parametrize(
        ("so_language", "expected"),
        [
            ("en", "en"),
            ("nb", "nb"),
            ("NB", "nb"),
            ("nb-no", "nb"),
            ("nb-NO", "nb"),
            ("no", "nb"),
            ("nn", "nb"),
            ("nn-NO", "nb"),
            ("en-us", "en"),
            ("en_GB", "en"),
            ("  sv  ", "sv"),
            ("da", "da"),
            ("de-CH", "de"),
            ("fr-CA", "fr"),
            ("nl-BE", "nl"),
            ("fi", "fi"),
            ("es-MX", "es"),
            ("IT", "it"),
            ("pl", "pl"),
            ("fr,de,ru,zh", "fr"),
            ("ru, de;q=0.5", "de"),
        ],
    )
    def test_names_the_language(self, so_language: str, expected: str) -> None:
        """SO-Language values are normalised to a lowercase ISO 639-1 code."""
        assert negotiate_language(so_language, None) == expected

    @pytest.mark.parametrize("so_language", ["*", "x", "X", " * ", "\tx\t"])
    def test_star_or_x_switches_translation_off(self, so_language: str) -> None:
        """``*`` and ``x`` cancel translation even when Accept-Language names a language."""
        assert negotiate_language(so_language, "en") is None

    def test_wins_over_accept_language(self) -> None:
        """SO-Language overrides Accept-Language."""
        assert negotiate_language("sv", "de, fr") == "sv"

    @pytest.mark.parametrize("so_language", ["", "   ", None])
    def test_blank_defers_to_accept_language(self, so_language: str | None) -> None:
        """A missing or blank SO-Language leaves the choice to Accept-Language."""
        assert negotiate_language(so_language, "da") == "da"

    @pytest.mark.parametrize(
        "so_language", ["ru", "zh-CN", "123", "e", "english", "n\x00b", "ñb", "--", ";q=1", "*x"]
    )
    def test_unusable_means_no_translation(self, so_language: str) -> None:
        """A language without resources or multi-language key, or garbage, translates nothing."""
        assert negotiate_language(so_language, "en") is None


class TestAcceptLanguage:
    @pytest.mark.parametrize(
        ("accept_language", "expected"),
        [
            ("en", "en"),
            ("sv", "sv"),
            ("fr,de,ru,zh", "fr"),
            ("fr;q=0.5, de", "de"),
            ("fr;q=0.5, de;q=0.5", "fr"),
            ("da;q=0.9, sv;q=0.9, nl", "nl"),
            ("ru, zh, nl;q=0.1", "nl"),
            ("en-us; en-gb", "en"),
            ("en-us;q=0.8; nb-no", "nb"),
            ("nb-no", "nb"),
            ("nn", "nb"),
            ("de-CH, de;q=0.9", "de"),
            ("*, nl;q=0.1", "nl"),
            ("fr;q=0, de;q=0.001", "de"),
            ("FR ; Q = 0.7 , DE ; q=0.6", "fr"),
            ("fr;q=1.0", "fr"),
            ("sv;q=abc, da", "da"),
            (",,, ;; nl", "nl"),
        ],
    )
    def test_picks_the_best_shipped_language(self, accept_language: str, expected: str) -> None:
        """The highest q-value naming a shipped language wins; ties go to header order."""
        assert negotiate_language(None, accept_language) == expected

    @pytest.mark.parametrize(
        "accept_language",
        [None, "", "*", "ru, zh", "fi", "es-ES, it", "fr;q=0", "x", "\x00", "ø" * 100_000],
    )
    def test_no_usable_language_means_no_translation(self, accept_language: str | None) -> None:
        """No header, ``*`` alone, or nothing we ship (keyed-only languages included) → None."""
        assert negotiate_language(None, accept_language) is None

    def test_long_header_still_parsed(self) -> None:
        """A header too long to cache is parsed anyway (its first entries count)."""
        assert negotiate_language(None, "sv," + "ru," * 20 + "x" * 10_000) == "sv"

    def test_entries_beyond_the_limit_are_ignored(self) -> None:
        """Only the first entries of an absurdly long list are considered."""
        assert negotiate_language(None, "ru," * 1_000 + "sv") is None


class TestSuperofficeKeys:
    @pytest.mark.parametrize(
        ("language", "keys"),
        [
            ("en", ("US", "GB")),
            ("nb", ("NO",)),
            ("sv", ("SE",)),
            ("da", ("DK",)),
            ("de", ("GE",)),
            ("fr", ("FR",)),
            ("nl", ("NL",)),
            ("fi", ("FI",)),
            ("es", ("ES",)),
            ("it", ("IT",)),
            ("pl", ("PL",)),
            ("no", ("NO",)),
            ("nn", ("NO",)),
            ("ru", ()),
        ],
    )
    def test_maps_iso_codes_to_superoffice_keys(self, language: str, keys: tuple[str, ...]) -> None:
        """ISO codes map to SuperOffice's own language keys, best first."""
        assert superoffice_keys(language) == keys

    def test_every_negotiable_language_has_keys(self) -> None:
        """Whatever negotiation returns can resolve multi-language values."""
        for language in (*SHIPPED_LANGUAGES, *KEYED_ONLY):
            assert superoffice_keys(language)


class TestProperties:
    @settings(database=None, deadline=None, max_examples=300)
    @given(so_language=st.one_of(st.none(), st.text()), accept=st.one_of(st.none(), st.text()))
    def test_never_raises_and_answers_a_known_language(
        self, so_language: str | None, accept: str | None
    ) -> None:
        """Arbitrary header text gives a negotiable language or None, never an exception."""
        result = negotiate_language(so_language, accept)
        assert result is None or result in (*SHIPPED_LANGUAGES, *KEYED_ONLY)

    @settings(database=None, deadline=None, max_examples=200)
    @given(accept=st.text(alphabet=st.sampled_from("abcdefnlsvq=0.1;,*- _\x00ø"), max_size=60))
    def test_accept_language_only_picks_shipped_languages(self, accept: str) -> None:
        """Accept-Language alone never selects a language we ship no resources for."""
        assert negotiate_language(None, accept) in (*SHIPPED_LANGUAGES, None)
