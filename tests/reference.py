"""Independent reference implementation (test oracle) of the ``matcher`` model.

This module restates the model of ``DESIGN.md`` (feasibility, edge costs, load
penalties, the objective and the constraints of a plan) in plain Python, so that
the results of the library can be checked against code that shares none of its
implementation.  It never imports ``matcher``: every function is duck-typed and
only reads attributes of the objects it receives (the library's own objects, or
``types.SimpleNamespace`` / small dataclasses in the self-tests).

Two exact optimisers are provided:

* :func:`brute_force` -- exhaustive search with pruning, for tiny instances
  (about 4 volunteers x 4 needs);
* :func:`milp_optimum` -- a mixed-integer programme solved by
  ``scipy.optimize.milp`` (HiGHS) with integer coefficients only, for medium
  instances (about 30 volunteers x 40 needs).

Both return the triple ``(served_priority, int_cost, int_penalty)`` of an optimal
plan, where ``int_cost`` is the total integer edge cost plus the integer load
penalties and ``int_penalty`` the total integer penalty of the unserved units
(0 when ``policy.unmatched_cost`` is None).

Numeric conventions follow the library literally (same float operations in the
same order), so integer costs agree bit for bit.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

__all__ = [
    "EARTH_RADIUS_KM",
    "RULE_NAMES",
    "REASONS",
    "distance_km",
    "travel_limit",
    "pair_feasible",
    "edge_float_cost",
    "edge_int_cost",
    "load_int_penalty",
    "unit_int_penalty",
    "evaluate",
    "check_result",
    "brute_force",
    "milp_optimum",
    "milp_plan",
]

#: Radius of the sphere used by the ``"geo"`` geometry, in km.
EARTH_RADIUS_KM = 6371.0088

#: Number of each feasibility rule -> its short name, in the order they are checked.
RULE_NAMES: dict[int, str] = {
    1: "skills",
    2: "distance",
    3: "slot",
    4: "community",
    5: "available",
}

#: The reasons an unmatched need may carry (``DESIGN.md``, "The result").
REASONS = frozenset(
    {
        "no_skill",
        "out_of_range",
        "no_slot",
        "other_community",
        "unavailable",
        "taken",
        "not_worth",
        "team",
    }
)
"""DESIGN.md's reasons plus ``unavailable`` (every candidate left by rules 1-4 has
capacity 0 or is forbidden for the need), which DESIGN.md's list had no word for."""

Pair = tuple[str, str]
"""A ``(need_id, volunteer_id)`` pair."""

Triple = tuple[int, int, int]
"""``(served_priority, int_cost, int_penalty)``."""


# --------------------------------------------------------------------------- protocols
# Documentation only: nothing is checked at run time, any object with these
# attributes will do.


class VolunteerLike(Protocol):
    """Attributes of a volunteer read by this module."""

    id: str
    skills: Mapping[str, int]
    location: tuple[float, float]
    capacity: int
    slots: frozenset[str] | None
    max_distance_km: float | None
    categories: frozenset[str]
    community: str | None


class NeedLike(Protocol):
    """Attributes of a need read by this module."""

    id: str
    category: str
    skills: Mapping[str, int]
    location: tuple[float, float]
    slot: str | None
    demand: int
    priority: int
    community: str | None


class WeightsLike(Protocol):
    """Attributes of the cost weights read by this module."""

    distance: float
    overskill: float
    preference: float
    outside: float


class PolicyLike(Protocol):
    """Attributes of a policy read by this module."""

    max_distance_km: float | None
    same_community: bool
    one_need_per_slot: bool
    geometry: str
    weights: WeightsLike
    load_penalty: float
    unmatched_cost: float | None
    resolution: float


class ProblemLike(Protocol):
    """Attributes of a problem read by this module."""

    volunteers: Sequence[VolunteerLike]
    needs: Sequence[NeedLike]
    policy: PolicyLike
    pinned: Sequence[Pair]
    forbidden: Sequence[Pair]


# --------------------------------------------------------------------------- helpers


def _levels(skills: Mapping[str, int] | Iterable[str]) -> dict[str, int]:
    """Return skills as a ``name -> level`` dict.

    Parameters
    ----------
    skills : Mapping[str, int] or Iterable[str]
        A mapping of levels, or a plain collection of names (level 1 each).

    Returns
    -------
    dict[str, int]
        The skill levels.
    """
    if isinstance(skills, Mapping):
        return {str(k): int(v) for k, v in skills.items()}
    return {str(s): 1 for s in skills}


def _pairs(pairs: Iterable[Sequence[str]] | None) -> set[Pair]:
    """Return a collection of ``(need_id, volunteer_id)`` pairs as a set of tuples.

    Parameters
    ----------
    pairs : Iterable of 2-sequences, or None
        The pairs (None means none).

    Returns
    -------
    set[tuple[str, str]]
        The pairs.
    """
    if not pairs:
        return set()
    return {(p[0], p[1]) for p in pairs}


