"""Names that cannot meet: a need's slot or skill that no volunteer has.

A slot or skill is matched by its exact name, so ``Sat-AM`` never meets
``sat-am`` and ``nursng`` never meets ``nursing``: the need is left unmatched
with a reason, but the typo behind it is easy to miss. :func:`unmet_names`
finds such names before solving, each with the nearest name the volunteers do
use, so a coordinator can fix the file. Pure functions of the records (the
core layer: no files).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import InputProblem
from .problem import Problem

__all__ = ["NameWarning", "damerau_levenshtein", "nearest_name", "unmet_names"]

_MAX_LISTED = 3  # needs named in a warning; the rest are counted


def damerau_levenshtein(a: str, b: str) -> int:
    """The edit distance of *a* and *b*, with transpositions of neighbours (optimal string alignment).

    One insertion, deletion, substitution or swap of two adjacent characters
    counts 1.

    Examples
    --------
    >>> damerau_levenshtein("priorty", "priority"), damerau_levenshtein("slost", "slots")
    (1, 1)
    """
    if a == b:
        return 0
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _squash(name: str) -> str:
    """A name without case, spaces, ``_`` or ``-``: how two spellings of one name compare."""
    return "".join(ch for ch in name.casefold() if ch not in " _-")


def nearest_name(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to *name*, if it is a likely misspelling of it.

    Close means: equal but for case, spaces, ``_`` and ``-``; or at most 2 edits
    apart (1 for names shorter than 5 characters, 0 for names shorter than 3:
    ``a`` is not a misspelling of ``b``). Ties go to the smallest name, so the
    answer does not depend on the order of *known*.

    Examples
    --------
    >>> nearest_name("Sat-AM", ["sat-am", "sun-pm"])
    'sat-am'
    >>> nearest_name("gardening", ["nursing", "driving"]) is None
    True
    """
    target = _squash(name)
    best: tuple[int, str] | None = None
    for other in known:
        if other == name:
            continue
        d = damerau_levenshtein(target, _squash(other))
        shortest = min(len(target), len(_squash(other)))
        limit = 2 if shortest >= 5 else 1 if shortest >= 3 else 0
        if d <= limit and (best is None or (d, other) < best):
            best = (d, other)
    return None if best is None else best[1]


@dataclass(frozen=True)
class NameWarning:
    """A slot or skill of some needs that no volunteer has: those needs cannot be met.

    Attributes
    ----------
    kind : str
        ``"slot"`` or ``"skill"``.
    name : str
        The name as the needs spell it.
    need_ids : tuple of str
        The needs that ask for it, in input order.
    suggestion : str or None
        The nearest name the volunteers use (see :func:`nearest_name`), if any.

    Examples
    --------
    >>> w = NameWarning("slot", "Sat-AM", ("n1",), "sat-am")
    >>> print(w)
    slot `Sat-AM` (need n1): no volunteer lists it; did you mean `sat-am`?
    """

    kind: str
    name: str
    need_ids: tuple[str, ...]
    suggestion: str | None = None

    def _needs_text(self) -> str:
        ids = ", ".join(self.need_ids[:_MAX_LISTED])
        more = len(self.need_ids) - _MAX_LISTED
        label = "need" if len(self.need_ids) == 1 else "needs"
        return f"{label} {ids}" + (f" and {more} more" if more > 0 else "")

    def __str__(self) -> str:
        verb = "lists" if self.kind == "slot" else "has"
        text = f"{self.kind} `{self.name}` ({self._needs_text()}): no volunteer {verb} it"
        if self.suggestion is not None:
            text += f"; did you mean `{self.suggestion}`?"
        return text

    def to_dict(self) -> dict[str, object]:
        """The warning as plain JSON-ready data, with its message."""
        return {
            "kind": self.kind,
            "name": self.name,
            "need_ids": list(self.need_ids),
            "suggestion": self.suggestion,
            "message": str(self),
        }

    def to_problem(self) -> InputProblem:
        """The warning as an :class:`~matcher.InputProblem` (for a strict check)."""
        verb = "listed by" if self.kind == "slot" else "held by"
        hint = f"did you mean `{self.suggestion}`?" if self.suggestion is not None else ""
        return InputProblem(
            f"{self._needs_text()}",
            self.kind,
            f"a {self.kind} {verb} some volunteer",
            repr(self.name),
            kind="need",
            hint=hint,
        )


def unmet_names(problem: Problem) -> list[NameWarning]:
    """Slots and required skills of the needs that no volunteer has, with the nearest known name.

    A slot is unmet when no volunteer lists it and none is free any time
    (``slots=None``); a skill when no volunteer has it at any level. Nothing is
    reported when there are no volunteers at all (then nothing can meet, and the
    plan says so). The result is sorted: slots first, then skills, each by name.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    list of NameWarning

    Examples
    --------
    >>> from matcher import Need, Problem, Volunteer
    >>> p = Problem([Volunteer("v1", ["nursing"], (31.2, 121.4), slots=["sat-am"])],
    ...             [Need("n1", "care", ["nursing"], (31.2, 121.4), slot="Sat-AM"),
    ...              Need("n2", "care", ["nursng"], (31.2, 121.4), slot="sat-am")])
    >>> for w in unmet_names(p):
    ...     print(w)
    slot `Sat-AM` (need n1): no volunteer lists it; did you mean `sat-am`?
    skill `nursng` (need n2): no volunteer has it; did you mean `nursing`?
    """
    if not problem.volunteers:
        return []
    any_time = any(v.slots is None for v in problem.volunteers)
    slots = {s for v in problem.volunteers for s in (v.slots or ())}
    skills = {s for v in problem.volunteers for s in v.skills}
    wanted_slots: dict[str, list[str]] = {}
    wanted_skills: dict[str, list[str]] = {}
    for n in problem.needs:
        if n.slot is not None and not any_time and n.slot not in slots:
            wanted_slots.setdefault(n.slot, []).append(n.id)
        for s in n.skills:
            if s not in skills:
                wanted_skills.setdefault(s, []).append(n.id)
    return [
        *_warnings("slot", wanted_slots, sorted(slots)),
        *_warnings("skill", wanted_skills, sorted(skills)),
    ]


def _warnings(kind: str, wanted: dict[str, list[str]], known: Sequence[str]) -> list[NameWarning]:
    return [
        NameWarning(kind, name, tuple(ids), nearest_name(name, known))
        for name, ids in sorted(wanted.items())
    ]
