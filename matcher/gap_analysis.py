"""Gaps: why needs are left unserved, and which training would close them.

:func:`gaps` reads a plan's unmatched needs and reports two things a
coordinator of a volunteer programme asks for:

1. **what is missing** -- for each required skill at its minimum level, how
   many unserved needs, units and how much priority want it, for which
   reasons, how many volunteers hold it at all, and where (by building, else
   community, else the need itself);
2. **what would fix it** -- ranked interventions of the kind "train these 2
   members near building B12 in nursing (level 2)", each with its gain
   measured *exactly* by solving the changed problem again.

Candidate interventions are drawn from the unmatched needs: for a place and a
(skill, level) wanted there, the ``k`` nearest volunteers who could serve one
of those needs if they held that skill (every other feasibility rule already
holds). Which candidates are evaluated is a cheap heuristic (see
:func:`gaps`); every gain reported is exact.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ._frozen import FrozenMap
from ._rules import first_broken_rules, pair_distance_km
from .api import solve
from .errors import InputError, InputProblem, short_repr
from .model import Need, Problem, Volunteer
from .result import REASONS, Objective, Result, in_units

__all__ = ["DEFAULT_TEAM_SIZES", "Gaps", "Missing", "Recommendation", "Tally", "gaps"]

DEFAULT_TEAM_SIZES = (1, 2, 3)
"""How many members an intervention trains, by default: 1, 2 or 3."""

_NO_SKILL = "(no skill)"


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Unserved needs, units and priority.

    Attributes
    ----------
    needs : int
        Needs with at least one unit unserved.
    units : int
        Units of demand unserved.
    priority : int
        Sum of priority x unserved units.

    Examples
    --------
    >>> Tally(needs=2, units=3, priority=11)
    Tally(needs=2, units=3, priority=11)
    """

    needs: int
    units: int
    priority: int


@dataclass(frozen=True)
class Missing:
    """One row of the table of missing skills: a (skill, minimum level) wanted by unserved needs.

    Attributes
    ----------
    skill : str or None
        The required skill; None for unserved needs that require no skill
        (training cannot help them: they lack a volunteer in range, free or
        available).
    level : int
        The minimum level required (0 when ``skill`` is None).
    needs, units, priority : int
        Unserved needs requiring the skill at exactly this level, their
        unserved units and priority x unserved units.
    holders : int
        Volunteers of the problem, anywhere, holding the skill at this level
        or above (for ``skill=None``: every volunteer).
    by_reason : mapping of str to int
        Unserved units by reason (see :data:`matcher.result.REASONS`).
    places : tuple of (str, int)
        Where the unserved units are: ``(place, units)``, most units first,
        then by place.

    Notes
    -----
    A need requiring several skills counts in the row of each.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, solve
    >>> p = Problem([], [Need("n1", "legal", {"legal": 3}, (0.0, 0.0), building="B1")],
    ...             Policy(geometry="plane"))
    >>> row = gaps(p, solve(p)).missing[0]
    >>> row.skill, row.level, row.units, row.holders, dict(row.by_reason), row.places
    ('legal', 3, 1, 0, {'no_skill': 1}, (('building B1', 1),))
    """

    skill: str | None
    level: int
    needs: int
    units: int
    priority: int
    holders: int
    by_reason: Mapping[str, int] = field(default_factory=FrozenMap)
    places: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_reason", FrozenMap(self.by_reason))


