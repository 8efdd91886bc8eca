"""The roster: one row per task of each volunteer, to send to the members.

Where the plan (:func:`~matcher.io.plan_table`) is ordered by need, for a
dispatcher, the roster is ordered by volunteer, then slot: what each member
does, where, when and for whom.
"""

from __future__ import annotations

from typing import Any

from ..model import Problem
from ..result import Result
from .csvfiles import PathLike
from .plan import cell, skills_text
from .write import BOM, _atomic_write, _csv_text

__all__ = ["ROSTER_COLUMNS", "roster_table", "write_roster_csv"]


ROSTER_COLUMNS = (
    "volunteer_id",
    "category",
    "skills",
    "need_community",
    "need_building",
    "need_household",
    "distance_km",
    "slot",
    "need_id",
)
"""The roster's columns, in order; ``volunteer.<name_column>`` follows ``volunteer_id``
when some volunteer has that column of their own."""


def roster_table(
    result: Result, problem: Problem, *, name_column: str = "name"
) -> tuple[list[str], list[list[Any]]]:
    """The roster as a header and rows: one row per task of each volunteer.

    Parameters
    ----------
    result : Result
    problem : Problem
        The problem *result* was solved from.
    name_column : str, default "name"
        The volunteers' own column (``Volunteer.extra``) holding their name:
        shown as ``volunteer.<name_column>`` after ``volunteer_id`` when some
        volunteer has it, left out otherwise.

    Returns
    -------
    header : list of str
        :data:`ROSTER_COLUMNS`, with the name column.
    rows : list of list
        One per match: the volunteer; what (the need's category and the
        skills it requires, with the volunteer's levels); where (the need's
        community, building, household and the distance, rounded to two
        decimals); when (the need's slot, ``""``: any time); for whom (the
        need's id). Sorted by volunteer id, then slot (any time last), then
        need id. Volunteers with no task have no row. An empty cell is ``""``.

    Raises
    ------
    KeyError
        If the result names a need or volunteer the problem does not have.

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("ana", {"nursing": 3}, (0.3, 0.4), capacity=2,
    ...                        extra={"name": "Ana Li"})],
    ...             [Need("n1", "elderly_care", {"nursing": 2}, (0.0, 0.0), slot="sat-am"),
    ...              Need("n2", "repair", {}, (0.0, 0.0), household="b3-101")],
    ...             Policy(geometry="plane"))
    >>> header, rows = roster_table(solve(p), p)
    >>> header[:3], rows[0][:4], rows[1][-3:]
    (['volunteer_id', 'volunteer.name', 'category'], ['ana', 'Ana Li', 'elderly_care', 'nursing 2 (has 3)'], [0.5, '', 'n2'])
    """
    needs = {n.id: n for n in problem.needs}
    vols = {v.id: v for v in problem.volunteers}
    named = any(name_column in v.extra for v in problem.volunteers)
    header = list(ROSTER_COLUMNS)
    if named:
        header.insert(1, f"volunteer.{name_column}")
    keyed: list[tuple[tuple[str, int, str, str], list[Any]]] = []
    for m in result.matches:
        n, v = needs[m.need_id], vols[m.volunteer_id]
        row = [m.volunteer_id, n.category, skills_text(n, v), cell(n.community),
               cell(n.building), cell(n.household), round(m.distance_km, 2), cell(n.slot),
               m.need_id]  # fmt: skip
        if named:
            row.insert(1, v.extra.get(name_column, ""))
        key = (m.volunteer_id, n.slot is None, n.slot or "", m.need_id)
        keyed.append((key, row))
    keyed.sort(key=lambda kr: kr[0])
    return header, [row for _, row in keyed]


def write_roster_csv(
    result: Result,
    problem: Problem,
    path: PathLike,
    *,
    bom: bool = False,
    name_column: str = "name",
) -> None:
    """Write the roster (:func:`roster_table`) as CSV, atomically.

    ``distance_km`` with two decimals; ``bom=True`` starts the file with a
    UTF-8 byte order mark, for Excel (as :func:`~matcher.io.write_plan_csv`).
    """
    header, rows = roster_table(result, problem, name_column=name_column)
    _atomic_write(path, (BOM if bom else "") + _csv_text(header, rows))
