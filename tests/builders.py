"""Shared test builders: people, text items, past decisions, finished audits and the event log, built one way.

Test modules import these (``from builders import people, text_item``)
instead of each carrying its own copy. Every builder goes through the
public store and domain calls (``add_user``, ``add_items``,
``record_past_decision``, the blind audit steps), so what a test builds is
what the product would have stored; a module keeps a private helper only
for what is specific to it. The last few (``store_arg`` … ``statements_run``)
let a domain test take a step that is spelled differently on SQLite and on a
PostgreSQL server (issue 15) the same way on both, so it means the same.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.util
import json
import random
import sqlite3
import sys
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from audit import audits, sampling
from review import decisions
from review.clock import iso
from review.errors import StoreConflict
from review.store import Queue, Store, User, integrity

RECEIVED_AT = "2026-01-01T00:00:00Z"  # before every test clock, so a built item is never "new"


class Event(NamedTuple):
    """One row of the event log, payload decoded; compares equal to a plain 4-tuple."""

    actor: str
    kind: str
    subject: str
    payload: Any



IMPORTER = "lead1"  # the lead the import tests import as (tests/review/importing/conftest.py)

def people(store: Store, /, **who: str | Sequence[str] | tuple[Sequence[str], str]) -> dict[str, User]:
    """Add users in the order given and return them by name.

    Each keyword is a user name; its value is a role, a list of roles, or a
    ``(roles, display name)`` pair: ``people(store, ana=["moderator"],
    lee=(["lead"], "Lee Park"))``.
    """
    added = {}
    for name, spec in who.items():
        display: str | None = None
        if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], str) and not isinstance(spec[0], str):
            spec, display = spec
        roles = [spec] if isinstance(spec, str) else list(spec)
        added[name] = store.add_user(name, roles, display)
    return added


def ago(store: Store, hours: float) -> str:
    """The ISO time *hours* before the store's clock (a received_at for "an item this old")."""
    return iso(store.clock.now() - _dt.timedelta(hours=hours))


def text_items(store: Store, queue: str | Queue, ids: int | Sequence[str], *, received_at: str = RECEIVED_AT,
               text: str | Sequence[str] | None = None, **columns: Any) -> list[int]:
    """Insert text items into *queue* in one ``add_items`` call; return their ids in the order given.

    *ids* is the external ids to use, or a count: then they are ``i<n>``,
    numbered on from the items already stored (``i0``, ``i1``, … across
    all queues), so repeated calls never collide. *text* is one text for
    every item or one per item; *columns* are further item columns
    (``severity``, ``metadata``, ``media_path``, …), the same for every item.
    """
    target = store.queue(queue) if isinstance(queue, str) else queue
    if isinstance(ids, int):
        stored = store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        ids = [f"i{stored + k}" for k in range(ids)]
    texts = [text] * len(ids) if text is None or isinstance(text, str) else list(text)
    rows = [{"external_id": external_id, "queue_id": target.id, "kind": "text", "received_at": received_at,
             **({} if body is None else {"text": body}), **columns} for external_id, body in zip(ids, texts)]
    store.add_items(rows)
    by_external_id = dict(store.db.execute("SELECT external_id, id FROM items WHERE queue_id = ?", [target.id]))
    return [by_external_id[external_id] for external_id in ids]


def text_item(store: Store, queue: str | Queue, *, external_id: str | None = None, received_at: str = RECEIVED_AT,
              text: str | None = None, **columns: Any) -> int:
    """Insert one text item into *queue* and return its id (external id ``i<n>`` unless given)."""
    return text_items(store, queue, 1 if external_id is None else [external_id], received_at=received_at,
                      text=text, **columns)[0]


