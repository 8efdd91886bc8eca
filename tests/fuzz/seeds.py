"""The fuzz corpus's first seeds, from tests/corpus/, the docs' examples and the demo data.

``python -m tests.fuzz.seeds`` (re)writes ``corpus/<target>/seed-*``; the inputs
atheris found later (``atheris-*``, kept by ``run.py --merge``) are left alone.
Seeds are small (the demo data is cut to a few rows) so the corpus stays under 2 MB.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD_FILES = ROOT / "tests" / "corpus"
DEMO = ROOT / "matcher" / "synthetic" / "data"
CORPUS = Path(__file__).resolve().parent / "corpus"
MAX_SEED = 4096  # libFuzzer's default -max_len

DOCS_VOLUNTEERS = (
    "id,skills,lat,lon,capacity,slots,phone\n"
    "ana,nursing:3;driving,31.2300,121.4700,2,sat-am;sun-am,555-0100\n"
    "bo,driving,31.2350,121.4720,,,555-0101\n"
)
DOCS_NEEDS = (
    "id,category,skills,lat,lon,slot,priority,room\n"
    "care-12,elderly_care,nursing:2,31.2310,121.4710,sat-am,5,1203\n"
    "ride-7,medical,driving,31.2360,121.4730,,3,404\n"
)
DOCS_GB18030 = '编号;姓名;技能;纬度;经度;时段\r\nv1;张伟;"护理:3;驾驶";31.2300;121.4700;sat-am\r\n'


def _head(path: Path, lines: int = 6) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines])


def _files(pattern: str) -> Iterator[tuple[str, bytes]]:
    for path in sorted(BAD_FILES.glob(pattern)):
        if path.is_file():
            yield f"{path.parent.name}-{path.name}", path.read_bytes()


def records_seeds(kind: str) -> Iterator[tuple[str, bytes]]:
    """Volunteers (``v``) or needs (``n``) CSV seeds."""
    yield from _files(f"*/{kind}.csv")
    word = "volunteers" if kind == "v" else "needs"
    yield from _files(f"sheets/*{word}*")
    yield "docs", (DOCS_VOLUNTEERS if kind == "v" else DOCS_NEEDS).encode()
    if kind == "v":
        yield "docs-gb18030", DOCS_GB18030.encode("gb18030")
    yield "demo-head", _head(DEMO / f"demo_{word}.csv")


def cells_seeds() -> Iterator[tuple[str, bytes]]:
    """Workbook cells (tab-separated, typed: see ``targets.workbook``)."""
    yield (
        "docs",
        b"\xe7\xbc\x96\xe5\x8f\xb7\tskills\tlat\tlon\tcapacity\nv1\tnursing:3\t31.23\t121.47\t2\n",
    )
    for name in ("valid_crlf", "valid_extra_columns", "csv_nan_inf", "csv_text_for_number"):
        text = (BAD_FILES / name / "v.csv").read_text(encoding="utf-8").replace(",", "\t")
        yield name, text.encode()
    yield (
        "typed",
        b"id\tskills\tlat\tlon\tnote\nv1\tx\t31.23\t121.47\t#date\nv2\tTRUE\t1e999\tnan\t#time\n",
    )
    yield "formula", b"id\tskills\tlat\tlon\n=A1\tx\t=1/0\t121.47\n#datetime\t#duration\t90.5\t-0\n"
    yield "blank-first", b"\n\t\n\tid\tskills\tlat\tlon\n\tv1\tx\t31.23\t121.47\t\t\tz\n"


def workbook_seeds() -> Iterator[tuple[str, bytes]]:
    """Whole ``.xlsx`` files: openpyxl's (shared strings), cut short, and not a zip at all."""
    import openpyxl

    for name, cells in cells_seeds():
        book = openpyxl.Workbook()
        sheet = book.active
        for line in cells.decode().split("\n"):
            sheet.append([c if not c.startswith("#") else None for c in line.split("\t")])
        out = io.BytesIO()
        book.save(out)
        data = _stable(out.getvalue())
        yield f"openpyxl-{name}", data
        if name == "docs":
            yield "truncated", data[: len(data) // 2]
            yield "no-central-directory", data[: data.rfind(b"PK\x01\x02")]
    yield "empty-zip", _zip({})
    yield "no-sheet", _zip({"[Content_Types].xml": b"<Types/>"})
    yield "csv-named-xlsx", DOCS_VOLUNTEERS.encode()


def _stable(book: bytes) -> bytes:
    """A workbook's bytes without the time it was written (zip times, docProps dates)."""
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    when = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    members["docProps/core.xml"] = re.sub(
        when, b"2024-03-01T09:30:00Z", members["docProps/core.xml"]
    )
    return _zip(members, zipfile.ZIP_DEFLATED)


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 3, 1, 9, 30, 0)), data, method)
    return out.getvalue()


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def xml_seeds() -> Iterator[tuple[str, bytes]]:
    """Sheet XML: openpyxl's own, and cells of every type, shared strings missing, odd refs.

    (XML that is not well-formed, a number cell holding text or a shared string that is
    not there broke the reader:
    ``crashes/xlsx_xml/``.)
    """
    from .targets import _template

    yield "openpyxl", _template()["xl/worksheets/sheet1.xml"]
    row = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="str"><v>skills</v></c>'
        '<c r="C1" t="inlineStr"><is><t>lat</t></is></c><c r="D1" t="inlineStr"><is><t>lon</t></is></c></row>'
    )
    cells = {
        "types": '<row r="2"><c r="A2" t="n"><v>1</v></c><c r="B2" t="b"><v>1</v></c>'
        '<c r="C2" t="e"><v>#DIV/0!</v></c><c r="D2" t="d"><v>2024-03-01</v></c></row>',
        "formula": '<row r="2"><c r="A2"><f>1+1</f></c><c r="B2" t="str"><f>A2</f><v>2</v></c></row>',
        "far-refs": '<row r="1048576"><c r="XFD1048576" t="n"><v>1e999</v></c></row>',
        "no-refs": "<row><c><v>31.23</v></c><c><v>-0</v></c></row>",
    }
    for name, more in cells.items():
        yield name, f"<worksheet {_NS}><sheetData>{row}{more}</sheetData></worksheet>".encode()
    yield (
        "dimension",
        f'<worksheet {_NS}><dimension ref="A1:ZZZ9"/><sheetData/></worksheet>'.encode(),
    )


