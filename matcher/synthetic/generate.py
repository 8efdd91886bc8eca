"""Drawing a reproducible synthetic community: buildings, households, members, volunteers and needs.

See ``docs/synthetic.md`` for what is drawn and the tables it is drawn from
(:mod:`matcher.synthetic.tables`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError, InputProblem, short_repr
from ..io import policy_to_dict
from ..model import Need, Policy, Problem, Volunteer
from .tables import (
    _CATEGORY_SKILLS,
    _EMPLOYED,
    _EMPLOYED_P,
    _KM_PER_DEG,
    NEED_KINDS,
    OCCUPATIONS,
    RARE_KINDS,
    SLOT_GROUPS,
    STATUS_PROFILES,
    NeedKind,
    Occupation,
    SkillSpec,
)

__all__ = ["Community", "demo", "generate"]


@dataclass(frozen=True)
class Community:
    """A synthetic community: volunteers, needs, the policy and how they were drawn.

    Attributes
    ----------
    volunteers : tuple of Volunteer
        Sorted by id (``"v0001"``, ...).
    needs : tuple of Need
        Sorted by id (``"n0001"``, ...).
    policy : Policy
    params : dict
        The parameters of :func:`generate` (JSON-friendly: ``seed`` is the int
        seed, or None when a Generator or None was given), plus the derived
        counts ``members`` and ``households``.

    Notes
    -----
    Two communities are equal when all four fields are equal; the hash
    ignores ``params``.
    """

    volunteers: tuple[Volunteer, ...]
    needs: tuple[Need, ...]
    policy: Policy = Policy()
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def problem(self) -> Problem:
        """Return ``Problem(volunteers, needs, policy)``.

        Examples
        --------
        >>> p = generate(rng=1, n_communities=1, buildings_per_community=5).problem()
        >>> p.policy.max_distance_km
        2.5
        """
        return Problem(self.volunteers, self.needs, self.policy)


DEFAULT_POLICY = Policy(max_distance_km=2.5, load_penalty=0.2)


def generate(
    *,
    rng: int | np.random.Generator | None = 0,
    n_communities: int = 3,
    buildings_per_community: int = 40,
    households_per_building: int = 60,
    members_per_household: float = 2.6,
    volunteer_share: float = 0.02,
    n_needs: int | None = None,
    center: tuple[float, float] = (31.2304, 121.4737),
    community_spacing_km: float = 1.5,
    community_radius_km: float = 0.3,
    n_units: int = 12,
    n_remote: int = 4,
    n_rare: int = 4,
    policy: Policy | None = None,
) -> Community:
    """Draw a synthetic community.

    Parameters
    ----------
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator (SPEC 7: passed to :func:`numpy.random.default_rng`;
        a Generator is used, and advanced, as is; None draws fresh entropy).
    n_communities : int, default 3
        Residential communities, placed on a hexagonal lattice around
        ``center``, ``community_spacing_km`` apart.
    buildings_per_community : int, default 40
        Buildings scattered around each community centre (normal offsets of
        ``community_radius_km`` per axis, cut at three times that).
    households_per_building : int, default 60
        Households per building (four per floor; room ``"1203"`` is floor 12, door 3).
    members_per_household : float, default 2.6
        Mean members per household: ``1 + Poisson(mean - 1)``, at most 6.
    volunteer_share : float, default 0.02
        Expected share of members who volunteer. Retirees and students are far
        more likely to volunteer than employed members (:data:`STATUS_PROFILES`).
    n_needs : int or None, default None
        Needs in all communities; None means one per 29 households (about 248
        with the other defaults), before the ``n_remote`` and ``n_rare`` ones.
    center : tuple of float, default (31.2304, 121.4737)
        ``(lat, lon)`` in degrees of the middle of the area.
    community_spacing_km, community_radius_km : float, default 1.5, 0.3
    n_units : int, default 12
        Employer units (``"unit-01"``, ...); a few large units employ most members.
    n_remote : int, default 4
        Extra needs placed 5-8 km from ``center`` (a resident staying outside
        the area), beyond the travel limit of the default policy.
    n_rare : int, default 4
        Extra needs asking for skill levels no member can hold together
        (:data:`RARE_KINDS`, in turn).
    policy : Policy or None, default None
        The policy of the community; None means
        ``Policy(max_distance_km=2.5, load_penalty=0.2)``.

    Returns
    -------
    Community

    Raises
    ------
    InputError
        A parameter is out of range (every such parameter is listed).

    Notes
    -----
    Every draw comes from one Generator in a fixed order, coordinates are
    rounded to 6 decimals, and nothing iterates over a set, so the same int
    seed gives identical records on every machine and in every process.
    Member numbers (``extra["name"]``) count all members, volunteers or not.
    Ids are zero-padded (at least four digits) so that they sort in
    generation order. The draws are not promised to stay the same between
    versions of matcher (the tables may be refined).

    Examples
    --------
    >>> com = generate(rng=3, n_communities=2, buildings_per_community=20)
    >>> v = com.volunteers[0]
    >>> v.id, v.community, v.building, v.unit, v.extra["name"], v.extra["occupation"]
    ('v0001', 'c01', 'c01-b01', None, 'Member 0034', 'retired')
    >>> com.params["n_communities"], com.needs[0].id
    (2, 'n0001')
    >>> sorted({n.community for n in com.needs} - {None})
    ['c01', 'c02']
    """
    _check_params(
        n_communities=n_communities,
        buildings_per_community=buildings_per_community,
        households_per_building=households_per_building,
        members_per_household=members_per_household,
        volunteer_share=volunteer_share,
        n_needs=n_needs,
        center=center,
        community_spacing_km=community_spacing_km,
        community_radius_km=community_radius_km,
        n_units=n_units,
        n_remote=n_remote,
        n_rare=n_rare,
        policy=policy,
    )
    seed = int(rng) if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) else None
    gen = np.random.default_rng(rng)
    lat0, lon0 = float(center[0]), float(center[1])
    policy = DEFAULT_POLICY if policy is None else policy

    layout = _layout(
        gen,
        n_communities,
        buildings_per_community,
        households_per_building,
        community_spacing_km,
        community_radius_km,
    )
    n_households = layout.n_buildings * households_per_building
    m_household, m_occ, is_vol = _members(gen, n_households, members_per_household, volunteer_share)
    n_members = int(m_household.size)
    units = _ids("unit-", n_units)
    volunteers = _volunteers(gen, m_household, m_occ, is_vol, layout, units, (lat0, lon0))
    if n_needs is None:
        n_needs = round(n_households / 29)
    needs = _needs(gen, n_needs, n_remote, n_rare, layout, (lat0, lon0))

    params: dict[str, Any] = {
        "seed": seed,
        "n_communities": n_communities,
        "buildings_per_community": buildings_per_community,
        "households_per_building": households_per_building,
        "members_per_household": float(members_per_household),
        "volunteer_share": float(volunteer_share),
        "n_needs": n_needs,
        "center": [lat0, lon0],
        "community_spacing_km": float(community_spacing_km),
        "community_radius_km": float(community_radius_km),
        "n_units": n_units,
        "n_remote": n_remote,
        "n_rare": n_rare,
        "policy": policy_to_dict(policy),
        "members": n_members,
        "households": n_households,
    }
    return Community(tuple(volunteers), tuple(needs), policy, params)


# The phases of generate() below draw from one Generator, in this order: moving
# or adding a draw changes every community drawn from a seed.


@dataclass(frozen=True)
class _Layout:
    """Where the households live: buildings (km east/north of the centre) in communities."""

    xy: np.ndarray  # one row per building
    community: np.ndarray  # per building, an index into community_ids
    community_ids: list[str]
    building_ids: list[str]
    households_per_building: int
    n_buildings: int


def _layout(
    gen: np.random.Generator,
    n_communities: int,
    buildings_per_community: int,
    households_per_building: int,
    spacing_km: float,
    radius_km: float,
) -> _Layout:
    """Draw communities on a lattice and buildings scattered around each."""
    cxy = _lattice(n_communities, spacing_km) + gen.normal(0.0, 0.05, (n_communities, 2))
    n_buildings = n_communities * buildings_per_community
    offset = np.clip(gen.normal(0.0, radius_km, (n_buildings, 2)), -3 * radius_km, 3 * radius_km)
    b_comm = np.repeat(np.arange(n_communities), buildings_per_community)
    community_ids = _ids("c", n_communities)
    building_ids = [f"{c}-{b}" for c in community_ids for b in _ids("b", buildings_per_community)]
    return _Layout(
        cxy[b_comm] + offset,
        b_comm,
        community_ids,
        building_ids,
        households_per_building,
        n_buildings,
    )


def _members(
    gen: np.random.Generator,
    n_households: int,
    members_per_household: float,
    volunteer_share: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the members of each household: (household, occupation, volunteers?) per member."""
    size = np.minimum(1 + gen.poisson(members_per_household - 1.0, n_households), 6)
    m_household = np.repeat(np.arange(n_households), size)
    n_members = int(m_household.size)
    shares = np.array([o.share for o in OCCUPATIONS])
    m_occ = gen.choice(len(OCCUPATIONS), size=n_members, p=shares / shares.sum())
    weight = np.array([STATUS_PROFILES[o.status].propensity for o in OCCUPATIONS])[m_occ]
    p_vol = np.minimum(1.0, volunteer_share * weight / weight.mean())
    is_vol = gen.random(n_members) < p_vol
    return m_household, m_occ, is_vol


