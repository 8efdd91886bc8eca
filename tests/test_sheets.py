"""Files as coordinators keep them: encodings, separators, Chinese headers, workbooks, near misses.

The corpus ``tests/corpus/sheets/`` (its README says what each file is) is read
through the Python API and the command line; each case names its outcome: the
plan, or the exact error text (and then nothing is written). The same Chinese
community is in every valid case, so each must give the plan of the plain
UTF-8 English-header files. ``.xlsx`` workbooks are made here with openpyxl.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import budget, problems

from matcher import InputError, Problem, SizeLimitError, solve
from matcher import io as mio
from matcher.cli import main
from matcher.io import headers
from matcher.io._encoding import plausibly_chinese
from matcher.io.csvfiles import separator
from matcher.io.sheets import MissingDependency, cell_text
from matcher.io.write import EXCEL_INSTALL

SHEETS = Path(__file__).parent / "corpus" / "sheets"
DOCS = Path(__file__).parents[1] / "docs" / "user-guide" / "files.md"
PLAN = [("n1", "v1"), ("n2", "v2"), ("n3", "v3"), ("n4", "v4"), ("n5", "v1")]
BASE = ("utf8_volunteers.csv", "utf8_needs.csv")

# name: (volunteers, needs, options, the plan or the exact error text)
VALID: dict[str, tuple[str, str, dict[str, Any]]] = {
    "utf8_english": (*BASE, {}),
    "gb18030_chinese_headers": ("gb18030_volunteers.csv", "gb18030_needs.csv", {}),
    "utf16_tabs": ("utf16_tabs_volunteers.txt", "utf16_tabs_needs.txt", {}),
    "semicolons_bom": ("semicolons_volunteers.csv", "semicolons_needs.csv", {}),
    "chinese_headers_case_ignored": (
        "chinese_headers_volunteers.csv",
        "chinese_headers_needs.csv",
        {},
    ),
    "gb18030_forced": ("gb18030_volunteers.csv", "gb18030_needs.csv", {"encoding": "gb18030"}),
}

MISSING = SHEETS / "no_such_volunteers.csv"
REFUSED: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "near_miss": (
        "near_miss_volunteers.csv",
        "near_miss_needs.csv",
        {},
        "2 problems in the input:\n"
        "  near_miss_volunteers.csv: `slot` must be a column of the volunteers file, or one you "
        "keep as your own; got column `slot` looks like `slots`. Fix: rename it, or keep it as "
        "your own column with --keep-column slot (keep_columns=['slot'] in Python).\n"
        "  near_miss_needs.csv: `priorty` must be a column of the needs file, or one you keep as "
        "your own; got column `priorty` looks like `priority`. Fix: rename it, or keep it as "
        "your own column with --keep-column priorty (keep_columns=['priorty'] in Python).",
    ),
    "swapped_lat_lon": (
        "utf8_volunteers.csv",
        "swapped_needs.csv",
        {},
        "1 problem in the input:\n"
        "  need 'n3', row 4: `location` must be a latitude in -90..90 degrees; got 121.4805 "
        "(in swapped_needs.csv). Fix: the `lat` and `lon` columns look swapped (the latitude is "
        "over 90, the longitude would fit one): swap their headers.",
    ),
    "header_only": (
        "header_only_volunteers.csv",
        "utf8_needs.csv",
        {},
        "1 problem in the input:\n"
        "  header_only_volunteers.csv: `rows` must be at least one volunteer under the header; "
        "got the header only. Fix: add the rows, or pass --allow-empty (allow_empty=True in "
        "Python) to accept an empty file.",
    ),
    "latin1": (
        "latin1_volunteers.csv",
        "utf8_needs.csv",
        {},
        "1 problem in the input:\n"
        "  latin1_volunteers.csv: `file` must be a CSV text file in UTF-8, UTF-16 (with a "
        "byte-order mark) or GB18030; got not UTF-8 (line 2); as GB18030 it reads as rare "
        "characters, not Chinese text. Fix: save it as 'CSV UTF-8' in Excel (WPS: UTF-8), or "
        "pass --encoding gb18030 (encoding='gb18030' in Python) if it is Chinese text saved "
        "as GBK.",
    ),
    "duplicate_id": (
        "duplicate_volunteers.csv",
        "utf8_needs.csv",
        {},
        "1 problem in the input:\n"
        "  volunteer 'v2', row 6: `id` must be unique among volunteers: id `v2` appears on "
        "lines 3 and 6 (in duplicate_volunteers.csv). Fix: give each row its own id, or delete "
        "the repeated row.",
    ),
    "pipes_not_a_separator": (
        "utf8_volunteers.csv",
        "pipes_needs.csv",
        {},
        "5 problems in the input:\n"
        "  pipes_needs.csv: `id` must be a column (required); got missing; the header read: "
        "id|category|skills|lat|lon|slot|demand|priority|community|building|household|房号 "
        "(separator: comma, encoding: UTF-8). Fix: the header has one column only: separate "
        "the columns with , ; or a tab.\n"
        "  pipes_needs.csv: `category` must be a column (required); got missing.\n"
        "  pipes_needs.csv: `skills` must be a column (required); got missing.\n"
        "  pipes_needs.csv: `lat` must be a column (required); got missing.\n"
        "  pipes_needs.csv: `lon` must be a column (required); got missing.",
    ),
    "missing_file": (
        MISSING.name,
        "utf8_needs.csv",
        {},
        "1 problem in the input:\n"
        "  no_such_volunteers.csv: `file` must be an existing file; got not found: {missing}.",
    ),
    "gb18030_forced_as_utf8": (
        "gb18030_volunteers.csv",
        "utf8_needs.csv",
        {"encoding": "utf-8"},
        "1 problem in the input:\n"
        "  gb18030_volunteers.csv: `file` must be text in utf-8 (--encoding); got "
        "undecodable bytes at byte 0 (line 1). Fix: save it as 'CSV UTF-8' in Excel (WPS: "
        "UTF-8), or pass --encoding gb18030 (encoding='gb18030' in Python) if it is Chinese "
        "text saved as GBK.",
    ),
}


def pairs(result: Any) -> list[tuple[str, str]]:
    return sorted((m.need_id, m.volunteer_id) for m in result.matches)


def read(
    volunteers: str | Path, needs: str | Path, where: Path = SHEETS, **options: Any
) -> Problem:
    return mio.read_problem(where / volunteers, where / needs, **options)


@pytest.fixture(scope="module")
def base() -> Problem:
    return read(*BASE)


def cli_options(options: dict[str, Any]) -> list[str]:
    out = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if key == "keep_columns":
            for column in value:
                out += ["--keep-column", column]
        elif value is True:
            out.append(flag)
        else:
            out += [flag, value]
    return out


def run_cli(job: Path, argv: list[str], capsys: Any, monkeypatch: Any) -> tuple[int, str, str]:
    monkeypatch.chdir(job)
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def copy_corpus(tmp_path: Path) -> Path:
    job = tmp_path / "job"
    shutil.copytree(SHEETS, job)
    (job / "out").mkdir()
    return job


# ---------------------------------------------------------------------------
# The corpus through the API and the command line
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VALID))
def test_valid_files_give_the_plan_of_the_plain_files(name, base):
    v, n, options = VALID[name]
    problem = read(v, n, **options)
    assert problem == base  # every field of every record, the personal columns too
    assert [r.extra for r in problem.volunteers] == [r.extra for r in base.volunteers]
    assert pairs(solve(problem)) == PLAN


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_files_say_exactly_what_and_how_to_fix(name):
    v, n, options, text = REFUSED[name]
    with pytest.raises(InputError) as info:
        read(v, n, **options)
    assert str(info.value) == text.format(missing=MISSING)


@pytest.mark.parametrize("name", [*VALID, *REFUSED])
def test_command_line_agrees_and_writes_nothing_on_error(name, tmp_path, capsys, monkeypatch):
    v, n, options, *text = {**VALID, **REFUSED}[name]
    job = copy_corpus(tmp_path)
    argv = ["solve", "--volunteers", v, "--needs", n, *cli_options(options)]
    argv += ["--out", "out/result.json", "--plan-csv", "out/plan.csv", "--quiet"]
    code, out, err = run_cli(job, argv, capsys, monkeypatch)
    if text:
        assert code == 2 and out == ""
        assert err == f"matcher: {text[0].format(missing=job / MISSING.name)}\n"
        assert list((job / "out").iterdir()) == []
    else:
        assert code == 0 and err == ""
        plan = list(csv.DictReader((job / "out" / "plan.csv").open(encoding="utf-8")))
        assert sorted((r["need_id"], r["volunteer_id"]) for r in plan) == PLAN


def test_keep_column_keeps_a_near_miss_as_your_own_column(tmp_path, capsys, monkeypatch):
    p = read("near_miss_volunteers.csv", "near_miss_needs.csv", keep_columns=["slot", "priorty"])
    assert p.volunteers[0].extra == {"name": "张伟", "slot": "sat-am;sun-pm", "电话": "13800000001"}
    assert p.volunteers[0].slots is None  # `slot` is not `slots`: free any time
    assert p.needs[0].extra["priorty"] == "5" and p.needs[0].priority == 1
    assert p.needs[0].community == "东区"  # `Community`: case is ignored
    job = copy_corpus(tmp_path)
    argv = ["solve", "--volunteers", "near_miss_volunteers.csv", "--needs", "near_miss_needs.csv"]
    argv += ["--keep-column", "slot", "--keep-column", "priorty", "--out", "out/r.json", "--quiet"]
    assert run_cli(job, argv, capsys, monkeypatch)[0] == 0


def test_allow_empty_accepts_a_header_only_file(tmp_path, capsys, monkeypatch):
    p = read("header_only_volunteers.csv", "utf8_needs.csv", allow_empty=True)
    assert p.volunteers == () and len(p.needs) == 5
    assert [u.need_id for u in solve(p).unmatched] == ["n1", "n2", "n3", "n4", "n5"]
    job = copy_corpus(tmp_path)
    argv = ["solve", "--volunteers", "header_only_volunteers.csv", "--needs", "utf8_needs.csv"]
    argv += ["--allow-empty", "--out", "out/r.json", "--quiet"]
    assert run_cli(job, argv, capsys, monkeypatch)[0] == 0


def test_verify_and_report_take_the_same_file_options(tmp_path, capsys, monkeypatch):
    job = copy_corpus(tmp_path)
    files = ["--volunteers", "near_miss_volunteers.csv", "--needs", "near_miss_needs.csv"]
    keep = ["--keep-column", "slot", "--keep-column", "priorty"]
    assert (
        run_cli(job, ["solve", *files, *keep, "--out", "r.json", "--quiet"], capsys, monkeypatch)[0]
        == 0
    )
    code, out, _ = run_cli(job, ["verify", *files, *keep, "r.json"], capsys, monkeypatch)
    assert code == 0 and out.startswith("OK")
    code, _, err = run_cli(job, ["verify", *files, "r.json"], capsys, monkeypatch)
    assert code == 2 and "--keep-column slot" in err


def test_the_corpus_files_hold_the_bytes_they_claim(base):
    def raw(name: str) -> bytes:
        return (SHEETS / name).read_bytes()

    for name in ("gb18030_volunteers.csv", "gb18030_needs.csv", "latin1_volunteers.csv"):
        with pytest.raises(UnicodeDecodeError):
            raw(name).decode("utf-8")
    assert raw("gb18030_volunteers.csv").startswith("编号,姓名".encode("gb18030"))
    assert raw("utf16_tabs_needs.txt").startswith(codecs.BOM_UTF16_LE + "id\t".encode("utf-16-le"))
    assert raw("semicolons_volunteers.csv").startswith(codecs.BOM_UTF8 + b"id;name;")
    # Latin-1 names that are valid GB18030 bytes: refused by the plausibility rule alone
    text = raw("latin1_volunteers.csv").decode("gb18030")
    assert "M黮ler" in text and not plausibly_chinese(text)


def test_every_corpus_file_is_described_in_its_readme():
    readme = (SHEETS / "README.md").read_text(encoding="utf-8")
    files = {p.name for p in SHEETS.iterdir() if p.name != "README.md"}
    assert files == set(re.findall(r"`([\w.]+\.(?:csv|txt))`", readme)) - {MISSING.name}
    used = {f for case in [*VALID.values(), *REFUSED.values()] for f in case[:2]}
    assert files <= used | {"utf8_volunteers.csv"}


def test_a_chinese_community_end_to_end_through_the_cli(tmp_path, capsys, monkeypatch):
    job = copy_corpus(tmp_path)
    runs = {}
    for label, (v, n) in {
        "zh": ("gb18030_volunteers.csv", "gb18030_needs.csv"),
        "en": BASE,
    }.items():
        argv = ["solve", "--volunteers", v, "--needs", n, "--out", f"{label}.json"]
        argv += ["--no-timings", "--quiet"]
        assert run_cli(job, argv, capsys, monkeypatch)[0] == 0
        runs[label] = mio.read_result(job / f"{label}.json")
    assert runs["zh"].matches == runs["en"].matches and runs["zh"].unmatched == ()
    assert runs["zh"].objective == runs["en"].objective
    assert pairs(runs["zh"]) == PLAN


# ---------------------------------------------------------------------------
# Workbooks
# ---------------------------------------------------------------------------


def make_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def as_cells(name: str) -> list[list[Any]]:
    """A corpus CSV's rows as a coordinator's sheet holds them: numbers as numbers."""
    rows = list(csv.reader((SHEETS / name).open(encoding="utf-8", newline="")))

    def cell(text: str) -> Any:
        if text == "":
            return None
        for cast in (int, float):
            try:
                return cast(text)
            except ValueError:
                pass
        return text

    return [rows[0], *([cell(c) for c in row] for row in rows[1:])]


@pytest.fixture
def workbooks(tmp_path: Path) -> Path:
    notes = [["这是说明页"], ["志愿者名单见下一页"]]
    make_workbook(tmp_path / "v.xlsx", {"说明": notes, "志愿者": as_cells("utf8_volunteers.csv")})
    make_workbook(tmp_path / "n.xlsx", {"需求": as_cells("utf8_needs.csv")})
    return tmp_path


def test_a_workbook_reads_like_its_csv(workbooks, base):
    assert (workbooks / "v.xlsx").stat().st_size < 50_000
    volunteers = mio.read_volunteers(workbooks / "v.xlsx", sheet="志愿者")
    p = Problem(volunteers, mio.read_needs(workbooks / "n.xlsx"))
    # the same records: 31.2300 is the number 31.23, 13800000001 an integer, 2 not 2.0
    assert p == base
    assert p.volunteers[0].extra == base.volunteers[0].extra
    assert pairs(solve(p)) == PLAN


def test_the_first_sheet_is_read_unless_one_is_named(workbooks):
    with pytest.raises(InputError) as info:
        mio.read_volunteers(workbooks / "v.xlsx")  # the notes sheet
    assert [p.field for p in info.value.problems][:1] == ["id"]
    assert "(sheet '说明')" in str(info.value)
    with pytest.raises(InputError) as info:
        mio.read_volunteers(workbooks / "v.xlsx", sheet="volunteers")
    assert str(info.value) == (
        "1 problem in the input:\n"
        "  v.xlsx: `sheet` must be one of the workbook's sheets: 说明, 志愿者; got 'volunteers'."
    )


def test_workbook_through_the_cli_with_sheet(workbooks, capsys, monkeypatch):
    argv = ["solve", "--volunteers", "v.xlsx", "--needs", "n.xlsx", "--sheet", "志愿者"]
    code, out, err = run_cli(workbooks, argv + ["--out", "r.json", "--json"], capsys, monkeypatch)
    assert code == 2 and "`sheet` must be one of the workbook's sheets: 需求" in err
    make_workbook(workbooks / "n.xlsx", {"志愿者": as_cells("utf8_needs.csv")})
    code, out, err = run_cli(workbooks, argv + ["--out", "r.json", "--quiet"], capsys, monkeypatch)
    assert code == 0, err
    assert pairs(mio.read_result(workbooks / "r.json")) == PLAN


def test_cells_become_the_text_csv_would_hold():
    import datetime

    assert cell_text(2) == ("2", "") and cell_text(2.0) == ("2", "")
    assert cell_text(31.2304) == ("31.2304", "") and cell_text(0.1 + 0.2) == (
        "0.30000000000000004",
        "",
    )
    assert cell_text(13800000001) == ("13800000001", "") and cell_text(-0.0) == ("0", "")
    assert cell_text(1e300) == ("1e+300", "") and cell_text(None) == ("", "")
    assert cell_text(False) == ("FALSE", "") and cell_text(" x ") == (" x ", "")
    assert cell_text(datetime.datetime(2024, 3, 1, 9)) == ("", "a date")
    assert cell_text(datetime.time(9, 30)) == ("", "a time")


def test_a_date_cell_is_refused_naming_row_and_column(tmp_path):
    import datetime

    rows = as_cells("utf8_volunteers.csv")
    rows[0].append("生日")
    rows[2].append(datetime.date(1960, 5, 4))
    rows[3][0] = datetime.date(2024, 3, 1)  # an id Excel took for a date
    make_workbook(tmp_path / "v.xlsx", {"v": rows})
    with pytest.raises(InputError) as info:
        mio.read_volunteers(tmp_path / "v.xlsx")
    assert str(info.value) == (
        "2 problems in the input:\n"
        "  volunteer 'v2', row 3: `生日` must be text or a number; got a date (in v.xlsx). "
        "Fix: format the column as Text in Excel (or save the sheet as 'CSV UTF-8').\n"
        "  volunteer (no id), row 4: `id` must be text or a number; got a date (in v.xlsx). "
        "Fix: format the column as Text in Excel (or save the sheet as 'CSV UTF-8')."
    )


def test_short_rows_are_empty_cells_and_long_rows_are_refused(tmp_path):
    rows = [
        ["id", "skills", "lat", "lon", "电话"],
        ["v1", "护理", 31.23, 121.47],
        ["v2", "驾驶", 31.2, 121.4, "1", "x"],
    ]
    make_workbook(tmp_path / "v.xlsx", {"v": rows})
    with pytest.raises(InputError) as info:
        mio.read_volunteers(tmp_path / "v.xlsx")
    (p,) = info.value.problems
    assert (p.record, p.row, p.field, p.expected, p.got) == (
        "volunteer 'v2'",
        3,
        "row",
        "5 cells like the header",
        "6",
    )
    rows[2].pop()
    make_workbook(tmp_path / "v.xlsx", {"v": rows})
    v1, v2 = mio.read_volunteers(tmp_path / "v.xlsx")
    assert v1.extra == {"电话": ""} and v2.extra == {"电话": "1"}


def test_not_workbooks_are_refused_with_the_fix(tmp_path):
    (tmp_path / "v.xls").write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    (tmp_path / "v.xlsx").write_bytes(b"not a zip at all")
    shutil.copy(make_workbook(tmp_path / "real.xlsx", {"v": [["id"]]}), tmp_path / "v.csv")
    got = {}
    for name in ("v.xls", "v.xlsx", "v.csv"):
        with pytest.raises(InputError) as info:
            mio.read_volunteers(tmp_path / name)
        (p,) = info.value.problems
        got[name] = (p.expected, p.got, p.hint)
    assert got == {
        "v.xls": (
            "a .xlsx workbook or a CSV file",
            "an Excel 97-2003 or WPS workbook",
            "save it as 'Excel Workbook (*.xlsx)' or 'CSV UTF-8'",
        ),
        "v.xlsx": (
            "a .xlsx workbook",
            "a file openpyxl cannot open (BadZipFile)",
            "open it in Excel or WPS and save it again as .xlsx",
        ),
        "v.csv": (
            "a CSV text file",
            "an Excel workbook (.xlsx)",
            "give it a name ending in .xlsx, or save it as 'CSV UTF-8'",
        ),
    }


def test_without_openpyxl_the_cli_exits_2_with_the_install_command(workbooks, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl -> ImportError
    with pytest.raises(MissingDependency, match=re.escape(EXCEL_INSTALL)):
        mio.read_volunteers(workbooks / "v.xlsx")
    argv = ["solve", "--volunteers", "v.xlsx", "--needs", "n.xlsx", "--out", "r.json"]
    code, out, err = run_cli(workbooks, argv, capsys, monkeypatch)
    assert code == 2 and out == ""
    assert err == (
        "matcher: reading an Excel workbook (.xlsx) needs openpyxl, an optional dependency: "
        f"{EXCEL_INSTALL}\n"
    )
    assert not (workbooks / "r.json").exists()


# ---------------------------------------------------------------------------
# Encodings and separators
# ---------------------------------------------------------------------------


ROW = "id,skills,lat,lon,name\nv1,护理,31.23,121.47,张伟\n"
BIG5 = "id,skills,lat,lon,name\nv1,護理,31.23,121.47,張偉\n".encode("big5")  # Taiwan, Hong Kong


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROW.encode("utf-8"), None),
        (ROW.encode("utf-8-sig"), None),
        (ROW.encode("utf-16"), None),
        (ROW.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF16_BE + ROW.encode("utf-16-be"), None),
        (ROW.encode("gb18030"), None),
        (ROW.encode("gbk"), None),
        (ROW.encode("gb18030"), "GBK"),
    ],
)
def test_encodings_detected_or_forced(data, encoding):
    (v,) = mio.read_volunteers(io.BytesIO(data), encoding=encoding)
    assert v.skills == {"护理": 1} and v.extra == {"name": "张伟"}


def test_any_encoding_can_be_forced():
    (v,) = mio.read_volunteers(io.BytesIO(BIG5), encoding="big5")
    assert v.skills == {"護理": 1} and v.extra == {"name": "張偉"}


@pytest.mark.parametrize(
    ("data", "got"),
    [
        (ROW.encode("utf-16-le"), "NUL bytes: a binary file, or UTF-16 without a byte-order mark"),
        (BIG5, "not UTF-8 (line 2); as GB18030 it reads as rare characters, not Chinese text"),
        ("id,name\nv1,café\n".encode("cp1252"), "not UTF-8 (line 2), not GB18030 (line 2)"),
        (
            codecs.BOM_UTF8 + "id\n".encode("gbk") + "张".encode("gbk"),
            "undecodable bytes at byte 6 (line 2)",
        ),
    ],
)
def test_other_encodings_are_refused_never_guessed(data, got):
    with pytest.raises(InputError) as info:
        mio.read_volunteers(io.BytesIO(data))
    (p,) = info.value.problems
    assert p.got == got and "--encoding gb18030" in p.hint


def test_an_unknown_encoding_is_one_option_problem():
    with pytest.raises(InputError) as info:
        mio.read_problem(io.BytesIO(b""), io.BytesIO(b""), encoding="klingon")
    assert str(info.value) == (
        "1 problem in the input:\n"
        "  option: `encoding` must be an encoding such as utf-8, gb18030 or utf-16; got 'klingon'."
    )


def test_the_plausibility_rule_allows_a_few_rare_characters():
    names = "朱镕基,张伟,李娜,王芳,赵磊,刘洋,陈静,杨帆"  # 镕 is not in GB2312
    assert plausibly_chinese(names) and plausibly_chinese("plain ascii")
    assert not plausibly_chinese("镕" * 2 + "张" * 17)  # 2 in 19: over 10%


@pytest.mark.parametrize(
    ("line", "sep"),
    [
        ("id,skills,lat,lon", ","),
        ("id;skills;lat;lon", ";"),
        ("id\tskills\tlat\tlon", "\t"),
        ('id;"a,b,c";lat', ";"),
        ("id", ","),
        ("id;name,phone;room", ";"),
    ],
)
def test_the_separator_is_the_one_the_header_uses_most(line, sep):
    assert separator(line + "\nv1,x;y\tz\n") == sep


# ---------------------------------------------------------------------------
# Headers: aliases, near misses, personal columns
# ---------------------------------------------------------------------------


PERSONAL = [
    "phone", "Phone", "room", "notes", "note", "age", "email", "e-mail", "address", "gender",
    "sex", "mobile", "tel", "remark", "remarks", "comment", "floor", "nickname", "wechat",
    "birthday", "contact", "status", "role", "team", "title", "city", "district", "apartment",
    "apt", "car", "language", "occupation", "former_occupation", "topic", "x", "location",
    "extra", "level", "hours", "电话", "备注", "房号", "年龄", "性别", "地址", "手机", "微信",
    "房间", "出生日期", "职业", "技术",
]  # fmt: skip

NEAR = {
    # header: (file, what it looks like)
    ("slot", "volunteer"): "slots",
    ("slots", "need"): "slot",
    ("priorty", "need"): "priority",
    ("skill", "need"): "skills",
    ("Skils", "volunteer"): "skills",
    ("capacities", "volunteer"): "capacity",
    ("category", "volunteer"): "categories",
    ("categorys", "need"): "category",
    ("max-distance-km", "volunteer"): "max_distance_km",
    ("max distance", "volunteer"): "max_distance_km",
    ("lng", "need"): None,  # an alias of lon
    ("lattitude", "need"): "latitude",
    ("ids", "need"): "id",
    ("demands", "need"): "demand",
    ("priority", "volunteer"): "priority",  # a needs column in the volunteers file
    ("group", "volunteer"): "group",
    ("unit", "need"): "unit",
    ("人数", "volunteer"): "demand",  # a needs alias in the volunteers file
    ("容量", "need"): "capacity",
}


@pytest.mark.parametrize("column", PERSONAL)
@pytest.mark.parametrize("kind", ["volunteer", "need"])
def test_personal_columns_are_carried_not_refused(column, kind):
    name = headers.normalise(column)
    assert name not in headers._columns(kind, "geo")
    assert headers.near_miss(name, kind, "geo") is None, column


@pytest.mark.parametrize(("column", "kind"), list(NEAR))
def test_near_misses_are_refused(column, kind):
    found = headers.near_miss(headers.normalise(column), kind, "geo")
    like = NEAR[(column, kind)]
    if like is None:
        assert headers.normalise(column) in headers._columns(kind, "geo")
    else:
        assert found is not None and (found[0] == like or headers.ALIASES.get(found[0]) == like)


def test_a_column_and_its_alias_together_are_one_column_twice():
    v = io.StringIO("id,skills,lat,纬度,lon\nv1,a,31,31,121\n")
    with pytest.raises(InputError) as info:
        mio.read_volunteers(v)
    assert str(info.value) == (
        "1 problem in the input:\n"
        "  input: `lat` must be one column of this name; got columns `lat` and `纬度` both "
        "mean `lat`."
    )


def test_problems_name_the_column_as_written():
    v = io.StringIO("编号,技能,纬度,经度,容量\nv1,护理,31.2,121.4,两个\n")
    with pytest.raises(InputError) as info:
        mio.read_volunteers(v)
    (p,) = info.value.problems
    assert (p.field, p.column, p.row) == ("capacity", "容量", 2)
    assert str(p) == (
        "volunteer 'v1', row 2: `capacity` must be an integer >= 0; got '两个' (column `容量`)."
    )


def test_the_alias_table_in_the_docs_is_the_code():
    text = DOCS.read_text(encoding="utf-8")
    table = text[text.index("| column | volunteers | needs |") :].split("\n\n")[0]
    got: dict[str, dict[str, str]] = {"volunteers": {}, "needs": {}}
    columns: dict[str, set[str]] = {"volunteers": set(), "needs": set()}
    for row in table.splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        (column,) = re.findall(r"`([^`]+)`", cells[0])
        for file, mark in zip(("volunteers", "needs"), cells[1:3], strict=True):
            if mark == "yes":
                columns[file].add(column)
                got[file].update(dict.fromkeys(re.findall(r"`([^`]+)`", cells[3]), column))
    assert got == headers.ALIASES
    for file, kind in (("volunteers", "volunteer"), ("needs", "need")):
        assert columns[file] == set(headers._columns(kind, "geo").values())


# ---------------------------------------------------------------------------
# Property: every encoding and separator reads back the same problem
# ---------------------------------------------------------------------------

NAMES = (
    st.text(alphabet="护理驾驶辅导张伟李娜社区东西楼abcXYZé -_·（）", min_size=1, max_size=6)
    .map(str.strip)
    .filter(bool)
)
FORMATS = [(e, s) for e in ("utf-8", "utf-8-sig", "utf-16", "gb18030") for s in (",", ";", "\t")]


def _respelt(text: str, encoding: str, sep: str) -> bytes:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=budget(0.5), suppress_health_check=[HealthCheck.too_slow])
@given(problems(4, 4, max_pinned=0, max_forbidden=0), st.data(), st.sampled_from(FORMATS))
def test_every_encoding_and_separator_reads_back_the_same_problem(problem, data, spelling):
    from dataclasses import replace

    def dress(records: tuple[Any, ...]) -> list[Any]:
        return [
            replace(r, extra={"name": data.draw(NAMES), "备注": data.draw(NAMES)}) for r in records
        ]

    p = Problem(dress(problem.volunteers), dress(problem.needs), problem.policy)
    assume(all(v.slots != frozenset() for v in p.volunteers))  # no CSV spelling (refused)
    with tempfile.TemporaryDirectory() as tmp:
        v, n = Path(tmp) / "v.csv", Path(tmp) / "n.csv"
        mio.write_volunteers_csv(p.volunteers, v, geometry=p.policy.geometry)
        mio.write_needs_csv(p.needs, n, geometry=p.policy.geometry)
        texts = [f.read_text(encoding="utf-8") for f in (v, n)]
    encoding, sep = spelling
    files = [_respelt(t, encoding, sep) for t in texts]
    # GB18030 bytes that are also valid UTF-8 read as UTF-8 (documented: pass --encoding)
    assume(encoding != "gb18030" or not any(_valid_utf8(f) and not f.isascii() for f in files))
    again = mio.read_problem(*map(io.BytesIO, files), p.policy, allow_empty=True)
    assert again == p
    assert [r.extra for r in again.volunteers] == [r.extra for r in p.volunteers]
    forced = mio.read_problem(
        *map(io.BytesIO, files), p.policy, allow_empty=True, encoding=encoding
    )
    assert forced == p


# ------------------------------------------------------------------ what a sheet declares

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet_xml_workbook(tmp_path: Path, dimension: str, rows: str) -> Path:
    """A workbook whose first sheet is this XML (the rest written by openpyxl)."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id"])
    plain = io.BytesIO()
    book.save(plain)
    xml = (
        f'<worksheet {_NS}><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )
    path = tmp_path / "volunteers.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for member in src.namelist():
            data = xml.encode() if member == "xl/worksheets/sheet1.xml" else src.read(member)
            out.writestr(member, data)
    return path


def _row(r: int, *cells: tuple[str, str]) -> str:
    body = "".join(
        f'<c r="{col}{r}" t="inlineStr"><is><t>{text}</t></is></c>' for col, text in cells
    )
    return f'<row r="{r}">{body}</row>'


_HEADER = _row(1, ("A", "id"), ("B", "lat"), ("C", "lon"), ("D", "skills"))


def _volunteer(r: int, col: str = "A") -> str:
    return _row(r, (col, f"v{r}"), ("B", "31.2"), ("C", "121.4"), ("D", "driving"))


def test_rows_below_the_declared_size_are_read_not_dropped(tmp_path):
    # openpyxl stops at the size a sheet declares (A1:C2 here): v9 would vanish.
    path = _sheet_xml_workbook(tmp_path, "A1:C2", _HEADER + _volunteer(2) + _volunteer(9))
    assert [v.id for v in mio.read_volunteers(path)] == ["v2", "v9"]


def test_a_declared_size_of_the_whole_grid_costs_nothing(tmp_path, monkeypatch):
    # Declared 16,384 columns: every row would be padded to that width (36 s for
    # 20,000 rows, half an hour for the grid); only the cells written are read.
    monkeypatch.setattr("matcher.limits.MAX_SHEET_CELLS", 10_000)
    path = _sheet_xml_workbook(tmp_path, "A1:XFD1048576", _HEADER + _volunteer(2000))
    assert [v.id for v in mio.read_volunteers(path)] == ["v2000"]


def test_a_sheet_past_the_row_limit_is_refused_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("matcher.limits.MAX_SHEET_ROWS", 100)
    path = _sheet_xml_workbook(tmp_path, "A1:C2", _HEADER + _volunteer(2) + _volunteer(101))
    with pytest.raises(SizeLimitError) as info:
        mio.read_volunteers(path)
    assert "matcher.limits.MAX_SHEET_ROWS" in str(info.value)
    assert "volunteers.xlsx" in str(info.value)


def test_a_sheet_past_the_cell_limit_is_refused_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("matcher.limits.MAX_SHEET_CELLS", 1000)
    wide = "".join(_row(r, ("XFD", "x")) for r in range(2, 5))  # 16,384 cells a row
    path = _sheet_xml_workbook(tmp_path, "A1:C2", _HEADER + wide)
    with pytest.raises(SizeLimitError, match=r"MAX_SHEET_CELLS"):
        mio.read_volunteers(path)


def _near_miss_as_it_was(header: str, kind: str, geometry: str) -> tuple[str, str] | None:
    """The near-miss search before it was made fast (every name, every distance)."""
    from matcher.io.headers import _OTHER, NAME_COLUMN, _columns, _singular, _squash
    from matcher.model.names import damerau_levenshtein

    other = _OTHER[kind]
    if not header.isascii():
        col = _columns(other, geometry).get(header)
        return (col, other) if col not in (None, NAME_COLUMN) else None
    best = None
    for rank, who in enumerate((kind, other)):
        for name, col in _columns(who, geometry).items():
            if col == NAME_COLUMN or not name.isascii():
                continue
            a, b = _squash(header), _squash(name)
            if a == b or _singular(a) == _singular(b):
                d = 0
            else:
                d = damerau_levenshtein(a, b)
                if d > (2 if min(len(a), len(b)) >= 5 else 1):
                    continue
            if best is None or (rank, d, name) < best[:3]:
                best = (rank, d, name, who)
    return None if best is None else (best[2], best[3])


_HEADER_WORDS = [*headers.VOLUNTEER_COLUMNS, *headers.NEED_COLUMNS, "lat", "lon", "x", "y", "name"]


@settings(max_examples=400, deadline=None)
@given(
    base=st.sampled_from(_HEADER_WORDS),
    edits=st.lists(st.tuples(st.integers(0, 20), st.sampled_from("aeiostxy_- s")), max_size=4),
    cut=st.integers(0, 3),
    kind=st.sampled_from(["volunteer", "need"]),
    geometry=st.sampled_from(["geo", "plane"]),
)
def test_the_fast_near_miss_search_finds_what_the_full_one_did(base, edits, cut, kind, geometry):
    from matcher.io.headers import near_miss

    header = base[: len(base) - cut] if cut < len(base) else base
    for at, ch in edits:
        at = min(at, len(header))
        header = header[:at] + ch + header[at:]
    header = headers.normalise(header)
    assert near_miss(header, kind, geometry) == _near_miss_as_it_was(header, kind, geometry)
