"""Plots and the HTML report: what they draw, what the page says, and that a real browser shows it.

The last tests open the report in headless Chromium (Debian's ``chromium``, with a
Simplified Chinese font; ``.ci/run`` installs both when it can): the demo report,
whose screenshot is kept at ``tests/artifacts/report.png``, and a Chinese community's,
kept at ``tests/artifacts/report_zh.png``, where every label must be drawn as text
in real glyphs, not boxes; a probe script then pans, zooms and filters the map.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import warnings
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import matplotlib.image as mpimg
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from matcher import InputError, Need, Policy, Problem, Volunteer, gaps, solve, verify
from matcher import io as mio
from matcher.report import TRAINING_CANDIDATES, render_report, write_report
from matcher.report._map import NEED_FIELDS, VOLUNTEER_FIELDS, map_data
from matcher.report._svg import FIGURE_FONTS
from matcher.report._unmatched import explain
from matcher.report.html import plots
from matcher.result import FILTERS, REASONS, Unmatched
from matcher.synthetic import demo

SENTINEL = "SENTINEL-7c1f-phone-+86-138-0000"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARTIFACT = ARTIFACTS / "report.png"
ARTIFACT_ZH = ARTIFACTS / "report_zh.png"
ALL_PLOTS = [
    plots.plot_coverage_by_category,
    plots.plot_coverage_by_community,
    plots.plot_load,
    plots.plot_participation_by_unit,
    plots.plot_map,
]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with an id."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self._open: list[str | None] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.tags.append((tag, d))
        ident = d.get("id")
        if ident:
            self.attrs[ident] = d
        if tag in ("td", "th"):  # cells of a table read apart
            self.handle_data("\t")
        if tag in VOID:
            return
        self._open.append(ident)
        if ident:
            self.text[ident] = ""

    def handle_endtag(self, tag):
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            if ident:
                self.text[ident] += data

    def first(self, tag):
        return next(d for t, d in self.tags if t == tag)


def headline(result):
    """The headline numbers as the result says them, by element id."""
    m = result.metrics
    return {
        "coverage": f"{m.coverage:.1%}",
        "priority-coverage": f"{m.priority_coverage:.1%}",
        "participation": f"{m.participation_rate:.1%}",
        "mean-distance": f"{m.mean_distance_km:.2f} km",
        "volunteers-used": f"{m.volunteers_used} / {m.volunteers}",
        "units-served": f"{m.units_served} / {m.units_demanded}",
        "method": result.method,
        "status": result.status.value,
    }


def table_rows(page_text, table_id):
    """The body rows of the table *table_id*, each a list of cell texts (tags removed)."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page_text, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def map_blob(page_text):
    """The map's JSON data, read back as the page's script reads it."""
    found = re.search(
        r'<script type="application/json" id="map-data">(.*?)</script>', page_text, re.S
    )
    return json.loads(found.group(1))


# A Chinese community: categories, communities, units, buildings, skills and slots in Chinese.
ZH_COMMUNITIES = {
    "东湖社区": (30.552, 114.364),
    "西湖社区": (30.548, 114.340),
    "南山社区": (30.535, 114.355),
}
ZH_CATEGORIES = {
    "养老照护": {"护理": 2},
    "就医陪同": {"驾驶": 1},
    "助餐送餐": {"烹饪": 1},
    "心理疏导": {"心理咨询": 3},
}
ZH_UNITS = ["市医院", "第一中学", "区政府", "街道办"]
ZH_SLOTS = ["周六上午", "周六下午", "周日上午"]


def zh_problem():
    """36 volunteers and 49 needs in three communities of Wuhan; nobody does 心理咨询."""
    rnd = random.Random(13)
    names = list(ZH_COMMUNITIES)

    def near(c):
        lat, lon = ZH_COMMUNITIES[c]
        return (
            round(lat + rnd.uniform(-0.006, 0.006), 6),
            round(lon + rnd.uniform(-0.006, 0.006), 6),
        )

    vols = []
    for i in range(36):
        c = names[i % 3]
        skills = {"护理": rnd.randint(1, 3)} if i % 4 == 0 else {}
        skills.update({"驾驶": 1} if i % 3 == 1 else {"烹饪": 2})
        vols.append(
            Volunteer(
                f"志愿者{i:02d}",
                skills,
                near(c),
                capacity=1 + i % 2,
                slots=rnd.sample(ZH_SLOTS, 2),
                community=c,
                building=f"{c[:2]}{1 + i % 5}栋",
                unit=ZH_UNITS[i % 4],
                extra={"姓名": SENTINEL, "电话": SENTINEL},
            )
        )
    needs = []
    for j in range(48):
        c = names[j % 3]
        cat = list(ZH_CATEGORIES)[j % 4] if j % 9 else "养老照护"
        needs.append(
            Need(
                f"需求{j:02d}",
                cat,
                ZH_CATEGORIES[cat],
                near(c),
                slot=rnd.choice(ZH_SLOTS),
                priority=1 + j % 5,
                community=c,
                building=f"{c[:2]}{1 + j % 6}栋",
                extra={"姓名": SENTINEL},
            )
        )
    # far out of everyone's range
    needs.append(
        Need(
            "需求99",
            "就医陪同",
            {"驾驶": 1},
            (30.70, 114.60),
            community="东湖社区",
            building="市医院",
            priority=5,
            extra={"电话": SENTINEL},
        )
    )
    return Problem(vols, needs, Policy(max_distance_km=2.0))


