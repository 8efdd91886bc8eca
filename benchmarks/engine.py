"""The warm-start engine alone: one event at a time against cold solves (solver level).

``python -m benchmarks.engine [--tier L] [--events 200]`` writes ``benchmarks/ENGINE.md``
(+ ``ENGINE.json``). This is the solver layer only -- arrays in, the plan and its
potentials out (:class:`matcher.solvers.live.LiveAssignment`); the Planner, which
must also update the graph and the Result, is measured in ``benchmarks/REALTIME.md``.

For each city (the clustered city with ``same_community`` and the uniform city,
one connected network), the plan of the benchmark problem is solved cold
(``solve_instance``: OR-Tools, with its certificate) and loaded into the engine.
Then, each kind of event *events* times, interleaved: a need arrives (the pairs of
a random need of the city, as a neighbour with the same need), a need is
cancelled, a volunteer joins (the pairs of a random volunteer), a volunteer
leaves. Every plan's proof is checked before its time is kept: every node
balanced, no arc over capacity, no arc with room and a negative reduced cost
(:meth:`DynamicFlow.violations`), which proves the flow a min-cost flow. Then 1%
and 5% of the needs are replaced one event at a time, against a cold solve of
the changed instance (same cost checked); and a run of *long* events in a row
reports the engine's memory and checks the last plan against a cold solve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from matcher.graph import build
from matcher.planning.solving import _instance
from matcher.solvers import solve_instance
from matcher.solvers._base import check_plan
from matcher.solvers._kernels import compile_seconds
from matcher.solvers.live import LiveAssignment
from matcher.synthetic.families import make

from .run import _fmt_s, _machine, _versions

HERE = Path(__file__).resolve().parent
CITIES = {"clustered_same": "clustered city, same_community", "uniform": "uniform city"}
KINDS = ("need arrives", "need cancelled", "volunteer joins", "volunteer leaves")


class City:
    """The engine on one city, with the pairs of the original records to copy from."""

    def __init__(self, family: str, tier: str) -> None:
        problem = make(family, tier, 0)
        graph = build(problem).graph
        inst = _instance(graph)
        pinned = np.zeros(inst.n_edges, bool)
        t0 = time.perf_counter()
        cold = solve_instance(inst, pinned, priority_first=True, method="flow")
        self.cold_seconds = time.perf_counter() - t0
        assert cold.certificate is not None
        self.big_m = cold.certificate.big_m
        t0 = time.perf_counter()
        self.live = LiveAssignment.from_plan(inst, cold.chosen, pinned, cold.certificate)
        self.load_seconds = time.perf_counter() - t0
        self.inst, self.family = inst, family
        nv = inst.n_volunteers
        order = np.argsort(inst.need, kind="stable")
        self.need_pairs = np.split(
            order, np.cumsum(np.bincount(inst.need, minlength=inst.n_needs))[:-1]
        )
        order = np.argsort(inst.volunteer, kind="stable")
        self.vol_pairs = np.split(order, np.cumsum(np.bincount(inst.volunteer, minlength=nv))[:-1])
        self.vol_node = 1 + np.arange(nv)
        self.need_node = 1 + nv + np.arange(inst.n_needs)
        self.alive_vols = set(self.vol_node.tolist())
        self.alive_needs = set(self.need_node.tolist())
        self.rng = np.random.default_rng(7)

    def unserved(self, j: int) -> int:
        assert self.big_m is not None
        return int(self.big_m * self.inst.priority[j])

    def event(self, kind: str) -> tuple[float, int]:
        """Apply one event of *kind*; its seconds (in the engine) and nodes settled."""
        live, inst, rng = self.live, self.inst, self.rng
        if kind == "need arrives":
            j = int(rng.integers(inst.n_needs))
            e = self.need_pairs[j]
            pairs = [
                (int(v), int(c))
                for v, c in zip(self.vol_node[inst.volunteer[e]], inst.cost[e], strict=True)
                if int(v) in self.alive_vols
            ]
            slot = -1 if inst.slot is None else int(inst.slot[j])
            t0 = time.perf_counter()
            node = live.add_need(int(inst.demand[j]), self.unserved(j), slot, pairs)
            took = time.perf_counter() - t0
            self.alive_needs.add(node)
        elif kind == "need cancelled":
            node = self._pick(self.alive_needs)
            t0 = time.perf_counter()
            live.remove_need(node)
            took = time.perf_counter() - t0
            self.alive_needs.discard(node)
        elif kind == "volunteer joins":
            v = int(rng.integers(inst.n_volunteers))
            e = self.vol_pairs[v]
            pairs = [
                (int(j), int(c))
                for j, c in zip(self.need_node[inst.need[e]], inst.cost[e], strict=True)
                if int(j) in self.alive_needs
            ]
            t0 = time.perf_counter()
            node = live.add_volunteer(int(inst.capacity[v]), pairs)
            took = time.perf_counter() - t0
            self.alive_vols.add(node)
        else:
            node = self._pick(self.alive_vols)
            t0 = time.perf_counter()
            live.remove_volunteer(node)
            took = time.perf_counter() - t0
            self.alive_vols.discard(node)
        return took, live.last.settled

    def _pick(self, alive: set[int]) -> int:
        while True:
            pool = self.vol_node if alive is self.alive_vols else self.need_node
            node = int(pool[self.rng.integers(len(pool))])
            if node in alive:
                return node

    def proven(self) -> None:
        """Raise unless the engine's flow is balanced, within capacity and proven optimal."""
        if not self.live.flow.proven():
            raise AssertionError(f"{self.family}: the engine's plan is not proven optimal")

    def cold_check(self) -> float:
        """Solve the city as it now is from scratch; the seconds.

        Raises if the engine's plan breaks a rule of the instance or costs more or
        less than the cold solve's.
        """
        inst, vols, needs = self.live.instance()
        vi = dict(zip(vols.tolist(), range(len(vols)), strict=True))
        ni = dict(zip(needs.tolist(), range(len(needs)), strict=True))
        at = {
            (int(v), int(j)): e
            for e, (v, j) in enumerate(zip(inst.volunteer, inst.need, strict=True))
        }
        chosen = np.array(sorted(at[vi[v], ni[j]] for v, j in self.live.plan()), np.int64)
        check_plan(inst, chosen)
        pinned = np.zeros(inst.n_edges, bool)
        t0 = time.perf_counter()
        cold = solve_instance(inst, pinned, priority_first=False, method="flow", certify=False)
        took = time.perf_counter() - t0
        o = cold.objective
        if o.int_cost + o.int_penalty != self.live.cost():
            raise AssertionError(f"{self.family}: engine {self.live.cost()} != cold {o}")
        return took


