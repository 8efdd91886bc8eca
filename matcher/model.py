"""The public model: volunteers, needs, the policy and the problem.

Records are immutable (frozen dataclasses). Constructing a record only puts
its fields into canonical form (a list of skill names becomes a mapping of
level 1, a list of slots a frozenset, numbers plain Python ``int``/``float``);
it never raises for a bad value. All checking happens once, when a
:class:`Problem` is made, so that *every* problem of the input is reported in
one :class:`~matcher.InputError` rather than the first one only.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from . import _rules, limits
from ._frozen import FrozenMap
from .errors import InputError, InputProblem, short_repr

__all__ = ["Need", "Policy", "Problem", "Volunteer", "Weights"]

MIN_LEVEL, MAX_LEVEL = 1, 5
MIN_PRIORITY, MAX_PRIORITY = 1, 5
GEOMETRIES = ("geo", "plane")


# --------------------------------------------------------------------------
# Canonicalisation helpers (never raise; leave a value they cannot read as is)
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Weights:
    """Weights of the terms of an edge's cost (all >= 0).

    ``cost = distance*km + overskill*levels_above + preference*[miss] + outside*[other community]
    - continuity*[served before]``

    Parameters
    ----------
    distance : float, default 1.0
        Per km travelled.
    overskill : float, default 0.1
        Per skill level above the required one, summed over the required skills.
    preference : float, default 1.0
        When the volunteer has preferred categories and the need's is not among them.
    outside : float, default 0.5
        When both communities are known and differ.
    continuity : float, default 0.0
        Taken off the cost of a pair that served before: the volunteer and the
        need's id or household are in :attr:`Problem.history` (so a resident
        keeps the same helper). The cost may then be negative.

    Examples
    --------
    >>> from matcher import Policy, Weights
    >>> Policy(weights=Weights(distance=2.0, outside=0.0)).weights
    Weights(distance=2.0, overskill=0.1, preference=1.0, outside=0.0, continuity=0.0)
    """

    distance: float = 1.0
    overskill: float = 0.1
    preference: float = 1.0
    outside: float = 0.5
    continuity: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _canon_float(getattr(self, f.name)))


@dataclass(frozen=True)
class Policy:
    """How pairs are allowed and priced. Every field is optional.

    Parameters
    ----------
    max_distance_km : float or None, default 3.0
        Global travel limit (None = no limit).
    same_community : bool, default False
        Only pair members with needs of their own community.
    one_need_per_slot : bool, default True
        A volunteer serves at most one need per slot.
    geometry : {"geo", "plane"}, default "geo"
        Haversine on a sphere of radius 6371.0088 km, or Euclidean km.
    weights : Weights or mapping, default Weights()
        Weights of the cost terms.
    load_penalty : float, default 0.0
        The k-th need given to one volunteer costs ``(k-1) * load_penalty`` more.
    unmatched_cost : float or None, default None
        None: coverage first (lexicographic objective). A number ``c``: an unserved
        unit of a need of priority ``p`` costs ``c * p``.
    resolution : float, default 0.001
        Costs are rounded (half to even) to integer multiples of this before solving.
    participation : bool, default False
        Make breadth of participation a level of the objective: first the
        served priority, then the number of volunteers engaged (at least one
        need), then the cost. Exact in every exact method. Only with the
        coverage-first objective (``unmatched_cost`` None).
    participation_floors : mapping of str to int, default empty
        Employer unit (``Volunteer.unit``) -> the fewest of its volunteers the
        plan must engage: hard constraints, solved by method ``"milp"``
        (``"auto"`` picks it). A floor no plan can meet makes the problem
        have no plan (``UnsupportedProblem`` says so).

    Examples
    --------
    >>> Policy(max_distance_km=5, weights={"overskill": 0.0}).weights.overskill
    0.0
    """

    max_distance_km: float | None = 3.0
    same_community: bool = False
    one_need_per_slot: bool = True
    geometry: Literal["geo", "plane"] = "geo"
    weights: Weights = Weights()
    load_penalty: float = 0.0
    unmatched_cost: float | None = None
    resolution: float = 0.001
    participation: bool = False
    participation_floors: Mapping[str, int] = field(default_factory=FrozenMap)

    if TYPE_CHECKING:  # what the constructor accepts; the fields hold the canonical forms

        def __init__(
            self,
            max_distance_km: float | None = 3.0,
            same_community: bool = False,
            one_need_per_slot: bool = True,
            geometry: Literal["geo", "plane"] = "geo",
            weights: Weights | Mapping[str, float] = Weights(),
            load_penalty: float = 0.0,
            unmatched_cost: float | None = None,
            resolution: float = 0.001,
            participation: bool = False,
            participation_floors: Mapping[str, int] = ...,
        ) -> None: ...

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "max_distance_km", _canon_float(self.max_distance_km))
        put(self, "load_penalty", _canon_float(self.load_penalty))
        put(self, "unmatched_cost", _canon_float(self.unmatched_cost))
        put(self, "resolution", _canon_float(self.resolution))
        floors = self.participation_floors
        if isinstance(floors, Mapping):
            put(
                self,
                "participation_floors",
                FrozenMap({k: _canon_int(v) for k, v in floors.items()}),
            )
        w = self.weights
        if isinstance(w, Mapping) and set(w) <= {f.name for f in fields(Weights)}:
            put(self, "weights", Weights(**w))

    @property
    def load_step(self) -> int:
        """The integer cost of one step of the load penalty (``round(load_penalty / resolution)``)."""
        return round(self.load_penalty / self.resolution)


# --------------------------------------------------------------------------
# Validation: one function per record kind, each returning every problem
# --------------------------------------------------------------------------


MAX_COUNT = 10**9
"""Largest capacity or demand (far beyond any real one; keeps every count exact in int64)."""


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_name(x: Any) -> bool:
    return isinstance(x, str) and x != "" and x.strip() == x


class _Checker:
    """Collects problems about one record."""

    def __init__(self, kind: str, label: str, index: int | None, out: list[InputProblem]):
        self.kind, self.label, self.index, self.out = kind, label, index, out

    def bad(self, fld: str, expected: str, value: Any = None, show: bool = True) -> None:
        """Record a problem; *value* is shown as a short repr unless *show* is False."""
        self.said(fld, expected, short_repr(value) if show else "")

    def said(self, fld: str, expected: str, got: str) -> None:
        """Record a problem whose *got* text is already written."""
        self.out.append(
            InputProblem(self.label, fld, expected, got, kind=self.kind, index=self.index)
        )

    def name(self, fld: str, value: Any, optional: bool = False) -> None:
        if optional and value is None:
            return
        if not _is_name(value):
            self.bad(
                fld,
                "a non-empty string without surrounding spaces" + (" or None" if optional else ""),
                value,
            )

    def integer(self, fld: str, value: Any, lo: int, hi: int | None = None) -> None:
        ok = _is_int(value) and value >= lo and (hi is None or value <= hi)
        if not ok:
            rng = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
            self.bad(fld, f"an integer {rng}", value)

    def real(self, fld: str, value: Any, optional: bool = False, positive: bool = False) -> None:
        if optional and value is None:
            return
        ok = _is_real(value) and math.isfinite(value) and (value > 0 if positive else value >= 0)
        if not ok:
            what = (
                "a finite number "
                + ("> 0" if positive else ">= 0")
                + (" or None" if optional else "")
            )
            self.bad(fld, what, value)

    def levels(self, fld: str, value: Any) -> None:
        if not isinstance(value, Mapping):
            self.bad(fld, "a mapping of skill name to level 1..5, or a list of skill names", value)
            return
        for name, level in value.items():
            if not _is_name(name):
                self.bad(fld, "skill names that are non-empty strings", name)
            elif not (_is_int(level) and MIN_LEVEL <= level <= MAX_LEVEL):
                self.bad(f"{fld}[{name!r}]", f"an integer level in {MIN_LEVEL}..{MAX_LEVEL}", level)

    def names(self, fld: str, value: Any, optional: bool = False) -> None:
        if optional and value is None:
            return
        if not isinstance(value, frozenset) or not all(_is_name(s) for s in value):
            what = "a set of non-empty strings" + (" or None" if optional else "")
            self.bad(fld, what, value)

    def location(self, value: Any, geometry: Any) -> None:
        if not (isinstance(value, tuple) and len(value) == 2 and all(_is_real(x) for x in value)):
            self.bad("location", "a pair of numbers (lat, lon) or (x, y)", value)
            return
        a, b = value
        if not (math.isfinite(a) and math.isfinite(b)):
            self.bad("location", "finite numbers", value)
        elif geometry == "geo":
            if not -90.0 <= a <= 90.0:
                self.bad("location", "a latitude in -90..90 degrees", a)
            if not -180.0 <= b <= 180.0:
                self.bad("location", "a longitude in -180..180 degrees", b)

    def extra(self, value: Any) -> None:
        # Never show the value: extra fields hold personal data.
        if not isinstance(value, Mapping):
            self.bad("extra", "a mapping of field name to string", show=False)
            return
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                self.bad("extra", "string keys and string values", show=False)
                break


def _label(kind: str, record: Any, index: int) -> str:
    rid = getattr(record, "id", None)
    return f"{kind} {rid!r}" if _is_name(rid) else f"{kind} #{index}"


def _check_volunteer(v: Volunteer, i: int, geometry: Any, out: list[InputProblem]) -> None:
    c = _Checker("volunteer", _label("volunteer", v, i), i, out)
    c.name("id", v.id)
    c.levels("skills", v.skills)
    c.location(v.location, geometry)
    c.integer("capacity", v.capacity, 0, MAX_COUNT)
    c.names("slots", v.slots, optional=True)
    c.real("max_distance_km", v.max_distance_km, optional=True)
    c.names("categories", v.categories)
    for fld in ("community", "building", "unit"):
        c.name(fld, getattr(v, fld), optional=True)
    c.extra(v.extra)


def _check_need(n: Need, i: int, geometry: Any, out: list[InputProblem]) -> None:
    c = _Checker("need", _label("need", n, i), i, out)
    c.name("id", n.id)
    c.name("category", n.category)
    c.levels("skills", n.skills)
    c.location(n.location, geometry)
    c.name("slot", n.slot, optional=True)
    c.integer("demand", n.demand, 1, MAX_COUNT)
    c.integer("priority", n.priority, MIN_PRIORITY, MAX_PRIORITY)
    for fld in ("community", "building", "household", "group"):
        c.name(fld, getattr(n, fld), optional=True)
    c.extra(n.extra)


def _check_policy(p: Policy, out: list[InputProblem]) -> None:
    c = _Checker("policy", "policy", None, out)
    c.real("max_distance_km", p.max_distance_km, optional=True)
    for fld in ("same_community", "one_need_per_slot", "participation"):
        if not isinstance(getattr(p, fld), bool):
            c.bad(fld, "True or False", getattr(p, fld))
    floors = p.participation_floors
    if not isinstance(floors, Mapping):
        c.bad("participation_floors", "a mapping of employer unit to a count", floors)
    else:
        for unit, k in floors.items():
            if not _is_name(unit):
                c.bad("participation_floors", "employer units as non-empty strings", unit)
            if not (_is_int(k) and 0 <= k <= MAX_COUNT):
                c.bad(f"participation_floors.{unit}", "an integer >= 0", k)
    if p.participation is True and p.unmatched_cost is not None:
        c.bad(
            "participation",
            "False when unmatched_cost is set (participation is a level of the "
            "coverage-first objective)",
            True,
        )
    if p.geometry not in GEOMETRIES:
        c.bad("geometry", "'geo' or 'plane'", p.geometry)
    if isinstance(p.weights, Weights):
        for f in fields(Weights):
            c.real(f"weights.{f.name}", getattr(p.weights, f.name))
    elif isinstance(p.weights, Mapping):
        unknown = sorted(set(p.weights) - {f.name for f in fields(Weights)}, key=str)
        c.bad(
            "weights",
            "a Weights with fields " + ", ".join(f.name for f in fields(Weights)),
            unknown,
        )
    else:
        c.bad("weights", "a Weights", p.weights)
    c.real("load_penalty", p.load_penalty)
    c.real("unmatched_cost", p.unmatched_cost, optional=True)
    c.real("resolution", p.resolution, positive=True)


# --------------------------------------------------------------------------
# Problem
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Volunteers, needs and a policy: everything the solver needs, validated.

    Parameters
    ----------
    volunteers : sequence of Volunteer
    needs : sequence of Need
    policy : Policy, default Policy()
    pinned : iterable of (need_id, volunteer_id), default ()
        Pairs that must be in the plan. Each must be feasible and fit the
        capacities, demands and (with ``one_need_per_slot``) the slots.
    forbidden : iterable of (need_id, volunteer_id), default ()
        Pairs that must not be in the plan.
    history : iterable of (need_id or household, volunteer_id), default ()
        Pairs served before (continuity of care): a candidate pair of a
        volunteer with a need whose id or ``household`` is paired with them
        here costs ``Weights.continuity`` less. Records no longer present may
        be named (they no longer count); kept sorted and without repeats.

    Raises
    ------
    InputError
        With one :class:`~matcher.InputProblem` per problem found, in order:
        the policy; every volunteer; every need; duplicate ids; pinned and
        forbidden pairs (malformed, unknown ids, repeated, both pinned and
        forbidden); a pinned pair breaking a feasibility rule (named) or
        over-filling a capacity, a demand or a slot. Rules of pinned pairs are
        checked only once the records they name are valid.

    Notes
    -----
    Empty problems are valid and give an empty plan. The records are kept in
    the order given; the candidate graph indexes them by sorted id, so the plan
    does not depend on the input order.

    Examples
    --------
    >>> vs = [Volunteer("v1", {"nursing": 3}, (31.230, 121.470))]
    >>> ns = [Need("n1", "elderly_care", {"nursing": 2}, (31.232, 121.471), priority=3)]
    >>> p = Problem(vs, ns)
    >>> len(p.volunteers), len(p.needs)
    (1, 1)
    >>> Problem(vs, ns, pinned=[("n1", "v9")])
    Traceback (most recent call last):
      ...
    matcher.errors.InputError: 1 problem in the input:
      pinned pair ('n1', 'v9'): `volunteer_id` must be the id of a volunteer; got 'v9'.
    """

    volunteers: Sequence[Volunteer]
    needs: Sequence[Need]
    policy: Policy = Policy()
    pinned: Sequence[tuple[str, str]] = ()
    forbidden: Sequence[tuple[str, str]] = ()
    history: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in ("volunteers", "needs", "pinned", "forbidden", "history"):
            value = getattr(self, name)
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
                put(self, name, tuple(value))
        # Only sequences are canonicalised; anything else (a string, a number) is left
        # for _validate to report instead of being iterated (or failing to be).
        for name in ("pinned", "forbidden", "history"):
            value = getattr(self, name)
            if isinstance(value, tuple):
                put(self, name, tuple(_canon_pair(p) for p in value))
        problems = _validate(self)
        if problems:
            raise InputError(problems)
        put(self, "history", tuple(sorted(set(self.history))))

    def __hash__(self) -> int:
        return hash((len(self.volunteers), len(self.needs), self.policy, self.pinned))

    @classmethod
    def from_frames(
        cls, volunteers: Any, needs: Any, policy: Policy | None = None, **kwargs: Any
    ) -> Problem:
        """Make a problem from two pandas DataFrames with the CSV columns.

        See :func:`matcher.frames.problem_from_frames` (pandas is an optional
        extra, imported only then).
        """
        from .frames import problem_from_frames

        return problem_from_frames(volunteers, needs, policy, **kwargs)

    @cached_property
    def volunteer_index(self) -> dict[str, int]:
        """Map volunteer id -> position in :attr:`volunteers`."""
        return {v.id: i for i, v in enumerate(self.volunteers)}

    @cached_property
    def need_index(self) -> dict[str, int]:
        """Map need id -> position in :attr:`needs`."""
        return {n.id: i for i, n in enumerate(self.needs)}


