"""The words of each file format: libFuzzer dictionaries and the cells of the Hypothesis documents.

Column names come from :mod:`matcher.io.headers` and JSON keys from the shipped
JSON Schemas, so a new column or field is fuzzed without touching this file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CELLS", "columns", "json_keys", "tokens"]

#: Cell texts worth trying: empty, numbers at and past the edges, not-finite, lists,
#: levels, quotes, separators, dates as Excel writes them, non-ASCII.
CELLS = (
    "", " ", "v1", "n1", "v2", "n2", "1", "0", "-1", "5", "6", "2.5", "1e999", "-0", "nan", "inf",
    "-inf", "31.23", "121.47", "91", "181", "1e-320", "10000000000", "nursing", "nursing:3",
    "nursing:3;driving", "driving;", ";", "a:b", "sat-am", "sat-am;sun-pm", "elderly_care",
    "medical", "TRUE", "\"", "\"\"", "a,b", "a\tb", "2024-03-01", "\u62a4\u7406:2", "\u00e9",
    "\ufeff", "\x00", "0x10", "1_000", "\u0661", "\u00b2", "=1+1",
)  # fmt: skip

_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "matcher" / "io" / "schema"


def columns(kind: str) -> tuple[str, ...]:
    """Header names of a *kind* of file: ``volunteers``, ``needs`` or ``pairs``."""
    from matcher.io.headers import ALIASES, NEED_COLUMNS, VOLUNTEER_COLUMNS

    if kind == "pairs":
        return ("need_id", "volunteer_id", "household", "status", "matched", "cost")
    fields = VOLUNTEER_COLUMNS if kind == "volunteers" else NEED_COLUMNS
    near_misses = (
        "slot",
        "priorty",
        "ids",
        "lattitude",
        "max-distance-km",
        "Skills",
        "\uff29\uff24",
    )
    return (*fields, *ALIASES[kind], "lat", "lon", "x", "y", "name", "phone", *near_misses)


def _keys(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            out.add(key)
            _keys(value, out)
        for value in node.values():
            _keys(value, out)
    elif isinstance(node, list):
        for value in node:
            _keys(value, out)


@cache
def json_keys(kind: str) -> tuple[str, ...]:
    """Every property name in the JSON Schema of *kind* (``problem``, ``policy``, ``result``)."""
    names = {"problem": "problem-v2", "policy": "policy-v2", "result": "result-v4"}
    schema = json.loads((_SCHEMA_DIR / f"{names[kind]}.schema.json").read_text(encoding="utf-8"))
    out: set[str] = set()
    _keys(schema, out)
    return tuple(sorted(out))


_JSON_WORDS = ("null", "true", "false", "[]", "{}", "NaN", "Infinity", "-0", "1e999", "1e-999")
_ENUMS = ("optimal", "feasible", "geo", "plane", "no_skill", "taken", "team", "not_worth")


@cache
def tokens(target: str) -> tuple[bytes, ...]:
    """The dictionary of a target: the words its format is made of, as bytes."""
    if target in ("volunteers_csv", "needs_csv", "pairs_csv", "xlsx_cells", "xlsx_raw"):
        kind = {"needs_csv": "needs", "pairs_csv": "pairs"}.get(target, "volunteers")
        words = [*columns(kind), *CELLS, ",", ";", "\t", "\r\n", "\n", "\ufeff"]
        if target == "xlsx_raw":
            words += ["PK\x03\x04", "PK\x01\x02", "PK\x05\x06", "xl/worksheets/sheet1.xml"]
    elif target == "xlsx_xml":
        words = ["<row", "<c ", "</c>", "<v>", "</v>", ' t="s"', ' t="inlineStr"', ' t="b"',
                 ' t="e"', ' t="str"', ' r="A1"', ' r="XFD1048576"', "<is><t>", "<f>", "<sheetData>",
                 *CELLS]  # fmt: skip
    elif target == "solve_verify":
        return ()
    else:
        kind = {"pairs_json": "problem", "records_json": "problem"}.get(
            target, target.removesuffix("_json")
        )
        words = [f'"{k}"' for k in json_keys(kind)] + [*_JSON_WORDS, *(f'"{e}"' for e in _ENUMS)]
    return tuple(w.encode("utf-8", "surrogatepass") for w in words if w)
