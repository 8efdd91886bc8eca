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
``MAX_SHEET_CELLS`` = 50,000,000
    Most cells read from one worksheet of an ``.xlsx`` workbook, counting the
    empty cells up to the last filled cell of each row (a compressed sheet of a
    few hundred bytes can declare millions).
``MAX_SHEET_ROWS`` = 1,048,576
    Most rows of one worksheet, empty rows included (Excel's own limit).
``MAX_PAIRS`` = 200,000,000
    Most candidate pairs a graph may hold (about 10 GiB of arrays); the
    pairing of volunteers who have no travel limit with every need (the one
    quadratic step) is checked before it is made.
``MAX_MEMORY_BYTES`` = half of the machine's memory
    The most memory one solve may be expected to take, estimated from its
    pairs (:func:`memory_estimate`) before they are built: the pairs within
    reach are checked as the search finds them (counted before they are made
    when they could break it), and the candidate pairs before their costs,
    the graph and the solver's arrays are made. By default half of the
    physical memory (``SC_PHYS_PAGES`` x ``SC_PAGE_SIZE``), or of the
    container's limit (cgroup) when lower; 4 GiB where neither is known
    (:func:`default_memory_budget`). Measured rates: :data:`BYTES_PER_PAIR`.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InputProblem, SizeLimitError

__all__ = [
    "BYTES_PER_PAIR",
    "BYTES_PER_RECORD",
    "MAX_FILE_BYTES",
    "MAX_MEMORY_BYTES",
    "MAX_PAIRS",
    "MAX_RECORDS",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_ROWS",
    "SEARCH_BYTES_PER_PAIR",
    "check",
    "check_memory",
    "default_memory_budget",
    "memory_estimate",
]

MAX_FILE_BYTES = 512 * 2**20
MAX_RECORDS = 2_000_000
MAX_SHEET_CELLS = 50_000_000
MAX_SHEET_ROWS = 1_048_576
MAX_PAIRS = 200_000_000

BYTES_PER_PAIR = 350
"""Peak memory of a solve per candidate pair (build, solve, certificate, result).

Measured as the peak resident memory (``VmHWM``) of ``build + solve`` above the
memory of the problem's records, on 2 cores, numpy 2 / OR-Tools 9: 220-250 bytes
per pair for the ``flow`` method (``uniform`` and ``clustered`` families at tiers
M and L, from 33,000 to 7.3 million pairs), 341 for ``hungarian`` on the
``dense`` family (3 million pairs). 350 is above every one of them."""

BYTES_PER_RECORD = 1024
"""Peak memory of a solve per volunteer and need (their arrays and result rows).

Measured 470-600 bytes (the same runs as :data:`BYTES_PER_PAIR`); with margin."""

SEARCH_BYTES_PER_PAIR = 128
"""Memory of the search per pair within reach (before the slot, community and
availability rules and the exact distance drop some): measured 65-70 bytes per
pair with a k-d tree, 119 when volunteers without a travel limit are paired with
every need."""


def _cgroup_limit() -> int | None:
    """The memory limit of this process's container (cgroup v2, then v1), if any."""
    for name in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            text = (Path("/sys/fs/cgroup") / name).read_text().strip()
        except (OSError, ValueError):
            continue
        if text.isdigit():
            return int(text)
    return None


def default_memory_budget(share: float = 0.5, unknown: int = 4 * 2**30) -> int:
    """*share* of this machine's memory, or of its container's limit when lower.

    The physical memory is ``os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")``;
    the container's limit, cgroup's ``memory.max`` (or v1's
    ``memory.limit_in_bytes``). Where neither is known (Windows), *unknown*.

    Examples
    --------
    >>> default_memory_budget() > 0
    True
    """
    known = []
    try:
        known.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        pass
    known.append(_cgroup_limit() or 0)
    known = [k for k in known if k > 0]
    return int(share * min(known)) if known else unknown


MAX_MEMORY_BYTES = default_memory_budget()


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


def memory_estimate(pairs: int, records: int = 0, per_pair: int | None = None) -> int:
    """Bytes a solve of *pairs* candidate pairs and *records* records is expected to take.

    ``per_pair`` (default :data:`BYTES_PER_PAIR`) x *pairs* + :data:`BYTES_PER_RECORD` x *records*.

    Examples
    --------
    >>> memory_estimate(1_000_000, 15_000) // 2**20
    348
    """
    rate = BYTES_PER_PAIR if per_pair is None else per_pair
    return int(rate) * int(pairs) + int(BYTES_PER_RECORD) * int(records)


def check_memory(pairs: int, records: int = 0, *, within_reach: bool = False) -> None:
    """Raise :class:`SizeLimitError` if *pairs* would take more than :data:`MAX_MEMORY_BYTES`.

    *pairs* are candidate pairs (with *records* volunteers and needs), or, with
    *within_reach*, the pairs the search found within reach so far (counted at
    :data:`SEARCH_BYTES_PER_PAIR`). Called before the allocations it guards.

    Examples
    --------
    >>> import matcher
    >>> old, matcher.limits.MAX_MEMORY_BYTES = matcher.limits.MAX_MEMORY_BYTES, 2 * 2**30
    >>> try:
    ...     check_memory(41_000_000, 150_000)
    ... except SizeLimitError as exc:
    ...     print(exc.problems[0].got)
    ... finally:
    ...     matcher.limits.MAX_MEMORY_BYTES = old
    about 13.5 GiB for 41,000,000 candidate pairs and 150,000 records
    """
    need = memory_estimate(pairs, records, SEARCH_BYTES_PER_PAIR if within_reach else None)
    budget = int(MAX_MEMORY_BYTES)
    if need <= budget:
        return
    what = "pairs within reach (the search so far)" if within_reach else "candidate pairs"
    got = f"about {_bytes_text(need)} for {pairs:,} {what}"
    if records:
        got += f" and {records:,} records"
    raise SizeLimitError(
        [
            InputProblem(
                "problem",
                "memory",
                f"at most {_bytes_text(budget)} (matcher.limits.MAX_MEMORY_BYTES)",
                got,
                kind="size",
                hint=(
                    "raise matcher.limits.MAX_MEMORY_BYTES if the machine has the memory, or "
                    "find fewer pairs: a smaller Policy.max_distance_km, a travel limit for "
                    "volunteers who have none, or same_community=True"
                ),
            )
        ]
    )


def _bytes_text(n: int) -> str:
    """*n* bytes for people: ``"3.2 GiB"``, ``"512.0 MiB"``, ``"800 bytes"``."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"
