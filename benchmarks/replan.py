"""Re-planning after small changes: ``Planner.replan(p1)`` and ``solve(p1, previous=r0)``
against ``solve(p1)``.

``python -m benchmarks.replan [--tier L] [--repeat 2]`` writes ``benchmarks/REPLAN.md``
(+ ``REPLAN.json``). A platform plans the city (``r0``), then during the day 1% of the
needs change: as many needs leave as new ones arrive. Two scenarios:

* ``local``: the changes fall in a few neighbouring communities of the clustered city
  with ``same_community=True`` (the city's parts are independent);
* ``spread``: the changes fall anywhere in the uniform city (one connected city).

For each, three ways to plan the same changed problem are timed (median of *repeat*,
stage by stage): a solve from scratch, ``solve(p1, previous=r0)`` (which builds the
graph and the result again, and solves again only the parts that changed), and a
``Planner`` that planned ``p0`` (untimed; making it loads the plan into the warm-start
engine) re-planning to ``p1`` (which also keeps the graph, the plan and its proof in the
engine, and the result between plans: it rebuilds the pairs of the changed records,
repairs the plan one record at a time, and re-assembles). Before any time is reported,
both re-plans' objectives are checked equal to the scratch solve's and their results to
pass ``verify``. The column *path* says whether ``solve(previous=)`` solved only the
changed parts (``warm``, with the share of pairs it solved again) or fell back to a full
solve (more than ``matcher.solvers._replan.MAX_SHARE`` of the pairs in changed parts);
*planner* whether the planner re-planned by the engine's events (``engine``) or solved.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import matcher
from matcher import verify
from matcher.synthetic.families import make

from .run import _fmt_s, _machine, _versions

HERE = Path(__file__).resolve().parent
SCENARIOS = {"local": "clustered_same", "spread": "uniform"}
SHARE = 0.01


def changed(problem: matcher.Problem, scenario: str, seed: int = 1) -> matcher.Problem:
    """*problem* with 1% of its needs replaced by new ones (see the module notes)."""
    rng = np.random.default_rng(seed)
    needs = list(problem.needs)
    k = max(1, int(len(needs) * SHARE))
    pool = list(range(len(needs)))
    if scenario == "local":
        per = Counter(n.community for n in needs)
        chosen: set[str | None] = set()
        total = 0
        for c in sorted(per, key=str):  # neighbouring communities, in id order
            chosen.add(c)
            total += per[c]
            if total >= 2 * k:
                break
        pool = [i for i, n in enumerate(needs) if n.community in chosen]
    leave = set(rng.choice(pool, k, replace=False).tolist())
    like = rng.choice(pool, k, replace=False).tolist()
    fresh = [replace(needs[j], id=f"{needs[j].id}+new{i}") for i, j in enumerate(like)]
    kept = [n for i, n in enumerate(needs) if i not in leave]
    return matcher.Problem(problem.volunteers, kept + fresh, problem.policy)


def _timed(fn: Any, repeat: int, setup: Any = lambda: None) -> tuple[Any, float, dict[str, float]]:
    """``fn(setup())``'s result, median seconds and stage timings over *repeat* runs.

    *setup* runs before each run, untimed (a fresh planner for each re-plan).
    """
    runs = []
    for _ in range(repeat):
        arg = setup()
        t = time.perf_counter()
        out = fn(arg)
        runs.append((time.perf_counter() - t, out))
        del arg
    runs.sort(key=lambda r: r[0])
    seconds, out = runs[len(runs) // 2]
    return out, seconds, dict(out.timings)


def _path(p1: matcher.Problem, r0: matcher.Result) -> tuple[str, float, int]:
    """Did the re-plan stay warm, and what share of the pairs did it solve again?"""
    from matcher.planning.solving import _solve_graph
    from matcher.planning.warm import _pair_mask
    from matcher.solvers import _replan

    graph = matcher.build_graph(p1)
    mask = _pair_mask(graph, [(m.need_id, m.volunteer_id) for m in r0.matches])
    assert r0.certificate is not None
    seen: dict[str, float] = {}
    cut = _replan.cut

    def spy(inst: Any, edges: Any) -> Any:
        seen["share"] = len(edges) / max(1, graph.n_edges)
        return cut(inst, edges)

    _replan.cut = spy
    try:
        sol = _solve_graph(
            graph, "auto", executor=None, certify=True, options={}, previous=(mask, r0.certificate)
        )
    finally:
        _replan.cut = cut
    if not sol.replan_rounds:
        return "full (fell back)", 1.0, graph.n_edges
    return "warm", seen.get("share", 0.0), graph.n_edges


def run_scenario(scenario: str, tier: str, repeat: int) -> dict[str, Any]:
    family = SCENARIOS[scenario]
    problem = make(family, tier, 0)
    r0 = matcher.solve(problem)
    p1 = changed(problem, scenario)
    full, full_s, full_t = _timed(lambda _: matcher.solve(p1), repeat)
    warm, warm_s, warm_t = _timed(lambda _: matcher.solve(p1, previous=r0), repeat)
    # a planner of the city as planned (made afresh for each run, untimed) re-plans to p1
    paths = []

    def planner_replan(planner: matcher.Planner) -> matcher.Result:
        out = planner.replan(p1)
        paths.append(planner.last_path)
        return out

    planned, plan_s, plan_t = _timed(planner_replan, repeat, lambda: matcher.Planner(problem))
    key = ("served_priority", "int_cost", "int_penalty")
    for name, out in (("solve(previous=)", warm), ("Planner.replan", planned)):
        same = all(getattr(full.objective, k) == getattr(out.objective, k) for k in key)
        violations = [str(v) for v in verify(p1, out)]
        if not same or violations:
            raise AssertionError(f"{scenario}: {name} differs ({same=}, {violations[:3]})")
    path, share, n_edges = _path(p1, r0)
    assert warm.churn is not None
    return {
        "scenario": scenario,
        "family": family,
        "tier": tier,
        "volunteers": len(p1.volunteers),
        "needs": len(p1.needs),
        "changed_needs": sum(1 for n in p1.needs if "+new" in n.id),
        "edges": n_edges,
        "full_seconds": full_s,
        "full_timings": full_t,
        "replan_seconds": warm_s,
        "replan_timings": warm_t,
        "speedup": full_s / warm_s,
        "solve_speedup": full_t["solve"] / warm_t["solve"],
        "planner_seconds": plan_s,
        "planner_timings": plan_t,
        "planner_speedup": full_s / plan_s,
        "planner_path": paths[-1],
        "path": path,
        "share_resolved": share,
        "objective": [getattr(warm.objective, k) for k in key],
        "churn": {k: getattr(warm.churn, k) for k in ("kept", "moved", "added", "dropped")},
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | family | tier | needs changed | edges | path (pairs solved again) "
        "| full solve: build / solve / assemble = **total** "
        "| `solve(previous=)`: build / solve / assemble = **total** | speed-up "
        "| planner | `Planner.replan`: build / solve / assemble = **total** | **speed-up** "
        "| churn kept / moved / added / dropped |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        f, w, c = r["full_timings"], r["replan_timings"], r["churn"]
        p = r["planner_timings"]

        def stages(t: dict[str, float], total: float) -> str:
            return (
                f"{_fmt_s(t['build_graph'])} / {_fmt_s(t['solve'])} / "
                f"{_fmt_s(t['assemble'])} = **{_fmt_s(total)}**"
            )

        path = r["path"] if r["path"] != "warm" else f"warm ({r['share_resolved']:.1%})"
        lines.append(
            f"| {r['scenario']} | {r['family']} | {r['tier']} | {r['changed_needs']:,} "
            f"of {r['needs']:,} | {r['edges']:,} | {path} | {stages(f, r['full_seconds'])} "
            f"| {stages(w, r['replan_seconds'])} | {r['speedup']:.1f}× "
            f"| {r.get('planner_path', 'solve')} | {stages(p, r['planner_seconds'])} | **{r['planner_speedup']:.1f}×** "
            f"| {c['kept']:,} / {c['moved']:,} / {c['added']:,} / {c['dropped']:,} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.replan", description=__doc__)
    ap.add_argument("--tier", default="L", choices=("S", "M", "L"))
    ap.add_argument("--repeat", type=int, default=2, help="runs per time, median (2)")
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--out", default=str(HERE / "REPLAN.md"), help="table to write")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = []
    for scenario in args.scenario or list(SCENARIOS):
        print(f"re-plan {scenario} {args.tier} ...", file=sys.stderr, flush=True)
        rows.append(run_scenario(scenario, args.tier, args.repeat))
    elapsed = time.perf_counter() - t0
    m = _machine()
    command = "python -m benchmarks.replan " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join(
        [
            "# Re-planning after 1% of the needs change",
            "",
            f"Command: `{command.strip()}` ({elapsed:.0f} s).",
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['platform']}.",
            "Versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()) + ".",
            f"Instances: `matcher.synthetic.families.make(family, {args.tier!r}, 0)`; changes drawn with "
            f"seed 1; median of {args.repeat} runs.",
            "",
            (__doc__ or "").split("\n\n", 1)[1].strip(),
            "",
            "Every re-plan below reached the same optimum (served priority, integer cost and "
            "penalty) as the solve from scratch and passed `verify` (the planner's plan may be "
            "another of the tied plans: the engine keeps what it can of the last plan).",
            "",
            table(rows),
            "",
        ]
    )
    out = Path(args.out)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