def _volunteers(
    gen: np.random.Generator,
    m_household: np.ndarray,
    m_occ: np.ndarray,
    is_vol: np.ndarray,
    layout: _Layout,
    units: list[str],
    origin: tuple[float, float],
) -> list[Volunteer]:
    """Draw the volunteering members, in member order, each at their building."""
    unit_w = 1.0 / np.arange(1, len(units) + 1)  # Zipf: a few large employers
    unit_w /= unit_w.sum()
    volunteers = []
    members = np.flatnonzero(is_vol).tolist()
    member_names = _ids("Member ", int(m_household.size), 4)
    for vid, m in zip(_ids("v", len(members), 4), members, strict=True):
        hh = int(m_household[m])
        b = hh // layout.households_per_building
        volunteers.append(
            _volunteer(
                gen,
                vid,
                OCCUPATIONS[int(m_occ[m])],
                xy=layout.xy[b],
                community=layout.community_ids[layout.community[b]],
                building=layout.building_ids[b],
                units=units,
                unit_p=unit_w,
                extra={"name": member_names[m], "room": _room(hh % layout.households_per_building)},
                origin=origin,
            )
        )
    return volunteers


def _needs(
    gen: np.random.Generator,
    n_needs: int,
    n_remote: int,
    n_rare: int,
    layout: _Layout,
    origin: tuple[float, float],
) -> list[Need]:
    """Draw the needs: ordinary kinds by share, then the remote and the rare ones."""
    total = n_needs + n_remote + n_rare
    kshare = np.array([k.share for k in NEED_KINDS])
    kshare /= kshare.sum()
    kinds: list[NeedKind | None] = [
        NEED_KINDS[i] for i in gen.choice(len(NEED_KINDS), size=n_needs, p=kshare)
    ]
    kinds += [None] * n_remote
    kinds += [RARE_KINDS[i % len(RARE_KINDS)] for i in range(n_rare)]
    needs = []
    for nid, name, kind in zip(
        _ids("n", total, 4), _ids("Resident ", total, 4), kinds, strict=True
    ):
        b = int(gen.integers(layout.n_buildings))
        hh = int(gen.integers(layout.households_per_building))
        if kind is None:  # remote: a resident of building b staying 5-8 km away
            kind = NEED_KINDS[int(gen.choice(len(NEED_KINDS), p=kshare))]
            angle, dist = gen.uniform(0.0, 2 * math.pi), gen.uniform(5.0, 8.0)
            xy = np.array([dist * math.cos(angle), dist * math.sin(angle)])
            building: str | None = None
        else:
            xy = layout.xy[b]
            building = layout.building_ids[b]
        needs.append(
            _need(
                gen,
                nid,
                kind,
                xy=xy,
                community=layout.community_ids[layout.community[b]],
                building=building,
                household=f"{layout.building_ids[b]}-{_room(hh)}",
                extra={"name": name, "room": _room(hh), "topic": kind.topic},
                origin=origin,
            )
        )
    return needs


