"""matplotlib figures as inline SVG whose text stays text, in any script.

The report's figures used to be PNGs: matplotlib drew every label with its own
font (DejaVu Sans), so Chinese categories, communities and units came out as
empty boxes, whatever fonts the reader had. Here a figure is saved as SVG with
``svg.fonttype = "none"``: each label is an SVG ``<text>`` element that the
reader's browser draws with the reader's fonts (the page lists common CJK fonts
after DejaVu Sans, then the generic ``sans-serif``).

The same figure gives the same bytes: matplotlib's own style defaults (not the
user's ``matplotlibrc``), a fixed ``svg.hashsalt`` (the ids of clip paths and
markers are hashes) and no metadata (no date, no version).
"""

from __future__ import annotations

import html
import io
import re
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import plots

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["FIGURE_FONTS", "svg_figure"]

FIGURE_FONTS = (
    "DejaVu Sans",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "Noto Sans",
    "Arial",
)
"""The fonts a figure's text asks the browser for, in order, before ``sans-serif``.

matplotlib itself measures every label with DejaVu Sans (it ships with
matplotlib, so the layout is the same on every machine); a character DejaVu
Sans lacks is measured with matplotlib's "Last Resort" font, about 1.15 em
wide, a little wider than a CJK glyph, so such labels are never clipped.
"""

_HASHSALT = "matcher-report"  # the ids of clip paths and markers are its hashes: fixed
# No date, no creator (matplotlib's version and web address): no <metadata> at all.
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
# Measured with matplotlib's fonts, drawn by the browser's: a glyph missing from
# DejaVu Sans only means it is measured with the Last Resort font (see FIGURE_FONTS).
_GLYPH_MISSING = r"Glyph \d+ .*missing from font"

_TAG = re.compile(r"<[^<>]*>")  # text content is escaped, so a tag is all between < and >
_ID = re.compile(r'\b(id="|href="#|url\(#)([^")]+)')
# The font list is the page's (CSS ``svg.figure text``), once, not on every label.
_FONT = re.compile(r" ?font-family: [^;\"]*;?")
_ROOT_SIZE = re.compile(r' (?:width|height)="[^"]*"')
_DROP = (
    re.compile(r"\A.*?(?=<svg\b)", re.S),  # <?xml ...?> and the DOCTYPE (a URL)
    re.compile(r' xmlns(?::xlink)?="[^"]*"'),  # not needed inline in HTML (and URLs)
    re.compile(r' version="1\.1"'),
    re.compile(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>"),  # global rule: page CSS
)


def svg_figure(
    draw: Callable[[Axes], object], size: tuple[float, float], alt: str, key: str
) -> str:
    """Draw on a new (pyplot-free) figure; return it as an inline ``<svg>`` element.

    Parameters
    ----------
    draw : callable
        Draws on the Axes it is given.
    size : (float, float)
        Width and height in inches (the SVG scales to its column).
    alt : str
        What the figure shows, for screen readers (``aria-label``).
    key : str
        Unique in the page: prefixes every id of the figure, so that two
        figures' ids never collide in one HTML document.

    Returns
    -------
    str
        ``<svg class="figure" ...>...</svg>``, without XML prologue, namespace
        declarations, metadata or any URL.
    """
    plots._require_matplotlib()
    import matplotlib
    import matplotlib.style
    from matplotlib.figure import Figure

    buf = io.StringIO()
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {
                "svg.fonttype": "none",  # text as <text>, drawn by the reader's fonts
                "svg.hashsalt": _HASHSALT,
                "font.family": ["sans-serif"],
                "font.sans-serif": list(FIGURE_FONTS),
            }
        ),
        warnings.catch_warnings(),
    ):
        warnings.filterwarnings("ignore", message=_GLYPH_MISSING, category=UserWarning)
        fig = Figure(figsize=size, layout="constrained")
        draw(fig.add_subplot())
        fig.savefig(buf, format="svg", metadata=_NO_METADATA)
    return _inline(buf.getvalue(), alt, key)


def _inline(svg: str, alt: str, key: str) -> str:
    """The SVG file of matplotlib as an element of an HTML page (see :func:`svg_figure`)."""
    for pattern in _DROP:
        svg = pattern.sub("", svg)
    svg = _TAG.sub(lambda tag: _tag(tag.group(0), key), svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = _ROOT_SIZE.sub("", svg[: svg.index(">") + 1], count=2) + svg[svg.index(">") + 1 :]
    attrs = f'class="figure" role="img" aria-label="{html.escape(alt, quote=True)}"'
    return svg.replace("<svg ", f"<svg {attrs} ", 1).strip()


def _tag(tag: str, key: str) -> str:
    """One tag of the figure: ids prefixed with *key*, the font list left to the page."""
    return _FONT.sub("", _ID.sub(rf"\g<1>{key}-\g<2>", tag))
