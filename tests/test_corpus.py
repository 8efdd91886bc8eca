"""A corpus of malformed and tricky-but-valid inputs, run through the API and the CLI.

Every case is a directory of ``tests/corpus/`` named in ``tests/corpus/cases.json``:
its ``files``, the command line (``args``, run from inside the directory; the test
adds ``--out out/result.json --plan-csv out/plan.csv`` to ``solve``), the ``exit``
code, whether its files hold the personal-data ``sentinel``, and the ``problems``
an ``InputError`` must list, each ``[record, row, field, expected-substring]``.

For a malformed case (exit 2):

- the Python API (``matcher.io.read_problem`` / ``matcher.solve`` /
  ``matcher.io.read_result``) raises ``InputError`` whose ``.problems`` are
  exactly the listed ones, all at once: the record, its CSV row, the field and
  what was expected;
- the command line exits 2 and prints exactly that error (no traceback), and
  writes nothing: an output that did not exist still does not, one that did
  keeps its bytes, and no temporary file is left behind.

For a valid case (exit 0) the command line writes the result and the plan CSV and
a check of its own (``CHECKS``) says the values were read right.

The personal-data sentinel in extra columns (name, phone, room) of bad records
never appears in a message, on stdout / stderr, in a log record or a warning; in a
valid file it reaches the plan CSV unchanged.

The command line is run as ``python -m matcher`` in one worker process for all
cases (``_RUNNER``: one import of matcher instead of ~150 at ~0.5 s each), and a
sample of cases as separate ``python -m matcher`` processes, which must agree
with the worker: the same exit code and stderr, the same stdout but its timings.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from matcher import InputError, Need, Policy, Problem, Result, Volunteer, Weights, solve
from matcher import io as mio

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
BY_NAME = {c["name"]: c for c in CASES}
BAD = [c for c in CASES if c["exit"] != 0]
GOOD = [c for c in CASES if c["exit"] == 0]
SENTINEL = "SENTINEL-7f3a-PHONE"
OLD_BYTES = b"OLD OUTPUT, must survive a refused run \x00\xff\n"
OUTPUTS = ("result.json", "plan.csv")
VARIANTS = ("fresh", "existing")  # outputs absent / outputs present with OLD_BYTES


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in cases]


# ---------------------------------------------------------------------------
# Running a case
# ---------------------------------------------------------------------------


def cli_args(case: dict[str, Any]) -> list[str]:
    args = list(case["args"])
    if args[0] == "solve":
        args += ["--out", "out/result.json", "--plan-csv", "out/plan.csv"]
    return args


def solve_options(case: dict[str, Any]) -> dict[str, str]:
    args = case["args"]
    assert args[0] == "solve" and len(args) % 2 == 1, args
    return dict(zip(args[1::2], args[2::2], strict=True))


def run_api(case: dict[str, Any], where: Path) -> Any:
    """What the command line does, through the Python API; returns (problem, result)."""
    args = case["args"]
    if args[0] == "explain":
        return None, mio.read_result(where / args[1])
    opts = solve_options(case)
    path = {k: where / v for k, v in opts.items() if k != "--method"}
    if "--problem" in path:
        problem = mio.read_problem(problem=path["--problem"])
    else:
        problem = mio.read_problem(
            path.get("--volunteers"), path.get("--needs"), path.get("--policy")
        )
    return problem, solve(problem, method=opts.get("--method", "auto"))


def api_error(case: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as info:
        run_api(case, CORPUS / case["name"])
    return info.value


def prepare(case: dict[str, Any], root: Path, variant: str) -> Path:
    """A copy of the case directory with an ``out/`` directory, as the CLI will see it."""
    job = root / f"{case['name']}-{variant}"
    shutil.copytree(CORPUS / case["name"], job)
    (job / "out").mkdir()
    if variant == "existing":
        for name in OUTPUTS:
            (job / "out" / name).write_bytes(OLD_BYTES)
    return job


def listing(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


_RUNNER = r"""
import contextlib, io, json, os, runpy, sys, traceback