def demo() -> Community:
    """Return the built-in demo community (fixed parameters and seed).

    Three communities about 1.5 km apart, 7,200 households with 18,702
    members of whom 384 (2.1%) volunteer, and 258 needs (278 units of
    demand, 8 of them remote or asking for a skill nobody has); the policy
    allows 2.5 km of travel and spreads work with ``load_penalty=0.2``.
    The exact plan covers about 83% of the demand with about half of the
    volunteers; needs are left unserved for lack of a free slot (most
    often), because their candidates are taken, out of range, or for lack
    of the skill.
    The same records come out in every process and on every machine.

    Returns
    -------
    Community

    Examples
    --------
    >>> import matcher
    >>> com = demo()
    >>> com.needs[0].id, com.volunteers[0].id
    ('n0001', 'v0001')
    >>> result = matcher.solve(com.problem())
    >>> 0.6 <= result.metrics.coverage <= 0.9
    True
    """
    return generate(
        rng=20240601,
        n_communities=3,
        buildings_per_community=40,
        households_per_building=60,
        members_per_household=2.6,
        volunteer_share=0.02,
        n_needs=250,
        center=(31.2304, 121.4737),
        community_spacing_km=1.5,
        community_radius_km=0.3,
        n_units=12,
        n_remote=4,
        n_rare=4,
        policy=Policy(max_distance_km=2.5, load_penalty=0.2),
    )