@pytest.fixture(scope="module")
def city():
    """The demo community with a sentinel in every user field, and its plan."""
    com = demo()
    vols = [dataclasses.replace(v, extra={**v.extra, "phone": SENTINEL}) for v in com.volunteers]
    needs = [dataclasses.replace(n, extra={**n.extra, "phone": SENTINEL}) for n in com.needs]
    problem = Problem(vols, needs, com.policy)
    return problem, solve(problem)


@pytest.fixture(scope="module")
def page(city):
    problem, result = city
    return render_report(result, problem, title="Demo community, week 12")


@pytest.fixture(scope="module")
def zh_city():
    problem = zh_problem()
    return problem, solve(problem)


@pytest.fixture(scope="module")
def zh_page(zh_city):
    problem, result = zh_city
    return render_report(result, problem, title="东湖片区 第12周")


@pytest.fixture()
def axes():
    return Figure(layout="constrained").add_subplot()


# --------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------


@pytest.mark.parametrize("plot", ALL_PLOTS, ids=lambda f: f.__name__)
def test_plot_draws_on_the_given_axes(city, plot, axes):
    problem, result = city
    assert plot(result, problem, ax=axes) is axes
    assert axes.get_title()


@pytest.mark.parametrize("plot", ALL_PLOTS, ids=lambda f: f.__name__)
def test_plot_without_ax_makes_a_pyplot_figure(city, plot):
    matplotlib.use("Agg")  # headless; the report itself never touches pyplot
    import matplotlib.pyplot as plt

    problem, result = city
    ax = plot(result, problem)
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number in plt.get_fignums()
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize(
    ("plot", "metric"),
    [
        (plots.plot_coverage_by_category, "coverage_by_category"),
        (plots.plot_coverage_by_community, "coverage_by_community"),
        (plots.plot_participation_by_unit, "participation_by_unit"),
    ],
)
def test_bars_are_the_metrics(city, plot, metric, axes):
    problem, result = city
    shares = getattr(result.metrics, metric)
    plot(result, problem, ax=axes)
    assert [t.get_text() for t in axes.get_yticklabels()] == list(shares)
    assert [b.get_width() for b in axes.patches] == pytest.approx(
        [100 * s for s in shares.values()]
    )


def test_coverage_bars_say_units_served_of_demanded(city, axes):
    problem, result = city
    plots.plot_coverage_by_category(result, problem, ax=axes)
    labels = [t.get_text() for t in axes.texts]
    legal = [n for n in problem.needs if n.category == "legal"]
    served = sum(1 for m in result.matches if m.need_id in {n.id for n in legal})
    share = result.metrics.coverage_by_category["legal"]
    assert f"{share:.1%} ({served}/{sum(n.demand for n in legal)})" in labels


def test_load_histogram_counts_every_volunteer(city):
    problem, result = city
    m = result.metrics
    for given in (problem, None):  # the result alone knows how many volunteers there are
        ax = plots.plot_load(result, given, ax=Figure().add_subplot())
        heights = [int(b.get_height()) for b in ax.patches]
        assert sum(heights) == len(problem.volunteers)
        assert heights[0] == m.volunteers - m.volunteers_used
        assert len(heights) == m.max_load + 1
        assert f"participation {m.participation_rate:.1%}" in ax.get_title()


def test_map_geo_has_pairs_reasons_and_aspect(city, axes):
    problem, result = city
    plots.plot_map(result, problem, ax=axes)
    (lines,) = [c for c in axes.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) == len(result.matches)
    lats = [r.location[0] for r in (*problem.volunteers, *problem.needs)]
    mean_lat = sum(lats) / len(lats)
    assert axes.get_aspect() == pytest.approx(1 / math.cos(math.radians(mean_lat)))
    labels = axes.get_legend_handles_labels()[1]
    for reason in {u.reason for u in result.unmatched}:
        k = sum(1 for u in result.unmatched if u.reason == reason)
        assert f"unserved: {reason} ({k})" in labels
    assert f"volunteers ({len(problem.volunteers)})" in labels
    # Longitude across, latitude up: the first volunteer's dot is where (lon, lat) says.
    dots = axes.collections[0].get_offsets()
    v = problem.volunteers[0]
    assert tuple(dots[0]) == pytest.approx((v.location[1], v.location[0]))


def test_map_plane_is_in_km_with_equal_aspect(axes):
    p = Problem(
        [Volunteer("v1", ["driving"], (0.0, 0.0)), Volunteer("v2", ["driving"], (4.0, 1.0))],
        [
            Need("n1", "medical", ["driving"], (1.0, 0.5)),
            Need("n2", "legal", ["legal"], (0.5, 1.0)),
            Need("n3", "medical", ["driving"], (40.0, 0.0)),
        ],
        Policy(geometry="plane"),
    )
    r = solve(p)
    plots.plot_map(r, p, ax=axes)
    assert axes.get_aspect() == 1.0
    assert axes.get_xlabel() == "x (km)"
    assert axes.get_legend_handles_labels()[1] == [
        "volunteers (2)",
        "pairs (1)",
        "needs served (1)",
        "unserved: no_skill (1)",
        "unserved: out_of_range (1)",
    ]


def test_map_needs_the_problem(city):
    _, result = city
    with pytest.raises(ValueError, match="needs the problem"):
        plots.plot_map(result)


def test_missing_matplotlib_says_how_to_install_it(city, monkeypatch, tmp_path):
    problem, result = city
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    hint = re.escape('pip install "volunteer-matcher[report]"')
    with pytest.raises(ImportError, match=hint):
        plots.plot_load(result, ax=None)
    with pytest.raises(ImportError, match=hint):
        write_report(result, tmp_path / "r.html", problem)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# the HTML report
