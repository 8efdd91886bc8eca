"""The spatial search for candidate pairs: a k-d tree over the needs.

On the sphere the search runs on the chord length of 3-D unit vectors, then
the exact haversine distance decides; volunteers with few needs in reach or
small groups take cheaper paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from .. import limits
from ..model import rules
from ..model.rules import EARTH_RADIUS_KM, Encoding
from .core import _EMPTY_I, BoolArray, FloatArray, IntArray

# Up to this many needs, candidate_counts looks them up one by one in a tree of all volunteers.
_FEW_NEEDS = 2000

# Below this many volunteer x need pairs, a group is paired exhaustively
# (cheaper than building two k-d trees).
_SMALL_GROUP = 4096


def _feasible_pairs(
    enc: Encoding, needs: IntArray | None = None, vols: IntArray | None = None
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every pair passing the five rules, with its exact distance.

    Volunteers with capacity 0 are left out at once; with ``same_community``
    only pairs inside a community are looked at. The spatial search gives
    pairs within reach (a superset of the exact range); the cheap rules (slot,
    community, forbidden) filter them, and the exact distance is computed
    only for the pairs left. *needs* and *vols* (sorted indices; default all)
    restrict the search to pairs between them: the pairs found are exactly
    those of the whole search with both ends there.
    """
    if vols is None:
        vols = np.arange(enc.n_volunteers, dtype=np.int64)
    if needs is None:
        needs = np.arange(enc.n_needs, dtype=np.int64)
    active = vols[enc.capacity[vols] > 0]
    v, n, _ = _skilled_in_reach(enc, needs, active, by_community=enc.same_community)
    masks = rules.rule_masks(enc, v, n, np.zeros(len(v)), skills=np.ones(len(v), bool))
    keep = masks.slot & masks.community & masks.available
    v, n = v[keep], n[keep]
    dist = rules.distance_km(enc, v, n)
    ok = dist <= enc.vol_limit[v]
    return v[ok], n[ok], dist[ok]


def _groups(keys: NDArray[Any]) -> list[IntArray]:
    """Positions of equal rows (or values) of *keys*, one array per distinct key."""
    if len(keys) == 0:
        return []
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(int(inverse.max()) + 2))
    return [order[bounds[g] : bounds[g + 1]] for g in range(len(bounds) - 1)]