def decided_item(store: Store, queue: str | Queue, user: str, *, decided_at: str, action: str = "no_violation",
                 labels: Sequence[str] = (), note: str = "", handle_ms: int | None = None,
                 received_at: str = RECEIVED_AT, **columns: Any) -> int:
    """Insert one text item and record *user*'s past decision on it; return the decision id.

    The decision goes through ``review.decisions.record_past_decision`` (as
    a history import would), so the item is closed like any decided item.
    *columns* go to the item (``text``, ``external_id``, ``media_path``, …).
    """
    item_id = text_item(store, queue, received_at=received_at, **columns)
    return decisions.record_past_decision(store, item_id=item_id, user=user, action=action, labels=list(labels),
                                          decided_at=decided_at, note=note, handle_ms=handle_ms)


def audited(store: Store, decision_id: int, *, lead: str, auditor: str, blind_action: str,
            blind_labels: Sequence[str] = (), verdict: str = "correct", error: tuple[str, str] | None = None,
            comment: str = "") -> int:
    """Sample *decision_id* (chosen by *lead*) and take it through a whole blind audit; return the audit id.

    *auditor* starts, answers blind (*blind_action*, *blind_labels*), sees
    the original and scores *verdict*; an ``"incorrect"`` verdict needs
    *error* = (error type, severity).
    """
    sample = sampling.add_sample(store, lead, decision_id)
    audits.start_audit(store, auditor, sample.id)
    audits.submit_blind(store, auditor, sample.id, blind_action, list(blind_labels))
    audits.reveal_original(store, auditor, sample.id)
    error_type, severity = error or (None, None)
    return audits.score(store, auditor, sample.id, verdict, error_type, severity, comment=comment).audit_id


def events(store: Store, kind: str | None = None) -> list[Event]:
    """The event log, oldest first, optionally only one *kind* (``"queue.merged"``)."""
    sql = "SELECT actor, kind, subject, payload FROM events" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
    return [Event(actor, k, subject, json.loads(payload))
            for actor, k, subject, payload in store.db.execute(sql, [kind] if kind else [])]


# ------------------------------------------------------------ script checks (generated texts)
def has_arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in text)


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3040" <= ch <= "\u30ff" for ch in text)


def has_emoji(text: str) -> bool:
    return any("\U0001f300" <= ch <= "\U0001faff" or "\u2600" <= ch <= "\u27bf" for ch in text)


