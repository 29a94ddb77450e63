"""SuperOffice's ``[Flags]`` enums and their .NET ``Enum.ToString()`` text.

Clients parse ``Mask`` back into the enum by member names, so the text must be exactly what .NET
prints: the member name when one matches the whole value, otherwise the greedy decomposition from
the highest member down, printed in ascending value order and joined by ``", "``. Where two names
share a value (1 ``Select``/``R``, 16 ``Filtering``/``F``, 32 ``Nullable``/``Unused4``) the first
listed here is emitted; all names are accepted when parsing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlagsEnum:
    """A named set of flag members, in declaration order."""

    name: str
    members: tuple[tuple[str, int], ...]
    aliases: tuple[tuple[str, int], ...] = ()

    def format(self, value: int) -> str:
        """The .NET ``ToString()`` of ``value``; a bare number when no decomposition exists."""
        if value < 0:
            raise ValueError("flags are non-negative")
        for name, member in self.members:
            if member == value:
                return name
        remainder = value
        taken: list[tuple[int, str]] = []
        for name, member in sorted(self.members, key=lambda item: item[1], reverse=True):
            if member and member & remainder == member:
                taken.append((member, name))
                remainder -= member
        if remainder:
            return str(value)
        return ", ".join(name for _, name in sorted(taken))

    def parse(self, text: str | int) -> int:
        """Read a value from its text (names in any case, comma separated) or an integer."""
        if isinstance(text, bool):
            raise ValueError(f"not a {self.name}")
        if isinstance(text, int):
            if text < 0:
                raise ValueError(f"not a {self.name}")
            return text
        lookup = {name.casefold(): value for name, value in self.members + self.aliases}
        total = 0
        for raw_part in text.replace(" ", ",").split(","):
            part = raw_part.strip()
            if not part:
                continue
            if part.isdecimal() and part.isascii():
                total |= int(part)
            elif part.casefold() in lookup:
                total |= lookup[part.casefold()]
            else:
                raise ValueError(f"not a {self.name}: {part!r}")
        return total


TABLE_RIGHT = FlagsEnum(
    "ETableRight",
    (
        ("None", 0),
        ("Select", 1),
        ("Update", 2),
        ("UR", 3),
        ("Insert", 4),
        ("RI", 5),
        ("URI", 7),
        ("Delete", 8),
        ("UDR", 11),
        ("FULL", 15),
        ("Filtering", 16),
        ("RF", 17),
        ("FI", 20),
        ("RestrictedUpdate", 32),
        ("Unused1", 64),
        ("Uninitialized", 128),
    ),
    aliases=(("R", 1), ("F", 16)),
)

FIELD_RIGHT = FlagsEnum(
    "EFieldRight",
    (
        ("None", 0),
        ("Read", 1),
        ("Write", 2),
        ("Update", 3),
        ("Unused1", 4),
        ("Unused2", 8),
        ("Unused3", 16),
        ("Nullable", 32),
        ("UIHintMandatory", 64),
        ("UIHintReadOnly", 128),
        ("UIHints", 192),
        ("UndefinedValue256", 256),
    ),
    aliases=(("Unused4", 32),),
)
