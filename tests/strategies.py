"""Hypothesis strategies that draw ``matcher`` problems by *structure*.

Problems are built only through the public API (``from matcher import Volunteer,
Need, Policy, Weights, Problem``). Every ingredient is drawn by Hypothesis --
no random seeds -- so failures shrink to small, readable problems:

* :func:`policies` -- geometry, travel limit, community rule, slot rule, weights,
  load penalty, unmatched cost, resolution;
* :func:`problems` -- volunteers and needs with skills from a small vocabulary
  (so pairs often just match or just miss), locations in a small box (so the
  distance rule bites), slots, capacities, demands, priorities, communities,
  categories and preferences, forbidden pairs and *valid* pinned pairs;
* :func:`tiny_problems` (brute-force size) and :func:`medium_problems` (MILP size);
* :func:`dense_matrices` -- cost matrices with ``np.inf`` holes and a perfect matching.

:func:`budget` scales a test's number of examples with the loaded Hypothesis
profile (see ``conftest.py``), so expensive tests run fewer examples than cheap ones
in every profile.

Choices are mostly ``sampled_from`` lists whose first element is the simplest
value (Hypothesis shrinks towards it) and which repeat the values worth drawing
more often. Strategies are built once (module constants or cached factories):
building them inside every draw costs more than the draws.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np
import reference
from hypothesis import settings
from hypothesis import strategies as st

from matcher import Need, Policy, Problem, Volunteer, Weights

__all__ = [
    "CATEGORIES",
    "CITIES",
    "COMMUNITIES",
    "SKILLS",
    "SLOTS",
    "budget",
    "dense_matrices",
    "ids",
    "medium_problems",
    "policies",
    "problems",
    "tiny_problems",
    "weights",
]

SKILLS = ("nursing", "driving", "tutoring")
SLOTS = ("sat-am", "sat-pm", "sun-am")
CATEGORIES = ("elderly_care", "tutoring", "medical", "repair")
COMMUNITIES = (None, "A", "A", "B")  # "A" twice: same-community pairs are common

#: (lat, lon) of real places: mid latitude, high latitude, the equator, and Taveuni
#: (Fiji), which the 180th meridian crosses -- longitudes there wrap to -180.
CITIES = (
    (31.2304, 121.4737),  # Shanghai
    (59.9139, 10.7522),  # Oslo
    (-0.1807, -78.4678),  # Quito
    (-16.8000, 179.9990),  # Taveuni, on the antimeridian
)

GEO_HALF_BOX_KM = 2.5  # geo: a ~5 km x 5 km box around the city
PLANE_SIDE_KM = 6.0  # plane: a 0..6 km square
NEAR_HALF_KM = 1.5  # a need modelled on a volunteer: within a 3 km square around them
KM_PER_DEG_LAT = math.pi * reference.EARTH_RADIUS_KM / 180.0


def budget(fraction: float, minimum: int = 2) -> int:
    """``max_examples`` for a test: *fraction* of the loaded profile's ``max_examples``.

    Expensive tests (MILP oracle, network simplex) take a small fraction, cheap ones
    a large one; the profile (``ci``, ``dev``, ``thorough``) sets the scale.
    """
    return max(minimum, round(settings().max_examples * fraction))


# --------------------------------------------------------------------------- cached strategies


@cache
def _pick(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``sampled_from(values)``, built once per tuple of values."""
    return st.sampled_from(values)


@cache
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.integers(lo, hi)


@cache
def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@cache
def _sizes(lo: int, hi: int) -> st.SearchStrategy[int]:
    """A count in lo..hi, half the time hi: Hypothesis otherwise favours small problems."""
    return st.integers(lo, hi) | st.just(hi)


@cache
def _unique_ints(n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(0, 2000), min_size=n, max_size=n, unique=True)


@cache
def _pick_pairs(n_choices: int, max_size: int) -> st.SearchStrategy[list[int]]:
    """Up to *max_size* distinct indices into a list of *n_choices* pairs."""
    return st.lists(st.integers(0, n_choices - 1), unique=True, max_size=max_size)


