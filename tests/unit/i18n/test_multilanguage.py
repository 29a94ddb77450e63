"""Parsing and resolving SuperOffice multi-language values (reference §5.5)."""

from __future__ import annotations

import pytest

from batchtask.i18n.multilanguage import choose, sections


class TestSections:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ('US:"Supplier";NO:"Leverandør";', (("US", "Supplier"), ("NO", "Leverandør"))),
            ('NO:"Leverandør";US:"Supplier"', (("NO", "Leverandør"), ("US", "Supplier"))),
            ('US:"Vendor";', (("US", "Vendor"),)),
            ('US:"";NO:"x"', (("US", ""), ("NO", "x"))),
            ('US:"a"; NO:"b"; ', (("US", "a"), ("NO", "b"))),
            ('US:"a;b";NO:"say "hi""', (("US", "a;b"), ("NO", 'say "hi"'))),
            ('US:"two\nlines";', (("US", "two\nlines"),)),
        ],
    )
    def test_parses_multi_language_values(
        self, value: str, expected: tuple[tuple[str, str], ...]
    ) -> None:
        """Whole values of ``KEY:"text";`` sections parse into (key, text) pairs."""
        assert sections(value) == expected

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "   ",
            "Supplier",
            'us:"Supplier";',
            'USA:"Supplier";',
            'US:"Supplier"; and more',
            'Note: US:"x";',
            'US:"unterminated',
            "US:Supplier;",
            '[SR_YES] US:"x"',
        ],
    )
    def test_other_text_is_not_a_multi_language_value(self, value: str) -> None:
        """Text that is not entirely made of sections is plain text."""
        assert sections(value) is None


class TestChoose:
    @pytest.mark.parametrize(
        ("keys", "expected"),
        [
            (("US", "GB"), "Supplier"),
            (("NO",), "Leverandør"),
            (("GB",), "Provider"),
            (("SE",), "Supplier"),
            ((), "Supplier"),
        ],
    )
    def test_picks_the_first_matching_key_else_the_first_section(
        self, keys: tuple[str, ...], expected: str
    ) -> None:
        """The first listed key present wins; with none present, the first section."""
        assert choose('US:"Supplier";NO:"Leverandør";GB:"Provider";', keys) == expected

    def test_plain_text_is_unchanged(self) -> None:
        """A value that is not multi-language is returned as it is."""
        assert choose('He said: "no";', ("US",)) == 'He said: "no";'
