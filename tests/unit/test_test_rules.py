"""The test suite's own rules (README, "Tests"), checked on its source so they stay kept.

- No fixed sleep decides a result: a test waits for an event, or polls with a deadline, so every
  ``sleep`` in ``tests/`` sits in a loop (a poll, or pacing a load). Task handlers, whose sleeping
  is the work being tested, live in ``handlers.py`` modules and are exempt; a sleep that decides
  nothing (a random delay injected into a race, letting a clock tick) says why on its line with
  ``# sleep-ok: <why>``.
- No wall-clock bound: no ``assert`` compares an elapsed ``time.monotonic()``/``perf_counter()``/
  ``time.time()`` difference with a number of seconds; such figures belong in ``bench/``. A deadline
  in a poll (``assert time.monotonic() < deadline``) is not a bound on the code under test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SLEEPS = {("time", "sleep"), ("asyncio", "sleep"), ("anyio", "sleep"), ("trio", "sleep")}
CLOCKS = {("time", "monotonic"), ("time", "perf_counter"), ("time", "time")}
EXEMPT = {"handlers.py"}
PRAGMA = "# sleep-ok:"


def _dotted(node: ast.expr) -> tuple[str, str] | None:
    """``module.name`` of a call's function, as written."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None


def _sources() -> Iterator[tuple[Path, ast.Module, list[str]]]:
    for path in sorted(TESTS.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield path, ast.parse(text, filename=str(path)), text.splitlines()


def _unlooped_sleeps(tree: ast.Module) -> Iterator[int]:
    """Lines of ``sleep`` calls outside any ``while``/``for`` loop of their own function."""

    def visit(node: ast.AST, looped: bool) -> Iterator[int]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, looped=False)
            elif isinstance(child, ast.While | ast.For | ast.AsyncFor):
                yield from visit(child, looped=True)
            else:
                if isinstance(child, ast.Call) and _dotted(child.func) in SLEEPS and not looped:
                    yield child.lineno
                yield from visit(child, looped)

    yield from visit(tree, looped=False)


def _elapsed(node: ast.expr) -> bool:
    """Whether ``node`` contains ``clock() - something`` (or ``something - clock()``)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Sub):
            for side in (sub.left, sub.right):
                if isinstance(side, ast.Call) and _dotted(side.func) in CLOCKS:
                    return True
    return False


def _wall_clock_bounds(tree: ast.Module) -> Iterator[int]:
    """Lines of asserts that compare an elapsed wall-clock time with ``<``/``<=``/``>``/``>=``."""
    ordering = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for compare in ast.walk(node.test):
            if (
                isinstance(compare, ast.Compare)
                and any(isinstance(op, ordering) for op in compare.ops)
                and any(_elapsed(side) for side in (compare.left, *compare.comparators))
            ):
                yield node.lineno


def test_every_sleep_in_the_tests_is_part_of_a_poll() -> None:
    """A ``sleep`` outside a loop is a fixed wait deciding a result: wait for the event instead."""
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path, tree, lines in _sources()
        if path.name not in EXEMPT
        for line in _unlooped_sleeps(tree)
        if PRAGMA not in lines[line - 1]
    ]
    assert found == [], "fixed sleeps (poll with a deadline or wait on an event):\n" + "\n".join(
        found
    )


def test_no_test_asserts_a_wall_clock_bound() -> None:
    """Elapsed-time bounds are flaky on a loaded machine; measure them in ``bench/``."""
    found = [
        f"{path.relative_to(TESTS.parent)}:{line}"
        for path, tree, _ in _sources()
        for line in _wall_clock_bounds(tree)
    ]
    assert found == [], "wall-clock bounds in tests (move them to bench/):\n" + "\n".join(found)


def test_the_rules_catch_what_they_are_for() -> None:
    """The checks themselves: a bare sleep and an elapsed bound are found, a poll is not."""
    bad = ast.parse(
        "import time\n"
        "def test_x():\n"
        "    started = time.monotonic()\n"
        "    time.sleep(0.5)\n"
        "    assert time.monotonic() - started < 1.0\n"
    )
    good = ast.parse(
        "import time\n"
        "def test_y():\n"
        "    deadline = time.monotonic() + 10\n"
        "    while not done():\n"
        "        assert time.monotonic() < deadline\n"
        "        time.sleep(0.02)\n"
    )
    assert (list(_unlooped_sleeps(bad)), list(_wall_clock_bounds(bad))) == ([4], [5])
    assert (list(_unlooped_sleeps(good)), list(_wall_clock_bounds(good))) == ([], [])
