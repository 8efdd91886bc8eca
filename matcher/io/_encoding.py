"""Bytes to text for volunteers and needs files: UTF-8, UTF-16 or GB18030, never a guess.

Spreadsheets saved by Excel or WPS come as UTF-8 ("CSV UTF-8", often with a
byte-order mark), UTF-16 ("Unicode text", with a byte-order mark) or, in China,
GBK / GB18030 (plain "CSV" on a Chinese Windows). Without ``encoding=``:

1. a UTF-8 or UTF-16 byte-order mark decides;
2. else the bytes are read as UTF-8 if they are valid UTF-8;
3. else as GB18030 (a superset of GBK and GB2312) if they decode *and* the text
   is plausibly Chinese: at least 90% of its non-ASCII characters are in
   GB2312, the 7,445 characters of everyday simplified Chinese text
   (hanzi, full-width punctuation and forms);
4. else the file is refused, naming the encodings tried and the fix.

Rule 3 is what keeps a Latin-1 or Windows-1252 file from being read as
Chinese: such bytes often decode as GB18030 (``Müller`` reads ``M黮ler``), but
into rare characters outside GB2312, so the file is refused rather than read
wrong. A real roster's rare characters (a name's 镕) stay well under 10%.
``encoding=`` (``--encoding``) forces one codec, with no plausibility rule.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import InputProblem

__all__ = ["GB2312_SHARE", "TRIED", "check_encoding", "decode", "plausibly_chinese", "read_input"]

TRIED = "UTF-8, UTF-16 (with a byte-order mark) or GB18030"
FIX = (
    "save it as 'CSV UTF-8' in Excel (WPS: UTF-8), or pass --encoding gb18030 "
    "(encoding='gb18030' in Python) if it is Chinese text saved as GBK"
)
GB2312_SHARE = 0.9
"""The share of non-ASCII characters that must be in GB2312 for a GB18030 reading."""

_ZIP = b"PK\x03\x04"

# GBK (and so GB18030) reads two GB2312 codes as other characters than Python's gb2312
# codec does (A1A4 the middle dot of 玛丽·居里, A1AA the dash); and 〇 (二〇二四) is GBK's
_GBK_SPELLING = str.maketrans({"\u00b7": "\u30fb", "\u2014": "\u2015", "\u3007": "\u96f6"})


def check_encoding(encoding: str | None) -> InputProblem | None:
    """A problem if *encoding* is not a text codec Python knows (None is fine: detect)."""
    if encoding is None:
        return None
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        return InputProblem(
            "option",
            "encoding",
            "an encoding such as utf-8, gb18030 or utf-16",
            repr(encoding),
            kind="option",
        )
    return None


def read_input(source: Any, name: str, out: list[InputProblem]) -> bytes | str | None:
    """The bytes of a file (or what a stream holds); None (and a problem) if it cannot be read."""
    if not isinstance(source, (str, os.PathLike)):
        data = source.read(limits.MAX_FILE_BYTES + 1)
        limits.check("size in characters", len(data), "MAX_FILE_BYTES", name)
        return data
    path = Path(source)
    try:
        if not path.exists():
            out.append(not_found(source, name))
            return None
        if path.is_dir():
            out.append(_file_problem(name, "a file", "a directory"))
            return None
        limits.check("size in bytes", os.stat(path).st_size, "MAX_FILE_BYTES", name)
        return path.read_bytes()
    except OSError as exc:
        out.append(_file_problem(name, "a readable file", exc.strerror or type(exc).__name__))
        return None


def not_found(source: str | os.PathLike[str], name: str) -> InputProblem:
    """The problem of a file that does not exist, with its full path."""
    return _file_problem(name, "an existing file", f"not found: {Path(source).absolute()}")


def _file_problem(name: str, expected: str, got: str, hint: str = "") -> InputProblem:
    return InputProblem(name, "file", expected, got, kind="file", file=name, hint=hint)


def decode(
    data: bytes | str, name: str, encoding: str | None, out: list[InputProblem]
) -> tuple[str, str] | None:
    """The text of a file and the encoding read; None (and a problem naming what was tried)."""
    if isinstance(data, str):  # a text stream: already decoded
        return (data[1:] if data.startswith("\ufeff") else data), "text"
    if encoding is not None:
        return _forced(data, name, encoding, out)
    if data.startswith(codecs.BOM_UTF8):
        what = "UTF-8 (it starts with a UTF-8 byte-order mark)"
        return _strict(data, "utf-8-sig", "UTF-8", what, name, out)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        what = "UTF-16 (it starts with a UTF-16 byte-order mark)"
        return _strict(data, "utf-16", "UTF-16", what, name, out)
    if data.startswith(_ZIP):
        hint = "give it a name ending in .xlsx, or save it as 'CSV UTF-8'"
        out.append(_file_problem(name, "a CSV text file", "an Excel workbook (.xlsx)", hint))
        return None
    if b"\x00" in data:
        got = "NUL bytes: a binary file, or UTF-16 without a byte-order mark"
        out.append(_file_problem(name, f"a CSV text file in {TRIED}", got, FIX))
        return None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        not_utf8 = f"not UTF-8 (line {_line(data, exc.start)})"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        got = f"{not_utf8}, not GB18030 (line {_line(data, exc.start)})"
    else:
        if plausibly_chinese(text):
            return text, "GB18030"
        got = f"{not_utf8}; as GB18030 it reads as rare characters, not Chinese text"
    out.append(_file_problem(name, f"a CSV text file in {TRIED}", got, FIX))
    return None


def plausibly_chinese(text: str) -> bool:
    r"""Whether at least :data:`GB2312_SHARE` of the non-ASCII characters of *text* are in GB2312.

    Examples
    --------
    >>> plausibly_chinese("编号,技能\nv1,护理\n"), plausibly_chinese("M黮ler,J黵gen")
    (True, False)
    >>> plausibly_chinese("玛丽·居里—二〇二四")
    True
    """
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii == 0:
        return True
    text = text.translate(_GBK_SPELLING)
    outside = text.encode("gb2312", "replace").count(b"?") - text.count("?")
    return outside <= (1 - GB2312_SHARE) * non_ascii


def _forced(
    data: bytes, name: str, encoding: str, out: list[InputProblem]
) -> tuple[str, str] | None:
    codec = codecs.lookup(encoding).name
    if codec == "utf-8":
        codec = "utf-8-sig"
    return _strict(data, codec, encoding, f"{encoding} (--encoding)", name, out)


def _strict(
    data: bytes, codec: str, label: str, what: str, name: str, out: list[InputProblem]
) -> tuple[str, str] | None:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        start = exc.start
        if codec == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
            start += len(codecs.BOM_UTF8)  # the codec counts from after the mark
        got = f"undecodable bytes at byte {start}"
        if not codec.startswith("utf-16"):
            got += f" (line {_line(data, start)})"
        out.append(_file_problem(name, f"text in {what}", got, FIX))
        return None
    return (text[1:] if text.startswith("\ufeff") else text), label


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
