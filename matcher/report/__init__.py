"""What a coordinator looks at: the HTML report and its figures (the edge).

- :mod:`~matcher.report.html`: :func:`write_report`, :func:`render_report`;
- :mod:`~matcher.report.plots`: the figures, each a function taking ``ax=``.

Inside: ``_sections`` (cards and tables), ``_svg`` (a figure as inline SVG,
text kept as text), ``_map`` (the interactive map's data and controls; the
script that draws it is ``static/map.js``), ``_unmatched`` (unmatched needs and
training recommendations); ``static/`` holds the page's CSS and JavaScript
(package data, inlined into every page).

matplotlib is an optional extra (``pip install "volunteer-matcher[report]"``), imported only
when a figure is drawn.
"""

from .html import (
    DEFAULT_TITLE,
    MAX_UNMATCHED_ROWS,
    TRAINING_CANDIDATES,
    render_report,
    write_report,
)
from .plots import (
    REASON_STYLES,
    plot_coverage_by_category,
    plot_coverage_by_community,
    plot_load,
    plot_map,
    plot_participation_by_unit,
)

__all__ = [
    "DEFAULT_TITLE",
    "MAX_UNMATCHED_ROWS",
    "REASON_STYLES",
    "TRAINING_CANDIDATES",
    "plot_coverage_by_category",
    "plot_coverage_by_community",
    "plot_load",
    "plot_map",
    "plot_participation_by_unit",
    "render_report",
    "write_report",
]
