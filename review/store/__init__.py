"""The review store: the connection, users, queues, items and settings, in a SQLite file or on a PostgreSQL server.

``Store`` is the door to the review tables for the rest of Veil. Each of
its public methods that writes is one transaction and appends its event, so
the log and the data can never disagree; ``store.transaction()`` lets a
desk make several store calls one change.

The SQL of the review domain lives in this package only, in the dialect
SQLite and PostgreSQL share, one module per kind of row: :mod:`.items`,
:mod:`.leases`, :mod:`.decisions`, :mod:`.queue_admin`, :mod:`.passphrases`,
:mod:`.activity` (dashboard counts), :mod:`.wellbeing`, :mod:`.people` (roles,
deactivation, queue limits), :mod:`.events` (the
hash-chained log), :mod:`.schema` (migrations) and :mod:`.connection`
(opening, transactions, and the driver's errors turned into Veil's).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import sqlite_utils

from review.clock import Clock, SystemClock, iso, normalise
from review.errors import StoreConflict, StoreUnavailable, VeilError
from review.store import events, names, probe, reads
from review.store.connection import (
    backup,
    connect,
    database_name,
    driver_errors,
    finish_stopped_write,
    in_transaction,
    is_url,
    missing_log,
    opening,
    say_if_others_can_read,
    shown_location,
    write_transaction,
)
from review.store.schema import QUEUE_KINDS
from review.store.schema import migrations as review_migrations
from review.store.steps import applied_migrations as applied_migrations  # the package's API (veil verify)
from review.store.steps import newer_schema, unknown_migrations

SYSTEM_ACTOR = "system"
#: The actors Veil itself writes into the log, which no account may be named (compared stripped and casefolded):
#: Veil's own changes, a failed sign-in (``review.auth.ANONYMOUS``), and the command line of older Veils.
#: A person called "system" could write the settings only Veil keeps, and pass their events off as Veil's.
RESERVED_NAMES = frozenset({SYSTEM_ACTOR, "anonymous", "cli", "automation"})  # automation: review.store.automation
log = logging.getLogger(__name__)


class ReservedName(VeilError, ValueError):
    """A new account would carry a name Veil writes as an actor of its own (:data:`RESERVED_NAMES`)."""


def reserved_name(name: str) -> str | None:
    """Why *name* cannot be a person's (a :class:`ReservedName` message), or None when it can."""
    if name.strip().casefold() not in RESERVED_NAMES:
        return None
    return (f"{name.strip()!r} is a name Veil keeps for itself in the event log "
            f"({', '.join(sorted(RESERVED_NAMES))}); a person needs another name")


