"""Why a need is unserved, in words: the detail of the rule that bound.

:attr:`Unmatched.reason <matcher.Unmatched.reason>` names the first filter
that left no volunteer (see :data:`matcher.result.REASONS`); this module
goes back to the records and says what exactly was missing -- the skill and
level nobody holds, the nearest skilled volunteer's distance against the
travel limit, the slot nobody in reach is free in, the other community, the
volunteers that are busy and with what. It re-applies the feasibility rules
of :mod:`matcher.model.rules` (the same code the graph uses), so the counts
it sees are those of ``Unmatched.candidates``; when they differ (the records
are not those the result was solved from), it says only the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..model import Need, Problem, rules
from ..result import REASONS, Result, Unmatched

__all__ = ["explain", "explain_unserved"]

_LIST = 3  # volunteers (or slots, communities) named in a sentence; the rest are counted


def explain(problem: Problem, result: Result, need_id: str) -> str:
    """What *result* does for one need, with the detail of the rule that bound.

    :meth:`Result.explain <matcher.Result.explain>` says which filter left the
    need unserved; given the problem, this adds a ``Why:`` line that says
    what exactly is missing, in the words of :func:`explain_unserved`.

    Parameters
    ----------
    problem : Problem
        The problem *result* was solved from.
    result : Result
    need_id : str

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If the need is not in the result or not in the problem.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("ana", {"legal": 1}, (0.5, 0.0))],
    ...             [Need("n1", "legal", {"legal": 3}, (0.0, 0.0))], Policy(geometry="plane"))
    >>> print(explain(p, solve(p), "n1"))
    Need 'n1': 1 unit unserved: no volunteer has the required skills.
      Volunteers left by each filter: skills 0, distance 0, slot 0, community 0, available 0.
      Why: needs legal 3; the best holder within reach has legal 1.
    """
    text = result.explain(need_id)  # KeyError if the result does not have it
    index = {n.id: j for j, n in enumerate(problem.needs)}
    if need_id not in index:
        raise KeyError(f"no need {need_id!r} in the problem")
    unserved = [u for u in result.unmatched if u.need_id == need_id]
    if not unserved:
        return text
    why = _Explainer(problem, result).detail(unserved[0])
    return f"{text}\n  Why: {why}."


def explain_unserved(problem: Problem, result: Result) -> dict[str, str]:
    """One sentence per unserved need: what exactly the binding rule found missing.

    Parameters
    ----------
    problem : Problem
        The problem *result* was solved from.
    result : Result

    Returns
    -------
    dict of str to str
        Need id -> the sentence (no final period), for every need of
        ``result.unmatched``, in its order. By reason:

        - ``no_skill``: each required skill nobody holds at the level --
          ``"needs legal 3; the best holder within reach has legal 1"``, or
          ``"no volunteer has legal"``; or that no one holds them all together;
        - ``out_of_range``: ``"the nearest volunteer with the skills, 'v3', is
          4.20 km away; the limit is 3.00 km"``;
        - ``no_slot``: the slot, and the slots those in reach are free in;
        - ``other_community``: the communities of those who could serve;
        - ``unavailable``: who has capacity 0, who is forbidden for the need;
        - ``taken``: who could serve, and which needs they serve instead;
        - ``not_worth``: the ``unmatched_cost`` saved against serving it;
        - ``team``: the other needs of its group.

        A need not in the problem, or whose candidate counts differ from
        those the records give, gets the reason's meaning only.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("ana", ["driving"], (4.2, 0.0))],
    ...             [Need("n1", "medical", ["driving"], (0.0, 0.0))],
    ...             Policy(geometry="plane", max_distance_km=3.0))
    >>> explain_unserved(p, solve(p))
    {'n1': "the nearest volunteer with the skills, 'ana', is 4.20 km away; the limit is 3.00 km"}
    """
    if not result.unmatched:
        return {}
    ex = _Explainer(problem, result)
    return {u.need_id: ex.detail(u) for u in result.unmatched}


@dataclass(frozen=True)
class _View:
    """One need against the volunteers with its skills: who is left by each rule."""

    need: Need
    j: int  # the need's index
    skilled: NDArray[np.int64]  # the volunteers with the skills (rule 1)
    dist: NDArray[np.float64]  # their distances to the need
    # of them, cumulative: (skills,) distance; and slot; and community; and available
    stages: tuple[NDArray[np.bool_], ...]

    def left(self, k: int) -> NDArray[np.int64]:
        """Indices of the volunteers left after filter *k* (0-based)."""
        return self.skilled[self.stages[k]]


class _Explainer:
    """The problem encoded once, to explain many needs of one result."""

    def __init__(self, problem: Problem, result: Result) -> None:
        self.problem = problem
        self.vols = problem.volunteers
        self.index = {n.id: j for j, n in enumerate(problem.needs)}
        self.priority = {n.id: n.priority for n in problem.needs}
        self.enc = rules.encode(
            problem.volunteers, problem.needs, problem.policy, problem.forbidden
        )
        self.serves: dict[str, list[str]] = {}
        for m in result.matches:
            self.serves.setdefault(m.volunteer_id, []).append(m.need_id)
        self._skilled: dict[bytes, NDArray[np.int64]] = {}  # by skill requirement

    def view(self, j: int) -> _View:
        """Need *j* through the five rules (rule 1 once per skill requirement)."""
        enc = self.enc
        level = enc.need_level[j]
        key = level.tobytes()
        if key not in self._skilled:
            req = np.flatnonzero(level)
            has = np.all(enc.vol_level[:, req] >= level[req], axis=1)
            self._skilled[key] = np.flatnonzero(has).astype(np.int64)
        v = self._skilled[key]
        n = np.full(len(v), j, dtype=np.int64)
        dist = rules.distance_km(enc, v, n)
        masks = rules.rule_masks(enc, v, n, dist, skills=np.ones(len(v), bool))
        keep = np.ones(len(v), bool)
        stages = []
        for mask in masks:
            keep = keep & mask
            stages.append(keep)
        return _View(self.problem.needs[j], j, v, dist, tuple(stages))

    def reach(self, j: int) -> NDArray[np.bool_]:
        """Which volunteers, skilled or not, are within their travel limit of need *j*."""
        enc = self.enc
        v = np.arange(enc.n_volunteers, dtype=np.int64)
        dist = rules.distance_km(enc, v, np.full(len(v), j, dtype=np.int64))
        return np.asarray(dist <= enc.vol_limit)

    def detail(self, u: Unmatched) -> str:
        """The sentence of :func:`explain_unserved` for *u*."""
        generic = REASONS.get(u.reason, u.reason)
        j = self.index.get(u.need_id)
        if j is None:
            return generic
        view = self.view(j)
        counts = tuple(int(s.sum()) for s in view.stages)
        if u.candidates and counts != u.candidates:
            return generic  # not the records this result was solved from
        say = _DETAILS.get(u.reason)
        return generic if say is None else say(self, view)

    def ids(self, idx: Sequence[int] | NDArray[np.int64], limit: int = _LIST) -> str:
        """``'v1', 'v2', 'v3' and 2 more``."""
        names = [repr(self.vols[i].id) for i in sorted(idx, key=lambda i: self.vols[i].id)]
        return _listed(names, limit)


def _listed(items: Sequence[str], limit: int = _LIST) -> str:
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return ", ".join(items)


def _count(k: int, word: str = "volunteer") -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _the(k: int) -> str:
    """``the only volunteer`` or ``the 3 volunteers``."""
    return "the only volunteer" if k == 1 else f"the {k} volunteers"


def _km_pair(a: float, b: float) -> tuple[str, str]:
    """Two distances in km with two decimals, more if two would print them equal."""
    for digits in range(2, 7):
        x, y = f"{a:.{digits}f}", f"{b:.{digits}f}"
        if x != y:
            return x, y
    return f"{a:.6f}", f"{b:.6f}"


def _no_skill(ex: _Explainer, view: _View) -> str:
    need = view.need
    if not need.skills:
        return "there are no volunteers in the problem"
    enc = ex.enc
    reach = ex.reach(view.j)
    parts = []
    for s, level in need.skills.items():
        lv = enc.vol_level[:, enc.skill_names.index(s)]
        if not (lv > 0).any():
            parts.append(f"no volunteer has {s}")
            continue
        if (lv >= level).any():
            continue
        best = int(lv.max())
        near = reach & (lv > 0)
        if near.any():
            here = int(lv[near].max())
            text = f"needs {s} {level}; the best holder within reach has {s} {here}"
            if best > here:
                text += f" (the best anywhere has {s} {best})"
        else:
            text = f"needs {s} {level}; the best holder, out of reach, has {s} {best}"
        parts.append(text)
    if parts:
        return "; ".join(parts)
    wanted = ", ".join(f"{s} {level}" for s, level in need.skills.items())
    return f"no volunteer has all of {wanted} together (each is held by someone)"


def _out_of_range(ex: _Explainer, view: _View) -> str:
    skilled = view.skilled
    limit = ex.enc.vol_limit[skilled]
    dist = view.dist
    ids = [ex.vols[i].id for i in skilled]
    order = sorted(range(len(skilled)), key=lambda k: (dist[k] - limit[k], dist[k], ids[k]))
    k = order[0]
    v = ex.vols[int(skilled[k])]
    d, lim = _km_pair(float(dist[k]), float(limit[k]))
    policy_limit = ex.problem.policy.max_distance_km
    own = v.max_distance_km is not None and (
        policy_limit is None or v.max_distance_km < policy_limit
    )
    whose = " (their own max_distance_km)" if own else ""
    nearest = min(range(len(skilled)), key=lambda i: (dist[i], ids[i]))
    if nearest == k:
        return (
            f"the nearest volunteer with the skills, {v.id!r}, is {d} km away; "
            f"the limit is {lim} km{whose}"
        )
    return (
        f"the volunteer with the skills nearest to their limit, {v.id!r}, is {d} km away; "
        f"the limit is {lim} km{whose}"
    )


def _no_slot(ex: _Explainer, view: _View) -> str:
    near = view.left(1)
    free: dict[str, int] = {}
    for i in near:
        for s in ex.vols[i].slots or ():
            free[s] = free.get(s, 0) + 1
    ranked = [f"{s} ({k})" for s, k in sorted(free.items(), key=lambda sk: (-sk[1], sk[0]))]
    where = f"most are free in {_listed(ranked)}" if ranked else "none is free in any slot"
    return (
        f"no volunteer in reach with the skills is free in slot {view.need.slot!r}; "
        f"of the {_count(len(near))} in reach, {where}"
    )


def _other_community(ex: _Explainer, view: _View) -> str:
    could = view.left(2)
    known = sorted({c for i in could if (c := ex.vols[i].community) is not None})
    theirs = _listed([repr(c) for c in known])
    if any(ex.vols[i].community is None for i in could):
        theirs = f"{theirs} or to no community" if theirs else "no community"
    need = view.need
    here = f"the need's community is {need.community!r}" if need.community else "the need has none"
    return (
        f"{_the(len(could))} in reach, with the skills and free, "
        f"{'belongs' if len(could) == 1 else 'belong'} to {theirs}; "
        f"{here} and the policy pairs only within a community (same_community)"
    )


def _unavailable(ex: _Explainer, view: _View) -> str:
    could = view.left(3)
    idle = [i for i in could if ex.vols[i].capacity == 0]
    banned = [i for i in could if ex.vols[i].capacity > 0]
    parts = []
    if idle:
        parts.append(f"{ex.ids(idle)} {'has' if len(idle) == 1 else 'have'} capacity 0")
    if banned:
        parts.append(f"{ex.ids(banned)} {'is' if len(banned) == 1 else 'are'} forbidden for it")
    verb = "is" if len(could) == 1 else "are"
    return f"{_the(len(could))} who could serve {verb} unavailable: " + "; ".join(parts)


def _taken(ex: _Explainer, view: _View) -> str:
    could = sorted(view.left(4).tolist(), key=lambda i: ex.vols[i].id)
    told = []
    for i in could[:_LIST]:
        v = ex.vols[i]
        busy = [
            f"{n!r} (priority {ex.priority[n]})" if n in ex.priority else repr(n)
            for n in ex.serves.get(v.id, [])
        ]
        told.append(f"{v.id!r} serves " + (_listed(busy) if busy else "no need in this plan"))
    more = f"; and {len(could) - _LIST} more" if len(could) > _LIST else ""
    verb = "is" if len(could) == 1 else "are all"
    return f"{_the(len(could))} who could serve {verb} busy: " + "; ".join(told) + more


def _not_worth(ex: _Explainer, view: _View) -> str:
    c = ex.problem.policy.unmatched_cost
    p = view.need.priority
    if c is None:
        return REASONS["not_worth"]
    return (
        f"serving it would cost more than leaving it unserved: unmatched_cost {c:g} x "
        f"priority {p} = {c * p:g} per unit"
    )


def _team(ex: _Explainer, view: _View) -> str:
    group = view.need.group
    mates = sorted(n.id for n in ex.problem.needs if n.group == group and n.id != view.need.id)
    others = f": with {_listed([repr(m) for m in mates])}" if mates else ""
    return f"its team (group {group!r}{others}) could not be served all together"


_DETAILS = {
    "no_skill": _no_skill,
    "out_of_range": _out_of_range,
    "no_slot": _no_slot,
    "other_community": _other_community,
    "unavailable": _unavailable,
    "taken": _taken,
    "not_worth": _not_worth,
    "team": _team,
}
