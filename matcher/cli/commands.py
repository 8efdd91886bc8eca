"""The commands: demo, solve, explain, generate, report, bench, verify (roster, gaps: outputs.py)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from .. import io as mio
from ..errors import InputError, InputProblem
from ..model import Problem, unmet_names
from ..model.names import NameWarning
from ..planning.solving import solve
from ..result import Result, other_data
from ..verify import verify
from . import outputs
from .inputs import file_options, policy_for, with_policy_flags
from .summary import _plain, _summary_json, format_summary

__all__ = ["demo_paths"]


DEMO_FILES = {
    "volunteers": "demo_volunteers.csv",
    "needs": "demo_needs.csv",
    "policy": "demo_policy.json",
}


def demo_paths() -> dict[str, Path]:
    """Paths of the demo community's files shipped in ``matcher/synthetic/data``."""
    base = resources.files("matcher.synthetic") / "data"
    return {k: Path(str(base / name)) for k, name in DEMO_FILES.items()}


def write_demo_files(directory: str | Path) -> dict[str, Path]:
    """Regenerate the demo files from :func:`matcher.synthetic.demo` into *directory*."""
    from ..synthetic import demo

    community = demo()
    d = Path(directory)
    paths = {k: d / name for k, name in DEMO_FILES.items()}
    mio.write_volunteers_csv(community.volunteers, paths["volunteers"])
    mio.write_needs_csv(community.needs, paths["needs"])
    mio.write_json(community.policy, paths["policy"])
    return paths


def _pair_files(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in ("pinned", "forbidden", "history") if getattr(args, k)}


def _name_warnings(problem: Problem, args: argparse.Namespace) -> list[NameWarning]:
    """Slots and skills of needs that no volunteer has; with --strict, an InputError."""
    warnings = unmet_names(problem)
    if warnings and getattr(args, "strict", False):
        raise InputError([w.to_problem() for w in warnings])
    return warnings


