"""Export rows in batches of columns, so each conversion runs once per column at C speed, not once per cell.

An export of a million rows at disk speed has about five microseconds a row
for everything Veil adds to a bare ``SELECT`` written with the ``csv`` module
(``benchmarks/bench_export.py``). Converting row by row (a tuple unpacked, a
Python call per cell, a tuple rebuilt) spent three times that. So a table's
rows travel as *batches*: up to :data:`BATCH_ROWS` rows at a time, held as one
sequence of values per column (:func:`columnar`); a conversion is a
``map`` over a column — with a C function, or with :class:`Memo`, whose hits
(the few queues, actions, people and label sets that fill most columns) are
dictionary look-ups without a Python frame — and a writer turns the batch
back into rows once, with ``zip`` (:func:`rows_of`). Memory stays flat: one
batch of rows is held at a time, whatever the table's length.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Any

#: Rows a batch holds: big enough that a conversion's per-batch cost vanishes, small enough to stay in cache
#: and to report progress (and honour a cancel) several times a second.
BATCH_ROWS = 4096

#: One batch: a sequence of values per column, every one as long as the others.
Batch = list[Sequence[Any]]


def columnar(rows: Iterable[Sequence[Any]], size: int | None = None) -> Iterator[Batch]:
    """*rows* as batches of up to *size* (:data:`BATCH_ROWS`) rows, each a list of columns (tuples); no batch is
    empty."""
    rows, size = iter(rows), size or BATCH_ROWS
    while chunk := list(itertools.islice(rows, size)):
        yield list(zip(*chunk, strict=True))


def rows_of(batches: Iterable[Batch]) -> Iterator[tuple[Any, ...]]:
    """The rows of *batches*, in order, as tuples."""
    for batch in batches:
        yield from zip(*batch, strict=True)


def length(batch: Batch) -> int:
    """How many rows *batch* holds."""
    return len(batch[0]) if batch else 0


class Memo(dict[Hashable, Any]):
    """``make(value)`` for each distinct value, made once: ``map(memo.__getitem__, column)`` converts a column
    whose values repeat with one dictionary look-up per cell.

    At *limit* entries it starts again empty, so a column of values that never repeat (ids, notes) costs a
    call each and keeps no more than *limit* of them.
    """

    def __init__(self, make: Callable[[Any], Any], limit: int = 4096):
        super().__init__()
        self._make, self._limit = make, limit

    def __missing__(self, value: Hashable) -> Any:
        if len(self) >= self._limit:
            self.clear()
        made = self[value] = self._make(value)
        return made

    def column(self, values: Sequence[Any]) -> list[Any]:
        """Each of *values* converted; values that cannot be keys (a list) are converted one by one."""
        try:
            return list(map(self.__getitem__, values))
        except TypeError:
            return list(map(self._make, values))
