"""A small benchmark anyone can run after ``pip install``: ``matcher bench``.

Every family of :mod:`matcher.synthetic.families` at one tier (S by default: 300
volunteers x 500 needs), every method on the same candidate graph, the
objectives checked equal across exact methods before any time is reported,
and the end-to-end :func:`matcher.solve` time. The full grid with external
peers (bare OR-Tools, scipy, HiGHS, networkx) and memory is ``python -m
benchmarks`` in a checkout (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from ..errors import UnsupportedProblem
from ..graph import build_graph
from ..planning.solving import solve, solve_graph
from ..synthetic.families import FAMILIES, make, sizes

__all__ = ["BENCH_METHODS", "format_table", "run"]

BENCH_METHODS = ("flow", "hungarian", "network_simplex", "greedy", "stable", "auto")
"""Methods timed on each instance."""

NETWORK_SIMPLEX_EDGES = 20_000
"""``network_simplex`` (pure Python, ~100 us per pair) runs only on graphs up to this size."""


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def run(
    tier: str = "S",
    families: Iterable[str] = FAMILIES,
    *,
    seed: int = 0,
    repeat: int = 3,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the benchmark; one row per family.

    Parameters
    ----------
    tier : {"S", "M", "L"}, default "S"
    families : iterable of str
        Families of :mod:`matcher.synthetic.families` (those without this tier are skipped).
    seed : int, default 0
    repeat : int, default 3
        Runs per time; the median is reported.
    progress : callable, optional
        Called with a label before each step (the CLI draws a progress bar with it).

    Returns
    -------
    list of dict
        Per family: ``family``, ``tier``, ``volunteers``, ``needs``, ``edges``,
        ``solve_s`` (end to end), ``method`` (auto's choice), ``served_priority``,
        ``int_cost``, and ``methods``: per method ``{"seconds", "gap"}`` (gap:
        relative cost gap for greedy's served priority, 0 for exact methods)
        or ``{"status": "n/a", "why": ...}``.

    Raises
    ------
    AssertionError
        If two exact methods disagree on the optimum (never expected).

    Examples
    --------
    >>> rows = run("S", ["dense"], repeat=1)
    >>> rows[0]["methods"]["flow"]["gap"], rows[0]["volunteers"]
    (0.0, 300)
    """
    rows = []
    for family in families:
        if sizes(family, tier) is None:
            continue
        if progress:
            progress(f"{family}: build")
        problem = make(family, tier, seed)
        result, e2e = _median_time(partial(solve, problem), repeat)
        graph = build_graph(problem)
        row: dict[str, Any] = {
            "family": family,
            "tier": tier,
            "volunteers": len(problem.volunteers),
            "needs": len(problem.needs),
            "edges": graph.n_edges,
            "solve_s": e2e,
            "method": result.method,
            "served_priority": result.objective.served_priority,
            "int_cost": result.objective.int_cost,
            "methods": {},
        }
        for method in BENCH_METHODS:
            if method == "network_simplex" and graph.n_edges > NETWORK_SIMPLEX_EDGES:
                why = f"slow beyond {NETWORK_SIMPLEX_EDGES:,} pairs"
                row["methods"][method] = {"status": "n/a", "why": why}
                continue
            if progress:
                progress(f"{family}: {method}")
            try:
                sol, secs = _median_time(partial(solve_graph, graph, method), repeat)
            except UnsupportedProblem as exc:
                row["methods"][method] = {"status": "n/a", "why": str(exc).split(":")[0]}
                continue
            got = (sol.served_priority, sol.int_cost)
            want = (row["served_priority"], row["int_cost"])
            if method not in ("greedy", "stable"):
                assert got == want, f"{method} on {family}/{tier}: {got} != {want}"
                gap = 0.0
            else:
                gap = 1.0 - sol.served_priority / max(row["served_priority"], 1)
            row["methods"][method] = {"seconds": secs, "gap": gap}
        rows.append(row)
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`run` as a plain-text table (times in ms)."""
    head = ["family", "tier", "vols x needs", "edges", "solve()", *BENCH_METHODS, "auto chose"]
    lines = [head]
    for r in rows:
        cells = [r["family"], r["tier"], f"{r['volunteers']}x{r['needs']}", str(r["edges"])]
        cells.append(f"{1000 * r['solve_s']:.1f}")
        for m in BENCH_METHODS:
            x = r["methods"].get(m, {})
            if "seconds" not in x:
                cells.append("n/a")
            elif m in ("greedy", "stable"):
                cells.append(f"{1000 * x['seconds']:.1f} (-{100 * x['gap']:.1f}%)")
            else:
                cells.append(f"{1000 * x['seconds']:.1f}")
        cells.append(r["method"])
        lines.append(cells)
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)
