"""Volunteers and needs from CSV (or a worksheet's cells): decoding, the header, one record per row.

CSV: UTF-8 (a byte-order mark is accepted), UTF-16 with a byte-order mark, or
GB18030 / GBK, detected (:mod:`matcher.io._encoding`) or forced with
``encoding=``; the separator, ``,`` ``;`` or a tab, is the one the header line
uses most. One header row, whose names are matched without case and with the
aliases of :mod:`matcher.io.headers` (``纬度`` is ``lat``); cells are
stripped; an empty cell means the default; list fields are separated by ``;``
and a skill level follows a ``:``, so ``nursing:3;driving`` is nursing level 3
and driving level 1. Any column that is not a field goes to the record's
``extra``. A row whose cells cannot be read is reported with its line.
"""

from __future__ import annotations

import csv
import io as _io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .. import limits
from ..errors import InputProblem, short_repr
from ..model import Need, Volunteer
from ._encoding import decode, read_input
from ._table import Table
from .headers import NEED_COLUMNS, VOLUNTEER_COLUMNS, Header, header_map, missing_required, resolve
from .headers import coord_columns as _coord_columns

__all__ = ["NEED_COLUMNS", "VOLUNTEER_COLUMNS", "FileOptions", "Origin"]

PathLike = str | os.PathLike[str]

_NO_NAME = "input"  # the name of a stream that has none

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class FileOptions:
    """How to read volunteers and needs files (the keyword arguments of the readers)."""

    encoding: str | None = None
    sheet: str | None = None
    keep_columns: tuple[str, ...] = ()
    allow_empty: bool = False


@dataclass
class Origin:
    """Where records came from: the file, each record's line, the headers as written.

    *file* is the name shown in messages, None for a stream without a name.
    """

    name: str
    lines: list[int] | None = None
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def file(self) -> str | None:
        """The file's name for messages; None for a stream without a name."""
        return None if self.name == _NO_NAME else self.name


_LISTS = (list, tuple, set, frozenset)


