"""A small immutable, hashable, picklable mapping used for skills and extra fields."""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any, TypeVar, overload

__all__ = ["FrozenMap", "LazyFrozenMap"]

V = TypeVar("V")
T = TypeVar("T")


class FrozenMap(Mapping[str, V]):
    """An immutable ``str -> value`` mapping that compares equal to a dict.

    Keys are kept sorted so the ``repr`` and the iteration order do not depend
    on the order the user wrote them in.

    Examples
    --------
    >>> m = FrozenMap({"nursing": 3, "driving": 1})
    >>> m
    {'driving': 1, 'nursing': 3}
    >>> m == {"nursing": 3, "driving": 1}
    True
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        items = dict(data or {})
        try:
            keys = sorted(items)
        except TypeError:
            # Keys that cannot be compared ({1: 1, "a": 1}, a None key): a record's
            # constructor never raises, so they get a fixed order here and the model's
            # checks report them (keys must be non-empty strings).
            keys = sorted(items, key=lambda k: (type(k).__name__, repr(k)))
        self._data: dict[str, V] = {k: items[k] for k in keys}
        self._hash: int | None = None

    @classmethod
    def _of_sorted(cls, data: dict[str, V]) -> FrozenMap[V]:
        """Wrap *data*, a fresh dict whose keys are already sorted (no copy, no sort)."""
        self = cls.__new__(cls)
        self._data = data
        self._hash = None
        return self

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # The dict's own (read-only) views and lookups: the Mapping mixins would go
    # through __iter__ and __getitem__ one key at a time (certificates hold
    # one entry per record).
    def __contains__(self, key: object) -> bool:
        return key in self._data

    @overload
    def get(self, key: str, /) -> V | None: ...
    @overload
    def get(self, key: str, default: V | T, /) -> V | T: ...
    def get(self, key: str, default: Any = None, /) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[V]:
        return self._data.values()

    def items(self) -> ItemsView[str, V]:
        return self._data.items()

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


class LazyFrozenMap(FrozenMap[V]):
    """A :class:`FrozenMap` whose dict is made when first read.

    *make* returns the dict, its keys already sorted. A certificate of a
    community re-planned many times a second is kept this way: a reader that
    looks at it pays for it, a re-plan does not.
    """

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], dict[str, V]]) -> None:  # noqa: D107
        self._make: Callable[[], dict[str, V]] | None = make
        self._hash = None

    def __getattr__(self, name: str) -> Any:
        if name != "_data":
            raise AttributeError(name)
        make = self._make
        if make is None:  # made by another thread meanwhile
            return object.__getattribute__(self, "_data")
        data = make()
        self._data = data
        self._make = None
        return data