# --------------------------------------------------------------------------- model


def distance_km(v: VolunteerLike, n: NeedLike, geometry: str) -> float:
    """Distance between a volunteer and a need, in km.

    Parameters
    ----------
    v : volunteer
        Reads ``v.location``: ``(lat, lon)`` in degrees (geo) or ``(x, y)`` in km (plane).
    n : need
        Reads ``n.location``, same convention.
    geometry : {"geo", "plane"}
        ``"geo"``: haversine on a sphere of radius :data:`EARTH_RADIUS_KM`;
        ``"plane"``: Euclidean distance.

    Returns
    -------
    float
        The distance, computed with exactly the float operations of the library.

    Raises
    ------
    ValueError
        If ``geometry`` is unknown.
    """
    if geometry == "geo":
        vol_lat, vol_lon = float(v.location[0]), float(v.location[1])
        need_lat, need_lon = float(n.location[0]), float(n.location[1])
        phi1 = math.radians(vol_lat)
        phi2 = math.radians(need_lat)
        dphi = math.radians(need_lat - vol_lat)
        dl = math.radians(need_lon - vol_lon)
        a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
    if geometry == "plane":
        dx = float(n.location[0]) - float(v.location[0])
        dy = float(n.location[1]) - float(v.location[1])
        return math.sqrt(dx * dx + dy * dy)
    raise ValueError(f"unknown geometry {geometry!r}")


def travel_limit(v: VolunteerLike, policy: PolicyLike) -> float | None:
    """Travel limit of a volunteer under a policy.

    Parameters
    ----------
    v : volunteer
        Reads ``v.max_distance_km`` (None = no personal limit).
    policy : policy
        Reads ``policy.max_distance_km`` (None = no global limit).

    Returns
    -------
    float or None
        The smaller of the two limits, or None when neither is set.
    """
    limits = [x for x in (policy.max_distance_km, v.max_distance_km) if x is not None]
    return min(limits) if limits else None


def pair_feasible(
    v: VolunteerLike,
    n: NeedLike,
    problem: ProblemLike,
    forbidden: set[Pair] | frozenset[Pair] | None = None,
) -> int | None:
    """Check whether the edge ``(n, v)`` exists, by the five rules of ``DESIGN.md``.

    The rules, checked in this order:

    1. skills: every required skill ``s`` has ``v.skills.get(s, 0) >= n.skills[s]``;
    2. distance: ``d <= min(policy.max_distance_km, v.max_distance_km)`` (None = no
       limit; no tolerance);
    3. slot: ``n.slot is None or v.slots is None or n.slot in v.slots``;
    4. community: ``not policy.same_community`` or both communities known and equal;
    5. available: the pair is not forbidden and ``v.capacity > 0``.

    Parameters
    ----------
    v : volunteer
        The volunteer.
    n : need
        The need.
    problem : problem
        Reads ``problem.policy`` and ``problem.forbidden``.
    forbidden : set of (need_id, volunteer_id), optional
        Precomputed set of forbidden pairs, to avoid rebuilding it on every call.

    Returns
    -------
    int or None
        The number of the first rule broken (see :data:`RULE_NAMES`), or None when
        the pair is feasible.
    """
    policy = problem.policy
    vs = _levels(v.skills)
    for s, req in _levels(n.skills).items():
        if not vs.get(s, 0) >= req:
            return 1
    limit = travel_limit(v, policy)
    if limit is not None and not distance_km(v, n, policy.geometry) <= limit:
        return 2
    if not (n.slot is None or v.slots is None or n.slot in v.slots):
        return 3
    if policy.same_community and not (
        v.community is not None and n.community is not None and v.community == n.community
    ):
        return 4
    if forbidden is None:
        forbidden = _pairs(problem.forbidden)
    if (n.id, v.id) in forbidden or not v.capacity > 0:
        return 5
    return None


def served_before(problem: ProblemLike, v: VolunteerLike, n: NeedLike) -> bool:
    """Whether ``(n.id, v.id)`` or ``(n.household, v.id)`` is in ``problem.history``."""
    history = {tuple(p) for p in getattr(problem, "history", ())}
    house = getattr(n, "household", None)
    return (n.id, v.id) in history or (house is not None and (house, v.id) in history)


