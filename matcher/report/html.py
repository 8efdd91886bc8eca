"""A self-contained HTML report of a plan, for a coordinator to look at.

:func:`write_report` writes one HTML file that opens anywhere, offline: the
figures (:mod:`matcher.report.plots`) are embedded as PNG ``data:`` URIs, the style
is inline, and the page refers to nothing outside itself (no web fonts, no
scripts or styles from elsewhere, no links out). :func:`render_report`
returns the same text.

The report shows, in order:

1. the headline numbers: coverage, priority-weighted coverage, participation
   rate, mean distance, volunteers used, units of need served, the method and
   status, and whether the plan verifies against the problem
   (:func:`matcher.verify`: "proven optimal", or the violations);
2. coverage by category and by community (figure and table);
3. the load per volunteer (how the work is spread);
4. participation by employer unit;
5. a map of volunteers, needs and pairs (only with the problem: the
   result has no locations);
6. every unmatched need: units missing, the reason in words, and how many
   volunteers each feasibility filter left.

Every text from the data (ids, categories, communities, units, the title) is
HTML-escaped. The users' own fields (``extra``: names, phone numbers, rooms)
are never read, so they cannot appear in the report. The same result and
problem give the same file, byte for byte (no dates, no timings).

matplotlib is needed (``pip install ".[report]"``); importing this
module does not need it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from ..io.write import _atomic_write
from ..model import Problem
from ..result import Result
from . import plots
from ._sections import (
    MAX_UNMATCHED_ROWS,
    _cards,
    _e,
    _figure,
    _load_table,
    _map_html,
    _share_section,
    _unmatched_section,
    _verification,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["DEFAULT_TITLE", "MAX_UNMATCHED_ROWS", "render_report", "write_report"]


DEFAULT_TITLE = "Volunteer matching report"


_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #f6f8fa;
        --ok: #1a7f37; --bad: #cf222e; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans",
             "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.75rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 0 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 8px; }
section { margin-top: 36px; }
nav { margin-top: 8px; font-size: .9rem; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
.sub, .muted, .note { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
         gap: 12px; margin-top: 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
        padding: 12px 14px; }
.card .label { color: var(--muted); font-size: .85rem; }
.card .value { font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .note { font-size: .8rem; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
.pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 24px;
        align-items: start; margin-bottom: 24px; }
@media (max-width: 860px) { .pair { grid-template-columns: 1fr; } }
img { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: .9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: var(--card); font-weight: 600; }
.num { text-align: right; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9em; }
#unmatched-filter { margin: 8px 0; padding: 4px 8px; font: inherit; width: 320px; max-width: 100%; }
ul.violations { color: var(--bad); }
footer { margin-top: 48px; font-size: .85rem; color: var(--muted); }
"""

# The page works without JavaScript; the script only adds a filter to the
# table of unmatched needs. It also records, for tests and for anyone who
# looks, whether it ran to the end (data-ok) or hit an error (data-error), and
# how many figures the browser could decode (data-images).
_SCRIPT = """
window.onerror = function (message) {
  (document.body || document.documentElement).dataset.error = String(message);
};
window.addEventListener("load", function () {
  var shown = 0;
  for (var i = 0; i < document.images.length; i++) {
    var img = document.images[i];
    if (img.complete && img.naturalWidth > 0) { shown += 1; }
  }
  document.body.dataset.images = shown + "/" + document.images.length;
});
(function () {
  var box = document.getElementById("unmatched-filter");
  var table = document.getElementById("unmatched-table");
  if (!box || !table) { return; }
  box.hidden = false;
  box.addEventListener("input", function () {
    var q = box.value.toLowerCase();
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = q !== "" && rows[i].textContent.toLowerCase().indexOf(q) < 0;
    }
  });
})();
document.body.dataset.ok = "1";
"""


