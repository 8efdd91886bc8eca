"""Pausing Python's cyclic garbage collector around a short burst of allocations.

A Planner event at tier L makes tens of thousands of small objects (matches,
unmatched entries, their tuples) that hold no reference cycles: reference
counting frees them. Yet each allocation counts towards the cyclic
collector's thresholds, and a collection that starts in the middle of an
event scans the whole heap of a city (millions of records and results):
measured at tier L, collections were two thirds of a volunteer event's time
(``benchmarks/REALTIME.md``). :func:`paused` holds the collector off for the
event and gives it back as it was; nothing is left uncollected (the next
collection, outside the event, sees the same objects).

Process-wide and nestable across threads: the collector is turned off by
the first holder and back on (if it was on) when the last one leaves.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Run the body with the cyclic garbage collector off (restored after, on error too)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