def edge_float_cost(
    v: VolunteerLike, n: NeedLike, policy: PolicyLike, before: bool = False
) -> float:
    """Float cost of the edge ``(n, v)``, before rounding.

    ``w.distance*d + w.overskill*over + w.preference*miss + w.outside*outside``,
    evaluated left to right, with ``over = float(sum of (level - required))`` over
    the required skills, ``miss = 1.0`` when the volunteer has preferences and the
    need's category is not among them, ``outside = 1.0`` when both communities are
    known and differ.

    Parameters
    ----------
    v : volunteer
        The volunteer.
    n : need
        The need.
    policy : policy
        Reads ``policy.weights`` and ``policy.geometry``.

    Returns
    -------
    float
        The cost (feasibility is not checked).
    """
    w = policy.weights
    d = distance_km(v, n, policy.geometry)
    vs = _levels(v.skills)
    over = float(sum(vs.get(s, 0) - req for s, req in _levels(n.skills).items()))
    cats = v.categories
    miss = 1.0 if cats and n.category not in cats else 0.0
    outside = (
        1.0
        if v.community is not None and n.community is not None and v.community != n.community
        else 0.0
    )
    total = w.distance * d + w.overskill * over + w.preference * miss + w.outside * outside
    if before and getattr(w, "continuity", 0.0):
        total = total - w.continuity
    return total


def edge_int_cost(v: VolunteerLike, n: NeedLike, policy: PolicyLike, before: bool = False) -> int:
    """Integer cost of the edge ``(n, v)``: ``round(cost / policy.resolution)``.

    Parameters
    ----------
    v : volunteer
        The volunteer.
    n : need
        The need.
    policy : policy
        The policy (weights, geometry, resolution).

    Returns
    -------
    int
        The rounded cost (Python ``round``, half to even).
    """
    return round(edge_float_cost(v, n, policy, before) / policy.resolution)


def load_int_penalty(policy: PolicyLike) -> int:
    """Integer load step ``L = round(policy.load_penalty / policy.resolution)``.

    A volunteer given ``k`` needs adds ``L * k * (k - 1) // 2`` to the integer cost.

    Parameters
    ----------
    policy : policy
        Reads ``load_penalty`` and ``resolution``.

    Returns
    -------
    int
        The step ``L``.
    """
    return round(policy.load_penalty / policy.resolution)


def unit_int_penalty(n: NeedLike, policy: PolicyLike) -> int:
    """Integer penalty of one unserved unit of a need.

    ``round(policy.unmatched_cost * n.priority / policy.resolution)``.

    Parameters
    ----------
    n : need
        Reads ``n.priority``.
    policy : policy
        Reads ``unmatched_cost`` and ``resolution``.

    Returns
    -------
    int
        The penalty; 0 when ``policy.unmatched_cost`` is None.
    """
    if policy.unmatched_cost is None:
        return 0
    return round(policy.unmatched_cost * n.priority / policy.resolution)