def audited_history(path: Path, items: int, *, item_id: Callable[[int], str], at: Callable[[int], str]) -> None:
    """A history manifest at *path*: *items* decisions, each audited by dana, over three moderators (ana, ben,
    chidi) and two queues (spam, hate), the decided and blind answers drawn from three (seeded by *items*);
    *item_id(n)* names the n-th and *at(n)* dates its decision and audit."""
    pick = random.Random(items)
    answers = [("no_violation", []), ("remove", ["spam"]), ("label_only", ["spam", "harassment"])]
    rows: list[dict[str, Any]] = []
    for n in range(items):
        (action, labels), (blind_action, blind_labels) = pick.choice(answers), pick.choice(answers)
        ext, moderator, when = item_id(n), ("ana", "ben", "chidi")[n % 3], at(n)
        rows += [{"id": ext, "queue": ("spam", "hate")[n % 2], "text": f"post {n}"},
                 {"type": "decision", "item": ext, "moderator": moderator, "action": action, "labels": labels,
                  "decided_at": when},
                 {"type": "audit", "item": ext, "moderator": moderator, "auditor": "dana", "blind_action": blind_action,
                  "blind_labels": blind_labels, "verdict": "correct", "audited_at": when}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def store_arg(store: Store) -> str:
    """What a command line's ``--store`` names *store* by: its file, or its server's URL (``path`` is None there)."""
    return str(store.path) if store.path is not None else str(store.url)


def sql_as_veil(store: Store, sql: str, params: Sequence[Any] = ()) -> None:
    """Run one statement in a write transaction of *store*, so a trigger's or a constraint's refusal is
    ``StoreConflict`` on both stores (raw, SQLite says ``sqlite3.IntegrityError``; a server says it mapped)."""
    with store.transaction() as db:
        db.execute(sql, list(params))


def trigger_sql(name: str) -> str:
    """The ``CREATE TRIGGER`` Veil's migrations write for *name*, in SQLite's text (a server store's
    ``execute`` spells it as its function and trigger), to put a dropped trigger back as it was."""
    from desktop import wiring
    from review.store.schema import migrations as review_migrations

    return integrity.expected_schema([review_migrations, *wiring.migration_sets()])[("trigger", name)]


@contextlib.contextmanager
def behind_veils_back(store: Store, *drop: str) -> Iterator[Any]:
    """A plain connection to *store*, as someone with SQL access has one, with the triggers *drop* dropped.

    On a file: a fresh ``sqlite3`` connection in autocommit (recursive triggers off, as in the sqlite3
    shell). On a server: the store's own connection outside a transaction (autocommit too); a dropped
    trigger's function goes with it, so :func:`trigger_sql` executed there puts both back.
    """
    if store.path is None:
        for trigger in drop:
            table = store.db.execute("SELECT CAST(CAST(tgrelid AS regclass) AS TEXT) FROM pg_trigger WHERE tgname = ?",
                                     [trigger]).fetchone()[0]
            store.db.execute(f"DROP TRIGGER {trigger} ON {table}")
            store.db.execute(f"DROP FUNCTION {trigger}_fn()")
        yield store.db
        return
    with contextlib.closing(sqlite3.connect(store.path, isolation_level=None)) as conn:
        for trigger in drop:
            conn.execute(f"DROP TRIGGER {trigger}")
        yield conn


def refusal(store: Store) -> type[Exception]:
    """What a :func:`behind_veils_back` connection raises when a trigger or a constraint refuses a statement:
    ``sqlite3.IntegrityError`` from a plain ``sqlite3`` connection; on a server, the store's own connection
    says it as Veil does, ``StoreConflict``."""
    return StoreConflict if store.path is None else sqlite3.IntegrityError


def dump(store: Store) -> str:
    """Everything *store* holds, as text, to prove something is kept nowhere: SQLite's ``iterdump()``
    of the file; on a server, every row of every table of the store's schema."""
    if store.path is not None:
        return "\n".join(store.db.conn.iterdump())
    tables = [row[0] for row in store.db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " ORDER BY table_name")]
    return "\n".join(f"{table}: {row!r}" for table in tables for row in store.db.execute(f'SELECT * FROM "{table}"'))


@contextlib.contextmanager
def statements_run(store: Store) -> Iterator[list[str]]:
    """The statements *store*'s connection runs meanwhile, to count what a call costs: SQLite's trace
    callback on a file; on a server, each statement the store's database is given (``execute``/``executemany``,
    and each of ``rows_together``'s)."""
    seen: list[str] = []
    if store.path is not None:
        store.db.conn.set_trace_callback(seen.append)
        try:
            yield seen
        finally:
            store.db.conn.set_trace_callback(None)
        return
    db: Any = store.db
    execute, executemany, together = db.execute, db.executemany, db.rows_together

    def counted_execute(sql: str, params: Any = None) -> Any:
        seen.append(sql)
        return execute(sql, params)

    def counted_executemany(sql: str, rows: Any) -> Any:
        seen.append(sql)
        return executemany(sql, rows)

    def counted_together(statements: Any) -> Any:
        seen.extend(sql for sql, _ in statements)
        return together(statements)

    db.execute, db.executemany, db.rows_together = counted_execute, counted_executemany, counted_together
    try:
        yield seen
    finally:
        del db.execute, db.executemany, db.rows_together


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def benchmark_module(name: str) -> Any:
    """``benchmarks/<name>.py`` as a module (benchmarks are scripts, not a package; their siblings import each
    other by name, so the folder is on the path while it loads; registered, as dataclasses look their module up)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def peak_python_memory(work: Callable[[], Any]) -> tuple[Any, int]:
    """What *work* returned and the peak of Python memory it allocated (tracemalloc)."""
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak
