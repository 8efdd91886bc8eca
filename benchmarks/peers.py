"""Peers: other ways to reach matcher's exact optimum, timed the same way.

Every peer implements the objective of DESIGN.md exactly (lexicographic: most
served priority, then least integer cost; or, with a finite
``unmatched_cost``, least cost plus unserved penalties), so its two numbers
must equal matcher's; callers check that before reporting any time.

bare_ortools
    What a skilled user would write end to end without matcher: the records
    read into numpy arrays, candidate pairs from a k-d tree, the rules and the
    costs vectorised, the min-cost-flow network fed to OR-Tools'
    ``SimpleMinCostFlow``. Times per stage: build, solve, extract.
scipy_matching
    The copies reduction of a :class:`matcher.Graph` to
    ``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp),
    where that reduction is exact (else :class:`NotApplicable`).
highs_lp
    matcher's min-cost-flow network as a linear programme solved by HiGHS
    (``scipy.optimize.linprog``); the network matrix is totally unimodular, so
    the optimum is integral.
networkx_simplex
    ``matcher.solve_graph(graph, method="network_simplex")``, the independent
    reference.

The graph peers time the whole ``graph -> chosen pairs`` path (as
``matcher.solve_graph`` does): ``seconds`` is that, ``stages`` splits it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from scipy.optimize import linprog
from scipy.sparse.csgraph import min_weight_full_bipartite_matching
from scipy.spatial import cKDTree

import matcher
from matcher.planning.solving import _instance
from matcher.solvers._base import Instance, evaluate, fix_pinned, fold_objective
from matcher.solvers._network import build_network
from matcher.solvers.hungarian import refusal

__all__ = [
    "NotApplicable",
    "PeerResult",
    "bare_ortools",
    "highs_lp",
    "networkx_simplex",
    "scipy_matching",
]

EARTH_RADIUS_KM = 6371.0088


class NotApplicable(Exception):
    """The peer cannot express this problem exactly."""


@dataclass(frozen=True, eq=False)
class PeerResult:
    """A peer's optimum and times.

    ``pairs`` are ``(need_id, volunteer_id)`` sorted; ``seconds`` is the solve
    stage (for bare_ortools, the OR-Tools stage only); ``stages`` maps each
    stage to its seconds.
    """

    name: str
    served_priority: int
    int_cost: int
    int_penalty: int
    pairs: tuple[tuple[str, str], ...]
    seconds: float
    stages: Mapping[str, float] = field(default_factory=dict)

    @property
    def objective(self) -> tuple[int, int, int]:
        return (self.served_priority, self.int_cost, self.int_penalty)


# ---------------------------------------------------------------------------
# bare OR-Tools, from the records
# ---------------------------------------------------------------------------


def bare_ortools(
    volunteers: Sequence[Any],
    needs: Sequence[Any],
    policy: Any,
    pinned: Sequence[tuple[str, str]] = (),
    forbidden: Sequence[tuple[str, str]] = (),
) -> PeerResult:
    """Solve from the records with numpy, cKDTree and OR-Tools only."""
    if pinned or forbidden:
        raise NotImplementedError("bare_ortools does not handle pinned or forbidden pairs")
    t0 = time.perf_counter()
    nv, nn, w, res = len(volunteers), len(needs), policy.weights, policy.resolution

    def codes(values: list[Any]) -> tuple[np.ndarray, dict[Any, int]]:
        names = {x: i for i, x in enumerate(sorted({x for x in values if x is not None}))}
        return np.array([names.get(x, -1) for x in values], np.int64), names

    def table(rows: list[Any], names: dict[Any, int], width: int, dtype: Any) -> np.ndarray:
        """A (len(rows), width) table of {name: value} mappings or sets of names (value 1)."""
        out = np.zeros((len(rows), width), dtype)
        cells = [
            (i, names[k], r[k] if isinstance(r, Mapping) else 1)
            for i, r in enumerate(rows)
            for k in r
            if k in names
        ]
        if cells:
            i, j, x = np.array(cells).T
            out[i, j] = x
        return out

    # -- records -> arrays
    vxy = np.array([v.location for v in volunteers], float).reshape(nv, 2)
    nxy = np.array([n.location for n in needs], float).reshape(nn, 2)
    skill = {
        s: i for i, s in enumerate(sorted({s for r in (*volunteers, *needs) for s in r.skills}))
    }
    vlev = table([v.skills for v in volunteers], skill, len(skill), np.int8)
    nlev = table([n.skills for n in needs], skill, len(skill), np.int8)
    nslot, slot = codes([n.slot for n in needs])
    vfree = table([v.slots or frozenset() for v in volunteers], slot, len(slot) + 1, bool)
    vfree[:, -1] = True  # column -1: needs without a slot
    vfree[[v.slots is None for v in volunteers]] = True
    ncat, cat = codes([n.category for n in needs])
    vpref = table([v.categories for v in volunteers], cat, len(cat), bool)
    vhaspref = np.array([len(v.categories) > 0 for v in volunteers], bool)
    comm, _ = codes([r.community for r in (*volunteers, *needs)])
    vcomm, ncomm = comm[:nv], comm[nv:]
    cap = np.array([v.capacity for v in volunteers], np.int64)
    dem = np.array([n.demand for n in needs], np.int64)
    pri = np.array([n.priority for n in needs], np.int64)
    own = [np.inf if v.max_distance_km is None else v.max_distance_km for v in volunteers]
    gmax = np.inf if policy.max_distance_km is None else policy.max_distance_km
    limit = np.minimum(np.array(own, float), gmax)

    # -- candidate pairs: a k-d tree within the largest limit (3-D unit vectors on the sphere)
    geo, rmax = policy.geometry == "geo", float(limit.max(initial=0.0))
    if np.isinf(rmax):
        v, n = (a.ravel() for a in np.meshgrid(np.arange(nv), np.arange(nn), indexing="ij"))
    else:
        lat, lon = np.radians(np.r_[vxy, nxy]).T
        xyz = np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
        pts = xyz if geo else np.r_[vxy, nxy]
        r = 2 * np.sin(min(rmax / (2 * EARTH_RADIUS_KM), np.pi / 2)) if geo else rmax
        hits = cKDTree(pts[:nv]).sparse_distance_matrix(
            cKDTree(pts[nv:]), r * (1 + 1e-9) + 1e-12, output_type="ndarray"
        )
        v, n = hits["i"].astype(np.int64), hits["j"].astype(np.int64)
    # -- the cheap rules first, then skills, then the exact distance on what is left
    ok = (cap[v] > 0) & vfree[v, nslot[n]]
    if policy.same_community:
        ok &= (vcomm[v] >= 0) & (vcomm[v] == ncomm[n])
    v, n = v[ok], n[ok]
    ok = np.all(vlev[v] >= nlev[n], axis=1)
    v, n = v[ok], n[ok]
    if geo:  # the haversine, with the float operations of matcher/model/rules.py
        cv, cn = np.cos(np.radians(vxy[:, 0])), np.cos(np.radians(nxy[:, 0]))
        dphi, dlam = np.radians(nxy[n] - vxy[v]).T
        h = np.sin(dphi / 2) ** 2 + cv[v] * cn[n] * np.sin(dlam / 2) ** 2
        dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    else:
        dx, dy = (nxy[n] - vxy[v]).T
        dist = np.sqrt(dx * dx + dy * dy)
    ok = dist <= limit[v]
    v, n, dist = v[ok], n[ok], dist[ok]

    # -- integer costs (terms summed left to right, as in the formula)
    over = ((vlev[v] - nlev[n]) * (nlev[n] > 0)).sum(axis=1, dtype=np.int64)
    miss = vhaspref[v] & ~vpref[v, ncat[n]]
    outside = (vcomm[v] >= 0) & (ncomm[n] >= 0) & (vcomm[v] != ncomm[n])
    cost = w.distance * dist + w.overskill * over.astype(float)
    cost = cost + w.preference * miss.astype(float) + w.outside * outside.astype(float)
    icost = np.rint(cost / res).astype(np.int64)
    step = int(np.rint(policy.load_penalty / res))

    # -- network: 0 source, 1..nv volunteers, needs, then volunteer x slot nodes
    m, n_nodes, tail = len(v), 1 + nv + nn, 1 + v
    k = np.minimum(cap, np.bincount(v, minlength=nv))  # the loads that can happen
    slot_tail = slot_head = np.zeros(0, np.int64)
    if policy.one_need_per_slot and m:
        key = np.where((nslot[n] >= 0) & (k[v] >= 2), v * (len(slot) + 1) + nslot[n], -1)
        uniq, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
        shared = (uniq >= 0) & (cnt >= 2)
        node = np.where(shared, n_nodes + np.cumsum(shared) - 1, -1)
        tail = np.where(node[inv] >= 0, node[inv], tail)
        slot_tail, slot_head = 1 + uniq[shared] // (len(slot) + 1), node[shared]
        n_nodes += int(shared.sum())
    lv = np.repeat(np.arange(nv), k)  # the i-th load arc of a volunteer costs i * step
    lcost = step * (np.arange(len(lv)) - np.repeat(np.cumsum(k) - k, k))
    if policy.unmatched_cost is None:  # B * priority, B > any plan's cost (costs >= 0)
        hi = np.zeros(nn, np.int64)
        np.maximum.at(hi, n, icost)
        units = np.minimum(dem, np.bincount(n, minlength=nn))
        unserved = (1 + int(units @ hi) + step * int((k * (k - 1) // 2).sum())) * pri
    else:
        unserved = np.rint(policy.unmatched_cost * pri.astype(float) / res).astype(np.int64)
    # arcs: pairs, load (source -> volunteer), slot (volunteer -> volunteer x slot), unserved
    tails = np.r_[tail, np.zeros(len(lv), np.int64), slot_tail, np.zeros(nn, np.int64)]
    heads = np.r_[1 + nv + n, 1 + lv, slot_head, 1 + nv + np.arange(nn)]
    caps = np.r_[np.ones(m + len(lv) + len(slot_tail), np.int64), dem]
    costs = np.r_[icost, lcost, np.zeros(len(slot_tail), np.int64), unserved]
    supply = np.zeros(n_nodes, np.int64)
    supply[0], supply[1 + nv : 1 + nv + nn] = dem.sum(), -dem

    t1 = time.perf_counter()
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_nodes_supplies(np.arange(n_nodes), supply)
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("SimpleMinCostFlow did not reach OPTIMAL")
    used = smcf.flows(np.arange(m)) > 0
    t2 = time.perf_counter()

    served = np.bincount(n[used], minlength=nn)
    load = np.bincount(v[used], minlength=nv)
    int_cost = int(icost[used].sum()) + step * int((load * (load - 1) // 2).sum())
    penalty = 0 if policy.unmatched_cost is None else int((dem - served) @ unserved)
    pairs = sorted((needs[j].id, volunteers[i].id) for i, j in zip(v[used], n[used], strict=True))
    stages = {"build": t1 - t0, "solve": t2 - t1, "extract": time.perf_counter() - t2}
    return PeerResult(
        "bare_ortools", int(pri @ served), int_cost, penalty, tuple(pairs), t2 - t1, stages
    )


# ---------------------------------------------------------------------------
# Peers on a matcher.Graph
# ---------------------------------------------------------------------------


def _prepared(graph: matcher.Graph) -> tuple[Instance, Instance, np.ndarray]:
    """The instance of *graph*, and the residual solvers see (pinned fixed, objective folded)."""
    inst = _instance(graph)
    residual, kept = fix_pinned(inst, np.asarray(graph.pinned))
    return inst, fold_objective(residual, graph.unserved_cost is None), kept


def _result(
    name: str,
    graph: matcher.Graph,
    inst: Instance,
    chosen: np.ndarray,
    seconds: float,
    stages: Mapping[str, float],
) -> PeerResult:
    """Recompute the objective from the chosen edges of *graph* (pinned included)."""
    chosen = np.sort(np.asarray(chosen, np.int64))
    obj = evaluate(inst, chosen, None if graph.unserved_cost is None else inst.unserved_cost)
    pairs = tuple(
        sorted(
            (graph.need_ids[j], graph.volunteer_ids[i])
            for i, j in zip(
                graph.volunteer[chosen].tolist(), graph.need[chosen].tolist(), strict=True
            )
        )
    )
    return PeerResult(
        name, obj.served_priority, obj.int_cost, obj.int_penalty, pairs, seconds, dict(stages)
    )


def scipy_matching(graph: matcher.Graph) -> PeerResult:
    """Min-weight full bipartite matching (LAPJVsp) on capacity and demand copies.

    Rows are need copies (``min(demand, degree)`` each); columns are volunteer
    copies (``min(capacity, degree)`` each, the k-th carrying the k-th load
    step) and one "unserved" column per row. Exact only where matcher's
    hungarian method is (no volunteer can fill two units of one need, no
    binding one-need-per-slot, float64-exact costs); else :class:`NotApplicable`.
    """
    t0 = time.perf_counter()
    inst, res, kept = _prepared(graph)
    why = refusal(res, max_cells=1 << 62)  # the dense-size limit does not apply here
    if why is not None:
        raise NotApplicable(why)
    deg_v, deg_n = res.degree()
    cap = np.minimum(np.maximum(res.capacity, 0), deg_v)
    dem = np.minimum(np.maximum(res.demand, 0), deg_n)
    rows, ncopies = int(dem.sum()), int(cap.sum())
    chosen = np.zeros(0, np.int64)
    t1 = t2 = t0
    if rows:
        row_start, col_start = np.cumsum(dem) - dem, np.cumsum(cap) - cap
        v, j = res.volunteer, res.need
        reps = dem[j] * cap[v]  # one of the two is 1 (refusal)
        e = np.repeat(np.arange(res.n_edges), reps)
        t = np.arange(len(e)) - np.repeat(np.cumsum(reps) - reps, reps)
        ve, je = v[e], j[e]
        copy_v = t % cap[ve]
        r = row_start[je] + t // cap[ve]
        c = col_start[ve] + copy_v
        wgt = res.cost[e] + (res.load_start[ve] + copy_v) * res.load_step
        row_need = np.repeat(np.arange(res.n_needs), dem)
        r = np.concatenate([r, np.arange(rows)])
        c = np.concatenate([c, ncopies + np.arange(rows)])
        wgt = np.concatenate([wgt, res.unserved_cost[row_need]])
        shift = 1 - int(wgt.min())  # explicit zeros would be read as missing edges
        matrix = sp.csr_array(((wgt + shift).astype(float), (r, c)), shape=(rows, ncopies + rows))
        t1 = time.perf_counter()
        row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
        t2 = time.perf_counter()
        real = col_ind < ncopies
        col_vol = np.repeat(np.arange(res.n_volunteers), cap)
        keys = v * res.n_needs + j
        order = np.argsort(keys)
        pos = np.searchsorted(
            keys[order], col_vol[col_ind[real]] * res.n_needs + row_need[row_ind[real]]
        )
        chosen = order[pos]
    chosen = np.concatenate([kept[chosen], np.nonzero(np.asarray(graph.pinned))[0]])
    t3 = time.perf_counter()
    stages = {"reduce": t1 - t0, "match": t2 - t1, "extract": t3 - t2}
    return _result("scipy_matching", graph, inst, chosen, t3 - t0, stages)


def highs_lp(graph: matcher.Graph) -> PeerResult:
    """matcher's min-cost-flow network as an LP, ``linprog(method="highs")``.

    Flow conservation ``A x = supply`` with the sparse node-arc incidence
    matrix ``A`` (+1 at the tail, -1 at the head), ``0 <= x <= capacity``.
    A network matrix is totally unimodular and the data are integers, so the
    basic optimum HiGHS returns is integral; the pair flows are rounded and
    the objective recomputed from the plan.
    """
    t0 = time.perf_counter()
    inst, res, kept = _prepared(graph)
    net = build_network(res)
    arcs = np.arange(net.n_arcs)
    a_eq = sp.csc_array(
        (
            np.r_[np.ones(net.n_arcs), -np.ones(net.n_arcs)],
            (np.r_[net.tail, net.head], np.r_[arcs, arcs]),
        ),
        shape=(net.n_nodes, net.n_arcs),
    )
    bounds = np.column_stack((np.zeros(net.n_arcs), net.capacity.astype(float)))
    t1 = time.perf_counter()
    if net.n_arcs:
        lp = linprog(
            net.cost.astype(float),
            A_eq=a_eq,
            b_eq=net.supply.astype(float),
            bounds=bounds,
            method="highs",
        )
        if lp.status != 0:
            raise RuntimeError(f"HiGHS: {lp.message}")
        x = lp.x
    else:
        x = np.zeros(0)
    t2 = time.perf_counter()
    flows = np.rint(x[: net.n_pair_arcs]).astype(np.int64)
    chosen = np.concatenate(
        [kept[np.nonzero(flows > 0)[0]], np.nonzero(np.asarray(graph.pinned))[0]]
    )
    t3 = time.perf_counter()
    stages = {"network": t1 - t0, "lp": t2 - t1, "extract": t3 - t2}
    return _result("highs_lp", graph, inst, chosen, t3 - t0, stages)


def networkx_simplex(graph: matcher.Graph) -> PeerResult:
    """``matcher.solve_graph(graph, method="network_simplex")`` as a PeerResult."""
    t0 = time.perf_counter()
    sol = matcher.solve_graph(graph, method="network_simplex")
    t1 = time.perf_counter()
    inst = _instance(graph)
    return _result("networkx_simplex", graph, inst, sol.edge, t1 - t0, {"solve": t1 - t0})