def _canon_pair(pair: Any) -> Any:
    if isinstance(pair, (list, tuple)) and len(pair) == 2:
        return (pair[0], pair[1])
    return pair


def _validate(p: Problem) -> list[InputProblem]:
    out: list[InputProblem] = []
    for name in ("volunteers", "needs"):
        records = getattr(p, name)
        if isinstance(records, tuple):
            limits.check(name, len(records), "MAX_RECORDS", "problem")
    if not isinstance(p.policy, Policy):
        _Checker("policy", "policy", None, out).bad("policy", "a Policy", p.policy)
        geometry: Any = None
    else:
        _check_policy(p.policy, out)
        geometry = p.policy.geometry
    records_ok = not out
    records_ok &= _check_records(
        "volunteer", p.volunteers, Volunteer, _check_volunteer, geometry, out
    )
    records_ok &= _check_records("need", p.needs, Need, _check_need, geometry, out)
    pinned, forbidden = p.pinned, p.forbidden
    if not isinstance(pinned, tuple) or not isinstance(forbidden, tuple):
        for k, value in (("pinned", pinned), ("forbidden", forbidden)):
            if not isinstance(value, tuple):
                _Checker(k, "problem", None, out).bad(
                    k, "a sequence of (need_id, volunteer_id) pairs", type(value).__name__
                )
        return out
    # Ids and pairs of the wrong type (e.g. JSON lists) are reported above and below;
    # they are left out of these sets, which need hashable values.
    vids = {v.id for v in p.volunteers if isinstance(v, Volunteer) and isinstance(v.id, str)}
    nids = {n.id for n in p.needs if isinstance(n, Need) and isinstance(n.id, str)}
    pinned_ok = _check_pairs("pinned", pinned, nids, vids, out)
    _check_pairs("forbidden", forbidden, nids, vids, out)
    both = sorted(set(_good_pairs(pinned)) & set(_good_pairs(forbidden)), key=str)
    for pair in both:
        _Checker("pinned", f"pinned pair {pair!r}", None, out).bad(
            "pair", "not also forbidden", "a forbidden pair"
        )
    if records_ok and pinned_ok and not both and p.pinned:
        _check_pinned_rules(p, out)
    if not isinstance(p.history, tuple):
        _Checker("history", "problem", None, out).bad(
            "history",
            "a sequence of (need_id or household, volunteer_id) pairs",
            type(p.history).__name__,
        )
    else:
        for i, pair in enumerate(p.history):
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(_is_name(x) for x in pair)):
                _Checker("history", f"history pair #{i}", i, out).bad(
                    "pair", "a (need_id or household, volunteer_id) pair of non-empty strings", pair
                )
    return out


