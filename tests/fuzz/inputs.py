"""Hypothesis strategies over bytes for the fuzz targets, for the bounded run in the suite.

Each target gets a mix (:func:`inputs`) of

- plain bytes (``st.binary()``);
- corpus files mutated as libFuzzer would: bits flipped, bytes and format words
  (:func:`tests.fuzz.vocab.tokens`) inserted, spans deleted, repeated or spliced
  from another seed, the tail cut off (:func:`mutated`);
- documents built from the format's structure: CSV tables of column names and
  tricky cells in several separators, line ends and encodings; JSON documents
  edited at a random place of a valid seed, or drawn whole from the schema's keys;
  sheet XML of typed cells (:func:`structured`).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from .vocab import CELLS, columns, json_keys, tokens

__all__ = ["corpus_files", "crash_files", "inputs", "mutated", "structured"]

HERE = Path(__file__).resolve().parent


def corpus_files(target: str) -> list[Path]:
    """The seeds of *target* (``corpus/<target>/``), sorted."""
    return sorted(p for p in (HERE / "corpus" / target).iterdir() if p.is_file())


def crash_files(target: str) -> list[Path]:
    """The saved crashes of *target* (``crashes/<target>/``, without their ``.txt`` notes)."""
    folder = HERE / "crashes" / target
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".txt")


@cache
def _seeds(target: str) -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in corpus_files(target)) or (b"",)


@st.composite
def mutated(draw: Any, target: str) -> bytes:
    """A seed of *target* with one to four libFuzzer-like mutations."""
    seeds, words = _seeds(target), tokens(target) or (b"\x00",)
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 6))
        pos = draw(st.integers(0, len(data)))
        span = draw(st.integers(1, 16))
        if op == 0 and data:
            data[min(pos, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        elif op == 1:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == 2:
            data[pos:pos] = draw(st.sampled_from(words))
        elif op == 3:
            del data[pos : pos + span]
        elif op == 4:
            data[pos:pos] = data[pos : pos + span]
        elif op == 5:
            other = draw(st.sampled_from(seeds))
            data[pos:] = other[draw(st.integers(0, len(other))) :]
        else:
            del data[pos:]
    return bytes(data)


# ------------------------------------------------------------------ CSV tables and workbook cells

_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "gb18030", "latin-1", "utf-16-le")
_TYPED = ("TRUE", "FALSE", "#date", "#datetime", "#time", "#duration", "=1+1", "=A1")


@st.composite
def csv_tables(draw: Any, kind: str, cells: bool = False) -> bytes:
    """A table of *kind*'s column names and tricky cells, as CSV bytes (or workbook cells)."""
    names = columns(kind)
    header = draw(st.lists(st.sampled_from(names), min_size=1, max_size=8))
    values = CELLS + _TYPED if cells else CELLS
    rows = draw(st.lists(st.lists(st.sampled_from(values), max_size=len(header) + 1), max_size=4))
    if cells:
        sep, end, encoding = "\t", "\n", "utf-8"
    else:
        sep = draw(st.sampled_from((",", ";", "\t", "|")))
        end = draw(st.sampled_from(("\n", "\r\n", "\r")))
        encoding = draw(st.sampled_from(_ENCODINGS))
    quote = draw(st.booleans()) and not cells

    def line(items: list[str]) -> str:
        return sep.join(f'"{c}"' if quote else c for c in items)

    text = end.join(line(r) for r in [header, *rows]) + draw(st.sampled_from((end, "")))
    return text.encode(encoding, "replace")


# ------------------------------------------------------------------ JSON documents

_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from((0, 1, 5, -1, 10**9 + 1, 2**53 + 1)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(("", " ", "v1", "n1", "nursing", "sat-am", "geo", "plane", "optimal", "\x00")),
    st.text(max_size=8),
)


@cache
def json_values(kind: str) -> st.SearchStrategy[Any]:
    """JSON values whose object keys are mostly the schema's (``problem``, ``policy``, ``result``)."""
    keys = st.one_of(st.sampled_from(json_keys(kind)), st.text(max_size=6))
    return st.recursive(
        _LEAVES,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)
        ),
        max_leaves=24,
    )


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into *doc* (keys and indices), the root first."""
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _nodes(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _nodes(v, (*path, i))
    return out


@st.composite
def json_edits(draw: Any, target: str, kind: str) -> bytes:
    """A JSON seed of *target* with one to three places replaced, deleted or added to."""
    docs = [d for d in (_parsed(s) for s in _seeds(target)) if d is not None] or [{}]
    doc = draw(st.sampled_from(docs))
    doc = json.loads(json.dumps(doc))  # a private copy
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_nodes(doc)))
        if not path:
            doc = draw(json_values(kind))
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        op = draw(st.integers(0, 2))
        if op == 0:
            parent[path[-1]] = draw(json_values(kind))
        elif op == 1:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(json_keys(kind)))] = draw(json_values(kind))
        else:
            parent.append(draw(json_values(kind)))
    return json.dumps(doc, allow_nan=True, ensure_ascii=draw(st.booleans())).encode(
        "utf-8", "replace"
    )


def _parsed(data: bytes) -> Any:
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    return None if _has_nan(doc) else doc


def _has_nan(doc: Any) -> bool:
    if isinstance(doc, float):
        return not math.isfinite(doc)
    if isinstance(doc, dict):
        return any(_has_nan(v) for v in doc.values())
    if isinstance(doc, list):
        return any(_has_nan(v) for v in doc)
    return False


# ------------------------------------------------------------------ sheet XML

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@st.composite
def sheet_xml(draw: Any) -> bytes:
    """A worksheet of typed cells with refs right, wrong or missing (well-formed XML)."""
    rows = []
    for r in range(1, draw(st.integers(1, 4)) + 1):
        cells = []
        for col in "ABCDE"[: draw(st.integers(0, 5))]:
            ref = draw(st.sampled_from((f' r="{col}{r}"', "", ' r="A0"', ' r="XFE1"', ' r="1A"')))
            kind = draw(st.sampled_from(("", ' t="n"', ' t="inlineStr"', ' t="str"', ' t="b"')))
            value = draw(st.sampled_from(("id", "skills", "lat", "lon", "v1", "x", "31.23", "1")))
            body = f"<is><t>{value}</t></is>" if "inline" in kind else f"<v>{value}</v>"
            cells.append(f"<c{ref}{kind}>{body}</c>")
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    return f'<worksheet xmlns="{_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'.encode()


# ------------------------------------------------------------------ by target


def structured(target: str) -> st.SearchStrategy[bytes]:
    """Inputs built from the structure of *target*'s format."""
    if target in ("volunteers_csv", "needs_csv", "pairs_csv"):
        return csv_tables(target.removesuffix("_csv"))
    if target == "xlsx_cells":
        return csv_tables("volunteers", cells=True)
    if target == "xlsx_raw":
        from .targets import workbook

        return csv_tables("volunteers", cells=True).map(lambda cells: workbook(cells) or b"")
    if target == "xlsx_xml":
        return sheet_xml()
    if target == "solve_verify":
        return st.binary(min_size=8, max_size=400)  # the bytes *are* the structure (records.py)
    kind = {"pairs_json": "problem", "records_json": "problem"}.get(
        target, target.removesuffix("_json")
    )
    return st.one_of(
        json_edits(target, kind),
        json_values(kind).map(lambda doc: json.dumps(doc, allow_nan=True).encode()),
    )


def inputs(target: str) -> st.SearchStrategy[bytes]:
    """Everything the bounded run feeds *target*: raw bytes, mutated seeds, structured documents."""
    return st.one_of(st.binary(max_size=512), mutated(target), structured(target))
