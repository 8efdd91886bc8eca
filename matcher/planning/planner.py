"""Re-planning a community as it changes, keeping the work that still holds.

:func:`matcher.solve` with ``previous=`` re-plans from a previous result: it
builds the whole candidate graph again, re-solves only the parts of it where
the previous plan no longer holds, and assembles the whole result again. For a
platform that re-plans a large city many times a day, most of that work is the
same each time. A :class:`Planner` keeps it between re-plans:

* the candidate graph: only the pairs of new or changed records are searched
  and costed (:func:`matcher.graph.rebuild`); the others keep their edges;
* the previous plan and its optimality certificate, by index: the re-plan
  starts from them without looking every record up by id;
* the result: the matches of unchanged pairs, and the candidate counts of
  unchanged unmatched needs, are re-used as they are.

What a re-plan returns is the result ``solve(problem, previous=last,
churn_cost=...)`` returns, field for field (timings aside): the same graph,
the same start, the same solver path (``tests/test_planner.py`` checks this on
random changes). So it is exactly optimal and, like any optimal result,
proven by its certificate.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, InputProblem, short_repr
from ..graph import Built, Delta, Graph, build, rebuild
from ..graph.core import _is_sorted
from ..model import Need, Problem, Volunteer
from ..model.problem import _CHECKED
from ..result import Certificate, Churn, GraphSolution, Provenance, Result, Unmatched, assemble
from ..solvers import Instance, Near, Potentials, Warm, WarmStart
from ..solvers._duals import UNKNOWN
from .solving import _solve_built, _solve_graph
from .warm import _WARM_LIMIT, _churn_units, _slot_start

__all__ = ["Planner"]

IntArray = NDArray[np.int64]


class Planner:
    """Plan a community, then re-plan it as records change, re-using what still holds.

    Parameters
    ----------
    problem : Problem
        The community to plan first.
    method : str, default "auto"
        As in :func:`matcher.solve`; used for every plan.
    churn_cost : float, optional
        As in :func:`matcher.solve`: what changing a previous pair costs, for
        every re-plan (each re-plan keeps close to the plan before it).
    previous : Result, optional
        A plan to start from (last week's), as in :func:`matcher.solve`.
    executor : Executor, optional
        As in :func:`matcher.solve`.
    certify : bool, default True
        As in :func:`matcher.solve`. Without certificates, re-plans solve
        from scratch (the certificate is what a re-plan starts from).
    **options
        Method options, as in :func:`matcher.solve`.

    Attributes
    ----------
    problem : Problem
        The community as last planned.
    result : Result
        Its plan.

    Notes
    -----
    A re-plan returns what ``solve(problem, method, previous=planner.result,
    churn_cost=churn_cost)`` would, timings aside. It is fast when the
    policy and the pinned, forbidden and history pairs stay the same and no
    skill, slot, community or category name comes or goes: then only the
    pairs of new or changed records are built, and when, besides, the
    changes fall in a few independent parts of the city (with
    ``Policy.same_community``), only those parts are solved again. Otherwise
    it still gives the same result, built or solved from scratch. See
    ``benchmarks/REPLAN.md`` for what it saves.

    The planner holds the candidate graph of the last plan (memory in
    proportion to its pairs).

    Examples
    --------
    >>> from matcher import Need, Planner, Policy, Problem, Volunteer, solve
    >>> vs = [Volunteer("ana", ["driving"], (0.0, 0.0)), Volunteer("bo", ["driving"], (2.0, 0.0))]
    >>> ns = [Need("ride1", "medical", ["driving"], (0.5, 0.0))]
    >>> planner = Planner(Problem(vs, ns, Policy(geometry="plane")))
    >>> [(m.need_id, m.volunteer_id) for m in planner.result.matches]
    [('ride1', 'ana')]
    >>> r = planner.update(needs=[Need("ride2", "medical", ["driving"], (0.4, 0.0))])
    >>> [(m.need_id, m.volunteer_id) for m in r.matches]
    [('ride1', 'bo'), ('ride2', 'ana')]
    >>> r.churn.kept, r.churn.moved, r.churn.added
    (0, 1, 1)
    """

    def __init__(
        self,
        problem: Problem,
        method: str = "auto",
        *,
        churn_cost: float | None = None,
        previous: Result | None = None,
        executor: Any = None,
        certify: bool = True,
        **options: Any,
    ) -> None:
        if not isinstance(problem, Problem):
            raise InputError(
                [
                    InputProblem(
                        "Planner",
                        "problem",
                        "a matcher.Problem",
                        short_repr(problem),
                        kind="option",
                    )
                ]
            )
        # checked now, for every re-plan will use it (a re-plan always has a previous plan)
        units = _churn_units(churn_cost, previous, problem.policy.resolution, needs_previous=False)
        self._method = method
        self._churn_cost = churn_cost
        self._executor = executor
        self._certify = certify
        self._options = options
        # digests of the records, by id of the live record: a re-plan hashes only
        # new records for the result's provenance (matcher.model.fingerprint)
        self._fingerprints: dict[int, Any] = {}
        t0 = time.perf_counter()
        built = build(problem)
        result, solution = _solve_built(
            built,
            t0,
            method,
            previous=previous,
            churn_cost=churn_cost if previous is not None else None,
            churn_units=units if previous is not None else 0,
            executor=executor,
            certify=certify,
            options=options,
            fingerprints=self._fingerprints,
        )
        self._built: Built = built
        self._solution: GraphSolution = solution
        self.result: Result = result
        # the plan's (need_id, volunteer_id) pairs, by chosen edge (the next churn's
        # ``previous``: kept pairs keep their tuples from one re-plan to the next)
        self._pairs: list[tuple[str, str]] = [(m.need_id, m.volunteer_id) for m in result.matches]
        # The churn term of the last solve: its certificate proves the costs less this.
        # (Not kept for a first plan made from a previous one with a churn cost: the
        # first re-plan then checks the whole network.)
        self._bonus: IntArray | None = None
        self._bonus_known = previous is None or not churn_cost

    @property
    def problem(self) -> Problem:
        """The community as last planned."""
        return self._built.problem

    def replan(self, problem: Problem) -> Result:
        """Plan *problem*, the community as it is now, from the last plan.

        Parameters
        ----------
        problem : Problem
            The whole community now: records are matched to the last plan's
            by id and compared by value (unchanged records are usually the
            very same objects, which is fastest).

        Returns
        -------
        Result
            As ``solve(problem, method, previous=self.result,
            churn_cost=churn_cost)``, with ``churn`` against the last plan.
            It becomes :attr:`result`.

        Raises
        ------
        InputError
            If *problem* is not a Problem.
        """
        if not isinstance(problem, Problem):
            raise InputError(
                [
                    InputProblem(
                        "replan", "problem", "a matcher.Problem", short_repr(problem), kind="option"
                    )
                ]
            )
        prev = self.result
        churn_units = _churn_units(self._churn_cost, prev, problem.policy.resolution)
        t0 = time.perf_counter()
        base, old = self._built, self._solution
        built, delta = rebuild(base, problem)
        graph = built.graph
        # -- the last plan's pairs, in the new graph (by id, as solve(previous=) finds them)
        g0 = base.graph
        v_new = _inverse(delta.volunteer_from, g0.n_volunteers)
        n_new = _inverse(delta.need_from, g0.n_needs)
        pv, pn = v_new[g0.volunteer[old.edge]], n_new[g0.need[old.edge]]
        at = _edges_of(graph, pn, pv)
        mask = np.zeros(graph.n_edges, bool)
        mask[at[at >= 0]] = True
        bonus = churn_units * mask.astype(np.int64) if churn_units else None
        priority_first = problem.policy.unmatched_cost is None

        near = None
        if delta.incremental and self._bonus_known:
            near = _near(graph, g0, old, delta, v_new, n_new, self._bonus, bonus)

        def warm_start(inst: Instance) -> Warm | None:
            warm = _warm_by_index(graph, g0, inst, mask, old, delta, v_new, priority_first)
            return warm if warm is None or near is None else warm._replace(near=near)

        t1 = time.perf_counter()
        solution = _solve_graph(
            graph,
            self._method,
            executor=self._executor,
            certify=self._certify,
            options=self._options,
            bonus=bonus,
            warm_start=None if prev.certificate is None else warm_start,
        )
        t2 = time.perf_counter()
        timings = {
            "build_graph": t1 - t0,
            "solve": t2 - t1,
            "backend": solution.backend_seconds,
            "certify": solution.certify_seconds,
        }
        src = _previous_positions(g0.n_edges, old, delta, solution)
        matches, pairs = prev.matches, self._pairs
        cert = None
        if solution.certificate is not None and old.certificate is not None:
            assert prev.certificate is not None
            cert = _certificate(
                solution.certificate, graph, prev.certificate, old.certificate, g0, v_new
            )
        result = assemble(
            problem,
            graph,
            built.diag,
            solution,
            priority_first,
            timings,
            reuse=[matches[k] if k >= 0 else None for k in src.tolist()],
            known=_known_unmatched(prev, base, delta, n_new),
            certificate=cert,
            provenance=Provenance.of(problem, cache=self._fingerprints),
        )
        churn = _churn(pairs, graph, solution, pn, at, mask, self._churn_cost or 0.0, churn_units)
        new_pairs = [
            pairs[k] if k >= 0 else (m.need_id, m.volunteer_id)
            for k, m in zip(src.tolist(), result.matches, strict=True)
        ]
        t3 = time.perf_counter()
        result = replace(
            result, churn=churn, timings={**timings, "assemble": t3 - t2, "total": t3 - t0}
        )
        self._built, self._solution, self.result = built, solution, result
        self._pairs = new_pairs
        self._bonus, self._bonus_known = bonus, True
        return result

    def update(
        self,
        *,
        needs: Iterable[Need] = (),
        volunteers: Iterable[Volunteer] = (),
        remove_needs: Iterable[str] = (),
        remove_volunteers: Iterable[str] = (),
    ) -> Result:
        """Re-plan after records arrive, change or leave.

        Parameters
        ----------
        needs, volunteers : iterable of Need, Volunteer
            New records, or new versions of records (same id) that changed.
        remove_needs, remove_volunteers : iterable of str
            Ids of records that left.

        Returns
        -------
        Result
            :meth:`replan` of the community with these changes (the new
            records are validated as in any :class:`Problem`, and ids and
            pairs across the whole community).

        Raises
        ------
        InputError
            If an id to remove is not in the community, or comes twice, or
            the changed community is not a valid problem (every problem at
            once); the planner is then left as it was.
        """
        p = self.problem
        needs, volunteers = list(needs), list(volunteers)
        problems: list[InputProblem] = []
        gone_n = _ids_to_remove("remove_needs", remove_needs, self._built.need_of, problems)
        gone_v = _ids_to_remove(
            "remove_volunteers", remove_volunteers, self._built.volunteer_of, problems
        )
        if problems:
            raise InputError(problems)
        new_needs = _upsert(p.needs, needs, gone_n)
        new_vols = _upsert(p.volunteers, volunteers, gone_v)
        # The records kept were checked under this very policy: only the new ones are
        # (ids, pairs and pinned rules are checked across all, as always).
        token = _CHECKED.set(frozenset(map(id, chain(p.volunteers, p.needs))))
        try:
            problem = Problem(
                new_vols,
                new_needs,
                p.policy,
                pinned=p.pinned,
                forbidden=p.forbidden,
                history=p.history,
            )
        finally:
            _CHECKED.reset(token)
        return self.replan(problem)

    def __repr__(self) -> str:
        p = self.problem
        return (
            f"Planner({len(p.volunteers)} volunteers, {len(p.needs)} needs, "
            f"method={self._method!r}, churn_cost={self._churn_cost!r})"
        )


def _ids_to_remove(
    field: str, ids: Iterable[str], known: dict[str, int], problems: list[InputProblem]
) -> set[str]:
    out: set[str] = set()
    for x in ids:
        if not isinstance(x, str) or x not in known:
            problems.append(
                InputProblem(
                    "update", field, "ids of records in the community", short_repr(x), kind="option"
                )
            )
        elif x in out:
            problems.append(
                InputProblem("update", field, "each id once", short_repr(x), kind="option")
            )
        if isinstance(x, str):
            out.add(x)
    return out


def _upsert(old: Iterable[Any], fresh: list[Any], gone: set[str]) -> list[Any]:
    """*old* without *gone* and without the ids of *fresh*, then all of *fresh*.

    An id that comes twice in *fresh* stays twice: the problem's validation names it.
    """
    ids = {getattr(r, "id", None) for r in fresh}
    return [r for r in old if r.id not in gone and r.id not in ids] + fresh


def _inverse(new_from: IntArray, n_old: int) -> IntArray:
    """Old index -> new index of the same id (-1: gone), from new -> old."""
    out = np.full(n_old, -1, np.int64)
    has = new_from >= 0
    out[new_from[has]] = np.flatnonzero(has)
    return out


def _edges_of(graph: Any, n: IntArray, v: IntArray) -> IntArray:
    """The edge of *graph* joining each ``(n[k], v[k])`` (-1: a gone end, or not an edge)."""
    out = np.full(len(n), -1, np.int64)
    ok = (n >= 0) & (v >= 0)
    if not ok.any() or not graph.n_edges:
        return out
    nv = graph.n_volunteers
    keys = graph.need * nv + graph.volunteer  # ascending: edges are sorted by (need, volunteer)
    q = n[ok] * nv + v[ok]
    pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    out[np.flatnonzero(ok)] = np.where(keys[pos] == q, pos, -1)
    return out


def _warm_by_index(
    graph: Any,
    g0: Any,
    inst: Instance,
    mask: NDArray[np.bool_],
    old: GraphSolution,
    delta: Delta,
    v_new: IntArray,
    priority_first: bool,
) -> Warm | None:
    """:func:`matcher.planning.warm._warm` from the last solve's potentials, mapped by index."""
    pot = old.certificate
    if pot is None or (pot.big_m is None) == priority_first:
        return None

    def mapped(values: IntArray, new_from: IntArray) -> IntArray:
        out = np.full(len(new_from), UNKNOWN, np.int64)
        has = new_from >= 0
        out[has] = values[new_from[has]]
        return out

    vol = mapped(pot.volunteer, delta.volunteer_from)
    need = mapped(pot.need, delta.need_from)
    if (np.abs(vol) >= _WARM_LIMIT).any() or (np.abs(need) >= _WARM_LIMIT).any():
        return None
    slot = None
    if inst.slot is not None and inst.n_needs:
        sv = v_new[pot.slot_volunteer]
        slot = _slot_start(graph, inst, sv, pot.slot, g0.slot_names, pot.slot_node)
    return Warm(mask, WarmStart(vol, need, slot), pot.big_m)


def _near(
    graph: Graph,
    g0: Graph,
    old: GraphSolution,
    delta: Delta,
    v_new: IntArray,
    n_new: IntArray,
    old_bonus: IntArray | None,
    bonus: IntArray | None,
) -> Near | None:
    """Where the new instance differs from the one the last certificate proved.

    Flagged: new and changed records; the ends of new edges, of the last
    plan's edges that are gone, and of edges whose churn term changed. Every
    other arc of the certificate network is the one the last proof checked.
    """
    pot = old.certificate
    if pot is None:
        return None
    sus_v = ~delta.volunteer_same
    sus_n = ~delta.need_same
    fresh = np.flatnonzero(delta.edge_from < 0)
    sus_v[graph.volunteer[fresh]] = True
    sus_n[graph.need[fresh]] = True
    new_of_old = _inverse(delta.edge_from, g0.n_edges)
    at = new_of_old[old.edge]
    previous = np.zeros(graph.n_edges, bool)
    previous[at[at >= 0]] = True
    gone = old.edge[at < 0]
    for node, of in ((v_new[g0.volunteer[gone]], sus_v), (n_new[g0.need[gone]], sus_n)):
        of[node[node >= 0]] = True
    if old_bonus is not None or bonus is not None:
        kept = np.flatnonzero(delta.edge_from >= 0)
        was = (
            np.zeros(len(kept), np.int64) if old_bonus is None else old_bonus[delta.edge_from[kept]]
        )
        now = np.zeros(len(kept), np.int64) if bonus is None else bonus[kept]
        differ = kept[was != now]
        sus_v[graph.volunteer[differ]] = True
        sus_n[graph.need[differ]] = True
    return Near(sus_v, sus_n, previous, pot.big_m)


def _previous_positions(
    n_old_edges: int, old: GraphSolution, delta: Delta, solution: GraphSolution
) -> IntArray:
    """For each chosen edge, its position in the last plan (-1: none).

    Only an edge between the same two unchanged records counts: its match and
    its pair can be re-used as they are.
    """
    if not n_old_edges:
        return np.full(len(solution.edge), -1, np.int64)
    at = np.full(n_old_edges, -1, np.int64)
    at[old.edge] = np.arange(len(old.edge))  # the last plan's matches are in edge order
    src = delta.edge_from[solution.edge]
    return np.where(src >= 0, at[src], -1)


def _certificate(
    pot: Potentials,
    graph: Graph,
    prev: Certificate,
    old: Potentials,
    g0: Graph,
    v_new: IntArray,
) -> Certificate:
    """``Certificate.from_potentials(pot, graph)``, re-using the last one's slot maps.

    A volunteer whose (volunteer, slot) potentials did not change keeps the
    last certificate's map of them (most volunteers, after a few changes: no
    new objects).
    """
    sv, st, sx = pot.slot_volunteer, pot.slot, pot.slot_node
    names = graph.slot_names
    # the old nodes in the new numbering
    code = {name: t for t, name in enumerate(names)}
    t_of_old = np.array([code.get(name, -1) for name in g0.slot_names], np.int64)
    ov = v_new[old.slot_volunteer]
    ot = t_of_old[old.slot] if len(old.slot) else old.slot
    width = len(names) + 1
    ok = (ov >= 0) & (ot >= 0)
    old_keys, old_vals = ov[ok] * width + ot[ok], old.slot_node[ok]
    if not _is_sorted(old_keys):  # sorted unless slot names were renumbered
        order = np.argsort(old_keys, kind="stable")
        old_keys, old_vals = old_keys[order], old_vals[order]
    keys = sv * width + st
    pos = np.minimum(np.searchsorted(old_keys, keys), max(len(old_keys) - 1, 0))
    same_node = (
        (old_keys[pos] == keys) & (old_vals[pos] == sx)
        if len(old_keys)
        else np.zeros(len(keys), bool)
    )
    nv = graph.n_volunteers
    n_new = np.bincount(sv, minlength=nv)
    same_vol = (np.bincount(ov[ov >= 0], minlength=nv) == n_new) & (
        np.bincount(sv[same_node], minlength=nv) == n_new
    )
    return Certificate.from_potentials(pot, graph, reuse=(prev.slots, same_vol))


def _known_unmatched(
    prev: Result, base: Built, delta: Delta, n_new: IntArray
) -> dict[int, Unmatched]:
    """The last plan's unmatched needs whose candidate counts still hold, by new index.

    A need's counts depend on its record, the volunteers, the policy and the
    forbidden pairs: they hold for an unchanged need when the graph was
    re-built incrementally (same policy and pairs) and no volunteer changed.
    """
    if not delta.incremental or delta.volunteers_changed:
        return {}
    out = {}
    for u in prev.unmatched:
        j = int(n_new[base.need_of[u.need_id]])
        if j >= 0 and delta.need_same[j]:
            out[j] = u
    return out


def _churn(
    pairs: list[tuple[str, str]],
    graph: Any,
    solution: GraphSolution,
    pn: IntArray,
    at: IntArray,
    mask: NDArray[np.bool_],
    cost: float,
    int_cost: int,
) -> Churn:
    """:meth:`Churn.between` the last plan and this one, counted on index arrays.

    Pairs are compared by id, as there: the last plan's pair ``k`` is kept
    when its edge ``at[k]`` (by id, -1: none) is chosen; a chosen edge is new
    when it is not in *mask* (the last plan's edges). Needs that are gone get
    numbers of their own, past the new graph's.
    """
    nn, k = graph.n_needs, len(pn)
    chosen = np.zeros(graph.n_edges, bool)
    chosen[solution.edge] = True
    stays = np.zeros(k, bool)
    stays[at >= 0] = chosen[at[at >= 0]]
    gone_n = np.where(pn >= 0, pn, nn + np.arange(k))[~stays]
    fresh = ~mask[solution.edge]
    new_n = solution.need[fresh]
    size = nn + k
    moved = int(
        np.minimum(np.bincount(gone_n, minlength=size), np.bincount(new_n, minlength=size)).sum()
    )
    return Churn(
        cost=float(cost),
        int_cost=int(int_cost),
        previous=tuple(pairs),
        kept=int(stays.sum()),
        moved=moved,
        added=int(fresh.sum()) - moved,
        dropped=len(gone_n) - moved,
    )
