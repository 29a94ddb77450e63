"""String resources: completeness of the shipped catalogues and lookups (SPEC §4.5)."""

from __future__ import annotations

import fnmatch
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from batchtask.i18n.catalogue import (
    catalogue_problems,
    missing_translations,
    resource,
    resource_names,
    unknown_references,
)
from batchtask.i18n.language import SHIPPED_LANGUAGES

REPOSITORY = Path(__file__).resolve().parents[3]
PACKAGE = REPOSITORY / "src" / "batchtask"
LOCALE = PACKAGE / "i18n" / "locale"

#: The resources other packages rely on: removing one breaks a caller.
REQUIRED = {
    "SR_BATCH_CANCELLED",
    "SR_BATCH_WORKER_LOST",
    "SR_BATCH_TIMED_OUT",
    "SR_BATCH_FAILED",
    "SR_BATCH_RIGHT_NOT_OWNER",
    "SR_BATCH_RIGHT_FIELD_READONLY",
    "SR_BATCH_PROGRESS_STEP",
    "SR_BATCH_PROGRESS_DONE",
    "SR_BATCH_PROGRESS_WAITING",
    "SR_BATCH_SLEEP_DESCRIPTION",
    "SR_BATCH_EXPORT_DESCRIPTION",
    "SR_BATCH_HTTP_DESCRIPTION",
    "SR_BATCH_RETENTION_DESCRIPTION",
    "SR_BATCH_EXPORT_DONE",
    "SR_BATCH_DEMO_DESCRIPTION",
    "SR_ERROR_GENERIC",
    "SR_ERROR_NOT_FOUND",
    "SR_ERROR_TASK_NOT_FOUND",
    "SR_ERROR_USER_NOT_FOUND",
    "SR_ERROR_ROUTE_NOT_FOUND",
    "SR_ERROR_INVALID_INPUT",
    "SR_ERROR_INVALID_FIELD",
    "SR_ERROR_UNKNOWN_TIMEZONE",
    "SR_ERROR_UNAUTHENTICATED",
    "SR_ERROR_THROTTLED",
    "SR_ERROR_FORBIDDEN",
    "SR_ERROR_CONFLICT",
    "SR_ERROR_STORAGE_UNAVAILABLE",
    "SR_ERROR_METHOD_NOT_ALLOWED",
    "SR_ERROR_UNSUPPORTED_MEDIA_TYPE",
    "SR_ERROR_TASK_NOT_FINISHED",
    "SR_ADMIN_SKIP_MISSING",
    "SR_ADMIN_SKIP_NOT_STOPPABLE",
    "SR_ADMIN_SKIP_NOT_FINISHED",
    "SR_ERROR_BODY_TOO_LARGE",
    "SR_ERROR_BODY_TIMEOUT",
    "SR_ERROR_SERVER_BUSY",
    "SR_YES",
    "SR_NO",
    "SR_ERROR_CORS_ORIGIN_REFUSED",
    "SR_ERROR_ARCHIVE_NOT_FOUND",
    # the BatchTasks archive columns' DisplayName and DisplayTooltip (its $metadata document)
    *(
        f"SR_BATCHTASKS_{column}{suffix}"
        for column in (
            "DEFINITION_ID",
            "DEFINITION_NAME",
            "DEFINITION_DESCRIPTION",
            "DEFINITION_TIMEOUT",
            "DESCRIPTION",
            "DBTAG",
            "STATE",
            "DETAILS_TABLE",
            "DETAILS_RECORD",
            "REQUEST",
            "RESPONSE",
            "START_COUNT",
            "LAST_STARTED",
            "PROGRESS_PERCENT",
            "PROGRESS_DESCRIPTION",
            "UPDATED_BY",
            "UPDATED_DATE",
            "REGISTERED_BY",
            "REGISTERED_DATE",
        )
        for suffix in ("", "_TOOLTIP")
    ),
}
#: Texts that are the English word in that language too (a column name, "Start", "Table", …).
SAME_AS_ENGLISH = {
    "": {"SR_ERROR_INVALID_INPUT", "SR_BATCHTASKS_DBTAG", "SR_BATCHTASKS_DBTAG_TOOLTIP"},
    "nb": {"SR_BATCHTASKS_START_COUNT"},
    "sv": {"SR_BATCHTASKS_START_COUNT"},
    "da": {
        "SR_BATCHTASKS_START_COUNT",
        "SR_BATCHTASKS_DEFINITION_TIMEOUT",
        "SR_BATCHTASKS_DEFINITION_TIMEOUT_TOOLTIP",
    },
    "de": {"SR_BATCHTASKS_START_COUNT"},
    "fr": {
        "SR_BATCHTASKS_DESCRIPTION",
        "SR_BATCHTASKS_DESCRIPTION_TOOLTIP",
        "SR_BATCHTASKS_DETAILS_TABLE",
    },
    "nl": {"SR_BATCHTASKS_START_COUNT", "SR_BATCHTASKS_DETAILS_RECORD"},
}


