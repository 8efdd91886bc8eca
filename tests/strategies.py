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
* :func:`medium_cases` -- medium problems, one in ten made invalid on purpose
  (:data:`BREAKS`: an infeasible or forbidden pinned pair, pins beyond a demand,
  a resolution too fine for integer costs), as a :class:`Case` to build;
* :func:`shuffled` -- the same problem with its records and pairs reordered;
* :func:`far_apart_problems` -- two problems :data:`FAR_KM` apart and their union;
* :func:`raw_graphs` / :func:`graphs` -- low-level :class:`~matcher.Graph` objects,
  from drawn integer arrays or built from drawn problems;
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
from dataclasses import dataclass, replace
from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np
import reference
from hypothesis import settings
from hypothesis import strategies as st

from matcher import Graph, Need, Policy, Problem, Volunteer, Weights, build_graph

__all__ = [
    "BREAKS",
    "CATEGORIES",
    "CITIES",
    "COMMUNITIES",
    "FAR_KM",
    "FINE_RESOLUTION",
    "SKILLS",
    "SLOTS",
    "Case",
    "budget",
    "dense_matrices",
    "far_apart_problems",
    "graphs",
    "ids",
    "medium_cases",
    "medium_problems",
    "policies",
    "prefixed",
    "problems",
    "raw_graphs",
    "shuffled",
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
_OWN_LIMIT = st.one_of(_pick((2.0, 1.0, 2.5, 0.5, 0.001)), _floats(0.001, 6.0))  # > 0
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
    offset_km: float = 0.0,
) -> Problem:
    """A valid :class:`~matcher.Problem` drawn by structure.

    Sometimes every record uses one or two slots only (so one-need-per-slot binds).
    With the plane geometry, *offset_km* moves the whole box that far along x
    (records are drawn there, so distances and pinned pairs are exact as drawn).
    Pinned pairs are drawn among the pairs :func:`reference.pair_feasible` accepts
    (after the forbidden pairs are drawn) and kept only while they fit capacities,
    demands and one-need-per-slot, so ``Problem(...)`` must accept them.
    """
    pol = draw(policies() if policy is None else policy)
    if pol.geometry == "plane":
        center = (PLANE_SIDE_KM / 2 + offset_km, PLANE_SIDE_KM / 2)
    elif offset_km:
        raise ValueError("offset_km is for the plane geometry only")
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
        base = kwargs.pop("policy", None)
        if base is None:
            base = policies()
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


# --------------------------------------------------------------------------- reordering


@st.composite
def shuffled(draw: Any, problem: Problem) -> Problem:
    """The same problem with its volunteers, needs, pinned and forbidden pairs reordered."""
    return Problem(
        draw(st.permutations(problem.volunteers)),
        draw(st.permutations(problem.needs)),
        problem.policy,
        pinned=draw(st.permutations(problem.pinned)),
        forbidden=draw(st.permutations(problem.forbidden)),
    )


# --------------------------------------------------------------------------- invalid on purpose


#: What :func:`medium_cases` may break on purpose.
BREAKS = ("infeasible_pin", "pinned_forbidden", "overfull_pins", "fine_resolution")

#: A resolution so fine that any non-zero cost is more than 2**52 units.
FINE_RESOLUTION = 1e-300


@dataclass(frozen=True)
class Case:
    """The records of a problem, perhaps broken on purpose; :meth:`build` makes the Problem.

    ``broken`` says what :func:`medium_cases` broke (one of :data:`BREAKS`), or None.
    It is the strategy's intent only: tests decide validity with their own oracle
    (a ``fine_resolution`` case whose costs are all 0 is still valid).
    """

    volunteers: tuple[Volunteer, ...]
    needs: tuple[Need, ...]
    policy: Policy
    pinned: tuple[tuple[str, str], ...]
    forbidden: tuple[tuple[str, str], ...]
    broken: str | None = None

    @classmethod
    def of(cls, problem: Problem, broken: str | None = None, **changes: Any) -> Case:
        fields_ = {
            "volunteers": tuple(problem.volunteers),
            "needs": tuple(problem.needs),
            "policy": problem.policy,
            "pinned": tuple(problem.pinned),
            "forbidden": tuple(problem.forbidden),
        }
        fields_.update(changes)
        return cls(**fields_, broken=broken)

    def build(self) -> Problem:
        """The Problem (``InputError`` if the records are invalid)."""
        return Problem(
            self.volunteers,
            self.needs,
            self.policy,
            pinned=self.pinned,
            forbidden=self.forbidden,
        )


_BREAK_SOMETHING = _pick((False,) * 9 + (True,))  # one case in ten is broken on purpose
_BREAK_KIND = _pick(BREAKS)


