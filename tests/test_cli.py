"""The command line, run as users run it: the README's demo command, solve, explain."""

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import reference as ref

from matcher import io as mio
from matcher.cli import demo_paths, main, write_demo_files

BIN = Path(sys.executable).parent


def matcher_command() -> list[str]:
    """The installed ``matcher`` script of this environment (as the README runs it)."""
    script = BIN / "matcher"
    if script.exists():
        return [str(script)]
    found = shutil.which("matcher")
    assert found, "the `matcher` command is not installed (pip install .)"
    return [found]


def run(*args, cwd=None):
    return subprocess.run(
        [*matcher_command(), *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_readme_demo_command_runs_the_whole_job():
    # README quickstart: `pip install . && matcher demo`
    proc = run("demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "384 volunteers, 258 needs (278 units)" in out
    assert "method flow (optimal)" in out
    for heading in (
        "Coverage ",
        "Participation ",
        "Coverage by category",
        "Coverage by community",
        "Participation by employer unit",
        "Unmatched needs:",
        "Timings (s)",
    ):
        assert heading in out
    for reason in ("no_slot", "taken", "out_of_range", "no_skill"):
        assert reason in out
    # The printed coverage is that of the shipped data, solved in this process.
    problem = mio.read_problem(**{k: v for k, v in demo_paths().items()})
    from matcher import solve

    result = solve(problem)
    assert ref.check_result(problem, result) == []
    assert f"({result.metrics.units_served}/{result.metrics.units_demanded})" in out


def test_python_dash_m_matches_the_script():
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", "demo"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0
    script = run("demo").stdout
    strip = [line for line in proc.stdout.splitlines() if not line.startswith("Timings")]
    assert strip == [line for line in script.splitlines() if not line.startswith("Timings")]


def test_shipped_demo_files_are_what_the_generator_writes(tmp_path):
    fresh = write_demo_files(tmp_path)
    for key, shipped in demo_paths().items():
        assert fresh[key].read_bytes() == shipped.read_bytes(), key


def test_solve_writes_result_and_plan_csv(tmp_path):
    paths = demo_paths()
    out, plan = tmp_path / "r.json", tmp_path / "plan.csv"
    proc = run(
        "solve",
        "--volunteers",
        str(paths["volunteers"]),
        "--needs",
        str(paths["needs"]),
        "--policy",
        str(paths["policy"]),
        "--out",
        str(out),
        "--plan-csv",
        str(plan),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    result = mio.read_result(out)
    assert result.status.value == "optimal"
    header = plan.read_text(encoding="utf-8").splitlines()[0]
    assert "need.name" in header and "volunteer.occupation" in header
    # explain on the written result
    need = result.unmatched[0].need_id
    proc = run("explain", str(out), need)
    assert proc.returncode == 0 and need in proc.stdout and "unserved" in proc.stdout
    assert run("explain", str(out), "no-such-need").returncode == 2


def test_bad_input_exits_2_lists_every_problem_and_writes_nothing(tmp_path):
    v = tmp_path / "v.csv"
    n = tmp_path / "n.csv"
    v.write_text(
        "id,skills,lat,lon,capacity,phone\nv1,nursing:x,31.2,121.4,-1,SECRET-PHONE\nv2,,95,121.4,1,\n"
    )
    n.write_text("id,category,skills,lat,lon,priority\nn1,care,,31.2,121.4,9\n")
    out = tmp_path / "r.json"
    proc = run("solve", "--volunteers", str(v), "--needs", str(n), "--out", str(out))
    assert proc.returncode == 2
    err = proc.stderr
    assert "3 problems" in err
    assert "volunteer 'v1', row 2: `skills`" in err
    assert "volunteer 'v2', row 3: `location` must be a latitude" in err
    assert "need 'n1', row 2: `priority`" in err
    assert "SECRET-PHONE" not in err
    assert not out.exists()


def test_unknown_method_exits_2(tmp_path):
    paths = demo_paths()
    code = main(
        [
            "solve",
            "--volunteers",
            str(paths["volunteers"]),
            "--needs",
            str(paths["needs"]),
            "--method",
            "simplex",
            "--out",
            str(tmp_path / "r.json"),
        ]
    )
    assert code == 2
    assert not (tmp_path / "r.json").exists()


def test_help_shows_an_example_for_each_command():
    for command in ("demo", "solve", "explain"):
        proc = run(command, "--help")
        assert proc.returncode == 0
        assert "Example: matcher " + command in proc.stdout


def test_demo_output_is_the_same_in_another_process_with_another_hash_seed():
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [*matcher_command(), "demo", "--out", os.devnull],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    # Writing to a device writes through it; it must never be renamed over (as root,
    # that once turned /dev/null into a regular file).
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    here = run("demo")

    def body(text):
        return [line for line in text.splitlines() if not line.startswith("Timings")]

    assert body(other.stdout) == body(here.stdout)


@pytest.mark.parametrize("method", ["flow", "network_simplex", "greedy"])
def test_demo_with_each_method(method):
    proc = run("demo", "--method", method)
    assert proc.returncode == 0, proc.stderr
    assert f"method {method} (" in proc.stdout


def test_demo_json_out_is_valid(tmp_path):
    proc = run("demo", "--out", str(tmp_path / "demo.json"))
    assert proc.returncode == 0
    data = json.loads((tmp_path / "demo.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 4 and data["method"] == "flow"
    assert data["provenance"]["policy"]["max_distance_km"] == 2.5


# ---------------------------------------------------------------------------
# generate, bench, --json, --help examples, progress
# ---------------------------------------------------------------------------


def test_generate_writes_the_same_files_for_the_same_seed(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["generate", "--out", str(tmp_path / name), "--seed", "7", "--communities", "2",
                     "--buildings", "10"]) == 0  # fmt: skip
    for f in ("volunteers.csv", "needs.csv", "policy.json"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    p = mio.read_problem(tmp_path / "a" / "volunteers.csv", tmp_path / "a" / "needs.csv",
                         tmp_path / "a" / "policy.json")  # fmt: skip
    assert len(p.volunteers) > 0 and len(p.needs) > 0
    capsys.readouterr()
    assert main(["generate", "--out", str(tmp_path / "j"), "--seed", "7", "--communities", "2",
                 "--buildings", "10", "--format", "json", "--json"]) == 0  # fmt: skip
    info = json.loads(capsys.readouterr().out)
    q = mio.read_problem(problem=info["files"]["problem"])
    assert info["volunteers"] == len(p.volunteers)

    def bare(records):  # CSV has one set of columns: a field a record lacks reads back as ""
        return [(r.id, {k: v for k, v in r.extra.items() if v}) for r in records]

    assert bare(q.volunteers) == bare(p.volunteers) and bare(q.needs) == bare(p.needs)
    assert [replace(v, extra={}) for v in q.volunteers] == [
        replace(v, extra={}) for v in p.volunteers
    ]
    assert [replace(n, extra={}) for n in q.needs] == [replace(n, extra={}) for n in p.needs]


def test_bad_generate_parameters_are_input_errors(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "x"), "--communities", "0"]) == 2
    assert "n_communities" in capsys.readouterr().err


def test_bench_checks_answers_and_prints_a_table(capsys):
    assert main(["bench", "--family", "dense", "--repeat", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "dense" in out and "flow" in out and "auto chose" in out
    assert main(["bench", "--family", "uniform", "--repeat", "1", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["family"] == "uniform" and row["methods"]["flow"]["gap"] == 0.0
    assert row["methods"]["greedy"]["gap"] >= 0.0
    assert main(["bench", "--family", "nope"]) == 2


def test_json_output_of_demo_solve_and_explain(tmp_path, capsys):
    assert main(["demo", "--json", "--out", str(tmp_path / "r.json")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "optimal" and summary["certificate"] is True
    assert summary["metrics"]["units_demanded"] == 278
    need = next(iter(summary["unmatched"]))
    assert main(["explain", str(tmp_path / "r.json"), need, "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert (
        detail["need_id"] == need
        and detail["unmatched"][0]["reason"] == summary["unmatched"][need]["reason"]
    )
    assert set(detail["unmatched"][0]["candidates"]) == {
        "skills",
        "distance",
        "slot",
        "community",
        "available",
    }


@pytest.mark.parametrize("command", ["demo", "solve", "explain", "verify", "generate", "bench"])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "Example" in out and f"matcher {command}" in out


def test_top_level_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert (
        "0 ok" in out
        and "2 bad input" in out
        and "1 internal error" in out
        and "3 verification" in out
    )


def test_progress_bar_only_on_a_terminal(tmp_path, monkeypatch, capsys):
    """tqdm draws on stderr when it is a terminal, and never with --quiet or when piped."""
    import io as _io

    class Tty(_io.StringIO):
        def isatty(self):
            return True

    paths = demo_paths()
    args = ["solve", "--volunteers", str(paths["volunteers"]), "--needs", str(paths["needs"]),
            "--policy", str(paths["policy"]), "--out", str(tmp_path / "r.json")]  # fmt: skip
    tty = Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main([*args, "--quiet"]) == 0
    assert tty.getvalue() == ""
    assert main(args) == 0
    assert "solve" in tty.getvalue() or "write" in tty.getvalue()
    monkeypatch.undo()
    piped = run(*args)
    assert piped.returncode == 0 and piped.stderr == ""
