"""Volunteers and needs from CSV: decoding, the header, one record per row.

CSV (UTF-8, a byte-order mark is accepted, one header row; cells are
stripped; an empty cell means the default; list fields are separated by
``;`` and a skill level follows a ``:``, so ``nursing:3;driving`` is nursing
level 3 and driving level 1). Any column that is not a field goes to the
record's ``extra``. A row whose cells cannot be read is reported with its line.
"""

from __future__ import annotations

import csv
import io as _io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from .. import limits
from ..errors import InputProblem, short_repr
from ..model import Need, Volunteer

PathLike = str | os.PathLike[str]

VOLUNTEER_COLUMNS = (
    "id", "skills", "capacity", "slots", "max_distance_km", "categories", "community", "building", "unit",
)  # fmt: skip

NEED_COLUMNS = (
    "id", "category", "skills", "slot", "demand", "priority", "community", "building", "household",
    "group",
)  # fmt: skip


def _coord_columns(geometry: str) -> tuple[str, str]:
    return ("x", "y") if geometry == "plane" else ("lat", "lon")


class _Row:
    """Parses the cells of one CSV row, collecting problems."""

    def __init__(self, kind: str, cells: Mapping[str, str], row: int, out: list[InputProblem]):
        self.kind, self.cells, self.row, self.out = kind, cells, row, out
        rid = cells.get("id", "")
        self.label = f"{kind} {rid!r}" if rid else f"{kind} (no id)"

    def bad(self, fld: str, expected: str, got: str) -> None:
        self.out.append(
            InputProblem(self.label, fld, expected, short_repr(got), row=self.row, kind=self.kind)
        )

    def text(self, col: str) -> str | None:
        value = self.cells.get(col, "")
        return value if value != "" else None

    def one_name(self, col: str) -> str | None:
        """A single name: ';' separates lists, so a list here could never match."""
        value = self.text(col)
        if value is not None and ";" in value:
            self.bad(col, "one name (';' separates lists; this field holds one)", value)
        return value

    def number(self, col: str, cast: Callable[[str], Any], expected: str) -> Any:
        value = self.text(col)
        if value is None:
            return None
        try:
            if "_" in value:  # Python reads '3_1.2' as 31.2; in a file it is a typo
                raise ValueError(value)
            return cast(value)
        except ValueError:
            self.bad(col, expected, value)
            return None

    def names(self, col: str) -> list[str] | None:
        value = self.text(col)
        if value is None:
            return None
        items = [s.strip() for s in value.split(";")]
        if any(s == "" for s in items):
            self.bad(col, "names separated by ';' (no empty item)", value)
        return [s for s in items if s]

    def levels(self, col: str) -> dict[str, int]:
        value = self.text(col)
        out: dict[str, int] = {}
        if value is None:
            return out
        for item in value.split(";"):
            name, sep, level = (s.strip() for s in item.partition(":"))
            if not name:
                self.bad(col, "skills like 'nursing:3;driving' (no empty item)", value)
                continue
            if name in out:
                self.bad(col, f"each skill once (got '{name}' twice)", value)
                continue
            if not sep:
                out[name] = 1
                continue
            try:
                out[name] = int(level)
            except ValueError:
                self.bad(col, f"an integer level after '{name}:' (like 'nursing:3')", value)
        return out


def _int(text: str) -> int:
    return int(text)


