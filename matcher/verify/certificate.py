"""Check 6 of :func:`~matcher.verify.verify`: the certificate of an ``OPTIMAL`` result.

The certificate network (see :mod:`matcher.solvers._duals`) is rebuilt here
from the problem's records: every feasible pair, found with a k-d tree and the
rules evaluated pair by pair; the load and unserved arcs; the (volunteer,
slot) nodes. Every arc that could still carry flow must have a non-negative
reduced cost under the certificate's potentials, and ``big_m`` (and
``engage``, with participation) must exceed a bound on the cost difference of
any two plans. The verifier's tables (:mod:`.checker`) are read through
:class:`_Verified`, so this module imports nothing of the checker.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ..model import Need, Problem, Volunteer
from ..model.rules import EARTH_RADIUS_KM

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Certificate, Result

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_LIMIT = 1 << 61  # |potentials| and |arc costs| below this keep every sum exact in int64


class _Verified(Protocol):
    """What the certificate check reads of the verifier: records, tables and the plan's totals."""

    p: Problem
    r: Result
    vols: list[Volunteer]
    needs: list[Need]
    vpos: dict[str, int]
    npos: dict[str, int]
    counts: Counter[str]
    step: int
    slot_rule: bool
    limit: NDArray[np.float64]
    vol_xy: NDArray[np.float64]
    need_xy: NDArray[np.float64]
    load: NDArray[Any]
    served: NDArray[Any]

    def bad(self, code: str, message: str, need: str | None = None, vol: str | None = None) -> None:
        """Record one violation."""

    def _rules(self, v: IntArray, n: IntArray) -> tuple[list[BoolArray], NDArray[Any]]:
        """The five rule masks and the distance of pairs."""
        ...

    def _costs(self, v: IntArray, n: IntArray, dist: NDArray[np.float64]) -> IntArray:
        """Integer cost of pairs."""
        ...

    def _unserved_cost(self) -> IntArray:
        """Integer cost of an unserved unit of each need."""
        ...


@dataclass(frozen=True, eq=False)
class _Network:
    """The pairs of the certificate network, their costs and plan status, and the node sizes."""

    v: IntArray
    n: IntArray
    cost: IntArray
    used: BoolArray
    fixed: BoolArray
    nv: int
    nn: int
    pri: IntArray
    dem: IntArray
    cap: IntArray


def _check_certificate(ver: _Verified, pairs: tuple[IntArray, IntArray]) -> None:
    """Check that the certificate of an OPTIMAL result proves its plan (check 6)."""
    cert = ver.r.certificate
    if cert is None:
        ver.bad("certificate", "the result says OPTIMAL but carries no certificate")
        return
    net = _network(ver, pairs)
    unserved = _unserved_weights(ver, cert, net)
    if unserved is None:
        return
    pv, pn, tail_pot, slot_arcs = _node_potentials(ver, cert, net)
    if ver.counts["potential"]:
        return
    _reduced_costs(ver, cert, net, unserved, pv, pn, tail_pot, slot_arcs)


def _network(ver: _Verified, pairs: tuple[IntArray, IntArray]) -> _Network:
    """Every feasible pair with its cost (churn included), whether the plan uses or pins it."""
    v, n, dist = _candidates(ver)
    cost = ver._costs(v, n, dist)
    nv, nn = len(ver.vols), len(ver.needs)
    pri = np.array([b.priority for b in ver.needs], np.int64)
    dem = np.maximum(np.array([b.demand for b in ver.needs], np.int64), 0)
    cap = np.maximum(np.array([a.capacity for a in ver.vols], np.int64), 0)
    keys = v * nn + n
    used = np.isin(keys, pairs[0] * nn + pairs[1])
    churn = ver.r.churn
    if churn is not None and churn.int_cost:
        # A re-plan weighs churn: every previous pair still possible is cheaper
        # by the churn cost (so leaving it costs that much more).
        prev = [
            ver.vpos[b] * nn + ver.npos[a]
            for a, b in churn.previous
            if a in ver.npos and b in ver.vpos
        ]
        cost = cost - churn.int_cost * np.isin(keys, np.array(prev, np.int64))
    pinned_keys = [ver.vpos[b] * nn + ver.npos[a] for a, b in ver.p.pinned]
    fixed = np.isin(keys, np.array(pinned_keys, np.int64))
    return _Network(v, n, cost, used, fixed, nv, nn, pri, dem, cap)


