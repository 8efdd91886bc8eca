"""What a re-plan changed (:class:`Churn`) and whether a plan is stable (:class:`Stability`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Churn", "Stability"]


@dataclass(frozen=True)
class Churn:
    """How a re-plan differs from the plan it replaces (``solve(..., previous=)``).

    Pairs are ``(need_id, volunteer_id)``. Every previous pair is *kept*
    (still in the plan), *moved* (its need is now served by another
    volunteer instead) or *dropped*; every pair of the new plan is *kept*,
    *moved* (the replacement) or *added*. Per need, ``moved`` is the smaller
    of its dropped and its new pairs. So ``kept + moved + dropped`` is the
    number of previous pairs and ``kept + moved + added`` that of matches.

    Attributes
    ----------
    cost : float
        ``churn_cost``: what each previous pair that is still possible costs
        when it is not kept (0.0: churn only reported, not weighed).
    int_cost : int
        The same in units of ``Policy.resolution``, as the solver used it.
    previous : tuple of (str, str)
        The previous plan's pairs, sorted (after a :class:`~matcher.Planner`
        event, a :class:`~matcher.result.lazy.LazyTuple`: made when first read).
    kept, moved, added, dropped : int

    Examples
    --------
    >>> c = Churn.between([("n1", "a"), ("n2", "b")], [("n1", "a"), ("n2", "c"), ("n3", "b")])
    >>> c.kept, c.moved, c.added, c.dropped
    (1, 1, 1, 0)
    """

    cost: float
    int_cost: int
    previous: Sequence[tuple[str, str]]
    kept: int
    moved: int
    added: int
    dropped: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "previous", tuple(tuple(p) for p in self.previous))

    @classmethod
    def _of(cls, *, previous: Sequence[tuple[str, str]], **counts: Any) -> Churn:
        """A churn whose *previous* is already sorted ``(str, str)`` pairs (not copied)."""
        out = object.__new__(cls)
        object.__setattr__(out, "previous", previous)
        for k, v in counts.items():
            object.__setattr__(out, k, v)
        return out

    @classmethod
    def between(
        cls,
        previous: Iterable[tuple[str, str]],
        current: Iterable[tuple[str, str]],
        cost: float = 0.0,
        int_cost: int = 0,
    ) -> Churn:
        """Count the churn from the pairs *previous* to the pairs *current*."""
        before = sorted({(str(n), str(v)) for n, v in previous})
        after = {(str(n), str(v)) for n, v in current}
        old = set(before)
        kept = len(old & after)
        gone: Counter[str] = Counter(n for n, _ in old - after)
        new: Counter[str] = Counter(n for n, _ in after - old)
        moved = sum(min(k, new[n]) for n, k in gone.items())
        return cls(
            cost=float(cost),
            int_cost=int(int_cost),
            previous=tuple(before),
            kept=kept,
            moved=moved,
            added=len(after - old) - moved,
            dropped=len(old - after) - moved,
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return {
            "cost": self.cost,
            "int_cost": self.int_cost,
            "previous": [list(p) for p in self.previous],
            "kept": self.kept,
            "moved": self.moved,
            "added": self.added,
            "dropped": self.dropped,
        }


@dataclass(frozen=True)
class Stability:
    """Whether a plan is stable, for method ``"stable"`` (deferred acceptance).

    A pair (volunteer, need) not in the plan *blocks* it when both would
    rather be matched to each other: the volunteer ranks the need above one
    it serves (or has room and a free slot), and the need ranks the
    volunteer above one who serves it (or still wants one). Volunteers rank
    needs by urgency, then their preferred categories, then distance; needs
    rank volunteers by the pair's cost (see :mod:`matcher.solvers.stable`).

    Attributes
    ----------
    stable : bool
        No pair blocks the plan.
    blocking : tuple of (str, str)
        The blocking ``(need_id, volunteer_id)`` pairs, sorted (pinned pairs
        are outside the market and may cause some).

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["x"], (0.0, 0.0))],
    ...             [Need("n", "c", ["x"], (1.0, 0.0))], Policy(geometry="plane"))
    >>> solve(p, "stable").stability
    Stability(stable=True, blocking=())
    """

    stable: bool
    blocking: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocking", tuple(tuple(p) for p in self.blocking))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return {"stable": self.stable, "blocking": [list(p) for p in self.blocking]}
