"""One measurement in a fresh process: ``python -m benchmarks.worker '<json job>'``.

Each job runs in its own process so that its peak memory (RSS) is its own.
The instance is built before any clock starts; only the work is timed. The
worker prints one JSON object: the objective (to be checked equal across
peers by the runner before any time is reported), the times and the peak RSS.

Jobs
----
matcher     ``matcher.solve(problem)`` with default options: stage times
bare        the bare OR-Tools pipeline a skilled user would write (peers.bare_ortools)
graph       one solve-stage peer on matcher's candidate graph: flow, hungarian,
            auto, network_simplex, scipy_matching, highs_lp, greedy, stable
parallel    ``matcher.solve(problem, executor=ProcessPoolExecutor(workers))``
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from . import peers
from .families import make


def _rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _median_runs(fn: Any, repeat: int) -> tuple[Any, list[float]]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job (see the module docstring) and return its measurements."""
    import matcher

    problem = make(job["family"], job["tier"], job.get("seed", 0))
    repeat = int(job.get("repeat", 1))
    rss_before = _rss_mib()
    out: dict[str, Any] = {"job": job, "rss_instance_mib": rss_before}
    kind = job["kind"]
    if kind == "matcher":
        results = [matcher.solve(problem) for _ in range(repeat)]
        # The same without the optimality certificate: what proving the plan costs net.
        bare_solve = [matcher.solve(problem, certify=False).timings["solve"] for _ in range(repeat)]
        r = results[-1]
        out.update(
            method=r.method,
            served_priority=r.objective.served_priority,
            int_cost=r.objective.int_cost,
            int_penalty=r.objective.int_penalty,
            stages={
                k: statistics.median(x.timings[k] for x in results)
                for k in ("build_graph", "solve", "backend", "certify", "assemble", "total")
            },
            solve_uncertified=statistics.median(bare_solve),
            coverage=r.metrics.coverage,
            matches=len(r.matches),
        )
        out["seconds"] = out["stages"]["total"]
    elif kind == "bare":
        res, times = _median_runs(
            lambda: peers.bare_ortools(problem.volunteers, problem.needs, problem.policy), repeat
        )
        out.update(
            served_priority=res.served_priority,
            int_cost=res.int_cost,
            int_penalty=res.int_penalty,
            stages=dict(res.stages),
            seconds=statistics.median(times),
        )
    elif kind == "graph":
        graph = matcher.build_graph(problem)
        out["edges"] = graph.n_edges
        peer = job["peer"]

        def call() -> Any:
            if peer in ("flow", "hungarian", "auto", "network_simplex", "greedy", "stable"):
                sol = matcher.solve_graph(graph, method=peer)
                return sol
            return getattr(peers, peer)(graph)

        try:
            res, times = _median_runs(call, repeat)
        except peers.NotApplicable as exc:
            out.update(status="not_applicable", why=str(exc))
            return out
        except matcher.UnsupportedProblem as exc:
            out.update(status="not_applicable", why=str(exc))
            return out
        out.update(
            status="ok",
            served_priority=int(res.served_priority),
            int_cost=int(res.int_cost),
            int_penalty=int(res.int_penalty),
            seconds=statistics.median(times),
        )
        if hasattr(res, "method"):
            out["method"] = res.method
    elif kind == "parallel":
        workers = int(job.get("workers", 2))
        serial = [matcher.solve(problem) for _ in range(repeat)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            matcher.solve(problem, executor=pool)  # start the workers before timing
            par = [matcher.solve(problem, executor=pool) for _ in range(repeat)]
        same = all(p == serial[0] for p in par)
        out.update(
            served_priority=serial[0].objective.served_priority,
            int_cost=serial[0].objective.int_cost,
            int_penalty=serial[0].objective.int_penalty,
            identical=same,
            serial={k: statistics.median(x.timings[k] for x in serial) for k in serial[0].timings},
            parallel={k: statistics.median(x.timings[k] for x in par) for k in par[0].timings},
            workers=workers,
        )
        out["seconds"] = out["parallel"]["total"]
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    out["rss_peak_mib"] = _rss_mib()
    return out


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