def run_city(family: str, tier: str, events: int, long: int) -> dict[str, Any]:
    city = City(family, tier)
    city.proven()
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    settled: dict[str, list[int]] = {k: [] for k in KINDS}
    for i in range(4 * events):
        kind = KINDS[i % 4]
        took, n = city.event(kind)
        city.proven()  # before the time is kept
        times[kind].append(took)
        settled[kind].append(n)
    cold_now = city.cold_check()
    out: dict[str, Any] = {
        "family": family,
        "tier": tier,
        "volunteers": city.inst.n_volunteers,
        "needs": city.inst.n_needs,
        "pairs": city.inst.n_edges,
        "cold_seconds": city.cold_seconds,
        "load_seconds": city.load_seconds,
        "events": {
            k: {
                "count": len(times[k]),
                "p50": float(np.percentile(times[k], 50)),
                "p95": float(np.percentile(times[k], 95)),
                "p99": float(np.percentile(times[k], 99)),
                "max": float(np.max(times[k])),
                "settled_p50": float(np.percentile(settled[k], 50)),
                "settled_max": int(np.max(settled[k])),
            }
            for k in KINDS
        },
        "cold_after_events_seconds": cold_now,
    }
    for share in (0.01, 0.05):
        n = int(share * city.inst.n_needs)
        t = 0.0
        for i in range(2 * n):
            took, _ = city.event("need cancelled" if i % 2 == 0 else "need arrives")
            t += took
        city.proven()
        cold = city.cold_check()
        out[f"replaced_{share:.2f}"] = {"needs": n, "seconds": t, "cold_seconds": cold}
    mem0 = city.live.flow.nbytes()
    for i in range(long):
        city.event(KINDS[i % 4])
    city.proven()
    cold = city.cold_check()
    out["long"] = {
        "events": long,
        "bytes_before": mem0,
        "bytes_after": city.live.flow.nbytes(),
        "cold_seconds": cold,
    }
    return out


