"""Exceptions raised by matcher, named for the kind of failure.

Outcomes (a need left unserved, a greedy plan that is only feasible) are values
in the :class:`~matcher.Result`; exceptions are for misuse and broken backends:

- :class:`InputError` -- the input is wrong; it lists *every* problem found
  (:class:`SizeLimitError`: it is larger than a limit of :mod:`matcher.limits`).
- :class:`UnsupportedProblem` -- a method cannot express this problem exactly
  (matcher never falls back to a silent approximation).
- :class:`SolverError` -- a backend failed or returned something inconsistent,
  or a worker of an executor died while solving.
- :class:`PlannerBusy` -- a :class:`~matcher.Planner` was asked to update while
  another update of it was running (a planner has one writer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DISTRIBUTION",
    "InputError",
    "InputProblem",
    "MatcherError",
    "MissingDependency",
    "PlannerBusy",
    "SolverError",
    "UnsupportedProblem",
    "install_command",
]


class MatcherError(Exception):
    """Base class of every exception raised on purpose by matcher.

    Examples
    --------
    >>> from matcher import MatcherError, Problem
    >>> try:
    ...     Problem([], [], policy="fast")
    ... except MatcherError as exc:
    ...     print(type(exc).__name__, exc.problems[0].field)
    InputError policy
    """


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
    file : str or None
        The file the record came from (its name), when it came from a file.
    column : str or None
        The column's header as written in the file (e.g. ``"纬度"`` for the field
        ``location``), when it differs from the field.
    hint : str
        How to fix it, e.g. ``"rename it, or keep it as your own column with
        --keep-column slot"``; ``""`` when the rest says it all.

    The message shows *file*, *column* and *hint* only when they are set (and
    add something), so problems of records built in Python read as before.

    Examples
    --------
    >>> from matcher import InputProblem
    >>> print(InputProblem("volunteer 'v3'", "capacity", "an integer in 0..1000000000", "-1", row=4))
    volunteer 'v3', row 4: `capacity` must be an integer in 0..1000000000; got -1.
    >>> print(InputProblem("volunteer 'v3'", "capacity", "an integer >= 0", "'-1'", row=4,
    ...                    file="志愿者.csv", column="容量", hint="write 0 for none"))
    volunteer 'v3', row 4: `capacity` must be an integer >= 0; got '-1' (in 志愿者.csv, column `容量`). Fix: write 0 for none.
    """

    record: str
    field: str
    expected: str
    got: str = ""
    row: int | None = None
    kind: str = ""
    index: int | None = None
    file: str | None = None
    column: str | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = self.record if self.row is None else f"{self.record}, row {self.row}"
        got = f"; got {self.got}" if self.got else ""
        place = []
        if self.file is not None and self.file != self.record:
            place.append(f"in {self.file}")
        if self.column is not None and self.column != self.field:
            place.append(f"column `{self.column}`")
        at = f" ({', '.join(place)})" if place else ""
        fix = ""
        if self.hint:
            fix = f" Fix: {self.hint}" + ("" if self.hint.endswith((".", "?")) else ".")
        return f"{where}: `{self.field}` must be {self.expected}{got}{at}.{fix}"


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

    Examples
    --------
    >>> from matcher import Problem, SizeLimitError, Volunteer, limits
    >>> old, limits.MAX_RECORDS = limits.MAX_RECORDS, 1
    >>> try:
    ...     Problem([Volunteer("a", [], (0.0, 0.0)), Volunteer("b", [], (0.0, 0.0))], [])
    ... except SizeLimitError as exc:
    ...     print(exc.problems[0].field, exc.problems[0].kind)
    ... finally:
    ...     limits.MAX_RECORDS = old
    volunteers size
    """


class UnsupportedProblem(MatcherError):
    """The requested method cannot solve this problem exactly.

    The message says why and which method can (usually ``method="flow"``).

    Examples
    --------
    >>> from matcher import Need, Problem, UnsupportedProblem, Volunteer, solve
    >>> p = Problem([Volunteer("v", [], (31.2, 121.4), capacity=2)],
    ...             [Need(n, "repair", [], (31.2, 121.4), slot="sat-am") for n in ("a", "b")])
    >>> try:
    ...     solve(p, "hungarian")
    ... except UnsupportedProblem as exc:
    ...     print(str(exc).endswith("Use method='flow'"))
    True
    """


class PlannerBusy(MatcherError, RuntimeError):
    """A :class:`~matcher.Planner` was asked to update while another update of it runs.

    A planner has one writer (see Threads in :class:`~matcher.Planner`): the
    second call is refused at once and changes nothing; the first goes on.

    Examples
    --------
    >>> from matcher import MatcherError, PlannerBusy
    >>> issubclass(PlannerBusy, MatcherError) and issubclass(PlannerBusy, RuntimeError)
    True
    """


class SolverError(MatcherError):
    """A solver backend failed or returned an inconsistent answer.

    Never expected: matcher checks every plan a backend returns (capacities,
    demands, slots) and raises this rather than return a wrong plan.

    Examples
    --------
    >>> from matcher import MatcherError, SolverError
    >>> issubclass(SolverError, MatcherError)
    True
    """


def short_repr(value: object, limit: int = 40) -> str:
    """Return a ``repr`` of *value* cut to *limit* characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


DISTRIBUTION = "volunteer-matcher"
"""The name matcher is installed by (``import matcher`` and the ``matcher`` command stay):
the name ``matcher`` on the package index belongs to another project."""


def install_command(extra: str) -> str:
    """The exact command that installs an optional extra of matcher.

    Examples
    --------
    >>> install_command("report")
    'pip install "volunteer-matcher[report]"'
    """
    return f'pip install "{DISTRIBUTION}[{extra}]"'


class MissingDependency(MatcherError, ImportError):
    """An optional dependency is not installed; the message gives the command that installs it.

    The command line exits 2 with this message (nothing is written).

    Examples
    --------
    >>> print(MissingDependency("matplotlib", "report", "the HTML report"))
    the HTML report needs matplotlib, an optional dependency: pip install "volunteer-matcher[report]"
    """

    def __init__(self, package: str, extra: str, what: str) -> None:
        self.package, self.extra = package, extra
        super().__init__(
            f"{what} needs {package}, an optional dependency: {install_command(extra)}"
        )
