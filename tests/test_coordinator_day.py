"""A coordinator's day, end to end, on a Chinese community (issue 13's proof).

GB18030 files with Chinese headers -> ``matcher solve`` (plan workbook, plan CSV
with a BOM, roster) -> ``matcher verify`` (the recorded policy) -> ``matcher gaps``
-> ``matcher report``. The browser test of the report (its labels drawn as text
with a Chinese font, and the screenshot) is in tests/test_report.py.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from matcher.cli import main

SHEETS = Path(__file__).resolve().parent / "corpus" / "sheets"


def test_gb18030_files_to_plan_roster_verify_gaps_and_report(tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    pytest.importorskip("matplotlib")
    v = tmp_path / "志愿者.csv"
    n = tmp_path / "需求.csv"
    shutil.copy(SHEETS / "gb18030_volunteers.csv", v)
    shutil.copy(SHEETS / "gb18030_needs.csv", n)
    out = {
        k: tmp_path / f
        for k, f in (
            ("r", "r.json"),
            ("csv", "plan.csv"),
            ("xlsx", "plan.xlsx"),
            ("roster", "roster.csv"),
            ("html", "report.html"),
        )
    }
    files = ["--volunteers", str(v), "--needs", str(n)]
    assert (
        main(
            [
                "solve",
                *files,
                "--max-distance-km",
                "2",
                "--out",
                str(out["r"]),
                "--plan-csv",
                str(out["csv"]),
                "--bom",
                "--plan-xlsx",
                str(out["xlsx"]),
                "--roster-csv",
                str(out["roster"]),
                "--quiet",
            ]
        )
        == 0
    )
    raw = out["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows reads it as UTF-8
    plan = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    served = {r["need_id"]: r for r in plan if r["status"] == "matched"}
    assert served["n1"]["volunteer_id"] == "v1" and served["n1"]["category"] == "老人照护"
    assert served["n1"]["skills"] == "护理 2 (has 3)"
    assert served["n1"]["need.房号"] == "301" and served["n1"]["volunteer.电话"]
    sheet = openpyxl.load_workbook(out["xlsx"]).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == list(plan[0].keys()) and len(rows) == len(plan) + 1
    roster = list(csv.DictReader(out["roster"].read_text(encoding="utf-8-sig").splitlines()))
    assert {r["volunteer_id"] for r in roster} == {r["volunteer_id"] for r in served.values()}
    assert any(r["volunteer.name"] == "张伟" for r in roster)  # 姓名 is the `name` column
    capsys.readouterr()
    # verify with the files and no --policy: the policy recorded in the result (2 km)
    assert main(["verify", *files, str(out["r"])]) == 0
    assert capsys.readouterr().out.startswith("OK:")
    assert main(["gaps", str(out["r"]), *files, "--max-candidates", "3"]) == 0
    assert "Unserved" in capsys.readouterr().out or not any(r["status"] != "matched" for r in plan)
    assert main(["report", str(out["r"]), *files, "--out", str(out["html"])]) == 0
    page = out["html"].read_text(encoding="utf-8")
    assert "老人照护" in page and "东区" in page and "13800000001" not in page
    assert "<svg" in page and "proven optimal" in page  # verified under the recorded policy
