"""Structured values drawn from fuzzer bytes: the same bytes always give the same values.

A :class:`Draw` reads its bytes front to back; once they run out every draw gives
its simplest value (the first choice, the low end of a range), so short inputs are
simple problems and both libFuzzer's mutations and Hypothesis' shrinking (towards
zero bytes) move through the structure sensibly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = ["NUMBERS", "ODD_NAMES", "Draw"]

T = TypeVar("T")

#: Numbers worth trying anywhere a number goes: boundaries, signed zero, the
#: smallest subnormal, the edge of exact integers in a float, huge, not finite, and
#: values of other types (a bool, a string, None, a list) that records must accept
#: without raising and ``Problem`` must refuse.
NUMBERS: tuple[Any, ...] = (
    0, 1, 2, 5, 0.5, -1, -0.0, 3.0, 1e-9, 1e-300, 5e-324, 1e9, 10**9 + 1, 1e300,
    2**52, 2**53 + 1, 2**63, 10**400, math.nan, math.inf, -math.inf, True, "3", None,
    [1], 1.5, -(2**63),
)  # fmt: skip

#: Names worth trying anywhere a name goes: empty, padded, control and non-ASCII
#: characters, the list separator, a number, None.
ODD_NAMES: tuple[Any, ...] = (
    "", " ", " a", "a ", "\x00", "\u00e9", "\u62a4\u7406", "a;b", "a:2", "\ud800", "\n",
    "x" * 300, 1, None, ("a",),
)  # fmt: skip


class Draw:
    """Values drawn from *data*, front to back; zeros once it runs out."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        """The next byte (0 once the data has run out)."""
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int(self, lo: int, hi: int) -> int:
        """An integer in ``lo..hi`` (one byte, or two for wide ranges)."""
        span = hi - lo + 1
        value = self.byte()
        if span > 256:
            value = value << 8 | self.byte()
        return lo + value % span

    def bool(self) -> bool:
        """True or False."""
        return self.byte() & 1 == 1

    def pick(self, choices: Sequence[T]) -> T:
        """One of *choices*, the first when the data has run out."""
        return choices[self.int(0, len(choices) - 1)]

    def rarely(self, one_in: int) -> bool:
        """True once in *one_in* draws of random bytes; False when the data has run out."""
        return self.int(0, one_in - 1) == one_in - 1

    def subset(self, choices: Sequence[T]) -> list[T]:
        """Some of *choices* (each kept or not by one bit of one byte), in their order."""
        bits = self.byte()
        return [c for i, c in enumerate(choices[:8]) if bits >> i & 1]

    def text(self, max_len: int) -> str:
        """Up to *max_len* bytes as UTF-8 text (an undecodable byte becomes U+FFFD)."""
        n = self.int(0, max_len)
        raw = self.data[self.pos : self.pos + n]
        self.pos += len(raw)
        return raw.decode("utf-8", "replace")
