"""Routing rules' rows: the versions of the rule set, and what routing does to the items of an intake chunk.

Schema step m025 (:func:`m025`): ``rule_sets`` is append-only, one row per version a lead applied (the text as
written, its file's name, its SHA-256, the queue ids its queue names meant when it was applied, who and when);
the current version is the highest id. ``items`` gains ``routed_rule`` and ``routed_version`` (the rule and
version that routed the item; NULL when none matched), ``routed_from_id``: the queue its manifest named, kept
when a rule moved it, so a re-import of the same manifest finds it (:func:`external_ids_in`) and its copies still
form a case with it, and ``received_severity``/``received_priority``: the values the item arrived with, kept when
a rule routed it, so a test of another rule set reads what the manifest said, not what an earlier version set.
Each write is one transaction with its event (``rules.applied``; ``items.routed`` per intake chunk, inside the
import's own).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlite_utils

from review.store.bound import marks, slices
from review.store.connection import executemany
from review.store.queue_admin import _ranges  # the compact id spans its move events use

if TYPE_CHECKING:
    from review.store import Store


APPLIED = "rules.applied"
ROUTED = "items.routed"
STALE = "rules.stale"  # a chunk's rules whose decision the taxonomy no longer allows


def m025(db: sqlite_utils.Database) -> None:
    """The schema step: ``rule_sets`` (append-only) and the routing columns of ``items``."""
    from review.store.schema import _append_only, refuse_replace  # the schema's own guards, as every table has

    db.executescript(
        """
        CREATE TABLE rule_sets (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            source TEXT NOT NULL,
            text_sha256 TEXT NOT NULL,
            queue_ids TEXT NOT NULL DEFAULT '{}',
            rules INTEGER NOT NULL CHECK (rules >= 0),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        ALTER TABLE items ADD COLUMN routed_rule TEXT;
        ALTER TABLE items ADD COLUMN routed_version INTEGER;
        ALTER TABLE items ADD COLUMN routed_from_id INTEGER REFERENCES queues(id);
        ALTER TABLE items ADD COLUMN received_severity TEXT;
        ALTER TABLE items ADD COLUMN received_priority INTEGER;
        CREATE INDEX items_routed_from ON items (routed_from_id, external_id);
        """
    )
    _append_only(db, "rule_sets")
    refuse_replace(db, "rule_sets")


@dataclass(frozen=True)
class StoredRuleSet:
    """One version of the rule set as a lead applied it; ``queue_ids``: each queue name the rules use → its id then."""

    version: int
    text: str
    source: str
    text_sha256: str
    queue_ids: Mapping[str, int]
    rules: int
    created_by: str
    created_at: str


_COLUMNS = "id, text, source, text_sha256, queue_ids, rules, created_by, created_at"


def _stored(row: Sequence[Any]) -> StoredRuleSet:
    return StoredRuleSet(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7])


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current(store: Store) -> StoredRuleSet | None:
    """The newest version, or None when no lead has applied one (one primary-key read)."""
    row = store.db.execute(f"SELECT {_COLUMNS} FROM rule_sets ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else _stored(row)


def version(store: Store, number: int) -> StoredRuleSet | None:
    row = store.db.execute(f"SELECT {_COLUMNS} FROM rule_sets WHERE id = ?", [number]).fetchone()
    return None if row is None else _stored(row)


def versions(store: Store) -> list[StoredRuleSet]:
    """Every version, newest first (texts are small: a rule set is a file a person writes)."""
    return [_stored(r) for r in store.db.execute(f"SELECT {_COLUMNS} FROM rule_sets ORDER BY id DESC")]


def add_version(store: Store, actor: str, text: str, source: str, rules: int,
                queue_ids: Callable[[], Mapping[str, int]]) -> int:
    """Store *text* as the next version, with its ``rules.applied`` event (old and new digest); its number.

    *queue_ids* runs first inside the transaction: it checks the lead's role and the queues the text names again
    under the write lock (so a queue merged a moment ago refuses the version instead of storing it) and returns
    each queue name's id, kept with the version.
    """
    with store.transaction():
        ids = queue_ids()
        before = current(store)
        (number,) = store.db.execute(
            "INSERT INTO rule_sets (text, source, text_sha256, queue_ids, rules, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [text, source, digest(text), json.dumps(dict(ids), sort_keys=True), rules, actor, store.now()],
        ).fetchone()
        store.log(actor, APPLIED, f"rules:v{number}", {
            "version": number, "source": source, "rules": rules, "sha256": digest(text),
            "old_version": before.version if before else None, "old_sha256": before.text_sha256 if before else None})
    return int(number)


# ------------------------------------------------------------------ items
class ItemFacts(NamedTuple):
    """What a rule reads of an item: its row's columns and metadata (JSON text, decoded by the caller); a tuple, as
    a chunk holds thousands."""

    id: int
    queue_id: int
    external_id: str
    kind: str
    severity: str | None
    metadata: str
    received_at: str
    priority: int
    case_of: int | None  # the case's lead item, for a report that joined a case (None for the lead and the rest)
    state: str


def chunk_items(store: Store, item_ids: Sequence[int]) -> list[ItemFacts]:
    """The facts of *item_ids* (a chunk just written, ids ascending): one range read, filtered here."""
    if not item_ids:
        return []
    wanted = set(item_ids)
    rows = store.db.execute(
        "SELECT id, queue_id, external_id, kind, severity, metadata, received_at, priority, case_of, state FROM items"
        " WHERE id BETWEEN ? AND ? ORDER BY id", [min(item_ids), max(item_ids)])
    return [ItemFacts._make(row) for row in rows if row[0] in wanted]


class Lead(NamedTuple):
    """Where an earlier chunk's case lead is now, and the rule and version that routed it (None: none did)."""

    queue_id: int
    rule: str | None
    version: int | None


def leads(store: Store, lead_ids: Iterable[int]) -> dict[int, Lead]:
    """The current queue and route of each of *lead_ids* (cases' lead items that arrived in earlier chunks)."""
    wanted = sorted(set(lead_ids))
    found: dict[int, Lead] = {}
    for chunk in slices(wanted):
        found.update((r[0], Lead(*r[1:])) for r in store.db.execute(
            f"SELECT id, queue_id, routed_rule, routed_version FROM items WHERE id IN ({marks(chunk)})",
            chunk))
    return found


#: An item as it arrived: its manifest's queue, severity and priority, whatever a rule changed since.
_AS_RECEIVED = """i.id, COALESCE(i.routed_from_id, i.queue_id), i.external_id, i.kind,
                  CASE WHEN i.routed_version IS NULL THEN i.severity ELSE i.received_severity END, i.metadata,
                  i.received_at, CASE WHEN i.routed_version IS NULL THEN i.priority ELSE i.received_priority END,
                  i.case_of, i.state"""
#: Items that arrived in a review queue (the only ones rules route).
_ARRIVED_FOR_REVIEW = "JOIN queues a ON a.id = COALESCE(i.routed_from_id, i.queue_id) AND a.kind = 'review'"


def items_received(store: Store, since: str, *, after_id: int, limit: int) -> list[tuple[ItemFacts, str | None]]:
    """A page of the items received in a review queue since *since* with ids above *after_id*, as they arrived:
    (facts, current human action). Each item's ``queue_id``, ``severity`` and ``priority`` are those its manifest
    gave it, before any rule moved or changed it; ``case_of`` its case's lead (None for a lead and an item in no
    case).

    The current human action is the item's latest decision that no row revoked and no automation made (a
    person's, or a case's decision applied to its reports); None when it has none. Paged by id so a test over
    a year of items holds one page at a time.
    """
    rows = store.db.execute(
        f"""SELECT {_AS_RECEIVED},
                  (SELECT d.action FROM decisions d WHERE d.id = (
                      SELECT MAX(c.id) FROM decisions c WHERE c.item_id = i.id AND c.revokes_id IS NULL
                        AND c.source IS DISTINCT FROM 'automation'
                        AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = c.id)))
           FROM items i {_ARRIVED_FOR_REVIEW} WHERE i.received_at >= ? AND i.id > ? ORDER BY i.id LIMIT ?""",
        [since, after_id, limit])
    return [(ItemFacts._make(row[:10]), row[10]) for row in rows]


def items_as_received(store: Store, item_ids: Iterable[int]) -> dict[int, ItemFacts]:
    """*item_ids* as they arrived (see :func:`items_received`), by id: the case leads a test page's reports follow."""
    wanted = sorted(set(item_ids))
    found: dict[int, ItemFacts] = {}
    for chunk in slices(wanted):
        found.update((r[0], ItemFacts._make(r)) for r in store.db.execute(
            f"SELECT {_AS_RECEIVED} FROM items i WHERE i.id IN ({marks(chunk)})", chunk))
    return found


def count_received(store: Store, since: str) -> int:
    """How many items :func:`items_received` will page through."""
    (count,) = store.db.execute(f"SELECT COUNT(*) FROM items i {_ARRIVED_FOR_REVIEW} WHERE i.received_at >= ?",
                                [since]).fetchone()
    return int(count)


def list_names(store: Store) -> frozenset[str]:
    """The hash lists' names (a rule's ``list`` condition names them)."""
    return frozenset(r[0] for r in store.db.execute("SELECT name FROM hash_lists"))


class QueueRow(NamedTuple):
    name: str
    kind: str
    sla_seconds: int
    merged_into_id: int | None


def queue_rows(store: Store) -> dict[int, QueueRow]:
    """Every queue by id: what routing and checking need of it."""
    return {r[0]: QueueRow(*r[1:]) for r in store.db.execute(
        "SELECT id, name, kind, sla_seconds, merged_into_id FROM queues")}


def taken_ids(store: Store, queue_id: int, external_ids: Iterable[str]) -> set[str]:
    """Which of *external_ids* queue *queue_id* already holds (a routed item must not meet its twin there)."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    for chunk in slices(wanted):
        found.update(r[0] for r in store.db.execute(
            f"SELECT external_id FROM items WHERE queue_id = ? AND external_id IN ({marks(chunk)})",
            [queue_id, *chunk]))
    return found


@dataclass(frozen=True)
class Routed:
    """What routing does to one item: the rule and version, and each column it changes (None: left as it is).

    The item's severity and priority as it arrived (``received``) are kept beside them."""

    item_id: int
    rule: str | None  # None: a case's report following a lead no rule routed (moved by hand)
    version: int | None
    received: tuple[str | None, int]  # (severity, priority) as the manifest gave them
    move: tuple[int, str, int] | None = None  # (queue id, due time, the queue it leaves)
    priority: int | None = None
    severity: str | None = None


def write_routes(store: Store, actor: str, version: int, routed: Sequence[Routed], payload: dict[str, Any]) -> None:
    """Inside the intake's transaction: the routed items' rows, one batch per set of columns changed (a column
    left out is one the triggers on items need not recount), and the chunk's ``items.routed``."""
    shapes: dict[tuple[bool, bool, bool], list[list[Any]]] = {}
    for r in routed:
        values: list[Any] = [r.rule, r.version, *r.received, *(r.move or ()),
                             *([r.priority] if r.priority is not None else []),
                             *([r.severity] if r.severity is not None else []), r.item_id]
        shapes.setdefault((r.move is not None, r.priority is not None, r.severity is not None), []).append(values)
    for (moves, priority, severity), rows in shapes.items():
        sets = ["routed_rule = ?", "routed_version = ?", "received_severity = ?", "received_priority = ?",
                *(["queue_id = ?", "due_at = ?", "routed_from_id = ?"] if moves else []),
                *(["priority = ?"] if priority else []), *(["severity = ?"] if severity else [])]
        executemany(store.db, f"UPDATE items SET {', '.join(sets)} WHERE id = ?", rows)
    store.log(actor, ROUTED, f"rules:v{version}", {**payload, "items": _ranges([r.item_id for r in routed])})


def log_stale(store: Store, actor: str, version: int, stale: Mapping[str, str]) -> None:
    """One ``rules.stale`` event for a chunk: the rules of *version* that decided and suggested nothing, and why."""
    store.log(actor, STALE, f"rules:v{version}", {"version": version, "rules": dict(stale)})


def external_ids_in(store: Store, queue_id: int, external_ids: Iterable[str]) -> set[str]:
    """Which of *external_ids* arrived in the queue (whether a routing rule moved them away since or not): a
    re-import of its manifest adds nothing. An item a rule moved here from another queue is not the queue's own
    (:func:`routed_here`)."""
    wanted = list(dict.fromkeys(external_ids))
    found: set[str] = set()
    for chunk in slices(wanted):
        listed = marks(chunk)
        found.update(r[0] for r in store.db.execute(
            f"SELECT external_id FROM items WHERE queue_id = ? AND routed_from_id IS NULL AND external_id IN ({listed})"
            f" UNION SELECT external_id FROM items WHERE routed_from_id = ? AND external_id IN ({listed})",
            [queue_id, *chunk, queue_id, *chunk]))
    return found


class RoutedHere(NamedTuple):
    """An item a rule moved into a queue that a new row of the queue's own names by the same external id."""

    external_id: str
    item_id: int
    came_from: str  # the queue it arrived in
    rule: str | None
    version: int | None


def routed_here(store: Store, queue_id: int, external_ids: Iterable[str]) -> dict[str, RoutedHere]:
    """Which of *external_ids* queue *queue_id* holds only because a routing rule moved them there from another
    queue, by external id (the queue cannot take its own report of that id: one id per queue)."""
    wanted = list(dict.fromkeys(external_ids))
    found: dict[str, RoutedHere] = {}
    for chunk in slices(wanted):
        found.update((r[0], RoutedHere(*r)) for r in store.db.execute(
            "SELECT i.external_id, i.id, q.name, i.routed_rule, i.routed_version FROM items i"
            " JOIN queues q ON q.id = i.routed_from_id WHERE i.queue_id = ? AND i.routed_from_id IS NOT NULL"
            f" AND i.routed_from_id <> i.queue_id AND i.external_id IN ({marks(chunk)})",
            [queue_id, *chunk]))
    return found


# ------------------------------------------------------------------ verify
def rule_set_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Versions without their ``rules.applied`` event or unlike it, and events whose version is not stored."""
    if not db["rule_sets"].exists():
        return
    events: dict[int, tuple[int, str, dict[str, Any]]] = {}
    for event_id, actor, text in db.execute(
            "SELECT id, actor, payload FROM events WHERE kind = ? AND json_valid(payload) ORDER BY id", [APPLIED]):
        payload = json.loads(text)
        if isinstance(payload.get("version"), int):
            events[payload["version"]] = (event_id, actor, payload)
    for number, sha, by, rules in db.execute(
            "SELECT id, text_sha256, created_by, rules FROM rule_sets ORDER BY id"):
        found = events.pop(number, None)
        if found is None:
            yield f"rule set version {number} has no {APPLIED} event: it was stored behind Veil's back"
        elif (found[1], found[2].get("sha256"), found[2].get("rules")) != (by, sha, rules):
            yield f"rule set version {number} disagrees with its event {found[0]} ({APPLIED})"
    for number, (event_id, _, _) in sorted(events.items()):
        yield f"event {event_id} ({APPLIED}) stored rule set version {number}, which is no longer in the store"
