"""The feasibility rules of DESIGN.md, vectorised over arrays of pairs.

This module owns the rules: the candidate graph (:mod:`matcher.graph`) applies
them to every pair the spatial index finds, and :class:`~matcher.Problem`
applies them to its pinned pairs, so both always agree.

Records are first *encoded* into arrays (coordinates, a skill-level matrix,
a slot matrix, community and category codes); a rule is then a vectorised
expression over pair indices ``(v, n)`` into those arrays.

Rules, in order (the order of the ``candidates`` counts of an unmatched need):

1. skills -- every required skill at or above the required level;
2. distance -- ``d(v, n) <= min(Policy.max_distance_km, Volunteer.max_distance_km)``;
3. slot -- the need has no slot, the volunteer is free any time, or the slot is free;
4. community -- not ``same_community``, or both communities known and equal;
5. available -- the pair is not forbidden and the volunteer's capacity is > 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EARTH_RADIUS_KM",
    "RULE_NAMES",
    "Encoding",
    "Names",
    "RuleMasks",
    "distance_km",
    "encode",
    "first_broken_rules",
    "names_of",
    "pair_distance_km",
    "rule_masks",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), the sphere of the haversine distance."""

RULE_NAMES = {1: "skills", 2: "distance", 3: "slot", 4: "community", 5: "available"}

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_CHUNK = 1 << 20  # pairs per chunk when a rule needs a (pairs x skills) temporary


@dataclass(frozen=True, eq=False)
class Encoding:
    """Records encoded as arrays, in the order they were given.

    Codes are indices into the sorted name tuples; ``-1`` means unknown/none.
    """

    geometry: str
    same_community: bool
    vol_xy: FloatArray  # (nv, 2) lat/lon degrees or x/y km
    need_xy: FloatArray  # (nn, 2)
    vol_limit: FloatArray  # (nv,) travel limit in km, inf = none
    skill_names: tuple[str, ...]
    vol_level: NDArray[np.int8]  # (nv, S) level, 0 = no skill
    need_level: NDArray[np.int8]  # (nn, S) required level, 0 = not required
    slot_names: tuple[str, ...]  # slots that some need asks for
    vol_any_slot: BoolArray  # (nv,) slots is None
    vol_free: BoolArray  # (nv, T)
    need_slot: IntArray  # (nn,)
    community_names: tuple[str, ...]
    vol_comm: IntArray
    need_comm: IntArray
    category_names: tuple[str, ...]  # categories of the needs
    need_cat: IntArray
    vol_has_pref: BoolArray  # (nv,) categories non-empty
    vol_pref: BoolArray  # (nv, C) prefers the category
    capacity: IntArray
    demand: IntArray
    priority: IntArray
    forbidden_keys: IntArray  # sorted v * nn + n
    vol_cos_lat: FloatArray  # (nv,) cos(radians(lat)), geo only
    need_cos_lat: FloatArray  # (nn,)

    @property
    def n_volunteers(self) -> int:
        """Number of volunteers encoded."""
        return int(self.vol_xy.shape[0])

    @property
    def names(self) -> Names:
        """The name tables of this encoding."""
        return Names(self.skill_names, self.slot_names, self.community_names, self.category_names)

    @property
    def n_needs(self) -> int:
        """Number of needs encoded."""
        return int(self.need_xy.shape[0])


class Names(NamedTuple):
    """The sorted name tables an encoding codes skills, slots, communities and categories by."""

    skills: tuple[str, ...]
    slots: tuple[str, ...]  # slots that some need asks for
    communities: tuple[str, ...]
    categories: tuple[str, ...]  # categories of the needs


def names_of(volunteers: Sequence[Any], needs: Sequence[Any]) -> Names:
    """The name tables of these records."""
    return Names(
        skills=tuple(sorted({s for r in (*volunteers, *needs) for s in r.skills})),
        slots=tuple(sorted({n.slot for n in needs if n.slot is not None})),
        communities=tuple(
            sorted({r.community for r in (*volunteers, *needs) if r.community is not None})
        ),
        categories=tuple(sorted({n.category for n in needs})),
    )


_INDEXES: dict[int, tuple[tuple[str, ...], dict[str, int]]] = {}


def _index(names: tuple[str, ...]) -> dict[str, int]:
    """``{name: code}`` of a name table, kept for the table object.

    Events encode one record at a time against the same tables: a city's
    thousands of names are indexed once, not once a record.
    """
    hit = _INDEXES.get(id(names))
    if hit is None or hit[0] is not names:
        if len(_INDEXES) >= 64:
            _INDEXES.clear()
        hit = (names, {name: i for i, name in enumerate(names)})
        _INDEXES[id(names)] = hit
    return hit[1]


def _codes(values: Sequence[str | None], names: tuple[str, ...]) -> IntArray:
    index = _index(names)
    return np.fromiter(
        (index.get(x, -1) if x is not None else -1 for x in values), np.int64, len(values)
    )


