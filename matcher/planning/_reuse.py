"""What a :class:`~matcher.Planner`'s re-plan re-uses of the last one, by index.

The last plan's edges, potentials, matches, candidate counts and certificate
mapped to the new graph through the :class:`~matcher.graph.Delta` of the
rebuild (old index -> new index), without looking records up by id.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..graph import Built, Delta, Graph
from ..graph.core import _is_sorted
from ..result import Certificate, Churn, GraphSolution, Result, Unmatched
from ..solvers import Instance, Near, Potentials, Warm, WarmStart
from ..solvers._duals import UNKNOWN
from .warm import _WARM_LIMIT, _slot_start

__all__ = [
    "churn_of",
    "edges_of",
    "inverse",
    "known_unmatched",
    "mapped_certificate",
    "previous_positions",
    "warm_by_index",
    "where_changed",
]

IntArray = NDArray[np.int64]


def inverse(new_from: IntArray, n_old: int) -> IntArray:
    """Old index -> new index of the same id (-1: gone), from new -> old."""
    out = np.full(n_old, -1, np.int64)
    has = new_from >= 0
    out[new_from[has]] = np.flatnonzero(has)
    return out


def edges_of(graph: Any, n: IntArray, v: IntArray) -> IntArray:
    """The edge of *graph* joining each ``(n[k], v[k])`` (-1: a gone end, or not an edge)."""
    out = np.full(len(n), -1, np.int64)
    ok = (n >= 0) & (v >= 0)
    if not ok.any() or not graph.n_edges:
        return out
    nv = graph.n_volunteers
    keys = graph.need * nv + graph.volunteer  # ascending: edges are sorted by (need, volunteer)
    q = n[ok] * nv + v[ok]
    pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    out[np.flatnonzero(ok)] = np.where(keys[pos] == q, pos, -1)
    return out


def warm_by_index(
    graph: Any,
    g0: Any,
    inst: Instance,
    mask: NDArray[np.bool_],
    old: GraphSolution,
    delta: Delta,
    v_new: IntArray,
    priority_first: bool,
) -> Warm | None:
    """:func:`matcher.planning.warm._warm` from the last solve's potentials, mapped by index."""
    pot = old.certificate
    if pot is None or (pot.big_m is None) == priority_first:
        return None

    def mapped(values: IntArray, new_from: IntArray) -> IntArray:
        out = np.full(len(new_from), UNKNOWN, np.int64)
        has = new_from >= 0
        out[has] = values[new_from[has]]
        return out

    vol = mapped(pot.volunteer, delta.volunteer_from)
    need = mapped(pot.need, delta.need_from)
    if (np.abs(vol) >= _WARM_LIMIT).any() or (np.abs(need) >= _WARM_LIMIT).any():
        return None
    slot = None
    if inst.slot is not None and inst.n_needs:
        sv = v_new[pot.slot_volunteer]
        slot = _slot_start(graph, inst, sv, pot.slot, g0.slot_names, pot.slot_node)
    return Warm(mask, WarmStart(vol, need, slot), pot.big_m)


def where_changed(
    graph: Graph,
    g0: Graph,
    old: GraphSolution,
    delta: Delta,
    v_new: IntArray,
    n_new: IntArray,
    old_bonus: IntArray | None,
    bonus: IntArray | None,
) -> Near | None:
    """Where the new instance differs from the one the last certificate proved.

    Flagged: new and changed records; the ends of new edges, of the last
    plan's edges that are gone, and of edges whose churn term changed. Every
    other arc of the certificate network is the one the last proof checked.
    """
    pot = old.certificate
    if pot is None:
        return None
    sus_v = ~delta.volunteer_same
    sus_n = ~delta.need_same
    fresh = np.flatnonzero(delta.edge_from < 0)
    sus_v[graph.volunteer[fresh]] = True
    sus_n[graph.need[fresh]] = True
    new_of_old = inverse(delta.edge_from, g0.n_edges)
    at = new_of_old[old.edge]
    previous = np.zeros(graph.n_edges, bool)
    previous[at[at >= 0]] = True
    gone = old.edge[at < 0]
    for node, of in ((v_new[g0.volunteer[gone]], sus_v), (n_new[g0.need[gone]], sus_n)):
        of[node[node >= 0]] = True
    if old_bonus is not None or bonus is not None:
        kept = np.flatnonzero(delta.edge_from >= 0)
        was = (
            np.zeros(len(kept), np.int64) if old_bonus is None else old_bonus[delta.edge_from[kept]]
        )
        now = np.zeros(len(kept), np.int64) if bonus is None else bonus[kept]
        differ = kept[was != now]
        sus_v[graph.volunteer[differ]] = True
        sus_n[graph.need[differ]] = True
    return Near(sus_v, sus_n, previous, pot.big_m)


def previous_positions(
    n_old_edges: int, old: GraphSolution, delta: Delta, solution: GraphSolution
) -> IntArray:
    """For each chosen edge, its position in the last plan (-1: none).

    Only an edge between the same two unchanged records counts: its match and
    its pair can be re-used as they are.
    """
    if not n_old_edges:
        return np.full(len(solution.edge), -1, np.int64)
    at = np.full(n_old_edges, -1, np.int64)
    at[old.edge] = np.arange(len(old.edge))  # the last plan's matches are in edge order
    src = delta.edge_from[solution.edge]
    return np.where(src >= 0, at[src], -1)