def _check_params(**kw: Any) -> None:
    problems: list[InputProblem] = []

    def bad(name: str, expected: str) -> None:
        got = short_repr(kw[name])
        problems.append(InputProblem("generate", name, expected, got, kind="option"))

    def is_int(x: Any) -> bool:
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    def is_real(x: Any) -> bool:
        number = isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
        return number and math.isfinite(x)

    for name, lo in (("n_communities", 1), ("buildings_per_community", 1),
                     ("households_per_building", 1), ("n_units", 1),
                     ("n_remote", 0), ("n_rare", 0)):  # fmt: skip
        if not (is_int(kw[name]) and kw[name] >= lo):
            bad(name, f"an integer >= {lo}")
    if kw["n_needs"] is not None and not (is_int(kw["n_needs"]) and kw["n_needs"] >= 0):
        bad("n_needs", "an integer >= 0 or None")
    if not (is_real(kw["members_per_household"]) and 1.0 <= kw["members_per_household"] <= 6.0):
        bad("members_per_household", "a number in 1..6")
    if not (is_real(kw["volunteer_share"]) and 0.0 <= kw["volunteer_share"] <= 1.0):
        bad("volunteer_share", "a number in 0..1")
    for name in ("community_spacing_km", "community_radius_km"):
        if not (is_real(kw[name]) and kw[name] >= 0):
            bad(name, "a finite number >= 0")
    c = kw["center"]
    if not (isinstance(c, Sequence) and len(c) == 2 and all(is_real(x) for x in c)
            and -80.0 <= c[0] <= 80.0 and -180.0 <= c[1] <= 180.0):  # fmt: skip
        bad("center", "a (lat, lon) pair with lat in -80..80 and lon in -180..180")
    if kw["policy"] is not None and not isinstance(kw["policy"], Policy):
        bad("policy", "a Policy or None")
    if problems:
        raise InputError(problems)


def _lattice(n: int, spacing: float) -> np.ndarray:
    """Return the *n* points of a hexagonal lattice nearest the origin, in a fixed order (km)."""
    # k rings of the lattice hold 3k(k+1)+1 points, all within k*spacing; every
    # point that close lies within 2k rings, so scanning 2k rings finds the n nearest.
    k = 1
    while 3 * k * (k + 1) + 1 < n:
        k += 1
    pts = []
    for i in range(-2 * k, 2 * k + 1):
        for j in range(-2 * k, 2 * k + 1):
            x, y = spacing * (i + j / 2.0), spacing * j * math.sqrt(3.0) / 2.0
            # rounded keys: ties (equal radii) break by angle, never by float noise
            radius, angle = round(math.hypot(x, y), 9), round(math.atan2(y, x) % (2 * math.pi), 9)
            pts.append((radius, angle, x, y))
    pts.sort()
    return np.array([(x, y) for _, _, x, y in pts[:n]], dtype=float)


def _latlon(xy: np.ndarray, origin: tuple[float, float]) -> tuple[float, float]:
    """Km east/north of *origin* -> (lat, lon) rounded to 6 decimals."""
    lat0, lon0 = origin
    lat = lat0 + float(xy[1]) / _KM_PER_DEG
    lon = lon0 + float(xy[0]) / (_KM_PER_DEG * math.cos(math.radians(lat0)))
    return (round(lat, 6), round(lon, 6))