def encode(
    volunteers: Sequence[Any],
    needs: Sequence[Any],
    policy: Any,
    forbidden: Iterable[tuple[str, str]] = (),
    names: Names | None = None,
) -> Encoding:
    """Encode valid records (duck-typed) as arrays, keeping their order.

    Parameters
    ----------
    volunteers, needs : sequences of Volunteer, Need
        Already validated.
    policy : Policy
    forbidden : iterable of (need_id, volunteer_id)
        Pairs naming records outside the sequences are ignored.
    names : Names, optional
        The name tables to code against, instead of those of these records
        (to encode a few records the way a larger set was encoded: every
        skill, slot, community and category of the records must be in them).
    """
    nv, nn = len(volunteers), len(needs)
    if names is None:
        names = names_of(volunteers, needs)
    skill_names, slot_names, community_names, category_names = names
    vol_xy = np.array([v.location for v in volunteers], dtype=np.float64).reshape(nv, 2)
    need_xy = np.array([n.location for n in needs], dtype=np.float64).reshape(nn, 2)
    gmax = np.inf if policy.max_distance_km is None else policy.max_distance_km
    own = np.array(
        [np.inf if v.max_distance_km is None else v.max_distance_km for v in volunteers], np.float64
    )
    vol_limit = np.minimum(own, gmax)

    sk = _index(skill_names)
    vol_level = np.zeros((nv, len(skill_names)), np.int8)
    for i, v in enumerate(volunteers):
        for s, lvl in v.skills.items():
            vol_level[i, sk[s]] = lvl
    need_level = np.zeros((nn, len(skill_names)), np.int8)
    for i, n in enumerate(needs):
        for s, lvl in n.skills.items():
            need_level[i, sk[s]] = lvl

    sl = _index(slot_names)
    vol_any_slot = np.fromiter((v.slots is None for v in volunteers), bool, nv)
    vol_free = np.zeros((nv, len(slot_names)), bool)
    for i, v in enumerate(volunteers):
        if v.slots is not None:
            for s in v.slots:
                if s in sl:
                    vol_free[i, sl[s]] = True

    ct = _index(category_names)
    vol_pref = np.zeros((nv, len(category_names)), bool)
    for i, v in enumerate(volunteers):
        for c in v.categories:
            if c in ct:
                vol_pref[i, ct[c]] = True

    return Encoding(
        geometry=policy.geometry,
        same_community=policy.same_community,
        vol_xy=vol_xy,
        need_xy=need_xy,
        vol_limit=vol_limit,
        skill_names=skill_names,
        vol_level=vol_level,
        need_level=need_level,
        slot_names=slot_names,
        vol_any_slot=vol_any_slot,
        vol_free=vol_free,
        need_slot=_codes([n.slot for n in needs], slot_names),
        community_names=community_names,
        vol_comm=_codes([v.community for v in volunteers], community_names),
        need_comm=_codes([n.community for n in needs], community_names),
        category_names=category_names,
        need_cat=_codes([n.category for n in needs], category_names),
        vol_has_pref=np.fromiter((len(v.categories) > 0 for v in volunteers), bool, nv),
        vol_pref=vol_pref,
        capacity=np.fromiter((v.capacity for v in volunteers), np.int64, nv),
        demand=np.fromiter((n.demand for n in needs), np.int64, nn),
        priority=np.fromiter((n.priority for n in needs), np.int64, nn),
        forbidden_keys=forbidden_keys([v.id for v in volunteers], [n.id for n in needs], forbidden),
        vol_cos_lat=np.cos(np.radians(vol_xy[:, 0])),
        need_cos_lat=np.cos(np.radians(need_xy[:, 0])),
    )


def forbidden_keys(
    volunteer_ids: Sequence[str], need_ids: Sequence[str], forbidden: Iterable[tuple[str, str]]
) -> IntArray:
    """``Encoding.forbidden_keys``: sorted ``v * n_needs + n`` of the forbidden pairs.

    Pairs naming records outside the id lists are ignored.
    """
    nn = len(need_ids)
    vindex = {x: i for i, x in enumerate(volunteer_ids)}
    nindex = {x: i for i, x in enumerate(need_ids)}
    keys = [vindex[v] * nn + nindex[n] for n, v in forbidden if v in vindex and n in nindex]
    return np.unique(np.array(keys, dtype=np.int64))


def distance_km(enc: Encoding, v: IntArray, n: IntArray) -> FloatArray:
    """Distance in km of each pair ``(v[i], n[i])`` (see :func:`pair_distance_km`)."""
    if enc.geometry == "plane":
        return pair_distance_km("plane", enc.vol_xy[v], enc.need_xy[n])
    return pair_distance_km(
        "geo", enc.vol_xy[v], enc.need_xy[n], enc.vol_cos_lat[v], enc.need_cos_lat[n]
    )


