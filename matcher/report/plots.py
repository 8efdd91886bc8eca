"""Figures of a plan, for researchers and for the HTML report.

Every function draws one figure of a :class:`~matcher.Result` (and, where it
helps or is needed, of its :class:`~matcher.Problem`) on a matplotlib Axes and
returns it: pass ``ax=`` to draw into your own figure, or leave it out to get
a new pyplot figure. Nothing here calls ``plt.show()``.

matplotlib is optional: ``import matcher`` and ``import matcher.report`` never
need it; the functions import it when called and, when it is missing, raise an
:class:`ImportError` that says ``pip install "volunteer-matcher[report]"``.

- :func:`plot_coverage_by_category`, :func:`plot_coverage_by_community`:
  share of demanded units served, per group (bars);
- :func:`plot_load`: how the work is spread (volunteers per number of needs);
- :func:`plot_participation_by_unit`: share of each employer unit's volunteers who serve;
- :func:`plot_map`: volunteers, needs, the chosen pairs and why needs are left
  unserved (needs the problem: the result has no locations).

Users' own fields (``extra``: names, phones) are never read.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import MissingDependency, install_command
from ..model import Problem
from ..result import UNKNOWN, Result

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "REASON_STYLES",
    "plot_coverage_by_category",
    "plot_coverage_by_community",
    "plot_load",
    "plot_map",
    "plot_participation_by_unit",
]

MISSING_MATPLOTLIB = (
    "matcher's plots and HTML report need matplotlib; install it with: " + install_command("report")
)

# Okabe-Ito colours: told apart by colour-blind readers too.
BLUE, GREEN, ORANGE, VERMILLION = "#0072B2", "#009E73", "#E69F00", "#D55E00"
PURPLE, SKY, YELLOW, GREY = "#CC79A7", "#56B4E9", "#F0E442", "#8C8C8C"

REASON_STYLES: Mapping[str, tuple[str, str]] = {
    "no_skill": ("X", VERMILLION),
    "out_of_range": ("s", PURPLE),
    "no_slot": ("v", ORANGE),
    "other_community": ("D", YELLOW),
    "unavailable": ("P", "#555555"),
    "taken": ("^", SKY),
    "not_worth": ("*", "#000000"),
}
"""Marker and colour of unserved needs on :func:`plot_map`, by reason (see ``matcher.REASONS``)."""

_OTHER_REASON = ("h", GREY)  # a reason code this version does not know (a newer result file)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MissingDependency("matplotlib", "report", "matcher's plots and HTML report") from exc


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """*ax*, or the Axes of a new pyplot figure of *size* inches."""
    _require_matplotlib()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _served_units(result: Result) -> Counter[str]:
    """Units served per need id."""
    return Counter(m.need_id for m in result.matches)


def _group_counts(result: Result, problem: Problem, key: str) -> dict[str, tuple[int, int]]:
    """``group -> (units served, units demanded)`` over the problem's needs."""
    served = _served_units(result)
    out: dict[str, list[int]] = {}
    for n in problem.needs:
        row = out.setdefault(getattr(n, key) or UNKNOWN, [0, 0])
        row[0] += min(served[n.id], n.demand)
        row[1] += n.demand
    return {k: (a, b) for k, (a, b) in out.items()}


def _unit_counts(result: Result, problem: Problem) -> dict[str, tuple[int, int]]:
    """``employer unit -> (volunteers serving, volunteers)`` over the problem's volunteers."""
    used = {m.volunteer_id for m in result.matches}
    out: dict[str, list[int]] = {}
    for v in problem.volunteers:
        row = out.setdefault(v.unit or UNKNOWN, [0, 0])
        row[0] += v.id in used
        row[1] += 1
    return {k: (a, b) for k, (a, b) in out.items()}


