"""Translating response text and messages (SPEC §4.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtask.i18n.language import SHIPPED_LANGUAGES
from batchtask.i18n.translator import NO_TRANSLATION, Translator, translator_for

NBSP = "\u00a0"

CANCELLED = {
    "en": "The task was stopped.",
    "nb": "Oppgaven ble stoppet.",
    "sv": "Uppgiften stoppades.",
    "da": "Opgaven blev stoppet.",
    "de": "Die Aufgabe wurde angehalten.",
    "fr": "La tâche a été arrêtée.",
    "nl": "De taak is gestopt.",
}
NOT_OWNER = {
    "en": "Only the owner of the task or an administrator can change it.",
    "nb": "Bare eieren av oppgaven eller en administrator kan endre den.",
    "sv": "Endast uppgiftens ägare eller en administratör kan ändra den.",
    "da": "Kun opgavens ejer eller en administrator kan ændre den.",
    "de": "Nur der Eigentümer der Aufgabe oder ein Administrator kann sie ändern.",
    "fr": "Seul le propriétaire de la tâche ou un administrateur peut la modifier.",
    "nl": "Alleen de eigenaar van de taak of een beheerder kan deze wijzigen.",
}
SUPPLIER = 'US:"Supplier";NO:"Leverandør";'


class TestConstruction:
    def test_no_translation_has_no_language_or_culture(self) -> None:
        """The shared no-translation instance carries neither language nor culture."""
        assert NO_TRANSLATION.language is None
        assert NO_TRANSLATION.culture is None

    def test_culture_defaults_to_the_language(self) -> None:
        """Without SO-Culture the language formats numbers."""
        assert Translator("nb").culture == "nb"
        assert Translator("nb", "nb_NO").culture == "nb_NO"

    def test_culture_is_ignored_without_a_language(self) -> None:
        """SO-Culture means nothing when no language is set."""
        assert Translator(None, "nb_NO").culture is None
        assert Translator("", "nb_NO").language is None

    def test_translator_for_shares_instances(self) -> None:
        """Identical negotiations share one translator; no language shares NO_TRANSLATION."""
        assert translator_for("sv", "sv_SE") is translator_for("sv", "sv_SE")
        assert translator_for(None, "sv_SE") is NO_TRANSLATION
        assert translator_for("sv", None).culture == "sv"

    def test_is_hashable_and_immutable(self) -> None:
        """Translators can key caches and cannot be changed under them."""
        translator = Translator("da")
        assert hash(translator) == hash(Translator("da"))
        with pytest.raises(AttributeError):
            translator.language = "sv"  # type: ignore[misc]


class TestText:
    @pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
    def test_replaces_references_in_every_shipped_language(self, language: str) -> None:
        """``[SR_…]`` references read in the request's language."""
        translator = Translator(language)
        assert translator.text("[SR_BATCH_CANCELLED]") == CANCELLED[language]
        assert translator.text("[SR_BATCH_RIGHT_NOT_OWNER]") == NOT_OWNER[language]

    def test_replaces_every_reference_inside_text(self) -> None:
        """References embedded in text are replaced where they stand."""
        assert Translator("de").text("[SR_YES] / [SR_NO]: [SR_BATCH_PROGRESS_DONE]!") == (
            "Ja / Nein: Fertig!"
        )

    @pytest.mark.parametrize(
        "value", ["[SR_NOT_A_RESOURCE]", "[sr_yes]", "[SR_YES", "SR_YES", "[ SR_YES ]", "[]"]
    )
    def test_leaves_unknown_or_malformed_references(self, value: str) -> None:
        """Unknown references and non-references stay as they are."""
        assert Translator("nb").text(value) == value

    def test_language_without_catalogue_reads_english(self) -> None:
        """A keyed-only language (fi) resolves references in English."""
        assert Translator("fi").text("[SR_YES]") == "Yes"

    def test_no_language_returns_references_raw(self) -> None:
        """Without a language nothing is translated."""
        assert NO_TRANSLATION.text("[SR_YES]") == "[SR_YES]"
        assert NO_TRANSLATION.text(SUPPLIER) == SUPPLIER

    @pytest.mark.parametrize(
        ("language", "expected"),
        [("en", "Supplier"), ("nb", "Leverandør"), ("sv", "Supplier"), ("fi", "Supplier")],
    )
    def test_resolves_multi_language_values(self, language: str, expected: str) -> None:
        """The language's section wins; an unmatched language gets the first section."""
        assert Translator(language).text(SUPPLIER) == expected

    def test_unmatched_language_takes_the_first_section_whatever_it_is(self) -> None:
        """The first section is the fallback, not English."""
        assert Translator("de").text('NO:"Leverandør";US:"Supplier"') == "Leverandør"

    def test_english_falls_back_to_gb(self) -> None:
        """English tries US, then GB."""
        assert Translator("en").text('NO:"Farge";GB:"Colour";') == "Colour"

    def test_sections_may_hold_references(self) -> None:
        """The chosen section is translated in turn."""
        assert Translator("sv").text('US:"[SR_YES]";SE:"[SR_NO]";') == "Nej"

    def test_text_that_merely_contains_sections_is_unchanged(self) -> None:
        """Only a value made entirely of sections is multi-language."""
        value = 'Imported NO:"Leverandør"; from file'
        assert Translator("nb").text(value) == value

    @settings(database=None, deadline=None, max_examples=300)
    @given(
        language=st.sampled_from((*SHIPPED_LANGUAGES, "fi", "pl")),
        value=st.text().filter(lambda s: "[" not in s and ':"' not in s),
    )
    def test_plain_text_is_identity(self, language: str, value: str) -> None:
        """Text with no ``[`` and no ``:"`` is never changed."""
        assert Translator(language).text(value) == value

    @settings(database=None, deadline=None, max_examples=300)
    @given(
        value=st.lists(
            st.sampled_from(["[", "]", "SR_", "YES", '"', ":", ";", "US", "NO", "{", "x"])
            | st.text(max_size=3),
            max_size=12,
        ).map("".join)
    )
    def test_never_raises(self, value: str) -> None:
        """Any text translates to some text."""
        assert isinstance(Translator("nb").text(value), str)


