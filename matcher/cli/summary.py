"""What the command line prints: the summary a coordinator reads, and its ``--json`` form."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..model import Problem
from ..planning.solving import solve
from ..result import FILTERS, Result

__all__ = ["format_summary"]


def _bar(share: float, width: int = 20) -> str:
    full = round(share * width)
    return "#" * full + "." * (width - full)


def format_summary(
    result: Result,
    problem: Problem,
    title: str,
    max_unmatched: int = 12,
    plain: Result | None = None,
) -> str:
    """A plain-text summary of a result: coverage, participation, reasons, timings.

    *plain*: the plan of the same problem without ``Policy.participation``,
    shown next to it (what the participation level did).
    """
    m = result.metrics
    served: Counter[str] = Counter()
    for match in result.matches:
        served[match.need_id] += 1
    lines = _headline(result, problem, title, plain)
    lines += _share_table(
        "Coverage by category", "category", m.coverage_by_category, problem, served
    )
    lines += _share_table(
        "Coverage by community", "community", m.coverage_by_community, problem, served
    )
    lines += _unit_lines(m.participation_by_unit)
    lines += _unmatched_lines(result, problem, max_unmatched)
    lines += _timing_lines(result.timings)
    return "\n".join(lines)


def _headline(result: Result, problem: Problem, title: str, plain: Result | None) -> list[str]:
    """The title, the size and the objective, then coverage, participation, travel, churn."""
    m = result.metrics
    lines = [
        title,
        f"  {len(problem.volunteers)} volunteers, {len(problem.needs)} needs ({m.units_demanded} units)",
        f"  method {result.method} ({result.status.value}); objective: served priority "
        f"{result.objective.served_priority}, cost {result.objective.cost:.3f}",
        "",
        f"Coverage        {m.coverage:6.1%} of units ({m.units_served}/{m.units_demanded}); "
        f"priority-weighted {m.priority_coverage:.1%}",
        f"Participation   {m.participation_rate:6.1%} of volunteers ({m.volunteers_used}/{m.volunteers}); "
        f"load mean {m.mean_load:.2f}, max {m.max_load}, Gini {m.load_gini:.2f}",
        f"Travel          {m.mean_distance_km:6.2f} km mean per match; mean cost {m.mean_cost:.3f}",
    ]
    if plain is not None:
        q = plain.metrics
        lines.append(
            f"  without the participation level: {q.participation_rate:.1%} of volunteers "
            f"({q.volunteers_used}/{q.volunteers}), coverage {q.coverage:.1%}, "
            f"mean {q.mean_distance_km:.2f} km, cost {plain.objective.cost:.3f}"
        )
    if result.churn is not None:
        c = result.churn
        lines.append(
            f"Churn           {c.kept} pairs kept, {c.moved} moved, {c.added} added, "
            f"{c.dropped} dropped (of {len(c.previous)} before; churn cost {c.cost:g})"
        )
    return lines


def _share_table(
    name: str, key: str, shares: dict[str, float], problem: Problem, served: Counter[str]
) -> list[str]:
    """A coverage table by the need field *key*: a bar, the share and units served/demanded."""
    units: Counter[str] = Counter()
    got: Counter[str] = Counter()
    for n in problem.needs:
        k = getattr(n, key) or "(unknown)"
        units[k] += n.demand
        got[k] += served[n.id]
    lines = ["", name]
    width = max((len(k) for k in shares), default=0)
    for k, share in shares.items():
        lines.append(f"  {k:<{width}}  {_bar(share)} {share:6.1%}  ({got[k]}/{units[k]})")
    return lines


def _unit_lines(by_unit: dict[str, float]) -> list[str]:
    """Participation by employer unit, a bar each; nothing when no volunteer has a unit."""
    if not by_unit:
        return []
    lines = ["", "Participation by employer unit"]
    width = max(len(k) for k in by_unit)
    for k, share in by_unit.items():
        lines.append(f"  {k:<{width}}  {_bar(share)} {share:6.1%}")
    return lines


def _unmatched_lines(result: Result, problem: Problem, max_unmatched: int) -> list[str]:
    """The unmatched count, their reasons and the highest-priority ones with filter counts."""
    needs = {n.id: n for n in problem.needs}
    lines = ["", f"Unmatched needs: {len(result.unmatched)}"]
    if result.unmatched:
        reasons = Counter(u.reason for u in result.unmatched)
        lines.append("  reasons: " + ", ".join(f"{r} {c}" for r, c in reasons.most_common()))
        head = "filters " + " > ".join(FILTERS)
        lines.append(
            f"  {'need':<8} {'category':<14} {'pri':>3} {'miss':>4}  {'reason':<16} {head}"
        )
        worst = sorted(result.unmatched, key=lambda u: (-needs[u.need_id].priority, u.need_id))
        for u in worst[:max_unmatched]:
            n = needs[u.need_id]
            counts = " > ".join(str(c) for c in u.candidates)
            lines.append(
                f"  {u.need_id:<8} {n.category:<14} {n.priority:>3} {u.missing:>4}  {u.reason:<16} {counts}"
            )
        if len(worst) > max_unmatched:
            lines.append(f"  ... and {len(worst) - max_unmatched} more (highest priority first)")
    return lines


def _timing_lines(t: Mapping[str, float]) -> list[str]:
    """The stage timings in seconds, those the result has."""
    return [
        "",
        "Timings (s)     "
        + ", ".join(
            f"{k} {t[k]:.3f}" for k in ("build_graph", "solve", "assemble", "total") if k in t
        ),
    ]


def _plain(problem: Problem, method: str, **options: Any) -> Result | None:
    """With ``Policy.participation``: the plan without that level, to show next to it."""
    if not problem.policy.participation:
        return None
    policy = dataclasses.replace(problem.policy, participation=False)
    return solve(dataclasses.replace(problem, policy=policy), method=method, **options)


def _summary_json(result: Result, out: str | None, plain: Result | None = None) -> dict[str, Any]:
    """What ``--json`` prints for ``demo`` and ``solve``."""
    return {
        "out": out,
        "status": result.status.value,
        "method": result.method,
        "objective": dataclasses.asdict(result.objective),
        "metrics": result.metrics.to_dict(),
        "matches": len(result.matches),
        "unmatched": {
            u.need_id: {"missing": u.missing, "reason": u.reason} for u in result.unmatched
        },
        "certificate": result.certificate is not None,
        "churn": None
        if result.churn is None
        else {k: v for k, v in result.churn.to_dict().items() if k != "previous"},
        "timings": dict(result.timings),
        "without_participation": None
        if plain is None
        else {
            "objective": dataclasses.asdict(plain.objective),
            "participation_rate": plain.metrics.participation_rate,
            "volunteers_used": plain.metrics.volunteers_used,
            "coverage": plain.metrics.coverage,
        },
    }


def _need_json(result: Result, need_id: str) -> dict[str, Any]:
    """What ``explain --json`` prints: the need's matches and unserved units."""
    return {
        "need_id": need_id,
        "matches": [
            dataclasses.asdict(m) | {"parts": dict(m.parts)}
            for m in result.matches
            if m.need_id == need_id
        ],
        "unmatched": [
            dataclasses.asdict(u) | {"candidates": dict(zip(FILTERS, u.candidates, strict=False))}
            for u in result.unmatched
            if u.need_id == need_id
        ],
    }
