"""A CSV table's rows from text the store formatted: the fast way to write a decisions or audits CSV.

A bare ``SELECT`` written with the ``csv`` module spends most of its time making a Python object of every cell
and handing each to the writer; an export at 200,000 rows a second has five microseconds a row. So a table
that can (:attr:`audit.exports.tables.Table.lines`) gives its rows with each run of columns a CSV writes as
stored (numbers, times, words) as one text the store formatted, cells joined by
``audit.store.export_rows.SEPARATOR``, and only the columns Python converts (label sets, durations in
seconds, scores, pseudonyms) as values: the driver makes 4 to 9 objects a row instead of 23 or 29. Per batch
of rows, what a run needs is found over the whole batch's texts at once (``str.count``, ``in`` and ``str.find``,
at memory speed), so the rows are touched one by one only by ``str.join`` (the separators become commas in one
``str.replace`` of the batch's text):

* a run whose cells need nothing is its text with the separators made commas;
* a row whose run holds a quote, comma, line break, or a text cell starting as a formula
  (``writers.FORMULA_STARTS``) is split into its cells, each text cell :func:`~audit.exports.writers.neutralised`,
  and the cells written by the ``csv`` module — so quoting stays the module's own, and the file is byte for
  byte what :func:`audit.exports.writers.write_csv` writes from the values;
* a run whose text holds more separators than cells (a free text holding the separator itself) cannot be
  split: :class:`SeparatorInData` says so, and the writer writes the table again from its values.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Callable, Sequence
from itertools import accumulate, repeat
from typing import IO, Any

from audit.exports.batches import Memo, length
from audit.exports.tables import Column, Table
from audit.store.export_rows import SEPARATOR, layout

#: Column types a CSV writes converted by Python (``writers._csv_cell``): never in a run the store formats.
CONVERTED = frozenset({"list", "float", "ms", "hours", "share", "ratio"})

#: What makes a run's cells need care: a character the ``csv`` module quotes for, or a cell starting as a formula
#: (after a separator: a batch's runs are searched joined by it, each after one). Each is found with ``str.find``
#: (a single character at memory speed), only in a batch that holds it, then once per row that does.
_QUOTED = ('"', ",", "\r", "\n")
_FORMULA = ("=", "+", "-", "@", "\t")  # writers.FORMULA_STARTS but "\r", which _QUOTED finds


_END = "\r\n"  # what ends a line of a CSV the csv module writes (its default dialect's)


class SeparatorInData(Exception):
    """A cell of a run held the separator itself, so the run cannot be split into its cells."""


def values_of(table: Table) -> frozenset[int]:
    """The columns of *table* a CSV takes as values rather than as the store's text."""
    return table.values | {i for i, c in enumerate(table.columns) if c.words is not None or c.type in CONVERTED}


class _Cells:
    """Cells written by the ``csv`` module (its quoting, exactly), without the line's end."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        # The file's own line end: the module quotes a cell holding a character of it (Python 3.11 quotes "\r"
        # and "\n" only then).
        self._writer = csv.writer(self._buffer, lineterminator=_END)

    def line(self, fields: Sequence[Any]) -> str:
        """*fields* as the cells of one CSV line, comma-separated; a lone empty field is an empty cell (the
        ``csv`` module writes ``""`` only for a row of that one field, and these are parts of rows)."""
        if len(fields) == 1 and fields[0] in (None, ""):
            return ""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(fields)
        return self._buffer.getvalue()[:-len(_END)]


def write(handle: IO[str], table: Table, tick: Callable[[int], None],
          cell: Callable[[Column], Callable[[Any], Any] | None], neutralised: Callable[[object], object],
          texts: frozenset[int]) -> None:
    """Write *table*'s rows from its lines to *handle*; ``cell(column)`` converts a value column's values as
    for a CSV, :func:`neutralised` guards a text cell, *texts* are the columns guarded. SeparatorInData before
    writing a batch whose runs cannot be split (nothing of it written)."""
    assert table.lines is not None
    values = values_of(table)
    places = layout(len(table.columns), values)
    cells = _Cells()
    runs: list[tuple[int, Callable[[Sequence[str]], list[str]]]] = []
    made_values: list[tuple[int, Callable[[Sequence[Any]], list[str]]]] = []
    for place, (is_value, held) in enumerate(places):
        if is_value:
            made_values.append((place, _value_cells(table.columns[held[0]], cell, neutralised, held[0] in texts,
                                                    cells)))
        else:
            runs.append((place, _run_cells(held, neutralised, texts, cells)))
    for batch in table.lines(values):
        made = list(batch)
        for place, convert in made_values:
            made[place] = convert(batch[place])
        separated = any(SEPARATOR in "".join(made[place]) for place, _ in made_values)
        for place, convert in runs:  # the separators stay, made commas below for the whole batch at once
            made[place] = convert(batch[place])
            if separated:  # a value's cell holds the separator: only the runs' are commas
                made[place] = list(map(str.replace, made[place], repeat(SEPARATOR), repeat(",")))
        text = _END.join(map(",".join, zip(*made, strict=True))) + _END
        handle.write(text if separated else text.replace(SEPARATOR, ","))
        tick(length(batch))


def _value_cells(column: Column, cell: Callable[[Column], Callable[[Any], Any] | None],
                 neutralised: Callable[[object], object], guarded: bool,
                 cells: _Cells) -> Callable[[Sequence[Any]], list[str]]:
    """A value column's values -> their CSV cells, each distinct value made once (:class:`Memo`)."""
    convert = cell(column)

    def made(value: Any) -> str:
        shown = value if convert is None else convert(value)
        return cells.line([neutralised(shown) if guarded else shown])

    return Memo(made).column


def _run_cells(held: tuple[int, ...], neutralised: Callable[[object], object], texts: frozenset[int],
               cells: _Cells) -> Callable[[Sequence[str]], list[str]]:
    """A run's texts -> their CSV cells, still separated by SEPARATOR but where a row needed care: that row's cells
    written by the ``csv`` module, each text cell guarded, with commas."""
    separators = len(held) - 1
    guarded = [column in texts for column in held]

    def careful(text: str) -> str:
        return cells.line([neutralised(value) if guard else value
                           for value, guard in zip(text.split(SEPARATOR), guarded, strict=True)])

    def convert(run: Sequence[str]) -> list[str]:
        joined = SEPARATOR + SEPARATOR.join(run)
        if joined.count(SEPARATOR) != len(run) * (separators + 1):
            raise SeparatorInData()
        needles = [c for c in _QUOTED if c in joined] + [SEPARATOR + c for c in _FORMULA if c in joined]
        if not needles:
            return list(run)
        made = list(run)
        for row in _rows_holding(joined, needles, run):
            made[row] = careful(run[row])
        return made

    return convert


def _rows_holding(joined: str, needles: Sequence[str], run: Sequence[str]) -> set[int]:
    """The rows of *run* (joined, each after a separator) that hold one of *needles*: a find per row that does."""
    starts = list(accumulate((len(text) + 1 for text in run), initial=0))
    rows: set[int] = set()
    for needle in needles:
        at = joined.find(needle)
        while at != -1:
            row = bisect.bisect_right(starts, at) - 1
            rows.add(row)
            at = joined.find(needle, starts[row + 1])
    return rows
