"""The plan people act on: the plan CSV and workbook, the BOM, and ``matcher gaps``.

A hand-made problem gives the exact text of the plan CSV (a matched need and an
unserved one); the documented columns are the written header; the workbook
holds the cells of the CSV; the plan still reads back as its pairs; a missing
openpyxl exits 2 with the install command; ``matcher gaps`` prints
``Gaps.summary()`` or its JSON.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest

from matcher import Need, Policy, Problem, Volunteer, gaps, solve
from matcher import io as mio
from matcher.cli import main
from matcher.cli.commands import demo_paths
from matcher.io.write import EXCEL_INSTALL

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = ROOT / "docs" / "user-guide" / "cli.md"
PLANE = Policy(geometry="plane", max_distance_km=3.0)


def hand_made() -> Problem:
    vols = [
        Volunteer("ana", {"nursing": 3, "driving": 1}, (0.3, 0.4), capacity=2, slots=["sat-am"],
                  community="c1", building="b1", unit="u1",
                  extra={"name": "Ana Li", "phone": "555-0100"}),
        Volunteer("bo", {"legal": 1}, (0.0, 2.0), community="c1", extra={"name": "Bo"}),
    ]  # fmt: skip
    needs = [
        Need("n1", "elderly_care", {"nursing": 2, "driving": 1}, (0.0, 0.0), slot="sat-am",
             priority=4, community="c1", building="b2", household="b2-101",
             extra={"room": "101"}),
        Need("n2", "legal", {"legal": 3}, (0.0, 1.0), priority=2, community="c1",
             household="b3-7"),
        Need("n3", "repair", {}, (0.0, 0.0)),
    ]  # fmt: skip
    return Problem(vols, needs, PLANE)


HEADER = (
    "need_id,category,priority,slot,need_community,need_building,need_household,volunteer_id,"
    "volunteer_community,volunteer_building,volunteer_unit,skills,distance_km,status,reason,"
    "explanation,missing,cost,need.room,volunteer.name,volunteer.phone"
)
PLAN = f"""{HEADER}
n1,elderly_care,4,sat-am,c1,b2,b2-101,ana,c1,b1,u1,driving 1 (has 1); nursing 2 (has 3),0.50,matched,,,,0.6,101,Ana Li,555-0100
n2,legal,2,,c1,,b3-7,,,,,legal 3,,unmatched,no_skill,needs legal 3; the best holder within reach has legal 1,1,,,,
n3,repair,1,,,,,ana,c1,b1,u1,,0.50,matched,,,,0.5,,Ana Li,555-0100
"""


def test_plan_csv_of_a_hand_made_problem(tmp_path):
    p = hand_made()
    mio.write_plan_csv(solve(p), p, tmp_path / "plan.csv")
    assert (tmp_path / "plan.csv").read_bytes() == PLAN.encode("utf-8")  # no BOM by default


def test_plan_csv_with_bom(tmp_path):
    p = hand_made()
    mio.write_plan_csv(solve(p), p, tmp_path / "plan.csv", bom=True)
    data = (tmp_path / "plan.csv").read_bytes()
    assert data == b"\xef\xbb\xbf" + PLAN.encode("utf-8")
    # still reads back as the pairs it matched
    assert mio.read_pairs(tmp_path / "plan.csv") == (("n1", "ana"), ("n3", "ana"))


def test_distance_has_two_decimals(tmp_path):
    p = Problem(
        [Volunteer("v", [], (0.0, 0.0), capacity=3)],
        [Need("a", "c", [], (1.0, 0.0)), Need("b", "c", [], (0.123456, 0.0)),
         Need("c", "c", [], (2.675, 0.0))],
        PLANE,
    )  # fmt: skip
    r = solve(p)
    header, rows = mio.plan_table(r, p)
    col = header.index("distance_km")
    assert [row[col] for row in rows] == [1.0, 0.12, 2.67]  # 2.675 is 2.67499... in binary
    mio.write_plan_csv(r, p, tmp_path / "plan.csv")
    with (tmp_path / "plan.csv").open(encoding="utf-8") as fh:
        cells = [row["distance_km"] for row in csv.DictReader(fh)]
    assert cells == ["1.00", "0.12", "2.67"]


def documented(section: str) -> list[str]:
    """The columns of the table under the heading *section* of docs/user-guide/cli.md."""
    text = CLI_DOC.read_text(encoding="utf-8")
    start = text.index(f"### {section}\n")
    end = text.find("\n#", start + 1)
    return re.findall(r"^\| `([^`]+)` \|", text[start : end if end > 0 else None], flags=re.M)


def test_documented_plan_columns_are_the_written_header(tmp_path):
    assert documented("The plan's columns") == [
        *mio.PLAN_COLUMNS,
        "need.<column>",
        "volunteer.<column>",
    ]
    p = hand_made()
    mio.write_plan_csv(solve(p), p, tmp_path / "plan.csv")
    header = (tmp_path / "plan.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    own = len(mio.PLAN_COLUMNS)
    assert header[:own] == list(mio.PLAN_COLUMNS)
    assert header[own:] == ["need.room", "volunteer.name", "volunteer.phone"]


def test_result_to_frame_has_the_plan_columns():
    pytest.importorskip("pandas")
    p = hand_made()
    r = solve(p)
    frame = mio.result_to_frame(r, p)
    header, rows = mio.plan_table(r, p)
    assert list(frame.columns) == header and len(frame) == len(rows)
    assert frame["distance_km"].tolist()[0] == 0.5 and frame["missing"].tolist()[1] == 1
    assert frame["explanation"].tolist()[1] == (
        "needs legal 3; the best holder within reach has legal 1"
    )


# --------------------------------------------------------------------------- workbook


def _csv_cell(value) -> str:
    return "" if value is None else str(value)


def _same(csv_cell: str, xlsx_value) -> bool:
    """A workbook cell holds what the CSV cell says (numbers compared as numbers)."""
    if isinstance(xlsx_value, (int, float)) and not isinstance(xlsx_value, bool):
        return float(csv_cell) == pytest.approx(float(xlsx_value), abs=0, rel=0)
    return csv_cell == _csv_cell(xlsx_value)


def test_xlsx_holds_the_cells_of_the_csv(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    p = Problem(
        [*hand_made().volunteers,
         Volunteer("cy", [], (2.0, 0.0), extra={"name": "=HYPERLINK(\"x\")", "phone": "a\x01b"})],
        [*hand_made().needs, Need("n4", "repair", [], (2.0, 0.1))],
        PLANE,
    )  # fmt: skip
    r = solve(p)
    mio.write_plan_csv(r, p, tmp_path / "plan.csv")
    mio.write_plan_xlsx(r, p, tmp_path / "plan.xlsx")
    rows = list(csv.reader((tmp_path / "plan.csv").open(encoding="utf-8", newline="")))
    ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["plan"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert len(cells) == len(rows)
    for want, got in zip(rows, cells, strict=True):
        got = got + [None] * (len(want) - len(got))
        for a, b in zip(want, got, strict=True):
            if a == "a\x01b":
                assert b == "a\ufffdb"  # a workbook cannot hold control characters
            else:
                assert _same(a, b), (a, b)
    formula = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert formula.data_type == "s"  # text, never a formula
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    col = rows[0].index("distance_km") + 1
    assert ws.cell(row=2, column=col).number_format == "0.00"


def test_missing_openpyxl_exits_2_with_the_install_command(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl raises ImportError
    paths = demo_paths()
    out = tmp_path / "r.json"
    argv = ["solve", "--volunteers", str(paths["volunteers"]), "--needs", str(paths["needs"]),
            "--out", str(out), "--plan-csv", str(tmp_path / "plan.csv"),
            "--plan-xlsx", str(tmp_path / "plan.xlsx"), "--quiet"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert EXCEL_INSTALL in err and err.startswith("matcher: --plan-xlsx needs openpyxl")
    assert list(tmp_path.iterdir()) == []  # nothing written
    p = hand_made()
    with pytest.raises(ImportError, match=re.escape(EXCEL_INSTALL)):
        mio.write_plan_xlsx(solve(p), p, tmp_path / "plan.xlsx")
    assert EXCEL_INSTALL == 'pip install "volunteer-matcher[excel]"'


# --------------------------------------------------------------------------- solve's tables


def _write_files(tmp_path: Path) -> list[str]:
    p = hand_made()
    mio.write_volunteers_csv(p.volunteers, tmp_path / "v.csv", geometry="plane")
    mio.write_needs_csv(p.needs, tmp_path / "n.csv", geometry="plane")
    mio.write_json(p.policy, tmp_path / "p.json")
    return ["--volunteers", str(tmp_path / "v.csv"), "--needs", str(tmp_path / "n.csv"),
            "--policy", str(tmp_path / "p.json")]  # fmt: skip


def test_solve_writes_every_table(tmp_path):
    pytest.importorskip("openpyxl")
    files = _write_files(tmp_path)
    argv = ["solve", *files, "--out", str(tmp_path / "r.json"), "--quiet", "--bom",
            "--plan-csv", str(tmp_path / "plan.csv"), "--plan-xlsx", str(tmp_path / "plan.xlsx"),
            "--roster-csv", str(tmp_path / "roster.csv")]  # fmt: skip
    assert main(argv) == 0
    assert (tmp_path / "plan.csv").read_bytes() == b"\xef\xbb\xbf" + PLAN.encode("utf-8")
    assert (tmp_path / "roster.csv").read_bytes().startswith(b"\xef\xbb\xbfvolunteer_id,")
    assert (tmp_path / "plan.xlsx").stat().st_size > 0
    # a plan CSV is a history file
    argv = ["solve", *files, "--out", str(tmp_path / "w2.json"), "--quiet",
            "--history", str(tmp_path / "plan.csv")]  # fmt: skip
    assert main(argv) == 0
    assert mio.read_pairs(tmp_path / "plan.csv", "history") == (("n1", "ana"), ("n3", "ana"))


def test_a_failed_table_write_leaves_no_new_file_behind(tmp_path):
    files = _write_files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["solve", *files, "--out", str(out / "r.json"), "--quiet",
            "--plan-csv", str(out / "plan.csv"),
            "--roster-csv", str(tmp_path / "nowhere" / "roster.csv")]  # fmt: skip
    assert main(argv) == 2
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- gaps


def test_gaps_text_and_json_of_a_small_case(tmp_path, capsys):
    p = Problem(
        [Volunteer("ana", {}, (0.0, 0.0))],
        [Need("n1", "elderly_care", {"nursing": 2}, (1.0, 0.0), priority=3, building="B1")],
        PLANE,
    )
    r = solve(p)
    mio.write_json(r, tmp_path / "r.json")
    mio.write_json(p, tmp_path / "p.json")
    argv = ["gaps", str(tmp_path / "r.json"), "--problem", str(tmp_path / "p.json")]
    assert main(argv) == 0
    assert capsys.readouterr().out == gaps(p, r).summary() + "\n"
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unmatched"] == {"needs": 1, "units": 1, "priority": 3}
    assert data["by_reason"] == {"no_skill": {"needs": 1, "units": 1, "priority": 3}}
    assert data["missing"][0]["skill"] == "nursing" and data["missing"][0]["places"] == [
        ["building B1", 1]
    ]
    rec = data["recommendations"][0]
    assert rec["members"] == ["ana"] and rec["priority_gained"] == 3 and rec["skill"] == "nursing"
    assert data["evaluated"] == 1 and data["baseline"]["served_priority"] == 0


def test_gaps_on_the_demo(tmp_path, capsys):
    paths = demo_paths()
    files = ["--volunteers", str(paths["volunteers"]), "--needs", str(paths["needs"]),
             "--policy", str(paths["policy"])]  # fmt: skip
    assert main(["solve", *files, "--out", str(tmp_path / "r.json"), "--quiet"]) == 0
    argv = ["gaps", str(tmp_path / "r.json"), *files, "--max-candidates", "3"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    problem = mio.read_problem(paths["volunteers"], paths["needs"], paths["policy"])
    result = mio.read_result(tmp_path / "r.json")
    assert text == gaps(problem, result, max_candidates=3).summary() + "\n"
    assert text.startswith("Unserved: ") and "Recommendations (3 interventions evaluated" in text
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unmatched"]["needs"] == len(result.unmatched) and data["evaluated"] == 3


def test_gaps_needs_the_problem(tmp_path, capsys):
    p = hand_made()
    mio.write_json(solve(p), tmp_path / "r.json")
    assert main(["gaps", str(tmp_path / "r.json")]) == 2
    assert "--volunteers/--needs or --problem" in capsys.readouterr().err
    assert main(["gaps", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "--volunteers/--needs or --problem" in err and "missing.json" in err
