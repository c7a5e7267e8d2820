"""The audit domain's tables and their SQL: the only audit modules that talk to the database.

Each module holds the statements of one part of QA (``samples``, ``plans``,
``audits``, ``gold``, ``calibration``, ``disputes``, and the reads behind
``metrics`` and ``exports``), written in the SQL that SQLite and PostgreSQL
share: ``RETURNING id`` for new rows, bound lists (``IN (?, ?, …)``) rather
than JSON table functions. The domain modules above keep the rules, the
role checks and the wording of errors. Every audit transaction is opened
in this package: a guarded write is one function of its module (it re-reads
what it must, raises :class:`review.store.Refused` when a guard fails, writes
and logs its event), and a desk that chains several domain steps runs them
through :func:`atomically`. The few helpers here are the ones every store
module needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from review.store import Store
from review.store.replay import replayed

T = TypeVar("T")


def insert_returning_id(store: Store, sql: str, params: Sequence[Any]) -> int:
    """Run an ``INSERT … RETURNING id`` and give the new row's id.

    The row is fetched to the end so the statement is finished before the
    transaction commits (a half-read ``RETURNING`` would hold it open).
    """
    rows = store.db.execute(sql, list(params)).fetchall()
    return int(rows[0][0])


def item_exists(store: Store, item_id: int) -> bool:
    """Whether the review store holds the item (gold and calibration sets point at existing items)."""
    return store.db.execute("SELECT 1 FROM items WHERE id = ?", [item_id]).fetchone() is not None


def atomically(store: Store, work: Callable[[], T]) -> T:
    """Run *work* (a desk's chain of domain steps) as one write transaction; its result.

    Why one door: the steps' own guarded writes become savepoints of this
    transaction, so a refusal halfway leaves nothing behind; and on a
    server store a unit of work a deadlock or serialization failure rolled
    back is run again here, whole (:func:`review.store.replay.replayed`).
    """
    return replayed(store, work)