results = []
for job in json.load(sys.stdin):
    os.chdir(job["cwd"])
    sys.argv = ["matcher", *job["argv"]]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if job.get("script"):  # for testing the worker itself
                runpy.run_path(job["script"], run_name="__main__")
            else:
                runpy.run_module("matcher", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
sys.__stdout__.write(json.dumps(results))
"""


def run_worker(
    jobs: list[tuple[Path, list[str]]], script: Path | None = None
) -> list[dict[str, Any]]:
    """Run ``python -m matcher ARGS`` (or *script*) in directory *cwd* for each job, in one process."""
    payload = json.dumps(
        [{"cwd": str(cwd), "argv": argv, "script": script and str(script)} for cwd, argv in jobs]
    )
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=payload,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=jobs[0][0].parent,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert len(results) == len(jobs)
    return results


def run_process(cwd: Path, argv: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    return {"code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    """Every case in both variants through the command line: (name, variant) -> outcome."""
    root = tmp_path_factory.mktemp("cli")
    keys, jobs = [], []
    for case in CASES:
        for variant in VARIANTS:
            job = prepare(case, root, variant)
            keys.append((case["name"], variant))
            jobs.append((job, cli_args(case)))
    before = {k: listing(job) for k, (job, _) in zip(keys, jobs, strict=True)}
    outcomes = run_worker(jobs)
    return {
        k: {**o, "dir": job, "before": before[k]}
        for k, (job, _), o in zip(keys, jobs, outcomes, strict=True)
    }


def said_about(text: str, record: str, row: int | None, fld: str, expected: str) -> bool:
    """Whether a line of *text* names the record (and row) and the field, and says *expected*."""
    where = record if row is None else f"{record}, row {row}"
    head = f"  {where}: `{fld}` must be "
    return any(line.startswith(head) and expected in line for line in text.splitlines())


# ---------------------------------------------------------------------------
# The corpus itself
# ---------------------------------------------------------------------------


def test_corpus_is_as_large_and_varied_as_promised():
    assert len(CASES) >= 45 and len(BY_NAME) == len(CASES)
    # no orphan (sheets/ is the coordinators' spreadsheets corpus of tests/test_sheets.py)
    assert {d.name for d in CORPUS.iterdir() if d.is_dir()} - {"sheets"} == set(BY_NAME)
    assert len(BAD) >= 40 and len(GOOD) >= 10
    assert sum(len(c["problems"]) > 1 for c in BAD) >= 5
    assert all(c["problems"] for c in BAD) and not any(c["problems"] for c in GOOD)
    assert {c["exit"] for c in CASES} == {0, 2}
    assert sum(c["sentinel"] for c in BAD) >= 20


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_case_directory_holds_exactly_its_files(case):
    d = CORPUS / case["name"]
    assert sorted(p.name for p in d.iterdir()) == case["files"]
    named = {a for a in case["args"][1:] if not a.startswith("-") and "." in a}
    if case["name"] != "file_missing":  # that case names files that do not exist
        assert named <= set(case["files"]), named
    assert case["sentinel"] == any(
        SENTINEL.encode() in p.read_bytes() for p in d.rglob("*") if p.is_file()
    )
    for record, row, fld, expected in case["problems"]:
        assert isinstance(record, str) and isinstance(fld, str) and expected
        assert row is None or (isinstance(row, int) and row >= 2)


def test_byte_level_cases_still_hold_their_bytes():
    # A checkout that normalised line endings or encodings would defang these cases.
    def raw(name: str, file: str) -> bytes:
        return (CORPUS / name / file).read_bytes()

    assert (CORPUS / ".gitattributes").read_text().splitlines()[-1] == "* -text"
    for f in ("v.csv", "n.csv"):
        assert raw("valid_crlf", f).count(b"\r\n") == raw("valid_crlf", f).count(b"\n") >= 2
        assert b"\n" not in raw("valid_cr_only", f) and raw("valid_cr_only", f).count(b"\r") >= 2
        assert raw("valid_bom", f).startswith(b"\xef\xbb\xbfid,")
    assert (
        raw("csv_empty_files", "v.csv") == b""
        and raw("csv_empty_files", "n.csv") == b"\xef\xbb\xbf"
    )
    for name, file in (("csv_binary_file", "v.csv"), ("valid_gbk_encoded", "n.csv")):
        with pytest.raises(UnicodeDecodeError):
            raw(name, file).decode("utf-8")
    assert "护理".encode("gbk") in raw("valid_gbk_encoded", "n.csv")


# ---------------------------------------------------------------------------
# Malformed input: the API
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", BAD, ids=ids(BAD))
def test_api_reports_every_problem_at_once(case):
    err = api_error(case)
    got = sorted((p.record, p.row, p.field) for p in err.problems)
    want = sorted((r, row, f) for r, row, f, _ in case["problems"])
    assert got == want, f"{case['about']}\n{err}"
    text = str(err)
    assert text.startswith(f"{len(want)} problem")
    for record, row, fld, expected in case["problems"]:
        said = [
            p.expected for p in err.problems if (p.record, p.row, p.field) == (record, row, fld)
        ]
        assert any(expected in e for e in said), (expected, said)
        assert said_about(text, record, row, fld, expected)
    assert SENTINEL not in text
    assert SENTINEL not in repr(err.problems)


RESULT_CASES = [c for c in BAD if c["args"][0] == "explain"]


@pytest.mark.parametrize(
    "case",
    RESULT_CASES,
    ids=ids(RESULT_CASES),
)
def test_result_from_json_refuses_what_read_result_refuses(case):
    text = (CORPUS / case["name"] / case["args"][1]).read_text(encoding="utf-8")
    with pytest.raises(InputError) as info:
        Result.from_json(text)
    assert info.value.problems
    assert all(p.kind == "file" for p in info.value.problems)


# ---------------------------------------------------------------------------
# Malformed input: the command line
# ---------------------------------------------------------------------------


def assert_refused(case: dict[str, Any], outcome: dict[str, Any], variant: str) -> None:
    err = api_error(case)
    assert outcome["code"] == 2, outcome["stderr"]
    assert "Traceback" not in outcome["stderr"]
    assert outcome["stdout"] == ""
    # Exactly the API's message: every problem, each naming its culprit (a file that is
    # not found is named by its full path: the API read the corpus, the CLI its copy).
    job: Path = outcome["dir"]
    assert outcome["stderr"] == f"matcher: {err}\n".replace(str(CORPUS / case["name"]), str(job))
    for record, row, fld, expected in case["problems"]:
        assert said_about(outcome["stderr"], record, row, fld, expected)
    assert SENTINEL not in outcome["stderr"] + outcome["stdout"]
    # Nothing written, nothing replaced, no temporary file left anywhere.
    assert listing(job) == outcome["before"]
    if case["args"][0] == "solve":
        out = {p.name: p.read_bytes() for p in (job / "out").iterdir()}
        assert out == ({} if variant == "fresh" else dict.fromkeys(OUTPUTS, OLD_BYTES))
    for name in case["files"]:
        src, copy = CORPUS / case["name"] / name, job / name
        if src.is_file():
            assert copy.read_bytes() == src.read_bytes()


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", BAD, ids=ids(BAD))
def test_cli_refuses_bad_input_and_writes_nothing(cli, case, variant):
    assert_refused(case, cli[(case["name"], variant)], variant)


def sample_cases() -> list[dict[str, Any]]:
    """The first case of each family (csv, policy, problem, ...), for real processes."""
    seen: dict[str, dict[str, Any]] = {}
    for case in CASES:
        seen.setdefault(case["name"].split("_")[0], case)
    return list(seen.values())


def test_separate_processes_agree_with_the_worker(cli, tmp_path):
    sample = sample_cases()
    assert len(sample) >= 6
    jobs = [(prepare(c, tmp_path, "existing"), cli_args(c)) for c in sample]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda j: run_process(*j), jobs))

    def body(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("Timings")]

    for case, (job, _), outcome in zip(sample, jobs, outcomes, strict=True):
        worker = cli[(case["name"], "existing")]
        assert outcome["code"] == worker["code"] == case["exit"], (case["name"], outcome)
        # (a file that is not found is named by its full path: each run has its own folder)
        assert outcome["stderr"].replace(str(job), "<dir>") == worker["stderr"].replace(
            str(worker["dir"]), "<dir>"
        )
        assert body(outcome["stdout"]) == body(worker["stdout"])
        if case["exit"] != 0:
            assert_refused(case, {**outcome, "dir": job, "before": listing(job)}, "existing")


def test_the_worker_reports_what_the_interpreter_would(tmp_path):
    # An uncaught exception: exit 1 and a traceback; sys.exit("text"): exit 1, the text.
    script = tmp_path / "boom.py"
    script.write_text(
        "import sys\n"
        "if sys.argv[1:] == ['raise']:\n    raise RuntimeError('internal')\n"
        "sys.exit('stopped')\n"
    )
    raised, stopped = run_worker([(tmp_path, ["raise"]), (tmp_path, ["stop"])], script=script)
    assert raised["code"] == 1 and "Traceback" in raised["stderr"]
    assert "RuntimeError: internal" in raised["stderr"]
    assert stopped == {"code": 1, "stdout": "", "stderr": "stopped\n"}
    # argparse errors and --version go through SystemExit too.
    usage, version = run_worker(
        [(tmp_path, ["solve", "--no-such-flag"]), (tmp_path, ["--version"])]
    )
    assert usage["code"] == 2 and "usage:" in usage["stderr"]
    assert version["code"] == 0 and version["stdout"].startswith("matcher ")


def test_unwritable_output_exits_2_names_it_and_leaves_no_temporary_file(tmp_path):
    case = BY_NAME["valid_bom"]
    inputs = case["args"][1:]
    jobs = [prepare(case, tmp_path, v) for v in ("to-a-directory", "to-a-missing-directory")]
    (jobs[0] / "taken").mkdir()
    before = [listing(job) for job in jobs]
    outcomes = run_worker(
        [
            (jobs[0], ["solve", *inputs, "--out", "taken", "--quiet"]),
            (jobs[1], ["solve", *inputs, "--out", "nowhere/r.json", "--quiet"]),
        ]
    )
    for outcome, target in zip(outcomes, ("taken", "nowhere/r.json"), strict=True):
        assert outcome["code"] == 2 and "Traceback" not in outcome["stderr"]
        assert (
            outcome["stderr"].startswith("matcher: [Errno ") and f"'{target}'" in outcome["stderr"]
        )
        assert ".tmp" not in outcome["stderr"]  # the file asked for, not the temporary one
    assert [listing(job) for job in jobs] == before


def test_a_failed_plan_csv_write_leaves_no_result_behind(tmp_path):
    case = BY_NAME["valid_bom"]
    job = prepare(case, tmp_path, "fresh")
    argv = ["solve", *case["args"][1:], "--out", "out/r.json", "--plan-csv", "nowhere/plan.csv"]
    (outcome,) = run_worker([(job, argv)])
    assert outcome["code"] == 2 and "'nowhere/plan.csv'" in outcome["stderr"]
    assert listing(job / "out") == set()


# ---------------------------------------------------------------------------
# Valid but tricky input
# ---------------------------------------------------------------------------


def plan_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def pairs(result: Result) -> set[tuple[str, str]]:
    return {(m.need_id, m.volunteer_id) for m in result.matches}


def check_bom(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (v,) = p.volunteers
    assert v.id == "v1" and p.needs[0].id == "n1"  # not '\ufeffid' / '\ufeffv1'
    assert v.skills == {"nursing": 3, "driving": 1} and v.capacity == 2
    assert v.extra == {"name": "Ann", "phone": SENTINEL}
    assert p.policy.max_distance_km == 2.5
    assert pairs(r) == {("n1", "v1")}


def check_chinese(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    zhang, li = p.volunteers
    assert zhang.id == "张伟" and li.id == "李娜"
    assert zhang.skills == {"护理": 3, "驾驶": 1}
    assert zhang.categories == {"老人照护", "就医陪同"} and zhang.community == "东区"
    assert zhang.extra == {"name": "张伟", "电话": SENTINEL}  # 姓名 is read as your column `name`
    assert [n.id for n in p.needs] == ["需求一", "需求二"]
    assert p.needs[0].category == "老人照护" and p.needs[0].extra == {"房间": "三号楼301室"}
    assert pairs(r) == {("需求一", "张伟"), ("需求二", "李娜")}
    row = next(x for x in plan if x["need_id"] == "需求一")
    assert row["need.房间"] == "三号楼301室" and row["volunteer.name"] == "张伟"
    assert row["volunteer.电话"] == SENTINEL


def check_gbk(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (n,) = p.needs
    assert n.id == "需求一" and n.category == "老人照护" and n.skills == {"护理": 2}
    assert n.extra == {"room": SENTINEL}
    assert plan[0]["need.room"] == SENTINEL


def check_whitespace(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (v,) = p.volunteers
    assert v.id == "v1" and v.skills == {"nursing": 3, "driving": 1}
    assert v.capacity == 2 and v.slots == {"sat-am", "sun-pm"}
    assert v.location == (31.23, 121.47) and v.extra == {"nickname": "Ann Lee"}
    (n,) = p.needs
    assert (n.id, n.category, n.slot, n.priority) == ("n1", "elderly_care", "sat-am", 4)
    assert n.skills == {"nursing": 2}
    assert pairs(r) == {("n1", "v1")}


def check_line_endings(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (v,), (n,) = p.volunteers, p.needs
    assert v.extra == {"name": "Ann", "phone": SENTINEL}  # no stray '\r'
    assert n.extra == {"room": SENTINEL} and n.priority == 4 and n.demand == 1
    assert v.skills == {"nursing": 3, "driving": 1}
    assert pairs(r) == {("n1", "v1")}


def check_crlf(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    check_line_endings(p, r, plan)
    assert p.policy.max_distance_km == 2.5


def check_quoted(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (v,), (n,) = p.volunteers, p.needs
    assert v.extra == {"note": "a;b;c", "phone": f"{SENTINEL}; 555-0101"}
    assert n.extra == {"room": "Room 3, Bldg B; east wing", "note": 'She said "hi"'}
    assert v.skills == {"nursing": 3}
    (row,) = plan
    assert row["need.room"] == "Room 3, Bldg B; east wing"
    assert row["need.note"] == 'She said "hi"'
    assert row["volunteer.note"] == "a;b;c"
    assert row["volunteer.phone"] == f"{SENTINEL}; 555-0101"


def check_extra_columns(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (v,), (n,) = p.volunteers, p.needs
    assert v.location == (31.23, 121.47)
    assert v.extra == {"nickname": "Annie", "x": "5", "location": "home", "extra": SENTINEL}
    assert n.extra == {"floor": "3F"}
    (row,) = plan
    assert row["volunteer.x"] == "5" and row["volunteer.location"] == "home"
    assert row["need.floor"] == "3F" and row["volunteer.extra"] == SENTINEL


def check_empty(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    assert p.volunteers == () and p.needs == () and p.pinned == ()
    assert r.matches == () and r.unmatched == ()
    assert r.objective.served_priority == 0 and r.objective.cost == 0
    assert plan == []


def check_boundaries(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    v1, v2, v3 = p.volunteers
    assert v1.location == (90.0, 180.0) and v2.location == (-90.0, -180.0)
    assert v1.capacity == 0 and v1.max_distance_km == 0.001  # > 0: 0 is refused
    assert v1.skills == {"nursing": 5, "driving": 1} and v3.skills == {"nursing": 1}
    n1, n2 = p.needs
    assert (n1.priority, n2.priority) == (5, 1) and n1.skills == {"nursing": 5}
    assert pairs(r) == {("n1", "v2"), ("n2", "v3")}


def check_json_records(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    (v,) = p.volunteers
    assert v.extra == {"phone": SENTINEL} and v.skills == {"nursing": 3}
    assert p.needs[0].priority == 3
    assert pairs(r) == {("n1", "v1")}
    assert plan[0]["volunteer.phone"] == SENTINEL


def check_plane(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    assert p.policy.geometry == "plane"
    assert p.volunteers[0].location == (1.5, 2.0) and p.needs[0].location == (1.0, 2.0)
    (m,) = r.matches
    assert (m.need_id, m.volunteer_id) == ("n1", "v1") and m.distance_km == pytest.approx(0.5)


def check_pinned(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    assert p.pinned == (("n1", "v2"),)
    assert pairs(r) == {("n1", "v2")}  # although v1 is closer


def check_sentinel_carried(p: Problem, r: Result, plan: list[dict[str, str]]) -> None:
    assert pairs(r) == {("n1", "v1")}
    by_need = {row["need_id"]: row for row in plan}
    assert by_need["n1"]["need.room"] == f"{SENTINEL}-ROOM"
    assert by_need["n1"]["volunteer.name"] == f"{SENTINEL}-NAME"
    assert by_need["n1"]["volunteer.phone"] == SENTINEL
    assert by_need["n2"]["status"] == "unmatched" and by_need["n2"]["reason"] == "no_skill"
    assert by_need["n2"]["need.room"] == f"{SENTINEL}-ROOM2"
    assert by_need["n2"]["volunteer.phone"] == ""


CHECKS = {
    "valid_bom": check_bom,
    "valid_chinese": check_chinese,
    "valid_whitespace": check_whitespace,
    "valid_crlf": check_crlf,
    "valid_cr_only": check_line_endings,
    "valid_quoted_extra_cells": check_quoted,
    "valid_extra_columns": check_extra_columns,
    "valid_gbk_encoded": check_gbk,
    "valid_empty_problem": check_empty,
    "valid_boundaries": check_boundaries,
    "valid_json_records": check_json_records,
    "valid_plane_geometry": check_plane,
    "valid_pinned": check_pinned,
    "valid_sentinel_carried": check_sentinel_carried,
}


def test_every_valid_case_has_a_check():
    assert set(CHECKS) == set(ids(GOOD))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", GOOD, ids=ids(GOOD))
def test_valid_case_works_and_is_read_right(cli, case, variant, tmp_path):
    outcome = cli[(case["name"], variant)]
    assert outcome["code"] == 0, outcome["stderr"]
    assert outcome["stderr"] == ""
    assert "wrote out/result.json" in outcome["stdout"]
    assert SENTINEL not in outcome["stdout"]  # the summary never prints personal fields
    job: Path = outcome["dir"]
    assert listing(job) == outcome["before"] | {f"out/{name}" for name in OUTPUTS}
    assert sorted(p.name for p in (job / "out").iterdir()) == sorted(OUTPUTS)
    result = mio.read_result(job / "out" / "result.json")
    plan = plan_rows(job / "out" / "plan.csv")
    problem, api_result = run_api(case, CORPUS / case["name"])
    assert result == api_result
    # Every need is in the plan, matched or unmatched.
    assert {row["need_id"] for row in plan} == {n.id for n in problem.needs}
    mio.write_plan_csv(api_result, problem, tmp_path / "plan.csv")
    assert plan_rows(tmp_path / "plan.csv") == plan
    CHECKS[case["name"]](problem, result, plan)


# ---------------------------------------------------------------------------
# Personal data never leaks
# ---------------------------------------------------------------------------


SENTINEL_CASES = [c for c in CASES if c["sentinel"]]


@pytest.mark.parametrize("case", SENTINEL_CASES, ids=ids(SENTINEL_CASES))
def test_sentinel_never_in_messages_logs_or_warnings(case, caplog, recwarn, tmp_path):
    caplog.set_level(logging.DEBUG)
    try:
        problem, result = run_api(case, CORPUS / case["name"])
    except InputError as exc:
        assert case["exit"] == 2
        assert SENTINEL not in str(exc) and SENTINEL not in repr(exc)
        assert all(SENTINEL not in str(p) and SENTINEL not in repr(p) for p in exc.problems)
        assert all(SENTINEL not in str(a) for a in exc.args)
    else:
        assert case["exit"] == 0
        # A valid file carries the sentinel through, unchanged, to the plan CSV.
        mio.write_plan_csv(result, problem, tmp_path / "plan.csv")
        assert SENTINEL in (tmp_path / "plan.csv").read_text(encoding="utf-8")
        assert SENTINEL not in repr(result) and SENTINEL not in result.to_json()
    assert SENTINEL not in caplog.text
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
    for w in recwarn:
        assert SENTINEL not in str(w.message)


def test_sentinel_cases_cover_csv_json_and_every_extra_column():
    names = ids(SENTINEL_CASES)
    assert sum(n.startswith("csv_") for n in names) >= 15
    assert any(n.startswith("problem_") for n in names)
    text = "".join(
        (CORPUS / c["name"] / f).read_text(encoding="utf-8", errors="replace")
        for c in SENTINEL_CASES
        for f in c["files"]
        if (CORPUS / c["name"] / f).is_file()
    )
    for column in ("name", "phone", "room"):
        assert f",{column}" in text


# ---------------------------------------------------------------------------
# NaN and infinities wherever a number goes, through the model
# ---------------------------------------------------------------------------

NOT_FINITE = [math.nan, math.inf, -math.inf]
HERE = (31.23, 121.47)


def _volunteer(**kw: Any) -> Volunteer:
    return Volunteer(**{"id": "v1", "skills": {"nursing": 3}, "location": HERE, **kw})


def _need(**kw: Any) -> Need:
    return Need(**{"id": "n1", "category": "care", "location": HERE, **kw})


FIELDS = {
    # name: (make a problem with value x, the record and the field named)
    "volunteer.lat": (
        lambda x: Problem([_volunteer(location=(x, 121.47))], []),
        "volunteer 'v1'",
        "location",
    ),
    "volunteer.lon": (
        lambda x: Problem([_volunteer(location=(31.23, x))], []),
        "volunteer 'v1'",
        "location",
    ),
    "volunteer.capacity": (
        lambda x: Problem([_volunteer(capacity=x)], []),
        "volunteer 'v1'",
        "capacity",
    ),
    "volunteer.max_distance_km": (
        lambda x: Problem([_volunteer(max_distance_km=x)], []),
        "volunteer 'v1'",
        "max_distance_km",
    ),
    "volunteer.skill_level": (
        lambda x: Problem([_volunteer(skills={"nursing": x})], []),
        "volunteer 'v1'",
        "skills['nursing']",
    ),
    "need.lat": (lambda x: Problem([], [_need(location=(x, 121.47))]), "need 'n1'", "location"),
    "need.lon": (lambda x: Problem([], [_need(location=(31.23, x))]), "need 'n1'", "location"),
    "need.demand": (lambda x: Problem([], [_need(demand=x)]), "need 'n1'", "demand"),
    "need.priority": (lambda x: Problem([], [_need(priority=x)]), "need 'n1'", "priority"),
    "policy.max_distance_km": (
        lambda x: Problem([], [], Policy(max_distance_km=x)),
        "policy",
        "max_distance_km",
    ),
    "policy.load_penalty": (
        lambda x: Problem([], [], Policy(load_penalty=x)),
        "policy",
        "load_penalty",
    ),
    "policy.unmatched_cost": (
        lambda x: Problem([], [], Policy(unmatched_cost=x)),
        "policy",
        "unmatched_cost",
    ),
    "policy.resolution": (lambda x: Problem([], [], Policy(resolution=x)), "policy", "resolution"),
    **{
        f"policy.weights.{w}": (
            lambda x, w=w: Problem([], [], Policy(weights=Weights(**{w: x}))),
            "policy",
            f"weights.{w}",
        )
        for w in ("distance", "overskill", "preference", "outside")
    },
}


@pytest.mark.parametrize("value", NOT_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("name", list(FIELDS))
def test_nan_and_infinities_are_refused_wherever_a_number_goes(name, value):
    make, record, fld = FIELDS[name]
    with pytest.raises(InputError) as info:
        make(value)
    assert [(p.record, p.field) for p in info.value.problems] == [(record, fld)]
    (p,) = info.value.problems
    assert "finite" in p.expected or "integer" in p.expected


def test_the_same_fields_accept_a_finite_value():
    # So that the test above fails for the value, not for something else.
    for name, (make, _, _) in FIELDS.items():
        value = 0.5 if name.startswith("policy.") else (1.0 if "km" in name else 1)
        if name.endswith(("lat", "lon")):
            value = 30.0
        make(value)


@pytest.mark.parametrize("text", ["[1, 2]", "12", '"text"', "null"])
def test_problem_and_policy_json_must_be_objects(text):
    for read in (
        lambda: mio.read_problem(problem=io.StringIO(text)),
        lambda: mio.read_policy(io.StringIO(text)),
    ):
        with pytest.raises(InputError, match="a JSON object"):
            read()


def test_absurd_integer_literals_are_refused_not_overflow_errors():
    big = 10**400  # too large for a float: float(big) raises OverflowError
    with pytest.raises(InputError) as info:
        Problem(
            [_volunteer(location=(big, -big), capacity=big, max_distance_km=big)],
            [_need(demand=big, skills={"nursing": big})],
            Policy(load_penalty=big, resolution=-big, weights=Weights(distance=big)),
        )
    got = sorted((p.record, p.field) for p in info.value.problems)
    assert got == [
        ("need 'n1'", "demand"),
        ("need 'n1'", "skills['nursing']"),
        ("policy", "load_penalty"),
        ("policy", "resolution"),
        ("policy", "weights.distance"),
        ("volunteer 'v1'", "capacity"),
        ("volunteer 'v1'", "location"),
        ("volunteer 'v1'", "max_distance_km"),
    ]
    assert len(str(info.value)) < 2000  # values are cut short in messages