def _number_text(value: Any) -> str | None:
    """A number's text as a CSV file would hold it (a frame's cell of a text field); else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return str(value) if isinstance(value, int) else repr(value)


class _Row:
    """Parses the cells of one row, collecting problems.

    A file's cells are text, read by the CSV syntax (``nursing:3;driving``). A
    data frame's cells (:attr:`Table.typed`) may also be numbers, lists, sets and
    dicts: they are carried as they are, as the records' constructors would take
    them, and checked by the model; only their names must be ones a CSV cell can
    spell (no ``;``, and no ``:`` in a skill), as the frame has the CSV columns.
    """

    def __init__(
        self,
        kind: str,
        cells: Mapping[str, Any],
        row: int,
        out: list[InputProblem],
        origin: Origin | None = None,
    ):
        self.kind, self.cells, self.row, self.out = kind, cells, row, out
        self.origin = origin
        rid = self.ident()
        self.label = f"{kind} {rid!r}" if isinstance(rid, str) and rid else f"{kind} (no id)"

    def bad(self, fld: str, expected: str, got: Any) -> None:
        file = column = None
        if self.origin is not None:
            file, column = self.origin.file, self.origin.columns.get(fld)
        self.out.append(
            InputProblem(
                self.label,
                fld,
                expected,
                short_repr(got),
                row=self.row,
                kind=self.kind,
                file=file,
                column=column,
            )
        )

    def cell(self, col: str) -> Any:
        """The cell as it is; None when empty."""
        value = self.cells.get(col)
        return None if value is None or (isinstance(value, str) and value == "") else value

    def ident(self) -> Any:
        """The id: a file's text (empty: none), a frame's string as it is or an integer's digits."""
        value = self.cells.get("id")
        return "" if value is None else _number_text(value) or value

    def text(self, col: str) -> Any:
        """A text field: the cell's text (a number's digits); a frame's other values as they are."""
        value = self.cell(col)
        return value if value is None or isinstance(value, str) else _number_text(value) or value

    def one_name(self, col: str) -> Any:
        """A single name: ';' separates lists, so a list here could never match."""
        value = self.text(col)
        if isinstance(value, str) and ";" in value:
            self.bad(col, "one name (';' separates lists; this field holds one)", value)
        return value

    def number(self, col: str, cast: Callable[[str], Any], expected: str) -> Any:
        value = self.cell(col)
        if value is None:
            return None
        if not isinstance(value, str):  # a frame's typed cell: checked by the model as it is
            return value
        try:
            if "_" in value:  # Python reads '3_1.2' as 31.2; in a file it is a typo
                raise ValueError(value)
            return cast(value)
        except ValueError:
            self.bad(col, expected, value)
            return None

    def spelled(self, col: str, names: Iterable[Any], seps: str) -> bool:
        """Whether a frame's list, set or dict holds names a CSV cell can spell (else said)."""
        ok = True
        what = (
            "names (text) without ';' (it separates names in the CSV columns a frame has)"
            if seps == ";"
            else "skill names (text) without ';' or ':' (they separate names and levels "
            "in the CSV columns a frame has)"
        )
        for x in names:
            if not isinstance(x, str) or any(c in x for c in seps):
                self.bad(col, what, x)
                ok = False
        return ok

    def names(self, col: str) -> list[str] | None:
        value = self.text(col)
        if value is None:
            return None
        if isinstance(value, _LISTS):  # a frame's list or set: its names exactly
            return list(value) if self.spelled(col, value, ";") else None
        if not isinstance(value, str):
            self.bad(col, "names separated by ';', or a list of names", value)
            return None
        items = [s.strip() for s in value.split(";")]
        if any(s == "" for s in items):
            self.bad(col, "names separated by ';' (no empty item)", value)
        return [s for s in items if s]

    def levels(self, col: str) -> Any:
        value = self.text(col)
        out: dict[str, int] = {}
        if value is None:
            return out
        if isinstance(value, (Mapping, *_LISTS)):  # a frame's dict, list or set: as it is
            if self.spelled(col, value, ";:") and isinstance(value, (list, tuple)):
                if len(set(value)) < len(value):
                    self.bad(col, "each skill once", value)
            return dict(value) if isinstance(value, Mapping) else list(value)
        if not isinstance(value, str):
            self.bad(col, "skills like 'nursing:3;driving', a list or a dict", value)
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

    def extra(self, col: str) -> str:
        """An extra column's cell as text (a frame's list as ``a;b``, its dict as ``k:v;...``)."""
        value = self.cells.get(col)
        if value is None or isinstance(value, str):
            return value or ""
        if isinstance(value, Mapping):
            return ";".join(f"{k}:{v}" for k, v in value.items())
        if isinstance(value, _LISTS):
            items = list(value)
            if isinstance(value, (set, frozenset)):
                try:
                    items.sort()
                except TypeError:  # mixed kinds: by their text
                    items.sort(key=str)
            return ";".join(str(x) for x in items)
        return _number_text(value) or str(value)


def _int(text: str) -> int:
    return int(text)


def separator(text: str) -> str:
    r"""The separator the first line of *text* uses most, outside quotes: ``,`` ``;`` or a tab.

    A tie, or a line with none of them, is ``,``.

    Examples
    --------
    >>> separator("id;skills;lat;lon\n"), separator('id,"a;b"\n'), separator("id\tname\n")
    (';', ',', '\t')
    """
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for ch in text:
        if ch in "\r\n" and not quoted:
            break
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    return next(s for s, n in counts.items() if n == best)


def csv_table(
    text: str, name: str, out: list[InputProblem], sep: str | None = None, encoding: str = ""
) -> Table | None:
    """The cells of a CSV text; None (and a problem) when it has no header row."""
    sep = separator(text) if sep is None else sep
    how = f"separator: {SEPARATORS[sep]}" + (f", encoding: {encoding}" if encoding else "")
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = next(reader)
    except StopIteration:
        out.append(InputProblem(name, "header", "a header row", "an empty file", kind="file"))
        return None
    except csv.Error as exc:  # e.g. a cell over csv.field_size_limit(), 128 KiB
        out.append(
            InputProblem(
                name,
                "header",
                "a CSV header row",
                str(exc),
                row=max(reader.line_num, 1),
                kind="file",
            )
        )
        return None
    table = Table(header, how=how)
    try:
        for cells in reader:
            if not cells or all(c.strip() == "" for c in cells):
                continue
            table.rows.append((reader.line_num, cells))
            table.width[reader.line_num] = len(cells)
    except csv.Error as exc:
        out.append(
            InputProblem(name, "file", "valid CSV", str(exc), row=reader.line_num, kind="file")
        )
    return table