def pair_distance_km(
    geometry: str,
    a: FloatArray,
    b: FloatArray,
    cos_a: FloatArray | None = None,
    cos_b: FloatArray | None = None,
) -> FloatArray:
    """Distance in km between points ``a[i]`` and ``b[i]`` (shape (k, 2) each).

    The one definition of the metric. Geo: haversine on a sphere of radius
    :data:`EARTH_RADIUS_KM`, points ``(lat, lon)`` in degrees; plane:
    ``sqrt(dx*dx + dy*dy)``. ``cos_a``/``cos_b`` are ``cos(radians(lat))``
    of the points when already known (the same bits either way). The float
    operations are spelled out so that every caller gets the same bits.
    """
    if geometry == "plane":
        dx = b[:, 0] - a[:, 0]
        dy = b[:, 1] - a[:, 1]
        with np.errstate(over="ignore"):  # beyond 1e154 km: inf, refused with the cost
            return np.asarray(np.sqrt(dx * dx + dy * dy))
    if cos_a is None:
        cos_a = np.cos(np.radians(a[:, 0]))
    if cos_b is None:
        cos_b = np.cos(np.radians(b[:, 0]))
    dphi = np.radians(b[:, 0] - a[:, 0])
    dlam = np.radians(b[:, 1] - a[:, 1])
    h = np.sin(dphi / 2) ** 2 + cos_a * cos_b * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h))))


class RuleMasks(NamedTuple):
    """One boolean array per rule, True where the pair passes it."""

    skills: BoolArray
    distance: BoolArray
    slot: BoolArray
    community: BoolArray
    available: BoolArray

    def all(self) -> BoolArray:
        """Pairs passing every rule."""
        return self.skills & self.distance & self.slot & self.community & self.available


def skills_ok(enc: Encoding, v: IntArray, n: IntArray) -> BoolArray:
    """Rule 1, in chunks to bound the (pairs x skills) temporary."""
    out = np.empty(len(v), bool)
    for lo in range(0, len(v), _CHUNK):
        hi = lo + _CHUNK
        out[lo:hi] = np.all(enc.vol_level[v[lo:hi]] >= enc.need_level[n[lo:hi]], axis=1)
    return out


def rule_masks(
    enc: Encoding, v: IntArray, n: IntArray, dist: FloatArray, skills: BoolArray | None = None
) -> RuleMasks:
    """Evaluate the five rules on pairs ``(v[i], n[i])`` with distances *dist*.

    *skills*, when given, is rule 1 already evaluated on these pairs.
    """
    s = enc.need_slot[n]
    has_slot = s >= 0
    slot = ~has_slot | enc.vol_any_slot[v]
    if enc.vol_free.shape[1]:
        slot |= has_slot & enc.vol_free[v, np.maximum(s, 0)]
    if enc.same_community:
        cv = enc.vol_comm[v]
        community = (cv >= 0) & (cv == enc.need_comm[n])
    else:
        community = np.ones(len(v), bool)
    available = enc.capacity[v] > 0
    if enc.forbidden_keys.size:
        available &= ~np.isin(v * enc.n_needs + n, enc.forbidden_keys)
    return RuleMasks(
        skills=skills_ok(enc, v, n) if skills is None else skills,
        distance=dist <= enc.vol_limit[v],
        slot=slot,
        community=community,
        available=available,
    )


def first_broken_rules(
    volunteers: Sequence[Any],
    needs: Sequence[Any],
    policy: Any,
    forbidden: Iterable[tuple[str, str]] = (),
) -> list[tuple[int | None, str]]:
    """For pairs ``(volunteers[i], needs[i])``: the first broken rule and why.

    Returns a list of ``(rule number or None, detail)``; ``None`` = feasible.
    """
    k = len(volunteers)
    if k == 0:
        return []
    # Rule 5's forbidden pairs are looked up by id here, not through the
    # encoding: a volunteer or need may come more than once in these lists.
    banned = {(str(n), str(v)) for n, v in forbidden}
    enc = encode(volunteers, needs, policy)
    idx = np.arange(k)
    dist = distance_km(enc, idx, idx)
    masks = rule_masks(enc, idx, idx, dist)
    out: list[tuple[int | None, str]] = []
    for i in range(k):
        v, n = volunteers[i], needs[i]
        if masks.available[i] and (n.id, v.id) in banned:
            masks.available[i] = False
        if not masks.skills[i]:
            short = [
                f"{s}>={lvl} (has {v.skills.get(s, 0)})"
                for s, lvl in sorted(n.skills.items())
                if v.skills.get(s, 0) < lvl
            ]
            out.append((1, "needs " + ", ".join(short)))
        elif not masks.distance[i]:
            out.append((2, f"{dist[i]:.3f} km > limit {enc.vol_limit[i]:g} km"))
        elif not masks.slot[i]:
            out.append((3, f"volunteer not free in slot {n.slot!r}"))
        elif not masks.community[i]:
            out.append((4, f"communities {v.community!r} and {n.community!r}"))
        elif not masks.available[i]:
            out.append((5, "the pair is forbidden" if v.capacity > 0 else "capacity is 0"))
        else:
            out.append((None, ""))
    return out
