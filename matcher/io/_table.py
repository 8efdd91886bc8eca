"""The cells the record readers read: a file's as text (CSV or a worksheet), a data frame's typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Table"]


@dataclass
class Table:
    """The header and the rows of a file, as stripped-or-not text cells, with their line numbers.

    Attributes
    ----------
    header : list of str
        The header cells as written.
    rows : list of (int, list of str)
        Each non-empty row with its line (CSV) or row (worksheet) number.
    how : str
        How the file was read, for messages: ``"separator ',', UTF-8"`` or
        ``"sheet 'volunteers'"``.
    width : dict of int to int
        A row's number of cells up to its last non-empty one, when it may differ
        from the header's (worksheets); a CSV row has exactly the header's.
    refused : dict of (int, int) to str
        Cells that hold no text (a worksheet's dates): ``(line, column index)``
        -> what they hold.
    typed : bool
        The cells are a data frame's values (:mod:`matcher.io.frames`): strings
        exactly as they are (not stripped), numbers, None, lists, sets and dicts,
        read without going through text (so nothing is reinterpreted).
    name : str
        The name of the input in messages, for one that is not a file (a data frame).
    """

    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    how: str = ""
    width: dict[int, int] = field(default_factory=dict)
    refused: dict[tuple[int, int], str] = field(default_factory=dict)
    typed: bool = False
    name: str = ""
