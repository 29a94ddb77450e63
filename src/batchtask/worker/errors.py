"""How a handler says that retrying cannot help.

Any other exception a handler raises is treated as transient: the task goes back to ``New`` with
an exponential back-off while its definition's ``max_starts`` allow, and only then ends
``Failed``. Raise :class:`TaskFailed` for a failure that another attempt would only repeat (bad
parameters, a URL that is not allowed, a 404).
"""

from __future__ import annotations


class TaskFailed(Exception):
    """The task failed for good; its message becomes the Response."""


class DefinitionError(ValueError):
    """A task definition or handler plug-in is unusable."""
