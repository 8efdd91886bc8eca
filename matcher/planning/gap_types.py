"""What :func:`matcher.gaps` returns: tallies of what is missing, and ranked recommendations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .._frozen import FrozenMap
from ..result import Objective
from ..result.plan import REASONS

__all__ = ["DEFAULT_TEAM_SIZES", "Gaps", "Missing", "Recommendation", "Tally"]


DEFAULT_TEAM_SIZES = (1, 2, 3)
"""How many members an intervention trains, by default: 1, 2 or 3."""

_NO_SKILL = "(no skill)"


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
    >>> from matcher import Need, Policy, Problem, gaps, solve
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
    >>> from matcher import Need, Policy, Problem, Volunteer, gaps, solve
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
    >>> from matcher import Need, Policy, Problem, Volunteer, gaps, solve
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
        >>> from matcher import Need, Policy, Problem, Volunteer, gaps, solve
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


def _reason_order(reason: str) -> tuple[int, str]:
    order = list(REASONS)
    return (order.index(reason) if reason in order else len(order), reason)


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
