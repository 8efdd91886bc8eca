"""The readers: a policy, volunteers, needs, a whole problem or a result, from files.

Every reader collects all the problems of all its files and raises one
:class:`~matcher.InputError`, each problem naming the file and row. The
model's checks (ranges, duplicate ids, pinned pairs) run on the rows that
could be read.
"""

from __future__ import annotations

import io as _io
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from ..errors import InputError, InputProblem
from ..model import Need, Policy, Problem, Volunteer
from ..result import Result
from ._encoding import check_encoding, not_found, read_input
from ._table import Table
from .csvfiles import (
    FileOptions,
    Origin,
    PathLike,
    _is_json,
    _needs_from_table,
    _source_name,
    _volunteers_from_table,
    text_table,
)
from .jsonfiles import (
    _geometry_of,
    _load_json,
    _record_from_json,
    policy_from_dict,
    problem_from_dict,
)
from .pairs import _pairs_from
from .sheets import is_old_workbook, is_workbook, old_workbook_problem, read_sheet

__all__ = ["read_needs", "read_policy", "read_problem", "read_result", "read_volunteers"]


def read_policy(source: PathLike | IO[str]) -> Policy:
    """Read a policy JSON file."""
    return policy_from_dict(_load_json(source), _source_name(source))


_OPTIONS_DOC = """
    encoding : str, optional
        The CSV files' encoding (``"gb18030"``, ``"utf-16"``, ...); by default
        UTF-8, UTF-16 (with a byte-order mark) or GB18030 is detected, and a
        file that is none of them is refused.
    sheet : str, optional
        The worksheet of an ``.xlsx`` file to read (default: the first).
    keep_columns : iterable of str, optional
        Columns to carry as your own although they look like a field
        (``slot`` in a volunteers file): without it such a column is refused.
    allow_empty : bool, default False
        Accept a file with a header and no rows (refused by default)."""


def read_volunteers(
    source: PathLike | IO[Any],
    *,
    geometry: str = "geo",
    encoding: str | None = None,
    sheet: str | None = None,
    keep_columns: Iterable[str] = (),
    allow_empty: bool = False,
) -> tuple[Volunteer, ...]:
    """Read volunteers from a CSV, ``.xlsx`` (or JSON) file; records are checked by :func:`read_problem`.

    Parameters
    ----------
    source : path or file
    geometry : {'geo', 'plane'}
        Which coordinate columns to read: ``lat, lon`` or ``x, y``.
    {options}
    """
    opts = _options(encoding, sheet, keep_columns, allow_empty)
    return tuple(_read_one("volunteer", source, geometry, opts))


def read_needs(
    source: PathLike | IO[Any],
    *,
    geometry: str = "geo",
    encoding: str | None = None,
    sheet: str | None = None,
    keep_columns: Iterable[str] = (),
    allow_empty: bool = False,
) -> tuple[Need, ...]:
    """Read needs from a CSV, ``.xlsx`` (or JSON) file; records are checked by :func:`read_problem`.

    Parameters
    ----------
    source : path or file
    geometry : {'geo', 'plane'}
        Which coordinate columns to read: ``lat, lon`` or ``x, y``.
    {options}
    """
    opts = _options(encoding, sheet, keep_columns, allow_empty)
    return tuple(_read_one("need", source, geometry, opts))


read_volunteers.__doc__ = (read_volunteers.__doc__ or "").replace("    {options}", _OPTIONS_DOC[1:])
read_needs.__doc__ = (read_needs.__doc__ or "").replace("    {options}", _OPTIONS_DOC[1:])


def _options(
    encoding: str | None, sheet: str | None, keep_columns: Iterable[str], allow_empty: bool
) -> FileOptions:
    if isinstance(keep_columns, str):
        keep_columns = (keep_columns,)
    return FileOptions(encoding, sheet, tuple(keep_columns), bool(allow_empty))


def _read_one(kind: str, source: PathLike | IO[Any], geometry: str, opts: FileOptions) -> list[Any]:
    out: list[InputProblem] = []
    bad_option = check_encoding(opts.encoding)
    if bad_option is not None:
        raise InputError([bad_option])
    records, origin = _read_records(kind, source, geometry, opts, out)
    if out:
        raise InputError(_located(out, {kind: origin}))
    return records


