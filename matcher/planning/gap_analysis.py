"""Gaps: why needs are left unserved, and which training would close them.

:func:`gaps` reads a plan's unmatched needs and reports two things a
coordinator of a volunteer programme asks for:

1. **what is missing** -- for each required skill at its minimum level, how
   many unserved needs, units and how much priority want it, for which
   reasons, how many volunteers hold it at all, and where (by building, else
   community, else the need itself);
2. **what would fix it** -- ranked interventions of the kind "train these 2
   members near building B12 in nursing (level 2)", each with its gain
   measured *exactly* by solving the changed problem again
   (:mod:`matcher.planning._training`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..errors import InputError, InputProblem, short_repr
from ..model import Problem
from ..result import Result
from ._training import _candidates, _Group, _place_labels, _Plan, _prune, _recommend, _Row, _train
from .gap_types import DEFAULT_TEAM_SIZES, Gaps, Tally
from .solving import solve

__all__ = ["gaps"]


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