@cache
def _slot_sets(slots: tuple[str, ...]) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(slots), min_size=1)


@cache
def _skill_subset(have: tuple[tuple[str, int], ...]) -> st.SearchStrategy[list[tuple[str, int]]]:
    return st.lists(st.sampled_from(have), unique=True, max_size=2)


_BOOL = st.booleans()
_LEVEL = _pick((0, 1, 2, 3, 4, 5, 3, 4, 5))  # 0 = no such skill; high levels more often
_REQUIRED = st.one_of(_pick((1, 2, 3)), _pick((1, 2, 3, 4, 5)))
_NEED_SKILLS = st.dictionaries(_pick(SKILLS), _REQUIRED, max_size=2)
_SKILL_DELTA = _pick((0, 0, -1, 1))  # modelled need: at the level, one less, one more
_SLOTS_KIND = _pick((0, 0, 1, 2))  # 0 free any time, 1 some slots, 2 None or never
_LIMIT_GIVEN = _pick((False, False, False, True))
_OWN_LIMIT = st.one_of(_pick((2.0, 1.0, 2.5, 0.5, 0.0)), _floats(0.0, 6.0))
_PREFERENCES = st.frozensets(_pick(CATEGORIES), max_size=2)
_COMMUNITY = _pick(COMMUNITIES)
_UNIT = _pick((None, "u1", "u2"))
_CATEGORY = _pick(CATEGORIES)
_PRIORITY = _ints(1, 5)
_SLOTS_USED = _pick((3, 1, 2))  # how many slots the problem uses
_CITY = _pick(CITIES)
_GEOMETRY = _pick(("geo", "plane"))
_FLAVOUR = _pick(("general", "unit_capacity", "unit_demand"))


# --------------------------------------------------------------------------- ids


_ID_ALPHABET = "abzAZ09_-é"


def _word(x: int) -> str:
    """A distinct non-empty word for each integer >= 0 (bijective base-10 numeration)."""
    out = []
    x += 1
    while x:
        x, d = divmod(x - 1, len(_ID_ALPHABET))
        out.append(_ID_ALPHABET[d])
    return "".join(reversed(out))


def _draw_ids(draw: Any, prefix: str, n: int) -> list[str]:
    """*n* unique id strings, in sorted order or shuffled.

    Either ``prefix + number`` without padding (so ``"v10" < "v2"``: input order,
    numeric order and sorted-id order all differ) or short words over a small
    alphabet with a non-ASCII letter. Volunteer and need ids may coincide.
    """
    if draw(_BOOL):
        out = sorted(_word(x) for x in draw(_unique_ints(n)))
    else:
        out = sorted(f"{prefix}{i}" for i in range(n))
    if draw(_BOOL):
        out = list(draw(st.permutations(out)))
    return out


@st.composite
def ids(draw: Any, prefix: str, n: int) -> list[str]:
    """Strategy form of the id drawing used by :func:`problems`."""
    return _draw_ids(draw, prefix, n)


# --------------------------------------------------------------------------- policies


def _weight(default: float) -> st.SearchStrategy[float]:
    return st.one_of(st.just(default), st.just(0.0), _pick((0.1, 0.5, 1.0, 2.0)), _floats(0.0, 3.0))


_WEIGHTS = {
    name: _weight(getattr(Weights(), name))
    for name in ("distance", "overskill", "preference", "outside")
}


@st.composite
def weights(draw: Any) -> Weights:
    """Non-negative weights: the defaults, zeros, round values or any float in 0..3."""
    if draw(_BOOL):
        return Weights()
    return Weights(**{name: draw(s) for name, s in _WEIGHTS.items()})


_MAX_DISTANCE = st.one_of(st.none(), _pick((3.0, 5.0, 2.5, 2.0, 1.0)), _floats(0.5, 8.0))
_UNMATCHED = st.one_of(_pick((0.5, 1.0, 2.0, 10.0)), _floats(0.001, 20.0))
_LOAD_PENALTY = st.one_of(st.just(0.0), _pick((0.1, 0.5, 2.0)), _floats(0.0, 5.0))
_RESOLUTION = _pick((0.001, 0.01, 0.1, 1.0))
_SAME_COMMUNITY = _pick((False, False, True))
_ONE_PER_SLOT = _pick((True, False, True))


