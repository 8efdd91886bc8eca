"""The documentation is a test: every code block of README.md and docs/**/*.md runs.

(ARCHITECTURE.md and CONTRIBUTING.md, which the site includes, are held to the same rules.)

- ```python blocks of docs/**/*.md run here, each in a fresh namespace, in a temporary
  directory, and must print (README.md's run in test_readme.py);
- ```bash blocks of README.md and docs/**/*.md run here as one ``bash -e`` script each,
  in a temporary directory, with the ``matcher`` command of the running environment,
  and must exit 0. The two quickstart commands are the exception: they install the
  package, so they are checked as text (test_readme.py) and run by CI itself;
- any other fence is ```console (commands not run by the tests: installs, the
  Sphinx build, hour-long benchmarks) or ```text (output, formulas), or a MyST
  directive (```{include} ...);
- the API reference lists every public name, and the tables copied from the code
  match it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# README.md, the root pages the site includes (docs/architecture.md, docs/contributing.md)
# and the pages of docs/.
PAGES = [
    README,
    *(p for p in (ROOT / "ARCHITECTURE.md", ROOT / "CONTRIBUTING.md") if p.exists()),
    *sorted(
        p
        for p in DOCS.rglob("*.md")
        if not {"_build", "generated"} & set(p.relative_to(DOCS).parts)
    ),
]
QUICKSTART = ("pip install . && matcher demo", 'pip install ".[test]" && pytest')
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)
LANGUAGES = {"python", "bash", "console", "text"}


def fences(page: Path) -> list[tuple[str, int, str]]:
    """``(language, line, code)`` of every fenced block of *page*."""
    text = page.read_text(encoding="utf-8")
    return [
        (m.group(1).strip(), text.count("\n", 0, m.start()) + 1, m.group(2))
        for m in FENCE.finditer(text)
    ]


def blocks(lang: str, pages: list[Path]) -> list[pytest.param]:
    return [
        pytest.param(code, id=f"{page.relative_to(ROOT)}:{line}")
        for page in pages
        for language, line, code in fences(page)
        if language == lang
    ]


def test_pages_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/user-guide/cli.md", "docs/synthetic.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fence_is_run_or_marked_not_run(page):
    for language, line, _ in fences(page):
        assert language in LANGUAGES or language.startswith("{"), (
            f"{page.relative_to(ROOT)}:{line}: a ```{language or '(no language)'} block; use "
            "python or bash (run by the tests), console or text (not run)"
        )


def test_getting_started_has_the_quickstart_commands():
    codes = [c.strip() for lang, _, c in fences(DOCS / "getting-started.md") if lang == "bash"]
    assert codes == list(QUICKSTART)


# What some blocks promise in their comments, checked on what they print.
PROMISES = {
    "ProcessPoolExecutor": "True",
    "LocalCluster(": "True",
    "matcher.Planner(city": "engine 142 2 True",
    "print(matcher.verify(problem, result))  # []": "[]",
    "random.Random(1).shuffle": "True True",
    'Path("a.json").read_bytes() == Path("b.json").read_bytes()': "True",
}


@pytest.mark.parametrize("code", blocks("python", [p for p in PAGES if p != README]))
def test_python_blocks_run(code, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a block may write files: only here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        exec(compile(code, "<docs>", "exec"), {})
    # the docs show the current names, never a deprecated alias (matcher/_compat.py)
    assert not [
        w
        for w in caught
        if issubclass(w.category, DeprecationWarning) and "matcher" in str(w.message)
    ]
    out = capsys.readouterr().out
    assert out  # every example prints what it shows
    for marker, expected in PROMISES.items():
        if marker in code:
            assert expected in out.splitlines(), (marker, out)


@pytest.mark.parametrize("code", blocks("bash", PAGES))
def test_bash_blocks_run(code, tmp_path):
    if code.strip() in QUICKSTART:
        pytest.skip("a quickstart command: checked as text, run by CI (.ci/run)")
    bindir = Path(sys.executable).parent  # the `matcher` script of this environment
    assert (bindir / "matcher").exists()
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        ["bash", "-e", "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )


# --------------------------------------------------------------------------- links


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files(page):
    """A link to a file (README on GitHub, pages in Sphinx) names one that exists."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))  # links in prose, not in code
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        assert (page.parent / path).exists(), f"{page.relative_to(ROOT)}: {target}"


# --------------------------------------------------------------------------- reference


def reference_names(page: str) -> set[str]:
    """Fully qualified names listed in the autosummary directives of reference/*page*."""
    names: set[str] = set()
    module = None
    in_list = False
    for line in (DOCS / "reference" / page).read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\.\. currentmodule:: (\S+)", line.strip()):
            module = m.group(1)
        elif line.strip().startswith(".. autosummary::"):
            in_list = True
        elif in_list and re.match(r"\s+[A-Za-z_][\w.]*$", line):
            names.add(f"{module}.{line.strip()}")
        elif in_list and line.strip() and not line.strip().startswith(":"):
            in_list = False
    return names


@pytest.mark.parametrize(
    ("module", "page"),
    [
        ("matcher", "matcher.md"),
        ("matcher.io", "io.md"),
        ("matcher.synthetic", "synthetic.md"),
        ("matcher.limits", "limits.md"),
    ],
)
def test_reference_lists_every_public_name(module, page):
    import importlib

    mod = importlib.import_module(module)
    public = {f"{module}.{n}" for n in mod.__all__ if not n.startswith("__")}
    assert public <= reference_names(page)


def test_reference_lists_the_report_functions():
    import matcher.report

    functions = {
        f"matcher.report.{n}"
        for n in matcher.report.__all__
        if callable(getattr(matcher.report, n))
    }
    assert functions <= reference_names("report.md")
    assert {f"matcher.report.plot_{n}" for n in ("map", "load")} <= functions


def test_violation_table_is_the_code():
    from matcher.verify import VIOLATIONS

    text = (DOCS / "explanation" / "certificate.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*?) \|$", text, flags=re.M))
    assert rows == VIOLATIONS


def test_reason_table_is_the_code():
    from matcher.result import REASONS

    text = (DOCS / "explanation" / "reasons.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*?) \|$", text, flags=re.M))
    assert rows == REASONS
