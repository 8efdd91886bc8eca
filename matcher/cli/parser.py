"""The command line's arguments: one sub-parser per command, each with an example in its help."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .._version import __version__
from ..io.write import EXCEL_INSTALL
from ..planning.solving import methods

if TYPE_CHECKING:  # pragma: no cover
    from typing import TypeAlias

    # argparse names the type of add_subparsers() only privately
    _Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def _parser() -> argparse.ArgumentParser:
    method_help = "; ".join(f"{k}: {v}" for k, v in methods().items())
    p = argparse.ArgumentParser(
        prog="matcher",
        description="Match community volunteers to residents' needs, exactly.",
        epilog="Exit codes: 0 ok, 1 internal error, 2 bad input, 3 verification failed.",
    )
    p.add_argument("--version", action="version", version=f"matcher {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _add_demo(sub, method_help)
    _add_solve(sub, method_help)
    _add_generate(sub)
    _add_bench(sub)
    _add_explain(sub)
    _add_verify(sub)
    _add_report(sub)
    _add_roster(sub)
    _add_gaps(sub)
    return p


def _add_demo(sub: _Subparsers, method_help: str) -> None:
    """Add the ``demo`` sub-parser: solve the shipped community, print its summary."""
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
    _add_strict_option(d)
    _add_policy_flags(d)


def _add_solve(sub: _Subparsers, method_help: str) -> None:
    """Add the ``solve`` sub-parser: solve the user's files, write the result JSON."""
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
    _add_policy_flags(s)
    _add_file_options(s)
    _add_strict_option(s)
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
    _add_table_options(s)
    s.add_argument("--quiet", action="store_true", help="do not print the summary")
    s.add_argument(
        "--no-timings",
        action="store_true",
        help="leave timings out of the result JSON: identical input, byte-identical file",
    )
    s.add_argument("--json", action="store_true", help="print a machine-readable summary (JSON)")


def _add_generate(sub: _Subparsers) -> None:
    """Add the ``generate`` sub-parser: write a synthetic community from parameters."""
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


def _add_bench(sub: _Subparsers) -> None:
    """Add the ``bench`` sub-parser: time every method on one tier of the families."""
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