def _read_csv(
    source: PathLike | IO[str],
    kind: str,
    required: Sequence[str],
    known: Sequence[str],
    out: list[InputProblem],
    id_column: str = "id",
    text: str | None = None,
) -> tuple[list[dict[str, str]], list[int], list[str]]:
    """Rows as dicts of stripped cells, their line numbers, and the extra columns.

    *text* is the file's text when the caller has read it already.
    """
    name = _source_name(source)
    if text is None:
        try:
            text = _read_text(source)
        except (OSError, UnicodeDecodeError) as exc:
            out.append(_unreadable(name, exc))
            return [], [], []
    reader = csv.reader(_io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        out.append(InputProblem(name, "header", "a header row", "an empty file", kind="file"))
        return [], [], []
    except csv.Error as exc:
        out.append(InputProblem(name, "header", "a CSV header row", str(exc), kind="file"))
        return [], [], []
    problems_before = len(out)
    seen: set[str] = set()
    for h in header:
        if h == "":
            out.append(
                InputProblem(
                    name, "header", "a name for every column", "an empty column name", kind="file"
                )
            )
        elif h in seen:
            out.append(
                InputProblem(name, h, "one column of this name", "a repeated column", kind="file")
            )
        seen.add(h)
    for col in required:
        if col not in seen:
            out.append(InputProblem(name, col, "a column (required)", "missing", kind="file"))
    if len(out) > problems_before:
        return [], [], []
    extra_cols = [h for h in header if h not in known and h not in required]
    id_col = header.index(id_column)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    try:
        for cells in reader:
            if not cells or all(c.strip() == "" for c in cells):
                continue
            line = reader.line_num
            if len(cells) != len(header):
                # Name the row by its id cell only: another column may hold personal data.
                rid = cells[id_col].strip() if id_col < len(cells) else ""
                label = f"{kind} {rid!r}" if rid else f"{kind} (no id)"
                out.append(
                    InputProblem(
                        label,
                        "row",
                        f"{len(header)} cells like the header",
                        f"{len(cells)}",
                        row=line,
                        kind=kind,
                    )
                )
                continue
            rows.append({h: c.strip() for h, c in zip(header, cells, strict=True)})
            lines.append(line)
    except csv.Error as exc:
        out.append(
            InputProblem(name, "file", "valid CSV", str(exc), row=reader.line_num, kind="file")
        )
    return rows, lines, extra_cols


def _unreadable(name: str, exc: Exception) -> InputProblem:
    return InputProblem(name, "file", "a readable UTF-8 CSV file", type(exc).__name__, kind="file")


def _source_name(source: PathLike | IO[str]) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", "input")


def _read_text(source: PathLike | IO[str]) -> str:
    name = _source_name(source)
    if isinstance(source, (str, os.PathLike)):
        limits.check("size in bytes", os.stat(source).st_size, "MAX_FILE_BYTES", name)
        with open(source, encoding="utf-8-sig", newline="") as fh:
            return fh.read()
    text = source.read(limits.MAX_FILE_BYTES + 1)
    limits.check("size in characters", len(text), "MAX_FILE_BYTES", name)
    return text[1:] if text.startswith("\ufeff") else text


def _volunteers_from_csv(
    source: PathLike | IO[str], geometry: str, out: list[InputProblem]
) -> tuple[list[Volunteer], list[int]]:
    a, b = _coord_columns(geometry)
    rows, lines, extra_cols = _read_csv(
        source, "volunteer", ("id", "skills", a, b), VOLUNTEER_COLUMNS, out
    )
    records, kept = [], []
    for cells, line in zip(rows, lines, strict=True):
        r = _Row("volunteer", cells, line, out)
        n_before = len(out)
        slots = r.names("slots")
        fields_ = {
            "id": cells["id"],
            "skills": r.levels("skills"),
            "location": (r.number(a, float, "a number"), r.number(b, float, "a number")),
            "slots": frozenset(slots) if slots is not None else None,
            "max_distance_km": r.number("max_distance_km", float, "a number of km"),
            "categories": frozenset(r.names("categories") or ()),
            "community": r.text("community"),
            "building": r.text("building"),
            "unit": r.text("unit"),
            "extra": {c: cells[c] for c in extra_cols},
        }
        capacity = r.number("capacity", _int, "an integer >= 0")
        if capacity is not None:
            fields_["capacity"] = capacity
        if len(out) == n_before:
            records.append(Volunteer(**fields_))
            kept.append(line)
    return records, kept


def _needs_from_csv(
    source: PathLike | IO[str], geometry: str, out: list[InputProblem]
) -> tuple[list[Need], list[int]]:
    a, b = _coord_columns(geometry)
    rows, lines, extra_cols = _read_csv(
        source, "need", ("id", "category", "skills", a, b), NEED_COLUMNS, out
    )
    records, kept = [], []
    for cells, line in zip(rows, lines, strict=True):
        r = _Row("need", cells, line, out)
        n_before = len(out)
        fields_: dict[str, Any] = {
            "id": cells["id"],
            "category": r.one_name("category") or "",
            "skills": r.levels("skills"),
            "location": (r.number(a, float, "a number"), r.number(b, float, "a number")),
            "slot": r.one_name("slot"),
            "community": r.text("community"),
            "building": r.text("building"),
            "household": r.text("household"),
            "group": r.text("group"),
            "extra": {c: cells[c] for c in extra_cols},
        }
        for col, expected in (("demand", "an integer >= 1"), ("priority", "an integer in 1..5")):
            value = r.number(col, _int, expected)
            if value is not None:
                fields_[col] = value
        if len(out) == n_before:
            records.append(Need(**fields_))
            kept.append(line)
    return records, kept


def _is_json(source: PathLike | IO[str]) -> bool:
    return str(_source_name(source)).lower().endswith(".json")


def _is_text(x: Any) -> bool:
    return isinstance(x, str) and x.strip() != ""