def _read_records(
    kind: str,
    source: PathLike | IO[Any] | Table,
    geometry: str,
    opts: FileOptions,
    out: list[InputProblem],
) -> tuple[list[Any], Origin]:
    if isinstance(source, Table):  # a data frame's typed cells (matcher.io.frames)
        if kind == "volunteer":
            return _volunteers_from_table(source, source.name, geometry, opts, out)
        return _needs_from_table(source, source.name, geometry, opts, out)
    name = _source_name(source)
    if not _exists(source, out):
        return [], Origin(name)
    if _is_json(source):
        return _json_records(kind, source, geometry, out), Origin(name)
    if is_old_workbook(source):
        out.append(old_workbook_problem(name))
        return [], Origin(name)
    table, ragged = _table(source, name, opts, out)
    if table is None:
        return [], Origin(name)
    if kind == "volunteer":
        return _volunteers_from_table(table, name, geometry, opts, out, ragged)
    return _needs_from_table(table, name, geometry, opts, out, ragged)


def _table(
    source: PathLike | IO[Any], name: str, opts: FileOptions, out: list[InputProblem]
) -> tuple[Table | None, bool]:
    """The cells of a CSV file or of a workbook's sheet; and whether rows may be short."""
    if not is_workbook(source):
        return text_table(source, name, opts, out), False
    data = read_input(source, name, out)
    if data is None:
        return None, True
    if isinstance(data, str):
        out.append(
            InputProblem(
                name, "file", "a binary (bytes) stream for a .xlsx file", "text", kind="file"
            )
        )
        return None, True
    return read_sheet(_io.BytesIO(data), name, opts.sheet, out), True


def _exists(source: Any, out: list[InputProblem]) -> bool:
    """False (and a problem naming its full path) for a path that does not exist."""
    if isinstance(source, (str, os.PathLike)) and not Path(source).exists():
        out.append(not_found(source, _source_name(source)))
        return False
    return True


def _json_records(
    kind: str, source: PathLike | IO[Any], geometry: str, out: list[InputProblem]
) -> list[Any]:
    try:
        data = _load_json(source)
    except InputError as exc:
        out += exc.problems
        return []
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
        return []
    cls = Volunteer if kind == "volunteer" else Need
    recs = [_record_from_json(kind, cls, item, i, geometry, out) for i, item in enumerate(items)]
    return [r for r in recs if r is not None]


