"""The memory budget: a problem that would not fit is refused before it is built.

``matcher.limits.MAX_MEMORY_BYTES`` (half of the machine's memory by default) against
an estimate from the pairs: the pairs within reach as the search finds them, then the
candidate pairs before their costs, the graph and the solver's arrays are made.
"""

from __future__ import annotations

import importlib
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from matcher import (
    Need,
    Planner,
    Policy,
    Problem,
    SizeLimitError,
    Volunteer,
    build_graph,
    limits,
    solve,
)

PLANE = Policy(geometry="plane", max_distance_km=None)
# the module (matcher.graph.build is also the name of a function)
build_module = importlib.import_module("matcher.graph.build")
search_module = importlib.import_module("matcher.graph.search")


@pytest.fixture(scope="module")
def street():
    """On the plane, without slots: every pair within reach is a candidate."""
    rng = np.random.default_rng(5)
    vs = [Volunteer(f"v{i}", [], tuple(rng.uniform(0, 20, 2))) for i in range(400)]
    ns = [Need(f"n{j}", "repair", [], tuple(rng.uniform(0, 20, 2))) for j in range(400)]
    problem = Problem(vs, ns, Policy(geometry="plane", max_distance_km=2.0))
    return problem, build_graph(problem).n_edges


def test_the_default_budget_is_half_the_machine_or_its_container():
    assert limits.MAX_MEMORY_BYTES == limits.default_memory_budget() > 0
    import os

    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert limits.default_memory_budget() <= physical // 2 + 1


