"""The search behind :func:`matcher.gaps`' recommendations: which members to train, where, in what.

Candidate interventions are drawn from the unmatched needs: for a place and a
(skill, level) wanted there, the ``k`` nearest volunteers who could serve one
of those needs if they held that skill (every other feasibility rule already
holds). Which candidates are evaluated is a cheap heuristic; every gain
reported is exact (the changed problem is solved again).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..model import Need, Problem, Volunteer
from ..model.rules import first_broken_rules, pair_distance_km
from ..result import Objective, Result, in_units
from .gap_types import Missing, Recommendation, _count


def _place_labels(needs: Sequence[Need], by_building: bool) -> dict[str, str]:
    """Need id -> its place: ``building B``, ``community C`` or ``need N``."""
    communities: dict[str, set[str | None]] = defaultdict(set)
    for n in needs:
        if n.building is not None:
            communities[n.building].add(n.community)
    out = {}
    for n in needs:
        if by_building and n.building is not None:
            text = f"building {n.building}"
            if len(communities[n.building]) > 1:  # the same name in two communities
                text += f" ({'no community' if n.community is None else n.community})"
        elif n.community is not None:
            text = f"community {n.community}"
        else:
            text = f"need {n.id}"
        out[n.id] = text
    return out


class _Row:
    """Running totals of one row of the missing-skills table."""

    def __init__(self) -> None:
        self.needs: set[str] = set()
        self.units = 0
        self.priority = 0
        self.reasons: Counter[str] = Counter()
        self.places: Counter[str] = Counter()

    def add(self, nid: str, units: int, priority: int, reason: str, place: str) -> None:
        self.needs.add(nid)
        self.units += units
        self.priority += priority
        self.reasons[reason] += units
        self.places[place] += units

    def freeze(self, skill: str | None, level: int, volunteers: Sequence[Volunteer]) -> Missing:
        holders = sum(1 for v in volunteers if skill is None or v.skills.get(skill, 0) >= level)
        return Missing(
            skill=skill,
            level=level,
            needs=len(self.needs),
            units=self.units,
            priority=self.priority,
            holders=holders,
            by_reason=dict(self.reasons),
            places=tuple(sorted(self.places.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


class _Group:
    """Unserved needs of one place requiring one skill at one level."""

    def __init__(self) -> None:
        self.needs: list[Need] = []
        self.score = 0  # unserved priority: the pre-ranking


def _candidates(
    problem: Problem,
    groups: Mapping[tuple[str, str, int], _Group],
    sizes: Sequence[int],
    limit: int,
) -> list[tuple[str, str, int, tuple[str, ...]]]:
    """``(place, skill, level, members)`` to evaluate, in pre-ranked order, at most *limit*."""
    if limit == 0 or not groups:
        return []
    vols = problem.volunteers
    policy = problem.policy
    nv = len(vols)
    xy = np.array([v.location for v in vols], dtype=np.float64).reshape(nv, 2)
    gmax = math.inf if policy.max_distance_km is None else policy.max_distance_km
    reach = np.array(
        [min(gmax, math.inf if v.max_distance_km is None else v.max_distance_km) for v in vols],
        dtype=np.float64,
    )
    open_ = np.array([v.capacity > 0 for v in vols], dtype=bool)
    forbidden = set(problem.forbidden)
    levels: dict[str, np.ndarray] = {}
    out: list[tuple[str, str, int, tuple[str, ...]]] = []
    seen: set[tuple[str, int, frozenset[str]]] = set()
    order = sorted(groups.items(), key=lambda kv: (-kv[1].score, kv[0]))
    for (place, skill, level), group in order:
        if skill not in levels:
            levels[skill] = np.array([v.skills.get(skill, 0) for v in vols], dtype=np.int64)
        lacks = levels[skill] < level
        nearest: dict[int, float] = {}
        for need in sorted(group.needs, key=lambda n: n.id):
            at = np.broadcast_to(np.asarray(need.location, dtype=np.float64), (nv, 2))
            dist = pair_distance_km(policy.geometry, xy, at)
            # A loose pre-filter; the rules themselves decide below.
            near = np.nonzero(lacks & open_ & (dist <= reach + 1e-9))[0].tolist()
            near = [i for i in near if (need.id, vols[i].id) not in forbidden]
            if not near:
                continue
            trained = [_trained(vols[i], skill, level) for i in near]
            broken = first_broken_rules(trained, [need] * len(near), policy)
            for i, (rule, _) in zip(near, broken, strict=True):
                if rule is None:
                    nearest[i] = min(nearest.get(i, math.inf), float(dist[i]))
        ranked = [vols[i].id for i in sorted(nearest, key=lambda i: (nearest[i], vols[i].id))]
        for k in sizes:
            if k > len(ranked):
                break
            members = tuple(ranked[:k])
            key = (skill, level, frozenset(members))
            if key in seen:
                continue
            seen.add(key)
            out.append((place, skill, level, members))
            if len(out) == limit:
                return out
    return out


def _trained(v: Volunteer, skill: str, level: int) -> Volunteer:
    """*v* holding *skill* at *level* (at least)."""
    return replace(v, skills={**v.skills, skill: max(level, v.skills.get(skill, 0))})


def _train(problem: Problem, members: Sequence[str], skill: str, level: int) -> Problem:
    """*problem* with *members* trained: same needs, policy, pinned and forbidden pairs."""
    who = set(members)
    return Problem(
        [_trained(v, skill, level) if v.id in who else v for v in problem.volunteers],
        problem.needs,
        problem.policy,
        pinned=problem.pinned,
        forbidden=problem.forbidden,
    )


@dataclass(frozen=True)
class _Plan:
    """What a plan serves, for differences."""

    objective: Objective
    units: int
    covered: int
    by_category: Mapping[str, int]

    @classmethod
    def of(cls, result: Result, needs: Mapping[str, Need]) -> _Plan:
        served = Counter(m.need_id for m in result.matches)
        by_category: Counter[str] = Counter()
        for nid, k in served.items():
            by_category[needs[nid].category] += k
        covered = sum(1 for nid, n in needs.items() if served[nid] >= n.demand)
        return cls(result.objective, sum(served.values()), covered, by_category)


def _recommend(
    place: str,
    skill: str,
    level: int,
    members: tuple[str, ...],
    before: _Plan,
    after: _Plan,
    problem: Problem,
) -> Recommendation:
    cats = sorted(set(before.by_category) | set(after.by_category))
    by_category = {
        c: after.by_category.get(c, 0) - before.by_category.get(c, 0)
        for c in cats
        if after.by_category.get(c, 0) != before.by_category.get(c, 0)
    }
    units = after.units - before.units
    priority = after.objective.served_priority - before.objective.served_priority
    covered = after.covered - before.covered
    res = problem.policy.resolution
    cost = in_units(after.objective.int_cost - before.objective.int_cost, res)
    penalty = in_units(after.objective.int_penalty - before.objective.int_penalty, res)
    parts = ", ".join(
        f"{c} {d:+d}" for c, d in sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    text = (
        f"Train {_count(len(members), 'member')} near {place} in {skill} (level {level}): "
        f"{units:+d} {'unit' if abs(units) == 1 else 'units'} served"
        + (f" ({parts})" if parts else "")
        + f", served priority {priority:+d}, {covered:+d} {'need' if abs(covered) == 1 else 'needs'}"
        f" fully covered, cost {cost:+.3f}"
        + (f", unserved penalty {penalty:+.3f}" if penalty else "")
        + f"; members: {', '.join(members)}."
    )
    return Recommendation(
        skill=skill,
        level=level,
        place=place,
        members=members,
        units_gained=units,
        priority_gained=priority,
        needs_covered=covered,
        by_category=by_category,
        cost_change=cost,
        penalty_change=penalty,
        text=text,
    )


def _prune(recs: Sequence[Recommendation]) -> list[Recommendation]:
    """Drop gains of no priority, and interventions a subset of their members does as well."""
    useful = [r for r in recs if r.priority_gained > 0]
    out = []
    for r in useful:
        dominated = any(
            o is not r
            and (o.skill, o.level) == (r.skill, r.level)
            and set(o.members) < set(r.members)
            and o.priority_gained >= r.priority_gained
            and o.units_gained >= r.units_gained
            for o in useful
        )
        if not dominated:
            out.append(r)
    return out