@dataclass(frozen=True)
class Recommendation:
    """An intervention -- train some members in a skill -- and its exact gain.

    Attributes
    ----------
    skill : str
    level : int
        The level the members are trained to.
    place : str
        Where the needs it targets are: ``"building B12"``, ``"community c01"``
        or ``"need n0042"``.
    members : tuple of str
        Ids of the volunteers to train, nearest to those needs first.
    units_gained : int
        Change in units served.
    priority_gained : int
        Change in served priority (sum of priority x units served), > 0.
    needs_covered : int
        Change in the number of needs fully served.
    by_category : mapping of str to int
        Change in units served per need category (non-zero changes only).
    cost_change : float
        Change in the plan's cost (``Objective.cost``: edges and load penalties).
    penalty_change : float
        Change in the penalty of unserved units (``Objective.penalty``; always
        0.0 unless ``Policy.unmatched_cost`` is set).
    text : str
        The recommendation in one sentence.

    Notes
    -----
    What every optimal plan of the changed problem shares, and so every exact
    method reports alike: under the default coverage-first objective,
    ``priority_gained`` and ``cost_change``; with ``Policy.unmatched_cost``
    set, ``cost_change + penalty_change``. The other numbers describe the
    plans found by method ``"flow"`` (deterministic); when several plans reach
    the same objective, another method may serve other needs.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("ana", {}, (0.0, 0.0))],
    ...             [Need("n1", "elderly_care", {"nursing": 2}, (1.0, 0.0), priority=3)],
    ...             Policy(geometry="plane"))
    >>> rec = gaps(p, solve(p)).recommendations[0]
    >>> rec.members, rec.priority_gained, rec.units_gained, rec.cost_change
    (('ana',), 3, 1, 1.0)
    """

    skill: str
    level: int
    place: str
    members: tuple[str, ...]
    units_gained: int
    priority_gained: int
    needs_covered: int
    by_category: Mapping[str, int]
    cost_change: float
    penalty_change: float
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_category", FrozenMap(self.by_category))


