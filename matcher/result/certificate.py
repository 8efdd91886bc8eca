"""The optimality certificate: node potentials that prove a plan optimal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._frozen import FrozenMap, LazyFrozenMap
from ..graph import Graph
from ..graph.core import _is_sorted
from ..solvers import Potentials

__all__ = ["Certificate"]


@dataclass(frozen=True)
class Certificate:
    """A proof that a plan is optimal: node potentials of its flow network.

    The network (the *certificate network*, defined in
    :mod:`matcher.solvers._duals` and rebuilt from scratch by
    :mod:`matcher.verify`) has a source, one node per volunteer, one per
    need and, with ``Policy.one_need_per_slot``, one per (volunteer, slot)
    with a candidate need in that slot. The plan is optimal exactly when every
    arc that could still carry flow has a non-negative reduced cost
    ``cost + potential[tail] - potential[head]``; these potentials make it so.
    The source's potential is 0.

    Attributes
    ----------
    big_m : int or None
        Cost of leaving one unit of priority unserved, in resolution units,
        under the coverage-first objective (larger than any difference in cost
        between two plans, which the verifier re-checks); None when the
        policy sets ``unmatched_cost``.
    volunteers, needs : mapping of str to int
        Potential of each volunteer and each need, by id.
    slots : mapping of str to mapping of str to int
        Potential of each (volunteer, slot) node: volunteer id -> slot -> potential.
    engage : int or None
        With ``Policy.participation``: what engaging one more volunteer is worth
        in the certificate network (taken off each volunteer's first need),
        larger than any difference in cost; None otherwise.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve, verify
    >>> p = Problem([Volunteer("v", ["driving"], (0.0, 0.0))],
    ...             [Need("n", "medical", ["driving"], (1.0, 0.0))], Policy(geometry="plane"))
    >>> r = solve(p)
    >>> r.certificate.big_m, dict(r.certificate.needs), verify(p, r)
    (2048, {'n': 1000}, [])
    """

    big_m: int | None
    volunteers: Mapping[str, int] = field(default_factory=FrozenMap)
    needs: Mapping[str, int] = field(default_factory=FrozenMap)
    slots: Mapping[str, Mapping[str, int]] = field(default_factory=FrozenMap)
    engage: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.volunteers, FrozenMap):
            object.__setattr__(self, "volunteers", FrozenMap(self.volunteers))
        if not isinstance(self.needs, FrozenMap):
            object.__setattr__(self, "needs", FrozenMap(self.needs))
        slots = self.slots
        if isinstance(slots, LazyFrozenMap):
            return  # made of FrozenMaps when read
        if type(slots) is not FrozenMap or any(type(v) is not FrozenMap for v in slots.values()):
            object.__setattr__(
                self, "slots", FrozenMap({k: FrozenMap(v) for k, v in slots.items()})
            )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (JSON-ready)."""
        return {
            "big_m": self.big_m,
            "volunteers": dict(self.volunteers),
            "needs": dict(self.needs),
            "slots": {k: dict(v) for k, v in self.slots.items()},
            "engage": self.engage,
        }

    @classmethod
    def from_potentials(
        cls,
        pot: Potentials,
        graph: Graph,
        *,
        reuse: tuple[Mapping[str, Mapping[str, int]], NDArray[np.bool_]] | None = None,
    ) -> Certificate:
        """Name the nodes of solver potentials by id.

        *reuse*: slot maps of an earlier certificate by volunteer id, and for
        each volunteer of *graph* whether its (volunteer, slot) potentials are
        exactly those of its earlier map (then that map object is kept, not
        made again: a re-plan's, where few changed).
        """
        sv, st = pot.slot_volunteer, pot.slot
        vid, names = graph.volunteer_ids, graph.slot_names
        ids_sorted = _ascending(vid)
        slots: Mapping[str, Mapping[str, int]]
        if ids_sorted and _ascending(names) and _is_sorted(sv * (len(names) + 1) + st):
            # a built graph's nodes: grouped by volunteer, in id then slot order
            starts = np.r_[0, np.flatnonzero(sv[1:] != sv[:-1]) + 1] if len(sv) else sv
            ends = np.r_[starts[1:], len(sv)].tolist() if len(sv) else []
            ids = [vid[v] for v in sv[starts].tolist()]
            stl, sxl = st.tolist(), pot.slot_node.tolist()
            table: dict[str, Any] = {}
            kept = [False] * len(ids) if reuse is None else reuse[1][sv[starts]].tolist()
            for g, (key, a, b) in enumerate(zip(ids, starts.tolist(), ends, strict=True)):
                table[key] = (
                    reuse[0][key]
                    if kept[g] and reuse is not None
                    else FrozenMap._of_sorted(
                        {names[t]: x for t, x in zip(stl[a:b], sxl[a:b], strict=True)}
                    )
                )
            slots = FrozenMap._of_sorted(table)
        else:
            loose: dict[str, dict[str, int]] = {}
            for v, t, x in zip(sv.tolist(), st.tolist(), pot.slot_node.tolist(), strict=True):
                loose.setdefault(vid[v], {})[names[t]] = x
            slots = loose  # made FrozenMaps (sorted) by __post_init__

        def by_id(ids: tuple[str, ...], values: NDArray[np.int64], ok: bool) -> FrozenMap[int]:
            table = dict(zip(ids, values.tolist(), strict=True))
            # a graph's ids come sorted (build_graph); Graph.from_arrays' need not
            return FrozenMap._of_sorted(table) if ok else FrozenMap(table)

        return cls(
            big_m=pot.big_m,
            volunteers=by_id(vid, pot.volunteer, ids_sorted),
            needs=by_id(graph.need_ids, pot.need, _ascending(graph.need_ids)),
            slots=slots,
            engage=pot.engage or None,
        )


def _ascending(ids: tuple[str, ...]) -> bool:
    return all(a < b for a, b in zip(ids, ids[1:], strict=False))
