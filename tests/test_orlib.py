"""The low-level path reproduces the published optimum of every OR-Library assignment instance."""

import numpy as np
import pytest
from orlib import INSTANCES, load
from scipy.optimize import linear_sum_assignment

from matcher import Graph, Status, solve_graph

NAMES = sorted(INSTANCES, key=lambda k: INSTANCES[k][0])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("method", ["flow", "hungarian", "auto"])
def test_published_optimum(name, method):
    cost = load(name)
    n, _, optimum = INSTANCES[name]
    sol = solve_graph(Graph.from_dense(cost), method=method)
    assert sol.status is Status.OPTIMAL
    assert sol.int_cost == optimum
    # A perfect matching: every row and column once, and the cost is that of the pairs.
    assert sorted(sol.volunteer.tolist()) == list(range(n))
    assert sorted(sol.need.tolist()) == list(range(n))
    assert int(cost[sol.volunteer, sol.need].sum()) == optimum


@pytest.mark.parametrize("name", NAMES[:2])
def test_published_optimum_network_simplex(name):
    # The pure-Python reference is slow; the two smallest instances suffice.
    sol = solve_graph(Graph.from_dense(load(name)), method="network_simplex")
    assert sol.int_cost == INSTANCES[name][2]


def test_scipy_agrees_on_shipped_copies():
    # Guards the data itself: scipy's LAP gives the published optima too.
    for name in NAMES[:3]:
        cost = load(name)
        r, c = linear_sum_assignment(cost)
        assert int(cost[r, c].sum()) == INSTANCES[name][2]


def test_greedy_is_feasible_and_not_better():
    cost = load("assign100")
    sol = solve_graph(Graph.from_dense(cost), method="greedy")
    assert sol.status is Status.FEASIBLE
    assert len(np.unique(sol.volunteer)) == len(sol.volunteer)
    assert len(np.unique(sol.need)) == len(sol.need)
    # On a complete bipartite graph greedy always ends with a perfect matching,
    # which can never cost less than the optimum.
    assert len(sol.edge) == 100
    assert sol.int_cost > INSTANCES["assign100"][2]
