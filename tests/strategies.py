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
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

import reference
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
KM_PER_DEG_LAT = math.pi * reference.EARTH_RADIUS_KM / 180.0


def budget(fraction: float, minimum: int = 2) -> int:
    """``max_examples`` for a test: *fraction* of the loaded profile's ``max_examples``.

    Expensive tests (MILP oracle, network simplex) take a small fraction, cheap ones
    a large one; the profile (``ci``, ``dev``, ``thorough``) sets the scale.
    """
    return max(minimum, round(settings().max_examples * fraction))


# --------------------------------------------------------------------------- small pieces


def ids(prefix: str, n: int) -> st.SearchStrategy[list[str]]:
    """*n* unique id strings, in sorted order or shuffled.

    Either ``prefix + number`` without padding (so ``"v10" < "v2"``: input order,
    numeric order and sorted-id order all differ) or short strings from a small
    alphabet (with non-ASCII letters). The same strings may serve as volunteer and
    need ids in one problem.
    """
    plain = st.just([f"{prefix}{i}" for i in range(n)])
    texty = st.lists(
        st.text(alphabet="abzAZ09_-é", min_size=1, max_size=3),
        min_size=n,
        max_size=n,
        unique=True,
    )

    @st.composite
    def draw_ids(draw: Any) -> list[str]:
        out = sorted(draw(st.one_of(plain, texty)))
        if draw(st.booleans()):
            out = list(draw(st.permutations(out)))
        return out

    return draw_ids()


def _weight(default: float) -> st.SearchStrategy[float]:
    return st.one_of(
        st.just(default),
        st.just(0.0),
        st.sampled_from([0.1, 0.5, 1.0, 2.0]),
        st.floats(0.0, 3.0, allow_nan=False, allow_infinity=False),
    )


@st.composite
def weights(draw: Any) -> Weights:
    """Non-negative weights: the defaults, zeros, round values or any float in 0..3."""
    if draw(st.booleans()):
        return Weights()
    return Weights(
        distance=draw(_weight(1.0)),
        overskill=draw(_weight(0.1)),
        preference=draw(_weight(1.0)),
        outside=draw(_weight(0.5)),
    )


@st.composite
def policies(
    draw: Any,
    *,
    geometry: str | None = None,
    unmatched_cost: bool | None = None,
) -> Policy:
    """A policy; *geometry* or the presence of *unmatched_cost* may be fixed."""
    geo = draw(st.sampled_from(["geo", "plane"])) if geometry is None else geometry
    max_distance = draw(
        st.one_of(
            st.none(),
            st.sampled_from([3.0, 1.0, 2.0, 2.5, 5.0]),
            st.floats(0.5, 8.0, allow_nan=False),
        )
    )
    want_unmatched = draw(st.booleans()) if unmatched_cost is None else unmatched_cost
    unmatched = None
    if want_unmatched:
        unmatched = draw(
            st.one_of(
                st.sampled_from([0.5, 1.0, 2.0, 10.0]),
                st.floats(0.001, 20.0, allow_nan=False),
            )
        )
    load_penalty = draw(
        st.one_of(st.just(0.0), st.sampled_from([0.1, 0.5, 2.0]), st.floats(0.0, 5.0))
    )
    return Policy(
        max_distance_km=max_distance,
        same_community=draw(st.integers(0, 2)) == 0,
        one_need_per_slot=draw(st.booleans()),
        geometry=geo,
        weights=draw(weights()),
        load_penalty=load_penalty,
        unmatched_cost=unmatched,
        resolution=draw(st.sampled_from([0.001, 0.01, 0.1, 1.0])),
    )


