"""The report's interactive map: its data (a JSON blob) and its controls (HTML).

The page draws the map itself, offline, with the small script
``static/map.js`` (no library): an inline SVG that pans (drag) and zooms (wheel,
+/- buttons, keys), layers that can be switched off (volunteers, pairs, needs
served, needs unserved by reason), a community filter, a scale bar in km, and
the ids, category, slot and partner of the point under the pointer (click to
keep it).

Coordinates are km: plane geometry as given; geo coordinates by an
equirectangular projection around the mean latitude and longitude of the
records (x east, y north), precise to well under a pixel at a community's
scale. Only the fields listed in :data:`VOLUNTEER_FIELDS` and
:data:`NEED_FIELDS` go into the page: never a record's ``extra`` (names,
phones, rooms).
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ..model import Problem
from ..model.rules import EARTH_RADIUS_KM
from ..result import REASONS, Result
from . import plots

__all__ = ["NEED_FIELDS", "VOLUNTEER_FIELDS", "map_data", "map_html", "script_json"]

VOLUNTEER_FIELDS = ("id", "x", "y", "community", "unit", "capacity", "layer")
"""The columns of a volunteer in the map's data (``community``: an index, -1 for none)."""

NEED_FIELDS = (
    "id",
    "x",
    "y",
    "community",
    "category",
    "slot",
    "building",
    "priority",
    "demand",
    "missing",
    "layer",
)
"""The columns of a need in the map's data (``layer``: index of its layer)."""

_DIGITS = 4  # km: 0.1 m
# The first layers, in this order (static/map.js knows PAIRS = 1); then one per reason.
_VOLUNTEERS, _PAIRS, _SERVED = 0, 1, 2


def _unit_shapes() -> dict[str, list[tuple[float, float]]]:
    """Marker outlines of radius about 1 (screen y down), by matplotlib marker code."""

    def ring(n: int, r: float, start: float) -> list[tuple[float, float]]:
        return [
            (r * math.cos(start + 2 * math.pi * i / n), r * math.sin(start + 2 * math.pi * i / n))
            for i in range(n)
        ]

    plus = [(-0.35, -1), (0.35, -1), (0.35, -0.35), (1, -0.35), (1, 0.35), (0.35, 0.35)]
    plus += [(0.35, 1), (-0.35, 1), (-0.35, 0.35), (-1, 0.35), (-1, -0.35), (-0.35, -0.35)]
    c = math.sqrt(0.5)
    star = [
        p
        for pair in zip(
            ring(5, 1.2, -math.pi / 2), ring(5, 0.5, -math.pi / 2 + math.pi / 5), strict=True
        )
        for p in pair
    ]
    return {
        "o": ring(24, 1.0, 0.0),
        "s": [(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)],
        "D": [(0, -1.15), (1.0, 0), (0, 1.15), (-1.0, 0)],
        "^": [(0, -1.15), (1.05, 0.75), (-1.05, 0.75)],
        "v": [(0, 1.15), (1.05, -0.75), (-1.05, -0.75)],
        "P": plus,
        "X": [(c * (x - y), c * (x + y)) for x, y in plus],
        "*": star,
        "h": ring(6, 1.05, -math.pi / 2),
    }


_SHAPES = _unit_shapes()


def _path(shape: str, radius: float) -> str:
    """SVG path data of *shape* scaled to *radius* px, centred on 0."""
    pts = _SHAPES.get(shape, _SHAPES["o"])
    return "M" + "L".join(f"{radius * x:.2f},{radius * y:.2f}" for x, y in pts) + "Z"


def _layers(result: Result, problem: Problem) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The map's layers, in drawing order, and the layer of each need id."""
    needs = {n.id for n in problem.needs}
    short = {u.need_id: u.reason for u in result.unmatched if u.need_id in needs}
    vols = {v.id for v in problem.volunteers}
    n_pairs = sum(1 for m in result.matches if m.volunteer_id in vols and m.need_id in needs)
    layers: list[dict[str, Any]] = [  # _VOLUNTEERS, _PAIRS, _SERVED
        _layer("volunteers", f"volunteers ({len(vols)})", "#555555", "o", 2.6, ""),
        {"key": "pairs", "label": f"pairs ({n_pairs})", "color": plots.BLUE},
        _layer(
            "served", f"needs served ({len(needs) - len(short)})", plots.GREEN, "o", 4.2, "#ffffff"
        ),
    ]
    by_reason = Counter(short.values())
    known = [r for r in plots.REASON_STYLES if r in by_reason]
    of_need: dict[str, int] = {}
    for reason in known + sorted(set(by_reason) - set(known)):
        marker, color = plots.REASON_STYLES.get(reason, plots._OTHER_REASON)
        label = f"unserved: {REASONS.get(reason, reason)} ({by_reason[reason]})"
        layer = _layer(f"reason:{reason}", label, color, marker, 6.5, "#000000")
        layer["reason"] = reason
        layer["text"] = REASONS.get(reason, reason)
        for nid, r in short.items():
            if r == reason:
                of_need[nid] = len(layers)
        layers.append(layer)
    return layers, of_need