def json_seeds(name: str) -> Iterator[tuple[str, bytes]]:
    """Policy, problem or result files."""
    yield from _files(f"*/{name}.json")
    if name == "policy":
        yield "docs", json.dumps({"max_distance_km": 2.5, "weights": {"continuity": 1.0}}).encode()
        yield "demo", (DEMO / "demo_policy.json").read_bytes()
        yield (
            "plane-floors",
            b'{"geometry": "plane", "participation_floors": {"A": 1}, "unmatched_cost": 2}',
        )
    if name == "v":  # volunteers as JSON records
        yield "needs-object", (BAD_FILES / "valid_json_records" / "n.json").read_bytes()
        yield (
            "object",
            b'{"volunteers": [{"id": "v2", "skills": ["driving"], "location": [31.23, 121.47]}]}',
        )
        yield "plane", b'[{"id": "v1", "skills": [], "location": [1, 2], "x": 3}]'
    if name == "result":
        yield from _results()


def _results() -> Iterator[tuple[str, bytes]]:
    from matcher import solve

    from .targets import _fixed_problem

    problem = _fixed_problem()
    for method in ("flow", "greedy", "stable"):
        result = solve(problem, method)
        yield f"solved-{method}", result.to_json(timings=False).encode()
    again = solve(problem, previous=solve(problem), churn_cost=1.0)
    yield "solved-churn", again.to_json(indent=None, timings=False).encode()


def pairs_seeds(json_file: bool) -> Iterator[tuple[str, bytes]]:
    """Pairs files: the docs' plan CSV, households, empty cells; JSON lists."""
    if json_file:
        yield "docs", b'[["n1", "v1"]]'
        yield "bad-items", b'[["n1"], ["n1", ""], [1, 2], "n1,v1", ["n1", "v1", "x"]]'
        yield "object", b'{"pinned": [["n1", "v1"]]}'
        return
    yield "docs-plan", b"need_id,volunteer_id,status\nn1,v1,matched\nn2,,unmatched\n"
    yield "household", b"household,need_id,volunteer_id\nb12-304,,v1\n,n1,v1\n"
    yield "empty-cells", b"need_id;volunteer_id\r\n;v1\r\nn1;\r\n"
    yield "missing-column", b"need,volunteer\nn1,v1\n"
    yield "bom-quotes", '\ufeff"need_id","volunteer_id"\n"n1","v1"\n'.encode()


def solve_seeds() -> Iterator[tuple[str, bytes]]:
    """Bytes for the structure drawn by ``records.drawn_problem``: a few fixed pseudo-random ones."""
    yield "empty", b""
    for i, size in enumerate((16, 48, 96, 160, 240, 320)):
        data = b"".join(hashlib.sha256(f"{i}-{k}".encode()).digest() for k in range(size // 32 + 1))
        yield f"sha-{i}", data[:size]


def seeds() -> dict[str, Iterator[tuple[str, bytes]]]:
    """Every target's seeds, by target name."""
    return {
        "volunteers_csv": records_seeds("v"),
        "needs_csv": records_seeds("n"),
        "records_json": json_seeds("v"),
        "xlsx_raw": workbook_seeds(),
        "xlsx_cells": cells_seeds(),
        "xlsx_xml": xml_seeds(),
        "policy_json": json_seeds("policy"),
        "problem_json": json_seeds("p"),
        "pairs_csv": pairs_seeds(False),
        "pairs_json": pairs_seeds(True),
        "result_json": json_seeds("result"),
        "solve_verify": solve_seeds(),
    }


def main() -> None:
    for target, items in seeds().items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("seed-*"):
            old.unlink()
        seen: set[bytes] = set()
        for name, data in items:
            if data in seen or len(data) > MAX_SEED * 4:
                continue
            seen.add(data)
            (folder / f"seed-{name}").write_bytes(data)
        print(f"{target}: {len(seen)} seeds")


if __name__ == "__main__":
    main()