def mapped_certificate(
    pot: Potentials,
    graph: Graph,
    prev: Certificate,
    old: Potentials,
    g0: Graph,
    v_new: IntArray,
) -> Certificate:
    """``Certificate.from_potentials(pot, graph)``, re-using the last one's slot maps.

    A volunteer whose (volunteer, slot) potentials did not change keeps the
    last certificate's map of them (most volunteers, after a few changes: no
    new objects).
    """
    sv, st, sx = pot.slot_volunteer, pot.slot, pot.slot_node
    names = graph.slot_names
    # the old nodes in the new numbering
    code = {name: t for t, name in enumerate(names)}
    t_of_old = np.array([code.get(name, -1) for name in g0.slot_names], np.int64)
    ov = v_new[old.slot_volunteer]
    ot = t_of_old[old.slot] if len(old.slot) else old.slot
    width = len(names) + 1
    ok = (ov >= 0) & (ot >= 0)
    old_keys, old_vals = ov[ok] * width + ot[ok], old.slot_node[ok]
    if not _is_sorted(old_keys):  # sorted unless slot names were renumbered
        order = np.argsort(old_keys, kind="stable")
        old_keys, old_vals = old_keys[order], old_vals[order]
    keys = sv * width + st
    pos = np.minimum(np.searchsorted(old_keys, keys), max(len(old_keys) - 1, 0))
    same_node = (
        (old_keys[pos] == keys) & (old_vals[pos] == sx)
        if len(old_keys)
        else np.zeros(len(keys), bool)
    )
    nv = graph.n_volunteers
    n_new = np.bincount(sv, minlength=nv)
    same_vol = (np.bincount(ov[ov >= 0], minlength=nv) == n_new) & (
        np.bincount(sv[same_node], minlength=nv) == n_new
    )
    return Certificate.from_potentials(pot, graph, reuse=(prev.slots, same_vol))


MAX_RECOUNT_PAIRS = 2_000_000
"""Most (changed volunteer, unmatched need) pairs a re-plan recounts by difference;
beyond, the unmatched needs are counted afresh (as from scratch)."""


def known_unmatched(
    prev: Result, base: Built, built: Built, delta: Delta, n_new: IntArray
) -> dict[int, Unmatched]:
    """The last plan's unmatched needs whose candidate counts are known, by new index.

    A need's counts depend on its record, the volunteers, the policy and the
    forbidden pairs. For an unchanged need of a graph re-built incrementally
    (same policy and pairs) they hold as they are when no volunteer changed;
    when some did, they are the counts before, less what the volunteers that
    left or changed added to them, plus what the new versions add
    (:meth:`~matcher.graph.build.Diagnostics.counts_with`: counts are sums over
    volunteers).
    """
    if not delta.incremental:
        return {}
    out: dict[int, Unmatched] = {}
    for u in prev.unmatched:
        j = int(n_new[base.need_of[u.need_id]])
        if j >= 0 and delta.need_same[j]:
            out[j] = u
    if not delta.volunteers_changed or not out:
        return out
    same = delta.volunteer_same
    fresh = np.flatnonzero(~same)
    stay = np.zeros(len(base.volunteers), bool)
    stay[delta.volunteer_from[same]] = True
    gone = np.flatnonzero(~stay)
    if (len(fresh) + len(gone)) * len(out) > MAX_RECOUNT_PAIRS:
        return {}
    new_j = np.array(sorted(out), np.int64)
    old_j = np.array([base.need_of[out[j].need_id] for j in new_j.tolist()], np.int64)
    before = np.array([out[j].candidates for j in new_j.tolist()], np.int64).reshape(-1, 5)
    now = before - base.diag.counts_with(old_j, gone) + built.diag.counts_with(new_j, fresh)
    return {
        j: Unmatched(out[j].need_id, out[j].missing, out[j].reason, tuple(c))
        for j, c in zip(new_j.tolist(), now.tolist(), strict=True)
    }


def churn_of(
    pairs: list[tuple[str, str]],
    graph: Any,
    solution: GraphSolution,
    pn: IntArray,
    at: IntArray,
    mask: NDArray[np.bool_],
    cost: float,
    int_cost: int,
) -> Churn:
    """:meth:`Churn.between` the last plan and this one, counted on index arrays.

    Pairs are compared by id, as there: the last plan's pair ``k`` is kept
    when its edge ``at[k]`` (by id, -1: none) is chosen; a chosen edge is new
    when it is not in *mask* (the last plan's edges). Needs that are gone get
    numbers of their own, past the new graph's.
    """
    nn, k = graph.n_needs, len(pn)
    chosen = np.zeros(graph.n_edges, bool)
    chosen[solution.edge] = True
    stays = np.zeros(k, bool)
    stays[at >= 0] = chosen[at[at >= 0]]
    gone_n = np.where(pn >= 0, pn, nn + np.arange(k))[~stays]
    fresh = ~mask[solution.edge]
    new_n = solution.need[fresh]
    size = nn + k
    moved = int(
        np.minimum(np.bincount(gone_n, minlength=size), np.bincount(new_n, minlength=size)).sum()
    )
    return Churn(
        cost=float(cost),
        int_cost=int(int_cost),
        previous=tuple(pairs),
        kept=int(stays.sum()),
        moved=moved,
        added=int(fresh.sum()) - moved,
        dropped=len(gone_n) - moved,
    )