def _location(draw: Any, geometry: str, center: tuple[float, float], grid: bool) -> tuple[float, float]:
    """A point in the problem's box.

    Plane: a 0..6 km square, on a 0.5 km grid (exact distances such as 3.0 or 5.0
    hit the travel limits exactly, and records share points) or anywhere.
    Geo: a ~5 km box around *center*, longitudes wrapped to -180..180.
    """
    if geometry == "plane":
        if grid:
            x, y = draw(st.integers(0, 12)), draw(st.integers(0, 12))
            return (x * 0.5, y * 0.5)
        return (
            draw(st.floats(0.0, PLANE_SIDE_KM, allow_nan=False)),
            draw(st.floats(0.0, PLANE_SIDE_KM, allow_nan=False)),
        )
    lat0, lon0 = center
    dlat = GEO_HALF_BOX_KM / KM_PER_DEG_LAT
    dlon = dlat / math.cos(math.radians(lat0))
    if grid:  # a coarse grid: records often share a point
        lat = lat0 + draw(st.integers(-4, 4)) * dlat / 4
        lon = lon0 + draw(st.integers(-4, 4)) * dlon / 4
    else:
        lat = lat0 + draw(st.floats(-dlat, dlat, allow_nan=False))
        lon = lon0 + draw(st.floats(-dlon, dlon, allow_nan=False))
    if lon > 180.0:
        lon -= 360.0
    elif lon < -180.0:
        lon += 360.0
    return (lat, lon)


def _as_given(draw: Any, levels: dict[str, int]) -> Any:
    """The levels as a mapping, or sometimes as a plain list when all levels are 1."""
    if levels and all(v == 1 for v in levels.values()) and draw(st.booleans()):
        return sorted(levels)
    return levels


def _volunteer_skills(draw: Any) -> Any:
    """Each skill of the vocabulary at level 0 (absent) .. 5: most volunteers have some."""
    levels = {s: draw(st.sampled_from(range(6))) for s in SKILLS}
    return _as_given(draw, {s: lvl for s, lvl in levels.items() if lvl})


def _need_skills(draw: Any) -> Any:
    """At most two required skills, at level 1..5 (mostly 1..3, so pairs often match)."""
    level = st.one_of(st.sampled_from((1, 2, 3)), st.sampled_from((1, 2, 3, 4, 5)))
    levels = draw(st.dictionaries(st.sampled_from(SKILLS), level, max_size=2))
    return _as_given(draw, levels)


def _travel_limit(draw: Any) -> float | None:
    """A volunteer's own travel limit: mostly none; 0.0 (only their own door) now and then."""
    if draw(st.sampled_from([False, False, False, True])):
        return draw(st.one_of(st.sampled_from([2.0, 1.0, 2.5, 0.5, 0.0]), st.floats(0.0, 6.0)))
    return None


@st.composite
def volunteers(
    draw: Any,
    vid: str,
    geometry: str,
    center: tuple[float, float],
    grid: bool,
    max_capacity: int = 3,
) -> Volunteer:
    """One volunteer."""
    kind = draw(st.integers(0, 4))  # None (free any time) most often, sometimes no slot at all
    slots = None if kind < 2 else frozenset() if kind == 4 else draw(
        st.frozensets(st.sampled_from(SLOTS), min_size=1)
    )
    return Volunteer(
        vid,
        _volunteer_skills(draw),
        _location(draw, geometry, center, grid),
        capacity=draw(st.sampled_from([c for c in (1, 2, 0, 3, 4, 5) if c <= max_capacity])),
        slots=slots,
        max_distance_km=_travel_limit(draw),
        categories=draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2)),
        community=draw(st.sampled_from(COMMUNITIES)),
        unit=draw(st.sampled_from([None, "u1", "u2"])),
    )


@st.composite
def needs(
    draw: Any,
    nid: str,
    geometry: str,
    center: tuple[float, float],
    grid: bool,
    max_demand: int = 2,
) -> Need:
    """One need."""
    return Need(
        nid,
        draw(st.sampled_from(CATEGORIES)),
        _need_skills(draw),
        _location(draw, geometry, center, grid),
        slot=draw(st.one_of(st.none(), st.sampled_from(SLOTS))),
        demand=draw(st.sampled_from(range(1, max_demand + 1))),
        priority=draw(st.integers(1, 5)),
        community=draw(st.sampled_from(COMMUNITIES)),
    )