# --------------------------------------------------------------------------


def test_report_headline_numbers_are_the_results(city, page):
    problem, result = city
    parsed = Page(page)
    for ident, value in headline(result).items():
        assert parsed.text[ident].strip() == value, ident
    assert parsed.text["verification"] == "proven optimal"
    assert verify(problem, result) == []


def test_report_is_self_contained(page):
    assert "http" not in page.lower()  # no URL at all, not even an SVG namespace
    assert "@import" not in page and "url(" not in page.replace("url(#", "")
    parsed = Page(page)
    tags = [t for t, _ in parsed.tags]
    assert not {"link", "iframe", "object", "embed", "img"} & set(tags)
    assert not [d for t, d in parsed.tags if "src" in d]
    assert all(d["href"].startswith("#") for t, d in parsed.tags if "href" in d)
    # every url(#...) and href="#..." points into the page
    ids = [d["id"] for _, d in parsed.tags if d.get("id")]
    for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', page):
        assert ref in ids, ref
    figures = [d for t, d in parsed.tags if t == "svg" and d.get("class") == "figure"]
    assert len(figures) == 4
    assert all(d.get("viewbox") and d.get("aria-label") for d in figures)
    scripts = [d for t, d in parsed.tags if t == "script"]
    assert [d.get("type") for d in scripts] == ["application/json", None]


def test_report_ids_are_unique(page, zh_page):
    for text in (page, zh_page):
        ids = [d["id"] for _, d in Page(text).tags if d.get("id")]
        assert [k for k, n in Counter(ids).items() if n > 1] == []


def test_report_has_every_section_and_every_unmatched_need(city, page):
    problem, result = city
    parsed = Page(page)
    for section in ("coverage-section", "load-section", "units-section", "map-section"):
        assert section in parsed.attrs
    assert "map-missing" not in parsed.attrs
    table = parsed.text["unmatched-table"]
    for u in result.unmatched:
        assert f"\t{u.need_id}\t" in table
    for reason in {u.reason for u in result.unmatched}:
        assert REASONS[reason] in table
    for category in result.metrics.coverage_by_category:
        assert category in page


def test_report_never_shows_users_own_fields(city, page, zh_city, zh_page):
    problem, _ = city
    assert problem.volunteers[0].extra["phone"] == SENTINEL  # the sentinel is in the input
    assert SENTINEL not in page
    assert "Member 0" not in page and "Resident 0" not in page  # the demo's names
    assert zh_city[0].needs[-1].extra["电话"] == SENTINEL
    assert SENTINEL not in zh_page and "姓名" not in zh_page and "电话" not in zh_page
    blob = map_blob(zh_page)  # the map's data: only the listed fields
    assert blob["volunteers"]["fields"] == list(VOLUNTEER_FIELDS)
    assert blob["needs"]["fields"] == list(NEED_FIELDS)
    assert SENTINEL not in json.dumps(blob, ensure_ascii=False)


def test_report_escapes_every_text():
    nasty_id, nasty_cat = '<b>&"x', "<i>cat"
    p = Problem(
        [Volunteer("v1", ["driving"], (31.23, 121.47), unit='<u>"unit"', community="c&d")],
        [
            Need(nasty_id, nasty_cat, ["legal"], (31.231, 121.471), community="c&d"),
            Need("n2", "medical", ["driving"], (31.232, 121.47), community="x$y$z"),
        ],
    )
    text = render_report(solve(p), p, title='<script>alert("t")</script>')
    assert nasty_id not in text and nasty_cat not in text and '<u>"unit"' not in text
    assert "&lt;b&gt;&amp;&quot;x" in text
    assert "&lt;i&gt;cat" in text and "&lt;u&gt;&quot;unit&quot;" in text and "c&amp;d" in text
    assert '<script>alert("t")' not in text
    assert "<h1>&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;</h1>" in text
    tags = {t for t, _ in Page(text).tags}
    assert not tags & {"b", "i", "u"}
    parsed = Page(text)
    assert nasty_id in parsed.text["unmatched-table"]  # and it reads back as it was


def test_report_without_the_problem(city):
    _, result = city
    text = render_report(result)
    parsed = Page(text)
    for ident, value in headline(result).items():
        assert parsed.text[ident].strip() == value, ident
    assert parsed.text["verification"] == "not checked"
    assert "the map needs the problem files" in parsed.text["map-missing"].lower()
    assert sum(1 for t, d in parsed.tags if d.get("class") == "figure") == 4
    assert "map" not in parsed.attrs and "map-data" not in parsed.attrs  # no map
    assert "recommendations need the problem files" in parsed.text["training-missing"].lower()
    # the unmatched needs: id, units missing and why (the rest is in the problem)
    for row, u in zip(table_rows(text, "unmatched-table"), result.unmatched, strict=True):
        assert row[0] == u.need_id and row[1] == str(u.missing)
        assert row[2].startswith(REASONS[u.reason])


def test_report_of_other_data_says_so_in_words(city):
    _, result = city
    other = Problem([], [Need("n0001", "repair", [], (31.23, 121.47))])
    text = render_report(result, other)
    parsed = Page(text)
    assert parsed.text["verification"] == "other data"
    assert "this result was solved for other data: the volunteers differ" in text
    assert "violations" not in parsed.attrs
    assert "solved for other data" in parsed.text["training-missing"]


