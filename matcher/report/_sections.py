"""The sections of the HTML report, each a function of the result (and problem) returning HTML."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

from ..model import Problem
from ..result import Result, Status, other_data
from ..verify import verify
from . import plots


class Html(str):
    """Text that is HTML already (escaped where it came from the data): a table keeps it as is."""

    __slots__ = ()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    numeric: Sequence[bool],
    table_id: str | None = None,
) -> str:
    def cell(tag: str, value: object, num: bool) -> str:
        if isinstance(value, Html):
            return f"<{tag}>{value}</{tag}>"
        cls = ' class="num"' if num else ""
        return f"<{tag}{cls}>{_e(value)}</{tag}>"

    head = "".join(cell("th", h, n) for h, n in zip(headers, numeric, strict=True))
    body = "\n".join(
        "<tr>" + "".join(cell("td", v, n) for v, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in rows
    )
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return f"<table{ident}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _verification(result: Result, problem: Problem | None) -> tuple[str, str, str, list[str]]:
    """``(value, css class, note, violation lines)`` of the verification card."""
    if problem is None:
        return ("not checked", "muted", "checking needs the problem files", [])
    other = other_data(result, problem)
    if other is not None:  # a plan of other data, not a wrong plan: said in words
        return ("other data", "muted", other, [])
    found = verify(problem, result)
    if found:
        return (
            f"{len(found)} violation{'s' if len(found) != 1 else ''}",
            "bad",
            "the plan does not hold against this problem: see below",
            [str(v) for v in found],
        )
    if result.status is Status.OPTIMAL:
        return ("proven optimal", "ok", "every rule holds; the certificate proves optimality", [])
    return ("valid plan", "ok", "every rule holds; optimality is not claimed", [])


def _cards(result: Result, verdict: tuple[str, str, str, list[str]]) -> str:
    m = result.metrics
    cards = [
        (
            "coverage",
            "Coverage",
            _pct(m.coverage),
            f"{m.units_served} of {m.units_demanded} units of need served",
        ),
        (
            "priority-coverage",
            "Priority-weighted coverage",
            _pct(m.priority_coverage),
            "urgent needs count more (priority 1 to 5)",
        ),
        (
            "participation",
            "Participation rate",
            _pct(m.participation_rate),
            f"{m.volunteers_used} of {m.volunteers} volunteers serve",
        ),
        (
            "mean-distance",
            "Mean distance",
            f"{m.mean_distance_km:.2f} km",
            "from volunteer to need, per pair",
        ),
        (
            "volunteers-used",
            "Volunteers used",
            f"{m.volunteers_used} / {m.volunteers}",
            f"load mean {m.mean_load:.2f}, max {m.max_load}",
        ),
        (
            "units-served",
            "Units of need served",
            f"{m.units_served} / {m.units_demanded}",
            f"{len({u.need_id for u in result.unmatched})} needs not fully served",
        ),
    ]
    out = [
        f'<div class="card"><div class="label">{_e(label)}</div>'
        f'<div class="value" id="{ident}">{_e(value)}</div>'
        f'<div class="note">{_e(note)}</div></div>'
        for ident, label, value, note in cards
    ]
    out.append(
        '<div class="card"><div class="label">Method</div>'
        f'<div class="value" id="method">{_e(result.method)}</div>'
        f'<div class="note">status <span id="status">{_e(result.status.value)}</span>, '
        f"served priority {result.objective.served_priority}, "
        f"cost {result.objective.cost:.3f}</div></div>"
    )
    value, cls, note, _ = verdict
    out.append(
        '<div class="card"><div class="label">Verified against the problem</div>'
        f'<div class="value {cls}" id="verification">{_e(value)}</div>'
        f'<div class="note">{_e(note)}</div></div>'
    )
    return '<div class="cards">\n' + "\n".join(out) + "\n</div>"


def _share_section(
    heading: str | None,
    names: tuple[str, str],
    shares: dict[str, float],
    counts: dict[str, tuple[int, int]] | None,
    count_names: tuple[str, str],
    figure: str,
) -> str:
    """A figure and its table: group, share (and, with the problem, the counts behind it)."""
    headers = list(names)
    numeric = [False, True]
    if counts is not None:
        headers += list(count_names)
        numeric += [True, True]
    rows: list[list[object]] = []
    for k, share in shares.items():
        row: list[object] = [k, _pct(share)]
        if counts is not None:
            a, b = counts.get(k, (0, 0))
            row += [a, b]
        rows.append(row)
    h3 = "" if heading is None else f"<h3>{_e(heading)}</h3>\n"
    return (
        f'{h3}<div class="pair">\n<div>{figure}</div>\n'
        f"<div>{_table(headers, rows, numeric)}</div>\n</div>"
    )


def _load_table(result: Result, problem: Problem | None) -> str:
    loads = plots._loads(result, problem)
    hist = Counter(loads)
    n = len(loads)
    rows = [[k, hist.get(k, 0), _pct(hist.get(k, 0) / n) if n else "-"] for k in sorted(hist)]
    m = result.metrics
    note = (
        f"Mean load {m.mean_load:.2f} needs per volunteer, max {m.max_load}, "
        f"Gini {m.load_gini:.2f} (0 = evenly spread)."
    )
    table = _table(["needs per volunteer", "volunteers", "share"], rows, [True, True, True])
    return f'{table}\n<p class="note">{_e(note)}</p>'
