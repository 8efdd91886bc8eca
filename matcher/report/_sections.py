"""The sections of the HTML report, each a function of the result (and problem) returning HTML."""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..model import Problem
from ..result import FILTERS, REASONS, Result, Status
from ..verify import verify
from . import plots

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes


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
        cls = ' class="num"' if num else ""
        return f"<{tag}{cls}>{_e(value)}</{tag}>"

    head = "".join(cell("th", h, n) for h, n in zip(headers, numeric, strict=True))
    body = "\n".join(
        "<tr>" + "".join(cell("td", v, n) for v, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in rows
    )
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return f"<table{ident}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _figure(draw: Callable[[Axes], object], size: tuple[float, float], alt: str) -> str:
    """Draw on a new (pyplot-free) figure; return an ``<img>`` with the PNG inline."""
    plots._require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    draw(fig.add_subplot())
    buf = io.BytesIO()
    # No "Software" chunk: the file depends on the plan only.
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _verification(result: Result, problem: Problem | None) -> tuple[str, str, str, list[str]]:
    """``(value, css class, note, violation lines)`` of the verification card."""
    if problem is None:
        return ("not checked", "muted", "checking needs the problem files", [])
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


def _unmatched_section(result: Result, problem: Problem | None) -> str:
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
    numeric = [False]
    if needs:
        headers += ["category", "priority"]
        numeric += [False, True]
    headers += ["missing", "reason", *FILTERS]
    numeric += [True, False, *[True] * len(FILTERS)]
    rows: list[list[object]] = []
    for u in listed[:MAX_UNMATCHED_ROWS]:
        row: list[object] = [u.need_id]
        if needs:
            n = needs.get(u.need_id)
            row += ["-", "-"] if n is None else [n.category, n.priority]
        cand = [*u.candidates, *[""] * len(FILTERS)][: len(FILTERS)]
        row += [u.missing, REASONS.get(u.reason, u.reason), *cand]
        rows.append(row)
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
        '<p class="note">The last columns count the volunteers left by each feasibility '
        "filter, in order: with the skills; of those, within travel range; free in the slot; "
        "in the community; available. The reason names the first filter that left none, or "
        "says why the remaining ones serve other needs.</p>\n"
        '<input id="unmatched-filter" type="search" hidden '
        'placeholder="Filter by need id, category or reason" aria-label="Filter unmatched needs">\n'
        f"{_table(headers, rows, numeric, 'unmatched-table')}\n{tail}"
    )


def _central_box(problem: Problem) -> tuple[float, float, float, float] | None:
    """``(x0, x1, y0, y1)`` around the bulk of the records, or None.

    None unless a few far records (a resident staying outside the area) make
    the whole map much larger than the area where nearly everything is.
    """
    geo = problem.policy.geometry == "geo"
    pts = [plots._xy(v.location, geo) for v in problem.volunteers]
    pts += [plots._xy(n.location, geo) for n in problem.needs]
    if len(pts) < 20:
        return None
    xs, ys = sorted(p[0] for p in pts), sorted(p[1] for p in pts)
    k = len(pts) // 100  # leave out the 1% furthest each way
    x0, x1, y0, y1 = xs[k], xs[-1 - k], ys[k], ys[-1 - k]
    full = (xs[-1] - xs[0]) * (ys[-1] - ys[0])
    if full <= 0 or (x1 - x0) * (y1 - y0) > 0.25 * full:
        return None
    pad_x, pad_y = 0.08 * (x1 - x0) or 0.01, 0.08 * (y1 - y0) or 0.01
    return (x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y)


def _map_html(result: Result, problem: Problem) -> str:
    """The whole map and, when a few far records stretch it, the central area too."""
    whole = _figure(
        lambda ax: plots.plot_map(result, problem, ax=ax),
        (10.0, 7.0),
        "Map of volunteers, needs and pairs",
    )
    box = _central_box(problem)
    if box is None:
        return whole
    x0, x1, y0, y1 = box
    geo = problem.policy.geometry == "geo"
    inside = sum(
        1
        for n in problem.needs
        if x0 <= plots._xy(n.location, geo)[0] <= x1 and y0 <= plots._xy(n.location, geo)[1] <= y1
    )

    def zoomed(ax: Axes) -> None:
        plots.plot_map(result, problem, ax=ax)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(f"Central area: {inside} of {len(problem.needs)} needs in view")

    central = _figure(zoomed, (10.0, 7.0), "Map of the central area")
    return (
        f'{central}\n<p class="note">A few records lie far from the others; the whole '
        f"area:</p>\n{whole}"
    )


MAX_UNMATCHED_ROWS = 1000
"""Unmatched needs listed one by one (highest priority first); the rest are counted."""


_DPI = 110
