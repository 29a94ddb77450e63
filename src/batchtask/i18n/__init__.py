"""Language, culture and time zone: string resources, multi-language values, CLDR formatting.

Modules, in the order a request meets them:

- ``language``: ``SO-Language``/``Accept-Language`` → an ISO 639-1 code, or None (untranslated);
- ``culture``: ``SO-Culture`` → a Babel locale id, and CLDR number/date formatting;
- ``translator``: ``[SR_…]`` references and multi-language values → text in that language;
- ``catalogue``: the string resources (gettext ``.po`` files under ``locale/``);
- ``multilanguage``: the ``US:"Supplier";NO:"Leverandør";`` format;
- ``timezone``: ``SO-TimeZone`` → an IANA zone (zoneinfo + tzdata).

Invariant: this package imports only the standard library, Babel and ``batchtask.domain``.
"""