def table(rows: list[dict[str, Any]], compile_s: float) -> str:
    lines = [
        "# The warm-start engine, event by event (solver level)",
        "",
        "Generated by `python -m benchmarks.engine` (see its docstring). Times are inside",
        "the engine (`LiveAssignment`), arrays in and plan and potentials out; every",
        "plan was checked balanced, within capacity and proven optimal (no arc with room",
        "and a negative reduced cost) before its time was kept, and the plans after the",
        "events, after the replacements and after the long run were checked equal in",
        "cost to a cold OR-Tools solve (`solve_instance` with the engine's integer costs,",
        "no certificate: the *vs cold* columns). The Planner end to end (graph, Result,",
        "certificate) is not in these figures.",
        "",
        f"First call: compiling (or loading from numba's cache) took {compile_s:.2f} s.",
        "",
        "| city | tier | pairs | event | p50 | p95 | p99 | max | nodes settled (p50 / max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for k in KINDS:
            e = r["events"][k]
            lines.append(
                f"| {CITIES[r['family']]} | {r['tier']} | {r['pairs']:,} | {k} | "
                f"{_fmt_s(e['p50'])} | {_fmt_s(e['p95'])} | {_fmt_s(e['p99'])} | "
                f"{_fmt_s(e['max'])} | {e['settled_p50']:.0f} / {e['settled_max']} |"
            )
    lines += [
        "",
        "| city | first plan (OR-Tools + certificate) | load into the engine | 1% of needs"
        " replaced, event by event | vs a cold solve of the changed instance | 5% replaced"
        " | vs cold |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, b = r["replaced_0.01"], r["replaced_0.05"]
        lines.append(
            f"| {CITIES[r['family']]} | {_fmt_s(r['cold_seconds'])} | {_fmt_s(r['load_seconds'])} | "
            f"{_fmt_s(a['seconds'])} ({a['needs']:,} out, {a['needs']:,} in) | "
            f"{a['cold_seconds'] / a['seconds']:.0f}x | {_fmt_s(b['seconds'])} | "
            f"{b['cold_seconds'] / b['seconds']:.0f}x |"
        )
    lines += [
        "",
        "| city | events in a row | engine memory before | after | last plan = cold solve |",
    ]
    lines += ["|---|---|---|---|---|"]
    for r in rows:
        g = r["long"]
        lines.append(
            f"| {CITIES[r['family']]} | {g['events']:,} | {g['bytes_before'] / 2**20:.0f} MiB | "
            f"{g['bytes_after'] / 2**20:.0f} MiB ({100 * (g['bytes_after'] / g['bytes_before'] - 1):+.1f}%) | yes |"
        )
    m = _machine()
    lines += ["", f"Machine: {m}; versions: {_versions()}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__)
    ap.add_argument("--tier", default="L", choices=["S", "M", "L"])
    ap.add_argument("--events", type=int, default=200, help="events of each kind")
    ap.add_argument("--long", type=int, default=10_000, help="events in a row for memory")
    ap.add_argument("--out", default=str(HERE / "ENGINE.md"))
    ap.add_argument("--render", action="store_true", help="only re-write the table from the JSON")
    args = ap.parse_args(argv)
    if args.render:
        saved = json.loads(Path(args.out).with_suffix(".json").read_text(encoding="utf-8"))
        Path(args.out).write_text(table(saved["rows"], saved["compile_seconds"]), encoding="utf-8")
        return 0
    compile_s = compile_seconds()
    rows = []
    for family in CITIES:
        print(f"{family} {args.tier} ...", file=sys.stderr, flush=True)
        rows.append(run_city(family, args.tier, args.events, args.long))
    text = table(rows, compile_s)
    Path(args.out).write_text(text, encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(
        json.dumps({"compile_seconds": compile_s, "rows": rows}, indent=1) + "\n", encoding="utf-8"
    )
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