@st.composite
def policies(
    draw: Any,
    *,
    geometry: str | None = None,
    unmatched_cost: bool | None = None,
) -> Policy:
    """A policy; *geometry* or the presence of *unmatched_cost* may be fixed.

    Geometry "geo" or "plane"; global travel limit None, a round value or any in
    0.5..8 km; same_community (a third of the time); one_need_per_slot (two thirds);
    weights; load_penalty 0 or positive; unmatched_cost None or positive;
    resolution 0.001, 0.01, 0.1 or 1.
    """
    geo = draw(_GEOMETRY) if geometry is None else geometry
    max_distance = draw(_MAX_DISTANCE)
    want_unmatched = draw(_BOOL) if unmatched_cost is None else unmatched_cost
    return Policy(
        max_distance_km=max_distance,
        same_community=draw(_SAME_COMMUNITY),
        one_need_per_slot=draw(_ONE_PER_SLOT),
        geometry=geo,
        weights=draw(weights()),
        load_penalty=draw(_LOAD_PENALTY),
        unmatched_cost=draw(_UNMATCHED) if want_unmatched else None,
        resolution=draw(_RESOLUTION),
    )


# --------------------------------------------------------------------------- records


def _wrap_lon(lon: float) -> float:
    if lon > 180.0:
        return lon - 360.0
    if lon < -180.0:
        return lon + 360.0
    return lon


def _location(
    draw: Any, geometry: str, center: tuple[float, float], grid: bool, half_km: float
) -> tuple[float, float]:
    """A point in the square of half side *half_km* around *center*.

    Plane (km): on a 0.5 km grid (exact distances such as 3.0 or 5.0 hit the travel
    limits exactly, and records share points) or anywhere. Geo (degrees): on a grid
    of a quarter of the half side, or anywhere; longitudes wrapped to -180..180.
    """
    c0, c1 = center
    if geometry == "plane":
        if grid:
            k = round(half_km / 0.5)
            return (c0 + 0.5 * draw(_ints(-k, k)), c1 + 0.5 * draw(_ints(-k, k)))
        return (c0 + draw(_floats(-half_km, half_km)), c1 + draw(_floats(-half_km, half_km)))
    dlat = half_km / KM_PER_DEG_LAT
    dlon = dlat / math.cos(math.radians(c0))
    if grid:
        lat = c0 + draw(_ints(-4, 4)) * dlat / 4
        lon = c1 + draw(_ints(-4, 4)) * dlon / 4
    else:
        lat = c0 + draw(_floats(-dlat, dlat))
        lon = c1 + draw(_floats(-dlon, dlon))
    return (lat, _wrap_lon(lon))


def _as_given(draw: Any, levels: dict[str, int]) -> Any:
    """The levels as a mapping, or sometimes as a plain list when all levels are 1."""
    if levels and all(v == 1 for v in levels.values()) and draw(_BOOL):
        return sorted(levels)
    return levels


def _half_box(geometry: str) -> float:
    return PLANE_SIDE_KM / 2 if geometry == "plane" else GEO_HALF_BOX_KM


def _volunteer(
    draw: Any,
    vid: str,
    geometry: str,
    center: tuple[float, float],
    grid: bool,
    max_capacity: int,
    slots_in_use: tuple[str, ...],
) -> Volunteer:
    """One volunteer, somewhere in the problem's box.

    Each skill of the vocabulary at level 0 (absent) .. 5; free any time most often,
    else some of the slots in use, or none at all; capacity 0..max; a personal travel
    limit now and then (0.0 = only their own door); preferences; community; unit.
    """
    levels = {s: draw(_LEVEL) for s in SKILLS}
    kind = draw(_SLOTS_KIND)
    if kind == 0:
        slots = None
    elif kind == 1:
        slots = draw(_slot_sets(slots_in_use))
    else:
        slots = frozenset() if draw(_BOOL) else None
    return Volunteer(
        vid,
        _as_given(draw, {s: lvl for s, lvl in levels.items() if lvl}),
        _location(draw, geometry, center, grid, _half_box(geometry)),
        capacity=draw(_pick(tuple(c for c in (1, 2, 0, 3, 4, 5) if c <= max_capacity))),
        slots=slots,
        max_distance_km=draw(_OWN_LIMIT) if draw(_LIMIT_GIVEN) else None,
        categories=draw(_PREFERENCES),
        community=draw(_COMMUNITY),
        unit=draw(_UNIT),
    )


