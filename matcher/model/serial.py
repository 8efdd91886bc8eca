"""The policy as a plain dict (JSON-ready) and back, with every problem reported at once.

The files (:mod:`matcher.io`) and a result's provenance
(:class:`~matcher.result.Provenance`) share these, so a policy reads the same
wherever it was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from ..errors import InputError, InputProblem, short_repr
from .policy import Policy, Weights
from .problem import Problem

__all__ = ["POLICY_SCHEMA_VERSION", "policy_from_dict", "policy_to_dict"]

POLICY_SCHEMA_VERSION = 2
"""Version of the problem and policy file layout (1 still reads)."""

_READABLE = (1, 2)


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """A policy as a JSON-ready dict (every field, weights as a nested dict).

    Examples
    --------
    >>> from matcher import Policy
    >>> from matcher.model.serial import policy_to_dict
    >>> policy_to_dict(Policy())["max_distance_km"]
    3.0
    """
    out: dict[str, Any] = {f.name: getattr(policy, f.name) for f in fields(Policy)}
    out["weights"] = {f.name: getattr(policy.weights, f.name) for f in fields(Weights)}
    out["participation_floors"] = dict(policy.participation_floors)
    return out


def policy_from_dict(data: Any, source: str = "policy") -> Policy:
    """Make a :class:`~matcher.Policy` from a dict; unknown fields are errors.

    Examples
    --------
    >>> from matcher.model.serial import policy_from_dict
    >>> policy_from_dict({"max_distance_km": 5, "weights": {"distance": 2}}).weights.distance
    2.0
    >>> policy_from_dict({"max_distance": 5})
    Traceback (most recent call last):
      ...
    matcher.errors.InputError: 1 problem in the input:
      policy: `max_distance` must be one of the Policy fields (max_distance_km, same_community, one_need_per_slot, geometry, weights, load_penalty, unmatched_cost, resolution, participation, participation_floors).
    """
    if not isinstance(data, Mapping):
        raise InputError(
            [InputProblem(source, "policy", "a JSON object", type(data).__name__, kind="policy")]
        )
    names = [f.name for f in fields(Policy)]
    problems = [
        InputProblem(
            "policy", str(k), f"one of the Policy fields ({', '.join(names)})", kind="policy"
        )
        for k in data
        if k not in names and k != "schema_version"
    ]
    version = data.get("schema_version", POLICY_SCHEMA_VERSION)
    if type(version) is not int or version not in _READABLE:  # not True, not 1.0, not "1"
        problems.append(
            InputProblem(
                "policy",
                "schema_version",
                " or ".join(map(str, _READABLE)),
                short_repr(version),
                kind="policy",
            )
        )
    weights = data.get("weights", {})
    if isinstance(weights, Mapping):
        wnames = [f.name for f in fields(Weights)]
        problems += [
            InputProblem(
                "policy", f"weights.{k}", f"one of the weights ({', '.join(wnames)})", kind="policy"
            )
            for k in weights
            if k not in wnames
        ]
    kwargs = {k: v for k, v in data.items() if k in names}
    if isinstance(weights, Mapping):
        wnames = [f.name for f in fields(Weights)]
        kwargs["weights"] = Weights(**{k: v for k, v in weights.items() if k in wnames})
    policy = Policy(**kwargs)
    # The values are checked here too (not only when a Problem is made with it): a policy
    # read from a file is valid when it is returned, and every problem is reported at once.
    try:
        Problem([], [], policy)
    except InputError as exc:
        problems += exc.problems
    if problems:
        raise InputError(problems)
    return policy