def _skilled_in_reach(
    enc: Encoding, needs: IntArray, vols: IntArray, *, by_community: bool
) -> tuple[IntArray, IntArray, IntArray]:
    """Pairs (v in *vols*, n in *needs*) passing rule 1 and within reach of rule 2.

    Needs are grouped by skill requirement (and by community when
    *by_community*: then only volunteers of the same community are looked
    at); for each group, the volunteers with every required skill are found
    once, and a k-d tree over them finds those within the largest travel
    limit of the group (on the sphere: the chord between 3-D points, a little
    wider to be safe from rounding). Pairs *may* lie beyond a volunteer's own
    limit -- the caller applies the exact distance rule. Volunteers without
    any limit are paired with every need of the group, and so are small
    groups. The work is proportional to the pairs passing rule 1 within
    reach, not to all pairs.

    Returns
    -------
    v, n : int64 arrays
        The pairs.
    skilled : int64 array, shape (len(needs),)
        How many of *vols* pass rule 1 for each need (whatever the distance);
        meaningful only when not *by_community*.
    """
    skilled = np.zeros(len(needs), np.int64)
    if len(vols) == 0 or len(needs) == 0:
        return _EMPTY_I, _EMPTY_I, skilled
    pts_v, pts_n = _points(enc, enc.vol_xy), _points(enc, enc.need_xy)
    if by_community:
        comm_n = enc.need_comm[needs]
        comm_v = enc.vol_comm[vols]
        blocks = [
            (needs_idx, vols[comm_v == comm_n[needs_idx[0]]])
            for needs_idx in _groups(comm_n)
            if comm_n[needs_idx[0]] >= 0
        ]
    else:
        blocks = [(np.arange(len(needs)), vols)]
    vs: list[IntArray] = []
    ns: list[IntArray] = []
    made = 0  # pairs so far, against matcher.limits.MAX_PAIRS and MAX_MEMORY_BYTES
    for block_pos, block_vols in blocks:
        if len(block_vols) == 0:
            continue
        for group in _groups(enc.need_level[needs[block_pos]]):
            pos = block_pos[group]
            group_needs = needs[pos]
            req = enc.need_level[group_needs[0]]
            cand = block_vols[_has_skills(enc, req, block_vols)]
            skilled[pos] = len(cand)
            if len(cand) == 0:
                continue
            limit = enc.vol_limit[cand]
            near = np.isfinite(limit)
            if len(cand) * len(group_needs) <= _SMALL_GROUP or not near.any():
                made += len(cand) * len(group_needs)
                _check_size(made)
                vs.append(np.repeat(cand, len(group_needs)))
                ns.append(np.tile(group_needs, len(cand)))
                continue
            far = cand[~near]
            if len(far):
                made += len(far) * len(group_needs)
                _check_size(made)
                vs.append(np.repeat(far, len(group_needs)))
                ns.append(np.tile(group_needs, len(far)))
            cand = cand[near]
            radius = _search_radius(enc, float(limit[near].max()))
            tree_v, tree_n = cKDTree(pts_v[cand]), cKDTree(pts_n[group_needs])
            if _over(made + len(cand) * len(group_needs)):  # could be: count them first
                _check_size(made + int(tree_v.count_neighbors(tree_n, radius)))
            hits = tree_v.sparse_distance_matrix(tree_n, radius, output_type="ndarray")
            made += len(hits)
            _check_size(made)
            vs.append(cand[hits["i"]])
            ns.append(group_needs[hits["j"]])
    if not vs:
        return _EMPTY_I, _EMPTY_I, skilled
    return np.concatenate(vs).astype(np.int64), np.concatenate(ns).astype(np.int64), skilled


def _check_size(made: int) -> None:
    """The pairs within reach so far against the limits, before more are made."""
    limits.check("candidate pairs", made, "MAX_PAIRS", "graph")
    limits.check_memory(made, within_reach=True)


def _over(made: int) -> bool:
    """Whether *made* pairs within reach would break a limit of :func:`_check_size`."""
    memory = limits.memory_estimate(made, per_pair=limits.SEARCH_BYTES_PER_PAIR)
    return made > limits.MAX_PAIRS or memory > limits.MAX_MEMORY_BYTES


def _has_skills(enc: Encoding, req: NDArray[np.int8], vols: IntArray | None = None) -> BoolArray:
    """Which volunteers (all, or *vols*) have every skill of the requirement *req*."""
    cols = np.flatnonzero(req)
    levels = enc.vol_level if vols is None else enc.vol_level[vols]
    if not len(cols):
        return np.ones(len(levels), bool)
    return np.all(levels[:, cols] >= req[cols], axis=1)


def _search_radius(enc: Encoding, limit_km: float) -> float:
    """The k-d tree radius that contains every point within *limit_km*, with a margin."""
    if enc.geometry == "plane":
        radius = limit_km
    else:
        half_angle = min(limit_km / (2 * EARTH_RADIUS_KM), np.pi / 2)
        radius = 2 * EARTH_RADIUS_KM * np.sin(half_angle)
    return float(radius * (1 + 1e-9) + 1e-9)


def _points(enc: Encoding, xy: FloatArray) -> FloatArray:
    """Coordinates in which straight-line distance orders pairs like the true distance."""
    return xy if enc.geometry == "plane" else _unit_xyz(xy)


def _unit_xyz(latlon: FloatArray) -> FloatArray:
    """Points on the sphere of radius EARTH_RADIUS_KM, in km (chord = straight line)."""
    lat = np.radians(latlon[:, 0])
    lon = np.radians(latlon[:, 1])
    c = np.cos(lat)
    return EARTH_RADIUS_KM * np.column_stack((c * np.cos(lon), c * np.sin(lon), np.sin(lat)))
