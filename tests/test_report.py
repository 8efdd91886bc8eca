"""Plots and the HTML report: what they draw, what the page says, and that a real browser shows it.

The last test opens the report in headless Chromium (Debian's ``chromium``;
``.ci/run`` installs it when it can) and keeps the screenshot at
``tests/artifacts/report.png``.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import matplotlib.image as mpimg
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from matcher import Need, Policy, Problem, Volunteer, solve, verify
from matcher import io as mio
from matcher.report import render_report, write_report
from matcher.report.html import plots
from matcher.result import REASONS
from matcher.synthetic import demo

SENTINEL = "SENTINEL-7c1f-phone-+86-138-0000"
ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "report.png"
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


def without_images(text):
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", text)


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
    hint = re.escape('pip install "matcher[report]"')
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
    assert "http://" not in page and "https://" not in page and 'src="//' not in page
    assert "http" not in without_images(page).lower()
    assert "@import" not in page and "url(" not in page
    parsed = Page(page)
    assert not [t for t, _ in parsed.tags if t in {"link", "iframe", "object", "embed"}]
    sources = [d["src"] for t, d in parsed.tags if "src" in d]
    assert len(sources) >= 5
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    for s in sources:  # each is a real PNG
        assert base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(d["href"].startswith("#") for t, d in parsed.tags if "href" in d)
    for t, d in parsed.tags:
        if t == "script":
            assert "src" not in d


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


def test_report_never_shows_users_own_fields(city, page):
    problem, _ = city
    assert problem.volunteers[0].extra["phone"] == SENTINEL  # the sentinel is in the input
    text = without_images(page)
    assert SENTINEL not in text
    assert "Member 0" not in text and "Resident 0" not in text  # the demo's names


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
    assert sum(1 for t, _ in parsed.tags if t == "img") == 4  # no map


def test_report_of_another_problem_shows_the_violations(city):
    _, result = city
    other = Problem([], [Need("n0001", "repair", [], (31.23, 121.47))])
    found = verify(other, result)
    assert found
    parsed = Page(render_report(result, other))
    assert parsed.text["verification"] == f"{len(found)} violations"
    assert "violations" in parsed.attrs


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


def test_cli_without_matplotlib_exits_1_and_says_how_to_install_it(files):
    out = files / "no-mpl.html"
    prelude = (
        "import sys; sys.modules['matplotlib'] = None; "
        "from matcher.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    proc = matcher_cli("report", "result.json", "--out", out.name, cwd=files, prelude=prelude)
    assert proc.returncode == 1
    assert 'pip install "matcher[report]"' in proc.stderr
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
            "(.ci/run installs it when run as root with a network: apt-get install chromium)"
        )
    return found


def test_headless_chromium_shows_the_report(city, tmp_path):
    browser = chromium()
    problem, result = city
    html_path = write_report(result, tmp_path / "report.html", problem, title="Demo, week 12")
    n_images = html_path.read_text(encoding="utf-8").count("<img ")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.unlink(missing_ok=True)
    base = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2400",
    ]
    url = html_path.as_uri()
    shot = subprocess.run(
        [*base, f"--screenshot={ARTIFACT}", url], capture_output=True, text=True, timeout=120
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    print(f"report screenshot: {ARTIFACT}")
    assert ARTIFACT.stat().st_size > 50_000
    pixels = mpimg.imread(ARTIFACT)[..., :3]
    assert pixels.shape[:2] == (2400, 1280)
    # The figures were decoded and drawn: the bars' blue (#0072B2) covers a real area.
    blue = (
        (abs(pixels[..., 0] - 0x00 / 255) < 0.05)
        & (abs(pixels[..., 1] - 0x72 / 255) < 0.05)
        & (abs(pixels[..., 2] - 0xB2 / 255) < 0.05)
    )
    assert blue.mean() > 0.005

    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = Page(dom.stdout)
    body = parsed.first("body")
    assert "data-error" not in body, body.get("data-error")
    assert body.get("data-ok") == "1"  # the inline script ran to its end
    assert body.get("data-images") == f"{n_images}/{n_images}"  # every figure decoded
    assert "hidden" not in parsed.attrs["unmatched-filter"]  # the script showed the filter
    for ident, value in headline(result).items():
        assert parsed.text[ident].strip() == value, ident
    assert parsed.text["verification"] == "proven optimal"
