"""A result carries its provenance: the policy it was solved under, the version, the fingerprint.

So a result file checked later is checked under its own policy (not the default),
and data that is not the data it solved is told apart from a wrong plan.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import matcher
from matcher import InputError, Planner, Policy, Problem, Result, solve
from matcher.model.fingerprint import fingerprint
from matcher.result import Provenance, other_data
from matcher.synthetic import generate

MATCHER = str(Path(sys.executable).parent / "matcher")


def town() -> Problem:
    com = generate(rng=3, n_communities=1, buildings_per_community=6)
    return Problem(com.volunteers, com.needs, Policy(max_distance_km=1.5, load_penalty=0.5))


def test_every_solved_result_records_version_policy_and_fingerprint():
    p = town()
    r = solve(p)
    assert r.provenance is not None
    assert r.provenance.matcher_version == matcher.__version__
    assert r.provenance.policy == p.policy
    assert r.provenance.problem_sha256 == fingerprint(p).problem
    assert other_data(r, p) is None


def test_the_fingerprint_ignores_order_and_sees_every_field():
    p = town()
    vols, needs = list(p.volunteers), list(p.needs)
    random.Random(1).shuffle(vols)
    random.Random(2).shuffle(needs)
    same = Problem(vols, needs, p.policy)
    assert fingerprint(same) == fingerprint(p)
    n0 = p.needs[0]
    for change in (
        {"priority": n0.priority % 5 + 1},
        {"location": (n0.location[0] + 1e-9, n0.location[1])},
        {"extra": {**n0.extra, "phone": "555"}},
        {"slot": "mon-am" if n0.slot != "mon-am" else "tue-am"},
    ):
        other = Problem(p.volunteers, [replace(n0, **change), *p.needs[1:]], p.policy)
        assert fingerprint(other).differs(fingerprint(p)) == ["needs"], change
    assert fingerprint(replace(p, policy=replace(p.policy, load_penalty=0.6))).differs(
        fingerprint(p)
    ) == ["policy"]


def test_the_fingerprint_is_the_same_in_another_process():
    p = town()
    code = (
        "from matcher import Policy, Problem; from matcher.synthetic import generate;"
        "from matcher.model.fingerprint import fingerprint;"
        "c = generate(rng=3, n_communities=1, buildings_per_community=6);"
        "print(fingerprint(Problem(c.volunteers, c.needs,"
        " Policy(max_distance_km=1.5, load_penalty=0.5))).problem)"
    )
    for seed in ("0", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert out.stdout.strip() == fingerprint(p).problem


def test_a_cached_fingerprint_equals_a_fresh_one_through_changes():
    p = town()
    cache: dict = {}
    assert fingerprint(p, cache=cache) == fingerprint(p)
    q = Problem(p.volunteers[1:], [replace(p.needs[0], priority=5), *p.needs[2:]], p.policy)
    assert fingerprint(q, cache=cache) == fingerprint(q)
    assert len(cache) == len(q.volunteers) + len(q.needs)  # entries of gone records dropped


def test_planner_results_carry_the_provenance_of_solve():
    p = town()
    planner = Planner(p, churn_cost=1.0)
    assert planner.result.provenance == solve(p).provenance
    r = planner.update(needs=[replace(p.needs[0], id="new", priority=5)])
    assert r.provenance == Provenance.of(planner.problem)


def test_provenance_round_trips_and_old_results_still_read():
    p = town()
    r = solve(p)
    back = Result.from_json(r.to_json())
    assert back == r and back.provenance == r.provenance
    old = json.loads(r.to_json())
    old["schema_version"] = 3
    del old["provenance"]
    assert Result.from_dict(old).provenance is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["provenance"].__setitem__("problem_sha256", "0" * 64),
        lambda d: d["provenance"]["parts_sha256"].__setitem__("needs", "xyz"),
        lambda d: d["provenance"]["policy"].__setitem__("max_distance", 3),
    ],
)
def test_a_tampered_provenance_is_refused(tamper):
    data = json.loads(solve(town()).to_json())
    tamper(data)
    with pytest.raises(InputError):
        Result.from_dict(data)


def test_other_data_names_the_parts_and_counts_ids():
    p = town()
    r = solve(p)
    fewer = Problem(p.volunteers, p.needs[3:], p.policy)
    assert other_data(r, fewer) == (
        "this result was solved for other data: the needs differ "
        "(3 needs of the result are not in the data)."
    )
    changed = Problem(p.volunteers, [replace(p.needs[0], priority=5), *p.needs[1:]], p.policy)
    if changed.needs[0] != p.needs[0]:
        assert "the same ids, other values" in (other_data(r, changed) or "")
    assert other_data(replace(r, provenance=None), fewer) is None


def _files(tmp_path: Path) -> tuple[str, str, str]:
    p = town()
    matcher.io.write_volunteers_csv(p.volunteers, tmp_path / "v.csv")
    matcher.io.write_needs_csv(p.needs, tmp_path / "n.csv")
    matcher.io.write_json(p.policy, tmp_path / "policy.json")
    return str(tmp_path / "v.csv"), str(tmp_path / "n.csv"), str(tmp_path / "policy.json")


def test_cli_verify_uses_the_recorded_policy_and_says_when_the_data_differ(tmp_path):
    v, n, pol = _files(tmp_path)
    out = str(tmp_path / "r.json")
    run = subprocess.run
    solved = run(
        [
            MATCHER,
            "solve",
            "--volunteers",
            v,
            "--needs",
            n,
            "--policy",
            pol,
            "--out",
            out,
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert solved.returncode == 0, solved.stderr
    # no --policy: the policy the result records (1.5 km, load 0.5), not the default
    ok = run(
        [MATCHER, "verify", "--volunteers", v, "--needs", n, out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK:"), ok.stdout + ok.stderr
    lines = Path(n).read_text(encoding="utf-8").splitlines()
    Path(n).write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    other = run(
        [MATCHER, "verify", "--volunteers", v, "--needs", n, out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert other.returncode == 3
    assert other.stderr.strip() == (
        "Not verified: this result was solved for other data: the needs differ "
        "(2 needs of the result are not in the data)."
    )
    assert "violation" not in other.stdout
