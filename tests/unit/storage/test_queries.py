"""Named SQL files: parsing, macros, parameters, dialect files, and every shipped query."""

from __future__ import annotations

from importlib import resources

import pytest

from batchtask.storage.database import SqlDialect
from batchtask.storage.postgres import PostgresDialect
from batchtask.storage.queries import _TOKEN, CONSTANTS, QueryError, compile_query, load, parse
from batchtask.storage.sqlite import SqliteDialect

DIALECTS: list[SqlDialect] = [SqliteDialect(), PostgresDialect()]
SQL = resources.files("batchtask.storage").joinpath("sql")
REPOSITORIES = sorted(
    entry.name.removesuffix(".sql")
    for entry in SQL.iterdir()
    if entry.name.endswith(".sql") and entry.name != "shared.sql"
)


def test_parse_splits_named_queries_and_drops_comments() -> None:
    """Comment and blank lines go; each ``-- name:`` starts a query."""
    text = "-- a file comment\n\n-- name: first\n-- why\nSELECT 1\n\n-- name: second\nSELECT 2\n"
    assert parse(text) == {"first": "SELECT 1", "second": "SELECT 2"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1", "before the first"),
        ("-- name: a\nSELECT 1\n-- name: a\nSELECT 2", "defined twice"),
        ("-- name: a\nSELECT 1 -- trailing", "own lines"),
    ],
)
def test_malformed_files_are_refused(text: str, message: str) -> None:
    """A statement outside a query, a duplicate name or a trailing comment is an error."""
    with pytest.raises(QueryError, match=message):
        parse(text)


def test_parameters_become_placeholders_in_order_and_casts_and_quotes_stay() -> None:
    """``:name`` → ``?`` (repeated names repeat), ``::`` casts and ``':x'`` text are untouched."""
    query = compile_query(
        "q", "SELECT :a::integer, ':not' || :b FROM t WHERE x = :a AND s = {Started}", {}
    )
    (statement,) = query.statements
    assert statement.sql == "SELECT ?::integer, ':not' || ? FROM t WHERE x = ? AND s = 3"
    assert statement.params == ("a", "b", "a")
    assert statement.args({"a": 1, "b": "x"}) == (1, "x", 1)
    with pytest.raises(QueryError, match="missing parameter 'b'"):
        statement.args({"a": 1})


def test_macros_expand_states_constants_and_engine_fragments() -> None:
    """States by SuperOffice name, table numbers, and fragments with a parameter argument."""
    fragments = {"lock": " FOR UPDATE", "member": "IN (SELECT value FROM json_each(:{0}))"}
    query = compile_query(
        "q",
        "SELECT 1 WHERE s = {New} AND o = {BATCH_TASK_TABLE} AND id {member:ids}{lock}",
        fragments,
    )
    assert query.sql == (
        f"SELECT 1 WHERE s = 1 AND o = {CONSTANTS['BATCH_TASK_TABLE']}"
        " AND id IN (SELECT value FROM json_each(?)) FOR UPDATE"
    )
    assert query.statements[0].params == ("ids",)


@pytest.mark.parametrize("text", ["{Nope}", "{member}", "{lock:x}"])
def test_unknown_or_misused_macros_are_errors(text: str) -> None:
    """A typo in a macro never reaches the database."""
    fragments = {"lock": " FOR UPDATE", "member": "IN (:{0})"}
    with pytest.raises(QueryError, match="macro"):
        compile_query("q", f"SELECT 1 {text}", fragments)


def test_several_statements_split_at_line_ends() -> None:
    """A query may hold statements separated by ``;`` at a line end."""
    query = compile_query("q", "UPDATE t SET a = :a;\nINSERT INTO e SELECT ';'\nRETURNING 1", {})
    assert [s.sql for s in query.statements] == [
        "UPDATE t SET a = ?",
        "INSERT INTO e SELECT ';'\nRETURNING 1",
    ]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.dialect)
@pytest.mark.parametrize("repository", REPOSITORIES)
def test_every_shipped_query_loads_for_both_engines(dialect: SqlDialect, repository: str) -> None:
    """Each file parses, every macro is known, and both engines define the same query names."""
    queries = load(repository, dialect)
    other = load(repository, next(d for d in DIALECTS if d is not dialect))
    assert queries.names == other.names
    for name in queries.names:
        for statement in getattr(queries, name).statements:
            assert "{" not in statement.sql.replace("'{", "")
            leftovers = [m.group(1) for m in _TOKEN.finditer(statement.sql) if m.group(1)]
            assert leftovers == [], (name, leftovers)


def test_dialect_files_only_hold_what_differs() -> None:
    """A dialect file names only queries its base file has (or that both dialects define)."""
    for folder in ("sqlite", "postgres"):
        for entry in SQL.joinpath(folder).iterdir():
            base = SQL.joinpath(entry.name)
            own = set(parse(entry.read_text("utf-8")))
            shared = set(parse(base.read_text("utf-8"))) if base.is_file() else set()
            twin = SQL.joinpath("postgres" if folder == "sqlite" else "sqlite", entry.name)
            other = set(parse(twin.read_text("utf-8"))) if twin.is_file() else set()
            assert own <= shared | other, (folder, entry.name, own - shared - other)