def _layer(
    key: str, label: str, color: str, shape: str, radius: float, stroke: str
) -> dict[str, Any]:
    return {"key": key, "label": label, "color": color, "d": _path(shape, radius), "stroke": stroke}


def _projection(problem: Problem) -> tuple[dict[str, Any], dict[str, tuple[float, float]]]:
    """``(about the projection, km coordinates by "v:<id>" / "n:<id>")``."""
    locations = {f"v:{v.id}": v.location for v in problem.volunteers}
    locations.update({f"n:{n.id}": n.location for n in problem.needs})
    if problem.policy.geometry != "geo":
        xy = {k: (round(a, _DIGITS), round(b, _DIGITS)) for k, (a, b) in locations.items()}
        return {"geometry": "plane"}, xy
    count = max(len(locations), 1)
    lat0 = math.fsum(lat for lat, _ in locations.values()) / count
    lon0 = math.fsum(lon for _, lon in locations.values()) / count
    per_deg = math.radians(1.0) * EARTH_RADIUS_KM
    cos0 = math.cos(math.radians(lat0))
    xy = {
        k: (round((lon - lon0) * per_deg * cos0, _DIGITS), round((lat - lat0) * per_deg, _DIGITS))
        for k, (lat, lon) in locations.items()
    }
    return {"geometry": "geo", "origin": [round(lat0, 6), round(lon0, 6)]}, xy


