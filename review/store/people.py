"""People's rows: roles, active or not, the queues they may work — each change one transaction with its event.

The rules (who may change what, in which words) are :mod:`review.people`'s;
this module holds the SQL and the guards that must hold under the write
lock: the last active lead keeps the role and stays active however two
leads' changes interleave (Refused ``"last_lead"``), and deactivating a
person gives back every item they hold in the same transaction, so nothing
stays leased to somebody who can no longer decide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from review.store import Refused, User, passphrases

if TYPE_CHECKING:
    from review.store import Store


def _other_active_leads(store: Store, name: str) -> int:
    """How many active people other than *name* hold the lead role now."""
    row = store.db.execute(
        "SELECT COUNT(*) FROM users WHERE name != ? AND active = 1"
        " AND (',' || roles || ',') LIKE '%,lead,%'", [name]).fetchone()
    return int(row[0])


def _current(store: Store, actor: User, name: str) -> User:
    """*name*'s row, read under the write lock once *actor* is found still an active lead there."""
    now = store.user(actor.name)
    if not (now.active and now.has("lead")):
        raise Refused("not_lead", actor.name)
    try:
        found = store.user(name)
    except KeyError:
        raise Refused("unknown", name) from None
    from review.store.automation import is_system_person  # automation's rows import this module

    if is_system_person(found):  # no role, no sign-in, whoever asks
        raise Refused("system_person", name)
    return found


def add(store: Store, actor: User, name: str, roles: Sequence[str], display_name: str, queue_ids: Sequence[int],
        names: Sequence[str], passphrase_hash: str | None, *, login: str | None = None) -> User:
    """Add a person in one transaction: ``user.created``, then their queue limit and passphrase when given
    (*login*: the passphrase, for their database role's password on a server store; see :func:`passphrases.save`).

    Refused ``"taken"`` when the name was taken meanwhile.
    """
    with store.transaction():
        _current(store, actor, actor.name)
        if store.db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise Refused("taken", name)
        user = store.add_user(name, roles, display_name, actor=actor.name)
        if queue_ids:
            set_queues(store, actor, name, queue_ids, names)
        if passphrase_hash is not None:
            passphrases.save(store, user, passphrase_hash, by=actor, login=login)
        return store.user(name)


def set_roles(store: Store, actor: User, name: str, roles: Sequence[str]) -> tuple[User, User]:
    """Give *name* exactly *roles*, with ``user.roles_changed`` (old and new); (before, after).

    Refused ``"last_lead"`` when that would leave no active lead; ``"unchanged"`` when they hold these already.
    """
    with store.transaction():
        before = _current(store, actor, name)
        if set(before.roles) == set(roles):
            raise Refused("unchanged", name)
        if before.active and before.has("lead") and "lead" not in roles and not _other_active_leads(store, name):
            raise Refused("last_lead", name)
        store.db.execute("UPDATE users SET roles = ? WHERE id = ?", [",".join(roles), before.id])
        store.log(actor.name, "user.roles_changed", f"user:{name}", {"old": list(before.roles), "roles": list(roles)})
        return before, store.user(name)


def set_queues(
    store: Store, actor: User, name: str, queue_ids: Sequence[int], names: Sequence[str]
) -> tuple[User, User]:
    """Limit *name* to *queue_ids* (empty: every queue their roles work), with ``user.queues_changed``.

    The event holds old and new ids (what ``veil verify`` compares) and the
    names they had then (what a person reading the log understands).
    Refused ``"unchanged"`` when nothing would change.
    """
    with store.transaction():
        before = _current(store, actor, name)
        if sorted(before.queue_ids) == sorted(queue_ids) and not before.limit_unreadable:
            raise Refused("unchanged", name)
        old_names = [queue_name(store, q) for q in before.queue_ids]
        store.db.execute("UPDATE users SET queue_ids = ? WHERE id = ?",
                         [",".join(str(q) for q in queue_ids), before.id])
        store.log(actor.name, "user.queues_changed", f"user:{name}",
                  {"old": list(before.queue_ids), "queues": list(queue_ids), "old_names": old_names,
                   "names": list(names)})
        return before, store.user(name)


def set_active(store: Store, actor: User, name: str, active: bool) -> tuple[User, int]:
    """Deactivate or reactivate *name*, with ``user.deactivated`` / ``user.reactivated``; (after, items given back).

    Deactivating gives back every item the person holds (their leases end,
    the items return to their queues) in the same transaction, and counts
    them in the event. Refused ``"unchanged"`` when they already are so,
    ``"last_lead"`` when they are the last active lead.
    """
    with store.transaction():
        before = _current(store, actor, name)
        if before.active == active:
            raise Refused("unchanged", name)
        if not active and before.has("lead") and not _other_active_leads(store, name):
            raise Refused("last_lead", name)
        released: list[int] = []
        if not active:
            released = sorted(r[0] for r in store.db.execute(
                "DELETE FROM leases WHERE user_id = ? RETURNING item_id", [before.id]))
            if released:
                store.mark_changed("item")  # the items wait in their queues again
        store.db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), before.id])
        kind = "user.reactivated" if active else "user.deactivated"
        store.log(actor.name, kind, f"user:{name}",
                  {"old": before.active, "active": active, **({} if active else {"released": released})})
        return store.user(name), len(released)


def queue_name(store: Store, queue_id: int) -> str:
    """The queue's name now (a limit names queues by id, so a rename keeps it); ``#id`` if it is gone."""
    row = store.db.execute("SELECT name FROM queues WHERE id = ?", [queue_id]).fetchone()
    return str(row[0]) if row else f"#{queue_id}"


def allowed_queue_ids(store: Store, user: User) -> set[int] | None:
    """The ids of the queues *user* may be served from by their limit, or None for no limit.

    A queue merged into another hands its limit on: a person limited to
    "Spam" works "Abuse" once "Spam" was merged into it, since its items are
    there now (followed along ``merged_into_id``, however many merges). A
    limit Veil cannot read (``User.limit_unreadable``) allows nothing.
    """
    if user.limit_unreadable:
        return set()
    if not user.queue_ids:
        return None
    from review.store.queue_admin import followed_ids  # a cycle at module level, as _merged_into says

    return followed_ids(user.queue_ids, _merged_into(store))


def limit_now(store: Store, user: User) -> list[int]:
    """The ids of the live queues *user*'s limit leads to now: each limited queue, or the one it was merged into.

    What the People page shows and what new roles must fit: a limit to
    "Spam", merged since into "Abuse", is a limit to "Abuse".
    """
    merged = _merged_into(store)
    now: dict[int, None] = {}
    for queue_id in user.queue_ids:
        seen = {queue_id}
        while queue_id in merged and merged[queue_id] not in seen:
            queue_id = merged[queue_id]
            seen.add(queue_id)
        now[queue_id] = None
    return list(now)


def _merged_into(store: Store) -> dict[int, int]:
    """:func:`review.store.queue_admin.merged_into`, imported when called: queue_admin imports escalations,
    which imports this module, so a module-level import would be a cycle."""
    from review.store import queue_admin

    return queue_admin.merged_into(store)


def passphrase_set(store: Store) -> set[int]:
    """The ids of the people who have a passphrase (never the hash: the People page only says yes or no)."""
    return {row[0] for row in store.db.execute("SELECT user_id FROM passphrases")}