def _index(draw: Any, n: int) -> int:
    return draw(_ints(0, n - 1))


def _break(draw: Any, problem: Problem, kind: str) -> Case | None:
    """*problem* broken in the way *kind* says, or None when it cannot be."""
    pinned = list(problem.pinned)
    forbidden = list(problem.forbidden)
    if kind == "fine_resolution":
        policy = _with(problem.policy, resolution=FINE_RESOLUTION)
        return Case.of(problem, kind, policy=policy)
    if kind == "pinned_forbidden":
        if not forbidden:
            return None
        pair = forbidden[_index(draw, len(forbidden))]
        return Case.of(problem, kind, pinned=(*pinned, pair))
    vols, nds = problem.volunteers, problem.needs
    if kind == "infeasible_pin":
        fset = set(forbidden)
        taken = set(pinned)
        bad = [
            (n.id, v.id)
            for n in nds
            for v in vols
            if (n.id, v.id) not in fset
            and (n.id, v.id) not in taken
            and reference.pair_feasible(v, n, problem, fset) is not None
        ]
        if not bad:
            return None
        pair = bad[_index(draw, len(bad))]
        pins = list(pinned)
        pins.insert(_index(draw, len(pins) + 1), pair)
        return Case.of(problem, kind, pinned=tuple(pins))
    assert kind == "overfull_pins"
    # Pin one volunteer more than a need's demand; drawn among its feasible volunteers
    # when it has enough (else a pin breaks a feasibility rule first, also invalid).
    fset, taken = set(forbidden), set(pinned)
    options = []  # (enough feasible volunteers?, need id, volunteers to pin, how many)
    for need in nds:
        extra = need.demand + 1 - sum(1 for a, _ in pinned if a == need.id)
        free = [v for v in vols if (need.id, v.id) not in taken | fset]
        good = [v for v in free if reference.pair_feasible(v, need, problem, fset) is None]
        pool = good if len(good) >= extra else free
        if len(pool) >= extra:
            options.append((pool is good, need.id, [v.id for v in pool], extra))
    if not options:
        return None
    options.sort(key=lambda o: not o[0])  # needs with enough feasible volunteers first
    _, nid, pool, extra = options[_index(draw, len(options))] if draw(_BOOL) else options[0]
    chosen = draw(st.permutations(pool))[:extra]
    return Case.of(problem, kind, pinned=(*pinned, *((nid, v) for v in chosen)))


@st.composite
def medium_cases(draw: Any) -> Case:
    """A :func:`medium_problems` draw; one time in ten broken on purpose (:data:`BREAKS`).

    ``infeasible_pin`` pins a pair that breaks a feasibility rule;
    ``pinned_forbidden`` pins a forbidden pair; ``overfull_pins`` pins one more
    volunteer to a need than its demand; ``fine_resolution`` sets a resolution
    so fine that costs overflow the integer range (refused by ``solve``, not by
    ``Problem``). When a problem cannot be broken the chosen way it is kept valid.
    """
    problem = draw(medium_problems())
    if draw(_BREAK_SOMETHING):
        case = _break(draw, problem, draw(_BREAK_KIND))
        if case is not None:
            return case
    return Case.of(problem)


# --------------------------------------------------------------------------- graphs


_EDGE_COST = st.one_of(_ints(0, 40), _ints(-5, 40))
_GRAPH_CAPACITY = _pick((1, 2, 0, 3))
_GRAPH_DEMAND = _pick((1, 2, 3, 0))
_GRAPH_SLOT = _pick((-1, 0, 1, -1, 2))
_GRAPH_LOAD = _pick((0, 0, 1, 3, 10))
_GRAPH_UNSERVED = _pick((5, 0, 1, 10, 40))


@cache
def _flags(n: int) -> st.SearchStrategy[list[bool]]:
    """*n* booleans, True two times in three."""
    return st.lists(_pick((True, False, True)), min_size=n, max_size=n)


@cache
def _int_lists(values: st.SearchStrategy[int], n: int) -> st.SearchStrategy[list[int]]:
    return st.lists(values, min_size=n, max_size=n)


