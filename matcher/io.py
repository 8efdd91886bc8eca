"""Reading and writing problems and results: CSV and JSON files.

CSV (UTF-8, a byte-order mark is accepted, one header row; cells are
stripped; an empty cell means the default; list fields are separated by
``;`` and a skill level follows a ``:``, so ``nursing:3;driving`` is nursing
level 3 and driving level 1):

- volunteers: ``id, skills, lat, lon`` (``x, y`` with plane geometry), then
  optional ``capacity, slots, max_distance_km, categories, community,
  building, unit``;
- needs: ``id, category, skills, lat, lon`` (or ``x, y``), then optional
  ``slot, demand, priority, community, building``.

Any other column goes to the record's ``extra`` and is carried through to the
plan CSV (:func:`write_plan_csv`), never printed in errors.

JSON: a problem file is an object with ``schema_version``, ``policy``,
``volunteers``, ``needs`` and optional ``pinned`` and ``forbidden`` (lists
of ``[need_id, volunteer_id]``); records use the field names of the model
(``location`` as ``[lat, lon]``; ``lat``/``lon`` or ``x``/``y`` keys are
accepted too). A policy file is an object with the fields of
:class:`~matcher.Policy`. Duplicate keys, ``NaN`` and ``Infinity`` are
refused.

Every reader collects all the problems of all its files and raises one
:class:`~matcher.InputError`, each problem naming the file row. A row whose
cells cannot be read (bad skill syntax, a word where a number goes) is
reported for that; the model's checks (ranges, duplicate ids, pinned pairs)
run on the rows that could be read. Writers are
atomic: they write a temporary file next to the target, then rename it, so a
failure never leaves a partial file.
"""

from __future__ import annotations

import csv
import io as _io
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path
from typing import IO, Any

from . import limits
from .errors import InputError, InputProblem, short_repr
from .model import Need, Policy, Problem, Volunteer, Weights
from .result import Result

__all__ = [
    "SCHEMA_VERSION",
    "policy_from_dict",
    "policy_to_dict",
    "problem_from_dict",
    "problem_to_dict",
    "read_needs",
    "read_pairs",
    "read_policy",
    "read_problem",
    "read_result",
    "read_volunteers",
    "write_json",
    "write_needs_csv",
    "write_plan_csv",
    "write_volunteers_csv",
]

SCHEMA_VERSION = 2
"""Version of the JSON layout of problems and policies (2: ``Weights.continuity``,
``Need.household`` and ``history``; version 1 files still read)."""

_READABLE = (1, 2)

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


# ---------------------------------------------------------------------------
# Cell parsers: each returns a value or records a problem
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