def _valid_pins(
    vols: list[Volunteer],
    nds: list[Need],
    policy: Policy,
    forbidden: list[tuple[str, str]],
    wanted: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    """Keep the *wanted* pairs that fit capacities, demands and one-need-per-slot."""
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

    Pinned pairs are drawn among the pairs :func:`reference.pair_feasible` accepts
    (after the forbidden pairs are drawn) and kept only while they fit capacities,
    demands and one-need-per-slot, so ``Problem(...)`` must accept them.
    """
    pol = draw(policies() if policy is None else policy)
    center = draw(st.sampled_from(CITIES))
    grid = draw(st.booleans())
    nv = draw(st.integers(min_volunteers, max_volunteers))
    nn = draw(st.integers(min_needs, max_needs))
    vids = draw(ids("v", nv))
    nids = draw(ids("n", nn))
    vols = [draw(volunteers(i, pol.geometry, center, grid, max_capacity)) for i in vids]
    nds = [draw(needs(i, pol.geometry, center, grid, max_demand)) for i in nids]

    all_pairs = [(n, v) for n in nids for v in vids]
    forbidden: list[tuple[str, str]] = []
    if all_pairs and max_forbidden:
        forbidden = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=max_forbidden))

    pinned: list[tuple[str, str]] = []
    if max_pinned:
        view = SimpleNamespace(policy=pol, forbidden=forbidden)
        fset = set(forbidden)
        feasible = [
            (n.id, v.id)
            for n in nds
            for v in vols
            if reference.pair_feasible(v, n, view, fset) is None
        ]
        if feasible:
            wanted = draw(st.lists(st.sampled_from(feasible), unique=True, max_size=max_pinned))
            pinned = _valid_pins(vols, nds, pol, forbidden, wanted)
    return Problem(vols, nds, pol, pinned=pinned, forbidden=forbidden)


def tiny_problems(**kwargs: Any) -> st.SearchStrategy[Problem]:
    """1..4 volunteers x 1..4 needs: small enough for :func:`reference.brute_force`."""
    kwargs.setdefault("min_volunteers", 1)
    kwargs.setdefault("min_needs", 1)
    return problems(4, 4, **kwargs)


@st.composite
def medium_problems(draw: Any, **kwargs: Any) -> Problem:
    """Up to 25 volunteers x 30 needs, for the MILP oracle and cross-method agreement.

    A third of the draws are assignment-like (every capacity <= 1, or every demand
    1 with one-need-per-slot off) so that method ``hungarian`` takes part too.
    """
    flavour = draw(st.sampled_from(["general", "unit_capacity", "unit_demand"]))
    if flavour == "unit_capacity":
        kwargs.setdefault("max_capacity", 1)
    elif flavour == "unit_demand":
        kwargs.setdefault("max_demand", 1)
        base = kwargs.pop("policy", None) or policies()
        kwargs["policy"] = base.map(lambda p: _with(p, one_need_per_slot=False))
    kwargs.setdefault("max_pinned", 6)
    kwargs.setdefault("max_forbidden", 10)
    kwargs.setdefault("min_volunteers", 1)
    kwargs.setdefault("min_needs", 1)
    return draw(problems(25, 30, **kwargs))


def _with(policy: Policy, **changes: Any) -> Policy:
    return replace(policy, **changes)


# --------------------------------------------------------------------------- dense graphs


@st.composite
def dense_matrices(draw: Any, max_side: int = 7) -> np.ndarray:
    """An integer-valued float cost matrix with ``np.inf`` holes and a full matching.

    Square or rectangular (either way round); cells in -10..30 or ``inf``; a hidden
    permutation of finite cells guarantees that ``min(rows, cols)`` pairs can be
    matched (so ``scipy.optimize.linear_sum_assignment`` has a solution).
    """
    rows = draw(st.integers(1, max_side))
    cols = draw(st.integers(1, max_side))
    cell = st.one_of(st.integers(-10, 30).map(float), st.just(math.inf))
    values = draw(st.lists(cell, min_size=rows * cols, max_size=rows * cols))
    a = np.array(values, dtype=np.float64).reshape(rows, cols)
    k = min(rows, cols)
    row_of = draw(st.permutations(range(rows)))
    col_of = draw(st.permutations(range(cols)))
    for t in range(k):
        r, c = row_of[t], col_of[t]
        if not np.isfinite(a[r, c]):
            a[r, c] = float(draw(st.integers(-10, 30)))
    return a