def _need(
    draw: Any,
    nid: str,
    geometry: str,
    center: tuple[float, float],
    grid: bool,
    near: Sequence[Volunteer],
    max_demand: int,
    slots_in_use: tuple[str, ...],
) -> Need:
    """One need: anywhere in the box, or modelled on one of the volunteers *near*.

    A need modelled on a volunteer lies within a 3 km square around them and asks
    for some of their skills at their level, one less or one more (a pair that just
    matches or just misses), mostly in one of their slots and in their community.
    """
    which = draw(_pick(tuple(range(-1, len(near)))))  # -1: not modelled on anyone
    if which < 0:
        skills = draw(_NEED_SKILLS)
        location = _location(draw, geometry, center, grid, _half_box(geometry))
        slot = draw(_pick((None, *slots_in_use, slots_in_use[0])))
        community = draw(_COMMUNITY)
    else:
        model = near[which]
        have = tuple(sorted(model.skills.items()))
        chosen = draw(_skill_subset(have)) if have else []
        skills = {s: min(5, max(1, lvl + draw(_SKILL_DELTA))) for s, lvl in chosen}
        location = _location(draw, geometry, model.location, grid, NEAR_HALF_KM)
        free = tuple(sorted(model.slots)) if model.slots else slots_in_use
        slot = draw(_pick((None, *free, *free, *slots_in_use)))
        community = draw(_pick((model.community, model.community, *COMMUNITIES)))
    return Need(
        nid,
        draw(_CATEGORY),
        _as_given(draw, skills),
        location,
        slot=slot,
        demand=draw(_pick(tuple(range(1, max_demand + 1)))),
        priority=draw(_PRIORITY),
        community=community,
    )


def _valid_pins(
    vols: Sequence[Volunteer],
    nds: Sequence[Need],
    policy: Policy,
    wanted: Sequence[tuple[str, str]],
) -> list[tuple[str, str]]:
    """Keep the *wanted* (feasible) pairs that fit capacities, demands and one-need-per-slot."""
    vol = {v.id: v for v in vols}
    need = {n.id: n for n in nds}
    load: Counter[str] = Counter()
    units: Counter[str] = Counter()
    busy: set[tuple[str, str]] = set()
    out = []
    for nid, vid in wanted:
        slot = need[nid].slot
        if load[vid] >= vol[vid].capacity or units[nid] >= need[nid].demand:
            continue
        if policy.one_need_per_slot and slot is not None and (vid, slot) in busy:
            continue
        out.append((nid, vid))
        load[vid] += 1
        units[nid] += 1
        if slot is not None:
            busy.add((vid, slot))
    return out


