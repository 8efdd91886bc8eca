"""The report's sections on what is left unserved: why, need by need, and what training would help."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from ..errors import InputError, InputProblem, SolverError, UnsupportedProblem, short_repr
from ..model import Problem
from ..planning import Gaps, gaps
from ..result import FILTERS, REASONS, Result, Unmatched, other_data
from ._sections import Html, _e, _table

__all__ = ["MAX_UNMATCHED_ROWS", "TRAINING_CANDIDATES", "explain", "training_section"]

MAX_UNMATCHED_ROWS = 1000
"""Unmatched needs listed one by one (highest priority first); the rest are counted."""

TRAINING_CANDIDATES = 10
"""Interventions :func:`matcher.gaps` evaluates for the report, by default (one solve each)."""

MAX_MISSING_ROWS = 20
"""Rows of the table of skills wanted by unserved needs."""

_LEFT = {
    "skills": "with the skills",
    "distance": "within range",
    "slot": "free in the slot",
    "community": "in the community",
    "available": "available",
}


def _skills(levels: Mapping[str, int]) -> str:
    """Required skills with their minimum levels: ``"driving (3), nursing (2)"``."""
    return ", ".join(f"{s} ({lvl})" for s, lvl in sorted(levels.items())) or "none"


def explain(u: Unmatched) -> tuple[str, str]:
    """``(the reason in words, how many volunteers each filter left)`` of an unmatched need.

    The filters run in order (:data:`matcher.result.FILTERS`), each on what the
    one before left; the second text stops at the first that left none.

    Examples
    --------
    >>> from matcher.result import Unmatched
    >>> explain(Unmatched("n1", 1, "no_slot", (4, 3, 0, 0, 0)))
    ('no volunteer within range with the skills is free in the slot', 'volunteers left by each filter: 4 with the skills, 3 within range, 0 free in the slot')
    """
    reason = REASONS.get(u.reason, u.reason)
    steps = []
    for name, left in zip(FILTERS, u.candidates, strict=False):
        steps.append(f"{left} {_LEFT[name]}")
        if left == 0:
            break
    return reason, ("volunteers left by each filter: " + ", ".join(steps)) if steps else ""


def _why(u: Unmatched) -> Html:
    reason, left = explain(u)
    return Html(f"{_e(reason)}<small>{_e(left)}</small>" if left else _e(reason))


def unmatched_section(result: Result, problem: Problem | None) -> str:
    """Why units are left unserved (by reason), then every unmatched need, most urgent first."""
    if not result.unmatched:
        return "<p>Every need is fully served.</p>"
    needs = {n.id: n for n in problem.needs} if problem is not None else {}
    units: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for u in result.unmatched:
        units[u.reason] += u.missing
        count[u.reason] += 1
    order = [r for r in REASONS if r in count] + sorted(set(count) - set(REASONS))
    summary = _table(
        ["reason", "code", "needs", "units"],
        [[REASONS.get(r, r), r, count[r], units[r]] for r in order],
        [False, False, True, True],
    )
    listed = list(result.unmatched)
    if needs:  # the most urgent first, as a coordinator reads them
        listed.sort(key=lambda u: (-getattr(needs.get(u.need_id), "priority", 0), u.need_id))
    headers = ["need"]
    if needs:
        headers += ["category", "priority", "slot", "required skills (level)"]
        headers += ["community", "building"]
    headers += ["missing", "why"]
    numeric = [h in ("priority", "missing") for h in headers]
    rows: list[list[object]] = []
    for u in listed[:MAX_UNMATCHED_ROWS]:
        row: list[object] = [u.need_id]
        if needs:
            n = needs.get(u.need_id)
            row += (
                ["-"] * 6
                if n is None
                else [n.category, n.priority, n.slot or "any", _skills(n.skills)]
                + [n.community or "-", n.building or "-"]
            )
        rows.append([*row, u.missing, _why(u)])
    more = len(listed) - MAX_UNMATCHED_ROWS
    tail = (
        f'<p class="note">... and {more} more (the result file lists them all).</p>'
        if more > 0
        else ""
    )
    order_note = "highest priority first" if needs else "by need id"
    return (
        f"<h3>Why units are left unserved</h3>\n{summary}\n"
        f"<h3>Unmatched needs ({len(listed)}, {order_note})</h3>\n"
        '<p class="note">The feasibility filters run in order, each on the volunteers the one '
        "before left: with the skills; of those, within travel range; free in the slot; in the "
        "community; available. The reason names the first filter that left none, or says why "
        "the remaining ones serve other needs."
        + (
            ""
            if needs
            else " With the problem files the table also shows each need's "
            "category, slot, skills and building."
        )
        + "</p>\n"
        '<input id="unmatched-filter" type="search" hidden '
        'placeholder="Filter by need id, category, building or reason" '
        'aria-label="Filter unmatched needs">\n'
        f"{_table(headers, rows, numeric, 'unmatched-table')}\n{tail}"
    )


def training_section(
    result: Result, problem: Problem | None, violations: list[str], candidates: int
) -> str:
    """The section of training recommendations (:func:`matcher.gaps`), capped at *candidates*."""
    if not isinstance(candidates, int) or isinstance(candidates, bool) or candidates < 0:
        got = short_repr(candidates)
        raise InputError(
            [InputProblem("report", "training_candidates", "an integer >= 0", got, kind="option")]
        )
    head = '<section id="training-section"><h2>Training that would serve more needs</h2>\n'
    if problem is None:
        body = (
            '<p class="muted" id="training-missing">Recommendations need the problem files '
            "(the result alone does not say who could be trained).</p>"
        )
    elif not result.unmatched:
        body = '<p id="training-none">Every need is fully served: no training is needed.</p>'
    elif other_data(result, problem) is not None:
        body = (
            '<p class="muted" id="training-missing">Not computed: this result was solved '
            "for other data (see Verification).</p>"
        )
    elif violations:
        body = (
            '<p class="muted" id="training-missing">Not computed: the plan does not hold '
            "against this problem (see Violations).</p>"
        )
    elif candidates == 0:
        body = (
            '<p class="muted" id="training-missing">Not computed '
            "(<code>training_candidates=0</code>).</p>"
        )
    else:
        body = _training(result, problem, candidates)
    return head + body + "\n</section>"


def _training(result: Result, problem: Problem, candidates: int) -> str:
    """The recommendations and the skills wanted, or why they could not be computed."""
    try:
        found = gaps(problem, result, max_candidates=candidates)
    except (UnsupportedProblem, SolverError) as exc:
        return (
            '<p class="muted" id="training-missing">Not computed: matcher.gaps could not '
            f"solve this problem again ({_e(exc)}).</p>"
        )
    note = (
        f'<p class="note" id="training-note">From <code>matcher.gaps(problem, result, '
        f"max_candidates={candidates})</code>: each training evaluated costs one more solve of "
        f"the whole problem, so the report evaluates at most {candidates} "
        f"({found.evaluated} here), the most promising first (by the priority of the unserved "
        "needs they target). The gains shown are exact; a training not evaluated might gain "
        "more: call <code>matcher.gaps</code> with a larger <code>max_candidates</code> (or "
        "<code>write_report(..., training_candidates=...)</code>) to look further.</p>"
    )
    recs = found.recommendations
    if recs:
        rows = [
            [
                *[i, f"{r.skill} ({r.level})", r.place, ", ".join(r.members)],
                *[f"{r.units_gained:+d}", f"{r.priority_gained:+d}", f"{r.needs_covered:+d}"],
                ", ".join(f"{c} {k:+d}" for c, k in sorted(r.by_category.items())) or "-",
                f"{r.cost_change:+.3f}",
            ]
            for i, r in enumerate(recs, 1)
        ]
        headers = ["#", "train in (level)", "near", "members to train", "units"]
        headers += ["priority", "needs fully served", "by category", "cost change"]
        numeric = [True, False, False, False, True, True, True, False, True]
        table = _table(headers, rows, numeric, "training-table")
    else:
        table = (
            '<p id="training-none">None of the trainings evaluated would serve more '
            "priority: the unserved needs lack a volunteer in range, free or available, "
            "not a skill.</p>"
        )
    return f"{note}\n{table}\n<h3>Skills the unserved needs require</h3>\n{_missing(found)}"


def _missing(found: Gaps) -> str:
    """The table of (skill, level) wanted by unserved needs, most unserved priority first."""
    rows = [
        [
            "(no skill)" if m.skill is None else f"{m.skill} ({m.level})",
            *[m.needs, m.units, m.priority, m.holders],
            ", ".join(f"{r} {k}" for r, k in sorted(m.by_reason.items())),
        ]
        for m in found.missing[:MAX_MISSING_ROWS]
    ]
    headers = ["skill (level)", "needs", "units", "priority", "members holding it", "by reason"]
    return _table(headers, rows, [False, True, True, True, True, False], "missing-table")
