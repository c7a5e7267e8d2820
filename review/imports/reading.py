"""Reading a manifest file: its format, and its rows one at a time, each a dict or a :class:`BadLine`.

Nothing here keeps a row: the import (:mod:`review.imports.manifest`)
checks each as it comes. A line that cannot be a row is one bad line, said
with its number, never an exception: not UTF-8, malformed JSON, a number no
float holds (``1e400`` would be stored as Infinity), arrays and objects
nested past :data:`MAX_NESTING` (the decoder recurses: ~1,000 levels used
to end the import in a RecursionError), a line past :data:`MAX_LINE_BYTES`
(read past, never held whole). CSV cells are capped by the csv module's
field limit (131,072 characters).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from review.errors import VeilError
from review.imports.handlers import json_type

#: Manifest file suffix -> format name.
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class ManifestError(VeilError):
    """The manifest as a whole cannot be read (missing, unreadable, unknown format).

    Row-level problems are never raised: they are collected as problems of their line.
    """


@dataclass(frozen=True)
class BadLine:
    """What a parser yields for a line it cannot turn into a row.

    ``raw`` is what was read (text of a JSON line, cells of a CSV record), so
    a rejects file keeps enough to fix the line by hand.
    """

    reason: str
    raw: Any = None


def manifest_format(path: Path) -> str:
    """The format of *path* from its suffix, or :class:`ManifestError` if it cannot be imported.

    Checked before the store is opened, so a typo never creates an empty store.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise ManifestError(f"{path}: unsupported manifest type {path.suffix or '(no extension)'!r} (use {known})")
    if not path.exists():
        raise ManifestError(f"{path}: manifest not found")
    if not path.is_file():
        raise ManifestError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise ManifestError(f"{path}: cannot read the manifest (permission denied)")
    return fmt


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Yield ``(line_no, row)`` for every non-blank row of the manifest, in order."""
    parser = _PARSERS[manifest_format(path)]
    try:
        yield from parser(Path(path))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest: {exc.strerror or exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    """A JSON number as a float; one too large for a float (``1e400``) would be stored as Infinity."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text} is too large")
    return number


# One decoder, built once: NaN/Infinity would be stored as metadata no other tool can read.
_JSON = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)

#: Deepest nesting of arrays and objects in a row: metadata is a few levels deep, and a row nested ~1,000 levels
#: used to end the import in a RecursionError.
MAX_NESTING = 32
#: Longest JSON line read: a row at every limit (100,000 characters of text and of metadata, escaped) fits.
MAX_LINE_BYTES = 4 * 1024 * 1024


def nesting_problem(text: str) -> str | None:
    """Why a JSON line is nested too deeply, found from its brackets before it is decoded (decoding recurses)."""
    if text.count("[") + text.count("{") <= MAX_NESTING:  # most lines: counted at C speed, not walked
        return None
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return f"arrays and objects nested more than {MAX_NESTING} levels deep"
        elif char in "]}":
            depth -= 1
    return None


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) of each line; None for a line over :data:`MAX_LINE_BYTES` (read past, never kept)."""
    line_no = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        line_no += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield line_no, None
            continue
        yield line_no, raw


def parse_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """JSON Lines: one object a line, blank lines ignored.

    Read as bytes and decoded line by line so a stray non-UTF-8 line is one
    bad line, not an unreadable file; ``\\u2028`` inside strings stays data.
    A line too long, nested too deeply or with a number no float holds is
    one bad line too.
    """
    with open(path, "rb") as handle:
        for line_no, raw in _lines(handle):
            if raw is None:
                yield line_no, BadLine(f"line is longer than {MAX_LINE_BYTES // 1024 // 1024} MiB")
                continue
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield line_no, BadLine("line is not UTF-8 text", raw.decode("utf-8", "replace"))
                continue
            if not text.strip():
                continue
            if (deep := nesting_problem(text)) is not None:
                yield line_no, BadLine(f"malformed JSON: {deep}", text.rstrip("\r\n")[:1000])
                continue
            try:
                row = _JSON.decode(text)
            except (ValueError, RecursionError) as exc:
                yield line_no, BadLine(f"malformed JSON: {_json_reason(exc)}", text.rstrip("\r\n"))
                continue
            if not isinstance(row, dict):
                yield line_no, BadLine(f"line is not a JSON object (got {json_type(row)})", row)
                continue
            yield line_no, row


def _json_reason(exc: ValueError | RecursionError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def parse_csv(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """CSV with a header row; empty cells are omitted, so they read as "not given".

    Line numbers are physical lines where the record starts (a quoted cell
    may span lines), which is what an editor shows.
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        last_line = 0
        while True:
            start = last_line + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:  # decoded in chunks, so find the line for the message
                raise ManifestError(f"{path}:{_first_non_utf8_line(path)}: the manifest is not UTF-8 text") from exc
            except csv.Error as exc:
                last_line = reader.line_num
                yield start, BadLine(f"bad CSV row: {exc}")
                continue
            last_line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if header is None:
                header = _csv_header(path, start, cells)
                continue
            if len(cells) != len(header):
                yield start, BadLine(f"bad CSV row: {len(cells)} fields, but the header has {len(header)}", cells)
                continue
            yield start, {name: cell for name, cell in zip(header, cells) if cell != ""}


def _first_non_utf8_line(path: Path) -> int:
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return line_no
    return 0


def _csv_header(path: Path, line: int, cells: list[str]) -> list[str]:
    """Column names, trimmed; a repeated name would silently lose data, so it stops the import."""
    names = [c.strip() or f"column_{i}" for i, c in enumerate(cells, start=1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ManifestError(f"{path}:{line}: the CSV header repeats column {name!r}")
        seen.add(name)
    return names


_PARSERS: dict[str, Callable[[Path], Iterator[tuple[int, dict[str, Any] | BadLine]]]] = {
    "jsonl": parse_jsonl,
    "csv": parse_csv,
}


def count_rows(path: Path) -> int:
    """How many rows the manifest has, for progress only, read fast: JSON Lines by its non-blank lines, CSV by its
    non-blank records after the header (cells not turned into rows). A file that cannot be read is said by the
    pass that checks it, with its line: here it counts what it can."""
    try:
        if manifest_format(path) == "jsonl":
            with open(path, "rb") as handle:
                return sum(1 for _, raw in _lines(handle) if raw is None or raw.strip() not in (b"", b"\xef\xbb\xbf"))
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return max(0, sum(1 for cells in csv.reader(handle) if any(cell.strip() for cell in cells)) - 1)
    except (OSError, csv.Error, UnicodeDecodeError):
        return 0
