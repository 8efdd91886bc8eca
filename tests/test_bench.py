"""The benchmark runner itself: it checks answers before reporting times, and writes the table."""

import json
import sys
from pathlib import Path

import pytest

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks import run as bench  # noqa: E402
from benchmarks.families import FAMILIES, make, sizes  # noqa: E402


def test_families_are_seeded_and_sized():
    for family in FAMILIES:
        size = sizes(family, "S")
        p = make(family, "S", seed=3)
        assert (len(p.volunteers), len(p.needs)) == size
        assert make(family, "S", seed=3) == p
    assert make("uniform", "S", seed=1) != make("uniform", "S", seed=2)
    assert sizes("dense", "L") is None


def test_fit_slope():
    pts = [(10.0, 2.0), (100.0, 20.0), (1000.0, 200.0)]
    assert bench.fit_slope(pts) == pytest.approx(1.0)
    assert bench.fit_slope([(10.0, 1.0)]) is None


def test_certificate_net_cost_is_the_solve_stage_against_the_uncertified_one():
    m = {"stages": {"solve": 1.2}, "solve_uncertified": 1.0}
    assert bench._cert_net(m) == "+20%"
    assert bench._cert_net({"stages": {"solve": 0.9}, "solve_uncertified": 1.0}) == "-10%"
    assert bench._cert_net({"stages": {"solve": 1.0}}) == "—"


def test_a_mismatching_peer_is_reported_as_such_never_as_a_time(monkeypatch):
    calls = []

    def fake_measure(job, timeout=None):
        calls.append(job)
        base = {
            "status": "ok",
            "served_priority": 10,
            "int_cost": 5,
            "int_penalty": 0,
            "seconds": 1.0,
        }
        if job["kind"] == "matcher":
            return {
                **base,
                "stages": {"build_graph": 0.1, "solve": 0.8, "assemble": 0.1, "total": 1.0},
                "method": "flow",
                "rss_peak_mib": 100.0,
            }
        if job.get("peer") == "highs_lp":
            return {**base, "int_cost": 6, "edges": 7}
        return {**base, "edges": 7, "stages": {}}

    monkeypatch.setattr(bench, "measure", fake_measure)
    case = bench.run_case("uniform", "S", 0, lambda msg: None)
    assert case["peers"]["highs_lp"]["status"] == "MISMATCH"
    assert case["peers"]["flow"]["status"] == "ok"
    text = bench.report(
        {
            "command": "x",
            "date": "d",
            "elapsed_s": 1.0,
            "machine": {"cpu": "c", "cores": 2, "memory": "m", "platform": "p"},
            "versions": {},
            "seeds": [0],
            "cases": [case],
            "parallel": [],
            "slopes": {},
            "plot": None,
        }
    )
    row = next(line for line in text.splitlines() if line.startswith("| uniform | S | 7"))
    assert "**MISMATCH**" in row


def test_smoke_run_of_the_small_tier(tmp_path):
    out = tmp_path / "RESULTS.md"
    assert (
        bench.main(["--tier", "S", "--family", "uniform", "--no-parallel", "--out", str(out)]) == 0
    )
    data = json.loads(out.with_suffix(".json").read_text())
    (case,) = data["cases"]
    assert case["matcher"]["status"] == "ok" and case["bare"]["status"] == "ok"
    assert case["matcher"]["solve_uncertified"] > 0  # the certificate's net cost is measured
    for name in ("flow", "auto", "highs_lp", "network_simplex", "greedy"):
        assert case["peers"][name]["status"] == "ok", name
    assert "MISMATCH" not in out.read_text()


def test_replan_benchmark_changes_one_percent_and_checks_the_optimum(tmp_path, monkeypatch):
    from benchmarks import replan

    problem = make("clustered_same", "S", 0)
    p1 = replan.changed(problem, "local")
    fresh = [n for n in p1.needs if "+new" in n.id]
    assert len(fresh) == len(problem.needs) // 100 and len(p1.needs) == len(problem.needs)
    assert {n.community for n in fresh} <= {n.community for n in problem.needs}
    assert replan.changed(problem, "local") == p1  # seeded
    out = tmp_path / "REPLAN.md"
    assert replan.main(["--tier", "S", "--repeat", "1", "--out", str(out)]) == 0
    rows = json.loads(out.with_suffix(".json").read_text())
    assert [r["scenario"] for r in rows] == ["local", "spread"]
    for r in rows:
        assert r["speedup"] == pytest.approx(r["full_seconds"] / r["replan_seconds"])
        assert r["planner_speedup"] == pytest.approx(r["full_seconds"] / r["planner_seconds"])
        assert r["path"] in ("warm", "full (fell back)")
    assert "| local | clustered_same | S |" in out.read_text()
    # a re-plan that disagrees with the solve from scratch is refused, never timed
    real = replan.matcher.solve

    def wrong(p, method="auto", **kw):
        r = real(p, method, **kw)
        if kw.get("previous") is not None:
            from dataclasses import replace

            r = replace(r, objective=replace(r.objective, int_cost=r.objective.int_cost + 1))
        return r

    monkeypatch.setattr(replan.matcher, "solve", wrong)
    with pytest.raises(AssertionError, match=r"solve\(previous=\) differs"):
        replan.run_scenario("local", "S", 1)
    monkeypatch.setattr(replan.matcher, "solve", real)
    # and so is a planner whose result is not solve(previous=)'s
    replan_of = replan.matcher.Planner.replan

    def drifted(self, p):
        r = replan_of(self, p)
        from dataclasses import replace

        return replace(r, matches=r.matches[1:])

    monkeypatch.setattr(replan.matcher.Planner, "replan", drifted)
    with pytest.raises(AssertionError, match="Planner.replan differs|not solve"):
        replan.run_scenario("local", "S", 1)