def render_report(
    result: Result, problem: Problem | None = None, *, title: str | None = None
) -> str:
    """The HTML text of the report of *result* (see :func:`write_report`).

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        The problem the result solves: adds the verification, counts per
        group, the map and the category and priority of unmatched needs.
    title : str, optional
        Heading and page title (default :data:`DEFAULT_TITLE`).

    Returns
    -------
    str
        A complete HTML document.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "matcher[report]"``).

    Examples
    --------
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> p = Problem([], [Need("n1", "repair", ["repair"], (31.23, 121.47))])
    >>> text = render_report(solve(p), p, title="Week 12")
    >>> text.startswith("<!DOCTYPE html>"), '<h1>Week 12</h1>' in text
    (True, True)
    >>> "no volunteer has the required skills" in text
    True
    """
    heading = DEFAULT_TITLE if title is None else title
    verdict = _verification(result, problem)
    sub = _subtitle(result, problem)
    violation_html = _violations_html(verdict[3])
    coverage = _coverage_html(result, problem)
    load = _load_html(result, problem)
    units = _units_html(result, problem)
    map_section = _map_section(result, problem)
    unmatched = (
        '<section id="unmatched-section"><h2>Unmatched needs</h2>\n'
        + _unmatched_section(result, problem)
        + "\n</section>"
    )
    nav = (
        "<nav>"
        '<a href="#coverage-section">Coverage</a><a href="#load-section">Load</a>'
        '<a href="#units-section">Employer units</a><a href="#map-section">Map</a>'
        '<a href="#unmatched-section">Unmatched needs</a></nav>'
    )
    footer = (
        f"<footer>Made by matcher {_e(__version__)} from the result"
        + (" and its problem" if problem is not None else "")
        + ". This page is self-contained: it loads nothing from the network. "
        "Personal fields of the input (names, phone numbers, rooms) are never included.</footer>"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(heading)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            f"<h1>{_e(heading)}</h1>",
            f'<p class="sub">{_e(sub)}</p>',
            nav,
            _cards(result, verdict),
            violation_html,
            coverage,
            load,
            units,
            map_section,
            unmatched,
            footer,
            "</main>",
            f"<script>{_SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _subtitle(result: Result, problem: Problem | None) -> str:
    """The line under the heading: how many volunteers, needs and units; method and status."""
    m = result.metrics
    if problem is not None:
        n_vol, n_need = len(problem.volunteers), len(problem.needs)
    else:
        n_vol = m.volunteers
        n_need = len({x.need_id for x in result.matches} | {x.need_id for x in result.unmatched})
    return (
        f"{n_vol} volunteers, {n_need} needs ({m.units_demanded} units of demand); "
        f"method {result.method}, status {result.status.value}."
    )


def _violations_html(violations: list[str]) -> str:
    """The list of violations the verification found; empty when there are none."""
    return (
        '<section id="violations"><h2>Violations</h2>\n<ul class="violations">\n'
        + "\n".join(f"<li>{_e(v)}</li>" for v in violations)
        + "\n</ul></section>"
        if violations
        else ""
    )


def _share_counts(
    result: Result, problem: Problem | None, key: str
) -> dict[str, tuple[int, int]] | None:
    """Units ``(served, demanded)`` per value of the need field *key*; None without the problem."""
    return None if problem is None else plots._group_counts(result, problem, key)


def _bars(
    result: Result, problem: Problem | None, plot: Callable[..., Axes], n: int, alt: str
) -> str:
    """The ``<img>`` of a bar chart of *n* bars drawn by *plot*."""
    return _figure(lambda ax: plot(result, problem, ax=ax), plots._bar_height(n), alt)


def _coverage_html(result: Result, problem: Problem | None) -> str:
    """The coverage section: by category and by community, figure and table each."""
    m = result.metrics
    return "\n".join(
        [
            '<section id="coverage-section"><h2>Coverage</h2>',
            _share_section(
                "Coverage by category",
                ("category", "coverage"),
                m.coverage_by_category,
                _share_counts(result, problem, "category"),
                ("units served", "units demanded"),
                _bars(
                    result,
                    problem,
                    plots.plot_coverage_by_category,
                    len(m.coverage_by_category),
                    "Coverage by category",
                ),
            ),
            _share_section(
                "Coverage by community",
                ("community", "coverage"),
                m.coverage_by_community,
                _share_counts(result, problem, "community"),
                ("units served", "units demanded"),
                _bars(
                    result,
                    problem,
                    plots.plot_coverage_by_community,
                    len(m.coverage_by_community),
                    "Coverage by community",
                ),
            ),
            "</section>",
        ]
    )


def _load_html(result: Result, problem: Problem | None) -> str:
    """The load section: the histogram of needs per volunteer and its table."""
    return (
        '<section id="load-section"><h2>Load per volunteer</h2>\n'
        '<p class="note">How the work is spread: more members taking part, each with '
        "less to do, keeps a programme going.</p>\n"
        '<div class="pair">\n<div>'
        + _figure(
            lambda ax: plots.plot_load(result, problem, ax=ax), (7.0, 3.6), "Needs per volunteer"
        )
        + f"</div>\n<div>{_load_table(result, problem)}</div>\n</div></section>"
    )


def _units_html(result: Result, problem: Problem | None) -> str:
    """The participation section: volunteers serving per employer unit, figure and table."""
    m = result.metrics
    return "\n".join(
        [
            '<section id="units-section"><h2>Participation by employer unit</h2>',
            _share_section(
                None,
                ("employer unit", "participation"),
                m.participation_by_unit,
                None if problem is None else plots._unit_counts(result, problem),
                ("serving", "volunteers"),
                _bars(
                    result,
                    problem,
                    plots.plot_participation_by_unit,
                    len(m.participation_by_unit),
                    "Participation by employer unit",
                ),
            ),
            "</section>",
        ]
    )


def _map_section(result: Result, problem: Problem | None) -> str:
    """The map section: the map with the problem, else how to get one."""
    if problem is not None:
        the_map = _map_html(result, problem)
    else:
        the_map = (
            '<p class="muted" id="map-missing">The map needs the problem files: the result '
            "has no locations. Run <code>matcher report RESULT.json --out report.html "
            "--problem PROBLEM.json</code> (or <code>--volunteers V.csv --needs N.csv</code>).</p>"
        )
    return f'<section id="map-section"><h2>Map</h2>\n{the_map}\n</section>'


def write_report(
    result: Result,
    path: str | Path,
    problem: Problem | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Write the HTML report of *result* to *path*, atomically.

    Parameters
    ----------
    result : Result
    path : str or Path
        The HTML file to write (replaced if it exists).
    problem : Problem, optional
        The problem the result solves: adds the verification
        (:meth:`Result.verify`), unit counts per group, the map, and the
        category and priority of each unmatched need.
    title : str, optional
        Heading and page title (default :data:`DEFAULT_TITLE`).

    Returns
    -------
    Path
        *path*.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "matcher[report]"``);
        nothing is written.
    OSError
        If the file cannot be written (naming *path*); a file already there
        is left as it was.

    Notes
    -----
    The page is one file with everything inside (figures as base64 PNG
    ``data:`` URIs, inline CSS, a few lines of inline JavaScript that only add
    a filter to the table of unmatched needs): it can be mailed or archived
    and opens offline. It is written to a temporary file next to *path*,
    then renamed. Users' own fields (``extra``) never appear in it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v1", ["driving"], (31.230, 121.470))],
    ...             [Need("n1", "medical", ["driving"], (31.231, 121.471)),
    ...              Need("n2", "legal", ["legal"], (31.232, 121.470))])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_report(solve(p), pathlib.Path(d) / "report.html", p)
    ...     text = path.read_text(encoding="utf-8")
    >>> '<div class="value" id="coverage">50.0%</div>' in text
    True
    >>> '<div class="value ok" id="verification">proven optimal</div>' in text
    True
    """
    text = render_report(result, problem, title=title)
    target = Path(path)
    _atomic_write(target, text)
    return target
