"""The ``matcher`` command line.

``matcher demo``
    Solve the built-in synthetic community (shipped as CSV files with the
    package) and print a summary a coordinator can read.
``matcher solve --volunteers V.csv --needs N.csv [--policy P.json] [--method M] --out R.json``
    Solve your own data; write the result JSON (and ``--plan-csv`` for a plan
    with your own columns carried through).
``matcher explain R.json NEED_ID``
    Say what a result does for one need.
``matcher generate --out DIR [--seed N] [--format csv|json]``
    Write a reproducible synthetic community.
``matcher report R.json --out report.html [--problem P.json | --volunteers V --needs N]``
    One self-contained HTML page for a coordinator.
``matcher bench [--tier S]``
    Every method on the benchmark families, answers checked equal.
``matcher verify P.json R.json`` (or ``--volunteers V.csv --needs N.csv [--policy P.json] R.json``)
    Re-check a result against its problem, optimality certificate included.

Exit codes: 0 success, 1 internal error, 2 bad input (the problems are
listed on stderr), 3 verification failed (the violations are listed).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from . import io as mio
from ._version import __version__
from .api import methods, solve
from .errors import InputError, InputProblem, MatcherError, UnsupportedProblem
from .model import Problem
from .result import FILTERS, Result

__all__ = ["demo_paths", "format_summary", "main"]

DEMO_FILES = {
    "volunteers": "demo_volunteers.csv",
    "needs": "demo_needs.csv",
    "policy": "demo_policy.json",
}


def demo_paths() -> dict[str, Path]:
    """Paths of the demo community's files shipped in ``matcher/data``."""
    base = resources.files("matcher") / "data"
    return {k: Path(str(base / name)) for k, name in DEMO_FILES.items()}


def write_demo_files(directory: str | Path) -> dict[str, Path]:
    """Regenerate the demo files from :func:`matcher.synthetic.demo` into *directory*."""
    from .synthetic import demo

    community = demo()
    d = Path(directory)
    paths = {k: d / name for k, name in DEMO_FILES.items()}
    mio.write_volunteers_csv(community.volunteers, paths["volunteers"])
    mio.write_needs_csv(community.needs, paths["needs"])
    mio.write_json(community.policy, paths["policy"])
    return paths


def _bar(share: float, width: int = 20) -> str:
    full = round(share * width)
    return "#" * full + "." * (width - full)