@dataclass(frozen=True)
class Gaps:
    """What a plan leaves unserved, why, and what training would fix.

    Attributes
    ----------
    unmatched : Tally
        All unserved needs, units and priority of the result.
    by_reason : mapping of str to Tally
        The same, by reason (see :data:`matcher.result.REASONS`).
    missing : tuple of Missing
        One row per (skill, minimum level) wanted by unserved needs, most
        unserved priority first (then units, skill, level; the row of needs
        requiring no skill last).
    recommendations : tuple of Recommendation
        Best first (see :func:`gaps` for the ranking).
    evaluated : int
        Interventions evaluated by solving the changed problem again.
    baseline : Objective or None
        The exact optimum of the unchanged problem (method ``"flow"``) that
        gains are measured from; None when nothing had to be solved.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("ana", {}, (0.0, 0.0))],
    ...             [Need("n1", "elderly_care", {"nursing": 2}, (1.0, 0.0), priority=3)],
    ...             Policy(geometry="plane"))
    >>> g = gaps(p, solve(p))
    >>> g.unmatched, g.evaluated, len(g.recommendations)
    (Tally(needs=1, units=1, priority=3), 1, 1)
    """

    unmatched: Tally
    by_reason: Mapping[str, Tally]
    missing: tuple[Missing, ...]
    recommendations: tuple[Recommendation, ...]
    evaluated: int = 0
    baseline: Objective | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_reason", FrozenMap(self.by_reason))

    def summary(self, max_places: int = 3) -> str:
        """A readable report: unserved needs by reason, missing skills, recommendations.

        Parameters
        ----------
        max_places : int, default 3
            Places listed per missing skill (the others are counted).

        Returns
        -------
        str

        Examples
        --------
        >>> from matcher import Need, Policy, Problem, Volunteer, solve
        >>> p = Problem([Volunteer("ana", {}, (0.0, 0.0))],
        ...             [Need("n1", "elderly_care", {"nursing": 2}, (1.0, 0.0),
        ...                   priority=3, building="B1")],
        ...             Policy(geometry="plane"))
        >>> print(gaps(p, solve(p)).summary())
        Unserved: 1 need, 1 unit, priority 3
          reason    needs  units  priority
          no_skill      1      1         3
        <BLANKLINE>
        Missing skills (wanted by unserved needs)
          skill    level  needs  units  priority  holders  reasons     where (units)
          nursing      2      1      1         3        0  no_skill 1  building B1 (1)
        <BLANKLINE>
        Recommendations (1 intervention evaluated by solving again; every gain is exact)
          1. Train 1 member near building B1 in nursing (level 2): +1 unit served (elderly_care +1), served priority +3, +1 need fully covered, cost +1.000; members: ana.
        """
        u = self.unmatched
        if u.units == 0:
            return "Unserved: none -- every need is fully served."
        lines = [
            f"Unserved: {_count(u.needs, 'need')}, {_count(u.units, 'unit')}, priority {u.priority}"
        ]
        rows = [
            [r, str(t.needs), str(t.units), str(t.priority)]
            for r, t in sorted(self.by_reason.items(), key=lambda kv: _reason_order(kv[0]))
        ]
        lines += _table(["reason", "needs", "units", "priority"], rows, "lrrr")
        lines += ["", "Missing skills (wanted by unserved needs)"]
        rows = []
        for m in self.missing:
            where = ", ".join(f"{p} ({n})" for p, n in m.places[:max_places])
            if len(m.places) > max_places:
                where += f", {len(m.places) - max_places} more"
            reasons = ", ".join(
                f"{r} {n}"
                for r, n in sorted(m.by_reason.items(), key=lambda kv: _reason_order(kv[0]))
            )
            rows.append(
                [
                    _NO_SKILL if m.skill is None else m.skill,
                    "-" if m.skill is None else str(m.level),
                    str(m.needs),
                    str(m.units),
                    str(m.priority),
                    str(m.holders),
                    reasons,
                    where,
                ]
            )
        head = [
            "skill",
            "level",
            "needs",
            "units",
            "priority",
            "holders",
            "reasons",
            "where (units)",
        ]
        lines += _table(head, rows, "lrrrrrll")
        evaluated = _count(self.evaluated, "intervention")
        lines += [
            "",
            f"Recommendations ({evaluated} evaluated by solving again; every gain is exact)",
        ]
        if not self.recommendations:
            lines.append("  none: no evaluated training serves more priority.")
        for i, rec in enumerate(self.recommendations, 1):
            lines.append(f"  {i}. {rec.text}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------
# The function
# --------------------------------------------------------------------------


def gaps(
    problem: Problem,
    result: Result,
    *,
    team_sizes: Iterable[int] = DEFAULT_TEAM_SIZES,
    max_candidates: int = 20,
    places: str = "building",
) -> Gaps:
    """Why needs are unserved, and which training of members would serve them.

    Parameters
    ----------
    problem : Problem
    result : Result
        A plan of *problem* (any method).
    team_sizes : iterable of int, default (1, 2, 3)
        How many members an intervention may train.
    max_candidates : int, default 20
        Most interventions evaluated by solving the changed problem again
        (each costs one solve of the whole problem).
    places : {"building", "community"}, default "building"
        How unserved needs are grouped into places: by building (else
        community, else the need itself), or by community (else the need).

    Returns
    -------
    Gaps
        The unserved needs by reason, the table of missing skills and the
        recommendations, best first.

    Raises
    ------
    InputError
        - *problem* is not a Problem or *result* not a Result;
        - *team_sizes* is not a non-empty collection of integers >= 1,
          *max_candidates* not an integer >= 0, or *places* neither
          ``"building"`` nor ``"community"``;
        - the result does not belong to the problem: it names a need or a
          volunteer the problem does not have (each is named), or leaves out
          a need of the problem.

    Notes
    -----
    **Places.** A need's place is its building (named with its community when
    two communities have a building of that name), else its community, else
    the need itself; with ``places="community"``, its community, else the need.

    **Candidate interventions.** For every place and every (skill, level)
    that an unserved need there requires, the volunteers *eligible* for
    training are those who lack the skill at that level and would pass every
    feasibility rule (skills, distance under both travel limits, slot,
    community, capacity > 0, not forbidden) for at least one of those needs
    once trained. An intervention trains the ``k`` nearest of them (distance
    to the nearest of those needs, ties by volunteer id), for each ``k`` of
    *team_sizes* up to the number eligible. The same members trained in the
    same skill for two places are evaluated once.

    **Which are evaluated (a heuristic).** Groups (place, skill, level) are
    pre-ranked by their unserved priority -- the sum of priority x unserved
    units of the needs there requiring the skill at that level -- then by
    place, skill and level; the first *max_candidates* interventions in that
    order (smaller teams first within a group) are evaluated. The
    pre-ranking is only a guess at which interventions pay off: a group
    ranked lower might have gained more, and is then not reported.

    **Every reported gain is exact.** Each evaluated intervention gives the
    members the skill at the level (``dataclasses.replace`` on the
    volunteers), builds a new Problem with the same policy, pinned and
    forbidden pairs, and solves it with ``solve(..., method="flow",
    certify=False)``; the gain is the difference with the exact optimum of the
    unchanged problem, solved the same way (:attr:`Gaps.baseline`; its
    served priority and cost equal those of *result* when *result* is
    optimal under the coverage-first objective). So ``1 + evaluated`` solves
    in all; none when nothing is unserved. Which numbers of a gain every
    optimal plan shares is said in :class:`Recommendation` (Notes).

    **Ranking.** Interventions that serve no more priority are not reported,
    nor one matched or beaten (in priority and units) by an intervention
    training a subset of its members in the same skill and level. The rest
    are ranked by served-priority gain (most first), then units gained (most
    first), then members trained (fewest first), then place, skill, level
    and member ids. The output is the same for the same problem and result,
    whatever the order of the records.

    Examples
    --------
    Two elderly-care needs in building B1 require nursing at level 2; the one
    nurse lives 9 km away, beyond the 3 km travel limit:

    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> vs = [Volunteer("ana", {"driving": 1}, (0.0, 0.0), capacity=2),
    ...       Volunteer("bo", {}, (0.5, 0.0)),
    ...       Volunteer("cy", {"nursing": 3}, (9.0, 0.0))]
    >>> ns = [Need(f"n{i}", "elderly_care", {"nursing": 2}, (0.5, 0.5), priority=4,
    ...            building="B1") for i in (1, 2)]
    >>> p = Problem(vs, ns, Policy(geometry="plane", max_distance_km=3.0))
    >>> result = solve(p)
    >>> [(u.need_id, u.reason) for u in result.unmatched]
    [('n1', 'out_of_range'), ('n2', 'out_of_range')]
    >>> g = gaps(p, result)
    >>> for rec in g.recommendations:
    ...     print(rec.text)
    Train 2 members near building B1 in nursing (level 2): +2 units served (elderly_care +2), served priority +8, +2 needs fully covered, cost +1.207; members: bo, ana.
    Train 1 member near building B1 in nursing (level 2): +1 unit served (elderly_care +1), served priority +4, +1 need fully covered, cost +0.500; members: bo.
    """
    if isinstance(team_sizes, Iterable) and not isinstance(team_sizes, (str, bytes)):
        team_sizes = tuple(team_sizes)  # read once: it may be an iterator
    _check(problem, result, team_sizes, max_candidates, places)
    sizes = sorted(set(team_sizes))
    needs = {n.id: n for n in problem.needs}
    short = [u for u in result.unmatched if u.missing > 0]
    if not short:
        return Gaps(Tally(0, 0, 0), {}, (), ())

    # --- what is missing, and where
    label = _place_labels(problem.needs, by_building=places == "building")
    total = Tally(
        len(short),
        sum(u.missing for u in short),
        sum(u.missing * needs[u.need_id].priority for u in short),
    )
    reason_tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows: dict[tuple[str | None, int], _Row] = {}
    groups: dict[tuple[str, str, int], _Group] = {}
    for u in short:
        need = needs[u.need_id]
        pri = u.missing * need.priority
        for i, x in enumerate((1, u.missing, pri)):
            reason_tally[u.reason][i] += x
        place = label[need.id]
        wanted: list[tuple[str | None, int]] = [*sorted(need.skills.items())] or [(None, 0)]
        for skill, level in wanted:
            row = rows.setdefault((skill, level), _Row())
            row.add(need.id, u.missing, pri, u.reason, place)
            if skill is not None:
                g = groups.setdefault((place, skill, level), _Group())
                g.needs.append(need)
                g.score += pri
    missing = tuple(
        sorted(
            (row.freeze(skill, level, problem.volunteers) for (skill, level), row in rows.items()),
            key=lambda m: (m.skill is None, -m.priority, -m.units, m.skill or "", m.level),
        )
    )
    by_reason = {r: Tally(*t) for r, t in reason_tally.items()}

    # --- candidate interventions, pre-ranked by unserved priority (the heuristic)
    candidates = _candidates(problem, groups, sizes, max_candidates)
    if not candidates:
        return Gaps(total, by_reason, missing, (), 0, None)

    # --- exact gains: solve each changed problem again
    base_result = solve(problem, method="flow", certify=False)
    base = _Plan.of(base_result, needs)
    evaluated = []
    for place, skill, level, members in candidates:
        changed = _train(problem, members, skill, level)
        after = _Plan.of(solve(changed, method="flow", certify=False), needs)
        evaluated.append(_recommend(place, skill, level, members, base, after, problem))
    kept = _prune(evaluated)
    kept.sort(
        key=lambda r: (
            -r.priority_gained,
            -r.units_gained,
            len(r.members),
            r.place,
            r.skill,
            r.level,
            r.members,
        )
    )
    return Gaps(total, by_reason, missing, tuple(kept), len(candidates), base_result.objective)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check(
    problem: object, result: object, team_sizes: object, max_candidates: object, places: object
) -> None:
    """Every problem with the arguments, raised once."""
    out: list[InputProblem] = []

    def bad(fld: str, expected: str, got: str) -> None:
        out.append(InputProblem("gaps", fld, expected, got, kind="option"))

    if not isinstance(problem, Problem):
        bad("problem", "a matcher.Problem", short_repr(problem))
    if not isinstance(result, Result):
        bad("result", "a matcher.Result", short_repr(result))
    sizes = list(team_sizes) if isinstance(team_sizes, Iterable) else None
    if (
        sizes is None
        or not sizes
        or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1 for k in sizes)
    ):
        bad("team_sizes", "a non-empty collection of integers >= 1", short_repr(team_sizes))
    if (
        not isinstance(max_candidates, int)
        or isinstance(max_candidates, bool)
        or max_candidates < 0
    ):
        bad("max_candidates", "an integer >= 0", short_repr(max_candidates))
    if places not in ("building", "community"):
        bad("places", "'building' or 'community'", short_repr(places))
    if isinstance(problem, Problem) and isinstance(result, Result):
        out += _foreign(problem, result)
    if out:
        raise InputError(out)


