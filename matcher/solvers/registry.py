"""The registry of methods, the choice of ``auto``, and the one path every method goes through.

:func:`solve_instance` runs a method on an :class:`~matcher.solvers.Instance`
(or re-plans from a previous plan, :mod:`._replan`), checks the plan, folds the
objective and, for exact methods, computes the certificate's potentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, InputProblem, UnsupportedProblem
from . import flow, greedy, hungarian, milp, network_simplex, stable
from ._base import (
    Instance,
    Objective,
    SolverOutput,
    check_plan,
    evaluate,
    fix_pinned,
    fold_objective,
)
from ._duals import (
    NotProven,
    Potentials,
    WarmStart,
    certificate_big_m,
    certificate_engage,
    potentials,
)
from ._replan import Near, replan
from ._split import split
from ._workers import pool_of, run_parts

__all__ = [
    "METHODS",
    "Instance",
    "Method",
    "Near",
    "Objective",
    "Potentials",
    "Solved",
    "WARM_METHODS",
    "Warm",
    "WarmStart",
    "choose_method",
    "run_task",
    "solve_instance",
]


@dataclass(frozen=True)
class Method:
    """A registered method: its name, its function and whether it is exact."""

    name: str
    solve: Callable[..., SolverOutput]
    exact: bool
    summary: str
    options: tuple[str, ...] = ()


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("flow", flow.solve, True, "exact min-cost flow (OR-Tools SimpleMinCostFlow)"),
        Method(
            "hungarian",
            hungarian.solve,
            True,
            "exact dense assignment (scipy linear_sum_assignment)",
            ("max_cells",),
        ),
        Method(
            "network_simplex", network_simplex.solve, True, "exact network simplex (networkx), slow"
        ),
        Method("greedy", greedy.solve, False, "cheapest feasible edge first (baseline)"),
        Method(
            "milp",
            milp.solve,
            True,
            "exact mixed-integer programming (HiGHS via scipy.optimize.milp): teams",
            ("time_limit",),
        ),
        Method(
            "stable",
            stable.solve,
            False,
            "volunteer-proposing deferred acceptance: a stable plan, for comparison",
        ),
    )
}


SWEEP_BUDGET = 20_000
"""Bellman-Ford sweeps allowed when proving a plan solved with the moderate weight;
beyond them the plan is solved again with the safe weight (see :func:`solve_instance`)."""

AUTO_CELLS_PER_EDGE = 3.5
"""``auto`` runs ``hungarian`` when its dense matrix has at most this many cells per pair."""


def choose_method(parts: list[Instance]) -> str:
    """The method ``"auto"`` runs on the (folded) parts of an instance.

    Calibrated on this machine (``benchmarks/``): OR-Tools' min-cost flow
    costs about 250-450 ns per candidate pair; scipy's dense
    ``linear_sum_assignment`` about 60-110 ns per cell of its expanded matrix
    (one row per unit of demand, one column per unit of capacity plus one
    "unserved" column per row) when capacity covers demand, and up to 220 ns
    when it does not. So ``auto`` picks ``"hungarian"`` when it can express
    every part exactly, total capacity covers total demand, and the matrix has
    at most :data:`AUTO_CELLS_PER_EDGE` cells per candidate pair (dense,
    assignment-like problems, 2-3x faster there); otherwise ``"flow"``. Near
    the boundary the two are within about 10% of each other.
    """
    if not parts or any(hungarian.refusal(p) is not None for p in parts):
        return "flow"
    rows = copies = cells = edges = 0
    for p in parts:
        r, c = hungarian.expanded_size(p)
        rows, copies, cells, edges = rows + r, copies + c, cells + r * (c + r), edges + p.n_edges
    if edges and rows <= copies and cells <= AUTO_CELLS_PER_EDGE * edges:
        return "hungarian"
    return "flow"


def _check_method(method: str, options: dict[str, Any]) -> None:
    problems = []
    if method != "auto" and method not in METHODS:
        known = ", ".join(["auto", *METHODS])
        problems.append(
            InputProblem("solve", "method", f"one of {known}", repr(method), kind="option")
        )
    elif options:
        allowed = set(METHODS[method].options) if method in METHODS else set()
        for name in sorted(set(options) - allowed):
            problems.append(
                InputProblem(
                    "solve",
                    name,
                    f"an option of method {method!r} ({', '.join(sorted(allowed)) or 'none'})",
                    "unknown option",
                    kind="option",
                )
            )
    if problems:
        raise InputError(problems)


class Warm(NamedTuple):
    """What a re-plan starts from (see :func:`solve_instance`)."""

    previous: NDArray[np.bool_]  # edges of the previous plan (those still candidates)
    start: WarmStart  # the previous certificate's potentials, by node of this instance
    big_m: int | None  # the previous certificate's weight
    near: Near | None = None  # where the instance changed, when the caller knows (a Planner)


WARM_METHODS = ("auto", "flow")
"""Methods that re-plan from a previous plan (the others solve from scratch)."""


class Solved(NamedTuple):
    """What :func:`solve_instance` returns."""

    chosen: NDArray[np.int64]  # indices of the chosen edges, sorted
    objective: Objective  # recomputed from the plan
    method: str  # the method that ran
    optimal: bool
    parts: int  # independent parts (tasks) solved
    backend_seconds: float  # time inside the solver backends, summed over parts
    certificate: Potentials | None  # proof of optimality (None when not optimal)
    certify_seconds: float  # time spent computing it
    replan_rounds: int = 0  # rounds of a re-plan from a previous plan (0: solved from scratch)
    gap: float | None = None  # optimality gap a method proved (milp); None: not reported


def run_task(
    name: str, inst: Instance, options: dict[str, Any]
) -> tuple[NDArray[np.int64], bool, float, float | None]:
    """Solve one independent part with method *name* (runs in a worker).

    Arrays in, arrays out: what an executor ships is the sub-instance's arrays
    (its objective already folded into its costs) and the method's name, never
    a record, an id or a user field. Returns the chosen edges, whether they are
    proven optimal, the seconds spent and the optimality gap a method reports
    (``milp``; None for the others).
    """
    t0 = time.perf_counter()
    out = METHODS[name].solve(inst, **options)
    return out.chosen, out.optimal, time.perf_counter() - t0, out.info.get("gap")


def solve_instance(
    inst: Instance,
    pinned: NDArray[np.bool_],
    *,
    priority_first: bool,
    method: str = "auto",
    executor: Any = None,
    certify: bool = True,
    warm: Warm | None = None,
    **options: Any,
) -> Solved:
    """Solve *inst* with *method*; the one path every method goes through.

    Steps: fix the pinned edges (:func:`~._base.fix_pinned`); split the rest
    into independent parts (:func:`~._split.split`); fold the objective into
    each part's integer costs (:func:`~._base.fold_objective`); choose the
    method (``auto``); solve each part, in this process or on *executor*; put
    the plan together; check it and recompute its objective from the plan;
    when it is optimal, compute the potentials that prove it
    (:func:`~._duals.potentials`).

    Parameters
    ----------
    inst : Instance
        With the user's ``unserved_cost`` (ignored when *priority_first*).
    pinned : bool array
        Edges that must be in the plan (they fit, checked upstream).
    priority_first : bool
        Lexicographic objective (served priority, then cost).
    method : str
    executor : concurrent.futures.Executor or dask.distributed.Client, optional
        Where to solve the parts; never shut down here. The parts do not
        depend on it, so the plan is the same with or without. A worker lost
        mid-solve is a :class:`~matcher.SolverError` (:mod:`._workers`).
    certify : bool, default True
        Compute the optimality certificate of an optimal plan.
    warm : Warm, optional
        A previous plan and its potentials: with *certify* and method
        ``"auto"`` or ``"flow"``, re-plan from them (:mod:`._replan`), and
        solve from scratch only if that does not prove a plan optimal.
    **options
        Passed to the method.

    Returns
    -------
    Solved
    """
    _check_method(method, options)
    inst, method, teams = _teams_and_floors(inst, method)
    if (
        warm is not None
        and not teams
        and certify
        and method in WARM_METHODS
        and not inst.participation
    ):
        solved = _warm_replan(
            inst, pinned, warm, priority_first=priority_first, method=method, options=options
        )
        if solved is not None:
            return solved
    residual, kept = fix_pinned(inst, pinned)
    tasks = split(residual)
    # With a certificate to prove the plan, the coverage-first weight can be moderate
    # (cost scaling runs faster on smaller costs): the certificate is computed with the
    # safe weight, and if it cannot prove the plan, the parts are solved again with it.
    moderate = priority_first and certify and (method == "auto" or METHODS[method].exact)
    parts = [fold_objective(t.instance, priority_first, moderate=moderate) for t in tasks]
    name = choose_method(parts) if method == "auto" else method
    pool = pool_of(executor)
    run = _Runner(pinned, tasks, kept, name, options, pool)
    chosen, outs = run(inst, parts)
    optimal = all(out[1] for out in outs) and METHODS[name].exact
    backend = sum(out[2] for out in outs)
    t0 = time.perf_counter()
    certificate = None
    gaps = [out[3] for out in outs if out[3] is not None]
    if optimal and certify and not teams:  # teams are no flow: HiGHS's proof stands alone
        inst, chosen, certificate, backend = _certify(
            inst, pinned, run, parts, chosen, backend, priority_first, moderate
        )
    objective = evaluate(inst, chosen, None if priority_first else inst.unserved_cost)
    return Solved(
        chosen,
        objective,
        name,
        optimal,
        len(tasks),
        backend,
        certificate,
        time.perf_counter() - t0 if certificate is not None else 0.0,
        gap=max(gaps) if gaps else None,
    )


def _teams_and_floors(inst: Instance, method: str) -> tuple[Instance, str, bool]:
    """Drop unused teams and floors; with any left, the method must be the MILP."""
    floors = inst.unit_floor is not None and bool((inst.unit_floor > 0).any())
    teams = inst.group is not None and bool((inst.group >= 0).any())
    if not teams:
        inst = replace(inst, group=None)
    if not floors:
        inst = replace(inst, volunteer_unit=None, unit_floor=None)
    teams = teams or floors  # both need the MILP, and no flow certificate
    if teams and method == "auto":
        method = "milp"
    elif teams and method != "milp":
        raise UnsupportedProblem(
            f"method {method!r} cannot keep teams (Need.group) whole or meet participation "
            "floors; use method='milp' or 'auto'"
        )
    return inst, method, teams


def _warm_replan(
    inst: Instance,
    pinned: NDArray[np.bool_],
    warm: Warm,
    *,
    priority_first: bool,
    method: str,
    options: dict[str, Any],
) -> Solved | None:
    """The re-plan from *warm* when it proves a plan optimal, else None."""
    out = replan(
        inst,
        pinned,
        warm.previous,
        warm.start,
        priority_first=priority_first,
        big_m_hint=warm.big_m,
        near=warm.near,
        method=method,
        options=options,
        solve=solve_instance,
    )
    if out is None:
        return None
    chosen, objective, name, backend, pot, certify_s, rounds = out
    return Solved(chosen, objective, name, True, 1, backend, pot, certify_s, rounds)


@dataclass(frozen=True, eq=False)
class _Runner:
    """Solves the parts of one instance with one method and puts the checked plan together."""

    pinned: NDArray[np.bool_]
    tasks: list[Any]
    kept: NDArray[np.int64]
    name: str
    options: dict[str, Any]
    pool: Any

    def __call__(
        self, inst: Instance, parts: list[Instance]
    ) -> tuple[NDArray[np.int64], list[Any]]:
        """The plan of *inst* from its *parts* (folded), checked, and each part's output."""
        name, options, pool = self.name, self.options, self.pool
        if pool is None:
            outs = [run_task(name, part, options) for part in parts]
        else:  # a lost worker is a SolverError, never a partial plan (see ._workers)
            outs = run_parts(pool, run_task, name, parts, options)
        picked = [t.edges[chosen] for t, (chosen, *_) in zip(self.tasks, outs, strict=True)]
        solved = np.concatenate(picked) if picked else np.zeros(0, np.int64)
        chosen = np.sort(np.concatenate([self.kept[solved], np.nonzero(self.pinned)[0]])).astype(
            np.int64
        )
        check_plan(inst, chosen)
        return chosen, outs

    def safe(self, inst: Instance) -> tuple[NDArray[np.int64], list[Any]]:
        """Solve every part again with the safe coverage-first weight."""
        return self(inst, [fold_objective(t.instance, True) for t in self.tasks])


