"""Writing export tables as CSV, JSON Lines or XLSX, one function per format.

Each writer takes the tables, the (temporary) path, a ``tick`` called
with each batch's row count, which is where progress is reported and cancel honoured
(``audit.exports.write`` owns both, and the atomic rename), and what the
file says about itself (:class:`audit.exports.about.About`: period,
filters, generated-at, pseudonymised, the event log's head).

Who reads which format decides its shape:

* **JSON Lines is for machines**: rows only, keys are the columns' machine
  names (stable within a version), durations in milliseconds as stored.
  Its anchor goes in ``FILE.anchor`` beside it (:func:`anchor_lines`).
* **CSV and XLSX are for people** (a lead opens them in a spreadsheet and
  forwards them): they open with the :class:`~audit.exports.about.About`
  block (a header block of label/value rows then an empty row in CSV, an
  "About" sheet first in XLSX), headers are words with their unit
  (``Column.heading``: "Handle time (s)", "Decided at (UTC)"), durations are
  seconds, shares per cent (CSV; XLSX keeps the fraction with a per-cent
  format), kappa two decimals. The CSV still gets ``FILE.anchor`` beside it
  for ``veil verify --expect``; the XLSX keeps its anchor in the document
  properties too.

CSV is opened by spreadsheets, which run a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula: a queue name or a
note such as ``=HYPERLINK(…)`` would become a live link or worse in a
lead's spreadsheet. Such text cells are written with a leading single
quote (the OWASP "CSV injection" rule, :func:`neutralised`); numbers stay
numbers. XLSX needs none of it: its text cells are inline strings, never
formulas (``audit.exports.xlsx``).

Every conversion runs on a batch's column (:mod:`audit.exports.batches`):
values that repeat (label sets, booleans, words) through a :class:`Memo`,
numbers through one function each, and the formula check is one regular
expression search per text column of a batch, so the rows are touched one
by one only by the ``csv`` module's own C writer.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from audit.exports import csv_lines, xlsx
from audit.exports.about import About, verify_command
from audit.exports.batches import Batch, Memo, columnar, length
from audit.exports.tables import Column, Table
from review.store.events import Head

Tick = Callable[[int], None]

#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (shown as text); anything else as it is.

    Only text is touched: a negative number in a number column (``-3``) is a number, not a formula.
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def for_people(column: Column) -> Callable[[Any], Any] | None:
    """How a stored value of *column* is shown to a person (CSV, XLSX): its words, ms as seconds, hours to one
    decimal; None: as it is."""
    if column.words is not None:
        return column.words
    if column.type == "ms":
        return lambda v: None if v is None else round(v / 1000, 1)
    if column.type == "hours":
        return lambda v: None if v is None else round(v, 1)
    return None


def _csv_cell(column: Column) -> Callable[[Any], Any] | None:
    """A value as a CSV cell: lists ``a;b``, booleans ``true``/``false``, shares per cent, kappa 2 decimals;
    None when the value is written as it is."""
    if column.type == "list":
        return lambda v: ";".join(v or ())
    if column.type == "bool":
        return lambda v: v if v is None else ("true" if v else "false")
    if column.type == "share":
        return lambda v: None if v is None else round(100 * v, 1)
    if column.type == "ratio":
        return lambda v: None if v is None else f"{v:.2f}"
    return for_people(column)


#: Column types whose values repeat across rows (a team's few label sets, two booleans): converted once each.
_REPEATING = frozenset({"list", "bool"})


def shown(table: Table, cell: Callable[[Column], Callable[[Any], Any] | None]) -> Iterator[Batch]:
    """*table*'s batches with each column's values converted by ``cell(column)`` (None: left as they are)."""
    converting: list[tuple[int, Callable[[Sequence[Any]], list[Any]]]] = []
    for i, column in enumerate(table.columns):
        convert = cell(column)
        if convert is None:
            continue
        if column.words is not None or column.type in _REPEATING:
            converting.append((i, Memo(convert).column))
        else:
            converting.append((i, functools.partial(_each, convert)))
    for batch in table.batches:
        converted = list(batch)
        for i, convert_column in converting:
            converted[i] = convert_column(batch[i])
        yield converted


def _each(convert: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    return list(map(convert, values))


def empty_words(table: Table) -> str:
    """What a person reads instead of rows when *table* has none ("No decisions in this period.")."""
    return f"No {table.title.lower()} in this period."


#: A column that may hold a formula-like text cell: one search of its cells, each after a NUL, joined (C speed; a
#: pattern that starts with one literal character is found by a fast scan), so the cell-by-cell
#: :func:`neutralised` runs only for the few columns of a batch that need it.
_MAYBE_FORMULA = re.compile("\x00[" + re.escape("".join(FORMULA_STARTS)) + "]")


#: Column types whose CSV cells are numbers (or empty): never a formula, never searched.
_NUMBER_TYPES = frozenset({"int", "float", "ms", "hours", "share"})


def _texts(table: Table) -> frozenset[int]:
    """The columns of *table* whose CSV cells are text, so :func:`neutralised` where they need it."""
    return frozenset(i for i, c in enumerate(table.columns) if c.type not in _NUMBER_TYPES or c.words is not None)


def _csv_batches(table: Table, texts: frozenset[int]) -> Iterator[Batch]:
    """*table*'s batches as CSV cells (:func:`_csv_cell`), each column in *texts* :func:`neutralised` where it
    needs it."""
    for batch in shown(table, _csv_cell):
        for i in texts:
            if _MAYBE_FORMULA.search("\x00" + "\x00".join(map(str, batch[i]))):
                batch[i] = [neutralised(cell) for cell in batch[i]]
        yield batch


def write_csv(tables: Sequence[Table], path: Path, tick: Tick, about: About) -> None:
    """The About block, an empty row, the headings in words, then the rows; None is an empty cell (the csv
    module's own rule); text that would run as a formula is :func:`neutralised`.

    A table the store can format (``Table.lines``: decisions, audits) is written from its lines
    (:mod:`audit.exports.csv_lines`), byte for byte what its values would make; should a run of its cells not
    split (a free text holding the separator), the table is written again from its values, progress going on
    from where it was.

    No rows: the About block says so in a last "Rows" line, and the heading row stays, alone: a spreadsheet or a
    program reading the table below the blank row finds its columns and no data, never a stray sentence."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        lines = about.lines()
        if not any(t.count for t in tables):
            lines.append(("Rows", "none: " + empty_words(tables[0])))
        for label, value in lines:
            writer.writerow([neutralised(label), neutralised(value)])
        writer.writerow([])
        writer.writerow([neutralised(c.heading) for c in tables[0].columns])
        for table in tables:
            texts = _texts(table)
            if table.lines is not None:
                start, written = handle.tell(), _Counted(tick)
                try:
                    csv_lines.write(handle, table, written, _csv_cell, neutralised, texts)
                    continue
                except csv_lines.SeparatorInData:
                    handle.seek(start)
                    handle.truncate()
                    tick = written.catching_up
            for batch in _csv_batches(table, texts):
                writer.writerows(zip(*batch, strict=True))
                tick(length(batch))


class _Counted:
    """A tick that counts the rows it passed on, so a table written again reports only rows past them."""

    def __init__(self, tick: Tick):
        self._tick, self._passed, self._again = tick, 0, 0

    def __call__(self, rows: int) -> None:
        self._passed += rows
        self._tick(rows)

    def catching_up(self, rows: int) -> None:
        before, self._again = self._again, self._again + rows
        if self._again > self._passed:
            self._tick(self._again - max(before, self._passed))


def write_jsonl(tables: Sequence[Table], path: Path, tick: Tick, _about: About) -> None:
    names = [c.name for c in tables[0].columns]
    encode = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(..., ensure_ascii=False) uses
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for table in tables:
            for batch in table.batches:
                handle.write("".join([encode(dict(zip(names, row, strict=True))) + "\n"
                                      for row in zip(*batch, strict=True)]))
                tick(length(batch))


_XLSX_KIND = {"ms": "seconds", "hours": "seconds"}  # "seconds" is xlsx's one-decimal number format


def write_xlsx(tables: Sequence[Table], path: Path, tick: Tick, about: About) -> None:
    """An "About" sheet first, then one sheet per table with word headings, landscape, printing its header row
    on every page. The anchor also goes in the document properties (custom ``veil_head_events``/
    ``veil_head_hash`` and the description under File ▸ Info)."""
    head = about.head
    lines = about.lines()
    print_header = f"{lines[0][1]} · {about.period}"
    sheets = [xlsx.Sheet("About", [lines[0][0], lines[0][1]], ["text", "text"], [18, 110], columnar(lines[1:]),
                         data=False, print_header=print_header)]
    sheets += [xlsx.Sheet(t.title, [c.heading for c in t.columns], [_XLSX_KIND.get(c.type, c.type) for c in t.columns],
                          [max(c.width, min(len(c.heading) + 2, 24)) for c in t.columns], shown(t, for_people),
                          print_header=print_header, empty=empty_words(t))
               for t in tables]
    xlsx.write(path, sheets, on_rows=tick, properties={"veil_head_events": head.events, "veil_head_hash": head.hash},
               description=anchor_words(head))


def anchor_words(head: Head) -> str:
    """How a file says what it was made from, and how to check it (the PDF report prints the same words)."""
    return f"Made from event {head.events}, hash {head.hash[:16]}… (check with: {verify_command(head)})"


def anchor_lines(head: Head) -> str:
    """The text of an anchor file: ``N:HASH`` first (what ``--expect`` takes), then how to check it."""
    return f"{head.events}:{head.hash}\n# the event log's head this export was made from; check with: " \
           f"{verify_command(head)}\n"


WRITERS: dict[str, Callable[[Sequence[Table], Path, Tick, About], None]] = {
    "csv": write_csv, "jsonl": write_jsonl, "xlsx": write_xlsx,
}
