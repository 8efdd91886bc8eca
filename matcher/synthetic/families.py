"""Benchmark instance families x tiers, seeded (``benchmarks/`` and ``matcher bench``).

Every instance is a :class:`matcher.Problem` made from a seed, so any row of
the results table can be rebuilt exactly (``make(family, tier, seed)``).

Tiers (volunteers x needs)
--------------------------
S   300 x 500         a community
M   5,000 x 10,000    a street office
L   50,000 x 100,000  a city (~1M feasible pairs at the default radius)

Families
--------
uniform
    Homes and needs uniform over a square city sized so that each need has
    about a dozen feasible candidates on average.
clustered
    Communities around centres, buildings around each centre, people and
    needs in buildings (so candidates concentrate), ``same_community=False``.
clustered_same
    The same city with ``same_community=True``: communities become
    independent parts of the graph (the parallel benchmark uses it).
dense
    Everyone within reach of everyone, capacities 1-3, demand 1, no slots:
    the regime where a dense assignment (Hungarian) applies. Its sizes are
    smaller (S 300 x 500, M 1,500 x 2,000, no L: 50,000 x 100,000 dense pairs
    would be 5e9).
scarce
    Most needs ask for one of two rare skills that few volunteers have, so
    many needs compete for the same volunteers (long augmenting paths).

Common to all (except where said): capacities 1-3, demands 1-2 (one in five
needs wants two), 14 slots (volunteers free in about 40% of them), priorities
1-5, skills with levels from a vocabulary of six, ``load_penalty=0.2``,
``max_distance_km=3``.
"""

from __future__ import annotations

import math

import numpy as np

from ..model import Need, Policy, Problem, Volunteer

__all__ = ["DENSE_SIZES", "FAMILIES", "SIZES", "TIERS", "make", "sizes"]

TIERS = ("S", "M", "L")
SIZES = {"S": (300, 500), "M": (5_000, 10_000), "L": (50_000, 100_000)}
DENSE_SIZES = {"S": (300, 500), "M": (1_500, 2_000)}
FAMILIES = ("uniform", "clustered", "clustered_same", "dense", "scarce")

SKILLS = ("nursing", "driving", "tutoring", "paperwork", "repair", "language")
RARE = ("legal", "sign_language")
SLOTS = tuple(
    f"{d}-{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun") for p in ("am", "pm")
)
CATEGORIES = ("elderly_care", "medical", "tutoring", "paperwork", "repair", "newcomer")
KM_PER_DEG = math.pi * 6371.0088 / 180.0
CENTER = (31.2304, 121.4737)

# Candidates per need near this at the default radius of 3 km (uniform family).
TARGET_CANDIDATES = 12.0


def sizes(family: str, tier: str) -> tuple[int, int] | None:
    """(volunteers, needs) of a family at a tier, or None when the family has no such tier."""
    if family == "dense":
        return DENSE_SIZES.get(tier)
    return SIZES[tier]


def _to_latlon(xy_km: np.ndarray) -> np.ndarray:
    lat = CENTER[0] + xy_km[:, 1] / KM_PER_DEG
    lon = CENTER[1] + xy_km[:, 0] / (KM_PER_DEG * math.cos(math.radians(CENTER[0])))
    return np.round(np.column_stack([lat, lon]), 6)


def _skills(
    rng: np.random.Generator, n: int, p_each: float, lo: int, hi: int
) -> list[dict[str, int]]:
    has = rng.random((n, len(SKILLS))) < p_each
    levels = rng.integers(lo, hi + 1, (n, len(SKILLS)))
    return [{s: int(levels[i, k]) for k, s in enumerate(SKILLS) if has[i, k]} for i in range(n)]


