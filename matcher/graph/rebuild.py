"""Rebuilding a graph after a change: only the pairs of new or changed records are searched.

:func:`rebuild` diffs the records by id and value, merges the encoding of the
new or changed records into the old arrays, searches and costs only their
pairs, and keeps the old edges between unchanged records (renumbered). The
result equals :func:`~matcher.graph.build` of the new problem array for array
(``tests/test_planner.py``); :class:`Delta` says where every node and edge
came from.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import limits
from ..model import Problem, rules
from ..model.rules import Encoding
from .build import Built, Diagnostics, _edge_costs, _graph_of, _pinned, _records, build
from .core import COST_PARTS, BoolArray, Graph, IntArray
from .search import _feasible_pairs

_VOLUNTEER_ROWS = (
    "vol_xy",
    "vol_limit",
    "vol_level",
    "vol_any_slot",
    "vol_free",
    "vol_comm",
    "vol_has_pref",
    "vol_pref",
    "capacity",
    "vol_cos_lat",
)

_NEED_ROWS = (
    "need_xy",
    "need_level",
    "need_slot",
    "need_comm",
    "need_cat",
    "demand",
    "priority",
    "need_cos_lat",
)


@dataclass(frozen=True, eq=False)
class Delta:
    """How a re-built graph's nodes and edges map onto the graph it came from.

    Attributes
    ----------
    volunteer_from, need_from : ndarray of int64
        For each volunteer / need of the new graph, the index in the old graph
        of the record with the same id (-1: a new id).
    edge_from : ndarray of int64
        For each new edge, the old edge between the same two records, both
        unchanged (-1 otherwise): its cost and parts are the old ones.
    volunteer_same, need_same : ndarray of bool
        For each volunteer / need of the new graph, whether its record is
        unchanged (all False when built from scratch).
    volunteers_changed : bool
        Whether any volunteer came, left or changed.
    incremental : bool
        False when the graph was built from scratch (a policy or pairs list
        changed, or the name tables of skills, slots, communities or
        categories did).
    """

    volunteer_from: IntArray
    need_from: IntArray
    edge_from: IntArray
    volunteer_same: BoolArray
    need_same: BoolArray
    volunteers_changed: bool
    incremental: bool


def rebuild(base: Built, problem: Problem) -> tuple[Built, Delta]:
    """The graph of *problem*, re-using *base*'s where records did not change.

    Equal to :func:`build` (*problem*) array for array: records are compared
    by id and value; the edges between unchanged records are kept with their
    costs, and only pairs with a new or changed record are searched and
    costed. A need named by a pinned or forbidden pair that came or went is
    searched again, as if it had changed. Falls back to :func:`build` when
    the policy, the history pairs, or the name tables change.
    """
    out = _rebuild(base, problem)
    if out is not None:
        return out
    built = build(problem)

    def same_id(new_ids: tuple[str, ...], old_of: dict[str, int]) -> IntArray:
        return np.fromiter((old_of.get(x, -1) for x in new_ids), np.int64, len(new_ids))

    g = built.graph
    return built, Delta(
        volunteer_from=same_id(g.volunteer_ids, base.volunteer_of),
        need_from=same_id(g.need_ids, base.need_of),
        edge_from=np.full(g.n_edges, -1, np.int64),
        volunteer_same=np.zeros(g.n_volunteers, bool),
        need_same=np.zeros(g.n_needs, bool),
        volunteers_changed=True,
        incremental=False,
    )


def _diff(
    old: NDArray[np.object_], old_of: dict[str, int], new: Sequence[Any]
) -> tuple[BoolArray, list[Any]]:
    """Which old records come again unchanged, and the records that are new or changed."""
    same = np.zeros(len(old), bool)
    fresh = []
    old_l = old.tolist()  # a list's items are quicker to reach than an object array's
    for r in new:
        i = old_of.get(r.id)
        if i is not None and (old_l[i] is r or old_l[i] == r):
            same[i] = True
        else:
            fresh.append(r)
    fresh.sort(key=lambda r: r.id)
    return same, fresh


def _places(kept_ids: list[str], fresh: list[Any]) -> tuple[IntArray, IntArray]:
    """New indices of the kept records (in order) and of the fresh ones, in sorted-id order."""
    ins = np.array([bisect_left(kept_ids, r.id) for r in fresh], np.int64)
    at_fresh = ins + np.arange(len(fresh), dtype=np.int64)
    at_kept = np.arange(len(kept_ids), dtype=np.int64) + np.searchsorted(
        ins, np.arange(len(kept_ids)), side="right"
    )
    return at_kept, at_fresh


def _rows(
    old: NDArray[Any], kept: IntArray, sub: NDArray[Any], at_kept: IntArray, at_fresh: IntArray
) -> NDArray[Any]:
    out = np.empty((len(at_kept) + len(at_fresh), *old.shape[1:]), old.dtype)
    out[at_kept] = old[kept]
    out[at_fresh] = sub
    return out


def _flags(n: int, at: IntArray) -> BoolArray:
    out = np.zeros(n, bool)
    out[at] = True
    return out


@dataclass(frozen=True, eq=False)
class _Merged:
    """The records and encoding of a rebuild in sorted-id order, and where each record went."""

    vols: NDArray[np.object_]
    needs: NDArray[np.object_]
    needs_l: list[Any]
    vid: tuple[str, ...]
    nid: tuple[str, ...]
    enc: Encoding
    at_kv: IntArray
    at_fv: IntArray
    at_kn: IntArray
    at_fn: IntArray
    volunteers_changed: bool


def _rebuild(base: Built, problem: Problem) -> tuple[Built, Delta] | None:
    """The incremental rebuild, or None when only a build from scratch will do."""
    old = base.problem
    if problem.policy != old.policy or problem.history != old.history:
        return None
    same_v, fresh_v = _diff(base.volunteers, base.volunteer_of, problem.volunteers)
    same_n, fresh_n = _diff(base.needs, base.need_of, problem.needs)
    if problem.pinned != old.pinned or problem.forbidden != old.forbidden:
        # a need named by a pair pinned, released, forbidden or allowed: searched again
        named = {n for n, _ in set(problem.pinned) ^ set(old.pinned)}
        named |= {n for n, _ in set(problem.forbidden) ^ set(old.forbidden)}
        again = [i for i in map(base.need_of.get, sorted(named)) if i is not None and same_n[i]]
        same_n[again] = False
        fresh_n = sorted([*fresh_n, *base.needs[again].tolist()], key=lambda r: r.id)
    kv, kn = np.flatnonzero(same_v), np.flatnonzero(same_n)
    if not _names_hold(base.diag.encoding, fresh_v, fresh_n, kv, kn):
        return None
    m = _merge_records(base, problem, fresh_v, fresh_n, kv, kn)
    old_v, old_n, keep_e = _old_edges(base, kv, kn, m)
    graph, edge_from = _merge_edges(base, problem, m, old_v, old_n, keep_e)
    return _with_delta(base, problem, m, graph, edge_from, fresh_v, fresh_n, kv, kn)


def _names_hold(
    enc0: Encoding, fresh_v: list[Any], fresh_n: list[Any], kv: IntArray, kn: IntArray
) -> bool:
    """Whether the name tables stay the same: no new name, none gone."""
    names = enc0.names
    sub_names = rules.names_of(fresh_v, fresh_n)
    if any(not set(a) <= set(b) for a, b in zip(sub_names, names, strict=True)):
        return False

    def present(codes: IntArray, fresh: tuple[str, ...], table: tuple[str, ...]) -> BoolArray:
        seen = np.bincount(codes[codes >= 0], minlength=len(table)) > 0
        seen[[table.index(x) for x in fresh]] = True
        return seen

    skills: BoolArray = np.asarray(
        (enc0.vol_level[kv] > 0).any(axis=0) | (enc0.need_level[kn] > 0).any(axis=0)
    )
    skills[[names.skills.index(x) for x in sub_names.skills]] = True
    kept_comm = np.r_[enc0.vol_comm[kv], enc0.need_comm[kn]]
    return bool(
        skills.all()
        and present(enc0.need_slot[kn], sub_names.slots, names.slots).all()
        and present(kept_comm, sub_names.communities, names.communities).all()
        and present(enc0.need_cat[kn], sub_names.categories, names.categories).all()
    )


def _merge_records(
    base: Built,
    problem: Problem,
    fresh_v: list[Any],
    fresh_n: list[Any],
    kv: IntArray,
    kn: IntArray,
) -> _Merged:
    """The records and their encoding, old and fresh merged in sorted-id order."""
    enc0 = base.diag.encoding
    g0 = base.graph
    vid0, nid0 = g0.volunteer_ids, g0.need_ids
    at_kv, at_fv = _places([vid0[i] for i in kv.tolist()], fresh_v)
    at_kn, at_fn = _places([nid0[i] for i in kn.tolist()], fresh_n)
    volunteers_changed = bool(len(fresh_v)) or len(kv) < len(vid0)
    sub = rules.encode(fresh_v, fresh_n, problem.policy, (), names=enc0.names)
    fields: dict[str, Any] = {}
    if volunteers_changed:
        vols = _rows(base.volunteers, kv, _records(fresh_v), at_kv, at_fv)
        vid = tuple(r.id for r in vols.tolist())
        for k in _VOLUNTEER_ROWS:
            fields[k] = _rows(getattr(enc0, k), kv, getattr(sub, k), at_kv, at_fv)
    else:  # the same volunteers: their records, ids and encoding as they were
        vols, vid = base.volunteers, vid0
    needs = _rows(base.needs, kn, _records(fresh_n), at_kn, at_fn)
    needs_l = needs.tolist()
    nid = tuple(r.id for r in needs_l)
    fields.update(
        {k: _rows(getattr(enc0, k), kn, getattr(sub, k), at_kn, at_fn) for k in _NEED_ROWS}
    )
    if problem.forbidden or len(enc0.forbidden_keys):  # the pairs now, records renumbered
        fields["forbidden_keys"] = rules.forbidden_keys(vid, nid, problem.forbidden)
    enc = replace(enc0, **fields)
    return _Merged(
        vols, needs, needs_l, vid, nid, enc, at_kv, at_fv, at_kn, at_fn, volunteers_changed
    )


def _old_edges(
    base: Built, kv: IntArray, kn: IntArray, m: _Merged
) -> tuple[IntArray, IntArray, BoolArray | None]:
    """The old edges between unchanged records, renumbered (still sorted), and which stay."""
    g0 = base.graph
    vid0, nid0 = g0.volunteer_ids, g0.need_ids
    vmap = np.full(len(vid0), -1, np.int64)
    vmap[kv] = m.at_kv
    nmap = np.full(len(nid0), -1, np.int64)
    nmap[kn] = m.at_kn
    old_v, old_n = vmap[g0.volunteer], nmap[g0.need]
    keep_e: BoolArray | None = None  # None: every old edge stays
    if len(kv) < len(vid0) or len(kn) < len(nid0):
        keep_e = (old_v >= 0) & (old_n >= 0)
        old_v, old_n = old_v[keep_e], old_n[keep_e]
    return old_v, old_n, keep_e


def _merge_edges(
    base: Built,
    problem: Problem,
    m: _Merged,
    old_v: IntArray,
    old_n: IntArray,
    keep_e: BoolArray | None,
) -> tuple[Graph, IntArray]:
    """The graph: the kept old edges merged with the new pairs, and where each edge came from."""
    g0 = base.graph
    enc, vid, nid, needs_l = m.enc, m.vid, m.nid, m.needs_l
    nv = len(vid)
    # -- the pairs with a new or changed record: searched and costed alone
    v1, n1, d1 = _feasible_pairs(enc, needs=m.at_fn)
    if len(m.at_fv):
        v2, n2, d2 = _feasible_pairs(enc, needs=m.at_kn, vols=m.at_fv)
        v1, n1, d1 = np.r_[v1, v2], np.r_[n1, n2], np.r_[d1, d2]
    limits.check_memory(len(old_v) + len(v1), nv + len(nid))  # as a build would
    vols_l = m.vols.tolist()
    parts1, cost1 = _edge_costs(problem, vols_l, needs_l, enc, v1, n1, d1)
    pinned1 = _pinned(problem, vid, nid, v1, n1)
    order = np.lexsort((v1, n1))
    key_old = old_n * nv + old_v
    key_new = (n1 * nv + v1)[order]
    at_new = np.searchsorted(key_old, key_new) + np.arange(len(order), dtype=np.int64)
    n_merged = len(old_v) + len(order)
    is_old = np.ones(n_merged, bool)
    is_old[at_new] = False  # boolean masks: much faster than index arrays here

    def merged(old_part: NDArray[Any], new_part: NDArray[Any], dtype: Any) -> NDArray[Any]:
        out = np.empty(n_merged, dtype)
        out[is_old] = old_part
        out[at_new] = new_part[order]
        return out

    def kept(a: NDArray[Any]) -> NDArray[Any]:
        return a if keep_e is None else a[keep_e]

    assert g0.distance_km is not None and g0.parts is not None
    graph = _graph_of(
        problem,
        enc,
        vols_l,
        needs_l,
        vid,
        nid,
        merged(old_v, v1, np.int64),
        merged(old_n, n1, np.int64),
        merged(kept(g0.cost), cost1, np.int64),
        merged(kept(g0.distance_km), d1, np.float64),
        {k: merged(kept(g0.parts[k]), parts1[k], np.float64) for k in COST_PARTS},
        merged(kept(g0.pinned), pinned1, bool),
    )
    edge_from = merged(
        np.arange(g0.n_edges, dtype=np.int64) if keep_e is None else np.flatnonzero(keep_e),
        np.full(len(order), -1, np.int64),
        np.int64,
    )
    return graph, edge_from


def _with_delta(
    base: Built,
    problem: Problem,
    m: _Merged,
    graph: Graph,
    edge_from: IntArray,
    fresh_v: list[Any],
    fresh_n: list[Any],
    kv: IntArray,
    kn: IntArray,
) -> tuple[Built, Delta]:
    """The rebuilt graph with its records, and the delta from *base*."""
    vid, nid = m.vid, m.nid
    nv, nn = len(vid), len(nid)

    def same_id(
        old_of: dict[str, int],
        fresh: list[Any],
        at_kept: IntArray,
        kept_idx: IntArray,
        at_fresh: IntArray,
        n: int,
    ) -> IntArray:
        out = np.empty(n, np.int64)
        out[at_kept] = kept_idx
        out[at_fresh] = [old_of.get(r.id, -1) for r in fresh]
        return out

    built = Built(
        problem=problem,
        graph=graph,
        # the volunteers' k-d tree of candidate_counts holds while they do
        diag=Diagnostics(encoding=m.enc, cache={} if m.volunteers_changed else base.diag.cache),
        volunteers=m.vols,
        needs=m.needs,
        volunteer_of=(
            dict(zip(vid, range(nv), strict=True)) if m.volunteers_changed else base.volunteer_of
        ),
        need_of=dict(zip(nid, range(nn), strict=True)),
    )
    return built, Delta(
        volunteer_from=same_id(base.volunteer_of, fresh_v, m.at_kv, kv, m.at_fv, nv),
        need_from=same_id(base.need_of, fresh_n, m.at_kn, kn, m.at_fn, nn),
        edge_from=edge_from,
        volunteer_same=_flags(nv, m.at_kv),
        need_same=_flags(nn, m.at_kn),
        volunteers_changed=m.volunteers_changed,
        incremental=True,
    )
