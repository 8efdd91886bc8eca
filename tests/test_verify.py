"""The optimality certificate and the independent verifier.

Every exact method's result carries node potentials that prove it optimal;
``Result.verify`` re-checks the plan and the proof from the records alone.
These tests show it passes what is right and names what is wrong: a swapped
pair, a dropped match, an extra match, a changed cost, a changed objective, a
forged potential, a forged ``big_m``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

import matcher
from matcher import (
    Certificate,
    Match,
    Need,
    Policy,
    Problem,
    Result,
    Status,
    Unmatched,
    Volunteer,
    solve,
    verify,
)
from matcher import io as mio
from matcher.verify import VIOLATIONS

PLANE = Policy(geometry="plane", max_distance_km=5.0, load_penalty=0.3)


def town() -> Problem:
    """Six volunteers, eight needs, competition, slots, a demand of 2, a pinned pair."""
    vs = [
        Volunteer("ana", {"nursing": 3}, (0.0, 0.0), capacity=2, slots=["sat-am", "sun-am"]),
        Volunteer("bo", {"driving": 1}, (1.0, 0.0), capacity=2),
        Volunteer("cy", {"nursing": 1, "driving": 2}, (2.0, 1.0), slots=["sat-am"]),
        Volunteer("di", {"tutoring": 2}, (0.5, 0.5), capacity=3, categories=["tutoring"]),
        Volunteer("ed", {"nursing": 2}, (3.0, 0.0), capacity=1),
        Volunteer("fu", ["driving"], (4.0, 1.0), capacity=0),
    ]
    ns = [
        Need("care1", "elderly_care", {"nursing": 2}, (0.2, 0.1), slot="sat-am", priority=5),
        Need("care2", "elderly_care", {"nursing": 1}, (2.5, 0.2), slot="sat-am", priority=4),
        Need("care3", "elderly_care", {"nursing": 1}, (0.1, 0.3), slot="sun-am", demand=2),
        Need("ride1", "medical", ["driving"], (1.2, 0.4), priority=3),
        Need("ride2", "medical", ["driving"], (3.9, 0.9), slot="sat-am", priority=2),
        Need("kid1", "tutoring", {"tutoring": 1}, (0.4, 0.6), priority=2, demand=2),
        Need("kid2", "paperwork", {"tutoring": 1}, (0.9, 0.1)),
        Need("law", "legal", {"legal": 1}, (0.0, 0.0), priority=5),
    ]
    return Problem(vs, ns, PLANE, pinned=[("ride1", "bo")], forbidden=[("care2", "ed")])


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Result]:
    p = town()
    return p, solve(p)


def codes(found: list[matcher.Violation]) -> set[str]:
    return {v.code for v in found}


@pytest.mark.parametrize("method", ["auto", "flow", "network_simplex"])
@pytest.mark.parametrize("unmatched_cost", [None, 1.5])
def test_exact_results_carry_a_certificate_that_verifies(method, unmatched_cost):
    p = town()
    p = replace(p, policy=replace(p.policy, unmatched_cost=unmatched_cost))
    r = solve(p, method)
    assert r.status is Status.OPTIMAL
    assert r.certificate is not None
    assert (r.certificate.big_m is None) == (unmatched_cost is not None)
    assert set(r.certificate.volunteers) == {v.id for v in p.volunteers}
    assert set(r.certificate.needs) == {n.id for n in p.needs}
    assert r.certificate.slots  # the one-need-per-slot nodes are part of the proof
    assert verify(p, r) == []
    assert verify(p, r) == []


def test_hungarian_results_verify_too():
    vs = [Volunteer(f"v{i}", ["driving"], (float(i), 0.0)) for i in range(4)]
    ns = [Need(f"n{i}", "medical", ["driving"], (float(i) + 0.4, 0.0)) for i in range(5)]
    p = Problem(vs, ns, Policy(geometry="plane"))
    r = solve(p, "hungarian")
    assert r.method == "hungarian" and r.certificate is not None
    assert verify(p, r) == []


def test_greedy_is_checked_but_not_claimed_optimal(solved):
    p, _ = solved
    r = solve(p, "greedy")
    assert r.status is Status.FEASIBLE and r.certificate is None
    assert verify(p, r) == []


def test_certify_false_leaves_no_certificate_and_verify_says_so(solved):
    p, _ = solved
    r = solve(p, certify=False)
    assert r.certificate is None and "certify" in r.timings and r.timings["certify"] == 0.0
    assert codes(verify(p, r)) == {"certificate"}


def test_a_swapped_pair_is_named(solved):
    p, r = solved
    # give care1 (nursing 2 required) to bo, who only drives
    ms = [replace(m, volunteer_id="bo") if m.need_id == "care1" else m for m in r.matches]
    found = verify(p, replace(r, matches=tuple(ms)))
    infeasible = [v for v in found if v.code == "infeasible"]
    assert infeasible and infeasible[0].need_id == "care1" and infeasible[0].volunteer_id == "bo"
    assert "skills" in infeasible[0].message


def test_a_dropped_match_is_named(solved):
    p, r = solved
    dropped = r.matches[0]
    found = verify(p, replace(r, matches=r.matches[1:]))
    assert "unaccounted" in codes(found) and "objective" in codes(found)
    assert any(v.need_id == dropped.need_id for v in found if v.code == "unaccounted")


def test_an_extra_match_is_named(solved):
    p, r = solved
    # kid2 is served by di; add cy, who lacks tutoring, and bo twice on ride1
    extra = Match("kid2", "cy", 0.0, 0.0, {})
    found = verify(p, replace(r, matches=(*r.matches, extra)))
    assert "infeasible" in codes(found)
    twice = next(m for m in r.matches if m.need_id == "ride1")
    found = verify(p, replace(r, matches=(*r.matches, twice)))
    assert "duplicate" in codes(found)


def test_a_changed_cost_is_named(solved):
    p, r = solved
    ms = list(r.matches)
    ms[1] = replace(ms[1], cost=ms[1].cost + 0.25)
    found = verify(p, replace(r, matches=tuple(ms)))
    assert codes(found) == {"cost"}
    assert found[0].need_id == ms[1].need_id


def test_a_changed_objective_is_named(solved):
    p, r = solved
    o = r.objective
    for forged in (
        replace(o, served_priority=o.served_priority + 1),
        replace(o, int_cost=o.int_cost - 1, cost=(o.int_cost - 1) * p.policy.resolution),
    ):
        assert codes(verify(p, replace(r, objective=forged))) == {"objective"}


def test_a_forged_potential_is_named(solved):
    p, r = solved
    cert = r.certificate
    assert cert is not None
    # Pull the potential of a served need far down: its used pair arcs (need -> volunteer,
    # cost -c) then get a negative reduced cost.
    served = r.matches[0].need_id
    needs = dict(cert.needs)
    needs[served] -= 10**9
    found = verify(p, replace(r, certificate=replace(cert, needs=needs)))
    assert codes(found) == {"reduced_cost"}
    assert any(v.need_id == served for v in found)
    # A missing or non-integer potential is named too.
    for bad in ({}, {**cert.volunteers, "ana": 0.5}):
        found = verify(p, replace(r, certificate=replace(cert, volunteers=bad)))
        assert codes(found) == {"potential"}


def test_a_forged_big_m_is_refused(solved):
    p, r = solved
    cert = r.certificate
    assert cert is not None and cert.big_m is not None
    found = verify(p, replace(r, certificate=replace(cert, big_m=1)))
    assert codes(found) == {"big_m"}


def test_a_suboptimal_plan_cannot_be_proven(solved):
    """Greedy's plan with exact-looking status and the optimal plan's certificate fails."""
    vs = [
        Volunteer("near", ["driving"], (0.0, 0.0)),
        Volunteer("far", ["driving"], (3.0, 0.0)),
    ]
    ns = [
        Need("a", "medical", ["driving"], (1.0, 0.0)),
        Need("b", "medical", ["driving"], (-1.0, 0.0)),
    ]
    p = Problem(vs, ns, Policy(geometry="plane", max_distance_km=4.5))
    best = solve(p)
    assert verify(p, best) == []
    # The other perfect matching costs more: near->a (1) + far->b (4) = 5 vs far->a (2) + near->b (1) = 3.
    worse = replace(
        best,
        matches=(Match("a", "near", 1.0, 1.0, {}), Match("b", "far", 4.0, 4.0, {})),
    )
    worse = replace(
        worse,
        matches=tuple(
            replace(
                m,
                parts={
                    "distance": m.distance_km,
                    "overskill": 0.0,
                    "preference": 0.0,
                    "outside": 0.0,
                },
            )
            for m in worse.matches
        ),
        objective=replace(best.objective, int_cost=5000, cost=5.0),
    )
    found = verify(p, worse)
    assert codes(found) == {"reduced_cost"}


def test_unknown_ids_and_missing_needs_are_named(solved):
    p, r = solved
    ghost = Match("ghost", "ana", 0.0, 0.0, {})
    assert "unknown_id" in codes(verify(p, replace(r, matches=(*r.matches, ghost))))
    found = verify(p, replace(r, unmatched=r.unmatched[1:]))
    assert codes(found) == {"unaccounted"}
    lost = Unmatched("nobody", 1, "taken", ())
    assert "unknown_id" in codes(verify(p, replace(r, unmatched=(*r.unmatched, lost))))


def test_capacity_demand_slot_and_pinned_are_named():
    vs = [Volunteer("v", ["driving"], (0.0, 0.0), capacity=1, slots=["sat-am"])]
    ns = [
        Need("a", "medical", ["driving"], (0.5, 0.0), slot="sat-am"),
        Need("b", "medical", ["driving"], (0.6, 0.0), slot="sat-am"),
    ]
    p = Problem(vs, ns, Policy(geometry="plane"), pinned=[("b", "v")])
    r = solve(p)
    assert [(m.need_id, m.volunteer_id) for m in r.matches] == [("b", "v")]
    both = (Match("a", "v", 0.5, 0.5, {}), *r.matches)
    found = verify(p, replace(r, matches=both))
    assert {"capacity", "slot"} <= codes(found)
    only_a = (Match("a", "v", 0.5, 0.5, {}),)
    assert "pinned" in codes(verify(p, replace(r, matches=only_a)))


def test_every_violation_code_is_documented_and_messages_hold_no_extra_fields():
    secret = "SENTINEL-phone-555"
    vs = [Volunteer("v", ["driving"], (0.0, 0.0), extra={"phone": secret})]
    ns = [Need("n", "medical", ["driving"], (0.5, 0.0), extra={"name": secret})]
    p = Problem(vs, ns, Policy(geometry="plane"))
    r = solve(p)
    forged = replace(
        r,
        matches=(replace(r.matches[0], cost=9.0),),
        objective=replace(r.objective, served_priority=7),
    )
    found = verify(p, forged)
    assert found and all(v.code in VIOLATIONS for v in found)
    assert all(secret not in str(v) for v in found)


def test_certificate_survives_json_and_verifies_after_the_round_trip(solved):
    p, r = solved
    back = Result.from_json(r.to_json())
    assert back == r and back.certificate == r.certificate
    assert verify(p, back) == []
    assert isinstance(back.certificate, Certificate)


def test_version_1_results_still_read(solved):
    _, r = solved
    data = r.to_dict()
    data["schema_version"] = 1
    del data["certificate"]
    old = Result.from_dict(data)
    assert old.certificate is None and old.matches == r.matches


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args], capture_output=True, text=True, cwd=cwd
    )


def test_cli_verify_passes_a_solved_result_and_names_a_forged_one(tmp_path, solved):
    p, r = solved
    mio.write_json(p, tmp_path / "p.json")
    mio.write_json(r, tmp_path / "r.json")
    ok = run_cli("verify", str(tmp_path / "p.json"), str(tmp_path / "r.json"))
    assert ok.returncode == 0, ok.stderr
    assert "optimality proven by the certificate" in ok.stdout
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    data["objective"]["served_priority"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    bad = run_cli("verify", "--json", str(tmp_path / "p.json"), str(tmp_path / "bad.json"))
    assert bad.returncode == 3
    assert [v["code"] for v in json.loads(bad.stdout)] == ["objective"]
    usage = run_cli("verify", str(tmp_path / "r.json"))
    assert usage.returncode == 2 and "PROBLEM.json RESULT.json" in usage.stderr


def test_result_json_is_byte_identical_across_processes_and_hash_seeds(tmp_path):
    """``--no-timings``: the same input gives the same bytes, whatever PYTHONHASHSEED."""
    import os

    from matcher.cli import demo_paths

    paths = demo_paths()
    outs = []
    for seed in ("0", "1", "12345"):
        out = tmp_path / f"r{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "matcher",
                "solve",
                "--volunteers",
                str(paths["volunteers"]),
                "--needs",
                str(paths["needs"]),
                "--policy",
                str(paths["policy"]),
                "--out",
                str(out),
                "--no-timings",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert b'"timings": {}' in outs[0] and b'"certificate"' in outs[0]


@pytest.mark.parametrize("seed", range(4))
def test_a_plan_the_certificate_cannot_prove_is_solved_again_with_the_safe_weight(
    seed, monkeypatch
):
    """With a far too small coverage weight, the moderate plan trades coverage for cost;
    the certificate (safe weight) refuses it and the parts are solved again."""
    from matcher.solvers import _base
    from matcher.synthetic import generate

    p = generate(rng=seed, n_communities=2, buildings_per_community=8).problem()
    p = Problem(p.volunteers, p.needs, replace(p.policy, load_penalty=2.0))
    safe = solve(p, certify=False)  # no certificate: always the safe weight
    monkeypatch.setattr(_base, "MODERATE_FACTOR", 0)  # B = 1: coverage barely counts
    r = solve(p)
    assert r.objective == safe.objective
    assert verify(p, r) == []
    # ...and it really had to: with the tiny weight alone the optimum is another plan.
    from matcher.graph import build_graph
    from matcher.planning.solving import _instance
    from matcher.solvers import run_task
    from matcher.solvers._base import fold_objective

    inst = fold_objective(_instance(build_graph(p)), True, moderate=True)
    chosen, *_ = run_task("flow", inst, {})
    served = int(inst.priority[inst.need[chosen]].sum())
    assert served < safe.objective.served_priority