def _ids(prefix: str, n: int, width: int = 2) -> list[str]:
    """Return ``prefix`` + 1-based numbers zero-padded to sort as numbers."""
    width = max(width, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _room(household: int) -> str:
    return f"{household // 4 + 1}{household % 4 + 1:02d}"


def _draw_skills(
    gen: np.random.Generator, specs: tuple[SkillSpec, ...], down: int = 0
) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in specs:
        if gen.random() < s.p:
            out[s.skill] = max(1, int(gen.integers(s.lo, s.hi + 1)) - down)
    return out


def _volunteer(
    gen: np.random.Generator,
    vid: str,
    occ: Occupation,
    *,
    xy: np.ndarray,
    community: str,
    building: str,
    units: list[str],
    unit_p: np.ndarray,
    extra: dict[str, str],
    origin: tuple[float, float],
) -> Volunteer:
    """Draw one volunteer's skills, slots, capacity, unit, limits and preferences."""
    profile = STATUS_PROFILES[occ.status]
    extra = {**extra, "occupation": occ.name}
    skills: dict[str, int] = {}
    if occ.former:
        former = _EMPLOYED[int(gen.choice(len(_EMPLOYED), p=_EMPLOYED_P))]
        skills = _draw_skills(gen, former.skills, down=1)
        extra["former_occupation"] = former.name
    for s, level in _draw_skills(gen, occ.skills).items():
        skills[s] = max(level, skills.get(s, 0))
    # free slots, group by group, in calendar order
    free: list[str] = []
    for group, lo, hi, p in profile.availability:
        if gen.random() < p:
            slots = SLOT_GROUPS[group]
            pick = gen.choice(len(slots), size=int(gen.integers(lo, hi + 1)), replace=False)
            free += [slots[i] for i in sorted(pick.tolist())]
    if not free:
        slots = SLOT_GROUPS[profile.availability[0][0]]
        free.append(slots[int(gen.integers(len(slots)))])
    capacity = 1 + int(gen.choice(3, p=np.array(profile.capacity)))
    unit = None
    if occ.status == "employed":
        unit = units[int(gen.choice(len(units), p=unit_p))]
    max_km = None
    if gen.random() < 0.2:
        max_km = (0.5, 1.0, 1.5)[int(gen.integers(3))]
    categories: tuple[str, ...] = ()
    served = [c for c, sk in _CATEGORY_SKILLS.items() if any(s in skills for s in sk)]
    if served and gen.random() < 0.3:
        k = min(len(served), 1 + int(gen.integers(2)))
        chosen = sorted(gen.choice(len(served), k, replace=False).tolist())
        categories = tuple(served[i] for i in chosen)
    jitter = gen.normal(0.0, 0.01, 2)  # ~10 m: the entrance, not the roof
    return Volunteer(
        vid,
        skills,
        _latlon(xy + jitter, origin),
        capacity=capacity,
        slots=frozenset(free),
        max_distance_km=max_km,
        categories=frozenset(categories),
        community=community,
        building=building,
        unit=unit,
        extra=extra,
    )


def _need(
    gen: np.random.Generator,
    nid: str,
    kind: NeedKind,
    *,
    xy: np.ndarray,
    community: str,
    building: str | None,
    household: str,
    extra: dict[str, str],
    origin: tuple[float, float],
) -> Need:
    """Draw one need's slot and priority from its kind."""
    groups = [g for g, _ in kind.slots]
    w = np.array([x for _, x in kind.slots])
    group = groups[int(gen.choice(len(groups), p=w / w.sum()))]
    slot = None
    if group != "any":
        slot = SLOT_GROUPS[group][int(gen.integers(len(SLOT_GROUPS[group])))]
    priority = int(gen.integers(kind.priority[0], kind.priority[1] + 1))
    jitter = gen.normal(0.0, 0.01, 2)
    return Need(
        nid,
        kind.category,
        dict(kind.skills),
        _latlon(xy + jitter, origin),
        slot=slot,
        demand=kind.demand,
        priority=priority,
        community=community,
        building=building,
        household=household,
        extra=extra,
    )