def read_problem(
    volunteers: PathLike | IO[Any] | None = None,
    needs: PathLike | IO[Any] | None = None,
    policy: PathLike | IO[str] | Policy | None = None,
    *,
    problem: PathLike | IO[str] | None = None,
    pinned: PathLike | IO[str] | None = None,
    forbidden: PathLike | IO[str] | None = None,
    history: PathLike | IO[str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    keep_columns: Iterable[str] = (),
    allow_empty: bool = False,
) -> Problem:
    r"""Read a problem from files: volunteers and needs (CSV, ``.xlsx`` or JSON) and a policy (JSON).

    Parameters
    ----------
    volunteers, needs : path or file, optional
        CSV files, Excel workbooks (``.xlsx``, needs openpyxl) or JSON lists of
        records. Required unless *problem* is given.
    policy : path, text file or Policy, optional
        A policy JSON file; default ``Policy()``.
    problem : path or text file, optional
        One JSON problem file holding everything.
    pinned, forbidden, history : path or text file, optional
        Pairs files read by :func:`read_pairs`; added to those of *problem*.
    {options}

    Returns
    -------
    Problem

    Raises
    ------
    InputError
        Every problem of every file at once, each naming the record, its file
        row (CSV) and the field.
    MissingDependency
        A workbook is given and openpyxl is not installed (an ``ImportError``
        whose message is the command that installs it).

    Examples
    --------
    >>> import io
    >>> v = io.StringIO("id,skills,lat,lon,capacity\nv1,nursing:3;driving,31.23,121.47,2\n")
    >>> n = io.StringIO("编号;类别;技能;纬度;经度;优先级\nn1;elderly_care;nursing:2;31.231;121.471;4\n")
    >>> p = read_problem(v, n)
    >>> p.volunteers[0].skills, p.volunteers[0].capacity, p.needs[0].priority
    ({'driving': 1, 'nursing': 3}, 2, 4)
    """
    out: list[InputProblem] = []
    opts = _options(encoding, sheet, keep_columns, allow_empty)
    bad_option = check_encoding(encoding)
    if bad_option is not None:
        raise InputError([bad_option])
    extra_pairs: dict[str, Any] = {}
    for kind, src in (("pinned", pinned), ("forbidden", forbidden), ("history", history)):
        if src is not None and _exists(src, out):
            extra_pairs[kind] = _pairs_from(src, kind, out)
    if problem is not None:
        return _whole_problem(problem, extra_pairs, out)
    pol, policy_ok, raw_policy = _policy(policy, out)
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
    # A policy file that could not be read still says which columns to expect.
    geometry = _geometry_of(pol if policy_ok else raw_policy)
    vols, vorigin = _read_records("volunteer", volunteers, geometry, opts, out)
    nds, norigin = _read_records("need", needs, geometry, opts, out)
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
        located = _located(exc.problems, {"volunteer": vorigin, "need": norigin}, vols, nds)
        out += _with_swaps(located, vols, nds, geometry, {"volunteer": vorigin, "need": norigin})
    if out:
        raise InputError(out)
    return built


read_problem.__doc__ = (read_problem.__doc__ or "").replace("    {options}", _OPTIONS_DOC[1:])


def _whole_problem(
    problem: PathLike | IO[str], extra_pairs: dict[str, Any], out: list[InputProblem]
) -> Problem:
    whole = None
    if _exists(problem, out):
        try:
            whole = problem_from_dict(_load_json(problem), _source_name(problem))
        except InputError as exc:
            out += exc.problems
    if out or whole is None:
        raise InputError(out)
    if not extra_pairs:
        return whole
    merged: dict[str, Any] = {k: (*getattr(whole, k), *v) for k, v in extra_pairs.items()}
    return replace(whole, **merged)


def _policy(
    policy: PathLike | IO[str] | Policy | None, out: list[InputProblem]
) -> tuple[Policy, bool, Any]:
    """The policy, whether it read without a problem, and its raw JSON (for its geometry)."""
    if isinstance(policy, Policy):
        return policy, True, None
    if policy is None:
        return Policy(), True, None
    before = len(out)
    raw: Any = None
    pol = Policy()
    if _exists(policy, out):
        try:
            raw = _load_json(policy)
            pol = policy_from_dict(raw, _source_name(policy))
        except InputError as exc:
            out += exc.problems
    return pol, len(out) == before, raw


def _located(
    problems: Iterable[InputProblem],
    origins: Mapping[str, Origin],
    volunteers: list[Any] | None = None,
    needs: list[Any] | None = None,
) -> list[InputProblem]:
    """The model's problems of records read from CSV or a sheet, with their file, line and column."""
    records = {"volunteer": volunteers or [], "need": needs or []}
    out = []
    for p in problems:
        origin = origins.get(p.kind)
        if origin is not None and origin.lines is not None and p.index is not None:
            column = _column(origin, p.field)
            p = replace(p, row=p.row or origin.lines[p.index], file=origin.file, column=column)
            if p.field == "id" and p.expected.startswith("unique among"):
                p = _duplicate(p, records[p.kind], origin.lines)
        out.append(p)
    return out


def _column(origin: Origin, fld: str) -> str | None:
    """The header a field was read from, where it differs (both coordinates for ``location``)."""
    if fld != "location":
        return origin.columns.get(fld)
    for pair in (("lat", "lon"), ("x", "y")):
        a, b = (origin.columns.get(c) for c in pair)
        if a or b:
            return f"{a or pair[0]}/{b or pair[1]}"
    return None


def _duplicate(p: InputProblem, records: list[Any], lines: list[int]) -> InputProblem:
    """A repeated id, naming every line it is on."""
    rid = records[p.index or 0].id
    on = [str(line) for r, line in zip(records, lines, strict=True) if r.id == rid]
    listed = ", ".join(on[:-1]) + " and " + on[-1]
    return replace(
        p,
        expected=f"unique among {p.kind}s: id `{rid}` appears on lines {listed}",
        got="",
        hint="give each row its own id, or delete the repeated row",
    )


def _with_swaps(
    problems: list[InputProblem],
    volunteers: list[Any],
    needs: list[Any],
    geometry: str,
    origins: Mapping[str, Origin],
) -> list[InputProblem]:
    """A latitude out of range whose longitude would fit one: say the columns look swapped."""
    if geometry != "geo":
        return problems
    records = {"volunteer": volunteers, "need": needs}
    out = []
    for p in problems:
        origin = origins.get(p.kind)
        if (
            origin is not None
            and origin.lines is not None
            and p.index is not None
            and p.field == "location"
            and "latitude" in p.expected
        ):
            lat, lon = records[p.kind][p.index].location
            if abs(lat) > 90 and abs(lon) <= 90:
                a = origin.columns.get("lat", "lat")
                b = origin.columns.get("lon", "lon")
                p = replace(
                    p,
                    hint=f"the `{a}` and `{b}` columns look swapped (the latitude is over 90, "
                    "the longitude would fit one): swap their headers",
                )
        out.append(p)
    return out


def read_result(source: PathLike | IO[str]) -> Result:
    """Read a result JSON file written by :func:`write_json`.

    The file is parsed strictly (no repeated keys, ``NaN`` or nesting beyond
    the parser) and checked whole by :meth:`Result.from_dict`.

    Raises
    ------
    InputError
        Every problem of the file at once, each naming the file and the
        field's JSON path (``matches[3].cost``).
    """
    name = _source_name(source)
    data = _load_json(source)
    try:
        return Result.from_dict(data)
    except InputError as exc:
        raise InputError([replace(p, file=p.file or name) for p in exc.problems]) from None