def _good_pairs(pairs: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The well-formed (need_id, volunteer_id) pairs of *pairs* (the others are reported)."""
    return [
        p
        for p in pairs
        if isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
    ]


# Records already checked under the same policy, by id() of the live objects: a
# Planner's update sets this around Problem(...) so that only new records are checked.
_CHECKED: ContextVar[frozenset[int]] = ContextVar("_CHECKED", default=frozenset())


def _check_records(
    kind: str,
    seq: Any,
    cls: type,
    check: Callable[[Any, int, Any, list[InputProblem]], None],
    geometry: Any,
    out: list[InputProblem],
) -> bool:
    """Check every record of one kind and that ids are unique; True if all is well."""
    if not isinstance(seq, tuple):
        _Checker(kind, kind + "s", None, out).bad(kind + "s", f"a sequence of {cls.__name__}", seq)
        return False
    before = len(out)
    first_use: dict[str, int] = {}
    checked = _CHECKED.get()
    for i, rec in enumerate(seq):
        if not isinstance(rec, cls):
            _Checker(kind, f"{kind} #{i}", i, out).bad(
                kind, f"a {cls.__name__}", type(rec).__name__
            )
            continue
        if id(rec) not in checked:
            check(rec, i, geometry, out)
    for i, rec in enumerate(seq):
        rid = getattr(rec, "id", None)
        if not isinstance(rid, str) or not _is_name(rid):
            continue
        if rid in first_use:
            _Checker(kind, f"{kind} {rid!r}", i, out).bad(
                "id", f"unique among {kind}s (first used by {kind} #{first_use[rid]})", rid
            )
        else:
            first_use[rid] = i
    return len(out) == before


def _check_pairs(
    kind: str, pairs: tuple[Any, ...], nids: set[str], vids: set[str], out: list[InputProblem]
) -> bool:
    ok = True
    seen: set[tuple[str, str]] = set()
    for i, pair in enumerate(pairs):
        if not (
            isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            _Checker(kind, f"{kind} pair #{i}", i, out).bad(
                "pair", "a (need_id, volunteer_id) pair of strings", pair
            )
            ok = False
            continue
        c = _Checker(kind, f"{kind} pair {pair!r}", i, out)
        if pair[0] not in nids:
            c.bad("need_id", "the id of a need", pair[0])
            ok = False
        if pair[1] not in vids:
            c.bad("volunteer_id", "the id of a volunteer", pair[1])
            ok = False
        if pair in seen:
            c.bad("pair", f"listed once in {kind}", "a repeat")
            ok = False
        seen.add(pair)
    return ok


def _check_pinned_rules(p: Problem, out: list[InputProblem]) -> None:
    """Pinned pairs must be feasible and fit capacities, demands and slots."""
    vols = {v.id: v for v in p.volunteers}
    needs = {n.id: n for n in p.needs}
    pairs = list(p.pinned)
    broken = _rules.first_broken_rules(
        [vols[v] for _, v in pairs], [needs[n] for n, _ in pairs], p.policy, p.forbidden
    )
    for pair, (rule, detail) in zip(pairs, broken, strict=True):
        if rule is not None:
            _Checker("pinned", f"pinned pair {pair!r}", None, out).said(
                "pair", f"feasible; it breaks rule {rule} ({_rules.RULE_NAMES[rule]})", detail
            )
    per_volunteer = Counter(v for _, v in pairs)
    for vid, k in sorted(per_volunteer.items()):
        if k > vols[vid].capacity:
            _Checker("pinned", f"volunteer {vid!r}", None, out).bad(
                "pinned", f"at most capacity={vols[vid].capacity} pinned needs", f"{k}"
            )
    per_need = Counter(n for n, _ in pairs)
    for nid, k in sorted(per_need.items()):
        if k > needs[nid].demand:
            _Checker("pinned", f"need {nid!r}", None, out).bad(
                "pinned", f"at most demand={needs[nid].demand} pinned volunteers", f"{k}"
            )
    if p.policy.one_need_per_slot:
        by_slot: dict[tuple[str, str], list[str]] = defaultdict(list)
        for nid, vid in pairs:
            slot = needs[nid].slot
            if slot is not None:
                by_slot[(vid, slot)].append(nid)
        for (vid, slot), nids in sorted(by_slot.items()):
            if len(nids) > 1:
                _Checker("pinned", f"volunteer {vid!r}", None, out).bad(
                    "pinned",
                    f"at most one pinned need in slot {slot!r} (one_need_per_slot)",
                    ", ".join(repr(n) for n in sorted(nids)),
                )


def sorted_order(ids: Sequence[str]) -> list[int]:
    """Positions of *ids* in sorted-id order: the canonical index order of the graph."""
    return sorted(range(len(ids)), key=ids.__getitem__)