def evaluate(problem: ProblemLike, pairs: Iterable[Sequence[str]]) -> Triple:
    """Objective values of a plan (its validity is not checked).

    Parameters
    ----------
    problem : problem
        The problem.
    pairs : iterable of (need_id, volunteer_id)
        The plan; a pair listed twice counts twice.

    Returns
    -------
    served_priority : int
        Sum over the pairs of the need's priority (each pair serves one unit).
    int_cost : int
        Sum of the integer edge costs plus ``L * k * (k - 1) // 2`` per volunteer
        given ``k`` pairs.
    int_penalty : int
        Sum over needs of the unit penalty times the units not served
        (``max(0, demand - served)``); 0 when ``unmatched_cost`` is None.

    Raises
    ------
    KeyError
        If a pair names an unknown need or volunteer.
    """
    policy = problem.policy
    vols = {v.id: v for v in problem.volunteers}
    needs = {n.id: n for n in problem.needs}
    served = 0
    cost = 0
    load: Counter[str] = Counter()
    units: Counter[str] = Counter()
    for p in pairs:
        nid, vid = p[0], p[1]
        n, v = needs[nid], vols[vid]
        served += n.priority
        cost += edge_int_cost(v, n, policy, served_before(problem, v, n))
        load[vid] += 1
        units[nid] += 1
    step = load_int_penalty(policy)
    cost += sum(step * k * (k - 1) // 2 for k in load.values())
    penalty = 0
    if policy.unmatched_cost is not None:
        penalty = sum(
            unit_int_penalty(n, policy) * max(0, n.demand - units[n.id]) for n in problem.needs
        )
    return served, cost, penalty


# --------------------------------------------------------------------------- results


def check_result(problem: ProblemLike, result: Any) -> list[str]:
    """List every way a result breaks the contract of ``DESIGN.md``.

    Checks, for ``result.matches`` (objects with ``need_id``, ``volunteer_id``) and
    ``result.unmatched`` (objects with ``need_id``, ``missing``, ``reason``):

    * every match names a known need and volunteer and its pair is feasible
      (the broken rule is named);
    * capacities, demands, no duplicate pair, one need per volunteer per slot
      (when ``policy.one_need_per_slot``), pinned pairs present, forbidden absent;
    * matches sorted by ``(need_id, volunteer_id)``, unmatched sorted by ``need_id``;
    * every need accounted for exactly: units served + missing == demand, a need is
      in ``unmatched`` (once) iff missing > 0, no unknown ids, known reasons;
    * ``result.objective`` (``served_priority``, ``int_cost``, ``int_penalty``)
      equal to :func:`evaluate` of the matches.

    Optimality is not checked (compare with :func:`brute_force` or
    :func:`milp_optimum` for that).

    Parameters
    ----------
    problem : problem
        The problem solved.
    result : result
        The result to check.

    Returns
    -------
    list[str]
        One readable message per violation; empty when the result is valid.
    """
    errors: list[str] = []
    policy = problem.policy
    vols = {v.id: v for v in problem.volunteers}
    needs = {n.id: n for n in problem.needs}
    forbidden = _pairs(problem.forbidden)
    pinned = _pairs(problem.pinned)

    pairs: list[Pair] = [(m.need_id, m.volunteer_id) for m in result.matches]
    known: list[Pair] = []
    for nid, vid in pairs:
        bad = False
        if nid not in needs:
            errors.append(f"match ({nid!r}, {vid!r}): unknown need id {nid!r}")
            bad = True
        if vid not in vols:
            errors.append(f"match ({nid!r}, {vid!r}): unknown volunteer id {vid!r}")
            bad = True
        if bad:
            continue
        known.append((nid, vid))
        rule = pair_feasible(vols[vid], needs[nid], problem, forbidden)
        if rule is not None:
            errors.append(
                f"match ({nid!r}, {vid!r}) is infeasible: breaks rule {rule} ({RULE_NAMES[rule]})"
            )

    for pair, count in sorted(Counter(pairs).items()):
        if count > 1:
            errors.append(f"duplicate pair {pair!r}: appears {count} times in matches")

    load = Counter(vid for _, vid in known)
    for vid, k in sorted(load.items()):
        if k > vols[vid].capacity:
            errors.append(
                f"volunteer {vid!r} over capacity: {k} needs > capacity {vols[vid].capacity}"
            )

    units = Counter(nid for nid, _ in known)
    for nid, k in sorted(units.items()):
        if k > needs[nid].demand:
            errors.append(f"need {nid!r} over demand: {k} volunteers > demand {needs[nid].demand}")

    floors = dict(getattr(policy, "participation_floors", {}) or {})
    engaged_units = Counter(vols[vid].unit for vid in {vid for _, vid in known})
    for unit_name, f in sorted(floors.items()):
        if engaged_units[unit_name] < f:
            errors.append(f"unit {unit_name!r} below its participation floor {f}")

    teams: dict[str, list[str]] = defaultdict(list)
    for nid, n_ in needs.items():
        if getattr(n_, "group", None) is not None:
            teams[n_.group].append(nid)
    for g, members in sorted(teams.items()):
        full = [units[nid] == needs[nid].demand for nid in members]
        if any(units[nid] for nid in members) and not all(full):
            errors.append(f"team {g!r} served in part")

    if policy.one_need_per_slot:
        per_slot: dict[tuple[str, str], set[str]] = defaultdict(set)
        for nid, vid in known:
            slot = needs[nid].slot
            if slot is not None:
                per_slot[(vid, slot)].add(nid)
        for (vid, slot), nids in sorted(per_slot.items()):
            if len(nids) > 1:
                errors.append(
                    f"volunteer {vid!r} serves {len(nids)} needs in slot {slot!r}: {sorted(nids)}"
                )

    pairset = set(pairs)
    for pair in sorted(pinned - pairset):
        errors.append(f"pinned pair {pair!r} missing from matches")
    for pair in sorted(forbidden & pairset):
        errors.append(f"forbidden pair {pair!r} present in matches")

    if pairs != sorted(pairs):
        errors.append("matches not sorted by (need_id, volunteer_id)")

    unmatched = list(result.unmatched)
    u_ids = [u.need_id for u in unmatched]
    if u_ids != sorted(u_ids):
        errors.append("unmatched not sorted by need_id")
    missing_of: dict[str, int] = {}
    for u in unmatched:
        nid = u.need_id
        if nid not in needs:
            errors.append(f"unmatched: unknown need id {nid!r}")
            continue
        if nid in missing_of:
            errors.append(f"unmatched: need {nid!r} appears more than once")
            continue
        missing = u.missing
        if not isinstance(missing, int) or isinstance(missing, bool):
            errors.append(f"unmatched {nid!r}: missing {missing!r} is not an int")
        if not missing > 0:
            errors.append(f"unmatched {nid!r}: missing {missing!r} is not positive")
        if u.reason not in REASONS:
            errors.append(f"unmatched {nid!r}: unknown reason {u.reason!r}")
        missing_of[nid] = missing

    for n in problem.needs:
        served = units.get(n.id, 0)
        missing = missing_of.get(n.id, 0)
        if n.id not in missing_of and served < n.demand:
            errors.append(
                f"need {n.id!r} served {served} of {n.demand} units but is not in unmatched"
            )
        elif served + missing != n.demand:
            errors.append(
                f"need {n.id!r}: served {served} + missing {missing} != demand {n.demand}"
            )

    if len(known) == len(pairs):
        want = evaluate(problem, pairs)
        obj = result.objective
        got = (obj.served_priority, obj.int_cost, obj.int_penalty)
        for name, g, w in zip(
            ("served_priority", "int_cost", "int_penalty"), got, want, strict=True
        ):
            if g != w:
                errors.append(f"objective.{name} = {g!r}, but the matches give {w!r}")
    else:
        errors.append("objective not checked: matches name unknown ids")
    return errors


# --------------------------------------------------------------------------- optimisers


def _validate_pins(problem: ProblemLike) -> set[Pair]:
    """Return the pinned pairs, after checking that each is known and feasible.

    Parameters
    ----------
    problem : problem
        The problem.

    Returns
    -------
    set[tuple[str, str]]
        The pinned pairs.

    Raises
    ------
    ValueError
        If a pinned pair names an unknown id or is infeasible.
    """
    vols = {v.id: v for v in problem.volunteers}
    needs = {n.id: n for n in problem.needs}
    forbidden = _pairs(problem.forbidden)
    pinned = _pairs(problem.pinned)
    for nid, vid in sorted(pinned):
        if nid not in needs or vid not in vols:
            raise ValueError(f"pinned pair {(nid, vid)!r} names an unknown id")
        rule = pair_feasible(vols[vid], needs[nid], problem, forbidden)
        if rule is not None:
            raise ValueError(f"pinned pair {(nid, vid)!r} breaks rule {rule} ({RULE_NAMES[rule]})")
    return pinned


def _subsets(items: list[int], size_max: int, must: frozenset[int]) -> list[tuple[int, ...]]:
    """All subsets of ``items`` of size <= ``size_max`` containing ``must``.

    Parameters
    ----------
    items : list[int]
        Candidates (distinct).
    size_max : int
        Largest subset size.
    must : frozenset[int]
        Elements every subset contains (all in ``items``).

    Returns
    -------
    list[tuple[int, ...]]
        The subsets, as sorted tuples.
    """
    free = [i for i in items if i not in must]
    base = tuple(sorted(must))
    out: list[tuple[int, ...]] = []

    def rec(start: int, chosen: tuple[int, ...]) -> None:
        if len(chosen) > size_max:
            return
        out.append(tuple(sorted(chosen)))
        for k in range(start, len(free)):
            rec(k + 1, (*chosen, free[k]))

    rec(0, base)
    return out


def brute_force(problem: ProblemLike) -> Triple:
    """Optimal objective of a tiny problem, by exhaustive search with pruning.

    Recurses over the needs; for each need it tries every subset of its feasible
    volunteers that contains the need's pinned volunteers and has at most
    ``demand`` members, respecting capacities, one need per volunteer per slot and
    pinned / forbidden pairs.  Branches are cut with admissible bounds (load
    penalties are assumed non-negative for the cost bounds, as the design's convex
    load implies).

    Parameters
    ----------
    problem : problem
        The problem (intended for up to about 4 volunteers x 4 needs).

    Returns
    -------
    served_priority, int_cost, int_penalty : int
        Of an optimal plan.  With ``unmatched_cost`` None the plan maximises
        ``served_priority`` then minimises ``int_cost`` (``int_penalty`` is 0); with
        a number it minimises ``int_cost + int_penalty`` (among ties any plan's
        triple may be returned: compare only the sum).

    Raises
    ------
    ValueError
        If a pinned pair is unknown or infeasible, or no plan satisfies the pins.
    """
    policy = problem.policy
    vols = list(problem.volunteers)
    needs = list(problem.needs)
    vidx = {v.id: i for i, v in enumerate(vols)}
    forbidden = _pairs(problem.forbidden)
    pinned = _validate_pins(problem)
    finite = policy.unmatched_cost is not None
    step = load_int_penalty(policy)
    cap = [int(v.capacity) for v in vols]

    # Per need: (slot key or None, priority, demand, unit penalty, choices), where a
    # choice is (volunteer indices, sum of integer edge costs).
    plan_needs = []
    for n in needs:
        cost_of = {
            i: edge_int_cost(v, n, policy, served_before(problem, v, n))
            for i, v in enumerate(vols)
            if pair_feasible(v, n, problem, forbidden) is None
        }
        must = frozenset(vidx[vid] for nid, vid in pinned if nid == n.id)
        if len(must) > n.demand:
            raise ValueError(f"need {n.id!r} has more pinned volunteers than its demand")
        choices = [
            (s, sum(cost_of[i] for i in s)) for s in _subsets(sorted(cost_of), int(n.demand), must)
        ]
        upen = unit_int_penalty(n, policy)
        if finite:
            choices.sort(key=lambda c: c[1] + upen * (n.demand - len(c[0])))
        else:
            choices.sort(key=lambda c: (-len(c[0]), c[1]))
        slot = n.slot if policy.one_need_per_slot else None
        plan_needs.append((slot, int(n.priority), int(n.demand), upen, choices))

    m = len(plan_needs)
    # Bounds on what the needs idx.. can still add.
    served_ub = [0] * (m + 1)
    cost_lb = [0] * (m + 1)  # edge costs only (load >= 0)
    total_lb = [0] * (m + 1)  # edge costs + penalties (load >= 0)
    for j in range(m - 1, -1, -1):
        _, prio, dem, upen, choices = plan_needs[j]
        served_ub[j] = served_ub[j + 1] + prio * max(len(c[0]) for c in choices)
        cost_lb[j] = cost_lb[j + 1] + min(c[1] for c in choices)
        total_lb[j] = total_lb[j + 1] + min(c[1] + upen * (dem - len(c[0])) for c in choices)
    prune_cost = step >= 0

    load = [0] * len(vols)
    used: set[tuple[int, str]] = set()
    best: list[Triple | None] = [None]

    def better(t: Triple) -> bool:
        b = best[0]
        if b is None:
            return True
        if finite:
            return t[1] + t[2] < b[1] + b[2]
        return (-t[0], t[1]) < (-b[0], b[1])

    def rec(j: int, served: int, cost: int, penalty: int) -> None:
        b = best[0]
        if b is not None:  # cut branches that cannot strictly improve on the best plan
            if finite:
                if prune_cost and cost + penalty + total_lb[j] >= b[1] + b[2]:
                    return
            else:
                ub = served + served_ub[j]
                if ub < b[0] or (prune_cost and ub == b[0] and cost + cost_lb[j] >= b[1]):
                    return
        if j == m:
            t = (served, cost, penalty)
            if better(t):
                best[0] = t
            return
        slot, prio, dem, upen, choices = plan_needs[j]
        for members, ecost in choices:
            ok = True
            for i in members:
                if load[i] >= cap[i] or (slot is not None and (i, slot) in used):
                    ok = False
                    break
            if not ok:
                continue
            extra = 0
            for i in members:
                extra += step * load[i]
                load[i] += 1
                if slot is not None:
                    used.add((i, slot))
            k = len(members)
            rec(j + 1, served + prio * k, cost + ecost + extra, penalty + upen * (dem - k))
            for i in members:
                load[i] -= 1
                if slot is not None:
                    used.discard((i, slot))

    rec(0, 0, 0, 0)
    if best[0] is None:
        raise ValueError("no plan satisfies the pinned pairs")
    return best[0]


def milp_optimum(problem: ProblemLike, time_limit: float | None = 60.0) -> Triple:
    """Optimal objective of a problem, by mixed-integer programming (HiGHS).

    See :func:`milp_plan` for the formulation.

    Parameters
    ----------
    problem : problem
        The problem (intended for up to about 30 volunteers x 40 needs).
    time_limit : float or None, optional
        Seconds allowed per solve (None = no limit).

    Returns
    -------
    served_priority, int_cost, int_penalty : int
        Of an optimal plan, as for :func:`brute_force`.

    Raises
    ------
    ValueError
        If a pinned pair is unknown or infeasible, or no plan satisfies the pins.
    RuntimeError
        If HiGHS does not prove optimality, or its objective disagrees with the
        re-evaluated plan.
    """
    return milp_plan(problem, time_limit)[1]


def milp_plan(
    problem: ProblemLike,
    time_limit: float | None = 60.0,
    bonus: Mapping[Pair, int] | None = None,
) -> tuple[list[Pair], Triple]:
    """Optimal plan of a problem, by mixed-integer programming (HiGHS).

    Formulation (all coefficients integers, so the optimum is exact):

    * a binary ``x_e`` per feasible (need, volunteer) pair, fixed to 1 when pinned;
    * per volunteer ``v`` with ``D`` feasible pairs, ``K = min(capacity, D)`` load
      increments ``y_vk`` in [0, 1], ``k = 1..K``, the k-th costing ``(k-1) * L``,
      with ``sum_k y_vk = sum_e x_e`` (this also enforces the capacity).  The load
      is convex for ``L >= 0`` so the relaxation is exact; for ``L < 0`` the ``y``
      are made binary and ordered (``y_vk >= y_v,k+1``);
    * per need ``sum x <= demand``; with ``one_need_per_slot``, per volunteer and
      slot value ``sum x <= 1``;
    * lexicographic objective (``unmatched_cost`` None): first maximise the served
      priority ``S*``, then minimise the integer cost subject to served priority
      ``>= S*``; finite ``unmatched_cost``: minimise cost plus penalties
      (``sum_e (c_e - U_j) x_e`` plus load plus the constant ``sum_j U_j d_j``).

    The plan read from the solution is re-evaluated with :func:`evaluate` and
    checked against the solver's objective.

    Parameters
    ----------
    problem : problem
        The problem (intended for up to about 30 volunteers x 40 needs).
    time_limit : float or None, optional
        Seconds allowed per solve (None = no limit).
    bonus : mapping of (need_id, volunteer_id) to int, optional
        Taken off the integer cost of those pairs in the objective (a
        re-plan's churn term: keeping a previous pair earns its bonus). The
        returned triple is still the plan's true one.

    Returns
    -------
    plan : list of (need_id, volunteer_id)
        An optimal plan, sorted.
    objective : tuple of int
        Its ``(served_priority, int_cost, int_penalty)``, as for :func:`brute_force`.

    Raises
    ------
    ValueError
        If a pinned pair is unknown or infeasible, or no plan satisfies the pins.
    RuntimeError
        If HiGHS does not prove optimality, or its objective disagrees with the
        re-evaluated plan.
    """
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    policy = problem.policy
    vols = list(problem.volunteers)
    needs = list(problem.needs)
    forbidden = _pairs(problem.forbidden)
    pinned = _validate_pins(problem)
    finite = policy.unmatched_cost is not None
    step = load_int_penalty(policy)

    edges: list[tuple[int, int]] = []  # (volunteer index, need index)
    ecost: list[int] = []
    for j, n in enumerate(needs):
        for i, v in enumerate(vols):
            if pair_feasible(v, n, problem, forbidden) is None:
                edges.append((i, j))
                base = edge_int_cost(v, n, policy, served_before(problem, v, n))
                ecost.append(base - (bonus or {}).get((n.id, v.id), 0))
    n_x = len(edges)
    if n_x == 0:
        if any(dict(getattr(policy, "participation_floors", {}) or {}).values()):
            raise ValueError("no plan satisfies the participation floors")
        return [], evaluate(problem, [])

    by_vol: dict[int, list[int]] = defaultdict(list)
    by_need: dict[int, list[int]] = defaultdict(list)
    for e, (i, j) in enumerate(edges):
        by_vol[i].append(e)
        by_need[j].append(e)

    # Load increments.
    y_of: dict[int, list[int]] = {}
    y_cost: list[int] = []
    col = n_x
    for i, es in sorted(by_vol.items()):
        k_max = min(int(vols[i].capacity), len(es))
        y_of[i] = list(range(col, col + k_max))
        y_cost.extend(k * step for k in range(k_max))  # k-th increment (1-based) costs (k-1)*L
        col += k_max
    # Participation (coverage first, then volunteers engaged, then cost): a binary
    # z_v <= sum of v's pairs per volunteer with a pair.
    engage = bool(getattr(policy, "participation", False)) and not finite
    z_of: dict[int, int] = {}
    if engage:
        for i in sorted(by_vol):
            z_of[i] = col
            col += 1
    # Teams (``need.group``): a binary w_g, and every need of the team served
    # ``demand`` times w_g.
    team_of: dict[str, int] = {}
    for n_ in needs:
        g = getattr(n_, "group", None)
        if g is not None and g not in team_of:
            team_of[g] = col
            col += 1
    # Participation floors: a binary u_v <= sum of v's pairs, and per unit sum u >= floor.
    floors = {k: f for k, f in dict(getattr(policy, "participation_floors", {}) or {}).items() if f}
    u_of: dict[int, int] = {}
    for i, vv in enumerate(vols):
        if getattr(vv, "unit", None) in floors:
            u_of[i] = col
            col += 1
    n_var = col

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def add_row(entries: list[tuple[int, float]], lb: float, ub: float) -> None:
        r = len(lo)
        for c, a in entries:
            rows.append(r)
            cols.append(c)
            vals.append(a)
        lo.append(lb)
        hi.append(ub)

    for j, es in sorted(by_need.items()):
        if len(es) > needs[j].demand:
            add_row([(e, 1.0) for e in es], -np.inf, float(needs[j].demand))
    for i, u in u_of.items():
        add_row([(u, 1.0)] + [(e, -1.0) for e in by_vol.get(i, [])], -np.inf, 0.0)
    for unit_name, f in sorted(floors.items()):
        add_row([(u, 1.0) for i, u in u_of.items() if vols[i].unit == unit_name], float(f), np.inf)
    for j, n_ in enumerate(needs):
        g = getattr(n_, "group", None)
        if g is not None:
            add_row(
                [(e, 1.0) for e in by_need.get(j, [])] + [(team_of[g], -float(n_.demand))], 0.0, 0.0
            )
    for i, es in sorted(by_vol.items()):
        add_row([(e, 1.0) for e in es] + [(c, -1.0) for c in y_of[i]], 0.0, 0.0)
        if engage:
            add_row([(z_of[i], 1.0)] + [(e, -1.0) for e in es], -np.inf, 0.0)
        if step < 0:
            ys = y_of[i]
            for a, b in zip(ys[:-1], ys[1:], strict=True):
                add_row([(a, 1.0), (b, -1.0)], 0.0, np.inf)
    if policy.one_need_per_slot:
        per_slot: dict[tuple[int, str], list[int]] = defaultdict(list)
        for e, (i, j) in enumerate(edges):
            slot = needs[j].slot
            if slot is not None:
                per_slot[(i, slot)].append(e)
        for _, es in sorted(per_slot.items()):
            if len(es) > 1:
                add_row([(e, 1.0) for e in es], -np.inf, 1.0)

    lb_var = np.zeros(n_var)
    ub_var = np.ones(n_var)
    for e, (i, j) in enumerate(edges):
        if (needs[j].id, vols[i].id) in pinned:
            lb_var[e] = 1.0
    integrality = np.zeros(n_var)
    integrality[:n_x] = 1
    if step < 0:
        integrality[n_x:] = 1
    for z in z_of.values():
        integrality[z] = 1
    for w in team_of.values():
        integrality[w] = 1
    for u in u_of.values():
        integrality[u] = 1
    bounds = Bounds(lb_var, ub_var)

    prio = np.array([float(needs[j].priority) for _, j in edges])
    cost_vec = np.zeros(n_var)
    cost_vec[:n_x] = np.array(ecost, dtype=float)
    cost_vec[n_x : n_x + len(y_cost)] = np.array(y_cost, dtype=float)
    options: dict[str, Any] = {"mip_rel_gap": 0.0, "disp": False}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)

    def solve(c: Any, extra: list[tuple[list[tuple[int, float]], float, float]]) -> Any:
        r_rows, r_cols, r_vals = list(rows), list(cols), list(vals)
        r_lo, r_hi = list(lo), list(hi)
        for entries, lb, ub in extra:
            r = len(r_lo)
            for cc, a in entries:
                r_rows.append(r)
                r_cols.append(cc)
                r_vals.append(a)
            r_lo.append(lb)
            r_hi.append(ub)
        constraints = []
        if r_lo:
            a_mat = coo_matrix((r_vals, (r_rows, r_cols)), shape=(len(r_lo), n_var)).tocsr()
            constraints.append(LinearConstraint(a_mat, np.array(r_lo), np.array(r_hi)))
        res = milp(
            c,
            constraints=constraints,
            integrality=integrality,
            bounds=bounds,
            options=options,
        )
        if res.status == 2:
            raise ValueError("no plan satisfies the pinned pairs")
        if res.status != 0 or res.x is None:
            raise RuntimeError(f"HiGHS did not prove optimality: {res.message}")
        return res

    if finite:
        upen = [unit_int_penalty(n, policy) for n in needs]
        const = sum(u * int(n.demand) for u, n in zip(upen, needs, strict=True))
        c = cost_vec.copy()
        c[:n_x] -= np.array([float(upen[j]) for _, j in edges])
        res = solve(c, [])
        target: int = round(res.fun) + const
        best_served = 0  # not an objective here
    else:
        c1 = np.zeros(n_var)
        c1[:n_x] = -prio
        res1 = solve(c1, [])
        best_served = round(-res1.fun)
        row = [(e, float(prio[e])) for e in range(n_x)]
        levels = [(row, best_served - 0.5, np.inf)]
        if engage:
            c2 = np.zeros(n_var)
            zs = sorted(z_of.values())
            c2[zs] = -1.0
            best_engaged = round(-solve(c2, levels).fun)
            levels.append(([(z, 1.0) for z in zs], best_engaged - 0.5, np.inf))
        res = solve(cost_vec, levels)
        target = round(res.fun)

    x = np.round(res.x[:n_x])
    plan = sorted((needs[j].id, vols[i].id) for e, (i, j) in enumerate(edges) if x[e] > 0.5)
    triple = evaluate(problem, plan)
    got = triple[1] + triple[2] if finite else triple[1]
    got -= sum((bonus or {}).get(p, 0) for p in plan)
    if got != target:
        raise RuntimeError(f"MILP objective {target} disagrees with its plan's value {triple}")
    if not finite and triple[0] != best_served:
        raise RuntimeError(f"MILP served priority {best_served} disagrees with its plan {triple}")
    return plan, triple
