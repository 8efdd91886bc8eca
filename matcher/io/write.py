"""The writers: JSON and CSV outputs, written atomically.

Every writer writes a temporary file next to the target, then renames it, so
a failure -- a full disk, an error, Ctrl-C, SIGTERM -- never leaves a partial
file, nor the temporary one (:func:`_atomic_write`).
"""

from __future__ import annotations

import csv
import errno
import io as _io
import json
import math
import os
import secrets
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
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


class Terminated(SystemExit):
    """SIGTERM arrived while a file was being written: the write was undone, then this.

    A ``SystemExit`` (code 143, as a shell reports a process ended by SIGTERM):
    the process still ends, as it would have, but only after the temporary file
    is removed and the target is left as it was. The command line catches it
    and says so.
    """

    def __init__(self, target: Path) -> None:
        super().__init__(128 + signal.SIGTERM)
        self.target = target


def _atomic_write(path: PathLike, text: str | bytes) -> None:
    """Write *text* (or bytes) to *path*: to a temporary file beside it, then rename.

    Whatever happens -- a full disk, an error, Ctrl-C (``KeyboardInterrupt``),
    SIGTERM -- the target keeps its old content (or stays absent) and no
    temporary file is left behind. The data reaches the disk (``fsync``)
    before the rename, so after a crash the target is whole, old or new. In
    the main thread, SIGTERM (if its handler is the default, which kills at
    once) is turned into :class:`Terminated` for the time of the write.

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
    with _sigterm_raises(target):
        _write_and_rename(target, text)


def _write_and_rename(target: Path, text: str | bytes) -> None:
    """The regular-file case of :func:`_atomic_write`."""
    existed = target.exists()
    # The temporary name is known before the file exists, so an interrupt at any
    # point finds what to remove; opened with "x", it is never someone else's file,
    # and gets the mode of any new file (0o666 less the umask).
    name = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    tmp: Path | None = name  # what to remove if anything goes wrong
    try:
        try:
            fh = _open(name, text, mode="x")
        except FileExistsError:
            tmp = None  # not ours (a random name: in practice never)
            raise
        with fh:
            fh.write(text)
            fh.flush()
            _fsync(fh.fileno())
        os.replace(name, target)
        tmp = None
    except BaseException as exc:
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_error(exc, target, existed) from None
        raise


def _fsync(fd: int) -> None:
    """The data on the disk before the rename; a file system that cannot is let be."""
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise


@contextmanager
def _sigterm_raises(target: Path) -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` inside this block (main thread, default handler only).

    A handler the program installed itself, or SIG_IGN, is left alone; so are
    other threads (only the main thread can install handlers).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Terminated(target)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _open(file: Path, data: str | bytes, mode: str = "w") -> Any:
    """*file* opened to write *data*: binary for bytes, UTF-8 text (newlines untouched) for str."""
    if isinstance(data, bytes):
        return open(file, mode + "b")
    return open(file, mode, encoding="utf-8", newline="")


def _write_error(exc: OSError, target: Path, existed: bool | None = None) -> OSError:
    """The error of a failed write, naming the file asked for, not the temporary one.

    With *existed* known, it says what became of the target: nothing, either way.
    """
    left = ""
    if existed is not None:
        left = "; it keeps its old content" if existed else "; nothing was written"
    message = f"cannot write {str(target)!r}: {exc.strerror or exc}{left}"
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