def test_the_budget_follows_a_lower_container_limit_and_has_a_fallback(monkeypatch):
    import os

    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    monkeypatch.setattr(limits, "_cgroup_limit", lambda: 2 * 2**30)
    assert limits.default_memory_budget() == min(2**30, physical // 2)

    def unknown(name):
        raise ValueError(name)

    monkeypatch.setattr(limits.os, "sysconf", unknown)
    monkeypatch.setattr(limits, "_cgroup_limit", lambda: None)
    assert limits.default_memory_budget() == 4 * 2**30
    assert limits.default_memory_budget(unknown=123) == 123


def test_a_problem_over_the_budget_is_refused_before_its_graph_is_built(street, monkeypatch):
    problem, pairs = street
    records = len(problem.volunteers) + len(problem.needs)
    need = limits.memory_estimate(pairs, records)
    assert need == limits.BYTES_PER_PAIR * pairs + limits.BYTES_PER_RECORD * records
    costed = []
    real = build_module._edge_costs
    monkeypatch.setattr(
        build_module, "_edge_costs", lambda *a, **k: costed.append(1) or real(*a, **k)
    )
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", need - 1)
    with pytest.raises(SizeLimitError) as err:
        solve(problem)
    assert costed == []  # refused before the costs, the graph and the solve
    (p,) = err.value.problems
    assert (p.record, p.field, p.kind) == ("problem", "memory", "size")
    assert p.got == (
        f"about {need / 2**20:.1f} MiB for {pairs:,} candidate pairs and {records:,} records"
    )
    assert p.expected == f"at most {(need - 1) / 2**20:.1f} MiB (matcher.limits.MAX_MEMORY_BYTES)"
    assert "raise matcher.limits.MAX_MEMORY_BYTES" in str(err.value)
    assert "max_distance_km" in str(err.value)
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", need)  # at the budget: solved
    assert len(solve(problem).matches) > 0 and costed == [1]


def test_the_message_says_gib_and_the_pairs_with_separators(monkeypatch):
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", 2 * 2**30)
    with pytest.raises(SizeLimitError) as err:
        limits.check_memory(41_000_000)
    text = str(err.value)
    assert "must be at most 2.0 GiB (matcher.limits.MAX_MEMORY_BYTES)" in text
    assert f"got about {41_000_000 * limits.BYTES_PER_PAIR / 2**30:.1f} GiB" in text
    assert "for 41,000,000 candidate pairs" in text


def test_the_quadratic_search_is_refused_before_it_is_made(monkeypatch):
    # No travel limit anywhere: every volunteer is paired with every need, 4 million
    # pairs (64 MB for their two index arrays alone).
    n = 2000
    vs = [Volunteer(f"v{i}", [], (float(i), 0.0)) for i in range(n)]
    ns = [Need(f"n{j}", "repair", [], (0.0, float(j))) for j in range(n)]
    problem = Problem(vs, ns, PLANE)
    budget = 256 * 2**20  # far more than the records take, far less than the pairs
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", budget)
    tracemalloc.start()
    try:
        with pytest.raises(SizeLimitError) as err:
            solve(problem)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (p,) = err.value.problems
    assert p.got == (
        f"about {n * n * limits.SEARCH_BYTES_PER_PAIR / 2**20:.1f} MiB for "
        f"{n * n:,} pairs within reach (the search so far)"
    )
    assert peak < 8 * 2**20  # the pairs were never made
    assert limits.MAX_PAIRS > n * n  # the memory budget refused it, not MAX_PAIRS


class WatchedTree(cKDTree):
    """A k-d tree that records which pairs it was asked to make."""

    made: list[float] = []

    def sparse_distance_matrix(self, other, max_distance, *args, **kwargs):
        WatchedTree.made.append(max_distance)
        return super().sparse_distance_matrix(other, max_distance, *args, **kwargs)


def test_a_search_with_a_tree_is_refused_before_its_pairs_are_made(monkeypatch):
    # Everyone within 100 km of everyone: one k-d tree search of a million pairs.
    n = 1000
    vs = [Volunteer(f"v{i}", [], (i / 100, 0.0)) for i in range(n)]
    ns = [Need(f"n{j}", "repair", [], (0.0, j / 100)) for j in range(n)]
    problem = Problem(vs, ns, Policy(geometry="plane", max_distance_km=100.0))
    monkeypatch.setattr(search_module, "cKDTree", WatchedTree)
    monkeypatch.setattr(WatchedTree, "made", [])
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", 64 * 2**20)
    with pytest.raises(SizeLimitError, match="1,000,000 pairs within reach"):
        solve(problem)
    assert WatchedTree.made == []  # counted, never made
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", 2**40)  # room: the pairs are made
    assert build_graph(problem).n_edges == n * n and len(WatchedTree.made) == 1


def test_a_planner_update_over_the_budget_is_refused_and_changes_nothing(monkeypatch):
    vs = [Volunteer(f"v{i}", ["driving"], (float(i), 0.0)) for i in range(20)]
    ns = [Need(f"n{j}", "medical", ["driving"], (float(j), 0.5)) for j in range(20)]
    planner = Planner(Problem(vs, ns, Policy(geometry="plane", max_distance_km=3.0)))
    before = planner.result
    more = [Need(f"m{j}", "medical", ["driving"], (float(j % 20), 0.2)) for j in range(200)]
    pairs = build_graph(Problem(vs, [*ns, *more], planner.problem.policy)).n_edges
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", limits.memory_estimate(pairs, 240) - 1)
    with pytest.raises(SizeLimitError, match=f"{pairs:,} candidate pairs"):
        planner.update(needs=more)
    assert planner.result is before and len(planner.problem.needs) == 20
    monkeypatch.setattr(limits, "MAX_MEMORY_BYTES", limits.memory_estimate(pairs, 240))
    assert planner.update(needs=more) == solve(
        Problem(vs, [*ns, *more], planner.problem.policy), previous=before
    )


def test_the_budget_and_its_measurements_are_documented():
    page = Path(__file__).resolve().parents[1] / "docs" / "user-guide" / "limits.md"
    text = page.read_text(encoding="utf-8")
    for name in ("MAX_MEMORY_BYTES", "BYTES_PER_PAIR", "SEARCH_BYTES_PER_PAIR"):
        assert f"`{name}`" in text
    assert re.search(r"## Memory", text)
