"""One event at a time through the Planner, end to end (issue 14's targets).

``python -m benchmarks.realtime [--tier L] [--events 200]`` writes
``benchmarks/REALTIME.md`` (+ ``REALTIME.json``). A platform keeps a
:class:`matcher.Planner` of the city (made untimed: it solves the first plan and
loads it into the warm-start engine) and sends it events as they come, each
through :meth:`Planner.update`, which returns the current ``Result`` with its
certificate. Ten kinds of event, *events* of each, interleaved: a need arrives
(a copy of a random need of the city, new id), a need changes (its priority), a
need is cancelled, a volunteer joins (a copy of a random volunteer), a
volunteer changes (its capacity), a volunteer leaves, a pair is pinned (a
random need to one of its candidates it is not matched to), the pin is
released, a pair is forbidden (a random match of the plan), it is allowed again.

The time of an event is the wall time of ``update()``; beside it, the stages the
result reports (``build_graph``: the pairs of the changed record; ``solve``: the
engine; ``assemble``: the Result) and the time inside the engine alone. Before an
event's time is kept, its plan is checked optimal: the engine's flow balanced and
its potentials satisfied on every arc with room (a proof of optimality of the
flow, :meth:`DynamicFlow.violations`); every *verify_every*-th result is checked
by :func:`matcher.verify` (an independent re-derivation from the records), and
the last plan against a solve from scratch (same optimum).

Then, per city: *sustained*, the wall time of 100 more events sent back to
back (the ten kinds in turn, no checks between them) divided by 100, the
median of three such rounds (one round's figure moves by 10-20% from run to
run); it counts everything an event leaves behind, the interpreter's garbage
collection included; and 1% and 5% of the needs replaced (cancelled, and
as many new ones arriving) in one ``update()``, against ``matcher.solve`` of
the same community from scratch, both plans checked equal in objective and
the batch's by ``verify``. The process runs with Python's default garbage
collector settings (no ``gc.freeze``).
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import matcher
from matcher.synthetic.families import make

from .run import _fmt_s, _machine, _versions

HERE = Path(__file__).resolve().parent
CITIES = {"clustered_same": "clustered city, same_community", "uniform": "uniform city"}
KINDS = (
    "need arrives",
    "need changes",
    "need cancelled",
    "volunteer joins",
    "volunteer changes",
    "volunteer leaves",
    "pair pinned",
    "pin released",
    "pair forbidden",
    "pair allowed",
)
_held: dict[str, tuple[str, str]] = {}  # the pair pinned / forbidden by the last such event


def _event(planner: matcher.Planner, kind: str, rng: np.random.Generator, k: int) -> dict:
    """The update() arguments of one event of *kind* on the planner's community now."""
    p = planner.problem
    if kind.startswith("p"):
        return _pair_event(planner, kind, rng)
    if kind.startswith("need"):
        n = p.needs[int(rng.integers(len(p.needs)))]
        if kind == "need arrives":
            return {"needs": [replace(n, id=f"{n.id}+rt{k}")]}
        if kind == "need changes":
            return {"needs": [replace(n, priority=n.priority % 5 + 1)]}
        return {"remove_needs": [n.id]}
    v = p.volunteers[int(rng.integers(len(p.volunteers)))]
    if kind == "volunteer joins":
        return {"volunteers": [replace(v, id=f"{v.id}+rt{k}")]}
    if kind == "volunteer changes":
        return {"volunteers": [replace(v, capacity=v.capacity % 3 + 1)]}
    return {"remove_volunteers": [v.id]}