def test_report_of_another_problem_shows_the_violations(city):
    _, result = city
    result = dataclasses.replace(result, provenance=None)  # a file older than schema 4
    other = Problem([], [Need("n0001", "repair", [], (31.23, 121.47))])
    found = verify(other, result)
    assert found
    parsed = Page(render_report(result, other))
    assert parsed.text["verification"] == f"{len(found)} violations"
    assert "violations" in parsed.attrs
    assert "does not hold" in parsed.text["training-missing"]  # gaps is not asked


def test_report_is_deterministic(city, page):
    problem, result = city
    assert render_report(result, problem, title="Demo community, week 12") == page


def test_write_report_is_atomic(tmp_path):
    problem = Problem([], [Need("n1", "repair", ["repair"], (31.23, 121.47))])
    result = solve(problem)
    target = tmp_path / "report.html"
    target.write_text("old")
    assert write_report(result, target, problem) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left
    missing = tmp_path / "no-such-dir" / "report.html"
    with pytest.raises(OSError, match="no-such-dir"):
        write_report(result, missing, problem)


def test_report_is_the_same_whatever_the_users_matplotlib_style(city, page):
    problem, result = city
    mine = {"font.size": 17, "svg.fonttype": "path", "svg.hashsalt": None, "axes.grid": True}
    with matplotlib.rc_context(mine):
        assert render_report(result, problem, title="Demo community, week 12") == page


def test_report_is_the_same_in_another_process(zh_page, tmp_path):
    code = (
        "import sys, tests.test_report as t; from matcher import solve; "
        "from matcher.report import render_report; p = t.zh_problem(); "
        "sys.stdout.buffer.write(render_report(solve(p), p, title='东湖片区 第12周').encode())"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, timeout=300
    )
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    assert out.stdout.decode("utf-8") == zh_page


# --------------------------------------------------------------------------
# any language: figures as SVG whose text is text
# --------------------------------------------------------------------------


def test_chinese_labels_are_svg_text(zh_city, zh_page):
    problem, result = zh_city
    texts = [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", zh_page)]
    labels = {*result.metrics.coverage_by_category, *result.metrics.coverage_by_community}
    labels |= set(result.metrics.participation_by_unit)
    assert labels >= {"养老照护", "就医陪同", "东湖社区", "市医院"}
    assert labels <= set(texts)
    # the page names the fonts; matplotlib did not turn the text into paths or glyph defs
    assert f'svg.figure text {{ font-family: "{FIGURE_FONTS[0]}"' in zh_page
    assert "DejaVuSans-" not in zh_page and "<image" not in zh_page


def test_chinese_labels_raise_no_glyph_warning(zh_city):
    problem, result = zh_city
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_report(result, problem)
    said = [str(w.message) for w in caught]
    assert not [m for m in said if "Glyph" in m or "missing from font" in m], said[:3]


def test_figure_text_is_escaped_and_ids_are_prefixed():
    p = Problem(
        [Volunteer("v1", ["driving"], (31.23, 121.47), unit='u id="x"')],
        [Need("n1", '<b>cat</b> & "q"', ["driving"], (31.231, 121.471))],
    )
    text = render_report(solve(p), p)
    assert "&lt;b&gt;cat&lt;/b&gt; &amp;" in text and "<b>cat" not in text
    assert 'u id="x"</text>' in text  # a quote in text content is left as it was
    assert re.search(r'<g id="coverage-by-category-figure_1">', text)
    assert re.search(r'<g id="load-figure_1">', text)


# --------------------------------------------------------------------------
# unmatched needs and training
# --------------------------------------------------------------------------


def test_explain_says_the_reason_and_the_filters_in_words():
    assert explain(Unmatched("n", 1, "taken", (16, 13, 2, 2, 2))) == (
        REASONS["taken"],
        "volunteers left by each filter: 16 with the skills, 13 within range, "
        "2 free in the slot, 2 in the community, 2 available",
    )
    assert explain(Unmatched("n", 2, "no_skill", (0, 0, 0, 0, 0)))[1] == (
        "volunteers left by each filter: 0 with the skills"
    )
    assert explain(Unmatched("n", 1, "no_slot", ())) == (REASONS["no_slot"], "")
    assert len(FILTERS) == 5


def test_unmatched_table_shows_slot_skills_building_and_why(zh_city, zh_page):
    problem, result = zh_city
    needs = {n.id: n for n in problem.needs}
    head = re.search(r'<table id="unmatched-table">\s*<thead><tr>(.*?)</tr>', zh_page).group(1)
    assert re.findall(r"<th[^>]*>([^<]*)</th>", head) == [
        "need", "category", "priority", "slot", "required skills (level)",
        "community", "building", "missing", "why",
    ]  # fmt: skip
    rows = table_rows(zh_page, "unmatched-table")
    assert len(rows) == len(result.unmatched)
    by_id = {u.need_id: u for u in result.unmatched}
    priorities = [needs[r[0]].priority for r in rows]
    assert priorities == sorted(priorities, reverse=True)  # the most urgent first
    for need_id, category, priority, slot, skills, community, building, missing, why in rows:
        n, u = needs[need_id], by_id[need_id]
        assert (category, priority, community, building) == (
            n.category, str(n.priority), n.community, n.building,
        )  # fmt: skip
        assert slot == (n.slot or "any") and missing == str(u.missing)
        assert skills == ", ".join(f"{k} ({v})" for k, v in sorted(n.skills.items()))
        reason, left = explain(u)
        assert why == f"{reason} {left}"
    assert any(r[4] == "心理咨询 (3)" and r[8].startswith(REASONS["no_skill"]) for r in rows)


def test_training_section_is_gaps_ranked_recommendations(city, page):
    problem, result = city
    found = gaps(problem, result, max_candidates=TRAINING_CANDIDATES)
    assert found.recommendations  # the demo has some
    rows = table_rows(page, "training-table")
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (str(i), f"{r.skill} ({r.level})", r.place, ", ".join(r.members))
        for i, r in enumerate(found.recommendations, 1)
    ]
    assert [r[5] for r in rows] == [f"+{r.priority_gained}" for r in found.recommendations]
    note = Page(page).text["training-note"]
    assert f"max_candidates={TRAINING_CANDIDATES}" in note
    assert f"at most {TRAINING_CANDIDATES} ({found.evaluated} here)" in note
    assert len(table_rows(page, "missing-table")) == min(len(found.missing), 20)


