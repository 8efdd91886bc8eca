"""Problems and policies as JSON: strict parsing, dicts, and the shipped JSON Schemas.

A problem file is an object with ``schema_version``, ``policy``,
``volunteers``, ``needs`` and optional ``pinned``, ``forbidden`` and
``history``; records use the field names of the model (``location`` as
``[lat, lon]``; ``lat``/``lon`` or ``x``/``y`` keys are accepted too). Duplicate
keys, ``NaN`` and ``Infinity`` are refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from importlib import resources
from typing import IO, Any

from ..errors import InputError, InputProblem, short_repr
from ..model import Need, Policy, Problem, Volunteer
from ..model.serial import POLICY_SCHEMA_VERSION, policy_from_dict, policy_to_dict
from .csvfiles import PathLike, _coord_columns, _read_text, _source_name

__all__ = [
    "SCHEMA_VERSION",
    "policy_from_dict",
    "policy_to_dict",
    "problem_from_dict",
    "problem_to_dict",
]


SCHEMA_VERSION = POLICY_SCHEMA_VERSION
"""Version of the JSON layout of problems and policies (2: ``Weights.continuity``,
``Need.household`` and ``history``; version 1 files still read)."""

_READABLE = (1, 2)


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


SCHEMAS = {"problem": "problem-v2", "policy": "policy-v2", "result": "result-v4"}
"""The JSON Schema shipped for each kind of file (``matcher/io/schema/<name>.schema.json``)."""


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
    {'enum': [1, 2, 3, 4]}
    """
    if kind not in SCHEMAS:
        raise InputError(
            [
                InputProblem(
                    "json_schema", "kind", f"one of {', '.join(SCHEMAS)}", repr(kind), kind="option"
                )
            ]
        )
    text = (resources.files("matcher.io") / "schema" / f"{SCHEMAS[kind]}.schema.json").read_text(
        encoding="utf-8"
    )
    out: dict[str, Any] = json.loads(text)
    return out


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