class _Refused:
    """Stands in for a ``NaN`` / ``Infinity`` literal until its place is known."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class _Object(dict[str, Any]):
    """A parsed JSON object that had repeated keys (listed in ``repeated``)."""

    repeated: list[str]


_RECORD_LISTS = {"volunteers": "volunteer", "needs": "need"}


def _strict_json(text: str, name: str) -> Any:
    """Parse JSON refusing duplicate keys and NaN / Infinity literals.

    Every refused key or literal is reported at once, each naming its place
    (``policy.load_penalty``, ``volunteer 'v1'`` and ``location[0]``).
    """

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        repeated: list[str] = []
        for k, v in items:
            if k in out:
                repeated.append(k)
            out[k] = v
        if repeated:
            out = _Object(out)
            out.repeated = repeated
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=_Refused)
    except (ValueError, RecursionError) as exc:
        raise InputError(
            [InputProblem(name, "file", "valid JSON", str(exc)[:120], kind="file")]
        ) from None
    problems = _refused_json(data, name)
    if problems:
        raise InputError(problems)
    return data


def _refused_json(data: Any, name: str) -> list[InputProblem]:
    """The repeated keys and NaN / Infinity literals in parsed *data*, in document order."""
    problems: list[InputProblem] = []
    # (node, record label, record kind, record index, path inside the record)
    stack: list[tuple[Any, str, str, int | None, str]] = [(data, name, "file", None, "")]
    while stack:
        node, record, kind, index, path = stack.pop()
        if isinstance(node, _Refused):
            problems.append(
                InputProblem(
                    record,
                    path or "value",
                    "a finite JSON number (NaN and Infinity are not JSON)",
                    node.token,
                    kind=kind,
                    index=index,
                )
            )
        elif isinstance(node, dict):
            for k in getattr(node, "repeated", ()):
                problems.append(
                    InputProblem(
                        record,
                        f"{path}.{k}" if path else k,
                        "each key once in an object",
                        f"duplicate key {k!r}",
                        kind=kind,
                        index=index,
                    )
                )
            children: list[tuple[Any, str, str, int | None, str]] = []
            for k, v in node.items():
                sub_kind = _RECORD_LISTS.get(k) if node is data else None
                if sub_kind is not None and isinstance(v, list):
                    for i, item in enumerate(v):
                        rid = item.get("id") if isinstance(item, dict) else None
                        label = (
                            f"{sub_kind} {rid!r}" if isinstance(rid, str) else f"{sub_kind} #{i}"
                        )
                        children.append((item, label, sub_kind, i, ""))
                else:
                    children.append((v, record, kind, index, f"{path}.{k}" if path else k))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                reversed([(v, record, kind, index, f"{path}[{i}]") for i, v in enumerate(node)])
            )
    return problems


def _load_json(source: PathLike | IO[str]) -> Any:
    name = _source_name(source)
    try:
        text = _read_text(source)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            [
                InputProblem(
                    name, "file", "a readable UTF-8 JSON file", type(exc).__name__, kind="file"
                )
            ]
        ) from None
    return _strict_json(text, name)


SCHEMAS = {"problem": "problem-v2", "policy": "policy-v2", "result": "result-v3"}
"""The JSON Schema shipped for each kind of file (``matcher/schema/<name>.schema.json``)."""


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a problem, policy or result file.

    The schemas ship with the package and are versioned with the files'
    ``schema_version``. They describe the layout and the per-field rules;
    :class:`~matcher.Problem` also checks what a schema cannot (unique ids,
    pinned pairs naming known ids and breaking no rule).

    Parameters
    ----------
    kind : {"problem", "policy", "result"}

    Examples
    --------
    >>> json_schema("result")["properties"]["schema_version"]
    {'enum': [1, 2, 3]}
    """
    if kind not in SCHEMAS:
        raise InputError(
            [
                InputProblem(
                    "json_schema", "kind", f"one of {', '.join(SCHEMAS)}", repr(kind), kind="option"
                )
            ]
        )
    text = (resources.files("matcher") / "schema" / f"{SCHEMAS[kind]}.schema.json").read_text(
        encoding="utf-8"
    )
    out: dict[str, Any] = json.loads(text)
    return out


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """A policy as a JSON-ready dict (every field, weights as a nested dict)."""
    out: dict[str, Any] = {f.name: getattr(policy, f.name) for f in fields(Policy)}
    out["weights"] = {f.name: getattr(policy.weights, f.name) for f in fields(Weights)}
    out["participation_floors"] = dict(policy.participation_floors)
    return out