def test_training_can_be_capped_or_left_out(city):
    problem, result = city
    text = render_report(result, problem, training_candidates=2)
    assert "max_candidates=2" in Page(text).text["training-note"]
    found = gaps(problem, result, max_candidates=2)
    assert len(table_rows(text, "training-table")) == len(found.recommendations) <= 2
    none = Page(render_report(result, problem, training_candidates=0))
    assert "training_candidates=0" in none.text["training-missing"]
    for bad in (-1, True, "3", 2.0):
        with pytest.raises(InputError, match="training_candidates"):
            render_report(result, problem, training_candidates=bad)


def test_training_says_why_when_gaps_cannot_solve_it():
    # a team (Need.group) needs method milp; gaps solves with flow, which cannot express it
    p = Problem(
        [Volunteer("v1", ["nursing"], (0.0, 0.0))],
        [
            Need("n1", "care", ["nursing"], (0.5, 0.0), group="g"),
            Need("n2", "care", ["driving"], (0.5, 0.0), group="g"),
        ],
        Policy(geometry="plane"),
    )
    parsed = Page(render_report(solve(p), p))
    assert parsed.text["training-missing"].startswith("Not computed")


# --------------------------------------------------------------------------
# the interactive map
# --------------------------------------------------------------------------


def test_map_data_is_the_plan_in_km(zh_city, zh_page):
    problem, result = zh_city
    data = map_blob(zh_page)
    assert data == json.loads(json.dumps(map_data(result, problem), ensure_ascii=False))
    vols = [
        dict(zip(data["volunteers"]["fields"], r, strict=True)) for r in data["volunteers"]["rows"]
    ]
    needs = [dict(zip(data["needs"]["fields"], r, strict=True)) for r in data["needs"]["rows"]]
    assert [v["id"] for v in vols] == [v.id for v in problem.volunteers]
    assert [n["id"] for n in needs] == [n.id for n in problem.needs]
    assert data["communities"] == sorted(ZH_COMMUNITIES)
    # equirectangular km around the mean latitude: pair lengths are the haversine distances
    by_pair = {(m.volunteer_id, m.need_id): m.distance_km for m in result.matches}
    assert len(data["pairs"]) == len(result.matches)
    for vi, ni, km in data["pairs"]:
        v, n = vols[vi], needs[ni]
        true = by_pair[(v["id"], n["id"])]
        assert km == round(true, 3)
        assert math.dist((v["x"], v["y"]), (n["x"], n["y"])) == pytest.approx(
            true, rel=2e-3, abs=1e-3
        )
    # layers: volunteers, pairs, needs served, then one per reason, counted
    labels = [layer["label"] for layer in data["layers"]]
    assert labels[:3] == [
        f"volunteers ({len(vols)})", f"pairs ({len(result.matches)})",
        f"needs served ({len(needs) - len(result.unmatched)})",
    ]  # fmt: skip
    reasons = Counter(u.reason for u in result.unmatched)
    assert sorted(labels[3:]) == sorted(f"unserved: {REASONS[r]} ({k})" for r, k in reasons.items())
    unserved = {u.need_id: u.reason for u in result.unmatched}
    for n in needs:
        layer = data["layers"][n["layer"]]
        assert layer.get("reason") == unserved.get(n["id"]) and n["missing"] == (
            n["id"] in unserved
        )
    # the far need: the map opens on the central area, the whole area is a button away
    assert data["view"] is not None and "Central area" in zh_page
    x0, x1, y0, y1 = data["view"]
    assert not (x0 <= needs[-1]["x"] <= x1 and y0 <= needs[-1]["y"] <= y1)


def test_map_in_plane_geometry_is_the_coordinates():
    p = Problem(
        [Volunteer("v1", ["driving"], (0.0, 0.0)), Volunteer("v2", ["driving"], (4.0, 1.0))],
        [
            Need("n1", "medical", ["driving"], (1.0, 0.5)),
            Need("n2", "legal", ["legal"], (0.5, 1.0)),
        ],
        Policy(geometry="plane"),
    )
    data = map_data(solve(p), p)
    assert data["geometry"] == "plane" and "origin" not in data and data["view"] is None
    assert [r[1:3] for r in data["volunteers"]["rows"]] == [[0.0, 0.0], [4.0, 1.0]]
    assert "x and y, in km" in render_report(solve(p), p)


def test_map_json_cannot_end_its_script_element():
    evil = "</script><script>document.title='x'</script><!--"
    p = Problem(
        [Volunteer("v1", ["driving"], (31.23, 121.47), unit=evil, community=evil)],
        [Need(evil, evil, ["legal"], (31.231, 121.471), community=evil, building="&amp;")],
    )
    text = render_report(solve(p), p)
    assert evil not in text and "</script><script>" not in text
    data = map_blob(text)
    assert data["needs"]["rows"][0][0] == evil and data["communities"] == [evil]
    assert data["needs"]["rows"][0][NEED_FIELDS.index("building")] == "&amp;"
    assert sum(1 for t, _ in Page(text).tags if t == "script") == 2


