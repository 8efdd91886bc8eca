"""The writers: JSON and CSV outputs, written atomically.

Every writer writes a temporary file next to the target, then renames it, so
a failure never leaves a partial file.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError, InputProblem
from ..model import Need, Policy, Problem, Volunteer
from ..result import Result
from .csvfiles import PathLike, _coord_columns
from .jsonfiles import SCHEMA_VERSION, policy_to_dict, problem_to_dict

__all__ = ["write_json", "write_needs_csv", "write_plan_csv", "write_volunteers_csv"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: PathLike, text: str) -> None:
    """Write *text* to *path*: to a temporary file beside it, then rename.

    A target that exists and is not a regular file (``/dev/null``, a pipe,
    ``/dev/stdout``) is written in place: renaming over it would replace a
    device with a file.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        try:
            with open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise _write_error(exc, target) from None
        return
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
        )
    except OSError as exc:
        raise _write_error(exc, target) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); give it the usual mode of a new file.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(exc, target) from None
        raise


def _write_error(exc: OSError, target: Path) -> OSError:
    """The error of a failed write, naming the file asked for, not the temporary one."""
    message = f"cannot write {str(target)!r}: {exc.strerror or exc}"
    return OSError(message) if exc.errno is None else type(exc)(exc.errno, message)


def write_json(
    obj: Result | Problem | Policy | Mapping[str, Any], path: PathLike, *, timings: bool = True
) -> None:
    """Write a result, problem, policy or dict as JSON, atomically.

    ``timings=False`` leaves a result's timings out, so that the same problem
    gives a byte-identical file in every run.
    """
    if isinstance(obj, Result):
        data: Any = obj.to_dict(timings=timings)
    elif isinstance(obj, Problem):
        data = problem_to_dict(obj)
    elif isinstance(obj, Policy):
        data = {"schema_version": SCHEMA_VERSION, **policy_to_dict(obj)}
    else:
        data = obj
    _atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_fmt(x) for x in row])
    return buf.getvalue()


def _levels_text(skills: Mapping[str, int]) -> str:
    return ";".join(s if lvl == 1 else f"{s}:{lvl}" for s, lvl in skills.items())


def _extra_columns(records: Sequence[Volunteer | Need]) -> list[str]:
    cols: dict[str, None] = {}
    for r in records:
        cols.update(dict.fromkeys(r.extra))
    return list(cols)


def _check_csv_spelling(kind: str, records: Sequence[Volunteer | Need]) -> None:
    """Refuse values that the CSV format cannot write so that they read back the same."""
    out: list[InputProblem] = []
    for i, r in enumerate(records):
        label = f"{kind} {r.id!r}"
        if any(":" in s or ";" in s for s in r.skills):
            out.append(
                InputProblem(
                    label,
                    "skills",
                    "names without ':' or ';' to be written as CSV",
                    kind=kind,
                    index=i,
                )
            )
        names = {
            "categories": getattr(r, "categories", ()),
            "slots": getattr(r, "slots", None) or (),
        }
        if isinstance(r, Need):
            names = {"category": (r.category,), "slot": (r.slot,) if r.slot else ()}
        for fld, values in names.items():
            if any(";" in x for x in values):
                out.append(
                    InputProblem(
                        label, fld, "names without ';' to be written as CSV", kind=kind, index=i
                    )
                )
        if isinstance(r, Volunteer) and r.slots == frozenset():
            out.append(
                InputProblem(
                    label,
                    "slots",
                    "at least one slot to be written as CSV (an empty cell means any slot); use JSON",
                    "no slot",
                    kind=kind,
                    index=i,
                )
            )
    if out:
        raise InputError(out)


