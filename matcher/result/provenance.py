"""Where a result comes from: the matcher version, the policy, the problem's fingerprint.

A result file travels without its data. What it records here lets ``matcher
verify`` and ``matcher report`` check it under the policy it was solved with
(not the default one), and tell "this result was solved for other data: the
needs differ" apart from a wrong plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._version import __version__
from ..errors import InputError, InputProblem, short_repr
from ..model import Policy, Problem
from ..model.fingerprint import Fingerprint, fingerprint
from ..model.serial import policy_from_dict, policy_to_dict

__all__ = ["Provenance", "other_data"]

_PARTS = ("volunteers", "needs", "pairs", "policy")


@dataclass(frozen=True)
class Provenance:
    """The matcher version, the policy and the fingerprint of the problem a result solves.

    Attributes
    ----------
    matcher_version : str
    policy : Policy
        The policy the plan was solved under.
    fingerprint : Fingerprint
        The sha256 of each part of the problem (:mod:`matcher.model.fingerprint`).

    Examples
    --------
    >>> from matcher import Need, Problem, solve
    >>> p = Problem([], [Need("n1", "repair", [], (0.0, 0.0))])
    >>> prov = solve(p).provenance
    >>> prov.problem_sha256 == Provenance.of(p).problem_sha256, prov.policy == p.policy
    (True, True)
    >>> prov.differs(Problem([], []))
    ['needs']
    """

    matcher_version: str
    policy: Policy
    fingerprint: Fingerprint

    @classmethod
    def of(cls, problem: Problem, *, cache: dict[int, Any] | None = None) -> Provenance:
        """The provenance of a result of *problem* made by this matcher.

        *cache* is passed to :func:`~matcher.model.fingerprint.fingerprint`.
        """
        return cls(__version__, problem.policy, fingerprint(problem, cache=cache))

    @property
    def problem_sha256(self) -> str:
        """The sha256 (hex) of the whole canonical problem."""
        return self.fingerprint.problem

    def differs(self, problem: Problem) -> list[str]:
        """The parts of *problem* (volunteers, needs, pairs, policy) that are not those solved."""
        return self.fingerprint.differs(fingerprint(problem))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` inverts it."""
        return {
            "matcher_version": self.matcher_version,
            "problem_sha256": self.problem_sha256,
            "parts_sha256": {p: getattr(self.fingerprint, p) for p in _PARTS},
            "policy": policy_to_dict(self.policy),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        """Read :meth:`to_dict` output; every digest is checked to be 64 hex digits.

        Raises
        ------
        InputError
            When a field is missing or malformed, or the parts do not make the
            recorded ``problem_sha256``.
        """
        parts = data["parts_sha256"]
        bad = [
            InputProblem(
                "result",
                f"provenance.parts_sha256.{p}",
                "64 hex digits",
                short_repr(parts.get(p)),
                kind="file",
            )
            for p in _PARTS
            if not _is_digest(parts.get(p))
        ]
        if bad:
            raise InputError(bad)
        prov = cls(
            str(data["matcher_version"]),
            policy_from_dict(data["policy"], "result provenance"),
            Fingerprint(**{p: parts[p] for p in _PARTS}),
        )
        if prov.problem_sha256 != data["problem_sha256"]:
            raise InputError(
                [
                    InputProblem(
                        "result",
                        "provenance.problem_sha256",
                        "the digest of the recorded parts",
                        short_repr(data["problem_sha256"]),
                        kind="file",
                    )
                ]
            )
        return prov


def _is_digest(x: Any) -> bool:
    return isinstance(x, str) and len(x) == 64 and all(c in "0123456789abcdef" for c in x)


def other_data(result: Any, problem: Problem) -> str | None:
    """Say in words how *problem* differs from the data *result* was solved for.

    Returns None when the result records no provenance (files older than
    schema 4) or *problem* is the problem it solved; otherwise one sentence
    naming each part that differs, with counts of ids where they tell (ids of
    the data missing from the result, and the other way round).

    Examples
    --------
    >>> from matcher import Need, Problem, solve
    >>> p = Problem([], [Need("n1", "repair", [], (0.0, 0.0))])
    >>> r = solve(p)
    >>> other_data(r, p) is None
    True
    >>> print(other_data(r, Problem([], [Need("n2", "repair", [], (0.0, 0.0))])))
    this result was solved for other data: the needs differ (1 need of the data is not in the result, 1 need of the result is not in the data).
    """
    prov = result.provenance
    if prov is None:
        return None
    parts = prov.differs(problem)
    if not parts:
        return None
    words = []
    for part in parts:
        detail = ""
        if part == "needs":
            solved = {m.need_id for m in result.matches} | {u.need_id for u in result.unmatched}
            detail = _id_counts("need", {n.id for n in problem.needs}, solved)
        elif part == "volunteers":
            used = {m.volunteer_id for m in result.matches}
            extra = len(used - {v.id for v in problem.volunteers})
            if extra:
                detail = f" ({_count(extra, 'matched volunteer')} of the result not in the data)"
        verb = "differs" if part == "policy" else "differ"
        words.append(f"the {part} {verb}{detail}")
    return "this result was solved for other data: " + "; ".join(words) + "."


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _id_counts(kind: str, data: set[str], solved: set[str]) -> str:
    new, gone = len(data - solved), len(solved - data)
    if not (new or gone):
        return " (the same ids, other values)"
    said = []
    if new:
        said.append(
            f"{_count(new, kind)} of the data {'is' if new == 1 else 'are'} not in the result"
        )
    if gone:
        said.append(
            f"{_count(gone, kind)} of the result {'is' if gone == 1 else 'are'} not in the data"
        )
    return " (" + ", ".join(said) + ")"
