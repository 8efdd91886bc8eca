"""An encoding that grows record by record, and the pairs of one record, searched alone.

A platform's events change one record at a time. :class:`GrowingEncoding`
keeps the arrays of :class:`~matcher.model.rules.Encoding` with room to
spare: a new record is encoded (against the same name tables) into the next
row, a record that leaves only has its row marked dead, and no row ever moves.
It keeps each side's rows sorted by their first coordinate
(:class:`AxisIndex`), so a record is searched against the rows in a band
around it only, and rule 1 counted per skill requirement group
(:attr:`GrowingEncoding.skill_count`), so a volunteer's skills change the
counts of a hundred thousand needs in a few hundred additions.
:func:`record_pairs` then finds one record's feasible pairs and the candidate
counts of :meth:`~matcher.graph.Diagnostics.candidate_counts` in one pass over
the other side's live rows -- the same rules, through the same functions, as
:func:`~matcher.graph.build` (``tests/test_grow.py`` checks both against it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..model import rules
from ..model.rules import EARTH_RADIUS_KM, Encoding
from .build import _edge_costs
from .core import BoolArray, FloatArray, IntArray
from .rebuild import _NEED_ROWS, _VOLUNTEER_ROWS

__all__ = ["AxisIndex", "GrowingEncoding", "RecordPairs", "record_pairs"]


class GrowingEncoding:
    """Records encoded as rows that are appended and retired, never moved.

    Parameters
    ----------
    enc : Encoding
        The encoding of the records to start from (its name tables stay).
    volunteers, needs : sequence of Volunteer, Need
        Those records, in the encoding's order (row ``i`` is record ``i``).
    policy : Policy
        The policy they were encoded under.

    Attributes
    ----------
    skill_count : ndarray of int64
        For each skill requirement group (:attr:`classes`), how many of the
        volunteers there meet it: rule 1's candidate count of every need of
        the group.
    reach : float
        A bound on every volunteer's travel limit (km; it never shrinks).

    Notes
    -----
    Pairs named in ``forbidden`` are not kept (:attr:`encoding` has none): a
    caller with forbidden pairs takes them out of what :func:`record_pairs`
    finds (the Planner's events do: a forbidden pair fails rule 5).
    """

    def __init__(
        self, enc: Encoding, volunteers: Sequence[Any], needs: Sequence[Any], policy: Any
    ) -> None:
        self.policy = policy
        self.names = enc.names
        self._base = replace(enc, forbidden_keys=np.zeros(0, np.int64))
        self._arrays: dict[str, NDArray[Any]] = {
            k: _with_room(getattr(enc, k)) for k in (*_VOLUNTEER_ROWS, *_NEED_ROWS)
        }
        self.n_volunteer_rows = enc.n_volunteers
        self.n_need_rows = enc.n_needs
        self.volunteers: list[Any] = list(volunteers)  # the record of each row (None: gone)
        self.needs: list[Any] = list(needs)
        # needs grouped by skill requirement: one comparison per group (a few hundred)
        level = enc.need_level
        cls: NDArray[np.int64] = np.zeros(len(level), np.int64)
        req: NDArray[np.int8] = np.zeros((min(len(level), 1), level.shape[1]), level.dtype)
        if level.size:  # else no needs, or no skills: one group (if any need) asking for nothing
            req, inverse = np.unique(level, axis=0, return_inverse=True)
            cls = np.asarray(inverse, np.int64).reshape(-1)
        self.class_req = req
        self._class_of = {row.tobytes(): k for k, row in enumerate(self.class_req)}
        self._need_class = _with_room(cls)
        self.volunteer_alive = _with_room(np.ones(enc.n_volunteers, bool))
        self.need_alive = _with_room(np.ones(enc.n_needs, bool))
        self._enc: Encoding | None = None
        # rule 1 by group: how many volunteers there meet each group's requirement
        self.skill_count = np.array([_meeting(enc.vol_level, r) for r in self.class_req], np.int64)
        # the rows of each side by their first coordinate, and the farthest reach
        self._need_axis = AxisIndex(enc.need_xy[:, 0])
        self._volunteer_axis = AxisIndex(enc.vol_xy[:, 0])
        self.reach = float(enc.vol_limit.max()) if len(enc.vol_limit) else 0.0

    # ---------------------------------------------------------------- changes

    def fits(self, volunteers: Sequence[Any], needs: Sequence[Any]) -> bool:
        """Whether every skill, slot, community and category of these records has a code."""
        new = rules.names_of(volunteers, needs)
        return all(set(a) <= set(b) for a, b in zip(new, self.names, strict=True))

    def add_volunteer(self, record: Any) -> int:
        """Encode *record* into a new row; its row (the names must fit, :meth:`fits`)."""
        sub = rules.encode([record], [], self.policy, (), names=self.names)
        row = self.n_volunteer_rows
        self.volunteer_alive = self._append(
            _VOLUNTEER_ROWS, sub, record, self.volunteers, self.volunteer_alive
        )
        self.n_volunteer_rows = row + 1
        self.skill_count += self._meets(row)
        self._volunteer_axis.add(row, float(sub.vol_xy[0, 0]))
        self.reach = max(self.reach, float(sub.vol_limit[0]))
        return row

    def add_need(self, record: Any) -> int:
        """Encode *record* into a new row; its row (the names must fit, :meth:`fits`)."""
        sub = rules.encode([], [record], self.policy, (), names=self.names)
        row = self.n_need_rows
        level = sub.need_level[0]
        k = self._class_of.get(level.tobytes())
        if k is None:
            k = self._class_of[level.tobytes()] = len(self.class_req)
            self.class_req = np.vstack([self.class_req, level[None, :]])
            live = self._arrays["vol_level"][: self.n_volunteer_rows][self.live_volunteers()]
            self.skill_count = np.append(self.skill_count, _meeting(live, level))
        self._need_class = _grown(self._need_class, row + 1)
        self._need_class[row] = k
        self.need_alive = self._append(_NEED_ROWS, sub, record, self.needs, self.need_alive)
        self.n_need_rows = row + 1
        self._need_axis.add(row, float(sub.need_xy[0, 0]))
        return row

    def remove_volunteer(self, row: int) -> None:
        """Retire a volunteer's row (capacity 0: no rule passes it as available)."""
        self.skill_count -= self._meets(row)
        self._arrays["capacity"][row] = 0
        self.volunteer_alive[row] = False
        self.volunteers[row] = None
        self._enc = None

    def remove_need(self, row: int) -> None:
        """Retire a need's row."""
        self.need_alive[row] = False
        self.needs[row] = None

    def _append(
        self,
        names: tuple[str, ...],
        sub: Encoding,
        record: Any,
        records: list[Any],
        alive: NDArray[np.bool_],
    ) -> NDArray[np.bool_]:
        """Put *record* (encoded alone as *sub*) in the next row; the alive flags, grown."""
        row = len(records)
        for k in names:
            a = _grown(self._arrays[k], row + 1)
            a[row] = getattr(sub, k)[0]
            self._arrays[k] = a
        alive = _grown(alive, row + 1)
        alive[row] = True
        records.append(record)
        self._enc = None
        return alive

    def _meets(self, row: int) -> NDArray[np.int64]:
        """1 for each requirement group volunteer *row* meets (rule 1), else 0."""
        level = self._arrays["vol_level"][row]
        return np.all(self.class_req <= level, axis=1).astype(np.int64)

    # ---------------------------------------------------------------- reading

    @property
    def encoding(self) -> Encoding:
        """An :class:`Encoding` of every row (views; dead rows included, no forbidden pairs)."""
        if self._enc is None:
            nv, nn = self.n_volunteer_rows, self.n_need_rows
            rows: dict[str, Any] = {k: self._arrays[k][:nv] for k in _VOLUNTEER_ROWS}
            rows.update({k: self._arrays[k][:nn] for k in _NEED_ROWS})
            self._enc = replace(self._base, **rows)
        return self._enc

    @property
    def classes(self) -> tuple[IntArray, NDArray[np.int8]]:
        """The skill requirement group of each need row, and each group's requirement."""
        return self._need_class[: self.n_need_rows], self.class_req

    def costs(self, problem: Any, found: RecordPairs) -> tuple[dict[str, FloatArray], IntArray]:
        """The cost parts and integer costs of the pairs *found* among these rows.

        The graph's own costing (:func:`~matcher.graph.build.build`'s), under
        *problem*'s policy and history.
        """
        return _edge_costs(
            problem, self.volunteers, self.needs, self.encoding,
            found.volunteer, found.need, found.distance_km,
        )  # fmt: skip

    def live_volunteers(self) -> IntArray:
        """The rows of the volunteers there, in row order."""
        return np.flatnonzero(self.volunteer_alive[: self.n_volunteer_rows])

    def live_needs(self) -> IntArray:
        """The rows of the needs there, in row order."""
        return np.flatnonzero(self.need_alive[: self.n_need_rows])

    def needs_near(self, row: int) -> IntArray:
        """The needs there that volunteer *row* may reach, in row order.

        Every need whose distance from the volunteer is within its limit is
        among them (they are the needs within the limit in the first
        coordinate alone, the bound :func:`record_pairs` checks first), so
        :func:`record_pairs` finds the same pairs with them as with
        :meth:`live_needs`; rule 1's counts of the others are in
        :attr:`skill_count`.
        """
        x = float(self._arrays["vol_xy"][row, 0])
        limit = float(self._arrays["vol_limit"][row])
        near = self._need_axis.within(x, _width(limit, self.policy.geometry))
        return near[self.need_alive[near]]

    def volunteers_near(self, row: int) -> IntArray:
        """The volunteers there that may reach need *row*, in row order (see :meth:`needs_near`)."""
        x = float(self._arrays["need_xy"][row, 0])
        near = self._volunteer_axis.within(x, _width(self.reach, self.policy.geometry))
        return near[self.volunteer_alive[near]]

    def pairs_of_needs(self, rows: Sequence[int]) -> list[RecordPairs]:
        """What :func:`record_pairs` finds for each need row against the volunteers near it.

        Equal, need for need, to ``record_pairs(enc, [r], volunteers_near(r))``;
        rules 2 to 5 run once over the pairs of many needs (those of an
        update that brings many), :data:`_BATCH` needs at a time: more would
        leave the caches (1,000 needs at tier L: 0.14 s in passes of 128 or
        256, 0.52 s in one pass; 0.19 s one need at a time).
        """
        enc = self.encoding
        out: list[RecordPairs] = []
        at = np.zeros(1, np.int64)
        for lo in range(0, len(rows), _BATCH):
            part = [int(r) for r in rows[lo : lo + _BATCH]]
            found = [_skilled(enc, r, self.volunteers_near(r)) for r in part]
            sizes = [len(f) for f in found]
            v = np.concatenate([np.zeros(0, np.int64), *found])
            n = np.repeat(np.array(part, np.int64), sizes)
            slot = np.repeat(np.arange(len(part), dtype=np.int64), sizes)
            v, n, dist, slot, passed = _rules_after_skills(enc, v, n, slot, len(part))
            cut = np.searchsorted(slot, np.arange(len(part) + 1)).tolist()
            out += [
                RecordPairs(v[a:b], n[a:b], dist[a:b], at, passed[k : k + 1])
                for k, (a, b) in enumerate(zip(cut[:-1], cut[1:], strict=True))
            ]
        return out


class AxisIndex:
    """Rows sorted by one coordinate, for the rows within a distance of a value.

    Rows added after the last sort wait in a short list, checked one by
    one; the index is sorted again when that list grows past a share of it.
    Rows are never removed (the caller filters the rows that left).

    Examples
    --------
    >>> idx = AxisIndex(np.array([5.0, 1.0, 3.0]))
    >>> idx.add(3, 2.5)
    >>> idx.within(2.0, 1.0).tolist()
    [1, 2, 3]
    """

    def __init__(self, x: FloatArray) -> None:
        self._x = np.array(x, np.float64)
        self._n = len(self._x)
        self._sort()

    def _sort(self) -> None:
        x = self._x[: self._n]
        self._rows = np.argsort(x, kind="stable")
        self._keys = x[self._rows]
        self._sorted = self._n

    def add(self, row: int, x: float) -> None:
        """Row *row* (the next one: rows are numbered in order) at *x*."""
        if row != self._n:
            raise ValueError(f"row {row} added out of order (expected {self._n})")
        self._x = _grown(self._x, row + 1)
        self._x[row] = x
        self._n = row + 1
        if self._n - self._sorted > 256 + self._sorted // 32:
            self._sort()

    def within(self, x: float, width: float) -> IntArray:
        """The rows whose coordinate is in ``[x - width, x + width]``, ascending."""
        lo, hi = x - width, x + width
        rows = self._rows[
            np.searchsorted(self._keys, lo, "left") : np.searchsorted(self._keys, hi, "right")
        ]
        tail = np.arange(self._sorted, self._n, dtype=np.int64)
        tx = self._x[self._sorted : self._n]
        rows = np.concatenate([rows, tail[(tx >= lo) & (tx <= hi)]])
        return np.sort(rows)


_MARGIN = 1e-9
"""Relative and absolute slack of the distance bound (far above rounding): see :func:`_distances`."""

_BATCH = 128
"""Needs whose pairs :meth:`GrowingEncoding.pairs_of_needs` checks in one pass."""


def _width(limit: float, geometry: str) -> float:
    """A half-width in the first coordinate that holds every point within *limit* km.

    Wider than :func:`_distances`' bound lets through (its margins, and a
    little more for the rounding of this one), so a band of this width holds
    every pair that bound keeps.
    """
    bound = (limit + _MARGIN) / (1 - _MARGIN)  # the largest floor _distances lets through
    if geometry != "plane":
        bound = np.degrees(bound / EARTH_RADIUS_KM)
    return float(bound * (1 + 1e-6) + 1e-9)


def _meeting(levels: NDArray[np.int8], req: NDArray[np.int8]) -> int:
    """How many of the volunteers of skill *levels* meet the requirement *req* (rule 1)."""
    return int(np.all(levels >= req, axis=1).sum())


def _with_room(a: NDArray[Any]) -> NDArray[Any]:
    out = np.zeros((max(16, len(a) + len(a) // 8), *a.shape[1:]), a.dtype)
    out[: len(a)] = a
    return out


def _grown(a: NDArray[Any], rows: int) -> NDArray[Any]:
    if rows <= len(a):
        return a
    out = np.zeros((max(rows, 2 * len(a)), *a.shape[1:]), a.dtype)
    out[: len(a)] = a
    return out


def _distances(enc: Encoding, v: IntArray, n: IntArray) -> FloatArray:
    """The exact distance of each pair that may be within its volunteer's reach; inf for the others.

    A pair is out of reach at once when a lower bound of its distance is: the
    latitude difference along the sphere (``R |dphi|``, never more than the
    haversine distance) or the x difference on the plane, less a margin far
    above rounding. Only the others are measured (a few in a city).
    """
    a, b = enc.vol_xy[v, 0], enc.need_xy[n, 0]
    floor = np.abs(b - a)
    if enc.geometry != "plane":
        floor = np.radians(floor) * EARTH_RADIUS_KM
    near = floor * (1 - _MARGIN) - _MARGIN <= enc.vol_limit[v]
    out = np.full(len(v), np.inf)
    out[near] = rules.distance_km(enc, v[near], n[near])
    return out


class RecordPairs(NamedTuple):
    """What :func:`record_pairs` found.

    Attributes
    ----------
    volunteer, need : ndarray of int64
        The feasible pairs (rows), in the order of *needs* then *volunteers*.
    distance_km : ndarray of float64
        Their exact distances.
    at : ndarray of int64
        Positions in *needs* of the needs that some volunteer passes rule 1
        for (all of them for a single need), ascending.
    passed : ndarray of int64, shape (len(at), 5)
        For each of those needs, how many of the volunteers pass each rule in
        turn: what they add to its
        :meth:`~matcher.graph.Diagnostics.candidate_counts` (the other needs'
        counts get nothing).
    """

    volunteer: IntArray
    need: IntArray
    distance_km: FloatArray
    at: IntArray
    passed: IntArray


def record_pairs(
    enc: Encoding,
    needs: IntArray,
    volunteers: IntArray,
    classes: tuple[IntArray, NDArray[np.int8]] | None = None,
) -> RecordPairs:
    """The feasible pairs between *needs* and *volunteers* (rows), every pair checked.

    For one record against the other side (a few thousand to a hundred
    thousand pairs): each pair goes through the five rules in order, exactly
    as in :meth:`~matcher.graph.Diagnostics.counts_with`; the pairs passing
    all five are the graph's edges between them. Rule 1 of one record is
    checked on the other side's skill columns as a whole (the same
    comparison as :func:`~matcher.model.rules.skills_ok`, without making
    every pair first); with *classes* (:attr:`GrowingEncoding.classes`), a
    volunteer is compared with each requirement group once.
    """
    needs = np.asarray(needs, np.int64)
    volunteers = np.asarray(volunteers, np.int64)
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    if not len(needs) or not len(volunteers):
        at = np.zeros(1 if len(needs) == 1 else 0, np.int64)
        return RecordPairs(empty_i, empty_i, empty_f, at, np.zeros((len(at), 5), np.int64))
    if len(volunteers) == 1:  # one volunteer: every need's requirement against its levels
        level = enc.vol_level[volunteers[0]]
        if classes is None:
            row = np.flatnonzero(np.all(enc.need_level[needs] <= level, axis=1))
        else:
            group, req = classes
            row = np.flatnonzero(np.all(req <= level, axis=1)[group[needs]])
        v = np.full(len(row), volunteers[0], np.int64)
    elif len(needs) == 1:  # one need: only the skills it asks for
        v = _skilled(enc, int(needs[0]), volunteers)
        row = np.zeros(len(v), np.int64)
    else:
        v = np.tile(volunteers, len(needs))
        row = np.repeat(np.arange(len(needs), dtype=np.int64), len(volunteers))
        ok = rules.skills_ok(enc, v, needs[row])
        v, row = v[ok], row[ok]
    n = needs[row]
    if len(needs) == 1:
        at, slot = np.zeros(1, np.int64), row
    elif len(volunteers) == 1:  # one pair per need, in order
        at, slot = row, np.arange(len(row), dtype=np.int64)
    else:
        at = np.unique(row)
        slot = np.searchsorted(at, row)
    v, n, dist, _, passed = _rules_after_skills(enc, v, n, slot, len(at))
    return RecordPairs(v, n, dist, at, passed)


def _skilled(enc: Encoding, need: int, volunteers: IntArray) -> IntArray:
    """The *volunteers* with the skills need *need* asks for (rule 1), in order."""
    req = enc.need_level[need]
    cols = np.flatnonzero(req)
    return volunteers[np.all(enc.vol_level[:, cols][volunteers] >= req[cols], axis=1)]


def _rules_after_skills(
    enc: Encoding, v: IntArray, n: IntArray, slot: IntArray, count: int
) -> tuple[IntArray, IntArray, FloatArray, IntArray, IntArray]:
    """Rules 2 to 5 for pairs that pass rule 1, counted by *slot* (``0 .. count - 1``).

    The pairs passing all five (volunteers, needs, distances and slots, in
    order), and for each slot how many passed each rule in turn.
    """
    passed = np.zeros((count, 5), np.int64)
    passed[:, 0] = np.bincount(slot, minlength=count)
    # the other rules only for the pairs in reach: the rest stop at rule 2
    dist = _distances(enc, v, n)
    near = np.flatnonzero(dist <= enc.vol_limit[v])
    v, n, dist, slot = v[near], n[near], dist[near], slot[near]
    masks = rules.rule_masks(enc, v, n, dist, skills=np.ones(len(v), bool))
    keep: BoolArray = np.ones(len(v), bool)
    for k, mask in enumerate((masks.distance, masks.slot, masks.community, masks.available)):
        keep &= mask
        passed[:, k + 1] = np.bincount(slot[keep], minlength=count)
    return v[keep], n[keep], dist[keep], slot[keep], passed
