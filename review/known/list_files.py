"""Reading and writing hash-list files: a CSV ``signal_type,signal[,tag][,note]`` or one hash a line.

The CSV is what ThreatExchange-style exchanges use: a header naming the
columns, then one signal a row. ``signal_type`` is ``pdq`` (64 hex digits),
``md5`` (32), ``sha256`` (64), ``text`` (the text itself, kept only as the
SHA-256 of its normal form: :func:`review.media.fingerprint.text_sha256`) or
``text_sha256`` (that SHA-256 already taken: what Veil's own export writes,
so no text of a removed post ever leaves the store). A plain file holds one
signal a line (blank lines and ``#`` comments skipped) and needs the signal
type from the caller; a plain ``text`` file has no comments (a post may start
with ``#``).

Tags and notes are shown on moderators' screens and stored on either
database: a control or format character (NUL, a line break, a bidi override),
``<`` or ``>`` in one is a bad line. Every line is read with a cap of
:data:`MAX_LINE` characters (a longer one is a bad line, skipped, and the
check goes on), and the CSV is read strictly (an unterminated quote is a bad
line, not a field swallowing the rest of the file).

The file is streamed: :func:`entries` yields one checked entry at a time and
notes each bad line as ``FILE:LINE: reason`` (the first
:data:`MAX_REPORTED` kept, every one counted), so a million-line file is
checked in flat memory, and read a second time to be written.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from review.errors import VeilError
from review.media.fingerprint import text_sha256

#: The signal types a file may name; ``text_sha256`` is stored as a ``text`` entry.
FILE_TYPES = ("pdq", "md5", "sha256", "text", "text_sha256")
COLUMNS = ("signal_type", "signal", "tag", "note")
MAX_REPORTED = 1_000  # bad lines listed (all are counted)
MAX_TAG = 200
MAX_NOTE = 2_000
MAX_LINE = 10_000  # characters a line; a longer one is refused, read no further than this
_HEX = {"pdq": re.compile("[0-9a-f]{64}"), "md5": re.compile("[0-9a-f]{32}"),
        "sha256": re.compile("[0-9a-f]{64}"), "text_sha256": re.compile("[0-9a-f]{64}")}
_DIGITS = {"pdq": 64, "md5": 32, "sha256": 64, "text_sha256": 64}


class ListFileError(VeilError, ValueError):
    """The file has bad lines (or cannot be read): each as ``FILE:LINE: reason``; nothing was imported."""

    def __init__(self, problems: list[str], more: int = 0) -> None:
        self.problems = problems
        self.more = more
        tail = f"\n… and {more} more bad line{'s' if more != 1 else ''}" if more else ""
        count = len(problems) + more
        super().__init__(f"{count} bad line{'s' if count != 1 else ''}, nothing imported:\n"
                         + "\n".join(problems) + tail)


@dataclass(frozen=True)
class Entry:
    """One checked line: its stored signal type (``text_sha256`` becomes ``text``), signal, tag and note."""

    line: int
    signal_type: str
    signal: str
    tag: str | None
    note: str | None


@dataclass
class Problems:
    """The bad lines found so far: the first :data:`MAX_REPORTED` in words, the rest counted."""

    path: Path
    listed: list[str] = field(default_factory=list)
    more: int = 0

    def add(self, line: int, reason: str) -> None:
        if len(self.listed) < MAX_REPORTED:
            self.listed.append(f"{self.path}:{line}: {reason}")
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.listed)

    def refusal(self) -> ListFileError:
        return ListFileError(self.listed, self.more)


def checked(signal_type: str, value: str) -> tuple[str, str] | str:
    """(stored type, stored signal) of one signal, or why it is refused."""
    if signal_type not in FILE_TYPES:
        return f"unknown signal type {signal_type!r} (one of {', '.join(FILE_TYPES)})"
    if signal_type == "text":
        return ("text", text_sha256(value)) if value.strip() else "the text is empty"
    signal = value.strip().lower()
    if not _HEX[signal_type].fullmatch(signal):
        return f"{signal_type} must be {_DIGITS[signal_type]} hex digits, not {_excerpt(value)!r}"
    return ("text" if signal_type == "text_sha256" else signal_type), signal


def entries(path: Path, signal_type: str | None, problems: Problems) -> Iterator[Entry]:
    """Each good line of *path* as an :class:`Entry`; each bad one noted in *problems*. A file whose first line
    is the header ``signal_type,signal[,tag][,note]`` is CSV; any other is one signal a line of *signal_type*
    (None: refused, naming ``--signal-type``)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the wrapper below
    except OSError as exc:
        raise ListFileError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
        lines = _capped_lines(text, problems)
        first = next(lines, "")
        try:
            header = [h.strip().lower() for h in next(csv.reader([first], strict=True), [])] if first.strip() else []
        except csv.Error:
            header = []
        if header[:1] == ["signal_type"]:
            if signal_type is not None:
                problems.add(1, "a CSV file names each line's signal type: leave out --signal-type")
                return
            if not 2 <= len(header) <= len(COLUMNS) or tuple(header) != COLUMNS[:len(header)]:
                problems.add(1, f"the header must be {','.join(COLUMNS[:2])}[,tag][,note], not {first.strip()!r}")
                return
            yield from _csv_rows(lines, len(header), problems)
            return
        if signal_type is None:
            problems.add(1, "no header signal_type,signal[,tag][,note]: a file of one hash a line needs "
                            "--signal-type")
            return
        if signal_type not in FILE_TYPES:
            problems.add(1, f"unknown signal type {signal_type!r} (one of {', '.join(FILE_TYPES)})")
            return
        yield from _plain_line(1, first, signal_type, problems)
        for number, line in enumerate(lines, start=2):
            yield from _plain_line(number, line, signal_type, problems)