class TestMessage:
    def test_no_language_formats_the_default(self) -> None:
        """Without a language the default text is used, numbers culture-neutral."""
        assert NO_TRANSLATION.message("SR_BATCH_EXPORT_DONE", "Exported {count}", count=12345) == (
            "Exported 12345"
        )

    @pytest.mark.parametrize(
        ("language", "culture", "expected"),
        [
            ("en", None, "Exported 12,345 tasks"),
            ("en", "en_US", "Exported 12,345 tasks"),
            ("nb", "nb_NO", f"Eksporterte 12{NBSP}345 oppgaver"),
            ("de", None, "12.345 Aufgaben exportiert"),
            ("en", "de_DE", "Exported 12.345 tasks"),
            ("fr", "fr_FR", "12\u202f345 tâches exportées"),
        ],
    )
    def test_translates_and_formats_numbers_in_the_culture(
        self, language: str, culture: str | None, expected: str
    ) -> None:
        """The resource text is filled with numbers written the culture's way."""
        translator = Translator(language, culture)
        message = translator.message("SR_BATCH_EXPORT_DONE", "Exported {count} tasks", count=12345)
        assert message == expected

    def test_formats_fractions_in_the_culture(self) -> None:
        """Decimal separators follow the culture."""
        assert Translator("sv").message("SR_ERROR_THROTTLED", "", retry_after=2.5) == (
            "För många misslyckade försök. Försök igen om 2,5 sekunder."
        )

    def test_identifiers_are_not_grouped(self) -> None:
        """An id is a name, not a quantity: ``12345``, never ``12 345``."""
        assert Translator("nb").message("SR_ERROR_TASK_NOT_FOUND", "", id=12345) == (
            "Fant ikke BatchTask med id 12345"
        )

    def test_unknown_resource_uses_the_default(self) -> None:
        """An unknown resource falls back to the caller's default text."""
        assert Translator("nb").message("SR_NOPE", "Got {n}", n=1000) == f"Got 1{NBSP}000"

    def test_string_parameters_are_translated(self) -> None:
        """A parameter holding a reference is translated too."""
        message = Translator("da").message(
            "SR_BATCH_FAILED", "The task failed: {reason}", reason="[SR_BATCH_TIMED_OUT]"
        )
        assert message == "Opgaven mislykkedes: Opgaven varede længere end tidsgrænsen."

    @pytest.mark.parametrize(
        ("translator", "expected"),
        [(NO_TRANSLATION, "Step 2 of {steps}"), (Translator("nl"), "Stap 2 van {steps}")],
    )
    def test_missing_placeholders_stay(self, translator: Translator, expected: str) -> None:
        """A placeholder without a parameter is left as ``{name}``."""
        message = translator.message("SR_BATCH_PROGRESS_STEP", "Step {step} of {steps}", step=2)
        assert message == expected

    @pytest.mark.parametrize("template", ["{", "}", "{0:d}", "{a.b}", "{x[1]}", "{!r}"])
    def test_broken_templates_do_not_raise(self, template: str) -> None:
        """A malformed default template comes back unformatted."""
        assert NO_TRANSLATION.message("SR_NOPE", template, a="s", x="t") == template

    def test_booleans_are_not_numbers(self) -> None:
        """``True`` is not formatted as ``1``."""
        assert Translator("en").message("SR_NOPE", "{flag}", flag=True) == "True"