def test_map_controls_list_layers_and_communities(zh_city, zh_page):
    parsed = Page(zh_page)
    assert "hidden" in parsed.attrs["map"]  # until the script shows it
    boxes = [d for t, d in parsed.tags if t == "input" and "data-layer" in d]
    assert len(boxes) == len(map_blob(zh_page)["layers"])
    options = re.search(r'<select id="map-community">(.*?)</select>', zh_page).group(1)
    assert re.findall(r">([^<]+)</option>", options) == ["all communities", *sorted(ZH_COMMUNITIES)]
    for what in ('data-zoom="in"', 'data-zoom="out"', 'data-zoom="fit"'):
        assert what in zh_page


def test_static_files_are_package_data_and_go_nowhere():
    root = Path(__file__).resolve().parents[1]
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    static = root / "matcher" / "report" / "static"
    for name in ("report.css", "report.js", "map.js"):
        text = (static / name).read_text(encoding="utf-8")
        assert "http" not in text and "</script" not in text.lower() and "fetch(" not in text
        assert f"report/static/*{Path(name).suffix}" in pyproject


# --------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------


def matcher_cli(*args, cwd=None, prelude=None):
    code = ["-m", "matcher"] if prelude is None else ["-c", prelude]
    return subprocess.run(
        [sys.executable, *code, *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


@pytest.fixture(scope="module")
def files(city, tmp_path_factory):
    problem, result = city
    d = tmp_path_factory.mktemp("report_cli")
    mio.write_json(problem, d / "problem.json")
    mio.write_json(result, d / "result.json")
    return d


def test_cli_writes_the_report(city, files):
    _, result = city
    out = files / "from-problem.html"
    proc = matcher_cli(
        "report", "result.json", "--out", out.name, "--problem", "problem.json", cwd=files
    )
    assert proc.returncode == 0, proc.stderr
    assert out.name in proc.stdout
    parsed = Page(out.read_text(encoding="utf-8"))
    for ident, value in headline(result).items():
        assert parsed.text[ident].strip() == value, ident
    assert parsed.text["verification"] == "proven optimal"
    assert SENTINEL not in out.read_text(encoding="utf-8")


def test_cli_reads_csv_files_and_never_prints_their_own_columns(tmp_path):
    p = Problem(
        [Volunteer("v1", {"driving": 2}, (31.23, 121.47), extra={"phone": SENTINEL})],
        [
            Need("n1", "medical", ["driving"], (31.231, 121.471), extra={"name": SENTINEL}),
            Need("n2", "legal", ["legal"], (31.232, 121.47), extra={"name": SENTINEL}),
        ],
    )
    mio.write_volunteers_csv(p.volunteers, tmp_path / "v.csv")
    mio.write_needs_csv(p.needs, tmp_path / "n.csv")
    assert SENTINEL in (tmp_path / "v.csv").read_text(encoding="utf-8")
    mio.write_json(solve(p), tmp_path / "r.json")
    proc = matcher_cli(
        "report",
        "r.json",
        "--out",
        "r.html",
        "--volunteers",
        "v.csv",
        "--needs",
        "n.csv",
        "--title",
        "Week <12>",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert SENTINEL not in text and SENTINEL not in proc.stdout + proc.stderr
    assert "<h1>Week &lt;12&gt;</h1>" in text
    assert Page(text).text["verification"] == "proven optimal"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["broken.json", "--problem", "problem.json"], "broken.json"),
        (["missing.json"], "missing.json"),
        (["result.json", "--problem", "problem.json", "--needs", "n.csv"], "--problem"),
        (["result.json", "--volunteers", "problem.json"], "volunteers/needs"),
    ],
    ids=["malformed-result", "missing-result", "problem-and-csv", "volunteers-without-needs"],
)
def test_cli_bad_input_exits_2_and_writes_nothing(files, args, says):
    (files / "broken.json").write_text('{"schema_version": 2, "status": ', encoding="utf-8")
    out = files / "bad.html"
    proc = matcher_cli("report", *args, "--out", out.name, cwd=files)
    assert proc.returncode == 2, proc.stderr
    assert says in proc.stderr
    assert not out.exists()