def _pair_event(planner: matcher.Planner, kind: str, rng: np.random.Generator) -> dict:
    """Pin a need to one of its candidates out of the plan, or forbid a pair of the plan;
    the next event of the pair kinds releases or allows it again."""
    if kind == "pin released":
        return {"unpin": [_held.pop("pin")]}
    if kind == "pair allowed":
        return {"allow": [_held.pop("forbid")]}
    matches = planner.result.matches
    if kind == "pair forbidden":
        m = matches[int(rng.integers(len(matches)))]
        _held["forbid"] = (m.need_id, m.volunteer_id)
        return {"forbid": [_held["forbid"]]}
    while True:  # a need with a candidate it is not matched to: pinned to it
        n = planner.problem.needs[int(rng.integers(len(planner.problem.needs)))]
        others = [v for v in _candidates(planner, n.id) if not _matched(planner, (n.id, v))]
        if others:
            _held["pin"] = (n.id, others[int(rng.integers(len(others)))])
            return {"pin": [_held["pin"]]}


def _matched(planner: matcher.Planner, pair: tuple[str, str]) -> bool:
    """Whether *pair* is in the plan (the events' sorted pairs: no pass over the matches)."""
    keys = planner._events.mkeys if planner._events is not None else []
    at = bisect.bisect_left(keys, pair)
    return at < len(keys) and keys[at] == pair


def _candidates(planner: matcher.Planner, need_id: str) -> list[str]:
    """The volunteers a need may be matched to: its pairs in the planner's engine."""
    ev = planner._events
    assert ev is not None, "the planner takes updates as events"
    f = ev.live.flow
    node = int(ev.n_node[ev.n_row[need_id]])
    tails = [int(f.to[a]) for a in f.arcs_of(node) if a & 1 and int(f.to[a]) != 0]
    return sorted(ev.v_ids[r] for r in ev._volunteer_rows_of(tails).tolist())


def _proven(planner: matcher.Planner) -> None:
    engine = planner._engine
    if planner.last_path != "engine" or engine is None:
        raise AssertionError(f"the event was not re-planned by the engine ({planner.last_path})")
    if not engine.live.flow.proven():
        raise AssertionError("the engine's plan is not proven optimal")


def _rss() -> int:
    """Resident memory of this process, in bytes (after a full collection)."""
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _long(planner: matcher.Planner, n: int, rng: np.random.Generator, first: int) -> dict:
    """*n* events back to back: memory against the first plan's, the last plan against a cold one.

    Memory is the process's resident size after a full collection, just before
    and just after the events (the solves from scratch of the checks before
    them leave memory the allocator keeps: the size before counts them), and
    the bytes of the engine's and the events' arrays.
    """
    before = _rss()
    arrays = _state_bytes(planner)
    t = time.perf_counter()
    for i in range(n):
        planner.update(**_event(planner, KINDS[i % len(KINDS)], rng, 2 * 10**6 + i))
    took = time.perf_counter() - t
    rss = _rss()
    _proven(planner)
    last, cold = planner.result, matcher.solve(planner.problem)
    key = ("served_priority", "int_cost", "int_penalty")
    if any(getattr(last.objective, k) != getattr(cold.objective, k) for k in key):
        raise AssertionError("after the long run the plan is not a solve from scratch's optimum")
    if matcher.verify(planner.problem, last):
        raise AssertionError("verify refuses the last plan of the long run")
    return {
        "events": n,
        "seconds": took,
        "rss_first": first,
        "rss_before": before,
        "rss_last": rss,
        "arrays_before": arrays,
        "arrays_last": _state_bytes(planner),
    }


def _state_bytes(planner: matcher.Planner) -> int:
    """Bytes of the arrays an events planner keeps: the engine's and the rows and sums."""
    engine, events = planner._engine, planner._events
    total = 0 if engine is None else engine.live.flow.nbytes()
    if events is not None:
        total += sum(a.nbytes for a in vars(events).values() if isinstance(a, np.ndarray))
        total += sum(a.nbytes for a in events.rows._arrays.values())
    return total


