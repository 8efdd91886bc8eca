"""Pinned, forbidden and history pairs from files: ``read_pairs``, ``read_problem`` and the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from matcher import InputError, Need, Problem, Volunteer, solve
from matcher import io as mio
from matcher.cli import main


def test_csv_pairs_read_in_file_order_whatever_the_columns() -> None:
    text = "\ufeffvolunteer_id , note, need_id\n v1 ,x,n1\nv2,,n1\n\nv1,y, 老人-3 \n"
    assert mio.read_pairs(io.StringIO(text), "forbidden") == (
        ("n1", "v1"),
        ("n1", "v2"),
        ("老人-3", "v1"),
    )


def test_a_history_names_households_where_that_column_is_filled() -> None:
    text = "need_id,household,volunteer_id\nn1,,v1\nn2,h7,v2\n"
    assert mio.read_pairs(io.StringIO(text), "history") == (("n1", "v1"), ("h7", "v2"))
    # household only, for a history; a pinned file still needs need_id
    assert mio.read_pairs(io.StringIO("household,volunteer_id\nh7,v2\n"), "history") == (
        ("h7", "v2"),
    )
    with pytest.raises(InputError) as info:
        mio.read_pairs(io.StringIO("household,volunteer_id\nh7,v2\n"), "pinned")
    assert [p.field for p in info.value.problems] == ["need_id"]


def test_json_pairs(tmp_path: Path) -> None:
    f = tmp_path / "pinned.json"
    f.write_text(json.dumps([["n1", "v1"], ["n2", "v2"]]))
    assert mio.read_pairs(f) == (("n1", "v1"), ("n2", "v2"))
    f.write_text(json.dumps([["n1", "v1"], ["n2"], ["", "v3"], {"n": 1}]))
    with pytest.raises(InputError) as info:
        mio.read_pairs(f)
    assert [p.record for p in info.value.problems] == [
        "pinned pair #1",
        "pinned pair #2",
        "pinned pair #3",
    ]
    f.write_text(json.dumps({"pinned": [["n1", "v1"]]}))
    with pytest.raises(InputError, match="a JSON list"):
        mio.read_pairs(f)


def test_every_bad_row_is_named_at_once() -> None:
    text = "need_id,volunteer_id\nn1,\n,v2\nn3,v3,extra\nn4,v4\n"
    with pytest.raises(InputError) as info:
        mio.read_pairs(io.StringIO(text))
    got = sorted((p.row, p.field) for p in info.value.problems)
    assert got == [(2, "volunteer_id"), (3, "need_id"), (4, "row")]
    with pytest.raises(InputError, match="volunteer_id"):
        mio.read_pairs(io.StringIO("need_id,volunteer\nn1,v1\n"))
    with pytest.raises(ValueError, match="kind"):
        mio.read_pairs(io.StringIO("need_id,volunteer_id\n"), "preferred")


VOLUNTEERS = (
    "id,skills,lat,lon,capacity\nv1,driving,31.2300,121.47,1\nv2,driving,31.2310,121.47,1\n"
)
NEEDS = "id,category,skills,lat,lon,household\nn1,rides,driving,31.2312,121.47,h1\n"
POLICY = {"schema_version": 2, "weights": {"continuity": 1.0}}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {"volunteers": tmp_path / "v.csv", "needs": tmp_path / "n.csv"}
    out["volunteers"].write_text(VOLUNTEERS)
    out["needs"].write_text(NEEDS)
    out["policy"] = tmp_path / "p.json"
    out["policy"].write_text(json.dumps(POLICY))
    return out


def _pairs_of(result_path: Path) -> list[tuple[str, str]]:
    r = mio.read_result(result_path)
    return [(m.need_id, m.volunteer_id) for m in r.matches]


def test_last_weeks_plan_csv_as_history_keeps_the_helper(files: dict[str, Path]) -> None:
    tmp = files["needs"].parent
    base = ["--volunteers", str(files["volunteers"]), "--needs", str(files["needs"])]
    base += ["--policy", str(files["policy"]), "--quiet"]
    # v2 is nearer; last week v1 served this need: its plan, as history, keeps v1
    week1 = tmp / "week1.json"
    assert main(["solve", *base, "--out", str(week1), "--plan-csv", str(tmp / "w1.csv")]) == 0
    assert _pairs_of(week1) == [("n1", "v2")]
    (tmp / "last.csv").write_text("need_id,volunteer_id,status\nn1,v1,matched\nn1,,unmatched\n")
    week2 = tmp / "week2.json"
    assert main(["solve", *base, "--history", str(tmp / "last.csv"), "--out", str(week2)]) == 0
    assert _pairs_of(week2) == [("n1", "v1")]
    # the plan CSV matcher wrote reads back as its pairs
    assert mio.read_pairs(tmp / "w1.csv", "history") == (("n1", "v2"),)
    # verify needs the same history to agree with the costs
    args = [*base[:-1], str(week2)]
    assert main(["verify", *args, "--history", str(tmp / "last.csv")]) == 0
    assert main(["verify", *args]) == 3


def test_pinned_and_forbidden_files_reach_the_plan(files: dict[str, Path]) -> None:
    tmp = files["needs"].parent
    (tmp / "no.csv").write_text("need_id,volunteer_id\nn1,v2\n")
    base = ["--volunteers", str(files["volunteers"]), "--needs", str(files["needs"]), "--quiet"]
    out = tmp / "r.json"
    assert main(["solve", *base, "--forbidden", str(tmp / "no.csv"), "--out", str(out)]) == 0
    assert _pairs_of(out) == [("n1", "v1")]
    assert main(["solve", *base, "--pinned", str(tmp / "no.csv"), "--out", str(out)]) == 0
    assert _pairs_of(out) == [("n1", "v2")]


def test_bad_pairs_files_write_nothing(files: dict[str, Path], capsys) -> None:
    tmp = files["needs"].parent
    (tmp / "bad.csv").write_text("need_id,volunteer_id\nn1,\nn9,v1\n")
    out = tmp / "r.json"
    args = ["solve", "--volunteers", str(files["volunteers"]), "--needs", str(files["needs"])]
    assert main([*args, "--pinned", str(tmp / "bad.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pinned pair" in err and "row 2" in err and "'n9'" in err
    assert not out.exists()


def test_pairs_files_add_to_a_problem_file(tmp_path: Path) -> None:
    problem = Problem(
        [Volunteer("v1", ["driving"], (31.23, 121.47), capacity=2)],
        [
            Need("n1", "rides", ["driving"], (31.23, 121.47)),
            Need("n2", "rides", [], (31.23, 121.47)),
        ],
        pinned=[("n1", "v1")],
    )
    f = tmp_path / "problem.json"
    mio.write_json(problem, f)
    (tmp_path / "pin.csv").write_text("need_id,volunteer_id\nn2,v1\n")
    got = mio.read_problem(problem=f, pinned=tmp_path / "pin.csv")
    assert got.pinned == (("n1", "v1"), ("n2", "v1"))
    assert len(solve(got).matches) == 2