def _records(
    rng: np.random.Generator,
    vol_xy: np.ndarray,
    need_xy: np.ndarray,
    *,
    vol_comm: np.ndarray | None = None,
    need_comm: np.ndarray | None = None,
    slots: bool = True,
    demand_two: float = 0.2,
    rare_share: float = 0.0,
) -> tuple[list[Volunteer], list[Need]]:
    nv, nn = len(vol_xy), len(need_xy)
    vll, nll = _to_latlon(vol_xy), _to_latlon(need_xy)
    vskills = _skills(rng, nv, 0.45, 1, 4)
    rare_holder = rng.random(nv) < (0.02 if rare_share else 0.0)
    rare_pick = rng.integers(0, len(RARE), nv)
    capacity = rng.integers(1, 4, nv)
    free = rng.random((nv, len(SLOTS))) < 0.4
    vols = []
    for i in range(nv):
        sk = vskills[i]
        if rare_holder[i]:
            sk[RARE[rare_pick[i]]] = 3
        vols.append(
            Volunteer(
                f"v{i:06d}",
                sk,
                (float(vll[i, 0]), float(vll[i, 1])),
                capacity=int(capacity[i]),
                slots=frozenset(s for s, f in zip(SLOTS, free[i], strict=True) if f)
                if slots
                else None,
                community=None if vol_comm is None else f"c{vol_comm[i]:03d}",
                unit=f"u{rng.integers(0, 40):02d}",
            )
        )
    req_skill = rng.integers(0, len(SKILLS), nn)
    req_level = rng.integers(1, 4, nn)
    has_req = rng.random(nn) < 0.7
    rare_need = rng.random(nn) < rare_share
    rare_which = rng.integers(0, len(RARE), nn)
    slot = rng.integers(0, len(SLOTS), nn)
    slotted = rng.random(nn) < 0.8
    demand = np.where(rng.random(nn) < demand_two, 2, 1)
    priority = rng.integers(1, 6, nn)
    category = rng.integers(0, len(CATEGORIES), nn)
    needs = []
    for j in range(nn):
        if rare_need[j]:
            req = {RARE[rare_which[j]]: 2}
        elif has_req[j]:
            req = {SKILLS[req_skill[j]]: int(req_level[j])}
        else:
            req = {}
        needs.append(
            Need(
                f"n{j:06d}",
                CATEGORIES[category[j]],
                req,
                (float(nll[j, 0]), float(nll[j, 1])),
                slot=SLOTS[slot[j]] if (slots and slotted[j]) else None,
                demand=int(demand[j]),
                priority=int(priority[j]),
                community=None if need_comm is None else f"c{need_comm[j]:03d}",
            )
        )
    return vols, needs


def make(family: str, tier: str, seed: int = 0) -> Problem:
    """The benchmark problem of *family* at *tier* with *seed*.

    Examples
    --------
    >>> p = make("uniform", "S", seed=1)
    >>> len(p.volunteers), len(p.needs)
    (300, 500)
    """
    size = sizes(family, tier)
    if size is None:
        raise ValueError(f"family {family!r} has no tier {tier!r}")
    nv, nn = size
    rng = np.random.default_rng([seed, FAMILIES.index(family), TIERS.index(tier)])
    policy = Policy(max_distance_km=3.0, load_penalty=0.2)
    if family == "uniform":
        # feasible share ~ skills (~0.55) x slot (~0.45): choose the area for the target.
        p_feasible = 0.25
        area = nv * math.pi * 9.0 * p_feasible / TARGET_CANDIDATES
        side = math.sqrt(area)
        vols, needs = _records(rng, rng.uniform(0, side, (nv, 2)), rng.uniform(0, side, (nn, 2)))
    elif family in ("clustered", "clustered_same"):
        n_comm = max(2, nv // 100)  # ~100 volunteers per community
        side = math.sqrt(n_comm) * 4.0  # communities ~4 km apart on average
        centres = rng.uniform(0, side, (n_comm, 2))
        per = 12  # buildings per community
        buildings = centres[np.repeat(np.arange(n_comm), per)] + rng.normal(
            0, 0.35, (n_comm * per, 2)
        )
        vb = rng.integers(0, len(buildings), nv)
        nb = rng.integers(0, len(buildings), nn)
        vol_xy = buildings[vb] + rng.normal(0, 0.02, (nv, 2))
        need_xy = buildings[nb] + rng.normal(0, 0.02, (nn, 2))
        vols, needs = _records(rng, vol_xy, need_xy, vol_comm=vb // per, need_comm=nb // per)
        if family == "clustered_same":
            policy = Policy(max_distance_km=3.0, load_penalty=0.2, same_community=True)
    elif family == "dense":
        vols, needs = _records(
            rng,
            rng.uniform(0, 1.0, (nv, 2)),
            rng.uniform(0, 1.0, (nn, 2)),
            slots=False,
            demand_two=0.0,
        )
        # skills do not restrict: everyone within reach of everyone
        vols = [Volunteer(v.id, {}, v.location, capacity=v.capacity, unit=v.unit) for v in vols]
        needs = [Need(n.id, n.category, {}, n.location, priority=n.priority) for n in needs]
        policy = Policy(max_distance_km=None, load_penalty=0.2)
    elif family == "scarce":
        area = nv * math.pi * 9.0 * 0.25 / TARGET_CANDIDATES
        side = math.sqrt(area)
        vols, needs = _records(
            rng, rng.uniform(0, side, (nv, 2)), rng.uniform(0, side, (nn, 2)), rare_share=0.6
        )
        policy = Policy(max_distance_km=6.0, load_penalty=0.2)
    else:
        raise ValueError(f"unknown family {family!r}; one of {FAMILIES}")
    return Problem(vols, needs, policy)