def run_city(
    family: str, tier: str, events: int, verify_every: int, long: int = 0
) -> dict[str, Any]:
    problem = make(family, tier, 0)
    t0 = time.perf_counter()
    planner = matcher.Planner(problem)
    made = time.perf_counter() - t0
    first_rss = _rss()
    rng = np.random.default_rng(3)
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in KINDS}
    verified = 0
    for i in range(events * len(KINDS)):
        kind = KINDS[i % len(KINDS)]
        args = _event(planner, kind, rng, i)
        t = time.perf_counter()
        result = planner.update(**args)
        took = time.perf_counter() - t
        _proven(planner)  # before the time is kept
        if i % verify_every == verify_every - 1:
            bad = matcher.verify(planner.problem, result)
            if bad:
                raise AssertionError(f"{family}: verify refuses event {i}: {bad[:3]}")
            verified += 1
        tm = result.timings
        rows[kind].append(
            {
                "seconds": took,
                "build_graph": tm["build_graph"],
                "engine": tm["backend"],
                "assemble": tm["assemble"],
            }
        )
    last = planner.result
    cold = matcher.solve(planner.problem)
    key = ("served_priority", "int_cost", "int_penalty")
    if any(getattr(last.objective, k) != getattr(cold.objective, k) for k in key):
        raise AssertionError(f"{family}: the last plan is not a solve from scratch's optimum")
    # sustained: back to back, no checks between events; the median of three rounds
    rounds = []
    for r in range(3):
        t = time.perf_counter()
        for i in range(100):
            planner.update(**_event(planner, KINDS[i % len(KINDS)], rng, 10**6 + 100 * r + i))
        rounds.append((time.perf_counter() - t) / 100)
    sustained = float(np.median(rounds))
    _proven(planner)
    batches = {share: _batch(planner, share, rng, key) for share in (0.01, 0.05)}
    long_run = _long(planner, long, rng, first_rss) if long else None
    out: dict[str, Any] = {
        "family": family,
        "tier": tier,
        "volunteers": len(problem.volunteers),
        "needs": len(problem.needs),
        "planner_seconds": made,
        "verified": verified,
        "sustained": sustained,
        "sustained_rounds": rounds,
        "batches": batches,
        "long": long_run,
        "events": {},
    }
    for kind, r in rows.items():
        s = np.array([x["seconds"] for x in r])
        out["events"][kind] = {
            "count": len(r),
            "p50": float(np.percentile(s, 50)),
            "p95": float(np.percentile(s, 95)),
            "p99": float(np.percentile(s, 99)),
            **{
                f"{stage}_p50": float(np.percentile([x[stage] for x in r], 50))
                for stage in ("build_graph", "engine", "assemble")
            },
        }
    return out


def _batch(planner: matcher.Planner, share: float, rng: np.random.Generator, key: tuple) -> dict:
    """*share* of the needs replaced in one update(), against a solve from scratch."""
    p = planner.problem
    k = max(1, round(share * len(p.needs)))
    old = rng.choice(len(p.needs), k, replace=False)
    gone = [p.needs[i].id for i in old.tolist()]
    fresh = [
        replace(p.needs[int(i)], id=f"{p.needs[int(i)].id}+b{share}")
        for i in rng.choice(len(p.needs), k, replace=False).tolist()
    ]
    t = time.perf_counter()
    result = planner.update(needs=fresh, remove_needs=gone)
    took = time.perf_counter() - t
    path = planner.last_path
    t = time.perf_counter()
    cold = matcher.solve(planner.problem)
    cold_s = time.perf_counter() - t
    if any(getattr(result.objective, x) != getattr(cold.objective, x) for x in key):
        raise AssertionError("the batch's plan is not a solve from scratch's optimum")
    bad = matcher.verify(planner.problem, result)
    if bad:
        raise AssertionError(f"verify refuses the batch: {bad[:3]}")
    return {"replaced": k, "seconds": took, "cold_seconds": cold_s, "path": path}


def _markdown(text: str) -> str:
    """A docstring's reST roles and double backquotes as Markdown code."""
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")