class Refused(StoreConflict):
    """A guarded write found the rows not as it requires, and wrote nothing.

    ``reason`` names the guard that failed (``"held"``, ``"decided"`` …) and
    ``detail`` what the caller needs to say why (a holder's name, a queue's
    name); the domain turns it into its own error, in its own words.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class User:
    """A person as stored. ``active``: may sign in and be served (a lead deactivates, never deletes);
    ``queue_ids``: the queues a lead limited them to, empty for every queue their roles work;
    ``limit_unreadable``: the stored limit is not a list of ids (written with SQL), so they are served nothing."""

    id: int
    name: str
    display_name: str
    roles: tuple[str, ...]
    active: bool = True
    queue_ids: tuple[int, ...] = ()
    limit_unreadable: bool = False

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Queue:
    id: int
    name: str
    kind: str
    description: str
    priority: int
    sla_seconds: int
    paused: bool
    escalation_queue_id: int | None


@dataclass(frozen=True)
class QueueHealth:
    """What a newcomer needs to see about a queue at a glance."""

    queue: Queue
    waiting: int
    oldest_received_at: str | None
    breached: int  # waiting items already past their due time
    at_risk: int  # waiting items due within the next quarter of the SLA

    @property
    def sla_state(self) -> str:
        if self.breached:
            return "breached"
        if self.at_risk:
            return "at risk"
        return "ok"


class Store:
    """Open with :meth:`open`; close with :meth:`close` (or use ``with``).

    ``location`` names the store for people (a file's path, or a server's
    URL without its password), ``name`` in short (the file's or the
    database's name); ``path`` is the file, None for a server store, which
    has no file on this computer.
    """

    def __init__(self, db: sqlite_utils.Database, location: Path | str, clock: Clock):
        self.db = db
        self.path: Path | None = None if is_url(location) else Path(location)
        self.url = str(location) if is_url(location) else None
        self.location = shown_location(location)
        self.name = self.path.name if self.path else database_name(self.location)
        self.clock = clock
        self._changed: set[str] = set()
        self._lock = threading.RLock()
        self.commits = 0  # transactions committed here (any thread): a busy write is retried only if none of it was
        #: Where this store's big derived indexes are saved to be mapped back (review.content_index), set by
        #: desktop.wiring, which knows the computer's folders; None: they are kept in memory only.
        self.index_folder: Path | None = None
        if self.url is not None:  # a store open at its current schema: its claims and decisions read the counter first
            from review.store import serving_changes  # it reads through this package's classes

            cast(Any, db).read_at_begin = serving_changes.COUNTER

    # ----------------------------------------------------------------- life
    @classmethod
    def open(
        cls,
        location: str | Path,
        *,
        clock: Clock | None = None,
        migration_sets: Sequence[sqlite_utils.Migrations] = (),
    ) -> Store:
        """Open the store (a file's path, or a ``postgresql://`` URL), upgrading its schema (after a backup) if needed.

        *migration_sets* are the other domains' migrations (``audit``), run
        after the review set because they may reference review tables.
        """
        if is_url(location):
            return cls._open_server(str(location), clock, [review_migrations, *migration_sets])
        path = Path(location)
        existed = path.exists() and path.stat().st_size > 0
        if existed and probe.left_mid_write(path):
            finish_stopped_write(path)
        if existed and not probe.is_veil_store(path):  # never add Veil's tables to another program's file
            raise StoreUnavailable(missing_log(path) or f"{path} is not a Veil store; Veil leaves other files "
                                   "unchanged")
        db = connect(path)
        if existed:
            say_if_others_can_read(path)
        sets = [review_migrations, *migration_sets]
        try:
            with opening(path):
                pending = [m.name for s in sets for m in s.pending(db)]
                unknown = unknown_migrations(db, sets)
            if unknown:
                raise StoreUnavailable(newer_schema(str(path), unknown))
            with driver_errors(f"{path} could not be upgraded"):
                if pending and existed and db["_sqlite_migrations"].exists():
                    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
                    backup(db, path.with_name(f"{path.name}.before-upgrade-{stamp}.bak"))
                for migration_set in sets:
                    migration_set.apply(db)
        except BaseException:
            db.close()
            raise
        return cls(db, path, clock or SystemClock())

    @classmethod
    def _open_server(cls, url: str, clock: Clock | None, sets: Sequence[sqlite_utils.Migrations]) -> Store:
        """A server store: the same steps in one transaction (:mod:`.server_schema`); nothing to back up first."""
        from review.store import server_schema

        db = connect(url)
        try:
            with driver_errors(f"{shown_location(url)} is not a Veil store"):
                server_schema.refuse_foreign(db)
            with driver_errors(f"{shown_location(url)} could not be upgraded"):
                server_schema.apply(db, sets)  # refuses a schema a newer Veil made, asked again under the lock
            with driver_errors(f"cannot read {shown_location(url)}"):
                server_schema.say_if_not_sorted_as_sqlite(db)
        except BaseException:
            db.close()
            raise
        return cls(db, url, clock or SystemClock())

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def second_connection(self) -> Store:
        """Another connection to the same store, for a background thread.

        A connection must not be shared across threads at once; a worker
        gets its own (writes still serialise through the file lock, or the
        server's write lock).
        """
        other = Store(connect(self.url or self.location), self.url or self.location, self.clock)
        other.index_folder = self.index_folder
        return other

    def now(self) -> str:
        return iso(self.clock.now())

    @property
    def media_root(self) -> Path | None:
        """The folder this store's media files live in, ``<store file>.media/`` (:mod:`.media_root`); a server
        store (issue 15) has none until team mode's phase 3 keeps media in the server."""
        from review.store.media_root import beside  # its own module: the layout and the SQL that moves names

        return None if self.path is None else beside(self.path)

    @contextlib.contextmanager
    def transaction(self, *, row_locked: bool = False) -> Iterator[sqlite_utils.Database]:
        """One write transaction; a second thread using this connection waits its turn.

        The writer connection serves the operations runner's writer and the wellbeing clock (GUI thread): the
        lock keeps them apart. *row_locked*: it locks the rows its guards check (:mod:`.server`; not SQLite).
        """
        with self._lock:
            outermost, server = not in_transaction(self.db), cast(Any, self.db)  # a ServerDatabase with a URL
            opened = server.transaction(row_locked=True) if row_locked and self.url else write_transaction(self.db)
            with driver_errors(), opened as db:
                yield db
            if outermost:
                self.commits += 1

    def mark_changed(self, *kinds: str) -> None:
        """Note that data of these kinds changed (for writes that append no event)."""
        self._changed.update(kinds)

    def take_changes(self) -> frozenset[str]:
        """The kinds of data changed since the last call: ``"queue"`` for ``queue.created`` …

        The operations runner calls it after each write and tells the pages,
        so they refresh when something they show changed instead of polling.
        """
        changed, self._changed = frozenset(self._changed), set()
        return changed

    def log(self, actor: str, kind: str, subject: str = "", payload: dict[str, Any] | None = None) -> int:
        """Append an event; must be called inside :meth:`transaction`."""
        self._changed.add(kind.split(".", 1)[0])
        return events.append(self.db, at=self.now(), actor=actor, kind=kind, subject=subject, payload=payload)

    # ---------------------------------------------------------------- users
    def add_user(
        self, name: str, roles: Iterable[str], display_name: str | None = None, *, actor: str = SYSTEM_ACTOR
    ) -> User:
        roles = names.checked_roles(roles)
        if not name.strip():
            raise ValueError("a user needs a name")
        if (why := reserved_name(name)) is not None:
            raise ReservedName(why)
        with self.transaction():
            names.check(self, name, display_name or name)  # under the write lock: no look-alike can slip in
            self.db.execute(
                "INSERT INTO users (name, display_name, roles, created_at) VALUES (?, ?, ?, ?)",
                [name, display_name or name, ",".join(roles), self.now()],
            )
            self.log(actor, "user.created", f"user:{name}", {"roles": list(roles)})
        return self.user(name)

    def add_first_lead(self, name: str) -> User:
        """Make *name* the lead of a truly empty store (the person founding it), in one transaction.

        :class:`Refused` ``"founded"`` when someone is already there (from then on only a lead adds
        people), ``"not_empty"`` when nobody is but queues, items or events are (``detail`` says which):
        such a store holds somebody's work, and whoever writes to it first must not become its lead.
        Checked under the write lock, so nothing can arrive between the check and the founding. The
        event names the founder as its own actor: there is nobody else it could name.
        """
        with self.transaction():
            held = self.holds()
            if "users" in held:
                raise Refused("founded", name)
            if held:
                raise Refused("not_empty", ", ".join(held))
            return self.add_user(name, ["lead"], actor=name)

    def holds(self) -> tuple[str, ...]:
        """Which of users, queues, items and events the store has any rows of (one EXISTS each: cheap at any size)."""
        return tuple(table for table in ("users", "queues", "items", "events")
                     if self.db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0])

    def user(self, name: str) -> User:
        return reads.run(self.db, user_read(name))

    def users(self) -> list[User]:
        """Everyone, deactivated people included (their history names them); ``User.active`` tells them apart."""
        return [_user(r) for r in self.db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]

    # --------------------------------------------------------------- queues
    def add_queue(
        self,
        name: str,
        kind: str = "review",
        *,
        description: str = "",
        priority: int = 0,
        sla_seconds: int = 86_400,
        escalation_queue: str | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> Queue:
        if kind not in QUEUE_KINDS:
            raise ValueError(f"queue kind must be one of {', '.join(QUEUE_KINDS)}")
        if not name.strip():
            raise ValueError("a queue needs a name")
        with self.transaction():
            escalation_id = self.queue(escalation_queue).id if escalation_queue else None
            if escalation_id is not None and self.db.execute(
                "SELECT 1 FROM queues WHERE id = ? AND merged_into_id IS NOT NULL", [escalation_id]
            ).fetchone():
                raise Refused("target_merged", str(escalation_queue))  # merged away since the caller checked
            self.db.execute(
                "INSERT INTO queues (name, kind, description, priority, sla_seconds, escalation_queue_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [name, kind, description, priority, sla_seconds, escalation_id, self.now()],
            )
            self.log(actor, "queue.created", f"queue:{name}",
                     {"kind": kind, "priority": priority, "sla_seconds": sla_seconds})
        return self.queue(name)

    def queue(self, name: str) -> Queue:
        row = self.db.execute(f"SELECT {_QUEUE_COLUMNS} FROM queues WHERE name = ?", [name]).fetchone()
        if row is None:
            raise KeyError(f"no queue named {name!r}")
        return _queue(row)

    def queue_by_id(self, queue_id: int) -> Queue:
        row = self.db.execute(f"SELECT {_QUEUE_COLUMNS} FROM queues WHERE id = ?", [queue_id]).fetchone()
        if row is None:
            raise KeyError(f"no queue with id {queue_id}")
        return _queue(row)

    def queues(self) -> list[Queue]:
        return [_queue(r) for r in self.db.execute(f"SELECT {_QUEUE_COLUMNS} FROM queues ORDER BY priority DESC, name")]

    def queue_health(self) -> list[QueueHealth]:
        """Waiting count, oldest item and SLA state of every queue (at risk: due within the next quarter of the
        SLA), from the counts the store keeps in each change's transaction (:func:`.queue_counts.queue_health`)."""
        from review.store import queue_counts  # imports this package's QueueHealth

        return queue_counts.queue_health(self)

    # ---------------------------------------------------------------- items
    def add_items(self, rows: Iterable[dict[str, Any]], *, actor: str = SYSTEM_ACTOR, source: str = "") -> int:
        """Insert item rows in one transaction; rows already present are skipped.

        Each row has ``external_id``, ``queue_id``, ``kind`` and ``received_at``
        and may have the other item columns; ``due_at`` defaults to received
        time plus the queue's SLA. Stored times are always canonical: "…08:00:00Z"
        would sort after "…08:00:00.500Z" as text and break due/breach comparisons.
        Returns how many rows were new. The insert is the importer's (``import_rows.insert_items``).
        """
        from review.store.import_rows import insert_items  # the importer's bulk writes import this package
        from review.store.item_indexes import author_of

        return insert_items(self, (((
            row["external_id"], row["kind"], row.get("media_path"), row.get("media_type"), row.get("text") or "",
            json.dumps(row.get("metadata") or {}, ensure_ascii=False), row.get("severity"),
            int(row.get("priority") or 0), row.get("content_sha256"), row.get("content_md5"), row.get("pdq"),
            row.get("pdq_quality"), normalise(row["received_at"]), author_of(row.get("metadata") or {})),
            row["queue_id"], normalise(row["due_at"]) if row.get("due_at") else None) for row in rows),
            actor=actor, source=source)

    def existing_external_ids(self, queue_id: int, external_ids: Iterable[str]) -> set[str]:
        """Which of *external_ids* the queue holds, or held until a routing rule moved them (re-imports add nothing)."""
        from review.store import rules  # beside the routing columns it reads

        return rules.external_ids_in(self, queue_id, external_ids)

    # ------------------------------------------------------------- settings
    def setting(self, key: str, default: Any = None, *, user_id: int = 0) -> Any:
        """A JSON setting: organisation-wide (user_id 0) or one user's."""
        return reads.run(self.db, setting_read(key, default, user_id=user_id))

    def set_setting(
        self, key: str, value: Any, *, user_id: int = 0, actor: str = SYSTEM_ACTOR, secret: bool = False
    ) -> None:
        """Store a setting and log its old and new value (neither, for a *secret* one)."""
        with self.transaction():
            old = self.setting(key, user_id=user_id)
            self.db.execute(
                "INSERT INTO settings (user_id, key, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [user_id, key, json.dumps(value), self.now()],
            )
            payload = {"secret": True} if secret else {"old": old, "value": value}
            self.log(actor, "setting.changed", f"setting:{user_id}:{key}", payload)


def setting_read(key: str, default: Any = None, *, user_id: int = 0) -> reads.Read[Any]:
    """:meth:`Store.setting` as a look-up that may share a round trip."""
    return reads.one("SELECT value FROM settings WHERE user_id = ? AND key = ?", [user_id, key],
                     lambda rows: json.loads(rows[0][0]) if rows else default)


def user_read(name: str) -> reads.Read[User]:
    """:meth:`Store.user` as a look-up that may share a round trip (KeyError when nobody has that name)."""
    def found(rows: list[Any]) -> User:
        if not rows:
            raise KeyError(f"no user named {name!r}")
        return _user(rows[0])

    return reads.one(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", [name], found)


_QUEUE_COLUMNS = "id, name, kind, description, priority, sla_seconds, paused, escalation_queue_id"
_USER_COLUMNS = "id, name, display_name, roles, active, queue_ids"


def _user(row: Sequence[Any]) -> User:
    queue_ids = read_queue_ids(row[5])
    if queue_ids is None:  # never a crash on a row written behind Veil's back: served nothing, logged, verify says it
        log.warning("cannot read the queue limit of user %r (%r): they are served nothing until a lead sets their "
                    "queues; veil verify names it", row[1], row[5])
    return User(row[0], row[1], row[2], tuple(r for r in row[3].split(",") if r), bool(row[4]),
                queue_ids or (), queue_ids is None)


def read_queue_ids(text: object) -> tuple[int, ...] | None:
    """The queue ids of a stored limit ("3,7"; "" for none), exactly as Veil writes them; None if it is not that."""
    if text == "":
        return ()
    parts = text.split(",") if isinstance(text, str) else [None]
    if not all(isinstance(p, str) and p.isascii() and p.isdigit() and str(int(p)) == p for p in parts):
        return None
    return tuple(int(p) for p in parts if p is not None)


def _queue(row: Sequence[Any]) -> Queue:
    return Queue(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7])
