"""The header row of a volunteers or needs file: names, aliases and near misses.

A header cell is compared without case and surrounding spaces (and in Unicode
NFKC form, so full-width ``ＩＤ`` is ``id``). It is one of:

- a field of the file (``skills``) or an alias of one (``技能``, ``latitude``):
  read into that field;
- ``name`` or ``姓名``: the person's name, carried as the user's own column
  ``name`` (matcher never uses it);
- a *near miss* of a field, of this file or of the other one (``slot`` in the
  volunteers file, ``priorty``, ``max-distance-km``): refused, because read as
  a personal column it would silently lose the field; ``keep_columns`` (the
  command line's ``--keep-column``) keeps it as the user's own column instead;
- anything else (``phone``, ``电话``, ``room``): the user's own column, carried
  through untouched.

A near miss is an ASCII header whose form without case, ``_``, ``-`` and
spaces equals a field's, or its singular or plural, or is at most 2 edits from
it (Damerau-Levenshtein; 1 edit when either name is shorter than 5 characters),
or a header that is exactly a column of the other file. Headers with Chinese
(non-ASCII) characters are compared exactly: one character changes the meaning
of a two-character word (``房号``, room number, is not ``编号``, id).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from ..errors import InputProblem
from ..model.names import damerau_levenshtein

__all__ = ["ALIASES", "NEED_COLUMNS", "VOLUNTEER_COLUMNS", "normalise"]

VOLUNTEER_COLUMNS = (
    "id", "skills", "capacity", "slots", "max_distance_km", "categories", "community", "building", "unit",
)  # fmt: skip

NEED_COLUMNS = (
    "id", "category", "skills", "slot", "demand", "priority", "community", "building", "household",
    "group",
)  # fmt: skip

NAME_COLUMN = "name"
"""The person's name: not a field, carried as the user's own column under this name."""

_COMMON = {
    "编号": "id", "姓名": NAME_COLUMN, "技能": "skills", "纬度": "lat", "经度": "lon",
    "latitude": "lat", "longitude": "lon", "lng": "lon", "社区": "community", "楼栋": "building",
}  # fmt: skip

ALIASES: dict[str, dict[str, str]] = {
    "volunteers": {
        **_COMMON,
        "容量": "capacity", "时段": "slots", "类别": "categories", "单位": "unit",
    },
    "needs": {
        **_COMMON,
        "类别": "category", "时段": "slot", "人数": "demand", "优先级": "priority", "住户": "household",
    },
}  # fmt: skip
"""Other names accepted for a column, per file (``"volunteers"``, ``"needs"``): alias -> column.

The table in docs/user-guide/files.md is this mapping (a test checks it)."""

_FILES = {"volunteer": "volunteers", "need": "needs"}
_OTHER = {"volunteer": "need", "need": "volunteer"}


def coord_columns(geometry: str) -> tuple[str, str]:
    """The coordinate columns: ``("lat", "lon")``, or ``("x", "y")`` with plane geometry."""
    return ("x", "y") if geometry == "plane" else ("lat", "lon")


def normalise(header: str) -> str:
    """A header cell as compared: NFKC, without surrounding spaces (or a BOM), case-folded."""
    return unicodedata.normalize("NFKC", header).strip().lstrip("\ufeff").strip().casefold()


@cache
def _columns(kind: str, geometry: str) -> Mapping[str, str]:
    """Normalised header -> column for one file: its fields, their aliases and ``name``."""
    fields = VOLUNTEER_COLUMNS if kind == "volunteer" else NEED_COLUMNS
    known = {f: f for f in (*fields, *coord_columns(geometry), NAME_COLUMN)}
    coords = set(coord_columns(geometry))
    for alias, col in ALIASES[_FILES[kind]].items():
        if col in known or col in coords:
            known[normalise(alias)] = col
    return MappingProxyType(known)


@cache
def _spellings(kind: str, geometry: str) -> tuple[tuple[str, str, str], ...]:
    """(name, squashed, singular of squashed) of a file's ASCII column names and aliases."""
    names = [n for n, col in _columns(kind, geometry).items() if col != NAME_COLUMN]
    return tuple((n, _squash(n), _singular(_squash(n))) for n in names if n.isascii())


def _squash(name: str) -> str:
    return "".join(ch for ch in name if ch not in " _-")


def _singular(name: str) -> str:
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and len(name) > 2 else name


def _near_squashed(a: str, a1: str, b: str, b1: str) -> int | None:
    """How far squashed *a* (singular *a1*) is from *b* (*b1*), if a near miss (else None)."""
    if a == b or a1 == b1:
        return 0
    most = 2 if min(len(a), len(b)) >= 5 else 1
    if abs(len(a) - len(b)) > most:  # no fewer edits than the difference in length
        return None
    d = damerau_levenshtein(a, b)
    return d if d <= most else None


