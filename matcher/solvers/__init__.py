"""Solvers: one module per method, one registry, one pipeline.

Every method takes an :class:`~matcher.solvers._base.Instance` (arrays only)
and returns the edges it chose. :func:`solve_instance` is the one path all
methods go through: fix the pinned edges, fold the objective into integer
costs, run the method, put the pinned edges back, check the plan and
recompute its objective from the plan itself.

Methods
-------
flow
    Exact min-cost flow, OR-Tools ``SimpleMinCostFlow`` (the default).
hungarian
    Exact, dense ``scipy.optimize.linear_sum_assignment`` on expanded copies;
    refuses problems it cannot express.
network_simplex
    Exact, networkx ``network_simplex`` on the same network; slow reference.
greedy
    Cheapest feasible edge first in priority order; a baseline, not optimal.
auto
    The fastest exact method for the instance (``flow`` or ``hungarian``);
    see :func:`choose_method`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, InputProblem
from . import flow, greedy, hungarian, network_simplex
from ._base import (
    Instance,
    Objective,
    SolverOutput,
    check_plan,
    evaluate,
    fix_pinned,
    fold_objective,
)

__all__ = ["METHODS", "Method", "Instance", "Objective", "choose_method", "solve_instance"]


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
    )
}


AUTO_DENSITY = 0.25
"""``auto`` runs ``hungarian`` when the expanded assignment matrix is at least this dense."""


def choose_method(inst: Instance) -> str:
    """The method ``"auto"`` runs on *inst*: the fastest exact method for it.

    Measured on this library's benchmarks: OR-Tools' min-cost flow is the
    fastest on sparse graphs (the usual case: a few dozen candidates per need),
    scipy's dense ``linear_sum_assignment`` on dense ones (from about a quarter
    of the expanded matrix filled, 1.1-2.7x faster at 200-1000 nodes). So
    ``auto`` picks ``"hungarian"`` when it can express the instance exactly
    and the expanded matrix is at least :data:`AUTO_DENSITY` full, else ``"flow"``.
    """
    if inst.n_edges == 0 or hungarian.refusal(inst) is not None:
        return "flow"
    cells = hungarian.copies_cells(inst)
    return "hungarian" if cells and hungarian.copies_edges(inst) >= AUTO_DENSITY * cells else "flow"


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


def solve_instance(
    inst: Instance,
    pinned: NDArray[np.bool_],
    *,
    priority_first: bool,
    method: str = "auto",
    **options: Any,
) -> tuple[NDArray[np.int64], Objective, str, bool]:
    """Solve *inst* with *method*; the one path every method goes through.

    Parameters
    ----------
    inst : Instance
        With the user's ``unserved_cost`` (ignored when *priority_first*).
    pinned : bool array
        Edges that must be in the plan (they fit, checked upstream).
    priority_first : bool
        Lexicographic objective (served priority, then cost).
    method : str
    **options
        Passed to the method.

    Returns
    -------
    chosen : int64 array
        Indices of the chosen edges of *inst*, sorted.
    objective : Objective
        Recomputed from the plan.
    method : str
        The method that ran.
    optimal : bool
    """
    _check_method(method, options)
    residual, kept = fix_pinned(inst, pinned)
    residual = fold_objective(residual, priority_first)
    name = choose_method(residual) if method == "auto" else method
    out = METHODS[name].solve(residual, **options)
    chosen = np.sort(np.concatenate([kept[out.chosen], np.nonzero(pinned)[0]])).astype(np.int64)
    check_plan(inst, chosen)
    objective = evaluate(inst, chosen, None if priority_first else inst.unserved_cost)
    return chosen, objective, name, out.optimal and METHODS[name].exact
