"""Writes that fail or are interrupted: the old file stays whole, no temporary file stays.

A full disk (ENOSPC at the write, the fsync or the rename), an error, Ctrl-C and
SIGTERM, for every writer (JSON, the plan CSV and workbook, the roster, the report),
in this process and in a ``matcher solve`` stopped by a signal mid-write.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

import matcher.io.write as write_module
from matcher import Problem, solve
from matcher import io as mio
from matcher.cli import main
from matcher.synthetic.families import make

OLD = "the old content, whole\n"


@pytest.fixture(scope="module")
def solved():
    problem = make("uniform", "S", 0)
    return problem, solve(problem)


def _writers(solved):
    problem, result = solved
    from matcher.report import write_report

    return {
        "json": lambda path: mio.write_json(result, path),
        "plan_csv": lambda path: mio.write_plan_csv(result, problem, path),
        "plan_xlsx": lambda path: mio.write_plan_xlsx(result, problem, path),
        "roster_csv": lambda path: mio.write_roster_csv(result, problem, path),
        "report": lambda path: write_report(result, path, training_candidates=0),
        "problem_json": lambda path: mio.write_json(problem, path),
    }


WRITERS = ["json", "plan_csv", "plan_xlsx", "roster_csv", "report", "problem_json"]


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


class FullDisk:
    """A file whose write puts half of the data down, then finds the disk full."""

    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.fh.__exit__(*exc)

    def write(self, data):
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        _enospc()

    def __getattr__(self, name):
        return getattr(self.fh, name)


def _full_at(where, monkeypatch):
    if where == "write":
        real = write_module._open
        monkeypatch.setattr(
            write_module, "_open", lambda f, d, mode="w": FullDisk(real(f, d, mode))
        )
    else:
        monkeypatch.setattr(os, where, _enospc)


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
@pytest.mark.parametrize("writer", WRITERS)
def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary_one(
    tmp_path, monkeypatch, solved, writer, where
):
    target = tmp_path / f"out.{writer}"
    target.write_text(OLD, encoding="utf-8")
    write = _writers(solved)[writer]
    _full_at(where, monkeypatch)
    with pytest.raises(OSError) as err:
        write(target)
    assert err.value.errno == errno.ENOSPC
    assert str(target) in str(err.value) and "it keeps its old content" in str(err.value)
    assert ".tmp" not in str(err.value)  # the file asked for, not the temporary one
    assert target.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_full_disk_on_a_new_file_writes_nothing(tmp_path, monkeypatch, solved):
    _full_at("write", monkeypatch)
    with pytest.raises(OSError, match="nothing was written"):
        _writers(solved)["json"](tmp_path / "new.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_in_the_write_keeps_the_old_file(tmp_path, monkeypatch, solved, stop):
    target = tmp_path / "result.json"
    target.write_text(OLD, encoding="utf-8")

    def interrupted(fd):
        raise stop()

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(stop):
        _writers(solved)["json"](target)
    assert target.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_the_write_keeps_the_mode_of_a_new_file_and_the_sigterm_handler(tmp_path, solved):
    before = signal.getsignal(signal.SIGTERM)
    _writers(solved)["json"](tmp_path / "r.json")
    assert signal.getsignal(signal.SIGTERM) is before
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_write_from_another_thread_leaves_signals_alone(tmp_path, solved):
    errors = []

    def run():
        try:
            _writers(solved)["plan_csv"](tmp_path / "plan.csv")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert errors == [] and (tmp_path / "plan.csv").exists()


def test_the_cli_says_a_full_disk_and_exits_2(tmp_path, monkeypatch, capsys, solved):
    problem, _ = solved
    mio.write_json(problem, tmp_path / "problem.json")
    plan = tmp_path / "plan.csv"
    plan.write_text(OLD, encoding="utf-8")
    _full_at("write", monkeypatch)
    out = tmp_path / "result.json"
    code = main(["solve", "--problem", str(tmp_path / "problem.json"), "--out", str(out),
                 "--plan-csv", str(plan), "--quiet"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "result.json" in err
    assert plan.read_text(encoding="utf-8") == OLD and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.csv", "problem.json"]


# ------------------------------------------------- a `matcher solve` stopped mid-write
# The child stops inside the write of plan.csv (half of it in the temporary file, or
# the whole of it, just before the rename) and says so; then it gets the signal.
DRIVER = textwrap.dedent(
    """
    import os, sys, time
    import matcher.io.write as w
    from matcher.cli import main

    hook, argv = sys.argv[1], sys.argv[2:]

    def stall(what):
        print(what, flush=True)
        time.sleep(60)

    class Half:
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)
        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            stall("mid-write")
            self.fh.write(text[len(text) // 2 :])
        def __getattr__(self, name):
            return getattr(self.fh, name)

    real_open, real_replace = w._open, os.replace

    def opened(file, data, mode="w"):
        fh = real_open(file, data, mode)
        return Half(fh) if hook == "write" and file.name.startswith(".plan.csv.") else fh

    def replace(src, dst):
        if hook == "replace" and os.path.basename(dst) == "plan.csv":
            stall("before-rename")
        return real_replace(src, dst)

    w._open, os.replace = opened, replace
    sys.exit(main(argv))
    """
)


@pytest.mark.parametrize("hook", ["write", "replace"])
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, 130, "matcher: interrupted; no file was left half-written"),
        (signal.SIGTERM, 143, "matcher: stopped by SIGTERM while writing"),
    ],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_solve_stopped_by_a_signal_mid_write_keeps_the_old_plan(
    tmp_path, solved, hook, signum, code, message
):
    problem: Problem = solved[0]
    mio.write_json(problem, tmp_path / "problem.json")
    plan = tmp_path / "plan.csv"
    plan.write_text(OLD, encoding="utf-8")
    argv = ["solve", "--problem", "problem.json", "--out", "result.json",
            "--plan-csv", "plan.csv", "--quiet"]  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-c", DRIVER, hook, *argv],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        said = child.stdout.readline().strip()
        assert said in ("mid-write", "before-rename"), child.stderr.read()
        temporary = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temporary) == 1  # the write is under way
        child.send_signal(signum)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == code, err
    assert message in err and "Traceback" not in err
    assert plan.read_text(encoding="utf-8") == OLD
    # result.json was written first, then removed again: this run wrote nothing new.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.csv", "problem.json"]