def test_cli_without_matplotlib_exits_2_and_says_how_to_install_it(files):
    out = files / "no-mpl.html"
    prelude = (
        "import sys; sys.modules['matplotlib'] = None; "
        "from matcher.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = matcher_cli("report", "result.json", "--out", out.name, cwd=files, prelude=prelude)
    assert proc.returncode == 2  # a missing extra: exit 2 with the install command
    assert 'pip install "volunteer-matcher[report]"' in proc.stderr
    assert not out.exists()


def test_cli_help_has_an_example():
    proc = matcher_cli("report", "--help")
    assert proc.returncode == 0
    assert "Examples: matcher report result.json --out report.html" in proc.stdout


# --------------------------------------------------------------------------
# a real browser
# --------------------------------------------------------------------------


def chromium():
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        pytest.skip(
            "headless-browser test skipped: Debian's `chromium` is not installed "
            "(.ci/run installs it when run as root with a network: "
            "apt-get install chromium fonts-wqy-microhei)"
        )
    return found


def browse(url, profile, *args, size=(1280, 2400)):
    """Run headless Chromium on *url* (a fresh profile, no network of its own); its stdout."""
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--mute-audio",
        f"--user-data-dir={profile}",
        f"--window-size={size[0]},{size[1]}",
        *args,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(url, profile, size=(1280, 2400)):
    """The DOM after the page's scripts ran (timers too, on virtual time)."""
    return Page(browse(url, profile, "--virtual-time-budget=10000", "--dump-dom", size=size))


def test_headless_chromium_shows_the_report(city, tmp_path):
    problem, result = city
    html_path = write_report(result, tmp_path / "report.html", problem, title="Demo, week 12")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.unlink(missing_ok=True)
    url = html_path.as_uri()
    browse(url, tmp_path / "profile", f"--screenshot={ARTIFACT}")
    print(f"report screenshot: {ARTIFACT}")
    assert ARTIFACT.stat().st_size > 50_000
    pixels = mpimg.imread(ARTIFACT)[..., :3]
    assert pixels.shape[:2] == (2400, 1280)
    # The figures were drawn: the bars' blue (#0072B2) covers a real area.
    blue = (
        (abs(pixels[..., 0] - 0x00 / 255) < 0.05)
        & (abs(pixels[..., 1] - 0x72 / 255) < 0.05)
        & (abs(pixels[..., 2] - 0xB2 / 255) < 0.05)
    )
    assert blue.mean() > 0.005

    parsed = dump_dom(url, tmp_path / "profile")
    body = parsed.first("body")
    assert "data-error" not in body, body.get("data-error")
    assert body.get("data-ok") == "1"  # the inline script ran to its end
    assert body.get("data-figures") == "4"
    assert "hidden" not in parsed.attrs["unmatched-filter"]  # the script showed the filter
    n_records = len(problem.volunteers) + len(problem.needs)
    the_map = parsed.attrs["map"]
    assert "hidden" not in the_map and the_map.get("data-ready") == "1"
    assert the_map.get("data-marks") == str(n_records)
    for ident, value in headline(result).items():
        assert parsed.text[ident].strip() == value, ident
    assert parsed.text["verification"] == "proven optimal"


def test_headless_chromium_draws_chinese_labels_as_text(zh_city, tmp_path):
    problem, result = zh_city
    html_path = write_report(result, tmp_path / "report_zh.html", problem, title="东湖片区 第12周")
    url = html_path.as_uri()
    ARTIFACT_ZH.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT_ZH.unlink(missing_ok=True)
    browse(url, tmp_path / "profile", f"--screenshot={ARTIFACT_ZH}", size=(1280, 4400))
    print(f"Chinese report screenshot: {ARTIFACT_ZH}")
    assert mpimg.imread(ARTIFACT_ZH).shape[:2] == (4400, 1280)

    dom = browse(url, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom")
    parsed = Page(dom)
    body = parsed.first("body")
    assert "data-error" not in body, body.get("data-error")
    assert body.get("data-ok") == "1" and body.get("data-figures") == "4"
    # After the scripts, the labels are still SVG <text> in the figures, in Chinese.
    figures = re.findall(r'<svg class="figure".*?</svg>', dom, re.S)
    assert len(figures) == 4
    texts = {
        html.unescape(t) for f in figures for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", f)
    }
    assert {"养老照护", "就医陪同", "助餐送餐", "心理疏导"} <= texts
    assert set(ZH_COMMUNITIES) <= texts and set(ZH_UNITS) <= texts
    # The map's script filled the SVG: one mark per record, the pairs, a scale bar in km.
    the_map = parsed.attrs["map"]
    assert "hidden" not in the_map and the_map.get("data-ready") == "1"
    n_records = len(problem.volunteers) + len(problem.needs)
    svg = re.search(r'<svg id="map-svg".*?</svg>', dom, re.S).group(0)
    assert len(re.findall(r'<path class="mk"', svg)) == n_records == int(the_map["data-marks"])
    ids = {html.unescape(i) for i in re.findall(r'data-id="([^"]*)"', svg)}
    assert ids == {r.id for r in (*problem.volunteers, *problem.needs)}
    pairs = re.search(r'<path class="map-pairs"[^>]*\bd="([^"]*)"', svg).group(1)
    assert pairs.count("M") == len(result.matches)
    assert re.search(r"<text[^>]*>\d+(\.\d+)? k?m</text>", svg)
    assert SENTINEL not in dom


def test_chinese_glyphs_are_drawn_not_boxes(zh_city, tmp_path):
    """The labels' characters, in the figures' fonts, against characters no font has (boxes)."""
    problem, result = zh_city
    labels = "".join([*ZH_CATEGORIES, *ZH_COMMUNITIES, *ZH_UNITS])
    chars = sorted(set(labels))
    boxes = ["\uffff", "\u0378", "\u0379"]  # a noncharacter and unassigned: drawn as boxes
    fonts = ", ".join(f'"{f}"' for f in FIGURE_FONTS) + ", sans-serif"
    cell, per_row = 72, 12
    cells = "".join(
        f'<div style="position:absolute;left:{(i % per_row) * cell}px;top:{(i // per_row) * cell}px;'
        f'width:{cell}px;height:{cell}px;font-size:54px;line-height:{cell}px;text-align:center">'
        f"&#{ord(c)};</div>"
        for i, c in enumerate(chars + boxes)
    )
    page = tmp_path / "glyphs.html"
    page.write_text(
        '<!DOCTYPE html><meta charset="utf-8"><body style="margin:0;background:#fff;color:#000;'
        f'font-family:{fonts}">{cells}</body>',
        encoding="utf-8",
    )
    shot = tmp_path / "glyphs.png"
    rows = (len(chars) + len(boxes) + per_row - 1) // per_row
    browse(
        page.as_uri(),
        tmp_path / "profile",
        f"--screenshot={shot}",
        size=(cell * per_row, cell * rows),
    )
    grey = mpimg.imread(shot)[..., :3].mean(axis=2)
    ink = [
        1.0
        - grey[
            (i // per_row) * cell : (i // per_row + 1) * cell,
            (i % per_row) * cell : (i % per_row + 1) * cell,
        ]
        for i in range(len(chars) + len(boxes))
    ]
    glyphs, tofu = ink[: len(chars)], ink[len(chars) :]

    def differ(a, b):
        return float(abs(a - b).mean())

    # the method sees boxes as boxes: the reference characters all look alike
    assert max(differ(tofu[0], t) for t in tofu[1:]) < 0.01
    for c, g in zip(chars, glyphs, strict=True):
        assert g.mean() > 0.03, f"{c!r} drew nothing"
        assert differ(g, tofu[0]) > 0.03, f"{c!r} is drawn as a box: no Chinese font?"
    # and every character has its own shape (boxes would all be the same)
    close = [
        (chars[i], chars[j])
        for i in range(len(chars))
        for j in range(i + 1, len(chars))
        if differ(glyphs[i], glyphs[j]) < 0.02
    ]
    assert close == []


PROBE = r"""
window.addEventListener("load", function () {
  var out = {}, svg = document.getElementById("map-svg"), holder = document.getElementById("map");
  var info = document.getElementById("map-info");
  var first = svg.querySelector(".mk");
  function later(f) { setTimeout(f, 150); }
  function at() { return first.getAttribute("transform"); }
  function km() { return Number(svg.querySelector(".map-scale").dataset.km); }
  function pointer(node, type, x, y) {
    node.dispatchEvent(new PointerEvent(type, { pointerId: 7, clientX: x, clientY: y, bubbles: true }));
  }
  out.start = [at(), km(), Number(holder.dataset.shown)];
  document.querySelector('button[data-zoom="in"]').click();
  later(function () {
    out.zoomIn = [at(), km()];
    var r = svg.getBoundingClientRect();
    svg.dispatchEvent(new WheelEvent("wheel", { deltaY: 600, clientX: r.left + 50,
      clientY: r.top + 50, bubbles: true, cancelable: true }));
    later(function () {
      out.wheelOut = [at(), km()];
      pointer(svg, "pointerdown", 300, 300);
      pointer(svg, "pointermove", 340, 330);
      pointer(svg, "pointerup", 340, 330);
      later(function () {
        out.dragged = at();
        var need = svg.querySelector('.mk[data-kind="need"]');
        pointer(need, "pointermove", 0, 0);
        out.hover = info.textContent;
        pointer(need, "pointerdown", 0, 0);
        pointer(need, "pointerup", 0, 0);
        svg.dispatchEvent(new PointerEvent("pointerleave", { pointerId: 7 }));
        out.pinned = info.textContent;
        out.needId = need.dataset.id;
        var volunteers = document.querySelector('input[data-layer="0"]');
        volunteers.click();
        later(function () {
          out.withoutVolunteers = Number(holder.dataset.shown);
          volunteers.click();
          var select = document.getElementById("map-community");
          select.value = "0";
          select.dispatchEvent(new Event("change"));
          later(function () {
            out.oneCommunity = Number(holder.dataset.shown);
            document.querySelector('button[data-zoom="fit"]').click();
            document.body.dataset.probe = JSON.stringify(out);
          });
        });
      });
    });
  });
});
"""


def test_map_pans_zooms_and_filters_in_headless_chromium(zh_city, tmp_path):
    problem, result = zh_city
    text = render_report(result, problem)
    page = tmp_path / "probe.html"
    page.write_text(text.replace("</body>", f"<script>{PROBE}</script>\n</body>"), encoding="utf-8")
    parsed = dump_dom(page.as_uri(), tmp_path / "profile")
    body = parsed.first("body")
    assert "data-error" not in body, body.get("data-error")
    out = json.loads(body["data-probe"])
    n_vol, n_need = len(problem.volunteers), len(problem.needs)
    transform, km0, shown = out["start"]
    assert shown == n_vol + n_need
    assert out["zoomIn"][0] != transform and out["zoomIn"][1] < km0  # the + button
    assert out["wheelOut"][1] > out["zoomIn"][1]  # the wheel, outwards
    x, y = map(float, re.findall(r"-?[\d.]+", out["wheelOut"][0]))
    dx, dy = map(float, re.findall(r"-?[\d.]+", out["dragged"]))
    assert (dx - x, dy - y) == pytest.approx((40, 30), abs=0.2)  # a drag pans with the pointer
    need = next(n for n in problem.needs if n.id == out["needId"])
    for said in (out["hover"], out["pinned"]):  # hover shows it; a click keeps it shown
        assert f"Need {need.id}" in said and f"category {need.category}" in said
        assert f"slot {need.slot or 'any'}" in said and f"community {need.community}" in said
    partners = [m.volunteer_id for m in result.matches if m.need_id == need.id]
    assert all(v in out["pinned"] for v in partners)
    assert (
        ("served by " + partners[0]) in out["pinned"]
        if partners
        else "served by no one" in out["pinned"]
    )
    assert out["withoutVolunteers"] == n_need  # the volunteers' layer switched off
    first = sorted(ZH_COMMUNITIES)[0]
    in_first = sum(1 for r in (*problem.volunteers, *problem.needs) if r.community == first)
    assert out["oneCommunity"] == in_first  # the community filter