def _share_bars(
    ax: Axes,
    shares: Mapping[str, float],
    counts: Mapping[str, tuple[int, int]] | None,
    overall: float,
    title: str,
    xlabel: str,
    color: str,
) -> Axes:
    """Horizontal bars of shares (in %), labelled, with the overall share dashed."""
    names = list(shares)
    ax.set_title(f"{title} (overall {overall:.1%}, dashed)")
    ax.set_xlabel(xlabel)
    if not names:
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
        return ax
    values = [100.0 * shares[k] for k in names]
    bars = ax.barh(range(len(names)), values, color=color, height=0.7)
    labels = []
    for k in names:
        text = f"{shares[k]:.1%}"
        if counts is not None and k in counts:
            text += f" ({counts[k][0]}/{counts[k][1]})"
        labels.append(text)
    ax.bar_label(bars, labels=labels, padding=3, fontsize="small")
    ax.axvline(100.0 * overall, color="0.25", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(names)), labels=[_text(k) for k in names])
    ax.set_ylim(len(names) - 0.5, -0.5)  # first group on top
    ax.set_xlim(0, 130)  # room for the labels right of a full bar
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _text(name: str) -> str:
    """A name from the data as matplotlib text: a ``$`` would start mathtext."""
    return name.replace("$", r"\$")


def _bar_height(n: int) -> tuple[float, float]:
    return (7.0, max(2.0, 1.1 + 0.32 * n))


# --------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------


def plot_coverage_by_category(
    result: Result, problem: Problem | None = None, *, ax: Axes | None = None
) -> Axes:
    """Bar chart of coverage (units served / demanded) per category of need.

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        When given, each bar is also labelled with its units, served / demanded.
    ax : matplotlib Axes, optional
        Where to draw; by default a new pyplot figure.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per category (in % of the category's units, in the order of
        ``result.metrics.coverage_by_category``, first on top); the dashed line
        is the overall coverage.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v1", ["driving"], (31.230, 121.470))],
    ...             [Need("n1", "medical", ["driving"], (31.231, 121.471)),
    ...              Need("n2", "legal", ["legal"], (31.232, 121.470))])
    >>> ax = plot_coverage_by_category(solve(p), p)
    >>> [t.get_text() for t in ax.get_yticklabels()], [float(b.get_width()) for b in ax.patches]
    (['legal', 'medical'], [0.0, 100.0])
    >>> plt.close(ax.figure)
    """
    shares = result.metrics.coverage_by_category
    ax = _new_axes(ax, _bar_height(len(shares)))
    counts = None if problem is None else _group_counts(result, problem, "category")
    return _share_bars(
        ax,
        shares,
        counts,
        result.metrics.coverage,
        "Coverage by category",
        "units of need served (%)",
        BLUE,
    )


def plot_coverage_by_community(
    result: Result, problem: Problem | None = None, *, ax: Axes | None = None
) -> Axes:
    """Bar chart of coverage (units served / demanded) per community.

    Needs without a community are counted under ``"(unknown)"``.

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        When given, each bar is also labelled with its units, served / demanded.
    ax : matplotlib Axes, optional
        Where to draw; by default a new pyplot figure.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per community (in the order of
        ``result.metrics.coverage_by_community``, first on top); the dashed
        line is the overall coverage.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v1", ["driving"], (31.230, 121.470))],
    ...             [Need("n1", "medical", ["driving"], (31.231, 121.471), community="east"),
    ...              Need("n2", "medical", ["driving"], (31.232, 121.470), community="west")])
    >>> ax = Figure().add_subplot()
    >>> plot_coverage_by_community(solve(p), p, ax=ax) is ax
    True
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['east', 'west']
    """
    shares = result.metrics.coverage_by_community
    ax = _new_axes(ax, _bar_height(len(shares)))
    counts = None if problem is None else _group_counts(result, problem, "community")
    return _share_bars(
        ax,
        shares,
        counts,
        result.metrics.coverage,
        "Coverage by community",
        "units of need served (%)",
        BLUE,
    )


def plot_participation_by_unit(
    result: Result, problem: Problem | None = None, *, ax: Axes | None = None
) -> Axes:
    """Bar chart of participation (share of volunteers who serve) per employer unit.

    Volunteers without a unit (retirees, students, ...) are counted under
    ``"(unknown)"``.

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        When given, each bar is also labelled with its volunteers, serving / all.
    ax : matplotlib Axes, optional
        Where to draw; by default a new pyplot figure.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per unit (in the order of
        ``result.metrics.participation_by_unit``, first on top); the dashed
        line is the overall participation rate.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v1", ["driving"], (31.230, 121.470), unit="clinic"),
    ...              Volunteer("v2", ["driving"], (31.230, 121.470), unit="school")],
    ...             [Need("n1", "medical", ["driving"], (31.231, 121.471))])
    >>> ax = plot_participation_by_unit(solve(p), p, ax=Figure().add_subplot())
    >>> sorted(float(b.get_width()) for b in ax.patches)
    [0.0, 100.0]
    """
    shares = result.metrics.participation_by_unit
    ax = _new_axes(ax, _bar_height(len(shares)))
    counts = None if problem is None else _unit_counts(result, problem)
    return _share_bars(
        ax,
        shares,
        counts,
        result.metrics.participation_rate,
        "Participation by employer unit",
        "volunteers serving (%)",
        GREEN,
    )


