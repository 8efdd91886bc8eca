"""Run the benchmark grid and write ``benchmarks/RESULTS.md`` (+ JSON, + PNG).

``python -m benchmarks`` regenerates the whole table; ``--tier S`` (or M, L)
runs one tier. Each measurement runs in a fresh process (peak memory is its
own), inputs are built before the clock starts, and every peer's objective is
checked equal to matcher's before its time is reported: a peer that disagrees
is reported as a failure, never as a time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from .families import FAMILIES, TIERS, sizes

HERE = Path(__file__).resolve().parent
NETWORKX_LIMIT_S = 600.0  # "where it finishes within 10 minutes"
REPEAT = {"S": 5, "M": 3, "L": 2}
GRAPH_PEERS = (
    "flow",
    "hungarian",
    "auto",
    "scipy_matching",
    "highs_lp",
    "network_simplex",
    "greedy",
    "stable",
)
EXACT_PEERS = ("flow", "hungarian", "auto", "scipy_matching", "highs_lp", "network_simplex")
# Where a slow peer is attempted at all (tier -> families); elsewhere it is marked "not run".
# networkx: ~160 s at M (540k edges), so L is far beyond 10 minutes. HiGHS: ~35x flow,
# so at L (~20 s for flow) one family is attempted, once, with a 10-minute limit (it did not
# finish in 30 minutes in the run of 2026-11-26).
ATTEMPT: dict[str, dict[str, tuple[str, ...]]] = {
    "network_simplex": {"S": FAMILIES, "M": FAMILIES},
    "highs_lp": {"S": FAMILIES, "M": FAMILIES, "L": ("uniform",)},
}
SLOW_LIMIT_S = 600.0  # other slow peers: report "timed out" (> 10 min) rather than wait longer


def _job(kind: str, family: str, tier: str, seed: int, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "family": family, "tier": tier, "seed": seed, **extra}


def measure(job: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run *job* in a fresh process; return its JSON, or a status on failure."""
    cmd = [sys.executable, "-m", "benchmarks.worker", json.dumps(job)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=HERE.parent, check=False
        )
    except subprocess.TimeoutExpired:
        return {"job": job, "status": "timeout", "wall": time.perf_counter() - t0}
    if proc.returncode != 0:
        return {"job": job, "status": "error", "error": proc.stderr.strip().splitlines()[-1:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.setdefault("status", "ok")
    return out


def _same(a: dict[str, Any], b: dict[str, Any], priority_first: bool = True) -> bool:
    keys = ("served_priority", "int_cost", "int_penalty")
    return all(a.get(k) == b.get(k) for k in keys)


def run_case(family: str, tier: str, seed: int, log: Any) -> dict[str, Any]:
    """Every measurement of one instance, with answers checked equal."""
    repeat = REPEAT[tier]
    case: dict[str, Any] = {
        "family": family,
        "tier": tier,
        "seed": seed,
        "size": sizes(family, tier),
    }
    log(f"[{family} {tier} seed {seed}] matcher")
    ref = measure(_job("matcher", family, tier, seed, repeat=repeat))
    case["matcher"] = ref
    if ref.get("status") != "ok":
        return case
    log(f"[{family} {tier}] bare OR-Tools")
    bare = measure(_job("bare", family, tier, seed, repeat=repeat))
    if bare.get("status") == "ok" and not _same(bare, ref):
        bare["status"] = "MISMATCH"
    case["bare"] = bare
    case["peers"] = {}
    for peer in GRAPH_PEERS:
        if peer in ATTEMPT and family not in ATTEMPT[peer].get(tier, ()):
            case["peers"][peer] = {"status": "not_run"}
            continue
        log(f"[{family} {tier}] {peer}")
        timeout = NETWORKX_LIMIT_S if peer == "network_simplex" else SLOW_LIMIT_S
        res = measure(
            _job(
                "graph",
                family,
                tier,
                seed,
                peer=peer,
                repeat=1
                if peer == "network_simplex" or (peer == "highs_lp" and tier == "L")
                else repeat,
            ),
            timeout=timeout,
        )
        if res.get("status") == "ok" and peer in EXACT_PEERS and not _same(res, ref):
            res["status"] = "MISMATCH"
        case["peers"][peer] = res
    return case


def run_parallel(family: str, tier: str, seed: int, log: Any) -> dict[str, Any]:
    log(f"[{family} {tier}] serial vs 2 processes")
    return measure(_job("parallel", family, tier, seed, repeat=REPEAT[tier], workers=2))


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("matcher", "numpy", "scipy", "networkx", "ortools", "highspy"):
        try:  # matcher is installed as volunteer-matcher (the index's "matcher" is another)
            out[pkg] = metadata.version("volunteer-matcher" if pkg == "matcher" else pkg)
        except metadata.PackageNotFoundError:
            continue
    out["python"] = platform.python_version()
    return out


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "platform": platform.platform()}


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def _cell(res: dict[str, Any] | None, ref_seconds: float) -> str:
    if res is None:
        return "—"
    status = res.get("status")
    if status == "ok":
        s = res["seconds"]
        return f"{_fmt_s(s)} ({s / ref_seconds:.2f}×)" if ref_seconds else _fmt_s(s)
    return {
        "not_run": "not run",
        "not_applicable": "n/a",
        "timeout": "timed out",
        "MISMATCH": "**MISMATCH**",
    }.get(status or "", str(status))


def fit_slope(points: list[tuple[float, float]]) -> float | None:
    """Slope of log(time) against log(size), least squares; None with < 2 points."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    n = len(pts)
    mx = sum(p[0] for p in pts) / n
    my = sum(p[1] for p in pts) / n
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def scaling(cases: list[dict[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """(edges, seconds) per method over the cases with an ok time, for the plot."""
    series: dict[str, list[tuple[float, float]]] = {}
    for c in cases:
        edges = None
        for p in c.get("peers", {}).values():
            if p.get("edges"):
                edges = p["edges"]
                break
        if not edges:
            continue
        m = c.get("matcher", {})
        if m.get("status") == "ok":
            series.setdefault("matcher.solve (end to end)", []).append((edges, m["seconds"]))
        b = c.get("bare", {})
        if b.get("status") == "ok":
            series.setdefault("bare OR-Tools (end to end)", []).append((edges, b["seconds"]))
        for name, p in c.get("peers", {}).items():
            if p.get("status") == "ok" and name != "auto":
                series.setdefault(f"{name} (solve)", []).append((edges, p["seconds"]))
    return series


def plot(series: dict[str, list[tuple[float, float]]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for name, pts in sorted(series.items()):
        pts = sorted(pts)
        slope = fit_slope(pts)
        label = f"{name}, slope {slope:.2f}" if slope is not None else name
        ax.loglog([p[0] for p in pts], [p[1] for p in pts], "o-", label=label, alpha=0.8)
    ax.set_xlabel("candidate pairs (edges)")
    ax.set_ylabel("seconds (median)")
    ax.set_title("matcher benchmarks: time vs size (all families)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _cert_share(stages: dict[str, float]) -> str:
    """Certificate time as a share of the rest of the solve stage."""
    cert = stages.get("certify")
    if cert is None:
        return "—"
    rest = stages["solve"] - cert
    return f"{100 * cert / rest:.0f}%" if rest > 0 else "—"


def _cert_net(m: dict[str, Any]) -> str:
    """Solve stage with the certificate against the same stage without it."""
    bare = m.get("solve_uncertified")
    if not bare:
        return "—"
    return f"{100 * (m['stages']['solve'] / bare - 1):+.0f}%"


def _gap(g: dict[str, Any], m: dict[str, Any]) -> str:
    """A non-optimal method's served priority and cost against the optimum's."""
    if g.get("status") != "ok" or m.get("status") != "ok":
        return ""
    out = (
        f"; served priority {100 * (g['served_priority'] / max(m['served_priority'], 1) - 1):+.1f}%"
    )
    return out + f", cost {100 * (g['int_cost'] / max(m['int_cost'], 1) - 1):+.1f}%"


def report(data: dict[str, Any]) -> str:
    lines = [
        "# matcher benchmarks",
        "",
        f"Command: `{data['command']}` (generated {data['date']}, {data['elapsed_s']:.0f} s).",
        "",
        f"Machine: {data['machine']['cpu']}, {data['machine']['cores']} cores, "
        f"{data['machine']['memory']}; {data['machine']['platform']}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in data["versions"].items()) + ".",
        f"Seeds: {data['seeds']}. Repeats per time (median): S {REPEAT['S']}, M {REPEAT['M']}, L {REPEAT['L']}.",
        "",
        *[f"Note: {n}" for n in data.get("notes", [])],
        *([""] if data.get("notes") else []),
        "Every time below is reported only after that peer's objective (served priority,",
        "integer cost, integer penalty) was checked equal to matcher's on the same instance in",
        "the same run. Ratios in brackets are against matcher's own number in the same row.",
        "",
        "## End to end: `matcher.solve()` vs the bare OR-Tools pipeline",
        "",
        "`matcher.solve()` goes from the records to a full Result (reasons, metrics); the bare",
        "pipeline (`benchmarks/peers.py: bare_ortools`) is what a skilled user would write with",
        "numpy, a k-d tree and OR-Tools, and returns only the pairs. matcher's solve stage",
        "includes computing the optimality certificate (node potentials, `Result.certificate`):",
        "*(pot.)* is the time spent computing the potentials as a share of the rest of the solve;",
        "*certificate net* is the solve stage with the certificate against the same stage run",
        "with `certify=False` (the certified path solves with a smaller coverage weight, which the",
        "certificate then proves, so part of the potentials' cost is won back).",
        "",
        "| family | tier | volunteers × needs | edges | matcher build | solve (pot.) | certificate net | assemble | **matcher total** | bare OR-Tools | **ratio** | peak RSS | method |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in data["cases"]:
        m = c.get("matcher", {})
        if m.get("status") != "ok":
            lines.append(f"| {c['family']} | {c['tier']} | | | | | | | {m.get('status')} | | | | |")
            continue
        st = m["stages"]
        edges = next((p.get("edges") for p in c.get("peers", {}).values() if p.get("edges")), None)
        b = c.get("bare", {})
        ratio = f"{m['seconds'] / b['seconds']:.2f}" if b.get("status") == "ok" else _cell(b, 0)
        nv, nn = c["size"]
        lines.append(
            f"| {c['family']} | {c['tier']} | {nv:,} × {nn:,} | {edges or 0:,} | {_fmt_s(st['build_graph'])} | "
            f"{_fmt_s(st['solve'])} ({_cert_share(st)}) | {_cert_net(m)} | {_fmt_s(st['assemble'])} | **{_fmt_s(st['total'])}** | "
            f"{_cell(b, 0)} | **{ratio}** | {m['rss_peak_mib']:.0f} MiB | {m['method']} |"
        )
    lines += [
        "",
        "## Solve stage: every method and peer on matcher's candidate graph",
        "",
        "Same graph for all (built untimed); time of the solve only; ratio against matcher's `flow`.",
        "greedy and stable (deferred acceptance) are not optimal: their gap to the optimum follows.",
        "`n/a`: the method cannot express the instance exactly (hungarian, scipy: a volunteer who",
        "can take two needs meets a need wanting two volunteers, or one-need-per-slot can bind).",
        "",
        "| family | tier | edges | flow | auto (chose) | hungarian | scipy matching | HiGHS LP | networkx | greedy (gap) | stable (gap) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in data["cases"]:
        p = c.get("peers", {})
        flow = p.get("flow", {})
        ref_s = flow.get("seconds", 0) if flow.get("status") == "ok" else 0
        edges = next((x.get("edges") for x in p.values() if x.get("edges")), 0)
        auto = p.get("auto", {})
        auto_cell = _cell(auto, ref_s) + (
            f" {auto.get('method', '')}" if auto.get("status") == "ok" else ""
        )
        m = c.get("matcher", {})

        g, sb = p.get("greedy", {}), p.get("stable", {})
        lines.append(
            f"| {c['family']} | {c['tier']} | {edges:,} | {_cell(flow, 0)} | {auto_cell} | "
            f"{_cell(p.get('hungarian'), ref_s)} | {_cell(p.get('scipy_matching'), ref_s)} | "
            f"{_cell(p.get('highs_lp'), ref_s)} | {_cell(p.get('network_simplex'), ref_s)} | "
            f"{_cell(g, ref_s)}{_gap(g, m)} | {_cell(sb, ref_s)}{_gap(sb, m)} |"
        )
    if data.get("parallel"):
        lines += [
            "",
            "## Independent parts in parallel (clustered city, `same_community=True`)",
            "",
            "Same plan checked identical; `backend` is the time inside the solver summed over parts.",
            "",
            "| tier | serial solve | 2 processes solve | speed-up | serial total | 2 proc total | outside the solver (serial) | identical |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in data["parallel"]:
            if r.get("status") != "ok":
                lines.append(f"| {r['job']['tier']} | {r.get('status')} | | | | | | |")
                continue
            s, q = r["serial"], r["parallel"]
            outside = 1 - s["backend"] / s["total"] if s["total"] else 0
            lines.append(
                f"| {r['job']['tier']} | {_fmt_s(s['solve'])} | {_fmt_s(q['solve'])} | "
                f"{s['solve'] / q['solve']:.2f}× | {_fmt_s(s['total'])} | {_fmt_s(q['total'])} | "
                f"{outside:.0%} | {r['identical']} |"
            )
    if data.get("slopes"):
        lines += ["", "## Scaling (log-log, fitted slope of time vs edges)", ""]
        lines += ["| series | slope | points |", "|---|---|---|"]
        for name, (slope, n) in sorted(data["slopes"].items()):
            lines.append(
                f"| {name} | {slope:.2f} | {n} |" if slope is not None else f"| {name} | — | {n} |"
            )
        if data.get("plot"):
            lines += ["", f"![time vs size]({data['plot']})"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--tier", action="append", choices=TIERS, help="tiers to run (default: all)")
    ap.add_argument("--family", action="append", choices=FAMILIES, help="families (default: all)")
    ap.add_argument("--seed", type=int, action="append", help="seeds (default: 0)")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"), help="markdown report to write")
    ap.add_argument("--no-parallel", action="store_true", help="skip the serial vs parallel run")
    args = ap.parse_args(argv)
    tiers = args.tier or list(TIERS)
    families = args.family or list(FAMILIES)
    seeds = args.seed or [0]
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    t0 = time.time()
    cases = [
        run_case(f, t, s, log)
        for t in tiers
        for f in families
        for s in seeds
        if sizes(f, t) is not None
    ]
    parallel = []
    if not args.no_parallel and "clustered_same" in families:
        parallel = [run_parallel("clustered_same", t, seeds[0], log) for t in tiers if t != "S"]
    series = scaling(cases)
    out = Path(args.out)
    png = out.with_suffix(".png")
    data: dict[str, Any] = {
        "command": command.strip(),
        "date": time.strftime("%Y-%m-%d"),
        "elapsed_s": time.time() - t0,
        "machine": _machine(),
        "versions": _versions(),
        "seeds": seeds,
        "cases": cases,
        "parallel": parallel,
        "slopes": {k: (fit_slope(v), len(v)) for k, v in series.items()},
        "plot": png.name if plot(series, png) else None,
    }
    out.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n")
    out.write_text(report(data))
    log(f"wrote {out}, {out.with_suffix('.json')}" + (f", {png}" if data["plot"] else ""))
    return 0
