"""The fuzz targets: one function per reader, and one for records through solve and verify.

Each target takes the fuzzer's bytes and returns None when matcher kept its
contract (issue 15); anything it raises is a finding:

- every reader, on any bytes, returns records or raises :class:`matcher.InputError`
  (or :class:`matcher.MissingDependency` for a missing extra), nothing else;
- what a reader accepts is sound: a policy or problem file that reads gives a
  problem that :func:`matcher.solve` plans and :func:`matcher.verify` accepts (or
  ``solve`` refuses with ``InputError`` / ``UnsupportedProblem``); a result that
  reads writes back to JSON losslessly, and ``verify`` judges it without raising;
- records, whatever their values, go through ``Problem`` / ``solve`` / ``verify``
  the same way (:func:`solve_verify`).

A broken promise of the second kind raises :class:`ContractBroken`. Files are
written to a private temporary folder (in memory, ``/dev/shm``, where there is
one) and read through their paths, as the command line reads them.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from matcher import (
    InputError,
    MissingDependency,
    Policy,
    Problem,
    Result,
    UnsupportedProblem,
    limits,
    solve,
    verify,
)
from matcher import io as mio

from .records import drawn_problem

__all__ = ["TARGETS", "ContractBroken", "cleanup", "run_target"]

REFUSED = (InputError, MissingDependency)
"""What a reader may raise."""
SOLVE_REFUSED = (InputError, UnsupportedProblem)
"""What ``solve`` may raise on a valid problem."""
SOLVE_AT_MOST = 60
"""Problems read with more records than this are read, not solved (the run stays fast)."""

FIXED_VOLUNTEERS = "id,skills,lat,lon,capacity\nv1,nursing:3;driving,31.2300,121.4700,2\n"
FIXED_NEEDS = "id,category,skills,lat,lon\nn1,medical,nursing,31.2310,121.4710\n"
"""The other file of a problem whose volunteers (needs) file is fuzzed; geo coordinates."""
PLANE = {"lat,lon": "x,y", "31.2300,121.4700": "1.0,2.0", "31.2310,121.4710": "1.5,2.0"}
"""How the fixed files read with plane coordinates."""


class ContractBroken(AssertionError):
    """Input was accepted but what came out is wrong (a plan verify refuses, a lossy round trip)."""


@cache
def _folder() -> Path:
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="matcher-fuzz-", dir=shm if shm.is_dir() else None))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for kind, text in (("volunteers", FIXED_VOLUNTEERS), ("needs", FIXED_NEEDS)):
        (folder / f"fixed_{kind}_geo.csv").write_text(text, encoding="utf-8")
        for geo, plane in PLANE.items():
            text = text.replace(geo, plane)
        (folder / f"fixed_{kind}_plane.csv").write_text(text, encoding="utf-8")
    return folder


def cleanup() -> None:
    """Remove the temporary folder now (libFuzzer ends a run without Python's atexit)."""
    if _folder.cache_info().currsize:
        shutil.rmtree(_folder(), ignore_errors=True)
        _folder.cache_clear()


def _file(name: str, data: bytes) -> str:
    path = _folder() / name
    path.write_bytes(data)
    return str(path)


def _fixed(kind: str, geometry: str = "geo") -> str:
    return str(_folder() / f"fixed_{kind}_{geometry}.csv")


def _refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``; None when it refuses the input as a reader may."""
    try:
        return call(*args, **kwargs)
    except REFUSED:
        return None


def _solved_and_verified(problem: Problem, method: str = "auto") -> Result | None:
    """Solve *problem*; the plan must pass ``verify`` and survive its JSON form."""
    try:
        result = solve(problem, method)
    except SOLVE_REFUSED:
        return None
    violations = verify(problem, result)
    if violations:
        raise ContractBroken(f"verify refuses the plan of method {method!r}: {violations[:3]}")
    if Result.from_json(result.to_json()) != result:
        raise ContractBroken(f"the result of method {method!r} does not survive to_json/from_json")
    return result


def _small(problem: Problem) -> bool:
    return len(problem.volunteers) + len(problem.needs) <= SOLVE_AT_MOST


# ------------------------------------------------------------------ volunteers and needs


def _records_file(kind: str, name: str, data: bytes) -> None:
    """Read a volunteers or needs file with the fixed other file; solve what reads.

    The geometry is plane when the header has an ``x`` column (as a user with
    plane coordinates writes it), else geo. When ``read_problem`` refuses the
    file, ``read_volunteers`` / ``read_needs`` reads it alone (its own errors).
    """
    path = _file(name, data)
    geometry = _geometry(data)
    other = _fixed("needs" if kind == "volunteers" else "volunteers", geometry)
    files = (path, other) if kind == "volunteers" else (other, path)
    problem = _refused(mio.read_problem, *files, Policy(geometry=geometry))
    if problem is None:
        reader = mio.read_volunteers if kind == "volunteers" else mio.read_needs
        _refused(reader, path, geometry=geometry)
    elif _small(problem):
        _solved_and_verified(problem)


def _geometry(data: bytes) -> str:
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    cells = {c.strip().strip('"').casefold() for c in re.split("[,;\t]", first)}
    return "plane" if "x" in cells else "geo"


def volunteers_csv(data: bytes) -> None:
    """A volunteers CSV file: ``read_problem`` (``read_volunteers`` if refused), solve."""
    _records_file("volunteers", "volunteers.csv", data)


def needs_csv(data: bytes) -> None:
    """A needs CSV file: ``read_problem`` (``read_needs`` if refused), solve."""
    _records_file("needs", "needs.csv", data)


def records_json(data: bytes) -> None:
    """A volunteers file in JSON (a list of records, or an object with ``volunteers``)."""
    _records_file("volunteers", "volunteers.json", data)


SHEET_LIMITS = {"MAX_SHEET_ROWS": 5_000, "MAX_SHEET_CELLS": 100_000}
"""The sheet limits while a workbook target runs: a sheet's row numbers cost a row
each up to the limit (1,048,576 by default, about a second per input); smaller
limits keep the run fast and reach the same refusals."""


@contextlib.contextmanager
def _small_sheets() -> Iterator[None]:
    old = {name: getattr(limits, name) for name in SHEET_LIMITS}
    for name, value in SHEET_LIMITS.items():
        setattr(limits, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(limits, name, value)


def xlsx_raw(data: bytes) -> None:
    """Raw bytes as a volunteers ``.xlsx`` workbook (and as a needs one)."""
    with _small_sheets():
        _records_file("volunteers", "volunteers.xlsx", data)
        _refused(mio.read_needs, _file("needs.xlsx", data))


def xlsx_cells(data: bytes) -> None:
    """A workbook written by openpyxl from cells typed in the bytes (see :func:`workbook`)."""
    book = workbook(data)
    if book is not None:
        with _small_sheets():
            _records_file("volunteers", "volunteers.xlsx", book)


def xlsx_xml(data: bytes) -> None:
    """The bytes as the first sheet's XML inside an otherwise valid workbook."""
    with _small_sheets():
        _records_file("volunteers", "volunteers.xlsx", _with_sheet_xml(data))


# ------------------------------------------------------------------ JSON files and pairs


def policy_json(data: bytes) -> None:
    """A policy file: ``read_policy``, its dict round trip, and a solve under it.

    ``read_policy`` checks the layout, not the values (``Problem`` does, as for
    records), so the round trip is only asked of a policy an empty problem accepts.
    """
    path = _file("policy.json", data)
    policy = _refused(mio.read_policy, path)
    valid = policy is not None and _refused(Problem, [], [], policy) is not None
    if valid and mio.policy_from_dict(mio.policy_to_dict(policy)) != policy:
        raise ContractBroken("policy_to_dict / policy_from_dict changed the policy")
    geometry = policy.geometry if policy is not None else "geo"
    files = (_fixed("volunteers", geometry), _fixed("needs", geometry))
    problem = _refused(mio.read_problem, *files, path)
    if problem is not None:
        _solved_and_verified(problem)


def problem_json(data: bytes) -> None:
    """A problem file: ``read_problem(problem=...)``, its dict round trip, and a solve."""
    problem = _refused(mio.read_problem, problem=_file("problem.json", data))
    if problem is None:
        return
    if mio.problem_from_dict(mio.problem_to_dict(problem)) != problem:
        raise ContractBroken("problem_to_dict / problem_from_dict changed the problem")
    if _small(problem):
        _solved_and_verified(problem)


def _pairs_file(path: str) -> None:
    for kind in ("pinned", "history"):
        _refused(mio.read_pairs, path, kind)
    for problem in (
        _refused(mio.read_problem, _fixed("volunteers"), _fixed("needs"), pinned=path),
        _refused(mio.read_problem, problem=_fixed_problem_file(), forbidden=path),
    ):
        if problem is not None:
            _solved_and_verified(problem)


def pairs_csv(data: bytes) -> None:
    """A pairs CSV file: ``read_pairs`` (pinned, history); pinned in a problem, forbidden added to one."""
    _pairs_file(_file("pairs.csv", data))


def pairs_json(data: bytes) -> None:
    """A pairs JSON file, as :func:`pairs_csv`."""
    _pairs_file(_file("pairs.json", data))


def result_json(data: bytes) -> None:
    """A result file: ``read_result`` and ``Result.from_json``; what reads is written and verified."""
    results = [
        _refused(mio.read_result, _file("result.json", data)),
        _refused(Result.from_json, data.decode("utf-8", "replace")),
    ]
    problem = _fixed_problem()
    for result in results:
        if result is None:
            continue
        if Result.from_json(result.to_json()) != result:
            raise ContractBroken("a result read from JSON does not survive to_json/from_json")
        _refused(verify, problem, result)


@cache
def _fixed_problem() -> Problem:
    return mio.read_problem(_fixed("volunteers"), _fixed("needs"))


def _fixed_problem_file() -> str:
    path = _folder() / "fixed_problem.json"
    if not path.exists():
        path.write_text(json.dumps(mio.problem_to_dict(_fixed_problem())), encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ records through solve


def solve_verify(data: bytes) -> None:
    """Records drawn from the bytes (:mod:`tests.fuzz.records`) through solve and verify."""
    try:
        problem, method, d = drawn_problem(data)
    except InputError:
        return
    result = _solved_and_verified(problem, method)
    if result is not None and d.bool():  # a re-plan against this plan, with a churn cost
        churn = d.pick((None, 0.0, 0.5, 1e9, -1.0, float("nan")))
        try:
            again = solve(problem, method, previous=result, churn_cost=churn)
        except SOLVE_REFUSED:
            return
        violations = verify(problem, again)
        if violations:
            raise ContractBroken(f"verify refuses the re-plan of {method!r}: {violations[:3]}")


# ------------------------------------------------------------------ workbooks


def workbook(data: bytes) -> bytes | None:
    r"""The ``.xlsx`` bytes of a sheet whose cells are typed in *data*; None if openpyxl refuses.

    *data* is UTF-8 text (bad bytes replaced), a row per line and a cell per tab:
    an empty cell is empty; ``TRUE`` / ``FALSE`` are booleans; ``#date``,
    ``#datetime``, ``#time`` and ``#duration`` are those types; text that Python
    reads as an ``int`` or a ``float`` (``nan``, ``1e999``) is that number; text
    starting with ``=`` is a formula; anything else is text.
    """
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    try:
        for line in data.decode("utf-8", "replace").split("\n"):
            sheet.append([_cell(text, ILLEGAL_CHARACTERS_RE) for text in line.split("\t")])
        out = io.BytesIO()
        book.save(out)
    except (ValueError, TypeError):  # a value openpyxl will not write: not our reader's input
        return None
    return out.getvalue()


_TYPED = {
    "TRUE": True,
    "FALSE": False,
    "#date": dt.date(2024, 3, 1),
    "#datetime": dt.datetime(2024, 3, 1, 9, 30),
    "#time": dt.time(9, 30),
    "#duration": dt.timedelta(hours=2),
}


def _cell(text: str, illegal: Any) -> Any:
    text = text.rstrip("\r")
    if text == "":
        return None
    if text in _TYPED:
        return _TYPED[text]
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return illegal.sub("", text)


@cache
def _template() -> dict[str, bytes]:
    """The members of a small valid volunteers workbook written by openpyxl."""
    book = workbook(FIXED_VOLUNTEERS.replace(",", "\t").encode())
    assert book is not None
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _with_sheet_xml(xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, content in _template().items():
            z.writestr(name, xml if name == "xl/worksheets/sheet1.xml" else content)
    return out.getvalue()


TARGETS: dict[str, Callable[[bytes], None]] = {
    "volunteers_csv": volunteers_csv,
    "needs_csv": needs_csv,
    "records_json": records_json,
    "xlsx_raw": xlsx_raw,
    "xlsx_cells": xlsx_cells,
    "xlsx_xml": xlsx_xml,
    "policy_json": policy_json,
    "problem_json": problem_json,
    "pairs_csv": pairs_csv,
    "pairs_json": pairs_json,
    "result_json": result_json,
    "solve_verify": solve_verify,
}
"""Every target by name (the folder names under ``corpus/`` and ``crashes/``)."""


def run_target(name: str, data: bytes) -> None:
    """Run target *name* on *data* (a finding raises)."""
    TARGETS[name](data)
