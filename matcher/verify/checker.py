"""Check a result against its problem, independently of the solvers.

:func:`verify` (also :meth:`Result.verify` and ``matcher verify`` on the
command line) re-derives everything a result claims from the problem's
records, with its own code: it does not call the candidate-graph builder, the
network builder or any solver. It checks

1. every match names a known need and volunteer, once, and the pair passes
   the five feasibility rules of DESIGN.md (the rule it breaks is named);
2. each match's cost and distance are those of the cost formula;
3. capacities, demands, one need per volunteer per slot, pinned pairs in;
4. every need is accounted for: served units plus ``missing`` equal its
   demand, and a need short of its demand is listed in ``unmatched``;
5. the objective is that of the plan;
6. for an ``OPTIMAL`` result, the :class:`~matcher.Certificate`: every arc of
   the certificate network (see :mod:`matcher.solvers._duals`) that could
   still carry flow has a non-negative reduced cost under its potentials, and
   ``big_m`` exceeds a bound on the cost difference of any two plans -- which
   proves the plan optimal for the lexicographic objective.

The candidate pairs needed for 6 are enumerated by the certificate check
(``certificate.py``) with a k-d tree and the rules evaluated pair by pair
(vectorised); the work is linear in the number of candidate pairs. The only code shared with the solving path is the distance
formula (:func:`matcher.model.rules.pair_distance_km`), so that both sides agree to
the last bit on pairs exactly at the travel limit.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..model import Problem
from ..model.rules import pair_distance_km
from .certificate import _check_certificate

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result

__all__ = ["VIOLATIONS", "Violation", "verify"]

IntArray = NDArray[np.int64]

VIOLATIONS = {
    "unknown_id": "a match or an unmatched entry names a need or volunteer not in the problem",
    "duplicate": "the same pair is matched twice, or a need is listed twice as unmatched",
    "infeasible": "a matched pair breaks a feasibility rule (the rule is named)",
    "cost": "a match's cost or distance is not that of the cost formula",
    "capacity": "a volunteer serves more needs than its capacity",
    "demand": "a need is served by more volunteers than its demand",
    "slot": "a volunteer serves two needs in one slot (one_need_per_slot)",
    "pinned": "a pinned pair is not in the plan",
    "unaccounted": "a need's served and missing units do not add up to its demand",
    "objective": "the reported objective is not that of the plan",
    "certificate": "an optimal result has no usable certificate",
    "big_m": "the certificate's big_m does not exceed the cost difference of two plans",
    "potential": "a node of the certificate network has no potential, or an unusable one",
    "reduced_cost": "an arc has a negative reduced cost: the potentials do not prove optimality",
    "engage": "the certificate's engage weight (participation) does not exceed the cost difference of two plans",
    "team": "a team (Need.group) is served in part: some of its needs not fully",
    "floor": "an employer unit has fewer volunteers engaged than its participation floor",
    "churn": "a re-plan's churn counts are not those of its previous and current pairs",
}
"""Violation codes -> meaning."""

_MAX_LISTED = 20  # violations of one kind listed one by one before a summary


@dataclass(frozen=True)
class Violation:
    """One thing a result gets wrong.

    Attributes
    ----------
    code : str
        One of :data:`VIOLATIONS`.
    message : str
        What is wrong, naming ids and numbers (never a user's extra fields).
    need_id, volunteer_id : str or None
        The records concerned, when there are.

    Examples
    --------
    >>> from matcher import Violation
    >>> print(Violation("capacity", "volunteer 'v1' serves 3 > capacity 2", volunteer_id="v1"))
    capacity: volunteer 'v1' serves 3 > capacity 2
    """

    code: str
    message: str
    need_id: str | None = None
    volunteer_id: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def verify(problem: Problem, result: Result) -> list[Violation]:
    """Check *result* against *problem*; return every violation found.

    Parameters
    ----------
    problem : Problem
    result : Result

    Returns
    -------
    list of Violation
        Empty when the plan is valid, its numbers are right and, if it claims
        to be ``OPTIMAL``, its certificate proves it. The certificate is only
        checked when the plan itself has no violation.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["driving"], (0.0, 0.0), capacity=2)],
    ...             [Need("a", "medical", ["driving"], (1.0, 0.0)),
    ...              Need("b", "medical", ["driving"], (2.0, 0.0))], Policy(geometry="plane"))
    >>> r = solve(p)
    >>> verify(p, r)
    []
    >>> forged = replace(r, matches=r.matches[:1])
    >>> [v.code for v in verify(p, forged)]
    ['unaccounted', 'objective']
    """
    return _Verifier(problem, result).run()


class _Verifier:
    def __init__(self, problem: Problem, result: Result):
        self.p = problem
        self.r = result
        self.out: list[Violation] = []
        self.counts: Counter[str] = Counter()
        pol = problem.policy
        self.res = pol.resolution
        self.vols = list(problem.volunteers)
        self.needs = list(problem.needs)
        self.vpos = {v.id: i for i, v in enumerate(self.vols)}
        self.npos = {n.id: i for i, n in enumerate(self.needs)}
        self.step = int(np.rint(pol.load_penalty / pol.resolution))
        self.slot_rule = pol.one_need_per_slot and any(n.slot is not None for n in self.needs)

    # ---------------------------------------------------------------- output
    def bad(self, code: str, message: str, need: str | None = None, vol: str | None = None) -> None:
        self.counts[code] += 1
        if self.counts[code] <= _MAX_LISTED:
            self.out.append(Violation(code, message, need, vol))

    def run(self) -> list[Violation]:
        self._tables()
        pairs = self._plan()
        self._feasibility(pairs)
        self._constraints(pairs)
        self._accounting(pairs)
        self._objective(pairs)
        self._churn()
        self._teams(pairs)
        self._floors(pairs)
        teams = any(b.group is not None for b in self.needs) or any(
            k > 0 for k in self.p.policy.participation_floors.values()
        )
        if self.r.status.value == "optimal" and not teams:
            # (a plan with teams is no flow: its optimality rests on HiGHS's proof)
            if self.out:
                pass  # a certificate cannot prove an invalid plan; the plan's faults are listed
            else:
                _check_certificate(self, pairs)
        for code, k in self.counts.items():
            if k > _MAX_LISTED:
                self.out.append(Violation(code, f"... and {k - _MAX_LISTED} more of this kind"))
        return self.out

    # ---------------------------------------------------------------- the plan
    def _plan(self) -> tuple[IntArray, IntArray]:
        """The matches as (volunteer, need) record indices, known and distinct."""
        seen: set[tuple[int, int]] = set()
        vs, ns = [], []
        for m in self.r.matches:
            i, j = self.vpos.get(m.volunteer_id), self.npos.get(m.need_id)
            if i is None or j is None:
                which = "volunteer" if i is None else "need"
                self.bad(
                    "unknown_id",
                    f"match ({m.need_id!r}, {m.volunteer_id!r}) names an unknown {which}",
                    m.need_id,
                    m.volunteer_id,
                )
                continue
            if (i, j) in seen:
                self.bad(
                    "duplicate",
                    f"pair ({m.need_id!r}, {m.volunteer_id!r}) is matched twice",
                    m.need_id,
                    m.volunteer_id,
                )
                continue
            seen.add((i, j))
            vs.append(i)
            ns.append(j)
        return np.array(vs, np.int64), np.array(ns, np.int64)

    # ------------------------------------------------------- rules and costs
    def _tables(self) -> None:
        """Per-record arrays (one pass over the records), so pair rules are array lookups."""
        vols, needs, pol = self.vols, self.needs, self.p.policy
        names = sorted({s for b in needs for s in b.skills})
        col = {s: k for k, s in enumerate(names)}
        self.need_level = np.zeros((len(needs), len(names)), np.int64)
        self.vol_level = np.zeros((len(vols), len(names)), np.int64)
        for j, b in enumerate(needs):
            for s, lvl in b.skills.items():
                self.need_level[j, col[s]] = lvl
        for i, a in enumerate(vols):
            for s, lvl in a.skills.items():
                if s in col:
                    self.vol_level[i, col[s]] = lvl
        slots = sorted({b.slot for b in needs if b.slot is not None})
        scol = {s: k for k, s in enumerate(slots)}
        self.need_slot = np.array([-1 if b.slot is None else scol[b.slot] for b in needs], np.int64)
        self.vol_any_slot = np.array([a.slots is None for a in vols], bool)
        self.vol_free = np.zeros((len(vols), max(len(slots), 1)), bool)
        for i, a in enumerate(vols):
            for s in a.slots or ():
                if s in scol:
                    self.vol_free[i, scol[s]] = True
        known = {a.community for a in vols} | {b.community for b in needs}
        comms: dict[str | None, int] = {
            c: k for k, c in enumerate(sorted(c for c in known if c is not None))
        }
        self.vol_comm = np.array([comms.get(a.community, -1) for a in vols], np.int64)
        self.need_comm = np.array([comms.get(b.community, -1) for b in needs], np.int64)
        cats = {c: k for k, c in enumerate(sorted({b.category for b in needs}))}
        self.need_cat = np.array([cats[b.category] for b in needs], np.int64)
        self.vol_pref = np.zeros((len(vols), max(len(cats), 1)), bool)
        for i, a in enumerate(vols):
            for c in a.categories:
                if c in cats:
                    self.vol_pref[i, cats[c]] = True
        self.vol_has_pref = np.array([bool(a.categories) for a in vols], bool)
        self.capacity = np.array([a.capacity for a in vols], np.int64)
        self.limit = np.array([self._limit(a) for a in vols], np.float64)
        self.vol_xy = np.array([a.location for a in vols], np.float64).reshape(-1, 2)
        self.need_xy = np.array([b.location for b in needs], np.float64).reshape(-1, 2)
        self.forbidden = np.array(
            sorted(self.vpos[b] * len(needs) + self.npos[a] for a, b in self.p.forbidden), np.int64
        )
        self.same_community = pol.same_community

    def _rules(self, v: IntArray, n: IntArray) -> tuple[list[NDArray[np.bool_]], NDArray[Any]]:
        """The five rule masks and the distance of pairs ``(v[i], n[i])``."""
        skills = np.ones(len(v), bool)
        for lo in range(0, len(v), 1 << 20):
            hi = lo + (1 << 20)
            skills[lo:hi] = np.all(self.vol_level[v[lo:hi]] >= self.need_level[n[lo:hi]], axis=1)
        dist = pair_distance_km(self.p.policy.geometry, self.vol_xy[v], self.need_xy[n])
        s = self.need_slot[n]
        slot = (s < 0) | self.vol_any_slot[v] | self.vol_free[v, np.maximum(s, 0)]
        if self.same_community:
            community = (self.vol_comm[v] >= 0) & (self.vol_comm[v] == self.need_comm[n])
        else:
            community = np.ones(len(v), bool)
        available = (self.capacity[v] > 0) & ~np.isin(v * len(self.needs) + n, self.forbidden)
        return [skills, dist <= self.limit[v], slot, community, available], dist

    def _limit(self, v: Any) -> float:
        lims = [x for x in (self.p.policy.max_distance_km, v.max_distance_km) if x is not None]
        return min(lims) if lims else math.inf

    def _costs(self, v: IntArray, n: IntArray, dist: NDArray[np.float64]) -> IntArray:
        """Integer cost of pairs, by the formula of DESIGN.md (terms summed in its order)."""
        w = self.p.policy.weights
        need = self.need_level[n]
        over = ((self.vol_level[v] - need) * (need > 0)).sum(axis=1, dtype=np.int64)
        miss = self.vol_has_pref[v] & ~self.vol_pref[v, self.need_cat[n]]
        cv, cn = self.vol_comm[v], self.need_comm[n]
        outside = (cv >= 0) & (cn >= 0) & (cv != cn)
        before = self._served_before(v, n)
        total = (
            w.distance * dist
            + w.overskill * over.astype(np.float64)
            + w.preference * miss.astype(np.float64)
            + w.outside * outside.astype(np.float64)
            + np.where(before, -w.continuity, 0.0)
        )
        return np.rint(total / self.res).astype(np.int64)

    def _served_before(self, v: IntArray, n: IntArray) -> NDArray[np.bool_]:
        """Pairs in the problem's history, by the need's id or its household."""
        hist = self.p.history
        if not hist or not self.p.policy.weights.continuity or not len(v):
            return np.zeros(len(v), bool)
        # Per volunteer, the history's keys; a pair matches by need id or household.
        keys_of: dict[int, set[str]] = {}
        for key, vid in hist:
            if vid in self.vpos:
                keys_of.setdefault(self.vpos[vid], set()).add(key)
        out = np.zeros(len(v), bool)
        cand = np.flatnonzero(np.isin(v, np.fromiter(keys_of, np.int64, len(keys_of))))
        for k in cand.tolist():
            b = self.needs[n[k]]
            mine = keys_of[int(v[k])]
            out[k] = b.id in mine or (b.household is not None and b.household in mine)
        return out

    def _feasibility(self, pairs: tuple[IntArray, IntArray]) -> None:
        v, n = pairs
        masks, dist = self._rules(v, n)
        names = ("skills", "distance", "slot", "community", "available")
        ok = np.logical_and.reduce(masks) if len(v) else np.zeros(0, bool)
        for k in np.flatnonzero(~ok).tolist():
            rule = next(nm for nm, mk in zip(names, masks, strict=True) if not mk[k])
            a, b = self.vols[v[k]], self.needs[n[k]]
            if rule == "available":
                why = "capacity 0" if a.capacity <= 0 else "forbidden pair"
                rule = f"available ({why})"
            self.bad(
                "infeasible",
                f"pair ({b.id!r}, {a.id!r}) breaks the {rule} rule",
                b.id,
                a.id,
            )
        self.pair_cost = self._costs(v, n, dist)
        by_pair = {(m.volunteer_id, m.need_id): m for m in self.r.matches}
        for k in range(len(v)):
            a, b = self.vols[v[k]], self.needs[n[k]]
            m = by_pair[(a.id, b.id)]
            want = int(self.pair_cost[k])
            if round(m.cost / self.res) != want or not math.isclose(
                m.distance_km, float(dist[k]), rel_tol=1e-12, abs_tol=1e-12
            ):
                self.bad(
                    "cost",
                    f"match ({b.id!r}, {a.id!r}) reports cost {m.cost!r} and distance "
                    f"{m.distance_km!r} km; the formula gives {want * self.res!r} and "
                    f"{float(dist[k])!r} km",
                    b.id,
                    a.id,
                )

    def _constraints(self, pairs: tuple[IntArray, IntArray]) -> None:
        v, n = pairs
        load = np.bincount(v, minlength=len(self.vols))
        served = np.bincount(n, minlength=len(self.needs))
        for i in np.flatnonzero(load > [a.capacity for a in self.vols]).tolist():
            a = self.vols[i]
            self.bad(
                "capacity", f"volunteer {a.id!r} serves {load[i]} > capacity {a.capacity}", vol=a.id
            )
        for j in np.flatnonzero(served > [b.demand for b in self.needs]).tolist():
            b = self.needs[j]
            self.bad(
                "demand", f"need {b.id!r} is served {served[j]} > demand {b.demand} times", b.id
            )
        if self.p.policy.one_need_per_slot:
            busy = Counter(
                (i, self.needs[j].slot)
                for i, j in zip(v.tolist(), n.tolist(), strict=True)
                if self.needs[j].slot is not None
            )
            for (i, slot), k in sorted(busy.items()):
                if k > 1:
                    vid = self.vols[i].id
                    self.bad(
                        "slot", f"volunteer {vid!r} serves {k} needs in slot {slot!r}", vol=vid
                    )
        plan = {
            (self.needs[j].id, self.vols[i].id) for i, j in zip(v.tolist(), n.tolist(), strict=True)
        }
        for need_id, vol_id in self.p.pinned:
            if (need_id, vol_id) not in plan:
                self.bad(
                    "pinned",
                    f"pinned pair ({need_id!r}, {vol_id!r}) is not in the plan",
                    need_id,
                    vol_id,
                )
        self.load, self.served = load, served

    def _accounting(self, pairs: tuple[IntArray, IntArray]) -> None:
        listed: dict[str, int] = {}
        for u in self.r.unmatched:
            if u.need_id not in self.npos:
                self.bad(
                    "unknown_id", f"unmatched need {u.need_id!r} is not in the problem", u.need_id
                )
            elif u.need_id in listed:
                self.bad("duplicate", f"need {u.need_id!r} is listed twice as unmatched", u.need_id)
            else:
                listed[u.need_id] = u.missing
        for j, b in enumerate(self.needs):
            missing = int(b.demand - self.served[j])
            said = listed.get(b.id, 0)
            if missing > 0 and said != missing or missing <= 0 and b.id in listed:
                self.bad(
                    "unaccounted",
                    f"need {b.id!r}: demand {b.demand}, served {int(self.served[j])}, "
                    f"reported missing {said if b.id in listed else 'nothing'}",
                    b.id,
                )

    def _unserved_cost(self) -> IntArray:
        pol = self.p.policy
        pri = np.array([b.priority for b in self.needs], np.float64)
        assert pol.unmatched_cost is not None
        return np.rint(pol.unmatched_cost * pri / self.res).astype(np.int64)

    def _objective(self, pairs: tuple[IntArray, IntArray]) -> None:
        v, n = pairs
        pri = np.array([b.priority for b in self.needs], np.int64)
        dem = np.array([b.demand for b in self.needs], np.int64)
        served_priority = int(np.dot(pri, self.served))
        load = self.load
        int_cost = int(self.pair_cost.sum()) + self.step * int(np.sum(load * (load - 1) // 2))
        penalty = 0
        if self.p.policy.unmatched_cost is not None:
            penalty = int(np.dot(self._unserved_cost(), dem - self.served))
        o = self.r.objective
        got = (o.served_priority, o.int_cost, o.int_penalty)
        want = (served_priority, int_cost, penalty)
        if got != want or not math.isclose(o.cost, int_cost * self.res, rel_tol=1e-9, abs_tol=1e-9):
            self.bad(
                "objective",
                f"reported (served_priority, int_cost, int_penalty) = {got}, the plan gives {want}",
            )

    def _teams(self, pairs: tuple[IntArray, IntArray]) -> None:
        """Each team (Need.group) served whole -- every unit of each need -- or not at all."""
        served = np.bincount(pairs[1], minlength=len(self.needs))
        members: dict[str, list[int]] = {}
        for j, b in enumerate(self.needs):
            if b.group is not None:
                members.setdefault(b.group, []).append(j)
        for g, js in sorted(members.items()):
            full = [served[j] == self.needs[j].demand for j in js]
            if any(served[j] for j in js) and not all(full):
                part = [self.needs[j].id for j, ok in zip(js, full, strict=True) if not ok]
                self.bad("team", f"team {g!r} is served in part: {part} not fully served", part[0])

    def _floors(self, pairs: tuple[IntArray, IntArray]) -> None:
        """Each employer unit with a participation floor has that many volunteers engaged."""
        floors = self.p.policy.participation_floors
        if not floors:
            return
        engaged = Counter(self.vols[i].unit for i in set(pairs[0].tolist()))
        for unit, k in sorted(floors.items()):
            if engaged[unit] < k:
                self.bad(
                    "floor",
                    f"unit {unit!r} has {engaged[unit]} volunteers engaged, below its floor {k}",
                )

    def _churn(self) -> None:
        """A re-plan's counts: kept, moved, added, dropped, from the pairs themselves."""
        churn = self.r.churn
        if churn is None:
            return
        before = {(str(a), str(b)) for a, b in churn.previous}
        after = {(m.need_id, m.volunteer_id) for m in self.r.matches}
        kept = len(before & after)
        gone = Counter(a for a, _ in before - after)
        new = Counter(a for a, _ in after - before)
        moved = sum(min(k, new[a]) for a, k in gone.items())
        want = (kept, moved, len(after - before) - moved, len(before - after) - moved)
        got = (churn.kept, churn.moved, churn.added, churn.dropped)
        if got != want:
            self.bad(
                "churn",
                f"reported (kept, moved, added, dropped) = {got}, the pairs give {want}",
            )
        units = max(1, round(churn.cost / self.res)) if churn.cost > 0 else 0
        if churn.int_cost != units:
            self.bad(
                "churn",
                f"churn int_cost {churn.int_cost!r} is not churn cost {churn.cost!r} "
                f"in units of {self.res}",
            )
