"""The live progress bar of ``task start --wait``, local or remote."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

#: ``update(state name, percent, progress text)``.
Update = Callable[[str, int, str], None]


@contextmanager
def task_bar(console: Console) -> Iterator[Update]:
    """A bar showing a task's state, percent, progress text and elapsed time."""
    columns = (
        TextColumn("[bold]{task.fields[state]:<10}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.description}"), TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("", total=100, state="New")

        def update(state: str, percent: int, text: str) -> None:
            progress.update(bar, completed=percent, description=text, state=state)

        yield update
