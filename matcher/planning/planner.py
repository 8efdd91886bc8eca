"""Re-planning a community as it changes, keeping the work that still holds.

:func:`matcher.solve` with ``previous=`` re-plans from a previous result: it
builds the whole candidate graph again, re-solves only the parts of it where
the previous plan no longer holds, and assembles the whole result again. For a
platform that re-plans a large city many times a day, most of that work is the
same each time. A :class:`Planner` keeps it between re-plans:

* the candidate graph: only the pairs of new or changed records are searched
  and costed (:func:`matcher.graph.rebuild`); the others keep their edges;
* the plan and its certificate in the warm-start engine
  (:mod:`matcher.solvers.live`): each record that arrives, changes or leaves
  is an event the engine repairs where it happens (:mod:`._live`), so a
  re-plan costs no solve of the city, connected or not;
* the result: the matches of unchanged pairs, and the candidate counts of
  unchanged unmatched needs, are re-used as they are;
* for :meth:`Planner.update` (records arriving, changing, leaving), no graph at
  all: the update is taken as events kept by difference (:mod:`._events`), in
  time proportional to what it changes -- milliseconds at tier L
  (``benchmarks/REALTIME.md``).

A re-plan is exactly optimal for what ``solve(problem, previous=last,
churn_cost=...)`` optimises, and proven by its certificate
(``tests/test_planner.py`` checks both, and ``verify``, on random changes).
Among plans of equal objective the engine keeps what it can of the last plan,
so where several plans tie the plan may differ from ``solve``'s; with
``Planner(..., engine=False)`` a re-plan is ``solve``'s result field for field
(timings aside), as it was before the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._gcpause import paused
from ..errors import InputError, InputProblem, PlannerBusy, SolverError, short_repr
from ..graph import Built, Graph, build, rebuild
from ..graph.rebuild import Delta
from ..model import Need, Problem, Volunteer
from ..model.problem import ids_to_remove, pairs_now, problem_with, with_pairs, with_records
from ..result import GraphSolution, Provenance, Result, assemble
from ..solvers import WARM_METHODS, Instance, Warm
from . import _live
from ._events import Events
from ._reuse import (
    churn_of,
    edges_of,
    inverse,
    known_unmatched,
    mapped_certificate,
    previous_positions,
    warm_by_index,
    where_changed,
)
from .solving import _solve_built, _solve_graph
from .warm import _churn_units

__all__ = ["Planner"]

IntArray = NDArray[np.int64]


class _State(NamedTuple):
    """What a planner knows of its last plan; replaced whole by each re-plan."""

    built: Built  # the problem and its candidate graph
    solution: GraphSolution
    result: Result
    # the plan's (need_id, volunteer_id) pairs, by chosen edge (the next churn's
    # ``previous``: kept pairs keep their tuples from one re-plan to the next)
    pairs: list[tuple[str, str]]
    # the churn term of the last solve: its certificate proves the costs less this
    bonus: IntArray | None
    bonus_known: bool
    # the community now, when events have changed it since *built* (which, with
    # *solution* and *pairs*, is then of an earlier plan: see Planner._current)
    now: Problem | None = None


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
    engine : bool, default True
        Re-plan with the warm-start engine where it applies (methods
        ``"auto"`` and ``"flow"``, with certificates; not with teams,
        participation floors or ``Policy.participation``). False: every
        re-plan solves, as ``solve(previous=)`` does.
    **options
        Method options, as in :func:`matcher.solve`.

    Attributes
    ----------
    problem : Problem
        The community as last planned.
    result : Result
        Its plan.
    last_path : str
        How the last plan was made: ``"engine"`` (the warm-start engine's
        events) or ``"solve"`` (a solve: the first plan, and any re-plan the
        engine declines -- a new policy or history pairs, which rebuild the
        graph from scratch; a coverage weight no longer
        above the cost spread; the slot rule switching on or off).

    Notes
    -----
    A re-plan returns a plan exactly as good as ``solve(problem, method,
    previous=planner.result, churn_cost=churn_cost)``'s (the same one with
    ``engine=False``, timings aside). It is fast when the policy and the
    history pairs stay the same and no skill, slot, community or category
    name comes or goes: then only the pairs of new or changed records (and
    of the needs named by a pinned or forbidden pair that came or went) are
    built, and the engine repairs the plan around them.
    Otherwise it still gives an optimal result, built or solved from scratch.
    See ``benchmarks/REPLAN.md`` and ``benchmarks/REALTIME.md`` for what it
    saves.

    The planner holds the candidate graph of the last plan and the engine's
    network (memory in proportion to the pairs: about 110 bytes per pair for
    the engine, ``benchmarks/ENGINE.md``). Making a planner loads its first
    plan into the engine (1-3 s at tier L, ``benchmarks/ENGINE.md``).

    :meth:`update` takes records that arrive, change or leave, and pairs
    pinned, released, forbidden or allowed, as events on the kept plan
    (:mod:`matcher.planning._events`), with no graph rebuilt: 5-10 ms an
    event at tier L, at the median (``benchmarks/REALTIME.md``). It
    declines, and the update is re-planned through the graph, when a record
    brings a skill, slot, community or category name no record had, the
    slot rule would switch on, records and pairs change at once, or with a
    churn cost, a finite ``unmatched_cost``, teams, floors or participation.
    An update or re-plan that changes more than 15% of the records at once is
    solved afresh, which is then cheaper than repairing
    (:data:`matcher.planning._live.MAX_SHARE`). The result of an event
    makes its unmatched entries, the churn's previous pairs, the
    certificate's maps and the provenance's fingerprint when first read
    (:class:`~matcher.result.lazy.LazyTuple`); Python's cyclic garbage
    collector is paused, process-wide, while an event runs.

    Threads: a planner has one writer and any number of readers.
    :meth:`update` and :meth:`replan` may be called from any thread, but one
    at a time: a call while another update of the same planner is running
    raises :class:`~matcher.PlannerBusy` at once (a ``RuntimeError``) and
    changes nothing; to queue updates from several threads, hold a lock of
    your own around them. Reading :attr:`result` and :attr:`problem` is safe
    at any time, from any thread: a re-plan replaces the whole state at once
    when it is done, so a reader gets the last plan, whole, never a mix of
    the old and the new (read ``planner.result`` once and keep it: a later
    read may be a later plan). A failed update leaves the planner as it was.
    Different planners, and :func:`matcher.solve`, are independent.

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
        engine: bool = True,
        **options: Any,
    ) -> None:
        if not isinstance(problem, Problem):
            got = short_repr(problem)
            raise InputError(
                [InputProblem("Planner", "problem", "a matcher.Problem", got, kind="option")]
            )
        # checked now, for every re-plan will use it (a re-plan always has a previous plan)
        _churn_units(churn_cost, previous, problem.policy.resolution, needs_previous=False)
        self._method = method
        self._churn_cost = churn_cost
        self._executor = executor
        self._certify = certify
        self._options = options
        # digests of the records, by id of the live record: a re-plan hashes only
        # new records for the result's provenance (matcher.model.fingerprint)
        self._fingerprints: dict[int, Any] = {}
        self._use_engine = bool(engine) and certify and method in WARM_METHODS
        self._engine: _live.Engine | None = None
        self._events: Events | None = None
        self._state: _State
        self._solve_from(problem, previous)
        self._lock = threading.Lock()  # held by the one writer (update, replan)

    def _start_events(self) -> None:
        """Keep the plan for single events (:mod:`._events`), where they apply."""
        state, engine = self._state, self._engine
        self._events = None
        if engine is not None and state.now is None and not self._churn_cost:
            self._events = Events.start(state.built, state.result, engine)
            if self._events is not None:
                self._events.fingerprints = self._fingerprints

    @property
    def problem(self) -> Problem:
        """The community as last planned."""
        state = self._state
        return state.built.problem if state.now is None else state.now

    @property
    def result(self) -> Result:
        """The last plan (of :attr:`problem`), whole: replaced at once by a re-plan."""
        return self._state.result

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @contextmanager
    def _writer(self, call: str) -> Iterator[None]:
        """Hold the planner's one writer's place, or raise :class:`PlannerBusy` at once."""
        if not self._lock.acquire(blocking=False):
            raise PlannerBusy(
                f"Planner.{call} called while another update of this planner is running; "
                "a Planner has one writer: call update and replan from one thread at a "
                "time (a lock of your own around them queues them). Nothing was changed."
            )
        try:
            yield
        finally:
            self._lock.release()

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
            A plan as good as ``solve(problem, method, previous=self.result,
            churn_cost=churn_cost)``'s (see Notes in :class:`Planner`), with
            ``churn`` against the last plan. It becomes :attr:`result`.

        Raises
        ------
        InputError
            If *problem* is not a Problem.
        PlannerBusy
            If another update of this planner is running (see Threads in
            :class:`Planner`).
        """
        with self._writer("replan"):
            return self._replan(problem)

    def _replan(self, problem: Problem) -> Result:
        """:meth:`replan`, by the writer."""
        if not isinstance(problem, Problem):
            raise InputError(
                [
                    InputProblem(
                        "replan", "problem", "a matcher.Problem", short_repr(problem), kind="option"
                    )
                ]
            )
        self._current()
        state = self._state
        prev = state.result
        churn_units = _churn_units(self._churn_cost, prev, problem.policy.resolution)
        if state.now is not None:  # no engine holds the last plan: solve from it
            return self._solve_from(problem, prev)
        t0 = time.perf_counter()
        base, old = state.built, state.solution
        built, delta = rebuild(base, problem)
        graph = built.graph
        # -- the last plan's pairs, in the new graph (by id, as solve(previous=) finds them)
        g0 = base.graph
        v_new = inverse(delta.volunteer_from, g0.n_volunteers)
        n_new = inverse(delta.need_from, g0.n_needs)
        pv, pn = v_new[g0.volunteer[old.edge]], n_new[g0.need[old.edge]]
        at = edges_of(graph, pn, pv)
        mask = np.zeros(graph.n_edges, bool)
        mask[at[at >= 0]] = True
        bonus = churn_units * mask.astype(np.int64) if churn_units else None
        priority_first = problem.policy.unmatched_cost is None

        near = None
        if delta.incremental and state.bonus_known:
            near = where_changed(graph, g0, old, delta, v_new, n_new, state.bonus, bonus)

        def warm_start(inst: Instance) -> Warm | None:
            warm = warm_by_index(graph, g0, inst, mask, old, delta, v_new, priority_first)
            return warm if warm is None or near is None else warm._replace(near=near)

        t1 = time.perf_counter()
        solution, engine, path = self._solve(
            graph, g0, delta, bonus, None if prev.certificate is None else warm_start
        )
        t2 = time.perf_counter()
        timings = {
            "build_graph": t1 - t0,
            "solve": t2 - t1,
            "backend": solution.backend_seconds,
            "certify": solution.certify_seconds,
        }
        src = previous_positions(g0.n_edges, old, delta, solution)
        matches, pairs = prev.matches, state.pairs
        cert = None
        if solution.certificate is not None and old.certificate is not None:
            assert prev.certificate is not None
            cert = mapped_certificate(
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
            known=known_unmatched(prev, base, built, delta, n_new),
            certificate=cert,
            provenance=Provenance.of(problem, cache=self._fingerprints),
        )
        churn = churn_of(pairs, graph, solution, pn, at, mask, self._churn_cost or 0.0, churn_units)
        new_pairs = [
            pairs[k] if k >= 0 else (m.need_id, m.volunteer_id)
            for k, m in zip(src.tolist(), result.matches, strict=True)
        ]
        t3 = time.perf_counter()
        result = replace(
            result, churn=churn, timings={**timings, "assemble": t3 - t2, "total": t3 - t0}
        )
        self._state = _State(built, solution, result, new_pairs, bonus, True)  # at once
        self._engine = engine
        self.last_path = path
        self._start_events()
        return result

    def _current(self) -> None:
        """After events: the graph of the community now, and the engine mapped onto it.

        Events change the engine and the result, not the graph (:mod:`._events`);
        a re-plan that goes through the graph needs it back. When that fails,
        or no engine holds the plan, the state stays behind and the re-plan
        solves from the last result (:meth:`_solve_from`).
        """
        state, events = self._state, self._events
        self._events = None
        if state.now is None or events is None:
            return
        try:
            built, solution, engine = events.materialise(state.now)
        except SolverError:
            self._engine = None
            return
        pairs = [(m.need_id, m.volunteer_id) for m in state.result.matches]
        self._state = _State(built, solution, state.result, pairs, None, True)
        self._engine = engine

    def _solve_from(self, problem: Problem, previous: Result | None) -> Result:
        """Plan *problem* from scratch with *previous* as the last plan (as ``solve(previous=)``).

        The churn term is not known for a plan made from a previous one with a
        churn cost: the next re-plan then checks the whole network.
        """
        t0 = time.perf_counter()
        first = previous is None
        churn = None if first else self._churn_cost
        units = 0 if first else _churn_units(churn, previous, problem.policy.resolution)
        built = build(problem)
        result, solution = _solve_built(
            built,
            t0,
            self._method,
            previous=previous,
            churn_cost=churn,
            churn_units=units,
            executor=self._executor,
            certify=self._certify,
            options=self._options,
            fingerprints=self._fingerprints,
        )
        pairs = [(m.need_id, m.volunteer_id) for m in result.matches]
        known = not churn
        self._state = _State(built, solution, result, pairs, None, known)
        self._engine = None
        if self._use_engine and known:
            self._engine = _live.start(built.graph, solution, None)
        self.last_path = "solve"
        self._start_events()
        return result

    def _solve(
        self,
        graph: Graph,
        g0: Graph,
        delta: Delta,
        bonus: IntArray | None,
        warm_start: Callable[[Instance], Warm | None] | None,
    ) -> tuple[GraphSolution, _live.Engine | None, str]:
        """The plan of the re-built *graph*: by the engine's events, or solved.

        After a solve the engine starts again from its plan. The engine is the
        planner's again only when the whole re-plan succeeds (:meth:`_replan`
        puts it back): a failure part-way leaves no half-changed engine behind.
        """
        engine, self._engine = self._engine, None
        if engine is not None and self._state.bonus_known:
            live = _live.replan(engine, g0, graph, delta, bonus)
            if live is not None:
                return live[0], live[1], "engine"
        solution = _solve_graph(
            graph,
            self._method,
            executor=self._executor,
            certify=self._certify,
            options=self._options,
            bonus=bonus,
            warm_start=warm_start,
        )
        engine = _live.start(graph, solution, bonus) if self._use_engine else None
        return solution, engine, "solve"

    def update(
        self,
        *,
        needs: Iterable[Need] = (),
        volunteers: Iterable[Volunteer] = (),
        remove_needs: Iterable[str] = (),
        remove_volunteers: Iterable[str] = (),
        pin: Iterable[tuple[str, str]] = (),
        unpin: Iterable[tuple[str, str]] = (),
        forbid: Iterable[tuple[str, str]] = (),
        allow: Iterable[tuple[str, str]] = (),
    ) -> Result:
        """Re-plan after records arrive, change or leave, or pairs are pinned or forbidden.

        Parameters
        ----------
        needs, volunteers : iterable of Need, Volunteer
            New records, or new versions of records (same id) that changed.
        remove_needs, remove_volunteers : iterable of str
            Ids of records that left.
        pin, forbid : iterable of (need_id, volunteer_id)
            Pairs to add to the problem's ``pinned`` / ``forbidden`` (last,
            in order).
        unpin, allow : iterable of (need_id, volunteer_id)
            Pairs of the problem's ``pinned`` / ``forbidden`` to take off.

        Returns
        -------
        Result
            :meth:`replan` of the community with these changes (the new
            records are validated as in any :class:`Problem`, and ids and
            pairs across the whole community).

        Raises
        ------
        InputError
            If an id to remove is not in the community, a pair to unpin or
            allow not pinned or forbidden, either comes twice, or the changed
            community is not a valid problem (every problem at once); the
            planner is then left as it was.
        PlannerBusy
            If another update of this planner is running (see Threads in
            :class:`Planner`); nothing is changed.
        """
        with self._writer("update"):
            pairs = (pin, unpin, forbid, allow)
            return self._update(needs, volunteers, remove_needs, remove_volunteers, pairs)

    def _update(
        self,
        needs: Iterable[Need],
        volunteers: Iterable[Volunteer],
        remove_needs: Iterable[str],
        remove_volunteers: Iterable[str],
        pairs: tuple[Iterable[Any], ...],
    ) -> Result:
        """:meth:`update`, by the writer."""
        state, events = self._state, self._events
        p = self.problem
        needs, volunteers = list(needs), list(volunteers)
        problems: list[InputProblem] = []
        if events is not None:  # the ids now (the graph's may be of an earlier plan)
            need_of, volunteer_of = events.n_row, events.v_row
        elif state.now is None:
            need_of, volunteer_of = state.built.need_of, state.built.volunteer_of
        else:
            need_of, volunteer_of = p.need_index, p.volunteer_index
        gone_n = ids_to_remove("remove_needs", remove_needs, need_of, problems)
        gone_v = ids_to_remove("remove_volunteers", remove_volunteers, volunteer_of, problems)
        now = pairs_now(p, pairs, problems)  # None: no pair changes
        if problems:
            raise InputError(problems)
        # Checked by difference (the new records, their ids, the pairs they touch) ...
        where = None if events is None else (events.order_v.position, events.order_n.position)
        problem = None
        if now is None:
            problem = with_records(p, (gone_v, gone_n), (volunteers, needs), where)
        elif events is not None and not (volunteers or needs or gone_v or gone_n):
            problem = with_pairs(p, now, events.need_record, events.volunteer_record)
        if (
            problem is not None
            and events is not None
            and events.takes(problem, volunteers, needs, len(gone_v) + len(gone_n))
        ):
            return self._event(events, problem, gone_v, gone_n, volunteers, needs)
        if problem is None:  # ... or the full way, which reports every problem
            problem = problem_with(p, (gone_v, gone_n), (volunteers, needs), now)
        return self._replan(problem)

    def _event(
        self,
        events: Events,
        problem: Problem,
        gone_v: set[str],
        gone_n: set[str],
        volunteers: list[Any],
        needs: list[Any],
    ) -> Result:
        """One update as events on the kept plan (:mod:`._events`); solved if it declines."""
        state = self._state
        self._events, engine, self._engine = None, self._engine, None  # spoiled if this fails
        with paused():  # no collection of the whole heap in the middle of an event
            result = events.apply(problem, gone_v, gone_n, volunteers, needs, state.result)
        if result is None:  # the costs outgrew the coverage weight: solve from the last plan
            if state.now is None:
                return self._replan(problem)
            return self._solve_from(problem, state.result)
        self._state = state._replace(result=result, now=problem)  # at once
        self._events, self._engine = events, engine
        self.last_path = "engine"
        return result

    def __repr__(self) -> str:
        p = self.problem
        return (
            f"Planner({len(p.volunteers)} volunteers, {len(p.needs)} needs, "
            f"method={self._method!r}, churn_cost={self._churn_cost!r})"
        )