def policy_from_dict(data: Any, source: str = "policy") -> Policy:
    """Make a :class:`~matcher.Policy` from a dict; unknown fields are errors.

    Examples
    --------
    >>> policy_from_dict({"max_distance_km": 5, "weights": {"distance": 2}}).weights.distance
    2.0
    >>> policy_from_dict({"max_distance": 5})
    Traceback (most recent call last):
      ...
    matcher.errors.InputError: 1 problem in the input:
      policy: `max_distance` must be one of the Policy fields (max_distance_km, same_community, one_need_per_slot, geometry, weights, load_penalty, unmatched_cost, resolution, participation, participation_floors).
    """
    if not isinstance(data, Mapping):
        raise InputError(
            [InputProblem(source, "policy", "a JSON object", type(data).__name__, kind="policy")]
        )
    names = [f.name for f in fields(Policy)]
    problems = [
        InputProblem(
            "policy", str(k), f"one of the Policy fields ({', '.join(names)})", kind="policy"
        )
        for k in data
        if k not in names and k != "schema_version"
    ]
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int or version not in _READABLE:  # not True, not 1.0, not "1"
        problems.append(
            InputProblem(
                "policy",
                "schema_version",
                " or ".join(map(str, _READABLE)),
                short_repr(version),
                kind="policy",
            )
        )
    weights = data.get("weights", {})
    if isinstance(weights, Mapping):
        wnames = [f.name for f in fields(Weights)]
        problems += [
            InputProblem(
                "policy", f"weights.{k}", f"one of the weights ({', '.join(wnames)})", kind="policy"
            )
            for k in weights
            if k not in wnames
        ]
    kwargs = {k: v for k, v in data.items() if k in names}
    if isinstance(weights, Mapping):
        wnames = [f.name for f in fields(Weights)]
        kwargs["weights"] = Weights(**{k: v for k, v in weights.items() if k in wnames})
    policy = Policy(**kwargs)
    if problems:
        # The values of the known fields are checked too, so that every problem is
        # reported at once (otherwise Problem checks them).
        try:
            Problem([], [], policy)
        except InputError as exc:
            problems += exc.problems
        raise InputError(problems)
    return policy


def _record_from_json(
    kind: str, cls: type, item: Any, i: int, geometry: str, out: list[InputProblem]
) -> Any:
    label = f"{kind} #{i}"
    if not isinstance(item, Mapping):
        out.append(
            InputProblem(label, kind, "a JSON object", type(item).__name__, kind=kind, index=i)
        )
        return None
    known = {f.name for f in fields(cls)}
    a, b = _coord_columns(geometry)
    data = dict(item)
    if isinstance(data.get("id"), str) and data["id"]:
        label = f"{kind} {data['id']!r}"
    if "location" not in data and (a in data or b in data):
        data["location"] = (data.pop(a, None), data.pop(b, None))
    extra_in = data.pop("extra", None)
    extra: dict[str, Any] = {}
    if isinstance(extra_in, Mapping):
        extra.update(extra_in)
    elif extra_in is not None:
        # Never show the value: extra fields hold personal data.
        out.append(
            InputProblem(
                label, "extra", "a JSON object of field name to string", kind=kind, index=i
            )
        )
    for k in [k for k in data if k not in known]:
        value = data.pop(k)
        extra[k] = value if isinstance(value, str) else json.dumps(value)
    # A need has a default location (NaN) only because of the field order of the
    # dataclass; in a file it is required like a volunteer's.
    required = (
        ("id", "skills", "location") if kind == "volunteer" else ("id", "category", "location")
    )
    missing = [k for k in required if k not in data]
    for k in missing:
        out.append(InputProblem(label, k, "present", "missing", kind=kind, index=i))
    if missing or (extra_in is not None and not isinstance(extra_in, Mapping)):
        return None
    return cls(**data, extra=extra)


