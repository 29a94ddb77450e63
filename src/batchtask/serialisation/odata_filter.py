"""The ``$filter`` and ``$orderBy`` languages of ``GET /api/v1/BatchTask``, parsed by a grammar.

SuperOffice's archive filter (reference §5.9) is ``column operator [value]`` joined by
``and``/``or``/``not`` and parentheses, plus OData functions (``startswith(DbTag,'x')``,
``next(registeredDate, 2, weeks)``). A LALR(1) grammar (lark) reads it, with ``and``, ``or``,
``not``, ``true``, ``false``, ``asc`` and ``desc`` reserved words; the tree is built bottom-up
inside the parser (lark's inline transformer), so nothing recurses on the input and nesting is
measured as it grows. Each comparison is checked against the operators of
its column's restriction type (``domain/archive.py``) and reduced to the canonical tree of
``domain/query.py`` right there, with the position of the offending token in hand.

Keywords, operators, function and period names and column names are case-insensitive. Strings
are ``'…'`` (``''`` is a quote) or ``"…"`` (``""`` is a quote). Values: integers, ``true``/
``false``, ISO dates (bare or quoted), lists ``(a, b, …)``; ``State`` also takes state names.
Dates are read with the same reader as request bodies (``serialisation/dates.py``).

Bounds keep the work per request small: text ≤ 4096 characters, nesting (parentheses and
``not``) ≤ 32, lists ≤ 1000 values, integers in 32 bits, period counts ≤ 10000. NUL and lone
surrogates are refused because no database stores them. Every failure is a
:class:`~batchtask.domain.query.FilterError` with the 0-based position; nothing else escapes,
whatever the input (the unit tests drive arbitrary text through both entry points).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NoReturn
from zoneinfo import ZoneInfo

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from batchtask.domain.archive import (
    OPERATORS,
    ArchiveColumn,
    Arity,
    OperatorSpec,
    RestrictionType,
    find_column,
    find_operator,
)
from batchtask.domain.query import (
    And,
    Comparison,
    DateLiteral,
    FilterError,
    Node,
    Not,
    Operator,
    Or,
    Ordering,
    PeriodUnit,
    RelativePeriod,
    Value,
    find_period_unit,
)
from batchtask.serialisation.dates import parse_datetime

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_LIST",
    "MAX_PERIODS",
    "parse_filter",
    "parse_order_by",
]

MAX_LENGTH = 4096
MAX_DEPTH = 32
MAX_LIST = 1000
MAX_PERIODS = 10000
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1

_GRAMMAR = r"""
filter: or_expr
?or_expr: and_expr (OR and_expr)*
?and_expr: not_expr (AND not_expr)*
?not_expr: NOT not_expr -> negation
         | atom
?atom: comparison
     | call
     | LPAR or_expr RPAR -> group
comparison: NAME operator [value]
operator: NAME | SYMOP
call: NAME LPAR [arguments] RPAR [operator value]
arguments: argument (COMMA argument)*
?argument: NAME -> name_argument
         | value
?value: STRING -> string
      | INT -> integer
      | DATE -> date_value
      | TRUE -> boolean
      | FALSE -> boolean
      | LPAR value (COMMA value)* RPAR -> value_list

order_by: ordering (COMMA ordering)*
ordering: NAME [ASC | DESC]