def _warnings_text(warnings: list[NameWarning]) -> str:
    if not warnings:
        return ""
    lines = [f"Warnings: {len(warnings)} name(s) no volunteer has (--strict makes them errors):"]
    return "\n".join([*lines, *(f"  {w}" for w in warnings)])


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return _demo(args)
    if args.command == "solve":
        return _solve(args)
    if args.command == "explain":
        return _explain(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "generate":
        return _generate(args)
    if args.command == "bench":
        return _bench(args)
    if args.command == "report":
        return _report(args)
    if args.command == "roster":
        return outputs.roster_command(args)
    if args.command == "gaps":
        return outputs.gaps_command(args)
    raise AssertionError(args.command)  # argparse allows only the commands above


def _demo(args: argparse.Namespace) -> int:
    """Solve the shipped demo community; print its summary (text or JSON)."""
    paths = demo_paths()
    problem = mio.read_problem(paths["volunteers"], paths["needs"], paths["policy"])
    problem = with_policy_flags(problem, args)
    warnings = _name_warnings(problem, args)
    if args.participation:
        policy = dataclasses.replace(problem.policy, participation=True)
        problem = dataclasses.replace(problem, policy=policy)
    result = solve(problem, method=args.method)
    plain = _plain(problem, args.method)
    if args.out:
        mio.write_json(result, args.out)
    if args.json:
        summary = {**_summary_json(result, args.out, plain), "warnings": warnings_json(warnings)}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        title = "matcher demo: the built-in synthetic community"
        print(format_summary(result, problem, title, plain=plain))
        if warnings:
            print(_warnings_text(warnings))
    return 0


def warnings_json(warnings: list[NameWarning]) -> list[dict[str, Any]]:
    """The ``warnings`` of a JSON summary: names that cannot meet."""
    return [w.to_dict() for w in warnings]


def _solve(args: argparse.Namespace) -> int:
    """Solve the user's files, write the result (and plan CSV), print the summary."""
    missing = outputs.missing_dependency(args)
    if missing is not None:  # before anything is solved or written
        print(f"matcher: {missing}", file=sys.stderr)
        return 2
    if args.problem:
        problem = mio.read_problem(problem=args.problem, **_pair_files(args))
    else:
        problem = mio.read_problem(
            args.volunteers, args.needs, args.policy, **_pair_files(args), **file_options(args)
        )
    problem = with_policy_flags(problem, args)
    warnings = _name_warnings(problem, args)
    previous = mio.read_result(args.previous) if args.previous else None
    with _Progress(["solve", "write"], quiet=args.quiet or args.json) as bar:
        result = solve(problem, method=args.method, previous=previous, churn_cost=args.churn_cost)
        bar.step()
        _write_outputs(result, problem, args)
        bar.step()
    plain = None
    if args.json or not args.quiet:
        plain = _plain(problem, args.method, previous=previous, churn_cost=args.churn_cost)
    if args.json:
        summary = {**_summary_json(result, args.out, plain), "warnings": warnings_json(warnings)}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    elif not args.quiet:
        title = f"matcher solve: wrote {args.out}"
        print(format_summary(result, problem, title, plain=plain))
        if warnings:
            print(_warnings_text(warnings))
    return 0


def _explain(args: argparse.Namespace) -> int:
    """Print what a result does for one need; exit 2 if the need is not in it.

    With the problem, an unserved need's detail too (:func:`matcher.planning.explain`).
    """
    return outputs.explain_command(args)


def _report(args: argparse.Namespace) -> int:
    """Read the result (and problem) and write the HTML report."""
    from ..report import write_report

    report_result, report_problem = _report_inputs(args)
    # without matplotlib: MissingDependency, exit 2 with the install command (cli.main)
    write_report(report_result, args.out, report_problem, title=args.title)
    print(f"matcher report: wrote {args.out}")
    return 0


def _report_inputs(args: argparse.Namespace) -> tuple[Result, Problem | None]:
    """The result and (if given) problem of ``report``; every input problem at once."""
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
                policy = policy_for(args.policy, report_result)
                report_problem = mio.read_problem(
                    args.volunteers, args.needs, policy, **_pair_files(args), **file_options(args)
                )
        except InputError as exc:
            found += exc.problems
    if found or report_result is None:
        raise InputError(found)
    if report_problem is not None:
        report_problem = with_policy_flags(report_problem, args)
    return report_result, report_problem


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


def _generate(args: argparse.Namespace) -> int:
    from ..synthetic import generate

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
    from ..synthetic.families import FAMILIES, sizes
    from . import bench

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
    """Write ``--out`` and the tables people read: all, or (on failure) none new.

    The tables are ``--plan-csv``, ``--plan-xlsx`` and ``--roster-csv``. Each file is written atomically; if a later write fails, the files written
    before it that did not exist before are removed again (one that existed
    keeps its new content: the old one is not kept around).
    """
    out = Path(args.out)

    def write_result() -> None:
        mio.write_json(result, out, timings=not args.no_timings)

    targets = [(out, write_result), *outputs.table_writers(result, problem, args)]
    new = [path for path, _ in targets if not path.exists()]
    try:
        for _, write in targets:
            write()
    except BaseException:
        for path in new:
            path.unlink(missing_ok=True)
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
    result = mio.read_result(args.files[-1])
    if from_csv:
        policy = policy_for(args.policy, result)
        problem = mio.read_problem(
            args.volunteers, args.needs, policy, **_pair_files(args), **file_options(args)
        )
    else:
        problem = mio.read_problem(problem=args.files[0], **_pair_files(args))
    problem = with_policy_flags(problem, args)
    other = other_data(result, problem)
    if other is not None:  # not a wrong plan: a plan of other data (nothing to verify)
        print(f"Not verified: {other}", file=sys.stderr)
        return 3
    found = verify(problem, result)
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