def _rows(
    table: Table,
    columns: Sequence[str],
    kind: str,
    out: list[InputProblem],
    ragged: bool = False,
    id_column: str = "id",
) -> tuple[list[dict[str, str]], list[int]]:
    """Each row as column -> stripped cell, and its line; rows of the wrong width are reported.

    With *ragged* (a worksheet), a row may be shorter than the header (its last
    cells are empty), not longer.
    """
    id_col = columns.index(id_column) if id_column in columns else 0
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    n = len(columns)
    for line, cells in table.rows:
        width = table.width.get(line, len(cells))
        if width > n or (width < n and not ragged):
            # Name the row by its id cell only: another column may hold personal data.
            rid = cells[id_col].strip() if id_col < len(cells) else ""
            label = f"{kind} {rid!r}" if rid else f"{kind} (no id)"
            out.append(
                InputProblem(
                    label, "row", f"{n} cells like the header", f"{width}", row=line, kind=kind
                )
            )
            continue
        # a data frame's cells are taken as they are: a padded id is the model's to refuse
        rows.append(
            {c: x if table.typed else x.strip() for c, x in zip(columns, cells, strict=False)}
        )
        lines.append(line)
    return rows, lines


def _read_csv(
    source: PathLike | IO[str],
    kind: str,
    required: Sequence[str],
    known: Sequence[str],
    out: list[InputProblem],
    id_column: str = "id",
    text: str | None = None,
) -> tuple[list[dict[str, str]], list[int], list[str]]:
    """Rows of a comma-separated UTF-8 file (pairs) as dicts of stripped cells, their lines, the extra columns.

    *text* is the file's text when the caller has read it already.
    """
    name = _source_name(source)
    if text is None:
        try:
            text = _read_text(source)
        except (OSError, UnicodeDecodeError) as exc:
            out.append(_unreadable(name, exc))
            return [], [], []
    table = csv_table(text, name, out, sep=",")
    if table is None:
        return [], [], []
    header = [h.strip() for h in table.header]
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
    rows, lines = _rows(table, header, kind, out, id_column=id_column)
    return rows, lines, extra_cols


def _unreadable(name: str, exc: Exception) -> InputProblem:
    return InputProblem(name, "file", "a readable UTF-8 CSV file", type(exc).__name__, kind="file")


def _source_name(source: PathLike | IO[Any]) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", _NO_NAME)


def _read_text(source: PathLike | IO[str]) -> str:
    name = _source_name(source)
    if isinstance(source, (str, os.PathLike)):
        limits.check("size in bytes", os.stat(source).st_size, "MAX_FILE_BYTES", name)
        with open(source, encoding="utf-8-sig", newline="") as fh:
            return fh.read()
    text = source.read(limits.MAX_FILE_BYTES + 1)
    limits.check("size in characters", len(text), "MAX_FILE_BYTES", name)
    return text[1:] if text.startswith("\ufeff") else text


def text_table(
    source: PathLike | IO[Any], name: str, opts: FileOptions, out: list[InputProblem]
) -> Table | None:
    """The cells of a CSV file: read, decoded, split; None (and problems) if it cannot be."""
    data = read_input(source, name, out)
    if data is None:
        return None
    decoded = decode(data, name, opts.encoding, out)
    if decoded is None:
        return None
    text, encoding = decoded
    return csv_table(text, name, out, encoding="" if encoding == "text" else encoding)


def _records_table(
    table: Table,
    kind: str,
    required: Sequence[str],
    geometry: str,
    opts: FileOptions,
    name: str,
    out: list[InputProblem],
    ragged: bool,
) -> tuple[list[dict[str, str]], Origin, list[str]]:
    """The rows of a volunteers or needs table as column -> cell, where they came from, the extras."""
    origin = Origin(name)
    before = len(out)
    head: Header = resolve(table.header, kind, geometry, opts.keep_columns, name, out)
    if missing_required(head, required, name, table.how, out) or len(out) > before:
        return [], origin, []
    fields = VOLUNTEER_COLUMNS if kind == "volunteer" else NEED_COLUMNS
    known = {*fields, *_coord_columns(geometry)}
    extra_cols = [c for c in head.columns if c not in known]
    rows, lines = _rows(table, head.columns, kind, out, ragged=ragged)
    origin = Origin(name, lines, header_map(head))
    _refused_cells(table, head, rows, lines, kind, origin, out)
    if not table.rows and not opts.allow_empty:
        out.append(
            InputProblem(
                name,
                "rows",
                f"at least one {kind} under the header",
                "the header only",
                kind="file",
                hint="add the rows, or pass --allow-empty (allow_empty=True in Python) "
                "to accept an empty file",
            )
        )
    return rows, origin, extra_cols