def _foreign(problem: Problem, result: Result) -> list[InputProblem]:
    """Problems showing that *result* is not a plan of *problem*."""
    out: list[InputProblem] = []
    nids = {n.id for n in problem.needs}
    vids = {v.id for v in problem.volunteers}
    seen: set[str] = set()
    for where, named in (
        ("matches", [m.need_id for m in result.matches]),
        ("unmatched", [u.need_id for u in result.unmatched]),
    ):
        seen.update(named)
        for nid in sorted(set(named) - nids):
            out.append(
                InputProblem(
                    f"need {nid!r}",
                    f"result.{where}",
                    "a need of the problem (the result must be a plan of this problem)",
                    short_repr(nid),
                    kind="option",
                )
            )
    for vid in sorted({m.volunteer_id for m in result.matches} - vids):
        out.append(
            InputProblem(
                f"volunteer {vid!r}",
                "result.matches",
                "a volunteer of the problem (the result must be a plan of this problem)",
                short_repr(vid),
                kind="option",
            )
        )
    for nid in sorted(nids - seen):
        out.append(
            InputProblem(
                f"need {nid!r}",
                "result",
                "in the result, matched or unmatched (the result must be a plan of this problem)",
                "absent",
                kind="option",
            )
        )
    return out


# --------------------------------------------------------------------------
# What is missing
# --------------------------------------------------------------------------


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


def _reason_order(reason: str) -> tuple[int, str]:
    order = list(REASONS)
    return (order.index(reason) if reason in order else len(order), reason)


# --------------------------------------------------------------------------
# Candidate interventions
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Gains
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Rows of a plain-text table, two spaces of indent, columns aligned (``l``/``r``)."""
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        text = "  ".join(
            c.rjust(w) if a == "r" else c.ljust(w)
            for c, w, a in zip(cells, widths, align, strict=True)
        )
        return ("  " + text).rstrip()

    return [line(head), *(line(r) for r in rows)]