def format_summary(
    result: Result,
    problem: Problem,
    title: str,
    max_unmatched: int = 12,
    plain: Result | None = None,
) -> str:
    """A plain-text summary of a result: coverage, participation, reasons, timings.

    *plain*: the plan of the same problem without ``Policy.participation``,
    shown next to it (what the participation level did).
    """
    m = result.metrics
    needs = {n.id: n for n in problem.needs}
    served: Counter[str] = Counter()
    for match in result.matches:
        served[match.need_id] += 1
    lines = [
        title,
        f"  {len(problem.volunteers)} volunteers, {len(problem.needs)} needs ({m.units_demanded} units)",
        f"  method {result.method} ({result.status.value}); objective: served priority "
        f"{result.objective.served_priority}, cost {result.objective.cost:.3f}",
        "",
        f"Coverage        {m.coverage:6.1%} of units ({m.units_served}/{m.units_demanded}); "
        f"priority-weighted {m.priority_coverage:.1%}",
        f"Participation   {m.participation_rate:6.1%} of volunteers ({m.volunteers_used}/{m.volunteers}); "
        f"load mean {m.mean_load:.2f}, max {m.max_load}, Gini {m.load_gini:.2f}",
        f"Travel          {m.mean_distance_km:6.2f} km mean per match; mean cost {m.mean_cost:.3f}",
    ]
    if plain is not None:
        q = plain.metrics
        lines.append(
            f"  without the participation level: {q.participation_rate:.1%} of volunteers "
            f"({q.volunteers_used}/{q.volunteers}), coverage {q.coverage:.1%}, "
            f"mean {q.mean_distance_km:.2f} km, cost {plain.objective.cost:.3f}"
        )
    if result.churn is not None:
        c = result.churn
        lines.append(
            f"Churn           {c.kept} pairs kept, {c.moved} moved, {c.added} added, "
            f"{c.dropped} dropped (of {len(c.previous)} before; churn cost {c.cost:g})"
        )

    def table(name: str, key: str, shares: dict[str, float]) -> None:
        units: Counter[str] = Counter()
        got: Counter[str] = Counter()
        for n in problem.needs:
            k = getattr(n, key) or "(unknown)"
            units[k] += n.demand
            got[k] += served[n.id]
        lines.extend(["", name])
        width = max((len(k) for k in shares), default=0)
        for k, share in shares.items():
            lines.append(f"  {k:<{width}}  {_bar(share)} {share:6.1%}  ({got[k]}/{units[k]})")

    table("Coverage by category", "category", m.coverage_by_category)
    table("Coverage by community", "community", m.coverage_by_community)
    if m.participation_by_unit:
        lines.extend(["", "Participation by employer unit"])
        width = max(len(k) for k in m.participation_by_unit)
        for k, share in m.participation_by_unit.items():
            lines.append(f"  {k:<{width}}  {_bar(share)} {share:6.1%}")

    lines.extend(["", f"Unmatched needs: {len(result.unmatched)}"])
    if result.unmatched:
        reasons = Counter(u.reason for u in result.unmatched)
        lines.append("  reasons: " + ", ".join(f"{r} {c}" for r, c in reasons.most_common()))
        head = "filters " + " > ".join(FILTERS)
        lines.append(
            f"  {'need':<8} {'category':<14} {'pri':>3} {'miss':>4}  {'reason':<16} {head}"
        )
        worst = sorted(result.unmatched, key=lambda u: (-needs[u.need_id].priority, u.need_id))
        for u in worst[:max_unmatched]:
            n = needs[u.need_id]
            counts = " > ".join(str(c) for c in u.candidates)
            lines.append(
                f"  {u.need_id:<8} {n.category:<14} {n.priority:>3} {u.missing:>4}  {u.reason:<16} {counts}"
            )
        if len(worst) > max_unmatched:
            lines.append(f"  ... and {len(worst) - max_unmatched} more (highest priority first)")
    t = result.timings
    lines.extend(
        [
            "",
            "Timings (s)     "
            + ", ".join(
                f"{k} {t[k]:.3f}" for k in ("build_graph", "solve", "assemble", "total") if k in t
            ),
        ]
    )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    method_help = "; ".join(f"{k}: {v}" for k, v in methods().items())
    p = argparse.ArgumentParser(
        prog="matcher",
        description="Match community volunteers to residents' needs, exactly.",
        epilog="Exit codes: 0 ok, 1 internal error, 2 bad input, 3 verification failed.",
    )
    p.add_argument("--version", action="version", version=f"matcher {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser(
        "demo",
        help="solve the built-in synthetic community and print a summary",
        description="Solve the built-in synthetic community (shipped with the package) and print a summary.",
        epilog="Example: matcher demo --method flow\nParticipation first: matcher demo --participation",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("--method", default="auto", help=method_help)
    d.add_argument(
        "--participation",
        action="store_true",
        help="make members engaged a level of the objective (coverage, then members, then "
        "cost) and show the plan without it next to it",
    )
    d.add_argument("--out", help="also write the result JSON here")
    d.add_argument("--json", action="store_true", help="print a machine-readable summary (JSON)")

    s = sub.add_parser(
        "solve",
        help="solve your own volunteers and needs",
        description="Solve volunteers and needs from CSV or JSON files; write the result as JSON.",
        epilog=(
            "Example: matcher solve --volunteers v.csv --needs n.csv --policy p.json --out result.json\n"
            "Re-plan: matcher solve --volunteers v.csv --needs n2.csv --previous result.json "
            "--churn-cost 1.0 --out result2.json\n"
            "Continuity: matcher solve --volunteers v.csv --needs n.csv --policy p.json "
            "--history last_week_plan.csv --out result.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--volunteers", help="volunteers CSV (or JSON)")
    s.add_argument("--needs", help="needs CSV (or JSON)")
    s.add_argument("--policy", help="policy JSON (default: the default Policy)")
    s.add_argument("--problem", help="one problem JSON instead of --volunteers/--needs/--policy")
    _add_pair_options(s)
    s.add_argument("--method", default="auto", help=method_help)
    s.add_argument(
        "--previous", help="result JSON of the plan this one replaces: report (and limit) churn"
    )
    s.add_argument(
        "--churn-cost",
        type=float,
        help="with --previous: cost of changing a previous pair (km-equivalent); keep pairs "
        "unless a change gains more",
    )
    s.add_argument("--out", required=True, help="result JSON to write")
    s.add_argument(
        "--plan-csv", help="also write the plan as CSV, with your own columns carried through"
    )
    s.add_argument("--quiet", action="store_true", help="do not print the summary")
    s.add_argument(
        "--no-timings",
        action="store_true",
        help="leave timings out of the result JSON: identical input, byte-identical file",
    )
    s.add_argument("--json", action="store_true", help="print a machine-readable summary (JSON)")

    g = sub.add_parser(
        "generate",
        help="write a synthetic community (CSV or JSON) from a few parameters and a seed",
        description=(
            "Draw a reproducible synthetic community (matcher.synthetic.generate): buildings in "
            "communities, households, members who volunteer with skills from their occupation, "
            "and needs. The same seed writes the same files on every machine."
        ),
        epilog="Example: matcher generate --out city --seed 7 --communities 4 --format csv",
    )
    g.add_argument("--out", required=True, help="directory to write into (created if missing)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--communities", type=int, default=3, help="communities (default 3)")
    g.add_argument("--buildings", type=int, default=40, help="buildings per community (40)")
    g.add_argument("--households", type=int, default=60, help="households per building (60)")
    g.add_argument(
        "--volunteer-share", type=float, default=0.02, help="share of members who volunteer (0.02)"
    )
    g.add_argument("--needs", type=int, default=None, help="needs (default: 1 per 29 households)")
    g.add_argument(
        "--format",
        choices=("csv", "json"),
        default="csv",
        help="csv: volunteers.csv, needs.csv, policy.json; json: one problem.json",
    )
    g.add_argument("--json", action="store_true", help="print the files written as JSON")

    b = sub.add_parser(
        "bench",
        help="run the small benchmark tier: every family, every method, answers checked",
        description=(
            "Time every method on the benchmark families at one tier (S: 300 volunteers x 500 "
            "needs) after checking that the exact methods agree. The full table with external "
            "peers is 'python -m benchmarks' in a checkout."
        ),
        epilog="Example: matcher bench --tier S --repeat 3",
    )
    b.add_argument("--tier", choices=("S", "M", "L"), default="S", help="instance size (S)")
    b.add_argument("--family", action="append", help="families to run (default: all)")
    b.add_argument("--seed", type=int, default=0, help="instance seed (0)")
    b.add_argument("--repeat", type=int, default=3, help="runs per time, median reported (3)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.add_argument("--json", action="store_true", help="print the rows as JSON")

    e = sub.add_parser(
        "explain",
        help="explain what a result does for one need",
        epilog="Example: matcher explain result.json n0042",
    )
    e.add_argument("result", help="result JSON written by 'matcher solve'")
    e.add_argument("need_id")
    e.add_argument("--json", action="store_true", help="print the need's matches and gaps as JSON")

    v = sub.add_parser(
        "verify",
        help="check a result against its problem, optimality certificate included",
        description=(
            "Re-check a result against the problem it claims to solve, independently of the "
            "solvers: every pair feasible, every capacity, demand, slot and pinned rule, every "
            "need accounted for, the objective, and the optimality certificate. Exit 0 when "
            "everything holds, 3 when something does not (each violation is printed)."
        ),
        epilog=(
            "Examples: matcher verify problem.json result.json\n"
            "          matcher verify --volunteers v.csv --needs n.csv --policy p.json result.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("files", nargs="+", metavar="FILE", help="[PROBLEM.json] RESULT.json")
    v.add_argument("--volunteers", help="volunteers CSV (or JSON), instead of PROBLEM.json")
    v.add_argument("--needs", help="needs CSV (or JSON)")
    v.add_argument("--policy", help="policy JSON (default: the default Policy)")
    _add_pair_options(v)
    v.add_argument("--json", action="store_true", help="print the violations as JSON")
    r = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a result, for a coordinator",
        description=(
            "Write one self-contained HTML file (figures inline, nothing loaded from the\n"
            "network): the headline numbers, coverage by category and by community, the load\n"
            "per volunteer, participation by employer unit, a map, and every unmatched need\n"
            "with its reason. With the problem (--problem, or --volunteers/--needs/--policy)\n"
            "the result is also verified and the map is drawn. Personal columns of the input\n"
            'are never included. Needs matplotlib: pip install "matcher[report]".'
        ),
        epilog=(
            "Examples: matcher report result.json --out report.html --problem problem.json\n"
            "          matcher report result.json --out report.html "
            "--volunteers v.csv --needs n.csv --policy p.json\n"
            "Exit codes: 0 ok, 1 internal error (e.g. matplotlib missing), "
            "2 bad input (nothing written)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("result", help="result JSON written by 'matcher solve'")
    r.add_argument("--out", required=True, help="HTML file to write")
    r.add_argument(
        "--problem", help="the problem JSON the result solves (adds the verification and the map)"
    )
    r.add_argument("--volunteers", help="volunteers CSV (or JSON), instead of --problem")
    r.add_argument("--needs", help="needs CSV (or JSON)")
    r.add_argument("--policy", help="policy JSON (default: the default Policy)")
    _add_pair_options(r)
    r.add_argument("--title", help="heading of the report (default: Volunteer matching report)")
    return p


def _add_pair_options(parser: argparse.ArgumentParser) -> None:
    """--pinned, --forbidden and --history: pairs CSV (or JSON) files."""
    parser.add_argument(
        "--pinned", help="pairs CSV (need_id,volunteer_id) that must be in the plan"
    )
    parser.add_argument("--forbidden", help="pairs CSV (need_id,volunteer_id) never to match")
    parser.add_argument(
        "--history",
        help="pairs CSV served before (need_id or household, volunteer_id; a plan CSV works): "
        "cheaper to pair again under Weights.continuity",
    )


def _pair_files(args: argparse.Namespace) -> dict[str, str]:
    return {k: getattr(args, k) for k in ("pinned", "forbidden", "history") if getattr(args, k)}


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        paths = demo_paths()
        problem = mio.read_problem(paths["volunteers"], paths["needs"], paths["policy"])
        if args.participation:
            policy = dataclasses.replace(problem.policy, participation=True)
            problem = dataclasses.replace(problem, policy=policy)
        result = solve(problem, method=args.method)
        plain = _plain(problem, args.method)
        if args.out:
            mio.write_json(result, args.out)
        if args.json:
            print(json.dumps(_summary_json(result, args.out, plain), ensure_ascii=False, indent=2))
        else:
            title = "matcher demo: the built-in synthetic community"
            print(format_summary(result, problem, title, plain=plain))
        return 0
    if args.command == "solve":
        if args.problem:
            problem = mio.read_problem(problem=args.problem, **_pair_files(args))
        else:
            problem = mio.read_problem(
                args.volunteers, args.needs, args.policy, **_pair_files(args)
            )
        previous = mio.read_result(args.previous) if args.previous else None
        with _Progress(["solve", "write"], quiet=args.quiet or args.json) as bar:
            result = solve(
                problem, method=args.method, previous=previous, churn_cost=args.churn_cost
            )
            bar.step()
            _write_outputs(result, problem, args)
            bar.step()
        plain = None
        if args.json or not args.quiet:
            plain = _plain(problem, args.method, previous=previous, churn_cost=args.churn_cost)
        if args.json:
            print(json.dumps(_summary_json(result, args.out, plain), ensure_ascii=False, indent=2))
        elif not args.quiet:
            title = f"matcher solve: wrote {args.out}"
            print(format_summary(result, problem, title, plain=plain))
        return 0
    if args.command == "explain":
        result = mio.read_result(args.result)
        try:
            text = result.explain(args.need_id)
            if args.json:
                print(json.dumps(_need_json(result, args.need_id), ensure_ascii=False, indent=2))
            else:
                print(text)
        except KeyError as exc:
            print(f"matcher: {exc.args[0]}", file=sys.stderr)
            return 2
        return 0
    if args.command == "verify":
        return _verify(args)
    if args.command == "generate":
        return _generate(args)
    if args.command == "bench":
        return _bench(args)
    if args.command == "report":
        from .report import write_report

        found: list[InputProblem] = []
        report_result: Result | None = None
        report_problem: Problem | None = None
        from_files = args.volunteers or args.needs or args.policy
        both = bool(args.problem and from_files)
        if _pair_files(args) and not (args.problem or from_files):
            found.append(
                InputProblem(
                    "report",
                    "--" + next(iter(_pair_files(args))),
                    "--problem or --volunteers/--needs with it",
                    "no problem",
                    kind="option",
                )
            )
        if both:
            found.append(
                InputProblem(
                    "report",
                    "--problem",
                    "either --problem or --volunteers/--needs/--policy",
                    "both",
                    kind="option",
                )
            )
        try:
            report_result = mio.read_result(args.result)
        except InputError as exc:
            found += exc.problems
        if not both:  # every problem of the files at once, the result's and the problem's
            try:
                if args.problem:
                    report_problem = mio.read_problem(problem=args.problem, **_pair_files(args))
                elif from_files:
                    report_problem = mio.read_problem(
                        args.volunteers, args.needs, args.policy, **_pair_files(args)
                    )
            except InputError as exc:
                found += exc.problems
        if found or report_result is None:
            raise InputError(found)
        try:
            write_report(report_result, args.out, report_problem, title=args.title)
        except ImportError as exc:  # matplotlib missing: the message says how to install it
            print(f"matcher: {exc}", file=sys.stderr)
            return 1
        print(f"matcher report: wrote {args.out}")
        return 0
    raise AssertionError(args.command)  # argparse allows only the commands above


class _Progress:
    """A tqdm bar on stderr over named steps; silent when quiet or stderr is not a terminal."""

    def __init__(self, steps: list[str], quiet: bool = False) -> None:
        self.steps = steps
        self.bar: Any = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=len(steps), file=sys.stderr, leave=False, desc=steps[0])
        self.done = 0

    def step(self, label: str | None = None) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            nxt = label or (self.steps[self.done] if self.done < len(self.steps) else "")
            self.bar.set_description(nxt)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _plain(problem: Problem, method: str, **options: Any) -> Result | None:
    """With ``Policy.participation``: the plan without that level, to show next to it."""
    if not problem.policy.participation:
        return None
    policy = dataclasses.replace(problem.policy, participation=False)
    return solve(dataclasses.replace(problem, policy=policy), method=method, **options)


def _summary_json(result: Result, out: str | None, plain: Result | None = None) -> dict[str, Any]:
    """What ``--json`` prints for ``demo`` and ``solve``."""
    return {
        "out": out,
        "status": result.status.value,
        "method": result.method,
        "objective": dataclasses.asdict(result.objective),
        "metrics": result.metrics.to_dict(),
        "matches": len(result.matches),
        "unmatched": {
            u.need_id: {"missing": u.missing, "reason": u.reason} for u in result.unmatched
        },
        "certificate": result.certificate is not None,
        "churn": None
        if result.churn is None
        else {k: v for k, v in result.churn.to_dict().items() if k != "previous"},
        "timings": dict(result.timings),
        "without_participation": None
        if plain is None
        else {
            "objective": dataclasses.asdict(plain.objective),
            "participation_rate": plain.metrics.participation_rate,
            "volunteers_used": plain.metrics.volunteers_used,
            "coverage": plain.metrics.coverage,
        },
    }


def _need_json(result: Result, need_id: str) -> dict[str, Any]:
    """What ``explain --json`` prints: the need's matches and unserved units."""
    return {
        "need_id": need_id,
        "matches": [
            dataclasses.asdict(m) | {"parts": dict(m.parts)}
            for m in result.matches
            if m.need_id == need_id
        ],
        "unmatched": [
            dataclasses.asdict(u) | {"candidates": dict(zip(FILTERS, u.candidates, strict=False))}
            for u in result.unmatched
            if u.need_id == need_id
        ],
    }


def _generate(args: argparse.Namespace) -> int:
    from .synthetic import generate

    community = generate(
        rng=args.seed,
        n_communities=args.communities,
        buildings_per_community=args.buildings,
        households_per_building=args.households,
        volunteer_share=args.volunteer_share,
        n_needs=args.needs,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.format == "json":
        paths = {"problem": out / "problem.json"}
        mio.write_json(community.problem(), paths["problem"])
    else:
        paths = {
            k: out / f"{k}.{'json' if k == 'policy' else 'csv'}"
            for k in ("volunteers", "needs", "policy")
        }
        mio.write_volunteers_csv(community.volunteers, paths["volunteers"])
        mio.write_needs_csv(community.needs, paths["needs"])
        mio.write_json(community.policy, paths["policy"])
    info = {
        "files": {k: str(v) for k, v in paths.items()},
        "volunteers": len(community.volunteers),
        "needs": len(community.needs),
        "seed": args.seed,
    }
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        names = ", ".join(str(p) for p in paths.values())
        print(
            f"matcher generate: {info['volunteers']} volunteers, {info['needs']} needs -> {names}"
        )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from . import bench
    from .families import FAMILIES, sizes

    families = args.family or list(FAMILIES)
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise InputError(
            [
                InputProblem(
                    "bench",
                    "family",
                    f"one of {', '.join(FAMILIES)}",
                    ", ".join(unknown),
                    kind="option",
                )
            ]
        )
    steps = [
        f"{f}: {m}"
        for f in families
        if sizes(f, args.tier) is not None
        for m in ("build", *bench.BENCH_METHODS)
    ]
    with _Progress(steps, quiet=args.quiet or args.json) as bar:
        started = False

        def tick(label: str) -> None:
            nonlocal started
            if started:
                bar.step(label)
            started = True

        rows = bench.run(args.tier, families, seed=args.seed, repeat=args.repeat, progress=tick)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(
            f"matcher bench, tier {args.tier} (times in ms, median of {args.repeat}; "
            "exact methods checked equal; greedy: served-priority gap)"
        )
        print(bench.format_table(rows))
    return 0


def _write_outputs(result: Result, problem: Problem, args: argparse.Namespace) -> None:
    """Write ``--out`` and ``--plan-csv``: both, or (on failure) neither new.

    Each file is written atomically; if the second write fails, a first file
    that did not exist before is removed again (one that existed keeps its
    new content: the old one is not kept around).
    """
    out = Path(args.out)
    existed = out.exists()
    mio.write_json(result, out, timings=not args.no_timings)
    if args.plan_csv:
        try:
            mio.write_plan_csv(result, problem, args.plan_csv)
        except BaseException:
            if not existed:
                out.unlink(missing_ok=True)
            raise


def _verify(args: argparse.Namespace) -> int:
    from_csv = args.volunteers is not None or args.needs is not None
    if len(args.files) != (1 if from_csv else 2):
        usage = "RESULT.json" if from_csv else "PROBLEM.json RESULT.json"
        raise InputError(
            [
                InputProblem(
                    "verify", "files", usage, " ".join(args.files) or "nothing", kind="option"
                )
            ]
        )
    if from_csv:
        problem = mio.read_problem(args.volunteers, args.needs, args.policy, **_pair_files(args))
    else:
        problem = mio.read_problem(problem=args.files[0], **_pair_files(args))
    result = mio.read_result(args.files[-1])
    found = result.verify(problem)
    if args.json:
        print(json.dumps([dataclasses.asdict(x) for x in found], ensure_ascii=False, indent=2))
    elif found:
        print(f"{len(found)} violation(s):")
        for x in found:
            print(f"  {x}")
    else:
        proof = (
            "optimality proven by the certificate"
            if result.status.value == "optimal"
            else "feasible (not claimed optimal)"
        )
        print(
            f"OK: {len(result.matches)} matches, {len(result.unmatched)} unmatched; every rule "
            f"holds, the objective is right; {proof}."
        )
    return 3 if found else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except InputError as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2
    except UnsupportedProblem as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2
    except MatcherError as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``matcher ... | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"matcher: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
