"""Exceptions raised by matcher, named for the kind of failure.

Outcomes (a need left unserved, a greedy plan that is only feasible) are values
in the :class:`~matcher.Result`; exceptions are for misuse and broken backends:

- :class:`InputError` -- the input is wrong; it lists *every* problem found
  (:class:`SizeLimitError`: it is larger than a limit of :mod:`matcher.limits`).
- :class:`UnsupportedProblem` -- a method cannot express this problem exactly
  (matcher never falls back to a silent approximation).
- :class:`SolverError` -- a backend failed or returned something inconsistent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InputError", "InputProblem", "MatcherError", "SolverError", "UnsupportedProblem"]


class MatcherError(Exception):
    """Base class of every exception raised on purpose by matcher."""


@dataclass(frozen=True)
class InputProblem:
    """One problem found in the input.

    Attributes
    ----------
    record : str
        The record at fault, e.g. ``"volunteer 'v17'"``, ``"need #3"``,
        ``"policy"`` or ``"pinned pair ('n1', 'v2')"``.
    field : str
        The field at fault, e.g. ``"capacity"``.
    expected : str
        What was expected, e.g. ``"an integer >= 0"``.
    got : str
        What came instead (a short ``repr``), or ``""`` when not meaningful.
    row : int or None
        The 1-based line of the input file (the header is line 1), when the
        record came from a CSV file.
    kind : str
        What kind of record: ``"volunteer"``, ``"need"``, ``"policy"``,
        ``"pinned"``, ``"forbidden"``, ``"file"`` or ``"option"``.
    index : int or None
        The 0-based position of the record in its input sequence, when known.
    """

    record: str
    field: str
    expected: str
    got: str = ""
    row: int | None = None
    kind: str = ""
    index: int | None = None

    def __str__(self) -> str:
        where = self.record if self.row is None else f"{self.record}, row {self.row}"
        got = f"; got {self.got}" if self.got else ""
        return f"{where}: `{self.field}` must be {self.expected}{got}."


class InputError(MatcherError, ValueError):
    """The input is invalid; ``.problems`` lists every problem found.

    The message lists the problems one per line (the first 50, then a count),
    so a file with 40 bad rows reports 40 rows. It never contains the values
    of the user's own extra fields (names, phone numbers).

    Parameters
    ----------
    problems : iterable of InputProblem
        Everything that is wrong, in the order found.

    Examples
    --------
    >>> from matcher import InputError, InputProblem
    >>> err = InputError([InputProblem("volunteer 'v17'", "capacity", "an integer >= 0", "-2")])
    >>> print(err)
    1 problem in the input:
      volunteer 'v17': `capacity` must be an integer >= 0; got -2.
    """

    max_listed = 50

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        n = len(self.problems)
        lines = [f"  {p}" for p in self.problems[: self.max_listed]]
        if n > self.max_listed:
            lines.append(f"  ... and {n - self.max_listed} more")
        head = f"{n} problem{'s' if n != 1 else ''} in the input:"
        super().__init__("\n".join([head, *lines]))


class SizeLimitError(InputError):
    """The input is larger than a limit of :mod:`matcher.limits`.

    Raised before the large allocation the input would cause, so that a
    service stays up; the message names the limit and how to raise it.
    """


class UnsupportedProblem(MatcherError):
    """The requested method cannot solve this problem exactly.

    The message says why and which method can (usually ``method="flow"``).
    """


class SolverError(MatcherError):
    """A solver backend failed or returned an inconsistent answer."""


def short_repr(value: object, limit: int = 40) -> str:
    """Return a ``repr`` of *value* cut to *limit* characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