def problem_from_dict(data: Any, source: str = "problem") -> Problem:
    """Make a :class:`~matcher.Problem` from a dict (see the module docs for the layout).

    Raises
    ------
    InputError
        With every problem found in the dict and in the records.
    """
    if not isinstance(data, Mapping):
        raise InputError(
            [InputProblem(source, "file", "a JSON object", type(data).__name__, kind="file")]
        )
    problems: list[InputProblem] = []
    version = data.get("schema_version", SCHEMA_VERSION)
    if type(version) is not int or version not in _READABLE:  # not True, not 1.0
        problems.append(
            InputProblem(
                source,
                "schema_version",
                " or ".join(map(str, _READABLE)),
                short_repr(version),
                kind="file",
            )
        )
    allowed = {"schema_version", "policy", "volunteers", "needs", "pinned", "forbidden", "history"}
    problems += [
        InputProblem(
            source, str(k), f"one of the problem fields ({', '.join(sorted(allowed))})", kind="file"
        )
        for k in data
        if k not in allowed
    ]
    policy = Policy()
    policy_ok = True
    try:
        policy = policy_from_dict(data.get("policy", {}), source)
    except InputError as exc:
        problems += exc.problems
        policy_ok = False
    geometry = _geometry_of(policy if policy_ok else data.get("policy"))
    records: dict[str, list[Any]] = {}
    positions: dict[str, list[int] | None] = {}
    for kind, cls in (("volunteer", Volunteer), ("need", Need)):
        items = data.get(kind + "s", [])
        if not isinstance(items, list):
            problems.append(
                InputProblem(source, kind + "s", "a JSON list", type(items).__name__, kind="file")
            )
            items = []
        recs = [
            _record_from_json(kind, cls, item, i, geometry, problems)
            for i, item in enumerate(items)
        ]
        records[kind] = [r for r in recs if r is not None]
        positions[kind] = [i for i, r in enumerate(recs) if r is not None]
    pairs: dict[str, list[Any]] = {}
    for k in ("pinned", "forbidden", "history"):
        value = data.get(k, [])
        if not isinstance(value, list):
            problems.append(
                InputProblem(
                    source,
                    k,
                    "a JSON list of [need_id, volunteer_id] pairs",
                    type(value).__name__,
                    kind=k,
                )
            )
            value = []
        pairs[k] = [tuple(p) if isinstance(p, list) else p for p in value]
    if problems:
        # Check the records that could be read too, so every problem is reported at
        # once (pinned pairs wait: they may name a record that could not be read).
        fallback = policy if policy_ok else Policy(geometry=geometry)  # type: ignore[arg-type]
        try:
            Problem(records["volunteer"], records["need"], fallback)
        except InputError as exc:
            problems += _at_positions(exc.problems, positions)
        raise InputError(problems)
    return Problem(
        records["volunteer"],
        records["need"],
        policy,
        pairs["pinned"],
        pairs["forbidden"],
        pairs["history"],
    )


def _geometry_of(policy: Any) -> str:
    """The geometry of a policy (a Policy or its raw dict), ``"geo"`` when not readable."""
    g = policy.geometry if isinstance(policy, Policy) else None
    if isinstance(policy, Mapping):
        g = policy.get("geometry", "geo")
    return g if isinstance(g, str) and g in ("geo", "plane") else "geo"