def central_box(points: Sequence[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    """``(x0, x1, y0, y1)`` around the bulk of *points*, or None.

    None unless a few far records (a resident staying outside the area) make
    the whole map much larger than the area where nearly everything is.
    """
    if len(points) < 20:
        return None
    xs, ys = sorted(p[0] for p in points), sorted(p[1] for p in points)
    k = max(1, len(points) // 100)  # leave out the 1% furthest each way (at least one)
    x0, x1, y0, y1 = xs[k], xs[-1 - k], ys[k], ys[-1 - k]
    full = (xs[-1] - xs[0]) * (ys[-1] - ys[0])
    if full <= 0 or (x1 - x0) * (y1 - y0) > 0.25 * full:
        return None
    pad_x, pad_y = 0.08 * (x1 - x0) or 0.01, 0.08 * (y1 - y0) or 0.01
    return (
        round(x0 - pad_x, _DIGITS),
        round(x1 + pad_x, _DIGITS),
        round(y0 - pad_y, _DIGITS),
        round(y1 + pad_y, _DIGITS),
    )


def map_data(result: Result, problem: Problem) -> dict[str, Any]:
    """Everything the map's script draws, as plain JSON values (no ``extra`` field).

    Records of the result that the problem lacks (a result of another
    problem) are left out; :func:`matcher.verify` reports them.
    """
    about, xy = _projection(problem)
    layers, of_need = _layers(result, problem)
    named = [v.community for v in problem.volunteers] + [n.community for n in problem.needs]
    communities = sorted({c for c in named if c is not None})
    index = {c: i for i, c in enumerate(communities)}
    missing = {u.need_id: u.missing for u in result.unmatched}
    vol_rows = [
        [v.id, *xy[f"v:{v.id}"], index.get(v.community or "", -1), v.unit or "", v.capacity]
        + [_VOLUNTEERS]
        for v in problem.volunteers
    ]
    need_rows = [
        [
            *[n.id, *xy[f"n:{n.id}"], index.get(n.community or "", -1), n.category],
            *[n.slot or "", n.building or "", n.priority, n.demand],
            *[missing.get(n.id, 0), of_need.get(n.id, _SERVED)],
        ]
        for n in problem.needs
    ]
    v_at = {v.id: i for i, v in enumerate(problem.volunteers)}
    n_at = {n.id: i for i, n in enumerate(problem.needs)}
    pairs = [
        [v_at[m.volunteer_id], n_at[m.need_id], round(m.distance_km, 3)]
        for m in result.matches
        if m.volunteer_id in v_at and m.need_id in n_at
    ]
    view = central_box(list(xy.values()))
    return {
        **about,
        "communities": communities,
        "layers": layers,
        "volunteers": {"fields": list(VOLUNTEER_FIELDS), "rows": vol_rows},
        "needs": {"fields": list(NEED_FIELDS), "rows": need_rows},
        "pairs": pairs,
        "view": None if view is None else list(view),
    }


def script_json(value: object) -> str:
    r"""*value* as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` (only ever inside strings in JSON) are written as
    ``\u003c`` ..., so no text of the data can close the element (``</script>``)
    or open a comment (``<!--``); ``JSON.parse`` reads them back as they were.
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _swatch(layer: dict[str, Any]) -> str:
    """The small picture of a layer in the legend: its marker, or a line for the pairs."""
    if "d" not in layer:
        shape = f'<path d="M-7,5L7,-5" stroke="{layer["color"]}" stroke-width="1.6"/>'
    else:
        stroke = f' stroke="{layer["stroke"]}"' if layer["stroke"] else ""
        shape = f'<path d="{layer["d"]}" fill="{layer["color"]}"{stroke} stroke-width="0.6"/>'
    return f'<svg class="swatch" viewBox="-8 -8 16 16" aria-hidden="true">{shape}</svg>'


def _view_note(data: dict[str, Any], problem: Problem) -> str:
    """What the coordinates are, and, when the map opens on the central area, why."""
    if data["geometry"] == "geo":
        lat0, lon0 = data["origin"]
        note = (
            f"Distances in km east and north of the records' mean location ({lat0:.4f}, "
            f"{lon0:.4f}): an equirectangular projection around the mean latitude."
        )
    else:
        note = "Coordinates are the problem's x and y, in km."
    view = data["view"]
    if view is not None:
        x0, x1, y0, y1 = view
        rows = data["needs"]["rows"]
        inside = sum(1 for r in rows if x0 <= r[1] <= x1 and y0 <= r[2] <= y1)
        note += (
            " A few records lie far from the others: the map opens on the central area "
            f"({inside} of {len(problem.needs)} needs in view); “Whole area” shows them all."
        )
    return note


def map_html(result: Result, problem: Problem) -> str:
    """The map's section body: controls, the empty SVG the script fills, legend and data."""
    if not problem.volunteers and not problem.needs:
        return '<p class="muted" id="map-empty">Nothing to map: the problem has no records.</p>'
    data = map_data(result, problem)
    layers = data["layers"]
    legend = "\n".join(
        f'<label class="layer"><input type="checkbox" data-layer="{i}" checked>'
        f"{_swatch(layer)}<span>{_e(layer['label'])}</span></label>"
        for i, layer in enumerate(layers)
    )
    options = "".join(
        f'<option value="{i}">{_e(c)}</option>' for i, c in enumerate(data["communities"])
    )
    central = (
        '<button type="button" data-zoom="view">Central area</button>'
        if data["view"] is not None
        else ""
    )
    return f"""<div id="map" class="map" hidden>
<div class="map-bar">
<button type="button" data-zoom="in" aria-label="Zoom in" title="Zoom in (+)">+</button>
<button type="button" data-zoom="out" aria-label="Zoom out" title="Zoom out (-)">&minus;</button>
<button type="button" data-zoom="fit">Whole area</button>{central}
<label>Community <select id="map-community"><option value="">all communities</option>{options}</select></label>
</div>
<div class="map-body">
<svg id="map-svg" role="application" tabindex="0" aria-label="Map of volunteers, needs and pairs (arrows pan, + and - zoom)" aria-describedby="map-info"></svg>
<fieldset class="map-layers"><legend>Layers</legend>
{legend}
</fieldset>
</div>
<div id="map-info" class="map-info" aria-live="polite">Point at a volunteer or a need to see its id, category, slot and partner; click it to keep it (click the background to let go). Drag to pan; wheel, + and &minus; to zoom.</div>
<p class="note">{_e(_view_note(data, problem))}</p>
</div>
<noscript><p class="muted">The interactive map needs JavaScript.</p></noscript>
<script type="application/json" id="map-data">{script_json(data)}</script>"""