@st.composite
def problems(
    draw: Any,
    max_volunteers: int = 4,
    max_needs: int = 4,
    *,
    min_volunteers: int = 0,
    min_needs: int = 0,
    policy: st.SearchStrategy[Policy] | None = None,
    max_capacity: int = 3,
    max_demand: int = 2,
    max_pinned: int = 3,
    max_forbidden: int = 3,
) -> Problem:
    """A valid :class:`~matcher.Problem` drawn by structure.

    Sometimes every record uses one or two slots only (so one-need-per-slot binds).
    Pinned pairs are drawn among the pairs :func:`reference.pair_feasible` accepts
    (after the forbidden pairs are drawn) and kept only while they fit capacities,
    demands and one-need-per-slot, so ``Problem(...)`` must accept them.
    """
    pol = draw(policies() if policy is None else policy)
    if pol.geometry == "plane":
        center = (PLANE_SIDE_KM / 2, PLANE_SIDE_KM / 2)
    else:
        center = draw(_CITY)
    grid = draw(_BOOL)
    nv = draw(_sizes(min_volunteers, max_volunteers))
    nn = draw(_sizes(min_needs, max_needs))
    vids = _draw_ids(draw, "v", nv)
    nids = _draw_ids(draw, "n", nn)
    slots_in_use = SLOTS[: draw(_SLOTS_USED)]
    geo = pol.geometry
    vols = [_volunteer(draw, i, geo, center, grid, max_capacity, slots_in_use) for i in vids]
    nds = [_need(draw, i, geo, center, grid, vols, max_demand, slots_in_use) for i in nids]

    all_pairs = [(n, v) for n in nids for v in vids]
    forbidden: list[tuple[str, str]] = []
    if all_pairs and max_forbidden:
        forbidden = [all_pairs[k] for k in draw(_pick_pairs(len(all_pairs), max_forbidden))]

    pinned: list[tuple[str, str]] = []
    if max_pinned and draw(_BOOL):
        view = SimpleNamespace(policy=pol, forbidden=forbidden)
        fset = set(forbidden)
        feasible = [
            (n.id, v.id)
            for n in nds
            for v in vols
            if reference.pair_feasible(v, n, view, fset) is None
        ]
        if feasible:
            wanted = [feasible[k] for k in draw(_pick_pairs(len(feasible), max_pinned))]
            pinned = _valid_pins(vols, nds, pol, wanted)
    return Problem(vols, nds, pol, pinned=pinned, forbidden=forbidden)


def tiny_problems(**kwargs: Any) -> st.SearchStrategy[Problem]:
    """1..4 volunteers x 1..4 needs: small enough for :func:`reference.brute_force`."""
    kwargs.setdefault("min_volunteers", 1)
    kwargs.setdefault("min_needs", 1)
    return problems(4, 4, **kwargs)


def _with(policy: Policy, **changes: Any) -> Policy:
    return replace(policy, **changes)


@st.composite
def medium_problems(draw: Any, **kwargs: Any) -> Problem:
    """4..25 volunteers x 4..30 needs, for the MILP oracle and cross-method agreement.

    A third of the draws are assignment-like (every capacity <= 1, or every demand
    1 with one-need-per-slot off) so that method ``hungarian`` takes part too.
    """
    flavour = draw(_FLAVOUR)
    if flavour == "unit_capacity":
        kwargs.setdefault("max_capacity", 1)
    elif flavour == "unit_demand":
        kwargs.setdefault("max_demand", 1)
        base = kwargs.pop("policy", None) or policies()
        kwargs["policy"] = base.map(lambda p: _with(p, one_need_per_slot=False))
    kwargs.setdefault("max_pinned", 6)
    kwargs.setdefault("max_forbidden", 10)
    kwargs.setdefault("min_volunteers", 4)
    kwargs.setdefault("min_needs", 4)
    return draw(problems(25, 30, **kwargs))


# --------------------------------------------------------------------------- dense graphs


_CELL = st.one_of(_ints(-10, 30).map(float), st.just(math.inf))


@st.composite
def dense_matrices(draw: Any, max_side: int = 7) -> np.ndarray:
    """An integer-valued float cost matrix with ``np.inf`` holes and a full matching.

    Square or rectangular (either way round); cells in -10..30 or ``inf``; a hidden
    permutation of finite cells guarantees that ``min(rows, cols)`` pairs can be
    matched (so ``scipy.optimize.linear_sum_assignment`` has a solution).
    """
    rows = draw(_ints(1, max_side))
    cols = draw(_ints(1, max_side))
    values = draw(st.lists(_CELL, min_size=rows * cols, max_size=rows * cols))
    a = np.array(values, dtype=np.float64).reshape(rows, cols)
    row_of = draw(st.permutations(range(rows)))
    col_of = draw(st.permutations(range(cols)))
    for t in range(min(rows, cols)):
        r, c = row_of[t], col_of[t]
        if not np.isfinite(a[r, c]):
            a[r, c] = float(draw(_ints(-10, 30)))
    return a
