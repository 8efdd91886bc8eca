"""Size limits that protect a service from inputs too large to handle.

Each limit is checked before the large allocation it guards, and a breach
raises :class:`~matcher.errors.SizeLimitError` (an ``InputError``) naming the
limit. They are module attributes, read at call time: a platform that needs
more sets them once at start-up, e.g. ``matcher.limits.MAX_RECORDS = 10**7``.

Defaults, sized for a machine with a few GiB of memory (a city of 50,000
volunteers and 100,000 needs peaks near 1 GiB, see ``benchmarks/``):

``MAX_FILE_BYTES`` = 512 MiB
    Largest CSV or JSON file read by :mod:`matcher.io` (checked before reading).
``MAX_RECORDS`` = 2,000,000
    Most volunteers, and most needs, in one problem (checked when a
    :class:`~matcher.Problem` is made, before any record is validated).
``MAX_PAIRS`` = 200,000,000
    Most candidate pairs a graph may hold (about 10 GiB of arrays); the
    pairing of volunteers who have no travel limit with every need (the one
    quadratic step) is checked before it is made.
"""

from __future__ import annotations

from .errors import InputProblem, SizeLimitError

__all__ = ["MAX_FILE_BYTES", "MAX_PAIRS", "MAX_RECORDS", "check"]

MAX_FILE_BYTES = 512 * 2**20
MAX_RECORDS = 2_000_000
MAX_PAIRS = 200_000_000


def check(what: str, size: int, limit_name: str, record: str = "input") -> None:
    """Raise :class:`SizeLimitError` if *size* exceeds the limit *limit_name*.

    Examples
    --------
    >>> check("volunteers", 10, "MAX_RECORDS")
    >>> check("volunteers", 3 * 10**6, "MAX_RECORDS", "problem")
    Traceback (most recent call last):
    ...
    matcher.errors.SizeLimitError: 1 problem in the input:
      problem: `volunteers` must be at most 2000000 (matcher.limits.MAX_RECORDS); got 3000000.
    """
    limit = int(globals()[limit_name])
    if size > limit:
        raise SizeLimitError(
            [
                InputProblem(
                    record,
                    what,
                    f"at most {limit} (matcher.limits.{limit_name})",
                    str(size),
                    kind="size",
                )
            ]
        )
