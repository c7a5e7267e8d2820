"""Leases: claiming, renewing and giving back items, each one transaction, and who holds what until when.

Every lease row carries its **claim** (``claim_id``): the id of the
``item.claimed`` event that took it. Renewing, deciding and giving back
name the claim and act only while the row still carries it, so a window
whose item was escalated, decided, given back or taken again (after a
lapse, by anyone — the same person in another window too) acts on nothing.

**Roles are read under the write lock.** Who may work which kind of queue
is the serving layer's rule (``review.serving.WORKED_BY``, queue kind →
roles), handed in as *worked_by*; every write here re-reads the person's
row inside its transaction (:func:`kinds_worked_now`), so a role removed,
a deactivation or a narrower queue limit (``review.people``) made after
any check before the lock was taken stops the write.

**Row locks on a server.** These writes are the hot path of a site, so
their transactions are ``row_locked`` (:mod:`review.store.server`): they
run side by side, and each locks what its guards check. A claim takes its
candidate with ``FOR UPDATE SKIP LOCKED`` (another claim's candidate is
passed over, never waited for), writes the lease, then appends its event,
which names the lease's claim, with the commit (``events.append_deferred``);
every claim-holding write (renew, decide) first locks the item's row
(:func:`lock_item`) and only then reads its lease (:func:`hold`). The person's row, the
queues, limits and rosters are changed only by ordinary (exclusive)
transactions, which never run beside these, so reading them is enough. On
a file every writer takes its turn and nothing of this changes a thing.

Times are Veil's canonical UTC text (``review.clock.iso``), so "still live"
is a plain text comparison that the ``leases`` and ``items_serving``
indexes answer.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from review.clock import iso, ms_between
from review.errors import StoreBusy
from review.store import Refused, dialect, events, items, serving_changes
from review.store.connection import in_transaction
from review.store.replay import replayed

if TYPE_CHECKING:
    from review.store import Queue, Store, User

#: What a write that leases an item without a claim (an escalation taken, a decision undone) calls under its
#: lock: the serving layer's roster and rotation rules, raising where they keep the person off the queue.
Veto = Callable[["Queue", _dt.datetime], None]
#: How many candidates a server claim tries when each was leased by a claim that committed while it looked.
TAKE_TRIES = 10


# ------------------------------------------------------------------ writes
#: What a claim's transaction asks the serving layer under its lock: (the person as read there, the queues asked
#: for, a moment, every queue the person could work, what the connection keeps) -> the queues they may be served
#: from; it may raise (a break that runs).
ClaimScreen = Callable[["User", list["Queue"], _dt.datetime, list["Queue"], serving_changes.Kept], list["Queue"]]


def claim(
    store: Store,
    user: User,
    *,
    worked_by: Mapping[str, Collection[str]],
    names: Sequence[str] | None,
    passes: Sequence[bool],
    exclude: Sequence[int],
    lease_seconds: int,
    screen: ClaimScreen | None = None,
) -> tuple[int, Sequence[Any], int] | None:
    """Lease the next item to *user*, in one transaction; (item id, its row as ``items.item_row`` gives it, claim),
    or None when nothing waits.

    Every claim takes a new item: an item the user holds already (in
    another window) is not served again, nor a complaint against one of
    their own decisions. Everything it checks is read under the write lock
    and nothing before it, so a queue paused or a role removed a moment ago
    holds: Refused ``"unknown"`` for a name the store does not know,
    ``"inactive"`` for a person deactivated, ``"works_no_queue"`` if the
    user's roles work no kind of queue (see :func:`kinds_worked_now`),
    ``"queue_not_allowed"`` (detail: the queue) when *names* asks for a queue
    outside the user's queue limit; *names* and *passes* are as for
    :func:`serving_queues` and :func:`next_free`. *screen* (the serving
    layer's break, roster and rotation rules) narrows the queues under the
    same lock, given the person's row as read there and every queue they
    could work too (when *names* narrows them). The person's row, the
    queues and the limit come from what this connection keeps
    (:mod:`.serving_changes`), read again only once a change to them was
    counted.

    On a server the candidate is locked ``SKIP LOCKED``; one a claim that
    committed while this one looked had leased already is found taken, and
    the claim looks again (:data:`TAKE_TRIES` times, then ``StoreBusy``).
    """
    def attempt() -> tuple[int, Callable[[], Sequence[Any] | None], dialect.Deferred] | None:
        now_dt = store.clock.now()
        now, expires = iso(now_dt), iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        kept = serving_changes.kept(store, nested=nested)  # the rows below as read under this lock, or kept since
        current, kinds = _worker(store, user, worked_by, kept)
        allowed = kept.allowed_ids(store, current)
        listed = kept.all_queues(store)
        queues = serving_queues(store, kinds, names, allowed, listed=listed)
        if screen is not None:
            every = queues if names is None else serving_queues(store, kinds, None, allowed, listed=listed)
            queues = screen(current, queues, now_dt, every, kept)
        found = next_free(store, queues, now, exclude, passes, lock=True, not_against=current.id)
        if found is None:
            return None
        if store.db.execute(_TAKE, {"item": found, "user": current.id, "now": now, "expires": expires}
                            ).fetchone() is None:
            raise Refused("taken")
        store.mark_changed("item")  # what store.log says of the event appended here
        row = items.item_row_deferred(store, found)  # before the chain's lock: read outside what every desk waits for
        return found, row, events.append_deferred(store.db, _NAMED, {"item": found}, at=now, actor=user.name,
                                             kind="item.claimed", subject=f"item:{found}",
                                             payload={"expires_at": expires})

    nested = in_transaction(store.db)
    for _ in range(TAKE_TRIES):
        try:
            taken = replayed(store, attempt, row_locked=True)
            if taken is None:
                return None
            item_id, row, named = taken
            return item_id, cast(Sequence[Any], row()), int(named.first()[0])  # both sent by now
        except Refused as refused:
            if refused.reason != "taken":
                raise
            if not dialect.is_server(store.db):
                return None
    raise StoreBusy("every item this claim found was taken by other claims meanwhile; try again")


def renew(
    store: Store, user: User, item_id: int, *, claim: int, worked_by: Mapping[str, Collection[str]], lease_seconds: int
) -> str:
    """Extend the lease of *claim*, in one transaction; the new expiry.

    Refused as :func:`hold` says. Within a live lease nothing is logged (a
    renewal comes every minute an item is open); a lapsed one is resumed
    with its event.
    """
    def attempt() -> str:
        now_dt = store.clock.now()
        now, expires = iso(now_dt), iso(now_dt + _dt.timedelta(seconds=lease_seconds))
        hold(store, user, item_id, claim=claim, worked_by=worked_by, now=now,
             kept=serving_changes.kept(store, nested=nested))
        store.db.execute("UPDATE leases SET expires_at = ? WHERE item_id = ? AND claim_id = ?",
                         [expires, item_id, claim])
        return expires

    nested = in_transaction(store.db)
    return replayed(store, attempt, row_locked=True)


def release(store: Store, user: User, item_id: int, *, claim: int, reason: str) -> bool:
    """Give the item back to its queue if *claim* still holds it, with its event; True if it did.

    A claim that ended meanwhile (decided, escalated, given back, taken
    again) gives back nothing and logs nothing.
    """
    def attempt() -> bool:
        if not give_back(store, item_id, user.id, claim):  # the DELETE locks the lease row it finds
            return False
        store.log(user.name, "item.released", f"item:{item_id}", {"reason": reason, "claim": claim})
        return True

    return replayed(store, attempt, row_locked=True)


@dataclass(frozen=True)
class Held:
    """What :func:`hold` found: the item's queue, its case (None: in none), whether the item is a complaint."""

    queue: Queue
    case_id: int | None
    complaint: bool


#: The item's queue, state and case, its lease, and whether it is a complaint: one read.
_HELD = ("SELECT i.queue_id, i.state, i.case_id, l.claim_id, l.user_id, l.expires_at,"
         " CASE WHEN EXISTS (SELECT 1 FROM complaints c WHERE c.item_id = i.id) THEN 1 ELSE 0 END"
         " FROM items i LEFT JOIN leases l ON l.item_id = i.id WHERE i.id = ?")


def hold(
    store: Store, user: User, item_id: int, *, claim: int, worked_by: Mapping[str, Collection[str]], now: str,
    kept: serving_changes.Kept,
) -> Held:
    """Check, inside the caller's transaction, that *claim* still holds the item for *user*; what it found.

    First the person: Refused ``"unknown"`` for a name the store does not
    know, ``"inactive"`` if the user was deactivated, ``"works_no_queue"``
    if their roles work no kind of queue. Then the item: ``"held"``
    (detail: the holder's name) if someone else holds a live lease on it;
    ``"other_window"`` if the user holds it under another claim;
    ``"not_held"`` if no lease carries the claim any more (the item was
    decided, escalated or given back, or taken again after a lapse);
    ``"decided"`` if the item is not pending; ``"queue_kind"`` (detail: the queue's name) if it sits in a queue of a
    kind the user may not work now (their roles re-read here, against
    *worked_by*); ``"queue_not_allowed"`` (detail: the queue's name) if it
    sits outside their queue limit. A lapsed lease that still carries the
    claim — nobody took the item since — is the user's again: an
    ``item.lease_resumed`` event says how long it had lapsed.

    The item, its lease and whether it is a complaint are one read; the
    person and the queue come from what the connection keeps (*kept*, read
    under this lock: :mod:`.serving_changes`). On a server the item's row is
    locked first, in a statement of its own (:func:`lock_item`): a read
    that waited for the lock within one statement would see the lease as it
    was before the wait. Both go in one round trip (a pipeline runs them in
    turn, and the read takes its snapshot once the lock is granted). So what
    is read here stays so until the caller's transaction ends.
    """
    current, kinds = _worker(store, user, worked_by, kept)
    if dialect.is_server(store.db):
        _, held = dialect.rows_together(store.db, [(_LOCK_ITEM, [item_id]), (_HELD, [item_id])])
        row = held[0] if held else None
    else:
        row = store.db.execute(_HELD, [item_id]).fetchone()
    if row is None or row[3] != claim or row[4] != user.id:
        if row is not None and row[3] is not None and row[5] > now:
            if row[4] == user.id:
                raise Refused("other_window")
            holder = live_holder(store, item_id, now)  # the refusal names who holds it
            raise Refused("held", holder[1] if holder is not None else "someone")
        raise Refused("not_held")
    if row[1] != "pending":
        raise Refused("decided")
    queue = kept.queue_by_id(store, row[0])
    if queue.kind not in kinds:
        raise Refused("queue_kind", queue.name)
    allowed = kept.allowed_ids(store, current)
    if allowed is not None and queue.id not in allowed:
        raise Refused("queue_not_allowed", queue.name)
    if row[5] <= now:
        store.log(user.name, "item.lease_resumed", f"item:{item_id}",
                  {"claim": claim, "lapsed_ms": ms_between(row[5], now)})
    return Held(queue, row[2], bool(row[6]))


# ----------------------------------------------------------------- reading
def _worker(store: Store, user: User, worked_by: Mapping[str, Collection[str]],
            kept: serving_changes.Kept) -> tuple[User, set[str]]:
    """The person as read under this lock (*kept*) and the kinds of queue they work; Refused ``"unknown"`` for a
    name the store does not know, ``"inactive"`` for a person deactivated, ``"works_no_queue"`` when their roles
    work no kind of queue."""
    try:
        current = kept.user(store, user.name)
    except KeyError:
        raise Refused("unknown", user.name) from None
    if not current.active:
        raise Refused("inactive", user.name)
    kinds = worked_kinds(current, worked_by)
    if not kinds:
        raise Refused("works_no_queue")
    return current, kinds


def worked_kinds(user: User, worked_by: Mapping[str, Collection[str]]) -> set[str]:
    """The kinds of queue *user* works by the roles on this row: those *worked_by* gives to one of them."""
    return {kind for kind, roles in worked_by.items() if any(user.has(role) for role in roles)}


def kinds_worked_now(store: Store, user: User, worked_by: Mapping[str, Collection[str]]) -> set[str]:
    """The kinds of queue *user* works now: their row re-read, inside the caller's transaction.

    A role removed since the caller last read the user's row (a check made
    before the write lock was taken) counts; a deactivated person works none.
    """
    current = store.user(user.name)
    return worked_kinds(current, worked_by) if current.active else set()


def serving_queues(store: Store, kinds: Collection[str], names: Sequence[str] | None = None,
                   allowed: Collection[int] | None = None, *, listed: Sequence[Queue] | None = None) -> list[Queue]:
    """Unpaused queues of these *kinds*, within *allowed* (queue ids; None: any), only the *names* given if any.

    Refused ``"queue_not_allowed"`` (detail: its name) when *names* holds a
    queue of these kinds outside *allowed*: asking for it by name is not
    the same as having nothing to do. *listed*: every queue, as the caller
    read it already (None: read now).
    """
    queues = [q for q in (store.queues() if listed is None else listed) if not q.paused and q.kind in kinds]
    if names:
        wanted = set(names)
        queues = [q for q in queues if q.name in wanted]
    if allowed is not None:
        refused = [q.name for q in queues if q.id not in allowed]
        if names and refused:
            raise Refused("queue_not_allowed", refused[0])
        queues = [q for q in queues if q.id in allowed]
    return queues


def next_free(
    store: Store, queues: Sequence[Queue], now: str, exclude: Sequence[int], passes: Sequence[bool], *,
    lock: bool = False, not_against: int | None = None,
) -> int | None:
    """The id of the item a claim takes next from *queues*, or None.

    Order: queue priority, then item priority, then due time, then arrival.
    *passes* are tried in turn until one finds an item: ``True`` serves any
    item, ``False`` passes over severe ones (the wellbeing rule). Queue
    priority comes first, so the queues are asked a priority at a time,
    highest first, and the first priority with a candidate holds the item:
    one statement (:func:`best_unleased`) per priority asked, most often one
    per claim. *lock* (a claim's transaction) and *not_against*: see :func:`best_unleased`.
    """
    by_priority = [[q.id for q in same] for _, same in
                   itertools.groupby(sorted(queues, key=lambda q: -q.priority), key=lambda q: q.priority)]
    for severe in passes:
        for queue_ids in by_priority:
            row = best_unleased(store, queue_ids, now, exclude, severe=severe, lock=lock, not_against=not_against)
            if row is not None:
                return row[0]
    return None


def best_unleased(
    store: Store, queue_ids: Sequence[int], now: str, exclude: Sequence[int] = (), *, severe: bool = True,
    lock: bool = False, not_against: int | None = None,
) -> tuple[int, int, str, str] | None:
    """(id, priority, due_at, received_at) of the next unleased pending item of these queues, or None.

    With ``severe=False`` items whose severity is ``severe`` are passed over.
    One statement: each queue's candidate is one probe of the
    ``items_serving`` index (its own sub-select), and the best of them is
    taken by item priority, due time, arrival and id. With *lock*, on a
    server, each row found is locked and rows other claims locked are
    passed over (``FOR UPDATE SKIP LOCKED``): claims side by side never
    wait for each other's candidates. (Each queue's candidate stays locked
    until the claim ends; a few rows, for a few milliseconds.) *not_against*
    (a person's id): complaints against that person's own decisions are
    passed over — they are never served to the person complained of — in
    the same statement, probed per candidate through the complaint's item.
    """
    skip = f" AND i.id NOT IN ({','.join('?' * len(exclude))})" if exclude else ""
    if not severe:
        skip += " AND (i.severity IS NULL OR i.severity != 'severe')"
    own = [] if not_against is None else [not_against]
    if own:
        skip += (" AND NOT EXISTS (SELECT 1 FROM complaints c JOIN decisions d ON d.id = c.decision_id"
                 " WHERE c.item_id = i.id AND d.user_id = ?)")
    locking = _SKIP_LOCKED if lock and dialect.is_server(store.db) else ""
    candidate = f"""
        SELECT i.id, i.priority, i.due_at, i.received_at FROM items i
        WHERE i.queue_id = ? AND i.state = 'pending'{skip}
          AND i.case_of IS NULL
          AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at > ?)
        ORDER BY i.priority DESC, i.due_at, i.received_at, i.id LIMIT 1{locking}
        """
    sql = candidate if len(queue_ids) == 1 else (
        " UNION ALL ".join(f"SELECT * FROM ({candidate}) q{n}" for n in range(len(queue_ids)))
        + " ORDER BY 2 DESC, 3, 4, 1 LIMIT 1")
    row = store.db.execute(sql, [value for queue_id in queue_ids
                                 for value in (queue_id, *(int(i) for i in exclude), *own, now)]).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


_SKIP_LOCKED = " FOR UPDATE SKIP LOCKED"


_LOCK_ITEM = "SELECT id FROM items WHERE id = ? FOR UPDATE"


def lock_item(store: Store, item_id: int) -> None:
    """On a server, lock the item's row until the transaction ends: writes that check the item's lease or state
    take turns per item (a file store's writers always take turns)."""
    if dialect.is_server(store.db):
        store.db.execute(_LOCK_ITEM, [item_id]).fetchall()


#: A claim's lease, unless someone holds a live lease on the item; the item when taken. The upsert only overwrites an
#: expired lease, so even two writers that both saw the item free cannot both get it; overwriting also ends the
#: lapsed claim it replaces. Its claim is the claim's event, named by :data:`_NAMED` in the same transaction.
_TAKE = """
INSERT INTO leases (item_id, user_id, claimed_at, expires_at, claim_id) VALUES (:item, :user, :now, :expires, NULL)
ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, claimed_at = excluded.claimed_at,
    expires_at = excluded.expires_at, claim_id = excluded.claim_id
WHERE leases.expires_at <= excluded.claimed_at
RETURNING item_id
"""
#: The lease :data:`_TAKE` wrote gets its claim: the claim's event (``:event``: ``events.append_deferred``). Sent
#: with the commit on a server, the event chain's lock held only while the server runs them.
_NAMED = "UPDATE leases SET claim_id = :event WHERE item_id = :item RETURNING claim_id"


def grant(store: Store, item_id: int, user_id: int, claim: int, now: str, expires: str) -> None:
    """Lease the item to *user_id* under *claim* whatever lease it had (undo hands an item back)."""
    store.db.execute(
        "INSERT INTO leases (item_id, user_id, claimed_at, expires_at, claim_id) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, claimed_at = excluded.claimed_at,"
        " expires_at = excluded.expires_at, claim_id = excluded.claim_id",
        [item_id, user_id, now, expires, claim],
    )


def live_holder(store: Store, item_id: int, now: str) -> tuple[int, str, str] | None:
    """(user id, user name, expires_at) of the live lease on the item, or None."""
    row = store.db.execute(
        "SELECT u.id, u.name, l.expires_at FROM leases l JOIN users u ON u.id = l.user_id"
        " WHERE l.item_id = ? AND l.expires_at > ?",
        [item_id, now],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


#: :func:`drop` as the statement after a decision's event (``events.append_deferred``).
DROPPED = "DELETE FROM leases WHERE item_id = :item RETURNING item_id"


def drop(store: Store, item_id: int) -> None:
    """Remove whatever lease the item has (it was decided or escalated)."""
    store.db.execute("DELETE FROM leases WHERE item_id = ?", [item_id])


def give_back(store: Store, item_id: int, user_id: int, claim: int) -> bool:
    """Remove the item's lease if *claim* of *user_id* still holds it; True if it did."""
    gone = store.db.execute(
        "DELETE FROM leases WHERE item_id = ? AND user_id = ? AND claim_id = ? RETURNING item_id",
        [item_id, user_id, claim],
    ).fetchall()
    return bool(gone)
