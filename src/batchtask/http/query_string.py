"""The query string, parsed one way for every route and both lanes.

Rule: parameter names match in any case (``$Format`` is ``$format``, as ASP.NET's binding does), and
when a name is repeated the **first** value wins -- ASP.NET Web API's model binding reads the first
value of a repeated simple parameter. Only list parameters of the agents read every value
(``Repeated``). Before this module the fast lane took the first value of the exact spelling and
the framework routes the last, so ``?$format=xml&$format=json`` answered XML on one and JSON on
the other.

Parsing is the standard library's (``+`` is a space, percent escapes are UTF-8, blank values are
kept), on the raw bytes as the server received them; Starlette parses ``query_params`` the same way.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

Query = dict[str, str]
"""Parameters by case-folded name; the first value of each."""


class Repeated(tuple[str, ...]):
    """Every value of a parameter given more than once, in order (agent list parameters)."""

    __slots__ = ()


def parse_query_all(raw: bytes) -> dict[str, str | Repeated]:
    """Parameters by case-folded name: the value, or ``Repeated`` values when given twice or more."""
    out: dict[str, str | Repeated] = {}
    if not raw:
        return out
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        name = key.casefold()
        seen = out.get(name)
        if seen is None:
            out[name] = value
        elif isinstance(seen, Repeated):
            out[name] = Repeated((*seen, value))
        else:
            out[name] = Repeated((seen, value))
    return out


def parse_query(raw: bytes) -> Query:
    """Parameters by case-folded name, the first value of each."""
    if not raw:
        return {}
    out: Query = {}
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        out.setdefault(key.casefold(), value)
    return out


def query_value(query: Query, name: str) -> str | None:
    """A parameter by name, in any case."""
    return query.get(name.casefold())
