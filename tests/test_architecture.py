"""The house rules, checked: layers, no import cycle, a light ``import matcher``, small rooms.

The layers themselves are import-linter contracts in ``pyproject.toml`` (run here
and by ``.ci/run``); ARCHITECTURE.md explains them.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import grimp
import networkx as nx
import pytest

import matcher
from matcher import Need, Problem, Volunteer, solve

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "matcher"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80  # lines of code: docstring, blank and comment lines aside
LONG_MARK = "# long:"  # the sentence that says why a function must be longer


def test_the_import_contracts_hold():
    script = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(script), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_import_cycle_between_modules_counting_lazy_and_type_checking_imports():
    graph = grimp.build_graph("matcher", exclude_type_checking_imports=False)
    g = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            g.add_edge(module, imported)
    cycles = list(nx.simple_cycles(g))
    assert cycles == []


def test_import_matcher_stays_light():
    code = (
        "import sys, matcher; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'pandas', 'matplotlib', 'dask', 'distributed', 'openpyxl'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rooms_are_small(path):
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{path.name}: {len(lines)} lines"
    long = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        skip = set()
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip = set(range(body[0].lineno, body[0].end_lineno + 1))
        code = [
            lines[i - 1].strip() for i in range(node.lineno, node.end_lineno + 1) if i not in skip
        ]
        n = sum(1 for c in code if c and not c.startswith("#"))
        if n > MAX_FUNCTION_LINES and not any(c.startswith(LONG_MARK) for c in code[:8]):
            long.append(f"{node.name} ({n} lines)")
    assert long == []


# ---------------------------------------------------------------- moved names

# The public names of each module that kept its path, as they were before the layout
# (matcher 0.1's ``__all__``): all still importable from the same place, no warning.
KEPT = {
    "matcher": sorted(set(matcher.__all__)),
    "matcher.synthetic": [
        "Community",
        "NEED_KINDS",
        "NeedKind",
        "OCCUPATIONS",
        "Occupation",
        "RARE_KINDS",
        "SLOTS",
        "SLOT_GROUPS",
        "STATUS_PROFILES",
        "SkillSpec",
        "StatusProfile",
        "demo",
        "generate",
    ],
    "matcher.io": [
        "SCHEMA_VERSION",
        "policy_from_dict",
        "policy_to_dict",
        "problem_from_dict",
        "problem_to_dict",
        "read_needs",
        "read_pairs",
        "read_policy",
        "read_problem",
        "read_result",
        "read_volunteers",
        "write_json",
        "write_needs_csv",
        "write_plan_csv",
        "write_volunteers_csv",
    ],
    "matcher.report": ["DEFAULT_TITLE", "MAX_UNMATCHED_ROWS", "render_report", "write_report"],
    "matcher.graph": ["COST_PARTS", "Graph", "build_graph"],
    "matcher.result": [
        "Certificate",
        "Churn",
        "FILTERS",
        "GraphSolution",
        "Match",
        "Metrics",
        "Objective",
        "REASONS",
        "Result",
        "SCHEMA_VERSION",
        "Stability",
        "Status",
        "Unmatched",
    ],
    "matcher.model": ["Need", "Policy", "Problem", "Volunteer", "Weights"],
    "matcher.verify": ["VIOLATIONS", "Violation", "verify"],
    "matcher.cli": ["demo_paths", "format_summary", "main"],
    "matcher.limits": ["MAX_FILE_BYTES", "MAX_PAIRS", "MAX_RECORDS", "check"],
    "matcher.errors": [
        "InputError",
        "InputProblem",
        "MatcherError",
        "SolverError",
        "UnsupportedProblem",
    ],
    "matcher.solvers": [
        "Instance",
        "METHODS",
        "Method",
        "Near",
        "Objective",
        "Potentials",
        "Solved",
        "WARM_METHODS",
        "Warm",
        "WarmStart",
        "choose_method",
        "run_task",
        "solve_instance",
    ],
}


@pytest.mark.parametrize("module", sorted(KEPT))
def test_names_users_import_today_still_import_without_a_warning(module):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        mod = importlib.import_module(module)
        missing = [name for name in KEPT[module] if not hasattr(mod, name)]
    assert missing == []


MOVED = {
    "matcher.api": ("matcher.planning.solving", "solve"),
    "matcher.planner": ("matcher.planning.planner", "Planner"),
    "matcher.gap_analysis": ("matcher.planning.gap_analysis", "gaps"),
    "matcher.frames": ("matcher.io.frames", "result_to_frame"),
    "matcher.plots": ("matcher.report.plots", "plot_map"),
    "matcher.families": ("matcher.synthetic.families", "make"),
    "matcher.bench": ("matcher.cli.bench", "run"),
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_a_moved_module_still_imports_with_a_warning(old):
    new, name = MOVED[old]
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated.*{new}"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)
    short = old.split(".", 1)[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert getattr(matcher, short) is module  # attribute access, as after `import matcher`


def test_the_warning_points_at_the_importing_line():
    sys.modules.pop("matcher.plots", None)
    with pytest.warns(DeprecationWarning) as seen:
        import matcher.plots  # noqa: F401
    assert seen[0].filename == __file__


def test_moved_methods_still_work_with_a_warning():
    pd = pytest.importorskip("pandas")
    p = Problem(
        [Volunteer("v", ["driving"], (0.0, 0.0))], [Need("n", "medical", ["driving"], (0.1, 0.0))]
    )
    r = solve(p)
    with pytest.warns(DeprecationWarning, match=r"matcher\.verify\(problem, result\)"):
        assert r.verify(p) == matcher.verify(p, r) == []
    with pytest.warns(DeprecationWarning, match="result_to_frame"):
        frame = r.to_frame(p)
    assert frame.equals(matcher.io.result_to_frame(r, p))
    vols = pd.DataFrame({"id": ["v"], "skills": ["driving"], "lat": [0.0], "lon": [0.0]})
    needs = pd.DataFrame(
        {"id": ["n"], "category": ["medical"], "skills": ["driving"], "lat": [0.1], "lon": [0.0]}
    )
    with pytest.warns(DeprecationWarning, match="problem_from_frames"):
        q = Problem.from_frames(vols, needs)
    assert q == matcher.io.problem_from_frames(vols, needs)
