"""Language, culture and time zone: string resources, multi-language values, CLDR formatting."""