@st.composite
def raw_graphs(
    draw: Any, *, finite: bool | None = None, max_volunteers: int = 6, max_needs: int = 6
) -> Graph:
    """A :class:`~matcher.Graph` made by ``Graph.from_arrays`` from drawn integer arrays.

    Pairs present two times in three; costs -5..40 (mostly >= 0); capacities
    0..3, demands 0..3, priorities 1..5, need slots (-1 = none) and the slot
    rule on or off; an integer load penalty; an integer ``unmatched_cost``
    (finite when *finite*, None when not *finite*, either when None); up to 3
    pinned edges that fit capacities, demands and slots.
    """
    nv = draw(_sizes(1, max_volunteers))
    nn = draw(_sizes(1, max_needs))
    present = draw(_flags(nv * nn))
    every = [(i, j) for i in range(nv) for j in range(nn)]
    pairs = [p for p, keep in zip(every, present, strict=True) if keep]
    m = len(pairs)
    cost = draw(_int_lists(_EDGE_COST, m))
    capacity = draw(_int_lists(_GRAPH_CAPACITY, nv))
    demand = draw(_int_lists(_GRAPH_DEMAND, nn))
    priority = draw(_int_lists(_PRIORITY, nn))
    need_slot = draw(_int_lists(_GRAPH_SLOT, nn))
    one_per_slot = draw(_ONE_PER_SLOT)
    want_finite = draw(_BOOL) if finite is None else finite
    unmatched = draw(_GRAPH_UNSERVED) if want_finite else None
    pinned = [False] * m
    if m and draw(_BOOL):
        load: Counter[int] = Counter()
        units: Counter[int] = Counter()
        busy: set[tuple[int, int]] = set()
        for e in draw(_pick_pairs(m, 3)):
            i, j = pairs[e]
            s = need_slot[j]
            if load[i] >= capacity[i] or units[j] >= demand[j]:
                continue
            if one_per_slot and s >= 0 and (i, s) in busy:
                continue
            pinned[e] = True
            load[i] += 1
            units[j] += 1
            if s >= 0:
                busy.add((i, s))
    return Graph.from_arrays(
        [i for i, _ in pairs],
        [j for _, j in pairs],
        np.array(cost, dtype=np.int64),
        capacity,
        demand,
        priority,
        n_volunteers=nv,
        n_needs=nn,
        need_slot=need_slot,
        one_need_per_slot=one_per_slot,
        load_penalty=draw(_GRAPH_LOAD),
        unmatched_cost=unmatched,
        pinned=pinned,
    )


def graphs(*, finite: bool | None = None) -> st.SearchStrategy[Graph]:
    """Graphs: half :func:`raw_graphs`, half ``build_graph`` of tiny or medium problems.

    *finite*: True for a finite ``unserved_cost`` (``Policy.unmatched_cost``),
    False for the coverage-first objective, None for either.
    """
    policy = policies(unmatched_cost=finite)
    built = st.one_of(tiny_problems(policy=policy), medium_problems(policy=policy)).map(build_graph)
    return st.one_of(raw_graphs(finite=finite), built)


# --------------------------------------------------------------------------- far apart


def _bounded(policy: Policy) -> Policy:
    """*policy* with a global travel limit (3 km when it had none)."""
    if policy.max_distance_km is None:
        return _with(policy, max_distance_km=3.0)
    return policy


_PLANE_BOUNDED = policies(geometry="plane").map(_bounded)


def prefixed(problem: Problem, prefix: str) -> Problem:
    """*problem* with *prefix* put before every volunteer and need id."""

    def pair(p: tuple[str, str]) -> tuple[str, str]:
        return (prefix + p[0], prefix + p[1])

    return Problem(
        [replace(v, id=prefix + v.id) for v in problem.volunteers],
        [replace(n, id=prefix + n.id) for n in problem.needs],
        problem.policy,
        pinned=[pair(p) for p in problem.pinned],
        forbidden=[pair(p) for p in problem.forbidden],
    )


#: How far apart :func:`far_apart_problems` puts its two halves, in km.
FAR_KM = 10_000.0


@st.composite
def far_apart_problems(
    draw: Any, max_volunteers: int = 8, max_needs: int = 8
) -> tuple[Problem, Problem, Problem]:
    """``(left, right, together)``: two problems :data:`FAR_KM` apart, and their union.

    Plane geometry, one policy with a global travel limit (so no pair crosses),
    ids prefixed ``"L"`` and ``"R"`` (disjoint); the right half is drawn in a box
    moved :data:`FAR_KM` along x, so its distances are exact as drawn. The union
    lists the records of one half then the other, either way round.
    """
    same = st.just(draw(_PLANE_BOUNDED))
    size = {"max_volunteers": max_volunteers, "max_needs": max_needs, "min_needs": 1}
    left = prefixed(draw(problems(policy=same, **size)), "L")
    right = prefixed(draw(problems(policy=same, offset_km=FAR_KM, **size)), "R")
    a, b = (left, right) if draw(_BOOL) else (right, left)
    together = Problem(
        [*a.volunteers, *b.volunteers],
        [*a.needs, *b.needs],
        left.policy,
        pinned=[*a.pinned, *b.pinned],
        forbidden=[*a.forbidden, *b.forbidden],
    )
    return left, right, together