def write_volunteers_csv(
    volunteers: Sequence[Volunteer], path: PathLike, *, geometry: str = "geo"
) -> None:
    """Write volunteers in the CSV format read by :func:`read_problem`, atomically.

    Raises
    ------
    InputError
        For values the CSV format cannot spell (read back, they would mean
        something else), all at once: a volunteer free in *no* slot (an empty
        cell means "any slot"), a skill name with ``:`` or ``;``, a slot or
        category name with ``;``. Nothing is written; use JSON for these.
    """
    _check_csv_spelling("volunteer", volunteers)
    a, b = _coord_columns(geometry)
    extra = _extra_columns(volunteers)
    header = ["id", "skills", a, b, "capacity", "slots", "max_distance_km", "categories",
              "community", "building", "unit", *extra]  # fmt: skip
    rows = (
        [
            v.id,
            _levels_text(v.skills),
            v.location[0],
            v.location[1],
            v.capacity,
            ";".join(sorted(v.slots)) if v.slots is not None else "",
            v.max_distance_km,
            ";".join(sorted(v.categories)),
            v.community,
            v.building,
            v.unit,
            *(v.extra.get(c, "") for c in extra),
        ]  # fmt: skip
        for v in volunteers
    )
    _atomic_write(path, _csv_text(header, rows))


def write_needs_csv(needs: Sequence[Need], path: PathLike, *, geometry: str = "geo") -> None:
    """Write needs in the CSV format read by :func:`read_problem`, atomically.

    Raises
    ------
    InputError
        For a skill name with ``:`` or ``;`` (see :func:`write_volunteers_csv`).
    """
    _check_csv_spelling("need", needs)
    a, b = _coord_columns(geometry)
    extra = _extra_columns(needs)
    header = [
        "id",
        "category",
        "skills",
        a,
        b,
        "slot",
        "demand",
        "priority",
        "community",
        "building",
        "household",
        "group",
        *extra,
    ]
    rows = (
        [
            n.id,
            n.category,
            _levels_text(n.skills),
            n.location[0],
            n.location[1],
            n.slot,
            n.demand,
            n.priority,
            n.community,
            n.building,
            n.household,
            n.group,
            *(n.extra.get(c, "") for c in extra),
        ]  # fmt: skip
        for n in needs
    )
    _atomic_write(path, _csv_text(header, rows))


def plan_table(result: Result, problem: Problem) -> tuple[list[str], list[list[Any]]]:
    """The plan as a header and rows (what :func:`write_plan_csv` writes).

    One row per match and one per need with units unserved, sorted by need id
    (matches first): ``need_id, volunteer_id, status, reason, missing, cost,
    distance_km``, then the need's extra columns (prefixed ``need.``) and the
    volunteer's (prefixed ``volunteer.``), carried through untouched. Empty
    cells are ``""``.
    """
    needs = {n.id: n for n in problem.needs}
    vols = {v.id: v for v in problem.volunteers}
    n_extra = _extra_columns(problem.needs)
    v_extra = _extra_columns(problem.volunteers)
    header = ["need_id", "volunteer_id", "status", "reason", "missing", "cost", "distance_km",
              *(f"need.{c}" for c in n_extra), *(f"volunteer.{c}" for c in v_extra)]  # fmt: skip
    rows: list[tuple[str, int, list[Any]]] = []
    for m in result.matches:
        n, v = needs[m.need_id], vols[m.volunteer_id]
        rows.append((m.need_id, 0, [m.need_id, m.volunteer_id, "matched", "", "", m.cost, m.distance_km,
                                    *(n.extra.get(c, "") for c in n_extra),
                                    *(v.extra.get(c, "") for c in v_extra)]))  # fmt: skip
    for u in result.unmatched:
        n = needs[u.need_id]
        rows.append((u.need_id, 1, [u.need_id, "", "unmatched", u.reason, u.missing, "", "",
                                    *(n.extra.get(c, "") for c in n_extra), *("" for _ in v_extra)]))  # fmt: skip
    rows.sort(key=lambda r: (r[0], r[1]))
    return header, [r[2] for r in rows]


def write_plan_csv(result: Result, problem: Problem, path: PathLike) -> None:
    """Write the plan as a CSV a coordinator can open, with the user's own columns.

    The rows of :func:`plan_table`, atomically.
    """
    header, rows = plan_table(result, problem)
    _atomic_write(path, _csv_text(header, rows))