def _certify(
    inst: Instance,
    pinned: NDArray[np.bool_],
    run: _Runner,
    parts: list[Instance],
    chosen: NDArray[np.int64],
    backend: float,
    priority_first: bool,
    moderate: bool,
) -> tuple[Instance, NDArray[np.int64], Potentials | None, float]:
    """Prove the plan, solving again with the safe weight if need be: inst, plan, proof, seconds."""
    if inst.participation and priority_first:
        inst = replace(inst, engage=certificate_engage(inst))
    big_m = certificate_big_m(inst) if priority_first else None
    bounded = moderate and any(
        p.unserved_cost is not None and not np.array_equal(p.unserved_cost, q.unserved_cost)
        for p, q in zip(parts, (fold_objective(t.instance, True) for t in run.tasks), strict=True)
    )
    certificate = None
    try:
        certificate = potentials(
            inst, chosen, pinned, big_m, max_sweeps=SWEEP_BUDGET if bounded else None
        )
    except NotProven:
        # The moderate weight traded coverage for cost somewhere: solve with the safe one.
        chosen, outs = run.safe(inst)
        backend += sum(out[2] for out in outs)
        certificate = potentials(inst, chosen, pinned, big_m)
    except OverflowError:
        # Beyond exact 64-bit potentials: no proof (said in the docs), so no
        # moderate weight either.
        certificate = None
        if bounded:
            chosen, outs = run.safe(inst)
            backend += sum(out[2] for out in outs)
    return inst, chosen, certificate, backend
