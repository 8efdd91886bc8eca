"""Quickstart: a handful of volunteers and needs, built in code, matched exactly.

What it shows
-------------
- building :class:`matcher.Volunteer` and :class:`matcher.Need` records by hand;
- solving them with :func:`matcher.solve` under a :class:`matcher.Policy`;
- reading the plan: the matches, every unmatched need with its reason and how
  many volunteers each feasibility filter left, ``result.explain(...)`` in
  plain words, and the plan's metrics;
- checking the plan with ``result.verify(problem)``: an independent re-check
  of every rule plus the optimality certificate (an empty list = valid and
  proven optimal).

Run it from the repository root (no files are read or written)::

    python examples/quickstart.py
"""

from __future__ import annotations

from collections.abc import Sequence

from matcher import Need, Policy, Problem, Volunteer, solve, verify

# A few streets of one neighbourhood (lat, lon in degrees; 0.001 deg of latitude ~ 111 m).
HOME = (31.2300, 121.4700)


def near(dlat: float, dlon: float) -> tuple[float, float]:
    """A point ``dlat``/``dlon`` thousandths of a degree away from HOME."""
    return (round(HOME[0] + dlat / 1000, 6), round(HOME[1] + dlon / 1000, 6))


def build_problem() -> Problem:
    """Five volunteers and eight needs, chosen so that every common reason shows up."""
    volunteers = [
        # Skills map a name to a level 1..5; `slots` are the times the volunteer is free.
        Volunteer("ana", {"nursing": 3, "elderly_care": 2}, near(0, 0), capacity=2,
                  slots=["sat-am", "sun-am"], community="east"),
        Volunteer("bo", {"driving": 2}, near(4, 2), slots=["mon-am", "sat-am"],
                  community="east", unit="hospital"),
        Volunteer("chen", {"tutoring": 3, "language": 2}, near(-3, 1), slots=["mon-eve", "wed-eve"],
                  community="east", unit="school"),
        # dara travels at most 1 km, whatever the policy allows.
        Volunteer("dara", {"paperwork": 3, "legal": 1}, near(2, -2), max_distance_km=1.0,
                  community="east", unit="city-hall"),
        Volunteer("eli", {"repair": 3}, near(-1, -4), slots=["sat-pm", "sun-pm"], community="east"),
    ]  # fmt: skip
    needs = [
        # Required skills map a name to the minimum level; priority 1 (low) .. 5 (urgent).
        Need("care-01", "elderly_care", {"nursing": 2}, near(1, 1), slot="sat-am", priority=5),
        Need("care-02", "elderly_care", {"elderly_care": 1}, near(-1, 2), slot="sun-am", priority=3),
        Need("ride-01", "medical", {"driving": 2}, near(5, 3), slot="mon-am", priority=4),
        # Same slot as ride-01 and only bo can drive: one of the two rides must wait.
        Need("ride-02", "medical", {"driving": 2}, near(3, 0), slot="mon-am", priority=2),
        Need("tutor-01", "tutoring", {"tutoring": 2, "language": 1}, near(-4, 2), slot="wed-eve",
             priority=3),
        # About 2 km from dara, beyond her own 1 km limit.
        Need("form-01", "paperwork", {"paperwork": 2}, near(20, -2), priority=3),
        # eli repairs, but only at weekends.
        Need("repair-01", "repair", {"repair": 2}, near(0, -3), slot="tue-am", priority=2),
        # Nobody holds legal at level 3.
        Need("legal-01", "legal", {"legal": 3}, near(1, 0), priority=2),
    ]  # fmt: skip
    # Travel at most 3 km; each extra need given to one volunteer costs 0.2 more
    # (so work spreads and more members take part).
    policy = Policy(max_distance_km=3.0, load_penalty=0.2)
    return Problem(volunteers, needs, policy)


def main(argv: Sequence[str] | None = None) -> int:
    problem = build_problem()
    result = solve(problem)  # method="auto": the fastest exact method

    print(f"Solved {len(problem.volunteers)} volunteers x {len(problem.needs)} needs")
    print(f"  method {result.method}, status {result.status.value}")
    print(
        f"  objective: served priority {result.objective.served_priority}, "
        f"cost {result.objective.cost:.3f}"
    )

    print("\nMatches (need <- volunteer):")
    for m in result.matches:
        print(f"  {m.need_id:<10} <- {m.volunteer_id:<5} {m.distance_km:.2f} km, cost {m.cost:.3f}")

    # `candidates` counts the volunteers left after each filter, in order:
    # skills > distance > slot > community > available.
    print("\nUnmatched (need, reason, candidates left by each filter):")
    for u in result.unmatched:
        print(f"  {u.need_id:<10} {u.reason:<13} {u.candidates}")

    print("\nExplain one unmatched need and one match:")
    print(result.explain("ride-02"))
    print(result.explain("care-01"))

    metrics = result.metrics
    print("\nMetrics:")
    print(
        f"  coverage {metrics.coverage:.0%} of units ({metrics.units_served}/{metrics.units_demanded})"
    )
    print(f"  priority-weighted coverage {metrics.priority_coverage:.0%}")
    print(
        f"  participation {metrics.participation_rate:.0%} of volunteers "
        f"({metrics.volunteers_used}/{metrics.volunteers})"
    )
    print(f"  mean distance {metrics.mean_distance_km:.2f} km, load Gini {metrics.load_gini:.2f}")

    # The proof check: an empty list means every rule holds and the optimality
    # certificate is valid.
    violations = verify(problem, result)
    print(f"\nverify: {violations}")
    return 0 if not violations else 1


if __name__ == "__main__":
    raise SystemExit(main())
