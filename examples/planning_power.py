"""Beyond one assignment: re-plan with low churn, continuity, participation, gaps, stability.

What it shows, on a seeded synthetic town of two communities:

1. **Re-planning with low churn.** Week 2 differs from week 1 (some needs
   closed, new ones arrived, a volunteer left). ``solve(week2, previous=r1,
   churn_cost=c)`` keeps last week's pairs unless a change gains more than
   ``c``; ``Result.churn`` says how many pairs were kept, moved, added and
   dropped, for several ``c``. A ``matcher.Planner`` gives the same re-plan
   while keeping its graph and proof between plans (what a platform re-planning
   all week would hold).
2. **Continuity of care.** Week 1's pairs become ``Problem.history`` (by
   household); with ``Weights.continuity`` a resident keeps the same helper.
3. **Participation as an objective.** ``Policy(participation=True)``: the
   same coverage, with more members engaged, at some extra travel.
4. **What would close the gaps.** ``matcher.gaps`` ranks trainings by their
   exact gain (each re-solved).
5. **A stable plan for comparison.** ``method="stable"`` (deferred
   acceptance): no blocking pair, but less coverage than the optimum.

Every plan printed is verified (``result.verify``). Run it from the repository
root::

    python examples/planning_power.py
"""

from __future__ import annotations

import dataclasses

import numpy as np

import matcher
from matcher import Problem, verify
from matcher.synthetic import generate

SEED = 7


def line(name: str, r: matcher.Result, problem: Problem) -> str:
    assert verify(problem, r) == [], name
    m = r.metrics
    return (
        f"  {name:<24} coverage {m.coverage:6.1%}  participation {m.participation_rate:6.1%}  "
        f"cost {r.objective.cost:8.3f}"
    )


def p_house(problem: Problem, need_id: str) -> str:
    """The household a need is for (its id when it has none)."""
    n = problem.needs[problem.need_index[need_id]]
    return n.household or n.id


def main() -> int:
    town = generate(rng=SEED, n_communities=2, buildings_per_community=25)
    week1 = town.problem()
    r1 = matcher.solve(week1)
    print(f"{len(week1.volunteers)} volunteers, {len(week1.needs)} needs (seed {SEED})")
    print(line("week 1", r1, week1))

    # -- week 2: a fifth of the needs closed, as many new, one volunteer left
    rng = np.random.default_rng(SEED)
    needs = list(week1.needs)
    closed = set(rng.choice(len(needs), len(needs) // 5, replace=False).tolist())
    fresh = [
        dataclasses.replace(needs[i], id=needs[i].id + "-w2")
        for i in rng.choice(len(needs), len(needs) // 5, replace=False).tolist()
    ]
    leaver = max(m.volunteer_id for m in r1.matches)  # a volunteer who served leaves
    vols = [v for v in week1.volunteers if v.id != leaver]
    week2 = Problem(vols, [n for i, n in enumerate(needs) if i not in closed] + fresh, town.policy)
    print(f"\n1. Re-plan week 2 ({len(closed)} needs closed, {len(fresh)} new, {leaver} left)")
    for churn in (None, 0.2, 1.0, 5.0):
        r = matcher.solve(week2, previous=r1, churn_cost=churn)
        c = r.churn
        assert c is not None
        print(
            line(f"churn_cost {churn}", r, week2)
            + f"  kept {c.kept}, moved {c.moved}, added {c.added}, dropped {c.dropped}"
        )
    # A platform re-planning all week keeps a Planner: the same result, with only the
    # changed records' pairs built and only the changed parts checked and solved.
    planner = matcher.Planner(week1, churn_cost=1.0)
    r = planner.replan(week2)
    same = r == matcher.solve(week2, previous=r1, churn_cost=1.0)  # its first plan is r1
    print(f"  a Planner of week 1, re-planning to week 2, gives the churn cost 1.0 plan: {same}")

    # -- continuity: week 1's pairs as history, by household
    household = {n.id: n.household for n in week1.needs}
    history = {(household[m.need_id] or m.need_id, m.volunteer_id) for m in r1.matches}
    print("\n2. Continuity of care (week 1's helpers, by household)")
    for w in (0.0, 0.5, 2.0):
        policy = dataclasses.replace(
            town.policy, weights=dataclasses.replace(town.policy.weights, continuity=w)
        )
        p = Problem(week2.volunteers, week2.needs, policy, history=history)
        r = matcher.solve(p)
        same = sum(
            1
            for m in r.matches
            if (household.get(m.need_id) or m.need_id, m.volunteer_id) in set(history)
        )
        print(line(f"continuity {w}", r, p) + f"  same helper as before: {same}")

    # -- participation as a level of the objective
    print("\n3. Participation as an objective (coverage, then members engaged, then cost)")
    plain = matcher.solve(week2)
    wide = Problem(
        week2.volunteers, week2.needs, dataclasses.replace(town.policy, participation=True)
    )
    broad = matcher.solve(wide)
    print(line("plain optimum", plain, week2))
    print(line("participation=True", broad, wide))

    # -- gaps
    print("\n4. What would close the gaps")
    g = matcher.gaps(week2, plain, max_candidates=10)
    for rec in g.recommendations[:3]:
        print("  " + rec.text)

    # -- stable matching
    print("\n5. A stable plan (deferred acceptance) next to the optimum")
    stable = matcher.solve(week2, "stable")
    assert stable.stability is not None
    print(line("stable", stable, week2) + f"  stable: {stable.stability.stable}")
    print(line("optimum", plain, week2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
