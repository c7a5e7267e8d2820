"""What history rows (past decisions, past QA audits) share beyond fields: finding items and decisions, users.

History rows bring a team's past from another tool: decision rows
(:mod:`review.imports.decision_rows`) and, through ``audit.past_audits``,
audit rows. Besides their field checks (:mod:`review.imports.history_fields`)
they share finding the item a row names (in the
store or among the manifest's item rows, :func:`place`), finding the
decision an audit row scores (:func:`scored_decision`) and the user
planning (users a row names are created with the role it implies; an
existing user lacking it gets it added). ``audit.past_audits`` builds on
them, never the other way round; their SQL is :mod:`review.store.imports`.

Memory does not grow with the history rows: each is kept in the import's
scratch file as it is checked (:func:`keep`), resolved a chunk at a time,
and what matching needs across chunks (the first line of a decision or an
audit, the decisions an audit may score) is indexed there, not in dicts;
the rows to write wait there too (:class:`Pending`) and are written a chunk
at a time inside the import's one transaction. A 200,000-decision history
used to peak at 628 MB and take 1,119 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from review.auth import require
from review.clock import parse
from review.errors import StoreError
from review.imports.handlers import ImportRun
from review.store import Store
from review.store import imports as import_store
from review.store.imports import Scratch
from review.store.schema import ROLES

#: Where the users history rows need are planned, in ``ctx.state``.
STATE_KEY = "history"


# ------------------------------------------------------------------- items
@dataclass
class ItemRef:
    """The item a history row is about: in the store (``item_id``) or an item row of this file."""

    queue: str
    external_id: str
    item_id: int | None  # None until the file's item rows are written (then filled in)
    line: int | None = None  # the item row of this file naming it, if any

    def fields(self) -> tuple[str, str, int | None, int | None]:
        """As kept in the scratch file (``ItemRef(*fields)`` again)."""
        return (self.queue, self.external_id, self.item_id, self.line)

    def __str__(self) -> str:
        return f"{self.external_id!r} in queue {self.queue!r}"


class ItemIndex:
    """Finds the items a chunk of history rows name, among the store's items and the manifest's item rows.

    Made for one chunk (:func:`place`), so what it holds never grows with
    the file. The store is read in bulk: by queue where a row names one
    (indexed), by id across queues where it does not; the manifest's item
    rows are looked up by id in the import's scratch file.
    """

    def __init__(self, run: ImportRun, wanted: Iterable[tuple[str, str | None]]):
        """Look up the (external id, queue or None) pairs the chunk's rows name."""
        self.run = run
        self.in_store: dict[str, dict[str, int]] = {}  # external id -> {queue: item id}
        self.in_file: dict[str, dict[str, int]] = {}  # external id -> {queue: line}
        by_queue: dict[str, set[str]] = {}
        anywhere: set[str] = set()
        for ext, queue in wanted:
            if queue is None:
                anywhere.add(ext)
            else:
                by_queue.setdefault(queue, set()).add(ext)
        for ext, filed_in, line in run.ctx.seen.lines_of(anywhere.union(*by_queue.values())):
            self.in_file.setdefault(ext, {})[filed_in] = line
        store = run.store
        queue_ids = {q.name: q.id for q in store.queues()}
        for queue, ids in by_queue.items():
            if queue in queue_ids:
                for ext, item_id in import_store.item_ids_in_queue(store, queue_ids[queue], ids).items():
                    self.in_store.setdefault(ext, {})[queue] = item_id
        for item_id, ext, queue in import_store.items_in_any_queue(store, anywhere):
            self.in_store.setdefault(ext, {})[queue] = item_id

    def find(self, ext: str, queue: str | None) -> tuple[ItemRef | None, str | None]:
        """(the item, None) or (None, why it cannot be used)."""
        stored = self.in_store.get(ext, {})
        filed = self.in_file.get(ext, {})
        if queue is None:
            queues = sorted(set(stored) | set(filed))
            if not queues:
                return None, f"no item {ext!r} (neither in the store nor an item row of this file)"
            if len(queues) > 1:
                return None, f"item {ext!r} is in several queues ({', '.join(queues)}): add \"queue\" to say which"
            queue = queues[0]
        if queue in stored:
            return ItemRef(queue, ext, stored[queue], filed.get(queue)), None
        line = filed.get(queue)
        if line is None:
            return None, f"no item {ext!r} in queue {queue!r} (neither in the store nor an item row of this file)"
        if self.run.rejected(line):
            return None, f"item {ext!r} in queue {queue!r} is not imported: its row (line {line}) has problems"
        return ItemRef(queue, ext, None, line), None