def _at_positions(
    problems: Iterable[InputProblem], positions: Mapping[str, list[int] | None]
) -> list[InputProblem]:
    """Problems about the records that were read, renumbered to their place in the file."""
    out = []
    for p in problems:
        where = positions.get(p.kind)
        if where is not None and p.index is not None:
            i = where[p.index]
            record = f"{p.kind} #{i}" if p.record == f"{p.kind} #{p.index}" else p.record
            p = replace(p, record=record, index=i)
        out.append(p)
    return out


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """A problem as a JSON-ready dict; :func:`problem_from_dict` inverts it."""

    def rec(r: Volunteer | Need) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(r):
            value = getattr(r, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    return {
        "schema_version": SCHEMA_VERSION,
        "policy": policy_to_dict(problem.policy),
        "volunteers": [rec(v) for v in problem.volunteers],
        "needs": [rec(n) for n in problem.needs],
        "pinned": [list(p) for p in problem.pinned],
        "forbidden": [list(p) for p in problem.forbidden],
        "history": [list(p) for p in problem.history],
    }


# ---------------------------------------------------------------------------
# Public readers
# ---------------------------------------------------------------------------


def _is_json(source: PathLike | IO[str]) -> bool:
    return str(_source_name(source)).lower().endswith(".json")


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


PAIR_KINDS = ("pinned", "forbidden", "history")


def read_pairs(source: PathLike | IO[str], kind: str = "pinned") -> tuple[tuple[str, str], ...]:
    r"""Read ``(need_id, volunteer_id)`` pairs: pinned, forbidden or history.

    A CSV file has the columns ``need_id`` and ``volunteer_id`` (their order
    and other columns do not matter, so the plan CSV that ``matcher solve
    --plan-csv`` writes reads as the pairs it matched: its rows whose
    ``status`` is not ``matched`` are not pairs). A history may name a
    household instead of a need: a ``household`` column, where filled, is
    used for the row instead of ``need_id`` (one of the two columns is
    enough). A JSON file is a list of ``[need_id, volunteer_id]`` pairs.

    Parameters
    ----------
    source : path or text file
        The CSV (or ``.json``) file.
    kind : {'pinned', 'forbidden', 'history'}
        What the pairs are, for the messages (and the ``household`` column).

    Returns
    -------
    tuple of (str, str)
        The pairs in file order; :class:`Problem` checks their ids.

    Raises
    ------
    InputError
        Every bad row at once (missing column, empty cell), naming the file row.

    Examples
    --------
    >>> import io
    >>> read_pairs(io.StringIO("need_id,volunteer_id\nn1,v1\nn2,v1\n"))
    (('n1', 'v1'), ('n2', 'v1'))
    >>> read_pairs(io.StringIO("household,volunteer_id\nb12-304,v7\n"), "history")
    (('b12-304', 'v7'),)
    """
    if kind not in PAIR_KINDS:
        raise ValueError(f"kind must be one of {PAIR_KINDS}, got {kind!r}")
    out: list[InputProblem] = []
    pairs = _pairs_from(source, kind, out)
    if out:
        raise InputError(out)
    return pairs


def _pairs_from(
    source: PathLike | IO[str], kind: str, out: list[InputProblem]
) -> tuple[tuple[str, str], ...]:
    name = _source_name(source)
    if _is_json(source):
        try:
            data = _load_json(source)
        except InputError as exc:
            out += exc.problems
            return ()
        if not isinstance(data, list):
            out.append(
                InputProblem(
                    name,
                    kind,
                    "a JSON list of [need_id, volunteer_id] pairs",
                    type(data).__name__,
                    kind="file",
                )
            )
            return ()
        good: list[tuple[str, str]] = []
        for i, item in enumerate(data):
            if isinstance(item, list) and len(item) == 2 and all(_is_text(x) for x in item):
                good.append((item[0].strip(), item[1].strip()))
            else:
                out.append(
                    InputProblem(
                        f"{kind} pair #{i}",
                        "pair",
                        "[need_id, volunteer_id] as two non-empty strings",
                        short_repr(item),
                        kind=kind,
                        index=i,
                    )
                )
        return tuple(good)
    try:
        text = _read_text(source)
    except (OSError, UnicodeDecodeError) as exc:
        out.append(_unreadable(name, exc))
        return ()
    first = "need_id"
    if kind == "history":
        # need_id or household: require whichever the header has (need_id if neither)
        header = next(csv.reader(_io.StringIO(text, newline="")), [])
        if "household" in {h.strip() for h in header}:
            first = "household"
    rows, lines, _ = _read_csv(
        source, kind, (first, "volunteer_id"), (), out, id_column=first, text=text
    )
    pairs: list[tuple[str, str]] = []
    for row, line in zip(rows, lines, strict=True):
        if "status" in row and row["status"] != "matched":
            continue  # a plan CSV's unmatched row
        need = row.get("household", "") or row.get("need_id", "")
        vol = row["volunteer_id"]
        label = f"{kind} pair"
        if not need:
            what = "need id or household" if kind == "history" else "need id"
            out.append(
                InputProblem(label, first, f"a {what}", "an empty cell", row=line, kind=kind)
            )
        if not vol:
            out.append(
                InputProblem(
                    label, "volunteer_id", "a volunteer id", "an empty cell", row=line, kind=kind
                )
            )
        if need and vol:
            pairs.append((need, vol))
    return tuple(pairs)


def _is_text(x: Any) -> bool:
    return isinstance(x, str) and x.strip() != ""


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


# ---------------------------------------------------------------------------
# Writers (atomic)
# ---------------------------------------------------------------------------


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
