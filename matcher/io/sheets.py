"""Volunteers and needs from an Excel workbook (``.xlsx``), through openpyxl (optional).

The first sheet is read, or the one named by ``sheet=`` (``--sheet``); its first
non-empty row is the header, and every later row a record, numbered as Excel
numbers them. Cells become the text the CSV reader would see: text as it is,
an integer without ``.0`` (``2``), any other number in its shortest exact form
(``31.2304``), TRUE / FALSE as Excel writes them to CSV, an empty cell empty.
A date or time cell is refused: Excel turns typed text such as ``3-1`` into
dates, and a date has no single spelling as text (format the column as Text).

openpyxl is the one optional dependency for reading and writing workbooks
(the ``excel`` extra); without it, reading a workbook raises
:class:`MissingDependency` saying how to install it.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any

from .. import limits
from ..errors import InputProblem, MissingDependency
from ._table import Table

__all__ = ["WORKBOOK_SUFFIXES", "MissingDependency", "cell_text", "read_sheet"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OLD_EXCEL = (".xls", ".et")  # Excel 97-2003 and WPS binary workbooks: not read


def is_workbook(source: Any) -> bool:
    """Whether *source* names an Excel workbook (by its suffix)."""
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "")
    return str(name).lower().endswith(WORKBOOK_SUFFIXES)


def is_old_workbook(source: Any) -> bool:
    """Whether *source* names an Excel 97-2003 (``.xls``) or WPS (``.et``) workbook."""
    name = source if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "")
    return str(name).lower().endswith(_OLD_EXCEL)


def old_workbook_problem(name: str) -> InputProblem:
    """The problem of a ``.xls`` / ``.et`` file: matcher reads ``.xlsx`` and CSV only."""
    return InputProblem(
        name,
        "file",
        "a .xlsx workbook or a CSV file",
        "an Excel 97-2003 or WPS workbook",
        kind="file",
        file=name,
        hint="save it as 'Excel Workbook (*.xlsx)' or 'CSV UTF-8'",
    )


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise MissingDependency("openpyxl", "excel", "reading an Excel workbook (.xlsx)") from None
    return openpyxl


def read_sheet(
    source: IO[bytes], name: str, sheet: str | None, out: list[InputProblem]
) -> Table | None:
    """The text of one worksheet; None (and a problem) if the workbook cannot be read.

    Raises
    ------
    MissingDependency
        If openpyxl is not installed.
    """
    openpyxl = _openpyxl()
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file: openpyxl's zip and XML
        # parsers raise BadZipFile, zlib.error, NotImplementedError, ParseError, KeyError ...
        out.append(_damaged(name, exc))
        return None
    try:
        return _worksheet(book, name, sheet, out)
    except _Damaged as exc:  # raised while its rows were read
        out.append(_damaged(name, exc.__cause__ or exc))
        return None
    finally:
        book.close()


class _Damaged(Exception):
    """A worksheet's rows could not be read (a damaged file); the cause is chained."""


def _damaged(name: str, exc: BaseException) -> InputProblem:
    got = f"a file openpyxl cannot open ({type(exc).__name__})"
    hint = "open it in Excel or WPS and save it again as .xlsx"
    return InputProblem(name, "file", "a .xlsx workbook", got, kind="file", hint=hint)


def _guarded(rows: Iterable[tuple[Any, ...]], name: str) -> Iterator[tuple[Any, ...]]:
    """*rows*, with any failure of the reader (not of ours) raised as :class:`_Damaged`.

    The rows and cells read so far are held to :data:`~matcher.limits.MAX_SHEET_ROWS`
    and :data:`~matcher.limits.MAX_SHEET_CELLS` (``SizeLimitError``): openpyxl
    makes a row for every row number skipped and pads each row with empty cells.
    """
    it = iter(rows)
    count = cells = 0
    most_rows, most_cells = int(limits.MAX_SHEET_ROWS), int(limits.MAX_SHEET_CELLS)
    while True:
        try:
            row = next(it)
        except StopIteration:
            return
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - damaged XML, cells or shared strings
            raise _Damaged() from exc
        count, cells = count + 1, cells + len(row)
        if count > most_rows or cells > most_cells:  # the check raises, naming the limit
            limits.check("rows of the sheet", count, "MAX_SHEET_ROWS", name)
            limits.check("cells of the sheet", cells, "MAX_SHEET_CELLS", name)
        yield row


def _worksheet(book: Any, name: str, sheet: str | None, out: list[InputProblem]) -> Table | None:
    """The table of the named (or first) sheet of an open workbook."""
    if not book.sheetnames:
        out.append(InputProblem(name, "sheet", "a workbook with a sheet", "none", kind="file"))
        return None
    if sheet is not None and sheet not in book.sheetnames:
        names = ", ".join(book.sheetnames)
        out.append(
            InputProblem(
                name,
                "sheet",
                f"one of the workbook's sheets: {names}",
                repr(sheet),
                kind="file",
            )
        )
        return None
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    if hasattr(ws, "reset_dimensions"):
        # The size a sheet declares may be wrong: rows below it would be dropped
        # without a word, and every row padded to its width (16,384 columns).
        ws.reset_dimensions()
    how = f"sheet {ws.title!r}"
    table = _sheet_text(_guarded(ws.iter_rows(values_only=True), name), how)
    if table is None:
        out.append(InputProblem(name, "header", "a header row", f"an empty {how}", kind="file"))
    return table


def _sheet_text(rows: Iterable[tuple[Any, ...]], how: str) -> Table | None:
    """The header (first non-empty row, trailing empty cells cut) and the rows under it."""
    numbered: Iterator[tuple[int, tuple[Any, ...]]] = enumerate(rows, start=1)
    for _, values in numbered:
        if any(v is not None and str(v).strip() != "" for v in values):
            header = [_header_text(v) for v in values]
            while header and header[-1] == "":
                header.pop()
            break
    else:
        return None  # no header: an empty sheet
    out = Table(header, how=how)
    for line, values in numbered:
        texts: list[str] = []
        for j, value in enumerate(values):
            text, refused = cell_text(value)
            if refused:
                out.refused[(line, j)] = refused
            texts.append(text)
        width = len(texts)
        while width and texts[width - 1] == "" and (line, width - 1) not in out.refused:
            width -= 1
        if width == 0:
            continue  # an empty row, as in CSV
        texts += [""] * (len(header) - len(texts))
        out.width[line] = width
        out.rows.append((line, texts))
    return out


def _header_text(value: Any) -> str:
    text, refused = cell_text(value)
    return refused or text


def cell_text(value: Any) -> tuple[str, str]:
    """A cell's value as the text a CSV file would hold, and what it is if it has none.

    Examples
    --------
    >>> cell_text(2), cell_text(2.0), cell_text(31.2304), cell_text(None), cell_text(True)
    (('2', ''), ('2', ''), ('31.2304', ''), ('', ''), ('TRUE', ''))
    >>> import datetime
    >>> cell_text(datetime.date(2024, 3, 1))
    ('', 'a date')
    """
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), ""
    if isinstance(value, int):
        return str(value), ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value)), ""
        return repr(value), ""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return "", "a date"
    if isinstance(value, (_dt.time, _dt.timedelta)):
        return "", "a time"
    return str(value), ""