def _unserved_weights(ver: _Verified, cert: Certificate, net: _Network) -> IntArray | None:
    """The cost of an unserved unit of each need: the lexicographic weight, checked (None: bad)."""
    pol = ver.p.policy
    if pol.unmatched_cost is not None:
        return ver._unserved_cost()
    v, nv, cap = net.v, net.nv, net.cap
    bound = _spread_bound(v, net.n, net.cost, net.dem, cap, ver.step, nv, net.nn)
    if pol.participation:
        # One more volunteer engaged must outweigh any cost difference, and
        # coverage any swing of cost and engagement together.
        engage = cert.engage
        if isinstance(engage, bool) or not isinstance(engage, int) or engage <= bound:
            ver.bad(
                "engage",
                f"engage = {engage!r} must exceed {bound}, the largest cost difference "
                "of two plans",
            )
            return None
        can = (np.bincount(v, minlength=nv) > 0) & (cap > 0)
        bound += engage * int(can.sum())
    big_m = cert.big_m
    if isinstance(big_m, bool) or not isinstance(big_m, int) or big_m <= bound:
        ver.bad(
            "big_m",
            f"big_m = {big_m!r} must exceed {bound}, the largest cost difference of two plans",
        )
        return None
    if big_m * int(net.pri.max(initial=0)) >= _LIMIT:
        ver.bad("big_m", f"big_m = {big_m} is out of the exact range")
        return None
    unserved: IntArray = big_m * net.pri
    return unserved


