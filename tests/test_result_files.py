"""Result files are input: read whole, refused with every problem at once, or safe to use
(hostile input, class 4; issue 15).

``Result.from_dict`` / ``Result.from_json`` / ``matcher.io.read_result`` check every
field against the shipped schema when the file is read (``matcher/result/_validate.py``).
The property: mutate one field of a valid result dict, by type, anywhere in it; reading
it either raises ``InputError`` or gives a ``Result`` that ``verify``, ``explain`` and
``solve(previous=)`` take without any other exception.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from functools import cache
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import budget

from matcher import InputError, Need, Policy, Problem, Result, Volunteer, solve, verify
from matcher import io as mio

# ------------------------------------------------------------------ valid results


def _town(policy: Policy) -> Problem:
    vols = [
        Volunteer("v1", {"driving": 2}, (31.230, 121.470), capacity=2, slots=["sat-am", "sun"]),
        Volunteer("v2", ["nursing"], (31.231, 121.471), slots=["sat-am"], unit="bank"),
        Volunteer("v3", ["legal"], (31.300, 121.900)),
    ]
    needs = [
        Need("n1", "medical", {"driving": 1}, (31.235, 121.472), priority=4, slot="sat-am"),
        Need("n2", "legal", {"legal": 2}, (31.231, 121.471)),
        Need("n3", "care", ["nursing"], (31.232, 121.470), slot="sat-am", demand=2),
        Need("n4", "medical", ["driving"], (31.232, 121.470), slot="sun"),
    ]
    return Problem(vols, needs, policy)


@cache
def bases() -> tuple[tuple[Problem, dict[str, Any]], ...]:
    """Valid results with every optional part: certificate with slots, churn, stability,
    engage (participation), no big_m (unmatched_cost), a gap (teams), provenance."""
    slots = _town(Policy(one_need_per_slot=True))
    first = solve(slots)
    teams = Problem(
        slots.volunteers,
        [Need("t1", "m", ["driving"], (31.23, 121.47), group="g"), *slots.needs[1:]],
    )
    out = [
        (slots, solve(slots, previous=first, churn_cost=1.0)),
        (slots, solve(slots, "stable")),
        (_town(Policy(participation=True)), None),
        (_town(Policy(unmatched_cost=0.5)), None),
        (teams, None),
    ]
    done = tuple((p, json.loads((r or solve(p)).to_json())) for p, r in out)
    assert all(verify(p, Result.from_dict(d)) == [] for p, d in done)
    return done


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at] if at else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


@cache
def all_paths() -> list[tuple[int, tuple[Any, ...]]]:
    return [(b, path) for b, (_, d) in enumerate(bases()) for path in _paths(d)]


def _negative(v: Any) -> Any:
    return -v if isinstance(v, (int, float)) and not isinstance(v, bool) and v else -1


MUTATIONS = {
    "text": lambda v: "abc",
    "number as text": lambda v: str(v),
    "list": lambda v: [v],
    "dict": lambda v: {"x": v},
    "none": lambda v: None,
    "true": lambda v: True,
    "half": lambda v: 0.5,
    "zero": lambda v: 0,
    "huge": lambda v: 10**30,
    "beyond a float": lambda v: 10**400,
    "potential range": lambda v: 2**62 + 1,
    "inf": lambda v: math.inf,
    "-inf": lambda v: -math.inf,
    "nan": lambda v: math.nan,
    "negative": _negative,
    "padded": lambda v: f" {v} " if isinstance(v, str) else " x",
    "empty": lambda v: "",
    "empty list": lambda v: [],
    "pair of one": lambda v: ["n1"],
}
NOT_JSON = ("inf", "-inf", "nan")


def mutated(base: dict[str, Any], path: tuple[Any, ...], how: str) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if how == "missing":
        del parent[path[-1]]
    elif how == "extra key":
        target = parent[path[-1]]
        (target if isinstance(target, dict) else doc)["zz_unknown"] = 1
    else:
        parent[path[-1]] = MUTATIONS[how](copy.deepcopy(parent[path[-1]]))
    return doc


def use(problem: Problem, result: Result) -> None:
    """What the command line and a re-plan do with a result: none may raise."""
    verify(problem, result)
    for nid in {m.need_id for m in result.matches} | {u.need_id for u in result.unmatched}:
        result.explain(nid)
    for churn in (None, 1.0):
        solve(problem, previous=result, churn_cost=churn)
    result.to_json()


# ------------------------------------------------------------------ the property

HOW = [*MUTATIONS, "missing", "extra key"]


@settings(max_examples=budget(0.3), deadline=None)
@given(where=st.deferred(lambda: st.sampled_from(all_paths())), how=st.sampled_from(HOW))
@example(where=(0, ("certificate", "big_m")), how="huge")
@example(where=(0, ("matches", 0, "cost")), how="text")
@example(where=(0, ("churn", "previous", 0)), how="pair of one")
def test_a_mutated_result_is_refused_or_safe_to_use(where, how):
    jsonschema = pytest.importorskip("jsonschema")
    b, path = where
    problem, base = bases()[b]
    doc = mutated(base, path, how)
    try:
        result = Result.from_dict(doc)
    except InputError as exc:
        assert exc.problems and all(p.kind == "file" for p in exc.problems)
        return
    # what the shipped schema refuses, the reader refuses too
    schema = jsonschema.Draft202012Validator(mio.json_schema("result"))
    assert how in NOT_JSON or schema.is_valid(doc), (path, how)
    use(problem, result)


@pytest.mark.parametrize(
    "path, how, field",
    [
        (("matches", 0, "cost"), "text", "matches[0].cost"),
        (("matches", 0, "distance_km"), "text", "matches[0].distance_km"),
        (("matches", 0, "need_id"), "list", "matches[0].need_id"),
        (("matches", 1, "volunteer_id"), "padded", "matches[1].volunteer_id"),
        (("matches", 0, "distance_km"), "inf", "matches[0].distance_km"),
        (("objective",), "dict", "objective.x"),
        (("churn", "previous", 0), "pair of one", "churn.previous[0]"),
        (("certificate", "big_m"), "number as text", "certificate.big_m"),
        (("certificate", "needs", "n1"), "beyond a float", "certificate.needs['n1']"),
        (("unmatched", 0, "candidates", 0), "beyond a float", "unmatched[0].candidates[0]"),
        (("unmatched", 0, "missing"), "zero", "unmatched[0].missing"),
        (("unmatched", 0, "reason"), "text", "unmatched[0].reason"),
        (("unmatched", 0, "candidates"), "empty list", "unmatched[0].candidates"),
        (("metrics", "coverage"), "huge", "metrics.coverage"),
        (("provenance", "parts_sha256"), "none", "provenance.parts_sha256"),
        (("timings",), "missing", "timings"),
    ],
)
def test_each_malformed_field_is_named_by_its_path(path, how, field):
    _, base = bases()[0]
    with pytest.raises(InputError) as info:
        Result.from_dict(mutated(base, path, how))
    assert field in [p.field for p in info.value.problems]
    assert all(p.record == "result" and p.kind == "file" for p in info.value.problems)


def test_every_problem_of_a_result_is_reported_at_once():
    _, base = bases()[0]
    doc = copy.deepcopy(base)
    doc["matches"][0]["cost"] = "1.0"
    doc["matches"][1]["need_id"] = " n3"
    doc["unmatched"][0]["reason"] = "lazy"
    doc["certificate"]["big_m"] = 0
    doc["churn"]["kept"] = -1
    doc["colour"] = "blue"
    with pytest.raises(InputError) as info:
        Result.from_dict(doc)
    assert sorted(p.field for p in info.value.problems) == [
        "certificate.big_m",
        "churn.kept",
        "colour",
        "matches[0].cost",
        "matches[1].need_id",
        "unmatched[0].reason",
    ]


def test_valid_results_of_every_schema_version_still_read():
    for problem, data in bases():
        for version, gone in ((4, ()), (3, ("provenance",)), (2, ("provenance", "churn")),
                              (1, ("provenance", "churn", "certificate"))):  # fmt: skip
            old = {k: v for k, v in data.items() if k not in gone} | {"schema_version": version}
            old = (
                {k: v for k, v in old.items() if k not in ("stability", "gap")}
                if version < 3
                else old
            )
            back = Result.from_dict(old)
            assert back.matches == Result.from_dict(data).matches
            use(problem, back)


def test_a_previous_weight_too_large_to_start_from_is_ignored_not_an_overflow():
    problem, data = bases()[0]
    for big_m in (2**58, 2**60, 2**62):
        doc = copy.deepcopy(data)
        doc["certificate"]["big_m"] = big_m
        r = solve(problem, previous=Result.from_dict(doc))
        assert verify(problem, r) == []


# ------------------------------------------------------------------ JSON text and files

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        DEEP,
        '{"schema_version": 4, "matches": ' + DEEP + "}",
        '{"a": ' * 50_000 + "1" + "}" * 50_000,
    ],
    ids=["list", "in a field", "objects"],
)
def test_deep_nesting_is_refused_by_from_json_as_by_read_result(text, tmp_path):
    with pytest.raises(InputError) as info:
        Result.from_json(text)
    assert [(p.record, p.field) for p in info.value.problems] == [("result", "json")]
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        mio.read_result(path)


def test_read_result_names_the_file(tmp_path):
    _, base = bases()[0]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(mutated(base, ("matches", 0, "cost"), "text")), encoding="utf-8")
    with pytest.raises(InputError) as info:
        mio.read_result(path)
    (p,) = info.value.problems
    assert (p.record, p.field, p.file) == ("result", "matches[0].cost", "r.json")
    assert "in r.json" in str(p)


def _cli(*args: str, cwd: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize(
    "path, how",
    [
        (("matches", 0, "cost"), "text"),
        (("matches", 0, "need_id"), "padded"),
        (("unmatched", 0, "candidates", 0), "huge"),
        (("churn", "previous", 0), "pair of one"),
    ],
)
def test_the_command_line_exits_2_on_a_malformed_result(tmp_path, path, how):
    problem, base = bases()[0]
    mio.write_json(problem, tmp_path / "p.json")
    (tmp_path / "r.json").write_text(json.dumps(mutated(base, path, how)), encoding="utf-8")
    field = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path).lstrip(".")
    for args in (("verify", "p.json", "r.json"), ("explain", "r.json", "n1")):
        run = _cli(*args, cwd=tmp_path)
        assert run.returncode == 2, (args, run.stderr)
        assert "Traceback" not in run.stderr and field in run.stderr, run.stderr