def table(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        "# One event at a time through the Planner, end to end",
        "",
        f"Command: `{command}`. " + _markdown((__doc__ or "").split("\n\n", 1)[1].strip()),
        "",
        "Targets (issue 14): p50 <= 10 ms, p95 <= 50 ms, p99 <= 200 ms at tier L on both cities.",
        "",
        "| city | tier | event | events | p50 | p95 | p99 | p50 of: pairs (build) / engine / "
        "Result (assemble) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for kind in KINDS:
            e = r["events"][kind]
            lines.append(
                f"| {CITIES[r['family']]} | {r['tier']} | {kind} | {e['count']} | "
                f"{_fmt_s(e['p50'])} | {_fmt_s(e['p95'])} | {_fmt_s(e['p99'])} | "
                f"{_fmt_s(e['build_graph_p50'])} / {_fmt_s(e['engine_p50'])} / "
                f"{_fmt_s(e['assemble_p50'])} |"
            )
    lines += [""]
    for r in rows:
        lines.append(
            f"- {CITIES[r['family']]}: {r['volunteers']:,} volunteers, {r['needs']:,} needs; "
            f"making the planner (first plan + engine) took {_fmt_s(r['planner_seconds'])}; "
            f"{r['verified']} results checked by `verify`; the last plan equals a solve from "
            "scratch in served priority, cost and penalty. "
            f"Sustained (events back to back, GC included; median of three rounds of 100): "
            f"{_fmt_s(r['sustained'])} per event. "
            + " ".join(
                f"{b['replaced']:,} needs ({100 * float(s):g}%) replaced in one update(): "
                f"{_fmt_s(b['seconds'])} against {_fmt_s(b['cold_seconds'])} for a solve "
                f"from scratch ({b['cold_seconds'] / b['seconds']:.1f}x, by the "
                f"{b['path']}); same optimum, verified."
                for s, b in r["batches"].items()
            )
            + (
                ""
                if not r.get("long")
                else f" {r['long']['events']:,} more events back to back in "
                f"{_fmt_s(r['long']['seconds'])}: resident memory "
                f"{r['long']['rss_last'] / 2**20:,.0f} MiB after them against "
                f"{r['long']['rss_before'] / 2**20:,.0f} MiB before "
                f"({100 * (r['long']['rss_last'] / r['long']['rss_before'] - 1):+.1f}%; "
                f"{r['long']['rss_first'] / 2**20:,.0f} MiB after the first plan, before "
                "the checks' solves from scratch); the engine's and the events' arrays "
                f"{r['long']['arrays_last'] / 2**20:,.0f} MiB against "
                f"{r['long']['arrays_before'] / 2**20:,.0f} MiB "
                f"({100 * (r['long']['arrays_last'] / r['long']['arrays_before'] - 1):+.1f}%); "
                "the last plan equals a solve from scratch and `verify` accepts it."
            )
        )
    m = _machine()
    lines += [
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in _versions().items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.realtime", description=__doc__)
    ap.add_argument("--tier", default="L", choices=["S", "M", "L"])
    ap.add_argument("--events", type=int, default=200, help="events of each kind (200)")
    ap.add_argument("--verify-every", type=int, default=100)
    ap.add_argument("--long", type=int, default=0, help="then this many events in a row (memory)")
    ap.add_argument("--out", default=str(HERE / "REALTIME.md"))
    ap.add_argument("--render", metavar="COMMAND", help="only re-write the table from the JSON")
    args = ap.parse_args(argv)
    if args.render:
        rows = json.loads(Path(args.out).with_suffix(".json").read_text(encoding="utf-8"))
        Path(args.out).write_text(table(rows, args.render), encoding="utf-8")
        return 0
    rows = []
    for family in CITIES:
        print(f"{family} {args.tier} ...", file=sys.stderr, flush=True)
        rows.append(run_city(family, args.tier, args.events, args.verify_every, args.long))
    command = "python -m benchmarks.realtime " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    text = table(rows, command.strip())
    Path(args.out).write_text(text, encoding="utf-8")
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
