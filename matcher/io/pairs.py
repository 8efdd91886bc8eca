"""Pairs files: pinned, forbidden and history pairs, from CSV or JSON."""

from __future__ import annotations

import csv
import io as _io
from typing import IO

from ..errors import InputError, InputProblem, short_repr
from ..model._checks import _is_name
from .csvfiles import PathLike, _is_json, _read_csv, _read_text, _source_name, _unreadable
from .jsonfiles import _load_json

__all__ = ["read_pairs"]


PAIR_KINDS = ("pinned", "forbidden", "history")


def read_pairs(source: PathLike | IO[str], kind: str = "pinned") -> tuple[tuple[str, str], ...]:
    r"""Read ``(need_id, volunteer_id)`` pairs: pinned, forbidden or history.

    A CSV file has the columns ``need_id`` and ``volunteer_id`` (their order
    and other columns do not matter, so the plan CSV that ``matcher solve
    --plan-csv`` writes reads as the pairs it matched: its rows whose
    ``status`` is not ``matched`` are not pairs). Only a history may name a
    household instead of a need: its ``household`` column, where filled, is
    used for the row instead of ``need_id`` (one of the two columns is
    enough); in a pinned or forbidden file a ``household`` column is one of
    the ignored (the plan CSV's is ``need_household``, ignored everywhere). A
    JSON file is a list of ``[need_id, volunteer_id]`` pairs, ids as they are
    (one with surrounding spaces is refused, not stripped).

    Parameters
    ----------
    source : path or text file
        The CSV (or ``.json``) file.
    kind : {'pinned', 'forbidden', 'history'}
        What the pairs are, for the messages (and the ``household`` column).

    Returns
    -------
    tuple of (str, str)
        The pairs in file order; :class:`Problem` checks their ids.

    Raises
    ------
    InputError
        Every bad row at once (missing column, empty cell), naming the file row.

    Examples
    --------
    >>> import io
    >>> read_pairs(io.StringIO("need_id,volunteer_id\nn1,v1\nn2,v1\n"))
    (('n1', 'v1'), ('n2', 'v1'))
    >>> read_pairs(io.StringIO("household,volunteer_id\nb12-304,v7\n"), "history")
    (('b12-304', 'v7'),)
    """
    if kind not in PAIR_KINDS:
        raise ValueError(f"kind must be one of {PAIR_KINDS}, got {kind!r}")
    out: list[InputProblem] = []
    pairs = _pairs_from(source, kind, out)
    if out:
        raise InputError(out)
    return pairs


def _pairs_from(
    source: PathLike | IO[str], kind: str, out: list[InputProblem]
) -> tuple[tuple[str, str], ...]:
    name = _source_name(source)
    if _is_json(source):
        try:
            data = _load_json(source)
        except InputError as exc:
            out += exc.problems
            return ()
        if not isinstance(data, list):
            out.append(
                InputProblem(
                    name,
                    kind,
                    "a JSON list of [need_id, volunteer_id] pairs",
                    type(data).__name__,
                    kind="file",
                )
            )
            return ()
        good: list[tuple[str, str]] = []
        for i, item in enumerate(data):
            # ids as they are: a padded one is refused, as by Problem, never stripped
            if isinstance(item, list) and len(item) == 2 and all(_is_name(x) for x in item):
                good.append((item[0], item[1]))
            else:
                out.append(
                    InputProblem(
                        f"{kind} pair #{i}",
                        "pair",
                        "[need_id, volunteer_id] as two non-empty strings without "
                        "surrounding spaces",
                        short_repr(item),
                        kind=kind,
                        index=i,
                    )
                )
        return tuple(good)
    try:
        text = _read_text(source)
    except (OSError, UnicodeDecodeError) as exc:
        out.append(_unreadable(name, exc))
        return ()
    first = "need_id"
    if kind == "history":
        # need_id or household: require whichever the header has (need_id if neither)
        try:
            header = next(csv.reader(_io.StringIO(text, newline="")), [])
        except csv.Error:  # a cell over 128 KiB, say: _read_csv names the file and line
            header = []
        if "household" in {h.strip() for h in header}:
            first = "household"
    rows, lines, _ = _read_csv(
        source, kind, (first, "volunteer_id"), (), out, id_column=first, text=text
    )
    pairs: list[tuple[str, str]] = []
    for row, line in zip(rows, lines, strict=True):
        if "status" in row and row["status"] != "matched":
            continue  # a plan CSV's unmatched row
        # only a history may name a household; elsewhere such a column is one of the ignored
        need = (row.get("household", "") if kind == "history" else "") or row.get("need_id", "")
        vol = row["volunteer_id"]
        label = f"{kind} pair"
        if not need:
            what = "need id or household" if kind == "history" else "need id"
            out.append(
                InputProblem(label, first, f"a {what}", "an empty cell", row=line, kind=kind)
            )
        if not vol:
            out.append(
                InputProblem(
                    label, "volunteer_id", "a volunteer id", "an empty cell", row=line, kind=kind
                )
            )
        if need and vol:
            pairs.append((need, vol))
    return tuple(pairs)
