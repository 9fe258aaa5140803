"""Zeller's delta debugging (ddmin): a 1-minimal failure-inducing subset.

    ddmin(["a", "b", "c", "d"], lambda s: "b" in s and "d" in s)   # -> ["b", "d"]

`test(subset)` answers True (the failure shows), False (it does not) or None (it could
not tell: a replay that did not resolve). None counts as "not failing", as in Zeller and
Hildebrandt (2002), so the result is 1-minimal among the subsets that resolved: taking
away any one of its items makes the test pass or go unresolved. The caller vouches that
the whole list fails; ddmin does not test it again.

Every subset is tested at most once (subsets are keyed by item position, so items need
not be hashable or distinct); `DeltaDebugger.tests` counts the calls made and
`DeltaDebugger.cache_hits` the ones skipped because the subset was seen before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["DeltaDebugger", "ddmin"]


class DeltaDebugger(Generic[T]):
    """One ddmin search over `items`; `run()` returns the 1-minimal failing subset."""

    def __init__(self, items: Sequence[T], test: Callable[[list[T]], bool | None]) -> None:
        self.items: list[T] = list(items)
        self.tests = 0
        """Calls made to `test`."""
        self.cache_hits = 0
        """Subsets asked for again and answered from the memo."""
        self._test = test
        self._seen: dict[frozenset[int], bool | None] = {}

    def fails(self, positions: Sequence[int]) -> bool:
        """Whether the items at `positions` (kept in their original order) fail."""
        key = frozenset(positions)
        if key in self._seen:
            self.cache_hits += 1
            answer = self._seen[key]
        else:
            self.tests += 1
            answer = self._test([self.items[i] for i in sorted(key)])
            self._seen[key] = answer
        return answer is True

    def run(self) -> list[T]:
        """Shrink the whole list to a 1-minimal failing subset, in the original order."""
        current = list(range(len(self.items)))
        n = 2
        while len(current) >= 2:
            parts = _split(current, n)
            reduced: list[int] | None = None
            for part in parts:  # reduce to a subset
                if self.fails(part):
                    reduced, n = part, 2
                    break
            # with two parts each complement is the other part: already tested above
            if reduced is None and n > 2:
                for part in parts:  # reduce to a complement
                    dropped = set(part)
                    complement = [i for i in current if i not in dropped]
                    if self.fails(complement):
                        reduced, n = complement, max(n - 1, 2)
                        break
            if reduced is not None:
                current = reduced
            elif n >= len(current):
                break  # every single item was removed in turn: 1-minimal
            else:
                n = min(2 * n, len(current))  # finer granularity
        return [self.items[i] for i in current]


def ddmin(items: Sequence[T], test: Callable[[list[T]], bool | None]) -> list[T]:
    """A 1-minimal subset of `items` for which `test` is True (see the module docstring)."""
    return DeltaDebugger(items, test).run()


def _split(positions: list[int], n: int) -> list[list[int]]:
    """`positions` cut into `n` contiguous parts whose sizes differ by at most one."""
    size, extra = divmod(len(positions), n)
    parts: list[list[int]] = []
    start = 0
    for k in range(n):
        end = start + size + (1 if k < extra else 0)
        parts.append(positions[start:end])
        start = end
    return parts