NAME: /[A-Za-z_][A-Za-z0-9_]*/
AND.3: /and(?![A-Za-z0-9_])/i
OR.3: /or(?![A-Za-z0-9_])/i
NOT.3: /not(?![A-Za-z0-9_])/i
TRUE.3: /true(?![A-Za-z0-9_])/i
FALSE.3: /false(?![A-Za-z0-9_])/i
ASC.3: /asc(?![A-Za-z0-9_])/i
DESC.3: /desc(?![A-Za-z0-9_])/i
STRING: /'(?:[^']|'')*'/ | /"(?:[^"]|"")*"/
DATE.4: /[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?(?![A-Za-z0-9_])/
INT.2: /[+-]?[0-9]+(?![A-Za-z0-9_])/
SYMOP: /!=|<>|<=|>=|=|<|>/
LPAR: "("
RPAR: ")"
COMMA: ","
%ignore /\s+/
"""

#: Period functions (SuperOffice's relative date operators, function style): name → whether a
#: count ``n`` is given, and the periods covered relative to the current one (0).
_PERIOD_FUNCTIONS: Mapping[str, tuple[bool, Callable[[int], tuple[int, int]]]] = {
    "this": (False, lambda _: (0, 0)),
    "thisperiod": (False, lambda _: (0, 0)),
    "next": (True, lambda n: (1, n)),
    "nextperiod": (True, lambda n: (1, n)),
    "previous": (True, lambda n: (-n, -1)),
    "previousperiod": (True, lambda n: (-n, -1)),
    "thisandnext": (True, lambda n: (0, n)),
    "thisandprevious": (True, lambda n: (-n, 0)),
    "thisandpreviousandnext": (False, lambda _: (-1, 1)),
    "thispreviousandnext": (False, lambda _: (-1, 1)),
}
_TEXT_FUNCTIONS: Mapping[str, Operator] = {
    "substringof": Operator.CONTAINS,
    "startswith": Operator.BEGINS,
    "endswith": Operator.ENDS,
}

_TERMINAL_WORDS: Mapping[str, str] = {
    "NAME": "a name",
    "STRING": "a quoted string",
    "INT": "a number",
    "DATE": "a date",
    "TRUE": "true",
    "FALSE": "false",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "AND": "'and'",
    "OR": "'or'",
    "NOT": "'not'",
    "ASC": "'asc'",
    "DESC": "'desc'",
    "SYMOP": "a comparison operator",
    "$END": "the end of the text",
}

_UTC = ZoneInfo("UTC")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
_OFFSET = re.compile(r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$")
_DECIMAL = re.compile(r"[+-]?[0-9]{1,18}")


# ---------------------------------------------------------------------------------------------
# Values as parsed, before they meet a column


@dataclass(frozen=True, slots=True)
class _Literal:
    kind: str  # "string", "int", "date", "bool", "list"
    value: object
    position: int


@dataclass(frozen=True, slots=True)
class _Name:
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class _Built:
    node: Node
    depth: int


def _at(token: Token) -> int:
    position = token.start_pos
    return position if isinstance(position, int) else 0


def _fail(message: str, position: int, field: str = "$filter") -> NoReturn:
    raise FilterError(message, position, field=field)


def _column(token: Token) -> ArchiveColumn:
    column = find_column(str(token))
    if column is None:
        _fail(f"unknown column '{token}'", _at(token))
    return column


def _to_int(literal: _Literal, column: ArchiveColumn) -> int:
    if literal.kind == "int":
        number = literal.value
    elif literal.kind == "string" and isinstance(literal.value, str):
        text = literal.value.strip()
        if _DECIMAL.fullmatch(text):
            number = int(text)
        elif column.enum is not None and text.casefold() in _enum_names(column.enum):
            number = _enum_names(column.enum)[text.casefold()]
        else:
            kind = f"a {column.enum.__name__} name or a number" if column.enum else "a number"
            _fail(f"'{literal.value}' is not {kind} for column {column.name}", literal.position)
    else:
        _fail(f"column {column.name} needs a number, not {literal.kind}", literal.position)
    assert isinstance(number, int)  # noqa: S101 - int literals and parsed text only
    if not _INT_MIN <= number <= _INT_MAX:
        _fail(f"{number} is outside the 32-bit integer range", literal.position)
    return number


@functools.cache
def _enum_names(enum: type[Enum]) -> Mapping[str, int]:
    return {member.name.casefold(): int(member.value) for member in enum}


def _to_string(literal: _Literal, column: ArchiveColumn) -> str:
    if literal.kind != "string" or not isinstance(literal.value, str):
        _fail(f"column {column.name} needs a quoted string, not {literal.kind}", literal.position)
    return literal.value


def _to_bool(literal: _Literal, subject: str) -> bool:
    if literal.kind == "bool" and isinstance(literal.value, bool):
        return literal.value
    text = str(literal.value).strip().casefold() if literal.kind in ("int", "string") else ""
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    _fail(f"{subject} needs true or false", literal.position)


def _to_date(literal: _Literal, column: ArchiveColumn) -> DateLiteral:
    if literal.kind not in ("date", "string") or not isinstance(literal.value, str):
        _fail(f"column {column.name} needs a date, not {literal.kind}", literal.position)
    text = literal.value.strip()
    try:
        moment = parse_datetime(text, _UTC)
    except ValueError:
        _fail(
            f"'{literal.value}' is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS",
            literal.position,
        )
    has_time = len(text) > 10
    if not (has_time and _OFFSET.search(text)):
        moment = moment.replace(tzinfo=None)
    return DateLiteral(moment, has_time)


def _convert(literal: _Literal, column: ArchiveColumn) -> Value:
    """One operand in the column's type."""
    kind = column.restriction_type
    if kind is RestrictionType.STRING:
        return _to_string(literal, column)
    if kind is RestrictionType.DATE:
        return _to_date(literal, column)
    if kind is RestrictionType.BOOL:
        return _to_bool(literal, f"column {column.name}")
    return _to_int(literal, column)


def _operands(
    column: ArchiveColumn, spec: OperatorSpec, literal: _Literal | None, position: int
) -> tuple[Value, ...]:
    """Check the value against the operator's arity and convert it to the column's type."""
    if spec.arity is Arity.NONE:
        if literal is not None:
            _fail(f"operator '{spec.spelling}' takes no value", literal.position)
        return () if spec.fixed is None else (spec.fixed,)
    if literal is None:
        _fail(f"operator '{spec.spelling}' needs {spec.arity.value}", position)
    if literal.kind == "list":
        assert isinstance(literal.value, tuple)  # noqa: S101 - value_list builds a tuple
        items: tuple[_Literal, ...] = literal.value
        if spec.arity is Arity.ONE:
            _fail(f"operator '{spec.spelling}' needs one value, not a list", literal.position)
    else:
        if spec.arity is Arity.TWO:
            _fail(f"operator '{spec.spelling}' needs {spec.arity.value}", literal.position)
        items = (literal,)
    if spec.arity is Arity.TWO and len(items) != 2:
        _fail(f"operator '{spec.spelling}' needs exactly two values", literal.position)
    return tuple(_convert(item, column) for item in items)


def _compare(column_token: Token, operator_token: Token, literal: _Literal | None) -> Node:
    column = _column(column_token)
    spec = find_operator(column.restriction_type, str(operator_token))
    if spec is None:
        spellings = {spec.spelling for spec in OPERATORS[column.restriction_type].values()}
        allowed = ", ".join(sorted(spellings, key=str.casefold))
        _fail(
            f"operator '{operator_token}' cannot be used on {column.restriction_type} column"
            f" {column.name}; use one of: {allowed}",
            _at(operator_token),
        )
    values = _operands(column, spec, literal, _at(operator_token))
    node: Node = Comparison(column.name, spec.operator, values)
    return Not(node) if spec.negated else node


def _argument_column(argument: object, function: Token, wanted: RestrictionType) -> ArchiveColumn:
    if not isinstance(argument, _Name):
        _fail(f"{function}() needs a column name here", _position_of(argument, function))
    column = find_column(argument.text)
    if column is None:
        _fail(f"unknown column '{argument.text}'", argument.position)
    if column.restriction_type is not wanted:
        _fail(f"{function}() needs a {wanted} column, not {column.name}", argument.position)
    return column


def _position_of(argument: object, fallback: Token) -> int:
    if isinstance(argument, _Literal | _Name):
        return argument.position
    return _at(fallback)


def _text_call(name: Token, key: str, arguments: list[_Literal | _Name]) -> Node:
    if len(arguments) != 2:
        _fail(f"{name}() takes a column and a quoted string", _at(name))
    first, second = arguments
    if key == "substringof" and isinstance(first, _Literal) and isinstance(second, _Name):
        first, second = second, first  # OData 2: substringof('needle', Column)
    column = _argument_column(first, name, RestrictionType.STRING)
    if not isinstance(second, _Literal):
        _fail(f"{name}() needs a quoted string here", _position_of(second, name))
    return Comparison(column.name, _TEXT_FUNCTIONS[key], (_to_string(second, column),))


def _period_call(name: Token, key: str, arguments: list[_Literal | _Name]) -> Node:
    counted, periods = _PERIOD_FUNCTIONS[key]
    shape = "a column, a count and a period" if counted else "a column and a period"
    if len(arguments) != (3 if counted else 2):
        _fail(f"{name}() takes {shape}", _at(name))
    column = _argument_column(arguments[0], name, RestrictionType.DATE)
    count = 1
    if counted:
        given = arguments[1]
        if not isinstance(given, _Literal) or given.kind != "int":
            _fail(f"{name}() needs a whole number of periods", _position_of(given, name))
        assert isinstance(given.value, int)  # noqa: S101 - int literal
        count = given.value
        if not 1 <= count <= MAX_PERIODS:
            _fail(f"the number of periods must be 1 to {MAX_PERIODS}", given.position)
    unit = _period_unit(arguments[-1], name)
    first, last = periods(count)
    return Comparison(column.name, Operator.DURING, (RelativePeriod(unit, first, last),))


def _period_unit(argument: object, function: Token) -> PeriodUnit:
    if isinstance(argument, _Name):
        text = argument.text
    elif isinstance(argument, _Literal) and argument.kind in ("string", "int"):
        text = str(argument.value).strip()
    else:
        text = ""
    unit = find_period_unit(text)
    if unit is None:
        _fail(
            f"{function}() needs a period: day, week, month, quarter, halfyear or year",
            _position_of(argument, function),
        )
    return unit


def _call(name: Token, arguments: list[_Literal | _Name]) -> Node:
    key = str(name).casefold()
    if key in _TEXT_FUNCTIONS:
        return _text_call(name, key, arguments)
    if key in _PERIOD_FUNCTIONS:
        return _period_call(name, key, arguments)
    _fail(f"unknown function '{name}'", _at(name))


@v_args(inline=True)
class _Builder(Transformer[Token, object]):
    """Callbacks the parser runs at each reduction (bottom-up, so nothing recurses on the input)."""

    def filter(self, built: _Built) -> Node:
        return built.node

    def or_expr(self, *children: _Built | Token) -> _Built:
        return _join(children, Or)

    def and_expr(self, *children: _Built | Token) -> _Built:
        return _join(children, And)

    def negation(self, keyword: Token, inner: _Built) -> _Built:
        return _deeper(Not(inner.node), inner.depth, keyword)

    def group(self, opening: Token, inner: _Built, _closing: Token) -> _Built:
        return _deeper(inner.node, inner.depth, opening)

    def comparison(self, column: Token, operator: Token, literal: _Literal | None) -> _Built:
        return _Built(_compare(column, operator, literal), 0)

    def operator(self, token: Token) -> Token:
        return token

    def call(
        self,
        name: Token,
        _opening: Token,
        arguments: list[_Literal | _Name] | None,
        _closing: Token,
        operator: Token | None,
        literal: _Literal | None,
    ) -> _Built:
        node = _call(name, arguments or [])
        if operator is not None:
            node = _call_test(node, operator, literal)
        return _Built(node, 0)

    def arguments(self, *children: _Literal | _Name | Token) -> list[_Literal | _Name]:
        return [child for child in children if not isinstance(child, Token)]

    def name_argument(self, token: Token) -> _Name:
        return _Name(str(token), _at(token))

    def string(self, token: Token) -> _Literal:
        quote = token[0]
        return _Literal("string", token[1:-1].replace(quote * 2, quote), _at(token))

    def integer(self, token: Token) -> _Literal:
        if len(token.lstrip("+-").lstrip("0")) > 18:
            _fail(f"{token} is outside the 32-bit integer range", _at(token))
        return _Literal("int", int(token), _at(token))

    def date_value(self, token: Token) -> _Literal:
        return _Literal("date", str(token), _at(token))

    def boolean(self, token: Token) -> _Literal:
        return _Literal("bool", token.type == "TRUE", _at(token))

    def value_list(self, opening: Token, *children: _Literal | Token) -> _Literal:
        items = tuple(child for child in children if isinstance(child, _Literal))
        for item in items:
            if item.kind == "list":
                _fail("lists cannot be nested", item.position)
        if len(items) > MAX_LIST:
            _fail(f"a list may hold at most {MAX_LIST} values", _at(opening))
        return _Literal("list", items, _at(opening))

    def order_by(self, *children: Ordering | Token) -> tuple[Ordering, ...]:
        seen: dict[str, Ordering] = {}
        for child in children:
            if isinstance(child, Ordering):
                seen.setdefault(child.column, child)
        return tuple(seen.values())

    def ordering(self, name: Token, direction: Token | None) -> Ordering:
        column = find_column(str(name))
        if column is None:
            _fail(f"unknown column '{name}'", _at(name), "$orderBy")
        if not column.can_order_by:
            _fail(f"column {column.name} cannot be sorted on", _at(name), "$orderBy")
        return Ordering(column.name, direction is not None and direction.type == "DESC")


def _join(children: Sequence[_Built | Token], kind: type[And] | type[Or]) -> _Built:
    """Flatten ``a and b and (c and d)`` into one node; depth is the deepest part's."""
    parts: list[Node] = []
    depth = 0
    for child in children:
        if isinstance(child, _Built):
            depth = max(depth, child.depth)
            parts.extend(child.node.parts if isinstance(child.node, kind) else (child.node,))
    return _Built(kind(tuple(parts)), depth)


def _deeper(node: Node, depth: int, token: Token) -> _Built:
    if depth + 1 > MAX_DEPTH:
        _fail(f"the filter nests deeper than {MAX_DEPTH} levels", _at(token))
    return _Built(node, depth + 1)


def _call_test(node: Node, operator: Token, literal: _Literal | None) -> Node:
    """``startswith(DbTag,'x') eq true`` (OData 2 style): keep or negate the function's result."""
    spec = find_operator(RestrictionType.BOOL, str(operator))
    if spec is None:
        _fail(
            f"a function result can be compared only with eq or ne, not '{operator}'", _at(operator)
        )
    if literal is None or literal.kind == "list":
        _fail("a function result can be compared only with true or false", _at(operator))
    keep = _to_bool(literal, "a function result") != spec.negated
    return node if keep else Not(node)


@functools.cache
def _parser() -> Lark:
    """The one LALR parser for both languages (building it costs milliseconds)."""
    return Lark(
        _GRAMMAR,
        parser="lalr",
        lexer="basic",
        start=["filter", "order_by"],
        transformer=_Builder(),
        maybe_placeholders=True,
    )


def _check_text(text: str, field: str) -> None:
    if len(text) > MAX_LENGTH:
        _fail(f"{field} is longer than {MAX_LENGTH} characters", MAX_LENGTH, field)
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        _fail("the text contains a character that cannot be stored", bad.start(), field)


def _syntax_error(error: UnexpectedInput, text: str, field: str) -> FilterError:
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream if isinstance(error.pos_in_stream, int) else len(text)
        char = text[position] if 0 <= position < len(text) else ""
        if char in ("'", '"'):
            return FilterError("unterminated quoted string", position, field=field)
        return FilterError(f"unexpected character {char!r}", position, field=field)
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            position, found = len(text), "end of the text"
        else:
            position, found = _at(token), f"'{token}'"
        words = sorted({_TERMINAL_WORDS.get(name, name.lower()) for name in error.expected})
        expected = f"; expected {' or '.join(words)}" if words else ""
        return FilterError(f"unexpected {found}{expected}", position, field=field)
    return FilterError("unexpected end of the text", len(text), field=field)


def _parse(text: str, start: str, field: str) -> object:
    _check_text(text, field)
    try:
        return _parser().parse(text, start=start)
    except UnexpectedInput as error:
        raise _syntax_error(error, text, field) from None
    except LarkError as error:  # pragma: no cover - lark's grammar errors happen at build time
        raise FilterError(f"cannot be parsed: {error}", 0, field=field) from None


def parse_filter(text: str) -> Node:
    """The ``$filter`` text as a canonical tree; an empty filter is ``getAllRows set true``.

    Raises :class:`FilterError` (with the position) and nothing else.
    """
    if not text.strip():
        _check_text(text, "$filter")
        return Comparison("getAllRows", Operator.EQUALS, (True,))
    node = _parse(text, "filter", "$filter")
    assert isinstance(node, Comparison | And | Or | Not)  # noqa: S101 - the filter rule's result
    return node


def parse_order_by(text: str) -> tuple[Ordering, ...]:
    """The ``$orderBy`` items (``col [asc|desc], …``; orderable columns only, first mention wins).

    Empty text orders by nothing. Raises :class:`FilterError` (field ``$orderBy``) and nothing else.
    """
    if not text.strip():
        _check_text(text, "$orderBy")
        return ()
    orderings = _parse(text, "order_by", "$orderBy")
    assert isinstance(orderings, tuple)  # noqa: S101 - the order_by rule's result
    return orderings
