"""The readers: a policy, volunteers, needs, a whole problem or a result, from files.

Every reader collects all the problems of all its files and raises one
:class:`~matcher.InputError`, each problem naming the file and row. The
model's checks (ranges, duplicate ids, pinned pairs) run on the rows that
could be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import IO, Any

from ..errors import InputError, InputProblem
from ..model import Need, Policy, Problem, Volunteer
from ..result import Result
from .csvfiles import PathLike, _is_json, _needs_from_csv, _source_name, _volunteers_from_csv
from .jsonfiles import (
    _geometry_of,
    _load_json,
    _record_from_json,
    policy_from_dict,
    problem_from_dict,
)
from .pairs import _pairs_from

__all__ = ["read_needs", "read_policy", "read_problem", "read_result", "read_volunteers"]


def read_policy(source: PathLike | IO[str]) -> Policy:
    """Read a policy JSON file."""
    return policy_from_dict(_load_json(source), _source_name(source))


def read_volunteers(source: PathLike | IO[str], *, geometry: str = "geo") -> tuple[Volunteer, ...]:
    """Read volunteers from a CSV (or JSON) file; records are checked by :func:`read_problem`."""
    out: list[InputProblem] = []
    records, _ = _read_records("volunteer", source, geometry, out)
    if out:
        raise InputError(out)
    return tuple(records)


def read_needs(source: PathLike | IO[str], *, geometry: str = "geo") -> tuple[Need, ...]:
    """Read needs from a CSV (or JSON) file; records are checked by :func:`read_problem`."""
    out: list[InputProblem] = []
    records, _ = _read_records("need", source, geometry, out)
    if out:
        raise InputError(out)
    return tuple(records)


def _read_records(
    kind: str, source: PathLike | IO[str], geometry: str, out: list[InputProblem]
) -> tuple[list[Any], list[int] | None]:
    if _is_json(source):
        try:
            data = _load_json(source)
        except InputError as exc:
            out += exc.problems
            return [], None
        items = data.get(kind + "s") if isinstance(data, Mapping) else data
        if not isinstance(items, list):
            out.append(
                InputProblem(
                    _source_name(source),
                    kind + "s",
                    f"a JSON list or an object with '{kind}s'",
                    type(items).__name__,
                    kind="file",
                )
            )
            return [], None
        cls = Volunteer if kind == "volunteer" else Need
        recs = [
            _record_from_json(kind, cls, item, i, geometry, out) for i, item in enumerate(items)
        ]
        return [r for r in recs if r is not None], None
    if kind == "volunteer":
        return _volunteers_from_csv(source, geometry, out)
    return _needs_from_csv(source, geometry, out)


def read_problem(
    volunteers: PathLike | IO[str] | None = None,
    needs: PathLike | IO[str] | None = None,
    policy: PathLike | IO[str] | Policy | None = None,
    *,
    problem: PathLike | IO[str] | None = None,
    pinned: PathLike | IO[str] | None = None,
    forbidden: PathLike | IO[str] | None = None,
    history: PathLike | IO[str] | None = None,
) -> Problem:
    r"""Read a problem from files: volunteers and needs (CSV or JSON) and a policy (JSON).

    Parameters
    ----------
    volunteers, needs : path or text file, optional
        CSV files (or JSON lists of records). Required unless *problem* is given.
    policy : path, text file or Policy, optional
        A policy JSON file; default ``Policy()``.
    problem : path or text file, optional
        One JSON problem file holding everything.
    pinned, forbidden, history : path or text file, optional
        Pairs files read by :func:`read_pairs`; added to those of *problem*.

    Returns
    -------
    Problem

    Raises
    ------
    InputError
        Every problem of every file at once, each naming the record, its file
        row (CSV) and the field.

    Examples
    --------
    >>> import io
    >>> v = io.StringIO("id,skills,lat,lon,capacity\nv1,nursing:3;driving,31.23,121.47,2\n")
    >>> n = io.StringIO("id,category,skills,lat,lon,priority\nn1,elderly_care,nursing:2,31.231,121.471,4\n")
    >>> p = read_problem(v, n)
    >>> p.volunteers[0].skills, p.volunteers[0].capacity, p.needs[0].priority
    ({'driving': 1, 'nursing': 3}, 2, 4)
    """
    out: list[InputProblem] = []
    extra_pairs: dict[str, Any] = {}
    for kind, src in (("pinned", pinned), ("forbidden", forbidden), ("history", history)):
        if src is not None:
            extra_pairs[kind] = _pairs_from(src, kind, out)
    if problem is not None:
        try:
            whole = problem_from_dict(_load_json(problem), _source_name(problem))
        except InputError as exc:
            out += exc.problems
        if out:
            raise InputError(out)
        if not extra_pairs:
            return whole
        merged: dict[str, Any] = {k: (*getattr(whole, k), *v) for k, v in extra_pairs.items()}
        return replace(whole, **merged)
    pol = Policy()
    raw_policy: Any = None
    if isinstance(policy, Policy):
        pol = policy
    elif policy is not None:
        try:
            raw_policy = _load_json(policy)
            pol = policy_from_dict(raw_policy, _source_name(policy))
        except InputError as exc:
            out += exc.problems
    if volunteers is None or needs is None:
        out.append(
            InputProblem(
                "input",
                "volunteers/needs",
                "both files (or a problem file)",
                "missing",
                kind="file",
            )
        )
        raise InputError(out)
    policy_ok = not out
    # A policy file that could not be read still says which columns to expect.
    geometry = _geometry_of(pol if policy_ok else raw_policy)
    vols, vlines = _read_records("volunteer", volunteers, geometry, out)
    nds, nlines = _read_records("need", needs, geometry, out)
    # Validate the records that parsed, so every problem is reported at once
    # (against the default policy of the same geometry when the policy is bad).
    try:
        built = Problem(
            vols,
            nds,
            pol if policy_ok else Policy(geometry=geometry),  # type: ignore[arg-type]
            **extra_pairs,
        )
    except InputError as exc:
        out += _with_rows(exc.problems, {"volunteer": vlines, "need": nlines})
    if out:
        raise InputError(out)
    return built


def _with_rows(
    problems: Iterable[InputProblem], rows: Mapping[str, list[int] | None]
) -> list[InputProblem]:
    out = []
    for p in problems:
        lines = rows.get(p.kind)
        if lines is not None and p.index is not None and p.row is None:
            p = replace(p, row=lines[p.index])
        out.append(p)
    return out


def read_result(source: PathLike | IO[str]) -> Result:
    """Read a result JSON file written by :func:`write_json`."""
    return Result.from_dict(_load_json(source))
