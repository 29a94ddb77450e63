"""Injected faults: requests of a tenant that match answer with a chosen status, body or delay.

A fault matches by method (``*`` = any) and a path glob without the ``/{ctx}`` prefix, both
compared case-insensitively as ASP.NET routes are (``/api/v1/batchtask/*`` matches
``/API/V1/BatchTask/7``). ``Times`` makes it fire that many times and then vanish;
``Probability`` makes each matching request fire with that chance; neither fires it every time
until it is deleted. The first fault added that fires wins.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """What a fault does (as given; checked by the caller's reader)."""

    method: str
    path: str
    #: The answer's status; ``None`` = only delay the request, then answer it for real.
    status: int | None
    #: The answer's body; ``None`` = SuperOffice's error object (status 400 and over) or empty.
    body: Any
    latency_ms: int = 0
    times: int | None = None
    probability: float | None = None

    def matches(self, method: str, path: str) -> bool:
        """The request is one this fault is about."""
        return (self.method == "*" or self.method.upper() == method.upper()) and fnmatchcase(
            path.casefold(), self.path.casefold()
        )


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault in force, with its id and how many firings it has left."""

    id: int
    spec: FaultSpec
    #: Firings left (``None``: unlimited).
    remaining: int | None


class FaultBook:
    """The faults of one tenant."""

    def __init__(self, chance: Callable[[], float] = random.random) -> None:
        self._faults: dict[int, Fault] = {}
        self._next = 1
        self._chance = chance

    def add(self, spec: FaultSpec) -> Fault:
        """Put a fault in force; its id."""
        fault = Fault(self._next, spec, spec.times)
        self._next += 1
        self._faults[fault.id] = fault
        return fault

    def all(self) -> list[Fault]:
        """The faults in force, oldest first."""
        return list(self._faults.values())

    def remove(self, fault_id: int) -> bool:
        """Delete one fault; whether it existed."""
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        """Delete every fault."""
        self._faults.clear()

    def fire(self, method: str, path: str) -> FaultSpec | None:
        """The fault this request meets, counting a firing, or ``None``.

        Runs on the event loop without awaiting, so a ``Times`` fault fires exactly that often
        however many requests arrive at once.
        """
        if not self._faults:
            return None
        for fault in list(self._faults.values()):
            spec = fault.spec
            if not spec.matches(method, path):
                continue
            if spec.probability is not None and self._chance() >= spec.probability:
                continue
            if fault.remaining is not None:
                if fault.remaining <= 1:
                    del self._faults[fault.id]
                else:
                    self._faults[fault.id] = replace(fault, remaining=fault.remaining - 1)
            return spec
        return None
