"""Named SQL: every statement lives in ``sql/<repository>.sql``, loaded once per engine.

A file is a list of named queries::

    -- name: select_task
    -- Why this query looks the way it does (optional comment lines).
    SELECT … WHERE t.batchtask_id = :task_id AND t.state = {New}

* **Parameters** are ``:name``; a query is run with keyword arguments, bound in the order the
  statement needs them (a name may appear more than once). ``::`` (PostgreSQL casts) and text in
  quotes are left alone.
* **Macros** in braces are expanded when the file is loaded: SuperOffice's state names
  (``{New}``, ``{Aquired}``, …, from :class:`BatchTaskState`), the table and link numbers of
  ``domain.task`` (``{BATCH_TASK_TABLE}``, …), and the engine's fragments (``{for_update}``,
  ``{member:task_ids}``, … — see ``Database.fragments``). An unknown macro is an error at load
  time, so a typo never reaches the database.
* **Dialect files** ``sql/<engine>/<repository>.sql`` replace or add queries of the same
  repository for one engine — only where the engines really differ. A query may hold several
  statements separated by ``;`` at a line end; they run in order (inside the caller's
  transaction) and the rows of the last one are returned. That lets one engine do in one
  statement (a writable CTE on PostgreSQL) what the other does in two, with the same Python.

Why not aiosql: it executes through its own driver adapters, which would bypass the engines'
transaction handling, instant binding and error translation; here only the loading is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from batchtask.domain.state import BatchTaskState
from batchtask.domain.task import (
    BATCH_TASK_TABLE,
    BINARY_OBJECT_TABLE,
    BLOB_LINK_BATCH_TASK,
    SYSTEM_ASSOCIATE,
)
from batchtask.storage.database import Database, Row, SqlDialect

_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$")
_MACRO = re.compile(r"\{([A-Za-z_]\w*)(?::([A-Za-z_]\w*))?\}")
#: A quoted literal, a ``::`` cast, or a ``:name`` parameter.
_TOKEN = re.compile(r"'(?:[^']|'')*'|::|:([A-Za-z_]\w*)")

#: Constants every SQL file may name in braces.
CONSTANTS: Mapping[str, str] = {
    **{state.name: str(int(state)) for state in BatchTaskState if state is not BatchTaskState.All},
    "BATCH_TASK_TABLE": str(BATCH_TASK_TABLE),
    "BINARY_OBJECT_TABLE": str(BINARY_OBJECT_TABLE),
    "BLOB_LINK_BATCH_TASK": str(BLOB_LINK_BATCH_TASK),
    "SYSTEM_ASSOCIATE": str(SYSTEM_ASSOCIATE),
}


class QueryError(ValueError):
    """A SQL file is malformed, names an unknown macro, or a query is missing or misused."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement ready for an engine: ``?`` placeholders and the parameter of each."""

    sql: str
    params: tuple[str, ...]

    def args(self, values: Mapping[str, object]) -> tuple[object, ...]:
        """The positional arguments for ``values`` (``QueryError`` when one is missing)."""
        try:
            return tuple(values[name] for name in self.params)
        except KeyError as exc:
            raise QueryError(f"missing parameter {exc.args[0]!r} for: {self.sql[:80]}") from None


@dataclass(frozen=True, slots=True)
class Query:
    """A named query of one repository, expanded for one engine."""

    name: str
    statements: tuple[Statement, ...]

    @property
    def sql(self) -> str:
        """The text of a one-statement query (tests and EXPLAIN read it)."""
        if len(self.statements) != 1:
            raise QueryError(f"{self.name} has {len(self.statements)} statements")
        return self.statements[0].sql

    async def fetchrow(self, db: Database, **values: object) -> Row | None:
        """The first row of the (last) statement, or ``None``."""
        rows = await self.fetch(db, **values)
        return rows[0] if rows else None

    async def fetch(self, db: Database, **values: object) -> list[Row]:
        """Every row of the last statement; earlier ones run for their effect, all of them in
        one transaction (the caller's, or one of their own)."""
        *before, last = self.statements
        if not before:
            return await db.fetch(last.sql, *last.args(values))
        async with db.transaction() as tx:
            for statement in before:
                await tx.execute(statement.sql, *statement.args(values))
            return await tx.fetch(last.sql, *last.args(values))

    async def one(self, db: Database, **values: object) -> Row | None:
        """``fetchrow`` of a one-statement query without the list (the hot read path)."""
        statement = self.statements[0]
        return await db.fetchrow(statement.sql, *statement.args(values))

    async def execute(self, db: Database, **values: object) -> int:
        """Run every statement (in one transaction when there are several); the row count of
        the last."""
        if len(self.statements) == 1:
            statement = self.statements[0]
            return await db.execute(statement.sql, *statement.args(values))
        count = 0
        async with db.transaction() as tx:
            for statement in self.statements:
                count = await tx.execute(statement.sql, *statement.args(values))
        return count