def _node_potentials(
    ver: _Verified, cert: Certificate, net: _Network
) -> tuple[IntArray, IntArray, IntArray, list[tuple[IntArray, IntArray]]]:
    """The potentials of volunteers and needs, of each pair's tail, and the slot arcs' ends."""
    v, n, nv, nn = net.v, net.n, net.nv, net.nn
    pv = np.zeros(nv, np.int64)
    pn = np.zeros(nn, np.int64)
    for i, a in enumerate(ver.vols):
        x = _potential(ver, cert.volunteers, a.id, f"volunteer {a.id!r}")
        pv[i] = 0 if x is None else x
    for j, b in enumerate(ver.needs):
        x = _potential(ver, cert.needs, b.id, f"need {b.id!r}")
        pn[j] = 0 if x is None else x
    tail_pot = pv[v]
    slot_arcs: list[tuple[IntArray, IntArray]] = []  # (tail potentials, head potentials)
    if ver.slot_rule and len(v):
        names = sorted({b.slot for b in ver.needs if b.slot is not None})
        code = {s: k for k, s in enumerate(names)}
        ns_code = np.array([code.get(b.slot, -1) if b.slot is not None else -1 for b in ver.needs])
        s = ns_code[n]
        key = np.where(s >= 0, v * len(names) + s, -1)
        uniq, inverse = np.unique(key, return_inverse=True)
        node_pot = np.zeros(len(uniq), np.int64)
        for k, kk in enumerate(uniq.tolist()):
            if kk < 0:
                continue
            a, slot = ver.vols[kk // len(names)], names[kk % len(names)]
            x = _potential(ver, cert.slots.get(a.id, {}), slot, f"slot node ({a.id!r}, {slot!r})")
            node_pot[k] = 0 if x is None else x
        inverse = inverse.reshape(-1)
        in_slot = s >= 0
        tail_pot = np.where(in_slot, node_pot[inverse], tail_pot)
        busy = np.zeros(len(uniq), bool)
        busy[inverse[net.used & in_slot]] = True
        real = uniq >= 0
        owner = pv[np.where(real, uniq // max(len(names), 1), 0)]
        # v -> (v, t) while free; (v, t) -> v once taken; cost 0
        slot_arcs.append((owner[real & ~busy], node_pot[real & ~busy]))
        slot_arcs.append((node_pot[real & busy], owner[real & busy]))
    return pv, pn, tail_pot, slot_arcs


def _reduced_costs(
    ver: _Verified,
    cert: Certificate,
    net: _Network,
    unserved: IntArray,
    pv: IntArray,
    pn: IntArray,
    tail_pot: IntArray,
    slot_arcs: list[tuple[IntArray, IntArray]],
) -> None:
    """Every residual arc must have a non-negative reduced cost under the potentials."""
    pol = ver.p.policy
    v, n, cost, used, fixed, cap = net.v, net.n, net.cost, net.used, net.fixed, net.cap
    load, served = ver.load, ver.served
    missing = net.dem - served
    checks: list[tuple[str, IntArray | None, IntArray | None, IntArray, Any]] = [
        ("unused pair", v, n, cost + tail_pot - pn[n], ~used & ~fixed),
        ("used pair (backward)", v, n, -cost + pn[n] - tail_pot, used & ~fixed),
    ]
    vi = np.arange(net.nv, dtype=np.int64)
    ni = np.arange(net.nn, dtype=np.int64)
    bonus = cert.engage if pol.participation and pol.unmatched_cost is None else 0
    more = load * ver.step - bonus * (load == 0)  # the next need; the first engages
    fewer = (load - 1) * ver.step - bonus * (load == 1)  # the last need
    checks += [
        ("load (one more)", vi, None, more - pv, load < cap),
        ("load (one fewer)", vi, None, -fewer + pv, load > 0),
        ("unserved (one more)", None, ni, unserved - pn, served > 0),
        ("unserved (one fewer)", None, ni, -unserved + pn, missing > 0),
    ]
    for label, vv, nn_, rc, active in checks:
        for k in np.flatnonzero(active & (rc < 0)).tolist():
            vid = None if vv is None else ver.vols[int(vv[k])].id
            nid = None if nn_ is None else ver.needs[int(nn_[k])].id
            ver.bad(
                "reduced_cost",
                f"{label} arc of need {nid!r} / volunteer {vid!r} has reduced cost {int(rc[k])} < 0",
                nid,
                vid,
            )
    for tp, hp in slot_arcs:
        bad = int(np.sum(tp - hp < 0))
        if bad:
            ver.bad("reduced_cost", f"{bad} slot arc(s) have a negative reduced cost")


def _candidates(ver: _Verified) -> tuple[IntArray, IntArray, NDArray[np.float64]]:
    """Every feasible pair (volunteer, need), found with a k-d tree."""
    vols, needs, pol = ver.vols, ver.needs, ver.p.policy
    if not vols or not needs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    limit, pts_v, pts_n = ver.limit, ver.vol_xy, ver.need_xy
    vs: list[IntArray] = []
    ns: list[IntArray] = []
    anywhere = np.flatnonzero(~np.isfinite(limit))
    for i in anywhere.tolist():
        vs.append(np.full(len(needs), i, np.int64))
        ns.append(np.arange(len(needs), dtype=np.int64))
    near = np.flatnonzero(np.isfinite(limit))
    if len(near):
        if pol.geometry == "plane":
            xv, xn, r = pts_v[near], pts_n, limit[near]
        else:
            xv, xn = _unit(pts_v[near]), _unit(pts_n)
            angle = np.minimum(limit[near] / EARTH_RADIUS_KM, math.pi)
            r = 2.0 * np.sin(angle / 2.0)
        r = r * (1 + 1e-9) + 1e-9  # the exact test follows; never lose a pair to rounding
        hits = cKDTree(xn).query_ball_point(xv, r)
        lens = np.fromiter((len(h) for h in hits), np.int64, len(hits))
        if lens.sum():
            vs.append(np.repeat(near, lens))
            ns.append(np.concatenate([np.asarray(h, np.int64) for h in hits if h]))
    if not vs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    v, n = np.concatenate(vs), np.concatenate(ns)
    masks, dist = ver._rules(v, n)
    ok = np.logical_and.reduce(masks)
    return v[ok], n[ok], dist[ok]


def _potential(ver: _Verified, table: Any, key: str, what: str) -> int | None:
    """The potential ``table[key]`` of a node, or None (and a violation) if unusable."""
    x = table.get(key) if hasattr(table, "get") else None
    if isinstance(x, bool) or not isinstance(x, int):
        ver.bad("potential", f"{what} has no integer potential (got {type(x).__name__})")
        return None
    if abs(x) >= _LIMIT:
        ver.bad("potential", f"{what} has a potential out of the exact range: {x}")
        return None
    return x


def _unit(latlon: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points (lat, lon) in degrees on the unit sphere (chord distance = 2 sin(angle / 2))."""
    lat, lon = np.radians(latlon[:, 0]), np.radians(latlon[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _spread_bound(
    v: IntArray,
    n: IntArray,
    cost: IntArray,
    demand: IntArray,
    capacity: IntArray,
    step: int,
    nv: int,
    nn: int,
) -> int:
    """An upper bound on ``cost(plan A) - cost(plan B)`` over any two plans.

    Need ``j`` takes at most ``min(demand, candidates)`` pairs, each between 0
    and its dearest pair; a volunteer's load penalty is between 0 and its value
    at ``min(capacity, candidates)`` needs.
    """
    deg_v = np.bincount(v, minlength=nv)
    deg_n = np.bincount(n, minlength=nn)
    hi = np.zeros(nn, np.int64)
    lo = np.zeros(nn, np.int64)
    np.maximum.at(hi, n, cost)
    np.minimum.at(lo, n, cost)
    units = np.minimum(demand, deg_n)
    k = np.minimum(capacity, deg_v)
    return int(np.dot(units, hi)) - int(np.dot(units, lo)) + step * int(np.sum(k * (k - 1) // 2))
