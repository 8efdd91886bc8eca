"""How the commands read their inputs: file options and the policy a result was solved under.

One place for what every command that reads volunteers and needs files shares,
so that ``solve``, ``verify``, ``report``, ``explain``, ``roster`` and ``gaps``
read the same files the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..model import Policy, Problem
from ..result import Result

__all__ = ["POLICY_FLAGS", "file_options", "policy_for", "policy_overrides", "with_policy_flags"]


def file_options(args: argparse.Namespace) -> dict[str, Any]:
    """How to read the volunteers and needs files: --encoding, --sheet, --keep-column, --allow-empty."""
    return {
        "encoding": getattr(args, "encoding", None),
        "sheet": getattr(args, "sheet", None),
        "keep_columns": tuple(getattr(args, "keep_column", None) or ()),
        "allow_empty": bool(getattr(args, "allow_empty", False)),
    }


def policy_for(path: str | None, result: Result | None) -> str | Policy | None:
    """The policy file given, else the policy the result records it was solved under."""
    if path is not None or result is None or result.provenance is None:
        return path
    return result.provenance.policy


# flag dest -> the Policy field it overrides (the flags: parser._add_policy_flags)
POLICY_FLAGS = (
    "max_distance_km",
    "same_community",
    "one_need_per_slot",
    "load_penalty",
    "unmatched_cost",
)


def policy_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The policy fields given as flags (``--max-distance-km 2`` ...), by field name."""
    given = {f: getattr(args, f, _UNSET) for f in POLICY_FLAGS}
    return {f: v for f, v in given.items() if v is not _UNSET}


def with_policy_flags(problem: Problem, args: argparse.Namespace) -> Problem:
    """*problem* under its policy with the flags' fields put over it (checked again)."""
    changes = policy_overrides(args)
    if not changes:
        return problem
    return dataclasses.replace(problem, policy=dataclasses.replace(problem.policy, **changes))


_UNSET = object()  # a flag not given leaves no attribute (default=argparse.SUPPRESS)
