"""A platform's weekly loop: re-plan every week, keeping the pairs people already know.

What it shows
-------------
A community platform re-plans once a week for four weeks. Between two weeks:

- some needs are closed (most served needs are done; a few unserved ones are
  withdrawn) and new ones arrive;
- a volunteer or two drop out, another changes how many needs they can take.

Residents and volunteers who met last week would rather keep each other, so
the coordinator *pins* last week's pairs that are still possible:
``Problem(..., pinned=pairs)``. A pinned pair that is no longer feasible (the
volunteer left, their capacity went down) would make the ``Problem`` refuse
the input, so the script first keeps only pairs that are edges of the new
candidate graph (:func:`matcher.build_graph`) and fit the capacities, demands
and slots. Then it solves, verifies the plan (``result.verify``) and prints,
per week: open needs, coverage, participation, pairs kept / added / dropped
(and why dropped), and what keeping the pairs costs compared with re-planning
from scratch.

Everything is seeded: the same output on every run.

Run it from the repository root::

    python examples/weekly_replanning.py
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

import matcher
from matcher import Need, Problem, Volunteer, verify
from matcher.synthetic import generate

SEED = 2024
WEEKS = 4
FIRST_WEEK_NEEDS = 60
P_DONE = 0.5  # a served need is done (closed) after the week with this probability
P_WITHDRAWN = 0.15  # an unserved need is withdrawn with this probability

Pair = tuple[str, str]  # (need_id, volunteer_id), as in Problem.pinned


def keepable(
    last: Iterable[Pair],
    volunteers: Sequence[Volunteer],
    needs: Sequence[Need],
    policy: matcher.Policy,
) -> tuple[list[Pair], Counter[str]]:
    """Last week's pairs that can be pinned this week, and why the others cannot.

    A pair is kept when it is an edge of this week's candidate graph (both
    records still there, every feasibility rule holds) and fits: a volunteer
    keeps at most ``capacity`` pairs (the most urgent needs first), a need
    at most ``demand``, and with ``one_need_per_slot`` a volunteer one pair per
    slot. Pinning the result never makes ``Problem`` raise.
    """
    vols = {v.id: v for v in volunteers}
    open_needs = {n.id: n for n in needs}
    graph = matcher.build_graph(Problem(volunteers, needs, policy))
    edges = {
        (graph.need_ids[n], graph.volunteer_ids[v])
        for v, n in zip(graph.volunteer.tolist(), graph.need.tolist(), strict=True)
    }
    why: Counter[str] = Counter()
    feasible = []
    for need_id, vol_id in last:
        if need_id not in open_needs:
            why["need closed"] += 1
        elif vol_id not in vols:
            why["volunteer left"] += 1
        elif (need_id, vol_id) not in edges:
            why["no longer feasible"] += 1
        else:
            feasible.append((need_id, vol_id))
    # Most urgent needs first, then by id (deterministic).
    feasible.sort(key=lambda p: (-open_needs[p[0]].priority, p))
    load: Counter[str] = Counter()
    filled: Counter[str] = Counter()
    busy: set[tuple[str, str]] = set()
    kept = []
    for need_id, vol_id in feasible:
        slot = open_needs[need_id].slot
        if (
            load[vol_id] >= vols[vol_id].capacity
            or filled[need_id] >= open_needs[need_id].demand
            or (policy.one_need_per_slot and slot is not None and (vol_id, slot) in busy)
        ):
            why["over capacity"] += 1
            continue
        load[vol_id] += 1
        filled[need_id] += 1
        if slot is not None:
            busy.add((vol_id, slot))
        kept.append((need_id, vol_id))
    return sorted(kept), why


def main(argv: Sequence[str] | None = None) -> int:
    rng = np.random.default_rng(SEED)  # drives the week-to-week changes
    # Two communities; their volunteers, and a pool of needs that arrive over the weeks.
    com = generate(rng=SEED, n_communities=2, buildings_per_community=20, n_needs=160)
    policy = com.policy  # 2.5 km of travel, load_penalty 0.2
    pool = [com.needs[i] for i in rng.permutation(len(com.needs))]
    volunteers = {v.id: v for v in com.volunteers}
    needs = {n.id: n for n in pool[:FIRST_WEEK_NEEDS]}
    pool = pool[FIRST_WEEK_NEEDS:]
    last: list[Pair] = []
    served_last: set[str] = set()
    print(
        f"{len(volunteers)} volunteers, {len(needs)} open needs in week 1, "
        f"{len(pool)} more to come (seed {SEED})\n"
    )
    for week in range(1, WEEKS + 1):
        changes = []
        if week > 1:
            # Needs close: most of those served last week are done; a few others are withdrawn.
            closed = [
                nid
                for nid in sorted(needs)
                if rng.random() < (P_DONE if nid in served_last else P_WITHDRAWN)
            ]
            for nid in closed:
                del needs[nid]
            n_new = int(rng.integers(12, 19))
            arrived, pool = pool[:n_new], pool[n_new:]
            needs.update((n.id, n) for n in arrived)
            # One of last week's volunteers changes capacity (0 = a week off) ...
            active = sorted({vid for _, vid in last}) or sorted(volunteers)
            vid = active[int(rng.integers(len(active)))]
            old = volunteers[vid].capacity
            new = int(rng.choice([c for c in range(4) if c != old]))
            volunteers[vid] = dataclasses.replace(volunteers[vid], capacity=new)
            # ... and one or two others drop out.
            others = sorted(set(volunteers) - {vid})
            k = int(rng.integers(1, 3))
            gone = sorted(others[i] for i in rng.choice(len(others), size=k, replace=False))
            for v in gone:
                del volunteers[v]
            changes = [
                f"{len(closed)} needs closed, {len(arrived)} arrived",
                f"{' and '.join(gone)} left",
                f"{vid} capacity {old} -> {new}",
            ]

        vols, open_needs = list(volunteers.values()), list(needs.values())
        kept, why = keepable(last, vols, open_needs, policy)
        problem = Problem(vols, open_needs, policy, pinned=kept)
        result = matcher.solve(problem)
        violations = verify(problem, result)  # [] = valid, and optimal given the pinned pairs

        pairs = [(m.need_id, m.volunteer_id) for m in result.matches]
        added = sorted(set(pairs) - set(kept))
        dropped = len(last) - len(kept)
        # What keeping last week's pairs costs: the optimum without pins.
        free = matcher.solve(Problem(vols, open_needs, policy), certify=False)
        m = result.metrics

        print(f"Week {week}" + (f": {'; '.join(changes)}" if changes else ""))
        print(
            f"  needs {len(open_needs)} ({m.units_demanded} units), volunteers {len(vols)}; "
            f"coverage {m.coverage:.1%}, participation {m.participation_rate:.1%}"
        )
        reasons = ", ".join(f"{r} {c}" for r, c in sorted(why.items())) or "-"
        print(f"  pairs kept {len(kept)}, added {len(added)}, dropped {dropped} ({reasons})")
        print(
            f"  served priority {result.objective.served_priority} "
            f"(from scratch {free.objective.served_priority}), cost {result.objective.cost:.3f} "
            f"(from scratch {free.objective.cost:.3f})"
        )
        print(f"  verify: {'OK' if not violations else violations}\n")
        if violations:
            return 1
        last = pairs
        served_last = {nid for nid, _ in pairs}
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
