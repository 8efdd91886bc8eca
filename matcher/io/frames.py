"""pandas in and out: problems from DataFrames, plans as tidy DataFrames.

pandas is an optional extra (``pip install "volunteer-matcher[pandas]"``), imported only
here and only when called; the rest of matcher never needs it. Also reachable
as ``Problem.from_frames`` and ``Result.to_frame`` (deprecated aliases of these two).

A frame has the columns of the CSV format (README, "Files and the command
line") and is read by the same reader, so it is checked by the same rules and
its errors name the same fields. Cells may be typed: numbers (numpy's too, in
any column), ``None``/``NaN`` (= empty: the default), lists or sets for list
fields (``slots``, ``categories``, or skill names), dicts for skills
(``{"nursing": 3}``). A typed cell is read as it is, never through text: a
string keeps its spaces (so a padded id ``" v1"`` is refused, as
``Volunteer(" v1", ...)`` is), a list item is one name. A string cell is read as
a CSV cell is (``"nursing:3;driving"``). Names in a list, set or dict must still
be ones a CSV cell can spell: a skill ``"a;b"`` in a list is refused, not split
in two nor kept (the CSV reader can only read ``a;b`` as two skills, and the
CSV writers refuse such a name); write such names in a JSON problem file or
with the records' constructors. An integer in a text column (an id) is its
digits. Any other column is carried through as the records' ``extra`` fields.
An error's ``row`` counts as in a CSV file: the header is row 1, so the
frame's k-th row (0-based position) is row ``k + 2``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import numpy as np

from ..errors import MissingDependency
from ..model import Policy, Problem
from ..result import FILTERS, Result
from ._table import Table
from .plan import plan_table
from .read import read_problem

__all__ = ["problem_from_frames", "result_to_frame"]


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependency("pandas", "pandas", "this") from exc
    return pd


def _cell(value: Any) -> Any:
    """A frame's cell as a plain Python value: None when missing, numpy's scalars as Python's.

    Nothing else changes: a string keeps its spaces, a list its names (``"a;b"``
    stays one), a set its mixed items (for the reader to name, not to sort).
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, np.generic):  # np.float64 (a float too), np.int64, np.str_, ...
        return _cell(value.item())
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Mapping):
        return {_cell(k): _cell(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_cell(x) for x in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_cell(x) for x in value]
    if isinstance(value, (set, frozenset)):
        return frozenset(_cell(x) for x in value)
    try:  # pandas' own missing values (pd.NA, NaT)
        if _pandas().isna(value) is True:
            return None
    except (TypeError, ValueError):
        pass
    return value


def _table(frame: Any, name: str) -> Table:
    """The frame's header and typed cells (rows numbered as in a CSV file: the header is 1)."""
    table = Table([str(c) for c in frame.columns], how="a DataFrame", typed=True, name=name)
    for k, row in enumerate(frame.itertuples(index=False, name=None)):
        table.rows.append((k + 2, [_cell(x) for x in row]))
    return table


def problem_from_frames(
    volunteers: Any, needs: Any, policy: Policy | None = None, **kwargs: Any
) -> Problem:
    """Make a :class:`~matcher.Problem` from two pandas DataFrames.

    Parameters
    ----------
    volunteers, needs : pandas.DataFrame
        One row per record, the CSV columns. A string cell reads as a CSV cell
        does (``"nursing:3;driving"``), except that it keeps its spaces (a
        padded id is refused, as by the records' constructors); a typed cell
        (a number, numpy's too, ``None``/``NaN`` for empty, a list or set of
        names, a dict of skill levels) is taken as it is, each list item one
        name. A name a CSV cell cannot spell (``"a;b"``, or a skill ``"x:y"``)
        is refused, not split: use a JSON problem file or the constructors
        for such names. An integer in a text column (an id) is its digits.
    policy : Policy, optional
        Default ``Policy()``; its geometry says whether coordinates are
        ``lat, lon`` or ``x, y``.
    **kwargs
        ``pinned``, ``forbidden`` and ``history`` pairs, as for :class:`~matcher.Problem`.

    Returns
    -------
    Problem

    Raises
    ------
    InputError
        Every problem of both frames at once, as for CSV files.

    Examples
    --------
    >>> import pandas as pd
    >>> vols = pd.DataFrame({"id": ["v1"], "skills": [{"nursing": 3}], "lat": [31.23],
    ...                      "lon": [121.47], "capacity": [2], "phone": ["555-0100"]})
    >>> needs = pd.DataFrame({"id": ["n1"], "category": ["elderly_care"], "skills": ["nursing:2"],
    ...                       "lat": [31.231], "lon": [121.471]})
    >>> p = problem_from_frames(vols, needs)
    >>> p.volunteers[0].skills, p.volunteers[0].capacity, p.volunteers[0].extra["phone"]
    ({'nursing': 3}, 2, '555-0100')
    """
    _pandas()
    base = read_problem(
        cast(Any, _table(volunteers, "volunteers (DataFrame)")),
        cast(Any, _table(needs, "needs (DataFrame)")),
        policy if policy is not None else Policy(),
    )
    if not kwargs:
        return base
    return Problem(base.volunteers, base.needs, base.policy, **kwargs)


def result_to_frame(result: Result, problem: Problem | None = None, which: str = "plan") -> Any:
    """The plan as a tidy pandas DataFrame.

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        When given, the plan has the columns of the plan CSV, same names, same
        order (:func:`~matcher.io.plan_table`: the needs' and volunteers'
        places, the skills of each pair, the explanation of each unserved
        need, then the records' extra columns prefixed ``need.`` and
        ``volunteer.``); without it, only ``need_id, volunteer_id, status,
        reason, missing, cost, distance_km``.
    which : {"plan", "matches", "unmatched"}, default "plan"
        ``"plan"``: one row per match and one per need with units unserved
        (``status`` says which), sorted by need id; ``"matches"``: one row per
        match with its cost parts; ``"unmatched"``: one row per unserved need
        with its reason and the candidates left by each filter.

        In the plan, ``cost`` and ``distance_km`` are floats (NaN where
        empty; with *problem*, ``distance_km`` is rounded to two decimals, as
        written in the CSV), ``missing`` a nullable integer.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v", ["driving"], (0.0, 0.0))],
    ...             [Need("a", "medical", ["driving"], (1.0, 0.0)),
    ...              Need("b", "legal", ["legal"], (0.0, 1.0))], Policy(geometry="plane"))
    >>> df = result_to_frame(solve(p))
    >>> df[["need_id", "volunteer_id", "status", "reason"]].values.tolist()
    [['a', 'v', 'matched', ''], ['b', '', 'unmatched', 'no_skill']]
    """
    pd = _pandas()
    if which == "matches":
        rows = [
            {
                "need_id": m.need_id,
                "volunteer_id": m.volunteer_id,
                "cost": m.cost,
                "distance_km": m.distance_km,
                **{f"part.{k}": v for k, v in m.parts.items()},
            }
            for m in result.matches
        ]
        cols = ["need_id", "volunteer_id", "cost", "distance_km"]
        return pd.DataFrame(rows, columns=None if rows else cols)
    if which == "unmatched":
        rows = [
            {
                "need_id": u.need_id,
                "missing": u.missing,
                "reason": u.reason,
                **{f"candidates.{f}": c for f, c in zip(FILTERS, u.candidates, strict=False)},
            }
            for u in result.unmatched
        ]
        cols = ["need_id", "missing", "reason"]
        return pd.DataFrame(rows, columns=None if rows else cols)
    if which != "plan":
        raise ValueError(f"which must be 'plan', 'matches' or 'unmatched'; got {which!r}")
    if problem is not None:
        header, table = plan_table(result, problem)
    else:
        header = ["need_id", "volunteer_id", "status", "reason", "missing", "cost", "distance_km"]
        keyed = [
            ((m.need_id, 0), [m.need_id, m.volunteer_id, "matched", "", "", m.cost, m.distance_km])
            for m in result.matches
        ] + [
            ((u.need_id, 1), [u.need_id, "", "unmatched", u.reason, u.missing, "", ""])
            for u in result.unmatched
        ]
        keyed.sort(key=lambda kv: kv[0])
        table = [row for _, row in keyed]
    frame = pd.DataFrame(table, columns=header)
    # Numbers stay numbers: an empty cell of a numeric column is NaN (missing: a nullable int).
    for col in ("cost", "distance_km"):
        frame[col] = pd.to_numeric(frame[col].replace("", None), errors="coerce").astype("float64")
    frame["missing"] = pd.to_numeric(frame["missing"].replace("", None)).astype("Int64")
    return frame
