"""The plan as a table people can act on: who goes where, when, with what, and why not.

:func:`plan_table` is the one definition of the plan's rows and columns; the
plan CSV (:func:`~matcher.io.write_plan_csv`), the plan workbook
(:func:`~matcher.io.write_plan_xlsx`) and the data frame
(:func:`~matcher.io.result_to_frame`) all show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model import Need, Problem, Volunteer
from ..planning.explanation import explain_unserved
from ..result import Result

__all__ = ["PLAN_COLUMNS", "plan_table"]


PLAN_COLUMNS = (
    "need_id",
    "category",
    "priority",
    "slot",
    "need_community",
    "need_building",
    "need_household",
    "volunteer_id",
    "volunteer_community",
    "volunteer_building",
    "volunteer_unit",
    "skills",
    "distance_km",
    "status",
    "reason",
    "explanation",
    "missing",
    "cost",
)
"""The plan's own columns, in order; the user's columns (``need.*``, ``volunteer.*``) follow.

The need's place is ``need_community``, ``need_building``, ``need_household``
(not ``household``: a pairs file's ``household`` column names the pair's need by
household, and a plan must read back as the pairs it matched)."""

TWO_DECIMALS = frozenset({"distance_km"})
"""Columns written with exactly two decimals (``0.50``)."""


def extra_columns(records: Sequence[Volunteer | Need]) -> list[str]:
    """The user's own columns of *records* (their ``extra`` keys), in first-seen order."""
    cols: dict[str, None] = {}
    for r in records:
        cols.update(dict.fromkeys(r.extra))
    return list(cols)


def skills_text(need: Need, volunteer: Volunteer | None = None) -> str:
    """The need's required skills, and the volunteer's levels of them.

    ``"driving 1 (has 1); nursing 2 (has 3)"`` with a volunteer,
    ``"driving 1; nursing 2"`` without; ``""`` when the need requires none.
    """
    if volunteer is None:
        return "; ".join(f"{s} {lvl}" for s, lvl in need.skills.items())
    return "; ".join(
        f"{s} {lvl} (has {volunteer.skills.get(s, 0)})" for s, lvl in need.skills.items()
    )


def cell(value: Any) -> Any:
    """A record field as a cell: ``None`` (unknown) is ``""``."""
    return "" if value is None else value


def plan_table(result: Result, problem: Problem) -> tuple[list[str], list[list[Any]]]:
    """The plan as a header and rows: what the plan CSV, workbook and frame show.

    One row per match and one per need with units unserved, sorted by need id
    (a need's matches first, by volunteer id, then its unserved row).

    Parameters
    ----------
    result : Result
    problem : Problem
        The problem *result* was solved from (the records give the places,
        skills and the user's columns).

    Returns
    -------
    header : list of str
        :data:`PLAN_COLUMNS`, then the needs' own columns prefixed ``need.``
        and the volunteers' prefixed ``volunteer.`` (first-seen order).
    rows : list of list
        Typed cells: ``priority`` and ``missing`` are ints, ``cost`` a float,
        ``distance_km`` a float rounded to two decimals; an empty cell is
        ``""``. The columns are documented in the user guide (the command
        line, "The plan").

    Raises
    ------
    KeyError
        If the result names a need or volunteer the problem does not have.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("ana", {"nursing": 3}, (0.3, 0.4), community="c1")],
    ...             [Need("n1", "elderly_care", {"nursing": 2}, (0.0, 0.0), priority=4),
    ...              Need("n2", "legal", {"legal": 3}, (0.0, 1.0))], Policy(geometry="plane"))
    >>> header, rows = plan_table(solve(p), p)
    >>> dict(zip(header, rows[0]))["skills"], rows[0][header.index("distance_km")]
    ('nursing 2 (has 3)', 0.5)
    >>> dict(zip(header, rows[1]))["explanation"]
    'no volunteer has legal'
    """
    needs = {n.id: n for n in problem.needs}
    vols = {v.id: v for v in problem.volunteers}
    n_extra = extra_columns(problem.needs)
    v_extra = extra_columns(problem.volunteers)
    header = [*PLAN_COLUMNS, *(f"need.{c}" for c in n_extra), *(f"volunteer.{c}" for c in v_extra)]
    why = explain_unserved(problem, result)
    rows: list[tuple[str, int, str, list[Any]]] = []
    for m in result.matches:
        n, v = needs[m.need_id], vols[m.volunteer_id]
        row = [*_need_cells(n), m.volunteer_id, cell(v.community), cell(v.building),
               cell(v.unit), skills_text(n, v), round(m.distance_km, 2), "matched", "", "", "",
               m.cost, *_extras(n.extra, n_extra), *_extras(v.extra, v_extra)]  # fmt: skip
        rows.append((m.need_id, 0, m.volunteer_id, row))
    for u in result.unmatched:
        n = needs[u.need_id]
        row = [*_need_cells(n), "", "", "", "", skills_text(n), "", "unmatched", u.reason,
               why[u.need_id], u.missing, "", *_extras(n.extra, n_extra),
               *("" for _ in v_extra)]  # fmt: skip
        rows.append((u.need_id, 1, "", row))
    rows.sort(key=lambda r: r[:3])
    return header, [r[3] for r in rows]


def _need_cells(n: Need) -> list[Any]:
    return [n.id, n.category, n.priority, cell(n.slot), cell(n.community), cell(n.building),
            cell(n.household)]  # fmt: skip


def _extras(extra: Mapping[str, str], columns: Sequence[str]) -> list[Any]:
    return [extra.get(c, "") for c in columns]