def near_miss(header: str, kind: str, geometry: str) -> tuple[str, str] | None:
    """The column *header* looks like, and whose file (``kind`` or the other), if any.

    *header* is normalised and is not a column of this file.
    """
    other = _OTHER[kind]
    theirs = _columns(other, geometry)
    if not header.isascii():
        col = theirs.get(header)
        return (col, other) if col not in (None, NAME_COLUMN) else None
    best: tuple[int, int, str, str] | None = None
    a = _squash(header)
    a1 = _singular(a)
    for rank, who in enumerate((kind, other)):
        for name, b, b1 in _spellings(who, geometry):
            d = _near_squashed(a, a1, b, b1)
            if d is not None and (best is None or (rank, d, name) < best[:3]):
                best = (rank, d, name, who)
    return None if best is None else (best[2], best[3])


@dataclass(frozen=True)
class Header:
    """A file's header, resolved: the column of each cell, as written and as read."""

    written: tuple[str, ...]  # the cells, stripped
    columns: tuple[str, ...]  # the field (or own column) each cell is read as
    near: frozenset[str] = frozenset()  # the fields that near misses look like

    def original(self, column: str) -> str:
        """The header cell that holds *column*, as written (the column itself if absent)."""
        for w, c in zip(self.written, self.columns, strict=True):
            if c == column:
                return w
        return column


def resolve(
    header: Sequence[str],
    kind: str,
    geometry: str,
    keep: Collection[str],
    name: str,
    out: list[InputProblem],
) -> Header:
    """The columns of a volunteers or needs *header*, reporting its problems to *out*.

    *keep* are the headers to carry as the user's own columns even though they
    look like a field. *name* is the file's name, for the messages.
    """
    written = tuple(h.strip().lstrip("\ufeff").strip() for h in header)
    known = _columns(kind, geometry)
    kept = {normalise(k) for k in keep}
    columns: list[str] = []
    near: set[str] = set()
    for cell in written:
        norm = normalise(cell)
        col = known.get(norm)
        if col is None and norm and norm not in kept:
            like = _near_miss_problem(cell, norm, kind, geometry, name, out)
            if like is not None:
                near.add(known.get(like, like))
        columns.append(col if col is not None else cell)
    _check_names(written, columns, name, out)
    return Header(written, tuple(columns), frozenset(near))


def _near_miss_problem(
    cell: str, norm: str, kind: str, geometry: str, name: str, out: list[InputProblem]
) -> str | None:
    """Report *cell* if it is a near miss; the name it looks like."""
    found = near_miss(norm, kind, geometry)
    if found is None:
        return None
    like, whose = found
    got = f"column `{cell}` looks like `{like}`"
    if whose != kind:
        got += f", a column of the {_FILES[whose]} file"
    out.append(
        InputProblem(
            name,
            cell,
            f"a column of the {_FILES[kind]} file, or one you keep as your own",
            got,
            kind="file",
            file=name,
            hint=f"rename it, or keep it as your own column with --keep-column {_quoted(cell)} "
            f"(keep_columns=[{cell!r}] in Python)",
        )
    )
    return like


def _quoted(cell: str) -> str:
    return cell if cell.replace("_", "").replace("-", "").isalnum() else f'"{cell}"'


def _check_names(
    written: Sequence[str], columns: Sequence[str], name: str, out: list[InputProblem]
) -> None:
    """Every column named, and each column once (``lat`` and ``纬度`` are the same column)."""
    first: dict[str, str] = {}
    for cell, col in zip(written, columns, strict=True):
        if cell == "":
            out.append(
                InputProblem(
                    name, "header", "a name for every column", "an empty column name", kind="file"
                )
            )
            continue
        if col in first:
            got = "a repeated column"
            if first[col] != cell:
                got = f"columns `{first[col]}` and `{cell}` both mean `{col}`"
            out.append(InputProblem(name, col, "one column of this name", got, kind="file"))
            continue
        first[col] = cell


def missing_required(
    head: Header, required: Sequence[str], name: str, how: str, out: list[InputProblem]
) -> bool:
    """Report each *required* column absent from *head*; True if any is. *how*: how it was read.

    A column that a near miss looks like is not reported again.
    """
    absent = [c for c in required if c not in head.columns]
    if not absent:
        return False
    absent = [c for c in absent if c not in head.near]
    shown = " | ".join(head.written)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    hint = ""
    if len(head.written) == 1:
        hint = "the header has one column only: separate the columns with , ; or a tab"
    for i, col in enumerate(absent):
        # the header read, once per file: the first missing column shows it
        got = f"missing; the header read: {shown} ({how})" if i == 0 else "missing"
        out.append(
            InputProblem(
                name, col, "a column (required)", got, kind="file", hint=hint if i == 0 else ""
            )
        )
    return True


def header_map(head: Header) -> Mapping[str, str]:
    """Column -> the header cell it was read from, for the columns whose header differs."""
    return {c: w for w, c in zip(head.written, head.columns, strict=True) if w != c}