def _refused_cells(
    table: Table,
    head: Header,
    rows: list[dict[str, str]],
    lines: list[int],
    kind: str,
    origin: Origin,
    out: list[InputProblem],
) -> None:
    """Report the cells that hold no text (a worksheet's dates), each with its row and column."""
    if not table.refused:
        return
    by_line = dict(zip(lines, rows, strict=True))
    for (line, j), what in sorted(table.refused.items()):
        if line not in by_line or j >= len(head.columns):
            continue
        out.append(
            InputProblem(
                _Row(kind, by_line[line], line, out).label,
                head.columns[j],
                "text or a number",
                what,
                row=line,
                kind=kind,
                file=origin.file,
                column=head.written[j],
                hint="format the column as Text in Excel (or save the sheet as 'CSV UTF-8')",
            )
        )


def _volunteers_from_table(
    table: Table,
    name: str,
    geometry: str,
    opts: FileOptions,
    out: list[InputProblem],
    ragged: bool = False,
) -> tuple[list[Volunteer], Origin]:
    a, b = _coord_columns(geometry)
    rows, origin, extra_cols = _records_table(
        table, "volunteer", ("id", "skills", a, b), geometry, opts, name, out, ragged
    )
    records, kept = [], []
    refused = _refused_lines(table)
    for cells, line in zip(rows, origin.lines or [], strict=True):
        r = _Row("volunteer", cells, line, out, origin)
        n_before = len(out)
        slots = r.names("slots")
        fields_ = {
            "id": r.ident(),
            "skills": r.levels("skills"),
            "location": (r.number(a, float, "a number"), r.number(b, float, "a number")),
            "slots": frozenset(slots) if slots is not None else None,
            "max_distance_km": r.number("max_distance_km", float, "a number of km"),
            "categories": frozenset(r.names("categories") or ()),
            "community": r.text("community"),
            "building": r.text("building"),
            "unit": r.text("unit"),
            "extra": {c: r.extra(c) for c in extra_cols},
        }
        capacity = r.number("capacity", _int, "an integer >= 0")
        if capacity is not None:
            fields_["capacity"] = capacity
        if len(out) == n_before and line not in refused:
            records.append(Volunteer(**fields_))
            kept.append(line)
    return records, Origin(origin.name, kept, origin.columns)


def _needs_from_table(
    table: Table,
    name: str,
    geometry: str,
    opts: FileOptions,
    out: list[InputProblem],
    ragged: bool = False,
) -> tuple[list[Need], Origin]:
    a, b = _coord_columns(geometry)
    rows, origin, extra_cols = _records_table(
        table, "need", ("id", "category", "skills", a, b), geometry, opts, name, out, ragged
    )
    records, kept = [], []
    refused = _refused_lines(table)
    for cells, line in zip(rows, origin.lines or [], strict=True):
        r = _Row("need", cells, line, out, origin)
        n_before = len(out)
        fields_: dict[str, Any] = {
            "id": r.ident(),
            "category": r.one_name("category") or "",
            "skills": r.levels("skills"),
            "location": (r.number(a, float, "a number"), r.number(b, float, "a number")),
            "slot": r.one_name("slot"),
            "community": r.text("community"),
            "building": r.text("building"),
            "household": r.text("household"),
            "group": r.text("group"),
            "extra": {c: r.extra(c) for c in extra_cols},
        }
        for col, expected in (("demand", "an integer >= 1"), ("priority", "an integer in 1..5")):
            value = r.number(col, _int, expected)
            if value is not None:
                fields_[col] = value
        if len(out) == n_before and line not in refused:
            records.append(Need(**fields_))
            kept.append(line)
    return records, Origin(origin.name, kept, origin.columns)


def _refused_lines(table: Table) -> set[int]:
    return {line for line, _ in table.refused}


def _is_json(source: PathLike | IO[str]) -> bool:
    return str(_source_name(source)).lower().endswith(".json")
