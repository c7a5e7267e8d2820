"""Lists of bound values in one statement (``WHERE id IN (?, ?, …)``), cut to a size every driver takes.

SQLite allows 32,766 parameters a statement and psycopg 65,535; a list of
ids from a user's selection, a manifest or a case can be longer. Every
store module that sends such a list sends it in :data:`CHUNK`-sized slices,
with as many marks as the slice has values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: Bound values per ``IN (…)`` list: far under every driver's limit, and few enough that a plan stays cheap.
CHUNK = 500


def slices(values: Sequence[Any]) -> Iterator[list[Any]]:
    """*values*, in order, in lists of at most :data:`CHUNK`."""
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])


def distinct_slices(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct *values*, sorted, in lists of at most :data:`CHUNK` (a look-up that needs each value once)."""
    yield from slices(sorted(set(values)))


def marks(values: Sequence[Any]) -> str:
    """As many ``?`` as *values* has, for its ``IN (…)`` list."""
    return ",".join("?" * len(values))