def read_catalogue(language: str) -> dict[str, str]:
    """The catalogue as a translator's tool sees it, independently of the module under test."""
    with (LOCALE / language / "LC_MESSAGES" / "batchtask.po").open("rb") as file:
        catalogue = read_po(file)
    assert catalogue.locale is not None
    assert str(catalogue.locale) == language
    return {
        m.id: m.string
        for m in catalogue
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and not m.fuzzy
    }


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


ENGLISH = read_catalogue("en")


class TestShippedCatalogues:
    def test_locale_directories_are_the_shipped_languages(self) -> None:
        """Exactly the shipped languages have a catalogue directory."""
        assert sorted(p.name for p in LOCALE.iterdir() if p.is_dir()) == sorted(SHIPPED_LANGUAGES)

    def test_package_data_glob_covers_the_catalogues(self) -> None:
        """pyproject's package-data glob ships every catalogue in the wheel."""
        pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
        globs = pyproject["tool"]["setuptools"]["package-data"]["batchtask"]
        for po in LOCALE.rglob("*.po"):
            relative = po.relative_to(PACKAGE).as_posix()
            assert any(fnmatch.fnmatch(relative, glob) for glob in globs), relative

    def test_english_has_every_required_resource(self) -> None:
        """The English catalogue holds every resource the other packages use."""
        assert set(ENGLISH) == REQUIRED
        assert resource_names() == REQUIRED

    @pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
    def test_language_has_exactly_the_english_names(self, language: str) -> None:
        """Each catalogue translates every English name and invents none."""
        assert set(read_catalogue(language)) == set(ENGLISH)

    @pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
    def test_no_text_is_empty(self, language: str) -> None:
        """Each entry carries a translation."""
        empty = [name for name, text in read_catalogue(language).items() if not text.strip()]
        assert empty == []

    @pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
    def test_placeholders_match_english(self, language: str) -> None:
        """Each translation has the same ``{placeholders}`` as the English text."""
        texts = read_catalogue(language)
        wrong = {n: t for n, t in texts.items() if placeholders(t) != placeholders(ENGLISH[n])}
        assert wrong == {}

    @pytest.mark.parametrize("language", [lang for lang in SHIPPED_LANGUAGES if lang != "en"])
    def test_texts_are_translated(self, language: str) -> None:
        """Translations differ from English except where the text is technical."""
        same = {n for n, t in read_catalogue(language).items() if t == ENGLISH[n]}
        assert same <= SAME_AS_ENGLISH[""] | SAME_AS_ENGLISH.get(language, set())

    def test_every_resource_used_in_the_sources_exists(self) -> None:
        """Every ``SR_…`` name in the package's code is in the English catalogue."""
        sources = sorted(PACKAGE.rglob("*.py"))
        assert unknown_references(sources, resource_names()) == []

    def test_missing_translations_finds_nothing(self) -> None:
        """The completeness check used by the lint script passes on what we ship."""
        assert missing_translations() == []


