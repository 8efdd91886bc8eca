"""The shipped JSON Schemas describe every file matcher writes, and refuse broken ones."""

from __future__ import annotations

import copy
import json

import pytest

from matcher import Policy, solve
from matcher import io as mio
from matcher.synthetic import demo

jsonschema = pytest.importorskip("jsonschema")


def validator(kind: str):
    schema = mio.json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    d = tmp_path_factory.mktemp("schema")
    p = demo().problem()
    mio.write_json(p, d / "problem.json")
    mio.write_json(p.policy, d / "policy.json")
    for method in ("flow", "greedy"):
        mio.write_json(solve(p, method), d / f"result-{method}.json")
    finite = Policy(unmatched_cost=0.5, geometry=p.policy.geometry)
    mio.write_json(solve(type(p)(p.volunteers, p.needs, finite)), d / "result-finite.json")
    return {f.name: json.loads(f.read_text(encoding="utf-8")) for f in d.iterdir()}


def test_every_file_matcher_writes_is_valid(written):
    validator("problem").validate(written["problem.json"])
    validator("policy").validate(written["policy.json"])
    for name in ("result-flow.json", "result-greedy.json", "result-finite.json"):
        validator("result").validate(written[name])
    assert written["result-flow.json"]["schema_version"] == 4
    assert written["problem.json"]["schema_version"] == 2


@pytest.mark.parametrize(
    "kind, path, value",
    [
        ("problem", ("schema_version",), 7),
        ("problem", ("volunteers", 0, "capacity"), -1),
        ("problem", ("volunteers", 0, "skills"), {"nursing": 9}),
        ("problem", ("needs", 0, "priority"), 0),
        ("problem", ("needs", 0, "id"), " padded "),
        ("problem", ("needs", 0, "extra"), {"room": 12}),
        ("problem", ("policy", "geometry"), "mars"),
        ("problem", ("policy", "color"), "blue"),
        ("result", ("status",), "maybe"),
        ("result", ("unmatched", 0, "reason"), "lazy"),
        ("result", ("metrics", "coverage"), 1.5),
        ("result", ("certificate", "needs", "n0001"), 0.5),
    ],
)
def test_broken_files_are_refused(written, kind, path, value):
    doc = copy.deepcopy(written["problem.json" if kind == "problem" else "result-flow.json"])
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not validator(kind).is_valid(doc)


def test_unknown_kind_is_an_input_error():
    from matcher import InputError

    with pytest.raises(InputError):
        mio.json_schema("graph")