def _add_explain(sub: _Subparsers) -> None:
    """Add the ``explain`` sub-parser: what a result does for one need."""
    e = sub.add_parser(
        "explain",
        help="explain what a result does for one need",
        description=(
            "Say what a result does for one need. With the problem (--problem, or\n"
            "--volunteers/--needs/--policy), an unserved need's explanation names what\n"
            "exactly was missing: the skill and level, the nearest volunteer's distance\n"
            "against the limit, the slot, the community, who is busy with what."
        ),
        epilog=(
            "Example: matcher explain result.json n0042\n"
            "With the problem: matcher explain result.json n0042 --volunteers v.csv "
            "--needs n.csv --policy p.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("result", help="result JSON written by 'matcher solve'")
    e.add_argument("need_id")
    _add_problem_options(e)
    e.add_argument("--json", action="store_true", help="print the need's matches and gaps as JSON")


def _add_roster(sub: _Subparsers) -> None:
    """Add the ``roster`` sub-parser: one row per task of each volunteer."""
    r = sub.add_parser(
        "roster",
        help="write the roster: one row per task of each volunteer, to send to the members",
        description=(
            "Write the roster of a result as CSV: one row per task of each volunteer (who,\n"
            "what, where, when, for whom), by volunteer, then slot, then need. Volunteers\n"
            "with no task are not listed."
        ),
        epilog=(
            "Example: matcher roster result.json --volunteers v.csv --needs n.csv "
            "--policy p.json --out roster.csv"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("result", help="result JSON written by 'matcher solve'")
    _add_problem_options(r)
    r.add_argument("--out", required=True, help="roster CSV to write")
    r.add_argument("--bom", action="store_true", help="start the CSV with a UTF-8 BOM (for Excel)")


def _add_gaps(sub: _Subparsers) -> None:
    """Add the ``gaps`` sub-parser: what the unserved needs lack, what training would fix."""
    g = sub.add_parser(
        "gaps",
        help="what the unserved needs lack, and the training that would serve them",
        description=(
            "Report what the unserved needs of a result lack (by reason, and the table of\n"
            "missing skills) and the ranked training recommendations, each gain measured\n"
            "exactly by solving the changed problem again (matcher.gaps)."
        ),
        epilog=(
            "Example: matcher gaps result.json --volunteers v.csv --needs n.csv --policy p.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("result", help="result JSON written by 'matcher solve'")
    _add_problem_options(g)
    g.add_argument(
        "--max-candidates",
        type=int,
        default=20,
        help="most interventions evaluated, each by one solve of the whole problem (20)",
    )
    g.add_argument("--json", action="store_true", help="print the gaps as JSON")


def _add_problem_options(parser: argparse.ArgumentParser) -> None:
    """--problem, or --volunteers/--needs/--policy, and the pairs files: the result's problem."""
    parser.add_argument("--problem", help="the problem JSON the result solves")
    parser.add_argument("--volunteers", help="volunteers CSV (or JSON), instead of --problem")
    parser.add_argument("--needs", help="needs CSV (or JSON)")
    parser.add_argument(
        "--policy", help="policy JSON (default: the policy the result was solved under)"
    )
    _add_pair_options(parser)
    _add_file_options(parser)


def _add_table_options(parser: argparse.ArgumentParser) -> None:
    """``solve``'s tables for people: the plan workbook, the roster, the BOM."""
    parser.add_argument(
        "--plan-xlsx",
        help=f"also write the plan as an Excel workbook (needs openpyxl: {EXCEL_INSTALL})",
    )
    parser.add_argument(
        "--roster-csv", help="also write the roster: one row per task of each volunteer"
    )
    parser.add_argument(
        "--bom",
        action="store_true",
        help="start the CSV files written with a UTF-8 BOM (Excel on Windows reads them right)",
    )


def _add_verify(sub: _Subparsers) -> None:
    """Add the ``verify`` sub-parser: check a result against its problem."""
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
    _add_policy_flags(v)
    _add_file_options(v)
    v.add_argument("--json", action="store_true", help="print the violations as JSON")


def _add_report(sub: _Subparsers) -> None:
    """Add the ``report`` sub-parser: write the HTML report of a result."""
    r = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a result, for a coordinator",
        description=(
            "Write one self-contained HTML file (figures inline, nothing loaded from the\n"
            "network): the headline numbers, coverage by category and by community, the load\n"
            "per volunteer, participation by employer unit, a map, and every unmatched need\n"
            "with its reason. With the problem (--problem, or --volunteers/--needs/--policy)\n"
            "the result is also verified and the map is drawn. Personal columns of the input\n"
            'are never included. Needs matplotlib: pip install "volunteer-matcher[report]".'
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
    _add_policy_flags(r)
    _add_file_options(r)
    r.add_argument("--title", help="heading of the report (default: Volunteer matching report)")


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


def _add_file_options(parser: argparse.ArgumentParser) -> None:
    """How to read the volunteers and needs files (CSV, .xlsx): see docs/user-guide/files.md."""
    parser.add_argument(
        "--encoding",
        help="the CSV files' encoding, e.g. gb18030 or utf-16 (default: UTF-8, UTF-16 with a "
        "BOM or GB18030, detected; any other file is refused)",
    )
    parser.add_argument("--sheet", help="the worksheet of .xlsx files to read (default: the first)")
    parser.add_argument(
        "--keep-column",
        action="append",
        default=[],
        metavar="NAME",
        help="keep a column that looks like a field (e.g. 'slot' in the volunteers file) as "
        "your own column instead of refusing it; repeat for more",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a volunteers or needs file with a header and no rows",
    )


def _add_strict_option(parser: argparse.ArgumentParser) -> None:
    """--strict: names that cannot meet are errors, not warnings."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat a need's slot or skill that no volunteer has (a likely typo) as an error: "
        "exit 2, nothing written",
    )


def _number_or_none(text: str) -> float | None:
    """A float, or None for ``none`` (no limit / no penalty)."""
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or 'none', not {text!r}") from None


def _add_policy_flags(parser: argparse.ArgumentParser) -> None:
    """Common policy settings as flags, over the policy file (or the default policy)."""
    g = parser.add_argument_group(
        "policy settings", "override the policy file's fields (or the default policy's)"
    )
    hide = argparse.SUPPRESS  # a flag not given leaves the policy's own value
    g.add_argument(
        "--max-distance-km",
        type=_number_or_none,
        default=hide,
        metavar="KM",
        help="global travel limit in km ('none': no limit)",
    )
    g.add_argument(
        "--same-community",
        action=argparse.BooleanOptionalAction,
        default=hide,
        help="only pair members with needs of their own community",
    )
    g.add_argument(
        "--one-need-per-slot",
        action=argparse.BooleanOptionalAction,
        default=hide,
        help="a volunteer serves at most one need per slot",
    )
    g.add_argument(
        "--load-penalty",
        type=float,
        default=hide,
        metavar="COST",
        help="extra cost of each further need given to one volunteer",
    )
    g.add_argument(
        "--unmatched-cost",
        type=_number_or_none,
        default=hide,
        metavar="COST",
        help="cost of an unserved unit of priority 1 ('none': coverage first)",
    )
