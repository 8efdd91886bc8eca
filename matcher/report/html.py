r"""A self-contained HTML report of a plan, for a coordinator to look at.

:func:`write_report` writes one HTML file that opens anywhere, offline: the
figures are inline SVG drawn by matplotlib with their text kept as text (so
names in any script -- Chinese categories, communities, units -- are drawn by
the reader's fonts), the map is an inline SVG drawn by a small inline script,
the style is inline, and the page refers to nothing outside itself (no web
fonts, no scripts or styles from elsewhere, no links out).
:func:`render_report` returns the same text.

The report shows, in order:

1. the headline numbers: coverage, priority-weighted coverage, participation
   rate, mean distance, volunteers used, units of need served, the method and
   status, and whether the plan verifies against the problem
   (:func:`matcher.verify`: "proven optimal", or the violations);
2. coverage by category and by community (figure and table);
3. the load per volunteer (how the work is spread);
4. participation by employer unit;
5. an interactive map of volunteers, needs and pairs (only with the problem:
   the result has no locations): pan and zoom, layers by reason, a
   community filter, a km scale bar, and what each point is;
6. every unmatched need: category, priority, slot, required skills, community,
   building, units missing and why, in words (the reason and how many
   volunteers each feasibility filter left);
7. the training that would serve more needs (:func:`matcher.gaps`, only
   with the problem), its search capped at ``training_candidates``.

Every text from the data (ids, categories, communities, units, the title) is
HTML-escaped (in the map's JSON, ``<``, ``>`` and ``&`` are written as ``\u`` escapes).
The users' own fields (``extra``: names, phone numbers, rooms) are never read,
so they cannot appear in the report. The same result and problem give the
same file, byte for byte (no dates, no timings, no random ids).

matplotlib is needed (``pip install "volunteer-matcher[report]"``); importing this
module does not need it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .._version import __version__
from ..io.write import _atomic_write
from ..model import Problem
from ..result import Result
from . import plots
from ._map import map_html
from ._sections import _cards, _e, _load_table, _share_section, _verification
from ._svg import FIGURE_FONTS, svg_figure
from ._unmatched import (
    MAX_UNMATCHED_ROWS,
    TRAINING_CANDIDATES,
    training_section,
    unmatched_section,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "DEFAULT_TITLE",
    "MAX_UNMATCHED_ROWS",
    "TRAINING_CANDIDATES",
    "render_report",
    "write_report",
]


DEFAULT_TITLE = "Volunteer matching report"


@functools.cache
def _static(name: str) -> str:
    """A file of ``matcher/report/static/`` (package data), as text."""
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _css() -> str:
    """The page's style: static/report.css and the font list of the figures' text."""
    fonts = ", ".join(f'"{f}"' for f in FIGURE_FONTS)
    return _static("report.css") + f"svg.figure text {{ font-family: {fonts}, sans-serif; }}\n"


def _script() -> str:
    """The page's script: the table filter, the map, then the mark that both ran."""
    return _static("report.js") + _static("map.js") + 'document.body.dataset.ok = "1";\n'


def render_report(
    result: Result,
    problem: Problem | None = None,
    *,
    title: str | None = None,
    training_candidates: int = TRAINING_CANDIDATES,
) -> str:
    """The HTML text of the report of *result* (see :func:`write_report`).

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        The problem the result solves: adds the verification, counts per
        group, the map, the details of unmatched needs and the training
        recommendations.
    title : str, optional
        Heading and page title (default :data:`DEFAULT_TITLE`).
    training_candidates : int, default :data:`TRAINING_CANDIDATES`
        Most trainings :func:`matcher.gaps` evaluates (its ``max_candidates``):
        each costs one more solve of the whole problem; 0 leaves them out.

    Returns
    -------
    str
        A complete HTML document.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``).
    InputError
        If *training_candidates* is not an integer >= 0.

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
        + unmatched_section(result, problem)
        + "\n</section>"
    )
    training = training_section(result, problem, verdict[3], training_candidates)
    nav = (
        "<nav>"
        '<a href="#coverage-section">Coverage</a><a href="#load-section">Load</a>'
        '<a href="#units-section">Employer units</a><a href="#map-section">Map</a>'
        '<a href="#unmatched-section">Unmatched needs</a>'
        '<a href="#training-section">Training</a></nav>'
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
            f"<style>{_css()}</style>",
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
            training,
            footer,
            "</main>",
            f"<script>{_script()}</script>",
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
    """The inline SVG of a bar chart of *n* bars drawn by *plot* (its name keys the ids)."""
    key = plot.__name__.removeprefix("plot_").replace("_", "-")
    return svg_figure(lambda ax: plot(result, problem, ax=ax), plots._bar_height(n), alt, key)


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
        + svg_figure(
            lambda ax: plots.plot_load(result, problem, ax=ax),
            (7.0, 3.6),
            "Needs per volunteer",
            "load",
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
        the_map = map_html(result, problem)
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
    training_candidates: int = TRAINING_CANDIDATES,
) -> Path:
    """Write the HTML report of *result* to *path*, atomically.

    Parameters
    ----------
    result : Result
    path : str or Path
        The HTML file to write (replaced if it exists).
    problem : Problem, optional
        The problem the result solves: adds the verification
        (:func:`matcher.verify`), unit counts per group, the map, the details
        of each unmatched need and the training recommendations.
    title : str, optional
        Heading and page title (default :data:`DEFAULT_TITLE`).
    training_candidates : int, default :data:`TRAINING_CANDIDATES`
        Most trainings :func:`matcher.gaps` evaluates (its ``max_candidates``):
        each costs one more solve of the whole problem; 0 leaves them out.

    Returns
    -------
    Path
        *path*.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``);
        nothing is written.
    InputError
        If *training_candidates* is not an integer >= 0; nothing is written.
    OSError
        If the file cannot be written (naming *path*); a file already there
        is left as it was.

    Notes
    -----
    The page is one file with everything inside (figures as inline SVG whose
    text is text, inline CSS, the map's data as a JSON ``<script>`` element and
    a small inline script that draws the map and adds a filter to the table of
    unmatched needs): it can be mailed or archived and opens offline. It is written to a temporary file next to *path*,
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
    text = render_report(result, problem, title=title, training_candidates=training_candidates)
    target = Path(path)
    _atomic_write(target, text)
    return target