class HistoryRecord(Protocol):
    """What decision and audit records share: their line, the row as read, and the item they name."""

    line: int
    row: dict[str, Any]
    external_id: str
    queue: str | None
    item: ItemRef | None


R = TypeVar("R", bound=HistoryRecord)


def place(run: ImportRun, records: list[R]) -> list[tuple[R, ItemRef]]:
    """Each record of a chunk with the item it names (set on ``record.item``); the others are rejected."""
    items = ItemIndex(run, ((r.external_id, r.queue) for r in records))
    placed: list[tuple[R, ItemRef]] = []
    for record in records:
        item, reason = items.find(record.external_id, record.queue)
        record.item = item
        if reason or item is None:
            run.reject(record.line, reason or "the item was not found", record.row)
        else:
            placed.append((record, item))
    return placed


def fill_item_ids(store: Store, refs: Iterable[ItemRef]) -> None:
    """Set the ids of items written by this import (inside its transaction, after the item rows)."""
    missing: dict[str, list[ItemRef]] = {}
    for ref in refs:
        if ref.item_id is None:
            missing.setdefault(ref.queue, []).append(ref)
    for queue, waiting in missing.items():
        found = import_store.item_ids_in_queue_named(store, queue, {ref.external_id for ref in waiting})
        for ref in waiting:
            if ref.external_id not in found:
                raise StoreError(f"item {ref.external_id!r} in queue {queue!r} was not written")
            ref.item_id = found[ref.external_id]


# ------------------------------------------------------------ rows kept
class Keeps(Protocol):
    """A history record that can be kept in the scratch file: its line and its fields (JSON values)."""

    line: int

    def fields(self) -> tuple[Any, ...]: ...


def keep(run: ImportRun, kind: str, record: Keeps) -> None:
    """A checked history record, into the import's scratch file until it is resolved (not into memory)."""
    run.ctx.seen.keep_history(kind, record.line, record.fields())


T = TypeVar("T")


@dataclass(frozen=True)
class Pending(Generic[T]):
    """The resolved history rows of one type to write: how many, who they name, and (in chunks) the records."""

    scratch: Scratch
    kind: str
    count: int
    decode: Callable[[int, Any], T]  # (line, fields as kept) -> record

    def __len__(self) -> int:
        return self.count

    def names(self) -> list[str]:
        """The users the rows name (moderators, auditors), in the order they first appear."""
        return self.scratch.names_to_write(self.kind)

    def chunks(self) -> Iterator[list[T]]:
        for chunk in self.scratch.writing(self.kind):
            yield [self.decode(line, fields) for line, fields in chunk]


def pending(run: ImportRun, kind: str, decode: Callable[[int, Any], T]) -> Pending[T]:
    """The rows of type *kind* that resolving kept to write (``Scratch.to_write``)."""
    return Pending(run.ctx.seen, kind, run.ctx.seen.count_to_write(kind), decode)


# --------------------------------------------------------------- decisions
@dataclass(frozen=True)
class KnownDecision:
    """A decision an audit row may score: stored before this import, or a decision row of this file."""

    known_id: int  # its row among the scratch file's known decisions (a decision is audited once)
    store_id: int | None  # the stored decision's id (None: a decision row of this file, until written)
    position: int  # 0 = in the store before this file; else the line of the file's row naming it
    decided_at: str

    def decision_id(self, scratch: Scratch) -> int | None:
        """The stored decision: the one it was, or the one its decision row became (once written)."""
        return self.store_id if self.store_id is not None else scratch.written_id(self.position)


def know_stored_decisions(run: ImportRun, items: Iterable[ItemRef]) -> dict[tuple[int, str, str, str], int]:
    """Note the stored decisions (not undo rows) of these items in the scratch file, read in bulk.

    Returns (item id, moderator, action, decided_at) -> the latest stored decision with these facts.
    """
    wanted = {ref.item_id: ref for ref in items if ref.item_id is not None}
    identity: dict[tuple[int, str, str, str], int] = {}
    known: list[tuple[str, str, str, int, bool, str]] = []
    for decision_id, item_id, moderator, action, decided_at, live in import_store.decisions_on(run.store, wanted):
        ref = wanted[item_id]
        known.append((ref.queue, ref.external_id, moderator, decision_id, live, decided_at))
        identity[(item_id, moderator, action, decided_at)] = decision_id
    run.ctx.seen.know_stored(known)
    return identity


