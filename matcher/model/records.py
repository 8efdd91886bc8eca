"""The records: a volunteer and a need.

Records are immutable (frozen dataclasses). Constructing a record only puts
its fields into canonical form (a list of skill names becomes a mapping of
level 1, a list of slots a frozenset, numbers plain Python ``int``/``float``);
it never raises for a bad value. All checking happens once, when a
:class:`~matcher.Problem` is made, so that *every* problem of the input is
reported in one :class:`~matcher.InputError` rather than the first one only.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._frozen import FrozenMap

__all__ = ["Need", "Volunteer"]


MIN_LEVEL, MAX_LEVEL = 1, 5

MIN_PRIORITY, MAX_PRIORITY = 1, 5

GEOMETRIES = ("geo", "plane")


def _canon_levels(value: Any) -> Any:
    """Skills as a FrozenMap name -> level; a list/set of names means level 1."""
    if isinstance(value, Mapping):
        return FrozenMap({k: _canon_int(v) for k, v in value.items()})
    if isinstance(value, (list, tuple, set, frozenset)):
        try:
            return FrozenMap(dict.fromkeys(value, 1))
        except TypeError:  # an unhashable item, e.g. a nested JSON list: Problem reports it
            return value
    return value


def _canon_int(value: Any) -> Any:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def _canon_float(value: Any) -> Any:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float (e.g. 10**400): not finite
            return math.inf if value > 0 else -math.inf  # type: ignore[operator]
    return value


def _canon_strset(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        try:
            return frozenset(value)
        except TypeError:  # an unhashable item, e.g. a nested JSON list: Problem reports it
            return value
    return value


def _canon_location(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        a, b = (_canon_float(x) for x in value)
        return (a, b)
    return value


def _canon_extra(value: Any) -> Any:
    if isinstance(value, Mapping):
        return FrozenMap(value)
    return value


@dataclass(frozen=True)
class Volunteer:
    """A community member who can serve needs.

    Parameters
    ----------
    id : str
        Unique among volunteers.
    skills : mapping of str to int, or iterable of str
        Skill name -> level 1..5; a plain list or set of names means level 1 each.
    location : tuple of float
        ``(lat, lon)`` in degrees, or ``(x, y)`` in km when ``Policy.geometry == "plane"``.
    capacity : int, default 1
        Most needs this volunteer takes in the planning period (0 = none).
    slots : frozenset of str or None, default None
        Time slots the volunteer is free, e.g. ``"sat-am"``; None = any slot.
    max_distance_km : float or None, default None
        The volunteer's own travel limit.
    categories : frozenset of str, default empty
        Kinds of need the volunteer prefers; empty = no preference.
    community, building, unit : str or None, default None
        Where they live and their employer unit.
    extra : mapping of str to str, default empty
        The user's own fields (name, phone), carried through, never used or printed.

    Notes
    -----
    Constructing a record does not validate it; :class:`Problem` does, for all
    records at once. Two volunteers are equal when all their fields are equal;
    the hash uses the ``id`` only.

    Examples
    --------
    >>> v = Volunteer("v1", ["driving"], (31.23, 121.47), capacity=2, slots=["sat-am"])
    >>> v.skills, v.slots
    ({'driving': 1}, frozenset({'sat-am'}))
    """

    id: str
    skills: Mapping[str, int]
    location: tuple[float, float]
    capacity: int = 1
    slots: frozenset[str] | None = None
    max_distance_km: float | None = None
    categories: frozenset[str] = frozenset()
    community: str | None = None
    building: str | None = None
    unit: str | None = None
    extra: Mapping[str, str] = field(default_factory=FrozenMap)

    if TYPE_CHECKING:  # what the constructor accepts; the fields hold the canonical forms

        def __init__(
            self,
            id: str,
            skills: Mapping[str, int] | Iterable[str],
            location: Sequence[float],
            capacity: int = 1,
            slots: Iterable[str] | None = None,
            max_distance_km: float | None = None,
            categories: Iterable[str] = frozenset(),
            community: str | None = None,
            building: str | None = None,
            unit: str | None = None,
            extra: Mapping[str, str] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "skills", _canon_levels(self.skills))
        put(self, "location", _canon_location(self.location))
        put(self, "capacity", _canon_int(self.capacity))
        if self.slots is not None:
            put(self, "slots", _canon_strset(self.slots))
        put(self, "max_distance_km", _canon_float(self.max_distance_km))
        put(self, "categories", _canon_strset(self.categories))
        put(self, "extra", _canon_extra(self.extra))

    def __hash__(self) -> int:
        return hash(("Volunteer", self.id))


@dataclass(frozen=True)
class Need:
    """A resident's need, to be served by one or more volunteers.

    Parameters
    ----------
    id : str
        Unique among needs.
    category : str
        E.g. ``"elderly_care"``, ``"tutoring"``, ``"medical"``, ``"legal"``, ``"repair"``.
    skills : mapping of str to int, or iterable of str, default empty
        Required skill -> minimum level 1..5 (a list or set means level 1).
    location : tuple of float
        ``(lat, lon)`` in degrees, or ``(x, y)`` in km with plane geometry.
    slot : str or None, default None
        The slot it must be served in; None = any time.
    demand : int, default 1
        Volunteers needed; one volunteer fills at most one unit of a need.
    priority : int, default 1
        1 (low) .. 5 (urgent).
    community, building : str or None, default None
    household : str or None, default None
        The resident or household the need is for: the same household's needs
        of other weeks share it, so :attr:`Problem.history` can name it
        (continuity of care).
    group : str or None, default None
        A team: needs with the same group are served all together -- every
        unit of each -- or not at all (a nurse and a driver for one visit).
        Solved by method ``"milp"`` (``"auto"`` picks it).
    extra : mapping of str to str, default empty
        The user's own fields, carried through, never used or printed.

    Examples
    --------
    >>> n = Need("n1", "medical", {"driving": 1}, (31.23, 121.47), slot="sat-am", priority=4)
    >>> n.demand, n.priority
    (1, 4)
    """

    id: str
    category: str
    skills: Mapping[str, int] = field(default_factory=FrozenMap)
    location: tuple[float, float] = (math.nan, math.nan)
    slot: str | None = None
    demand: int = 1
    priority: int = 1
    community: str | None = None
    building: str | None = None
    household: str | None = None
    group: str | None = None
    extra: Mapping[str, str] = field(default_factory=FrozenMap)

    if TYPE_CHECKING:  # what the constructor accepts; the fields hold the canonical forms

        def __init__(
            self,
            id: str,
            category: str,
            skills: Mapping[str, int] | Iterable[str] = (),
            location: Sequence[float] = (math.nan, math.nan),
            slot: str | None = None,
            demand: int = 1,
            priority: int = 1,
            community: str | None = None,
            building: str | None = None,
            household: str | None = None,
            group: str | None = None,
            extra: Mapping[str, str] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "skills", _canon_levels(self.skills))
        put(self, "location", _canon_location(self.location))
        put(self, "demand", _canon_int(self.demand))
        put(self, "priority", _canon_int(self.priority))
        put(self, "extra", _canon_extra(self.extra))

    def __hash__(self) -> int:
        return hash(("Need", self.id))
