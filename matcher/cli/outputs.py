"""What a coordinator sends out: the plan tables, the roster, the gaps, the explanations.

The commands ``roster`` and ``gaps``, ``explain`` with the problem, and the
tables ``solve`` writes beside the result (``--plan-csv``, ``--plan-xlsx``,
``--roster-csv``, ``--bom``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .. import io as mio
from ..errors import InputError, InputProblem
from ..io.write import EXCEL_INSTALL, require_openpyxl
from ..model import Problem
from ..planning import explain, explain_unserved, gaps
from ..result import Result
from .inputs import file_options, policy_for
from .summary import _need_json

__all__ = ["explain_command", "gaps_command", "roster_command"]


def missing_dependency(args: argparse.Namespace) -> str | None:
    """What an output asked for needs and is not installed (checked before solving)."""
    if getattr(args, "plan_xlsx", None):
        try:
            require_openpyxl()
        except ImportError:
            return f"--plan-xlsx needs openpyxl, an optional dependency: {EXCEL_INSTALL}"
    return None


def table_writers(
    result: Result, problem: Problem, args: argparse.Namespace
) -> list[tuple[Path, Callable[[], None]]]:
    """``(path, write)`` of the tables ``solve`` was asked for, in the order written."""
    bom = bool(getattr(args, "bom", False))
    out: list[tuple[Path, Callable[[], None]]] = []
    if args.plan_csv:
        out.append(
            (
                Path(args.plan_csv),
                lambda: mio.write_plan_csv(result, problem, args.plan_csv, bom=bom),
            )
        )
    if getattr(args, "plan_xlsx", None):
        out.append(
            (Path(args.plan_xlsx), lambda: mio.write_plan_xlsx(result, problem, args.plan_xlsx))
        )
    if getattr(args, "roster_csv", None):
        out.append(
            (
                Path(args.roster_csv),
                lambda: mio.write_roster_csv(result, problem, args.roster_csv, bom=bom),
            )
        )
    return out


def read_inputs(
    args: argparse.Namespace, command: str, *, required: bool = False
) -> tuple[Result, Problem | None]:
    """The result, and the problem when given (``--problem`` or ``--volunteers``/``--needs``).

    *required*: the problem must be given. Without ``--policy``, the files are
    read with the policy the result records it was solved under. Every problem
    of the options and of every file at once, in one :class:`InputError`.
    """
    found: list[InputProblem] = []
    pairs = {k: getattr(args, k) for k in ("pinned", "forbidden", "history") if getattr(args, k)}
    from_files = bool(args.volunteers or args.needs or args.policy)
    both = bool(args.problem and from_files)
    given = bool(args.problem or from_files)
    if both:
        found.append(
            _option(command, "--problem", "either --problem or --volunteers/--needs", "both")
        )
    elif required and not given:
        found.append(
            _option(command, "--volunteers", "--volunteers/--needs or --problem", "neither")
        )
    elif pairs and not given:
        what = "--problem or --volunteers/--needs with it"
        found.append(_option(command, "--" + next(iter(pairs)), what, "no problem"))
    result: Result | None = None
    problem: Problem | None = None
    try:
        result = mio.read_result(args.result)
    except InputError as exc:
        found += exc.problems
    if given and not both:
        try:
            if args.problem:
                problem = mio.read_problem(problem=args.problem, **pairs)
            else:
                policy = policy_for(args.policy, result)
                problem = mio.read_problem(
                    args.volunteers, args.needs, policy, **pairs, **file_options(args)
                )
        except InputError as exc:
            found += exc.problems
    if found or result is None:
        raise InputError(found)
    return result, problem


def _option(command: str, option: str, expected: str, got: str) -> InputProblem:
    return InputProblem(command, option, expected, got, kind="option")


def _required(args: argparse.Namespace, command: str) -> tuple[Result, Problem]:
    """:func:`read_inputs`, the problem required."""
    result, problem = read_inputs(args, command, required=True)
    assert problem is not None
    return result, problem


def explain_command(args: argparse.Namespace) -> int:
    """``matcher explain``: what a result does for one need; with the problem, why in detail."""
    result, problem = read_inputs(args, "explain")
    try:
        if problem is None:
            text = result.explain(args.need_id)
        else:
            text = explain(problem, result, args.need_id)
        if args.json:
            data = _need_json(result, args.need_id)
            if problem is not None:
                data["explanation"] = explain_unserved(problem, result).get(args.need_id)
            print(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            print(text)
    except KeyError as exc:
        print(f"matcher: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0


def roster_command(args: argparse.Namespace) -> int:
    """``matcher roster``: one row per task of each volunteer, as CSV."""
    result, problem = _required(args, "roster")
    mio.write_roster_csv(result, problem, args.out, bom=args.bom)
    tasks = len(result.matches)
    members = len({m.volunteer_id for m in result.matches})
    print(f"matcher roster: wrote {args.out} ({tasks} tasks of {members} volunteers)")
    return 0


def gaps_command(args: argparse.Namespace) -> int:
    """``matcher gaps``: what the unserved needs lack, and the training that would serve them."""
    result, problem = _required(args, "gaps")
    found = gaps(problem, result, max_candidates=args.max_candidates)
    if args.json:
        print(json.dumps(_jsonable(found), ensure_ascii=False, indent=2))
    else:
        print(found.summary())
    return 0


def _jsonable(obj: Any) -> Any:
    """Dataclasses, mappings and tuples as JSON values (field names as keys)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(x) for x in obj]
    return obj