class Queries:
    """The named queries of one repository for one engine."""

    def __init__(self, repository: str, queries: Mapping[str, Query]) -> None:
        self.repository = repository
        self._queries = dict(queries)

    def __getattr__(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise QueryError(f"no query {name!r} in sql/{self.repository}.sql") from None

    @property
    def names(self) -> frozenset[str]:
        """Every query name."""
        return frozenset(self._queries)


_LOADED: dict[tuple[str, str], Queries] = {}


def load(repository: str, db: SqlDialect) -> Queries:
    """The queries of ``sql/<repository>.sql`` (plus the engine's dialect file) for ``db``.

    Loaded once per engine (an engine's fragments never change) and then a dictionary lookup, so
    modules may call this on every use.
    """
    key = (repository, db.dialect)
    found = _LOADED.get(key)
    if found is None:
        found = _LOADED[key] = _load(repository, db.dialect, db.fragments)
    return found


def _load(repository: str, dialect: str, fragments: Mapping[str, str]) -> Queries:
    engine = dict(fragments)
    texts: dict[str, str] = {}
    for relative in ("shared", f"{dialect}/shared", repository, f"{dialect}/{repository}"):
        texts.update(parse(_read(relative)))
    for name, text in texts.items():
        if name.startswith("_"):
            engine[name] = expand(name, text, engine)
    queries = {
        name: compile_query(name, text, engine)
        for name, text in texts.items()
        if not name.startswith("_")
    }
    if not queries:
        raise QueryError(f"no queries in sql/{repository}.sql")
    return Queries(repository, queries)


def _read(relative: str) -> str:
    entry = resources.files("batchtask.storage").joinpath("sql", f"{relative}.sql")
    return entry.read_text("utf-8") if entry.is_file() else ""


def parse(text: str) -> dict[str, str]:
    """``name → SQL`` of a file; comment lines and blank lines are dropped."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        match = _NAME.match(line.strip())
        if match:
            name = match.group(1)
            if name in found:
                raise QueryError(f"query {name!r} defined twice")
            current = found[name] = []
        elif line.strip().startswith("--") or not line.strip():
            continue
        elif current is None:
            raise QueryError(f"SQL before the first '-- name:' line: {line!r}")
        elif " --" in line:
            raise QueryError(f"{line!r}: comments go on their own lines")
        else:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}


def compile_query(name: str, text: str, fragments: Mapping[str, str]) -> Query:
    """Expand macros, split statements and turn ``:name`` into ``?``."""
    expanded = expand(name, text, fragments)
    statements = [part.strip() for part in re.split(r";\s*(?:\n|$)", expanded) if part.strip()]
    if not statements:
        raise QueryError(f"query {name!r} is empty")
    return Query(name, tuple(_positional(sql) for sql in statements))


def expand(name: str, text: str, fragments: Mapping[str, str]) -> str:
    """``text`` with every ``{macro}`` replaced (``QueryError`` for an unknown one).

    Snippets (queries whose name starts with ``_``, e.g. ``{_task_columns}`` of ``shared.sql``)
    are macros too, expanded before the queries that use them.
    """

    def macro(match: re.Match[str]) -> str:
        key, argument = match.group(1), match.group(2)
        if argument is None and key in CONSTANTS:
            return CONSTANTS[key]
        template = fragments.get(key)
        if template is None:
            raise QueryError(f"{name}: unknown macro {match.group(0)}")
        if ("{0}" in template) != (argument is not None):
            raise QueryError(f"{name}: macro {match.group(0)} used with the wrong arguments")
        return template.format(argument) if argument is not None else template

    return _MACRO.sub(macro, text)


def _positional(sql: str) -> Statement:
    params: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        params.append(match.group(1))
        return "?"

    return Statement(_TOKEN.sub(replace, sql), tuple(params))