def stored_identities(store: Store, item_ids: Iterable[int]) -> dict[tuple[int, str, str, str], int]:
    """(item id, moderator, action, decided_at) -> the latest stored decision with these facts, for these items."""
    return {(item_id, moderator, action, decided_at): decision_id for decision_id, item_id, moderator, action,
            decided_at, _ in import_store.decisions_on(store, item_ids)}


def scored_decision(run: ImportRun, item: ItemRef, moderator: str, line: int) -> KnownDecision | None:
    """The decision an audit row on *line* scores: the moderator's latest live decision on the item as of that line.

    Stored decisions count as before the file, except those a decision row
    of the file names (already present), which count at that row's line, so
    a re-import resolves every audit row to the same decision as the first
    import did.
    """
    found = run.ctx.seen.latest_known(item.queue, item.external_id, moderator, line)
    return None if found is None else KnownDecision(*found)


def why_missing(run: ImportRun, item: ItemRef, moderator: str, line: int) -> str:
    """Why an audit row on *line* finds no decision, as helpfully as the file allows."""
    scratch = run.ctx.seen
    later = scratch.known_from(item.queue, item.external_id, moderator, line)
    if later is not None:
        return (f"the decision by {moderator!r} on item {item} is on line {later}: "
                "a decision row must come before the audit that scores it")
    for bad_line, raw in scratch.problem_rows("decision", item.external_id, before=line):
        if isinstance(raw, dict) and str(raw.get("moderator", "")).strip() == moderator:
            return f"the decision it scores (line {bad_line}) has problems"
    others = scratch.known_moderators(item.queue, item.external_id, line, but=moderator)
    decided_by = f" (it was decided by: {', '.join(others)})" if others else ""
    return (f"no decision by {moderator!r} on item {item} to audit{decided_by}: neither in the store "
            "nor a decision row earlier in this file")


# ------------------------------------------------------------------- users
class UserPlan:
    """Which users history rows need created, or need a role added to.

    *founder*: the importer who founds a store with nobody in it (already a lead by the time rows are written).
    """

    def __init__(self, store: Store, founder: str | None = None):
        self.roles = {u.name: set(u.roles) for u in store.users()}
        if founder is not None:
            self.roles.setdefault(founder, {"lead"})
        self.created: dict[str, list[str]] = {}
        self.added: dict[str, list[str]] = {}

    def need(self, name: str, role: str) -> None:
        if name not in self.roles:
            roles = self.created.setdefault(name, [])
        elif role not in self.roles[name]:
            roles = self.added.setdefault(name, [])
        else:
            return
        if role not in roles:
            roles.append(role)


def ensure_role(store: Store, name: str, role: str, *, actor: str) -> str | None:
    """Create *name* with *role*, or add the role if missing; "created", "role added" or None.

    Called inside the import's transaction (the commit of a history handler); each change logs its event
    (``user.created`` / ``user.roles_changed``). Creating people and granting roles is a lead's: *actor*
    is checked here too, not only by the import that calls this (NotAllowed).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    require(store, actor, "lead", to="create people or grant roles")
    held = import_store.user_roles(store, name)
    if held is None:
        store.add_user(name, [role], actor=actor)
        return "created"
    if role in held:
        return None
    roles = [r for r in ROLES if r in held or r == role] + [r for r in held if r not in ROLES]
    import_store.change_roles(store, name, roles, added=role, actor=actor)
    return "role added"


# ------------------------------------------------------------------- state
def user_plan(run: ImportRun) -> UserPlan:
    """The users this import's history rows need (``ctx.state[STATE_KEY]``), made on first use."""
    found = run.state.get(STATE_KEY)
    if found is None:
        found = run.state[STATE_KEY] = UserPlan(run.store, run.result.founder)
    return found


def plan_users(run: ImportRun, names: Iterable[str], role: str) -> None:
    """Note the users (with *role*) these records need on the result (``users_created``, ``roles_added``)."""
    plan = user_plan(run)
    for name in names:
        plan.need(name, role)
    run.result.users_created = plan.created
    run.result.roles_added = plan.added


def before(a: str, b: str) -> bool:
    """Whether canonical time *a* is earlier than *b*."""
    return parse(a) < parse(b)
