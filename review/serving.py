"""Serving items to reviewers: claims, leases, renewal, release.

A claim is one ``BEGIN IMMEDIATE`` transaction: find the best unleased
pending item, then take it with an upsert that only succeeds over a missing
or expired lease (``INSERT … ON CONFLICT … DO UPDATE … WHERE expired
RETURNING``). The immediate write lock means two processes can never both
see the same item as free; the guarded upsert means that even if they could,
only one would get it. An expired lease simply stops counting, so a killed
client's item returns to the queue by itself.

Order: queue priority, then item priority, then due time, then arrival.
Each queue's best candidate comes from the ``items_serving`` index, so a
claim costs a few index probes however large the store is.

This module says who is served what (roles, the severe rule) and what a
refusal means; the transactions and their SQL are :mod:`review.store.leases`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from review.clock import iso
from review.errors import VeilError
from review.store import Queue, Refused, Store, User, items, leases

LEASE_SECONDS = 600


class LeaseLost(VeilError):
    """The user no longer holds the item (expired and taken by someone else)."""


@dataclass(frozen=True)
class Item:
    id: int
    external_id: str
    queue_id: int
    queue_name: str
    kind: str
    media_path: str | None
    media_type: str | None
    text: str
    metadata: dict[str, Any]
    severity: str | None
    priority: int
    content_sha256: str | None
    phash: str | None
    received_at: str
    due_at: str
    state: str

    @property
    def category(self) -> str | None:
        return self.metadata.get("category")

    @property
    def description(self) -> str:
        return str(self.metadata.get("description") or "")


def _item(row: Sequence[Any]) -> Item:
    values = list(row)
    values[8] = json.loads(values[8] or "{}")
    return Item(*values)


def load_item(store: Store, item_id: int) -> Item:
    row = items.item_row(store, item_id)
    if row is None:
        raise KeyError(f"no item with id {item_id}")
    return _item(row)


def _kinds(user: User) -> set[str]:
    """Moderators work review queues; leads also work escalation queues."""
    return {"review"} | ({"escalation"} if user.has("lead") else set())


def servable_queues(store: Store, user: User, names: Sequence[str] | None = None) -> list[Queue]:
    """The queues *user* may be served from: the named ones, else all of theirs.

    Moderators work review queues; leads also work escalation queues.
    Paused queues serve nobody.
    """
    return leases.serving_queues(store, _kinds(user), names)


SEVERE_RULES = ("allow", "prefer_mild", "never")


def _passes(severe: str) -> tuple[bool, ...]:
    """The severe rule as the serving passes to try: may a pass serve a severe item?"""
    if severe not in SEVERE_RULES:
        raise ValueError(f"unknown severe rule {severe!r} (one of {', '.join(SEVERE_RULES)})")
    return {"allow": (True,), "prefer_mild": (False, True), "never": (False,)}[severe]


def peek_next(
    store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (), *, severe: str = "allow"
) -> Item | None:
    """The item a claim would most likely get next, without taking it (for prefetch)."""
    found = leases.next_free(store, servable_queues(store, user, queues), iso(store.clock.now()), exclude,
                             _passes(severe))
    return load_item(store, found) if found is not None else None


def claim_next(
    store: Store,
    user: User,
    queues: Sequence[str] | None = None,
    *,
    exclude: Sequence[int] = (),
    lease_seconds: int = LEASE_SECONDS,
    severe: str = "allow",
) -> Item | None:
    """Lease the next item for *user*; None when nothing is waiting.

    One item at a time: an item the user already holds comes back instead.
    *exclude* holds items this session skipped, so a skip is not served
    straight back to the person who skipped it. *severe* is the wellbeing
    rule for severe items: ``"allow"``, ``"prefer_mild"`` (serve something
    milder if anything milder waits) or ``"never"`` (the person's daily
    severe budget is spent).
    """
    found = leases.claim(store, user, kinds=_kinds(user), names=queues, passes=_passes(severe), exclude=exclude,
                         lease_seconds=lease_seconds)
    return load_item(store, found) if found is not None else None


def holder(store: Store, item_id: int) -> tuple[str, str] | None:
    """(user name, expires_at) of the live lease on the item, if any."""
    row = leases.live_holder(store, item_id, iso(store.clock.now()))
    return (row[1], row[2]) if row else None


def renew(store: Store, user: User, item_id: int, *, lease_seconds: int = LEASE_SECONDS) -> str:
    """Extend the user's lease while the item stays open; returns the new expiry.

    LeaseLost if someone else holds it now. A lapsed lease that nobody else
    took is still good: the reviewer was slow, not wrong.
    """
    try:
        return leases.renew(store, user, item_id, lease_seconds=lease_seconds)
    except Refused as refused:
        raise lease_lost(refused.detail) from None


def lease_lost(holder_name: str) -> LeaseLost:
    """The error for an item *holder_name* took over after the user's hold expired."""
    return LeaseLost(f"{holder_name} is working on this item now (your hold on it expired)")


def release(store: Store, user: User, item_id: int, *, reason: str = "released") -> None:
    """Give the item back to its queue (skip, sign-out, close)."""
    leases.release(store, user, item_id, reason=reason)