def _capped_lines(text: io.TextIOWrapper, problems: Problems) -> Iterator[str]:
    """Each line of *text*; one over :data:`MAX_LINE` characters is noted as bad and given as an empty line
    (so line numbers stay right), its rest read and dropped a cap at a time: memory stays flat."""
    number = 0
    while line := text.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            problems.add(number, f"line too long (over {MAX_LINE:,} characters)")
            while (rest := text.readline(MAX_LINE + 1)) and not rest.endswith("\n"):
                pass
            line = "\n"
        yield line


def _plain_line(number: int, line: str, signal_type: str, problems: Problems) -> Iterator[Entry]:
    value = line.rstrip("\r\n")
    if not value.strip() or (signal_type != "text" and value.lstrip().startswith("#")):
        return
    if _not_utf8(value):
        problems.add(number, "not UTF-8 text")
        return
    found = checked(signal_type, value if signal_type == "text" else value.strip())
    if isinstance(found, str):
        problems.add(number, found)
        return
    yield Entry(number, found[0], found[1], None, None)


def _csv_rows(lines: Iterator[str], width: int, problems: Problems) -> Iterator[Entry]:
    counted = _Counted(lines)
    reader = csv.reader(counted, strict=True)
    while True:
        start = counted.number + 1  # a quoted field may span lines: report where the row began
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader starts afresh at the next line: the lines after are still checked
            problems.add(start, f"not CSV: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if any(_not_utf8(cell) for cell in row):
            problems.add(start, "not UTF-8 text")
        elif len(row) < 2 or len(row) > width:
            problems.add(start, f"expected {width} fields ({','.join(COLUMNS[:width])}), got {len(row)}")
        else:
            yield from _csv_entry(start, row, problems)


class _Counted:
    """The lines a CSV reader takes, counted from line 2 (the header was line 1)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.number = 1

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.number += 1
        return line


def _csv_entry(number: int, row: list[str], problems: Problems) -> Iterator[Entry]:
    tag = row[2].strip() if len(row) > 2 and row[2].strip() else None
    note = row[3].strip() if len(row) > 3 and row[3].strip() else None
    signal_type = row[0].strip().lower()
    found = checked(signal_type, row[1])
    if isinstance(found, str):
        problems.add(number, found)
    elif signal_type != "text" and ("\n" in row[1] or "\r" in row[1]):
        problems.add(number, "a line break in the signal (an unterminated quote?)")
    elif problem := _shown_text_problem("tag", tag, MAX_TAG) or _shown_text_problem("note", note, MAX_NOTE):
        problems.add(number, problem)
    else:
        yield Entry(number, found[0], found[1], tag, note)


def _shown_text_problem(what: str, value: str | None, longest: int) -> str | None:
    """Why a tag or note cannot be kept (it is shown on moderators' screens and stored on either database), or
    None: too long, a line break, a control or format character (NUL, a bidi override), ``<`` or ``>``."""
    if value is None:
        return None
    if len(value) > longest:
        return f"the {what} is longer than {longest} characters"
    if "\n" in value or "\r" in value:
        return f"a line break in the {what} (an unterminated quote?)"
    for ch in value:
        if ch in "<>":
            return f"the {what} may not hold {ch!r}"
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn"):
            return f"the {what} holds the control or format character U+{ord(ch):04X}"
    return None


def _not_utf8(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _excerpt(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "…"


def export_rows(media: bool, sha256: str, md5: str | None, pdq_hexes: list[str], tag: str) -> list[list[str]]:
    """The CSV rows one item contributes to an exported list: a file's SHA-256, MD5 and each keyframe's PDQ; a
    text's normal-form SHA-256 as ``text_sha256`` (never the text)."""
    if not media:
        return [["text_sha256", sha256, tag, ""]]
    rows = [["sha256", sha256, tag, ""]]
    if md5:
        rows.append(["md5", md5, tag, ""])
    rows.extend(["pdq", hex_hash, tag, ""] for hex_hash in pdq_hexes)
    return rows