class TestResource:
    @pytest.mark.parametrize(
        ("language", "text"),
        [
            ("en", "The task was stopped."),
            ("nb", "Oppgaven ble stoppet."),
            ("sv", "Uppgiften stoppades."),
            ("da", "Opgaven blev stoppet."),
            ("de", "Die Aufgabe wurde angehalten."),
            ("fr", "La tâche a été arrêtée."),
            ("nl", "De taak is gestopt."),
        ],
    )
    def test_reads_the_language(self, language: str, text: str) -> None:
        """A resource reads in the requested language."""
        assert resource(language, "SR_BATCH_CANCELLED") == text

    @pytest.mark.parametrize("language", ["fi", "es", "it", "pl", "xx", ""])
    def test_language_without_catalogue_falls_back_to_english(self, language: str) -> None:
        """Languages we have no catalogue for read English."""
        assert resource(language, "SR_YES") == "Yes"

    @pytest.mark.parametrize("name", ["SR_UNKNOWN", "", "sr_yes", "YES"])
    def test_unknown_name_is_none(self, name: str) -> None:
        """A name no catalogue has is unknown in every language."""
        assert resource("nb", name) is None
        assert resource("en", name) is None


class TestCatalogueProblems:
    def test_reports_each_kind_of_problem(self) -> None:
        """Missing, extra, empty, malformed and mismatched entries are all reported."""
        problems = catalogue_problems(
            {
                "en": {"SR_A": "A {x}", "SR_B": "B", "SR_C": "C", "SR_D": "D {y}"},
                "nb": {"SR_A": "A {z}", "SR_B": "", "SR_C": "C {", "SR_E": "E", "SR_D": "D {y}"},
            }
        )
        assert problems == [
            "nb: SR_E is not in the English catalogue",
            "nb: SR_A has placeholders ['z'], English ['x']",
            "nb: SR_B is empty or fuzzy",
            "nb: SR_C is not a valid format string",
        ]

    def test_reports_missing_names(self) -> None:
        """A name only English has is missing from the other language."""
        assert catalogue_problems({"en": {"SR_A": "A"}, "sv": {}}) == ["sv: SR_A is missing"]

    def test_reports_a_missing_reference_catalogue(self) -> None:
        """Without English nothing can be compared."""
        assert catalogue_problems({"nb": {"SR_A": "A"}}) == [
            "en: the reference catalogue is missing"
        ]


class TestUnknownReferences:
    def test_finds_names_in_string_literals(self, tmp_path: Path) -> None:
        """A name used in code but absent from the catalogue is reported with its file."""
        source = tmp_path / "module.py"
        source.write_text(
            'REASON = "[SR_NOT_SHIPPED]"\nOTHER = f"{1}[SR_ALSO_MISSING]"\nOK = "[SR_YES]"\n',
            encoding="utf-8",
        )
        assert unknown_references([source], {"SR_YES"}) == [
            f"{source}: SR_ALSO_MISSING is not in the English catalogue",
            f"{source}: SR_NOT_SHIPPED is not in the English catalogue",
        ]

    def test_ignores_documentation_prefixes_and_multi_language_values(self, tmp_path: Path) -> None:
        """Docstrings, comments, name prefixes and multi-language data are not references."""
        source = tmp_path / "module.py"
        source.write_text(
            '"""Mentions [SR_NAME] as an example."""\n'
            "# and [SR_COMMENT] here\n"
            "def f(code: str) -> str:\n"
            '    """Returns SR_SOMETHING."""\n'
            '    return f"SR_ERROR_{code}"\n'
            'DEMO = \'US:"[SR_DEMO]";NO:"[SR_DEMO_NO]";\'\n',
            encoding="utf-8",
        )
        assert unknown_references([source], set()) == []
