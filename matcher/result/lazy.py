"""A tuple made when first read: the unmatched needs of a re-plan that changed thousands.

After one Planner event, the candidate counts of thousands of unmatched needs
may change (a volunteer who joins counts for every need whose skills they
have, near or far). Making an :class:`~matcher.result.Unmatched` for each at
every event costs more than the event itself; a :class:`LazyTuple` holds a
copy of the numbers and makes the items when the sequence is first read.
It behaves as the tuple of its items (equality, hashing, ``repr``,
indexing, slicing, pickling, which gives a plain tuple).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

__all__ = ["LazyTuple"]

T = TypeVar("T")


class LazyTuple(Sequence[T]):
    """An immutable sequence equal to ``make()``, a tuple made on first use.

    Parameters
    ----------
    make : callable
        Returns the items, as a tuple (called once).
    length : int
        ``len(make())``, known without making it.

    Examples
    --------
    >>> seq = LazyTuple(lambda: (1, 2, 3), 3)
    >>> len(seq), seq == (1, 2, 3), seq[1:], list(seq)
    (3, True, (2, 3), [1, 2, 3])
    """

    __slots__ = ("_items", "_length", "_make")

    def __init__(self, make: Callable[[], tuple[T, ...]], length: int) -> None:
        self._make: Callable[[], tuple[T, ...]] | None = make
        self._items: tuple[T, ...] | None = None
        self._length = int(length)

    def _tuple(self) -> tuple[T, ...]:
        items = self._items
        if items is None:
            make = self._make
            items = make() if make is not None else self._items
            assert items is not None
            self._items, self._make = items, None
        return items

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[T, ...]: ...
    def __getitem__(self, i: int | slice) -> T | tuple[T, ...]:
        return self._tuple()[i]

    def __iter__(self) -> Iterator[T]:
        return iter(self._tuple())

    def __contains__(self, x: object) -> bool:
        return x in self._tuple()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyTuple):
            return self._tuple() == other._tuple()
        if isinstance(other, tuple):
            return self._tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __repr__(self) -> str:
        return repr(self._tuple())

    def __add__(self, other: Sequence[Any]) -> tuple[Any, ...]:
        return self._tuple() + tuple(other)

    def __radd__(self, other: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(other) + self._tuple()

    def __reduce__(self) -> tuple[Any, ...]:
        return (tuple, (self._tuple(),))
