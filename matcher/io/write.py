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

from ..errors import InputError, InputProblem, MissingDependency, install_command
from ..model import Need, Policy, Problem, Volunteer
from ..result import Result
from .csvfiles import PathLike, _coord_columns
from .jsonfiles import SCHEMA_VERSION, policy_to_dict, problem_to_dict
from .plan import TWO_DECIMALS, plan_table
from .plan import extra_columns as _extra_columns

__all__ = [
    "EXCEL_INSTALL",
    "write_json",
    "write_needs_csv",
    "write_plan_csv",
    "write_plan_xlsx",
    "write_volunteers_csv",
]

EXCEL_INSTALL = install_command("excel")
"""The command that installs what ``.xlsx`` files need (openpyxl, the ``excel`` extra)."""

BOM = "\ufeff"
"""The byte order mark that tells Excel a CSV file is UTF-8 (``bom=True``)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: PathLike, text: str | bytes) -> None:
    """Write *text* (or bytes) to *path*: to a temporary file beside it, then rename.

    A target that exists and is not a regular file (``/dev/null``, a pipe,
    ``/dev/stdout``) is written in place: renaming over it would replace a
    device with a file.
    """
    target = Path(path)
    if target.exists() and not target.is_file():
        try:
            with _open(target, text) as fh:
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
        with _open(fd, text) as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); give it the usual mode of a new file.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(exc, target) from None
        raise


def _open(file: Path | int, data: str | bytes) -> Any:
    """*file* opened to write *data*: binary for bytes, UTF-8 text (newlines untouched) for str."""
    if isinstance(data, bytes):
        return open(file, "wb")
    return open(file, "w", encoding="utf-8", newline="")


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
    """The CSV text of a table; the columns of :data:`TWO_DECIMALS` with two decimals."""
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    fixed = [i for i, c in enumerate(header) if c in TWO_DECIMALS]
    for row in rows:
        cells = [_fmt(x) for x in row]
        for i in fixed:
            if isinstance(row[i], float) and math.isfinite(row[i]):
                cells[i] = f"{row[i]:.2f}"
        w.writerow(cells)
    return buf.getvalue()


def _levels_text(skills: Mapping[str, int]) -> str:
    return ";".join(s if lvl == 1 else f"{s}:{lvl}" for s, lvl in skills.items())


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


def write_plan_csv(result: Result, problem: Problem, path: PathLike, *, bom: bool = False) -> None:
    """Write the plan as a CSV a coordinator can open, with the user's own columns.

    The rows of :func:`plan_table`, atomically; ``distance_km`` with two
    decimals. With ``bom=True`` the file starts with a UTF-8 byte order mark,
    so that Excel (on a Chinese or any non-UTF-8 Windows) reads its names
    right; the readers of matcher accept either.
    """
    header, rows = plan_table(result, problem)
    _atomic_write(path, (BOM if bom else "") + _csv_text(header, rows))


def write_plan_xlsx(result: Result, problem: Problem, path: PathLike) -> None:
    """Write the plan as an Excel workbook (``.xlsx``): the cells of the plan CSV.

    One sheet, ``plan``: the header row frozen and filtered, the rows of
    :func:`plan_table`; numbers are numbers (``distance_km`` shown with two
    decimals), text is text (a cell starting with ``=`` is never a formula).
    Characters a workbook cannot hold (control characters) are written as
    U+FFFD. Needs openpyxl, the ``excel`` extra (:data:`EXCEL_INSTALL`).
    Written atomically.

    Raises
    ------
    ImportError
        openpyxl is not installed; the message is the command that installs it.
    """
    header, rows = plan_table(result, problem)
    _atomic_write(path, xlsx_bytes("plan", header, rows))


def require_openpyxl() -> Any:
    """The openpyxl module, or a MissingDependency (an ImportError) saying how to install it."""
    try:
        import openpyxl
    except ImportError as exc:
        raise MissingDependency("openpyxl", "excel", "writing .xlsx files") from exc
    return openpyxl


def xlsx_bytes(sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook of a table, as the bytes of an ``.xlsx`` file."""
    openpyxl = require_openpyxl()
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    fixed = {i for i, c in enumerate(header) if c in TWO_DECIMALS}
    n = 0

    def put(i: int, value: Any) -> Any:
        if value is None or value == "":
            return None
        c = WriteOnlyCell(ws)
        if isinstance(value, str):
            c.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            c.data_type = "s"  # text, even when it starts with "=" (never a formula)
        else:
            c.value = value
            if i in fixed:
                c.number_format = "0.00"
        return c

    ws.append([put(-1, h) for h in header])
    for row in rows:
        ws.append([put(i, x) for i, x in enumerate(row)])
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{n + 1}"
    buf = _io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
