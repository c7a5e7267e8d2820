"""Writing export tables as CSV, JSON Lines or XLSX, one function per format.

Each writer takes the tables, the (temporary) path, a ``tick`` called
once per row, which is where progress is reported and cancel honoured
(``audit.exports.write`` owns both, and the atomic rename), and the head of
the event log the rows were read at. Only XLSX has a place for that anchor
(its document properties); CSV and JSON Lines are rows and nothing else, so
``audit.exports.write`` puts theirs in a file beside them (:func:`anchor_lines`).

CSV is opened by spreadsheets, which run a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula: a queue name or a
note such as ``=HYPERLINK(…)`` would become a live link or worse in a
lead's spreadsheet. Such text cells are written with a leading single
quote (the OWASP "CSV injection" rule, :func:`neutralised`); numbers stay
numbers. XLSX needs none of it: its text cells are inline strings, never
formulas (``audit.exports.xlsx``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from audit.exports import xlsx
from audit.exports.tables import Table
from review.store.events import Head

Tick = Callable[[], None]

#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (shown as text); anything else as it is.

    Only text is touched: a negative number in a number column (``-3``) is a number, not a formula.
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def write_csv(tables: Sequence[Table], path: Path, tick: Tick, _head: Head) -> None:
    """Lists as ``a;b``, booleans as ``true``/``false``; None is an empty cell (the csv module's own rule);
    text that would run as a formula is :func:`neutralised`."""
    columns = tables[0].columns
    lists = [i for i, c in enumerate(columns) if c.type == "list"]
    bools = [i for i, c in enumerate(columns) if c.type == "bool"]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([neutralised(c.name) for c in columns])
        for table in tables:
            for row in table.rows:
                cells = list(row)
                for i in lists:
                    cells[i] = ";".join(cells[i] or ())
                for i in bools:
                    if cells[i] is not None:
                        cells[i] = "true" if cells[i] else "false"
                writer.writerow([neutralised(cell) for cell in cells])
                tick()


def write_jsonl(tables: Sequence[Table], path: Path, tick: Tick, _head: Head) -> None:
    names = [c.name for c in tables[0].columns]
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for table in tables:
            for row in table.rows:
                handle.write(json.dumps(dict(zip(names, row)), ensure_ascii=False))
                handle.write("\n")
                tick()


def write_xlsx(tables: Sequence[Table], path: Path, tick: Tick, head: Head) -> None:
    """The anchor goes in the document properties (custom ``veil_head_events``/``veil_head_hash`` and the
    description a person sees under File ▸ Info), never in a sheet a machine reads as data."""
    xlsx.write(path, [
        xlsx.Sheet(t.title, [f"{c.name} (UTC)" if c.type == "time" else c.name for c in t.columns],
                   [c.type for c in t.columns], [c.width for c in t.columns], t.rows)
        for t in tables
    ], on_row=tick, properties={"veil_head_events": head.events, "veil_head_hash": head.hash},
        description=anchor_words(head))


def anchor_words(head: Head) -> str:
    """How a file says what it was made from, and how to check it (the PDF report prints the same words)."""
    return (f"Made from event {head.events}, hash {head.hash[:16]}… "
            f"(check with: veil verify --expect {head.events}:{head.hash})")


def anchor_lines(head: Head) -> str:
    """The text of an anchor file: ``N:HASH`` first (what ``--expect`` takes), then how to check it."""
    pair = f"{head.events}:{head.hash}"
    return f"{pair}\n# the event log's head this export was made from; check with: veil verify --expect {pair}\n"


WRITERS: dict[str, Callable[[Sequence[Table], Path, Tick, Head], None]] = {
    "csv": write_csv, "jsonl": write_jsonl, "xlsx": write_xlsx,
}