def _loads(result: Result, problem: Problem | None) -> list[int]:
    """Needs given to each volunteer, over all volunteers (unused ones count 0)."""
    per = Counter(m.volunteer_id for m in result.matches)
    if problem is not None:
        ids = {v.id for v in problem.volunteers}
        # A volunteer of the result that the problem lacks (another problem's result) still counts.
        return [per.get(v.id, 0) for v in problem.volunteers] + [
            k for vid, k in per.items() if vid not in ids
        ]
    idle = max(result.metrics.volunteers - len(per), 0)
    return list(per.values()) + [0] * idle


def plot_load(result: Result, problem: Problem | None = None, *, ax: Axes | None = None) -> Axes:
    """Histogram of the load: how many volunteers serve 0, 1, 2, ... needs.

    Shows how the work is spread: a plan that gives many needs to a few
    members leaves the others out (``Policy.load_penalty`` spreads it). The
    title gives the participation rate.

    Parameters
    ----------
    result : Result
    problem : Problem, optional
        Not needed (the result counts its volunteers); when given, its
        volunteers are the ones counted.
    ax : matplotlib Axes, optional
        Where to draw; by default a new pyplot figure.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per load ``0 .. max_load`` (grey for 0: volunteers not
        serving), each labelled with its number of volunteers.

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from matcher import Need, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v1", ["driving"], (31.230, 121.470), capacity=2),
    ...              Volunteer("v2", ["cooking"], (31.230, 121.470))],
    ...             [Need("n1", "medical", ["driving"], (31.231, 121.471)),
    ...              Need("n2", "medical", ["driving"], (31.232, 121.470))])
    >>> ax = plot_load(solve(p), ax=Figure().add_subplot())
    >>> [int(b.get_height()) for b in ax.patches]
    [1, 0, 1]
    >>> ax.get_title()
    'Needs per volunteer: participation 50.0% (1 of 2 volunteers serve)'
    """
    m = result.metrics
    loads = _loads(result, problem)
    ax = _new_axes(ax, (7.0, 3.6))
    top = max(loads, default=0)
    hist = Counter(loads)
    ks = list(range(top + 1))
    heights = [hist.get(k, 0) for k in ks]
    colors = [GREY if k == 0 else BLUE for k in ks]
    bars = ax.bar(ks, heights, color=colors, width=0.7)
    ax.bar_label(bars, padding=2, fontsize="small")
    used = sum(1 for x in loads if x > 0)
    ax.set_title(
        f"Needs per volunteer: participation {m.participation_rate:.1%} "
        f"({used} of {len(loads)} volunteers serve)"
    )
    ax.set_xlabel("needs given to one volunteer")
    ax.set_ylabel("volunteers")
    ax.set_xticks(ks)
    ax.set_ylim(0, max(heights, default=0) * 1.15 + 1)
    ax.text(
        0.98,
        0.95,
        f"mean {m.mean_load:.2f}, max {m.max_load}, Gini {m.load_gini:.2f}",
        ha="right",
        va="top",
        transform=ax.transAxes,
        fontsize="small",
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def _xy(location: tuple[float, float], geo: bool) -> tuple[float, float]:
    """Map coordinates of a location: (lon, lat) for geo, (x, y) for plane."""
    return (location[1], location[0]) if geo else (location[0], location[1])


def plot_map(result: Result, problem: Problem | None = None, *, ax: Axes | None = None) -> Axes:
    """Map of volunteers, needs and the plan.

    Volunteers are small grey dots, fully served needs green circles, each
    chosen pair a thin line from volunteer to need; a need with units left
    unserved gets the marker of its reason (:data:`REASON_STYLES`). The
    legend counts each kind.

    Parameters
    ----------
    result : Result
    problem : Problem
        Required: the locations are in the problem, not in the result.
    ax : matplotlib Axes, optional
        Where to draw; by default a new pyplot figure.

    Returns
    -------
    matplotlib.axes.Axes
        With ``Policy.geometry == "plane"``: x and y in km, equal aspect.
        With ``"geo"``: longitude across, latitude up, with the aspect
        ``1 / cos(mean latitude)`` so that a km is as long both ways.

    Raises
    ------
    ValueError
        If *problem* is None.
    ImportError
        If matplotlib is not installed (``pip install "volunteer-matcher[report]"``).

    Notes
    -----
    Records of the result that the problem does not have (a result of
    another problem) are left out; :func:`matcher.verify` reports them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from matcher import Need, Policy, Problem, Volunteer, solve
    >>> p = Problem([Volunteer("v1", ["driving"], (0.0, 0.0))],
    ...             [Need("n1", "medical", ["driving"], (1.0, 0.5)),
    ...              Need("n2", "legal", ["legal"], (0.5, 1.0))], Policy(geometry="plane"))
    >>> ax = plot_map(solve(p), p, ax=Figure().add_subplot())
    >>> ax.get_legend_handles_labels()[1]
    ['volunteers (1)', 'pairs (1)', 'needs served (1)', 'unserved: no_skill (1)']
    """
    if problem is None:
        raise ValueError(
            "plot_map needs the problem: the locations of volunteers and needs are not in the result"
        )
    ax = _new_axes(ax, (9.0, 7.0))
    from matplotlib.collections import LineCollection

    geo = problem.policy.geometry == "geo"
    vols = {v.id: _xy(v.location, geo) for v in problem.volunteers}
    needs = {n.id: _xy(n.location, geo) for n in problem.needs}
    short = {u.need_id: u.reason for u in result.unmatched if u.need_id in needs}

    if vols:
        vx, vy = zip(*vols.values(), strict=True)
        ax.scatter(
            vx,
            vy,
            s=9,
            color="#555555",
            alpha=0.7,
            linewidths=0,
            label=f"volunteers ({len(vols)})",
            zorder=2,
        )
    pairs = [
        (vols[m.volunteer_id], needs[m.need_id])
        for m in result.matches
        if m.volunteer_id in vols and m.need_id in needs
    ]
    if pairs:
        lines = LineCollection(
            pairs, colors=BLUE, linewidths=0.6, alpha=0.6, zorder=1, label=f"pairs ({len(pairs)})"
        )
        ax.add_collection(lines)
    served = [p for nid, p in needs.items() if nid not in short]
    if served:
        sx, sy = zip(*served, strict=True)
        ax.scatter(
            sx,
            sy,
            s=22,
            marker="o",
            color=GREEN,
            edgecolors="white",
            linewidths=0.5,
            label=f"needs served ({len(served)})",
            zorder=3,
        )
    by_reason = Counter(short.values())
    known = [r for r in REASON_STYLES if r in by_reason]
    for reason in known + sorted(set(by_reason) - set(known)):
        marker, color = REASON_STYLES.get(reason, _OTHER_REASON)
        pts = [needs[nid] for nid, r in short.items() if r == reason]
        px, py = zip(*pts, strict=True)
        ax.scatter(
            px,
            py,
            s=46,
            marker=marker,
            color=color,
            edgecolors="black",
            linewidths=0.5,
            label=f"unserved: {_text(reason)} ({len(pts)})",
            zorder=4,
        )

    if geo:
        lats = [p[1] for p in (*vols.values(), *needs.values())]
        mean_lat = sum(lats) / len(lats) if lats else 0.0
        ax.set_aspect(1.0 / max(math.cos(math.radians(mean_lat)), 1e-3))
        ax.set_xlabel("longitude (°)")
        ax.set_ylabel("latitude (°)")
        ax.ticklabel_format(useOffset=False, style="plain")
    else:
        ax.set_aspect("equal")
        ax.set_xlabel("x (km)")
        ax.set_ylabel("y (km)")
    ax.autoscale_view()
    ax.set_title("Volunteers, needs and the plan")
    if vols or needs:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    return ax
