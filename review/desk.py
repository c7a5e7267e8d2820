"""The review desk: the reviewer's workflow — claim, decide, undo, skip, and a lead's escalations — one call per key.

Every front end (the desktop page, a CLI, a test) reviews through this
desk, so what must happen with a decision happens whoever made it: the
decision is stored, the hooks given at construction run (gold scoring is
one), and the next item is claimed, all in one call that the operations
runner hands to the writer connection. Transactions and role checks stay
in the domain functions the desk calls (``review.serving``,
``review.decisions``); the desk only puts them in the workflow's order and
returns everything the screen paints.

Every item comes with its claim (``Shown.claim``, see ``review.serving``):
the front end hands it back with every renewal, decision, skip and
give-back, so a window acts only on the items it was given. A desk belongs
to one front end (one window): it remembers the claims it handed out and
that have not ended through it, so :meth:`ReviewDesk.release_held` on
sign-out or close gives back exactly this window's items — including one a
claim still on its way took — and never another window's.

A follow-up claim (after a decision or a skip) that fails does not undo
what came before it: the stored decision is returned together with why no
next item came (``Claimed.error``), so the screen can say both.

What an item's screen shows beside it and costs a look-up — "Seen before",
the author's account, what lists and cases know, where it may be escalated
to, what it complains of — is looked up ahead for the item a claim will
most likely give (:meth:`ReviewDesk.look_ahead`, on a reader while the
person looks at the current item), and the claim after a decision uses it
when it gives that item, still in the queue it was looked up in
(``Claim.ahead``): on a store of a million items those look-ups took
75–300 ms, inside the decision's write, between the key and the next item
on screen (issue 22). What the write itself reads after the claim is the
item's latest escalation: what changes while an item waits (a lead's note
on an item sent back to the same queue) is never taken from ahead.
Without a usable look-ahead (another desk took that item, as often at a
busy site), the look-ups are written as :class:`review.store.reads.Read` and sent
together, one round trip a round to a server store rather than one each
(issue 15: twelve trips after a claim's transaction became two).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from review import accounts, complaints, decisions, escalations, near_copies, serving
from review.clock import parse
from review.complaints import Against, Ended
from review.decisions import Decision
from review.errors import VeilError
from review.known import facts as known_facts
from review.near_copies import SeenBefore
from review.serving import Item, Lease, LeaseLost, load_item
from review.store import Queue, Store, User, reads
from review.store import complaints as complaint_rows
from review.store import escalations as escalation_rows
from review.store.item_indexes import author_of
from review.taxonomy import Taxonomy

log = logging.getLogger(__name__)

AfterDecision = Callable[[Store, Decision], object]


@dataclass(frozen=True)
class Shown:
    """An item to put on screen, the claim it is held under, and what the reviewer needs with it.

    ``seen_before`` sums the same content's decisions (``{"remove": 3}``, with
    ``.bits`` the nearest copy's PDQ distance), looked up here, off the GUI thread;
    ``routes`` are the escalation queues "escalate" may send it to (the
    default first; none: escalation is refused there); ``escalation`` is
    its latest escalation — who sent it up, why, from where, and for an
    item a lead sent back, the lead's note. ``complaint`` is what the item
    complains of when it is a complaint (ended with :meth:`ReviewDesk.resolve`,
    not decided), None for an ordinary item. ``account`` is what the team
    knows about the content's author (``review.accounts``), None when the
    row named none. ``known`` is what hash lists, cases and rules say of the
    content (``review.known.facts``).
    """

    item: Item
    seen_before: SeenBefore
    claim: int
    routes: tuple[str, ...] = ()
    escalation: escalations.Facts | None = None
    complaint: Against | None = None
    account: accounts.Account | None = None
    known: known_facts.Known = known_facts.Known()


@dataclass(frozen=True)
class Ahead:
    """What the screen shows beside an item that costs a look-up, looked up before the item is claimed.

    ``at`` is when (the store's clock): a claim uses it only while it is
    younger than :data:`AHEAD_FRESH_S`, so what is shown is never older than
    what a person looking at an item for a minute already sees. ``routes``
    are its queue's escalation queues then (a lead changing them meanwhile
    is what ``RouteGone`` says at the escalate key, as for an item on screen);
    ``complaint`` never changes for an item that waits (an item is a
    complaint from its insert on, and its ending decides it). ``seen_before``
    None: to be looked up when shown (a decision on a copy came after it).
    """

    item: Item
    at: str
    seen_before: SeenBefore | None
    account: accounts.Account | None
    known: known_facts.Known
    routes: tuple[str, ...] = ()
    complaint: Against | None = None


def _after_decision(store: Store, user: User, ahead: Ahead, decided: Item) -> Ahead:
    """*ahead*, looked up before the decision just made on *decided*, made to count it.

    A person must see their own last decision counted on the next item: on the same author's account (that
    item's line of the account read again, and the counts made from it: a prolific author's whole account
    took seconds to read) and on the same content's "Seen before" (looked up again, from the content index,
    if the claim gives that item: a few milliseconds even for 50,000 copies). The rest of the look-ahead
    stands."""
    author = author_of(decided.metadata)
    if ahead.account is not None and author is not None and author == ahead.account.author:
        account = accounts.after_decision(store, user, ahead.account, decided.id)
        ahead = replace(ahead, account=account)
    if near_copies.are_copies(store, (decided.content_sha256, decided.pdq), (ahead.item.content_sha256,
                                                                           ahead.item.pdq)):
        ahead = replace(ahead, seen_before=None)
    return ahead


#: How long looked-up-ahead facts stay good enough to show (the review page looks ahead again every minute).
AHEAD_FRESH_S = 120.0


class AheadOdds:
    """Whether looking ahead still finds the item the next claim gives; where it does not, looking ahead pauses.

    On a site every desk on a queue peeks at the same head of it, and another desk's claim takes that item first:
    with 200 desks on one queue, 1 look-ahead in 12,000 gave the item claimed, and every desk read every item's
    look-ups twice (``bench_server_site.py --look-ahead``; the server's CPU a cycle 5.3 → 7.4 ms). After
    :data:`MISSES_BEFORE_PAUSE` claims in a row that gave another item, a front end looks ahead only every
    :data:`RETRY_EVERY`-th item, until one finds its item again (the desk may be alone on its queue by then).
    """

    MISSES_BEFORE_PAUSE = 3
    RETRY_EVERY = 10

    def __init__(self) -> None:
        self.misses = 0  # claims in a row that gave another item than the one looked up
        self._passed = 0  # items not looked ahead for while paused

    @property
    def paused(self) -> bool:
        return self.misses >= self.MISSES_BEFORE_PAUSE

    def claimed(self, looked_up: Ahead | None, item_id: int) -> None:
        """A claim that had *looked_up* (None: nothing) gave *item_id*."""
        if looked_up is not None:
            self.misses = 0 if looked_up.item.id == item_id else self.misses + 1

    def wanted(self) -> bool:
        """Whether to look ahead for the next item now: always, but only now and then while paused."""
        if not self.paused:
            return True
        self._passed += 1
        return self._passed % self.RETRY_EVERY == 0


@dataclass(frozen=True)
class Claim:
    """What to claim next: which queues (None: all of the person's), items not to serve, the severe rule, and
    what was looked up ahead for the item it will most likely give (used only if it gives that item)."""

    queues: Sequence[str] | None = None
    exclude: Sequence[int] = ()
    severe: str = "allow"
    ahead: Ahead | None = None


@dataclass(frozen=True)
class Claimed:
    """A follow-up claim's outcome: the next item (None: nothing waits), or why the claim failed."""

    shown: Shown | None
    error: Exception | None = None


class ReviewDesk:
    """One front end's review workflow over a store the caller hands in (the runner's connection)."""

    def __init__(self, taxonomy: Taxonomy, *, after_decision: Sequence[AfterDecision] = ()) -> None:
        self.taxonomy = taxonomy
        # Run after every stored decision, in order; they follow the decision without the
        # moderator seeing them (gold scoring), so none of them may undo or block it.
        self.after_decision = tuple(after_decision)
        # The claims this desk handed out and that have not ended through it: claim -> (user id, item id).
        # Written by the desk's calls, which a front end makes on one writer thread, and read by release_held.
        self._held: dict[int, tuple[int, int]] = {}
        self._held_lock = threading.Lock()

    # ------------------------------------------------------------ serving
    def servable_queues(self, store: Store, user: User) -> list[Queue]:
        """The queues *user* may be served from (paused ones and other roles' kinds left out)."""
        return serving.servable_queues(store, user)

    def claim(
        self, store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (),
        severe: str = "allow", ahead: Ahead | None = None,
    ) -> Shown | None:
        """Lease a new item for *user* and say what it was seen as before; None when nothing waits.

        Every call takes another item (a second window of the same person
        gets a different one). NotAllowed for someone who works no queue.
        *ahead*: what :meth:`look_ahead` prepared, used if the claim gives that item.
        """
        return self._claim(store, user, Claim(queues, exclude, severe, ahead))

    def _claim(self, store: Store, user: User, then: Claim) -> Shown | None:
        lease = serving.claim_next(store, user, then.queues, exclude=then.exclude, severe=then.severe)
        return self._shown(store, user, lease, then.ahead) if lease is not None else None

    def peek(
        self, store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (),
        severe: str = "allow",
    ) -> Item | None:
        """The item a claim would most likely give next, without taking it (to prepare its pictures)."""
        return serving.peek_next(store, user, queues, exclude, severe=severe)

    def look_ahead(
        self, store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (),
        severe: str = "allow",
    ) -> Ahead | None:
        """The item a claim would most likely give next (:meth:`peek`) and what its screen will show beside it,
        looked up now (on a reader, while the person looks at the current item); None when nothing waits."""
        item = self.peek(store, user, queues, exclude, severe)
        return self._looked_up(store, user, item) if item is not None else None

    def renew(self, store: Store, user: User, item_id: int, *, claim: int) -> str:
        """Extend *claim*'s lease on the open item; the new expiry.

        ``LeaseLost`` once the claim ended (decided, escalated or given back
        in another window, or taken again after a lapse); a lapsed lease
        nobody touched is resumed, with its event.
        """
        with self._ends_if_lost(claim):
            return serving.renew(store, user, item_id, claim=claim)

    def release(self, store: Store, user: User, item_id: int, reason: str, *, claim: int) -> None:
        """Give the item back to its queue (a break, a pause), if *claim* still holds it."""
        serving.release(store, user, item_id, claim=claim, reason=reason)
        self._forget(claim)

    def release_held(self, store: Store, user: User, reason: str) -> None:
        """Give back every item this desk claimed for *user* and still holds (sign-out, close).

        The one on screen, or one a claim still on its way took — a front
        end closing cannot know which — but never another window's.
        """
        with self._held_lock:
            mine = [(claim, item_id) for claim, (user_id, item_id) in self._held.items() if user_id == user.id]
        for claim, item_id in mine:
            self.release(store, user, item_id, reason, claim=claim)

    def skip(
        self, store: Store, user: User, item_id: int, *, claim: int, then_claim: Claim | None = None
    ) -> Claimed | None:
        """Give the item back for someone else, then claim the next one if asked (*then_claim* excludes it)."""
        self.release(store, user, item_id, "skip", claim=claim)
        return self._follow_up(store, user, then_claim) if then_claim is not None else None

    # ----------------------------------------------------------- deciding
    def decide(
        self,
        store: Store,
        user: User,
        item_id: int,
        action: str,
        labels: Sequence[str] = (),
        note: str = "",
        shown_at: str | None = None,
        revealed_ms: int = 0,
        *,
        claim: int,
        then_claim: Claim | None = None,
        escalate_to: str | None = None,
        decided_at: str | None = None,
    ) -> tuple[Decision, Claimed | None]:
        """Store the decision on the item *claim* holds, run the after-decision hooks, then claim the next if asked.

        Raises ``NotAllowed`` (the role, the queue), ``LeaseLost`` (the
        claim ended) or ``DecisionError`` (a rule not met) before anything
        is stored; a lapsed claim nobody touched is resumed by the decision
        (see ``review.decisions.decide``). A hook that fails is logged and
        leaves the decision standing; a follow-up claim that fails comes
        back in ``Claimed.error``. *escalate_to* is the escalation queue an
        escalation goes to (one of ``Shown.routes``; None: the default);
        ``RouteGone`` carries the routes now when it is not one any more.
        *decided_at*: when the key was pressed (a page's write stored after
        an outage keeps that moment; None: now).
        """
        with self._ends_if_lost(claim):
            try:
                made = decisions.decide(store, self.taxonomy, user, item_id, claim=claim, action=action,
                                        labels=labels, note=note, shown_at=shown_at, revealed_ms=revealed_ms,
                                        escalate_to=escalate_to, decided_at=decided_at)
            except decisions.RouteGone as gone:  # the routes changed since the item was shown: say the new ones
                gone.routes = self._routes(store, load_item(store, item_id).queue_id)
                raise
        self._forget(claim)
        for hook in self.after_decision:
            try:
                hook(store, made)
            except Exception:  # the decision is stored; a follow-up failing must not stop the reviewer
                log.exception("after-decision hook %r failed for decision %s", hook, made.id)
        if then_claim is not None and then_claim.ahead is not None:
            then_claim = replace(then_claim,
                                 ahead=_after_decision(store, user, then_claim.ahead, load_item(store, item_id)))
        return made, (self._follow_up(store, user, then_claim) if then_claim is not None else None)

    def undo(self, store: Store, user: User, decision_id: int, *, give_back: Shown | None = None) -> Shown:
        """Revoke *user*'s recent decision and hand its item back to them under a new claim, to decide again.

        *give_back* is the item on screen meanwhile (as this desk gave it):
        once the undo is stored it returns to its queue (nothing changes if
        the undo is refused).
        """
        lease = decisions.undo(store, user, decision_id)
        shown = self._shown(store, user, lease)
        if give_back is not None:
            self.release(store, user, give_back.item.id, "undo", claim=give_back.claim)
        return shown

    def resolve(self, store: Store, user: User, item_id: int, *, claim: int, outcome: str, note: str,
                action: str | None = None, labels: Sequence[str] = (), shown_at: str | None = None,
                then_claim: Claim | None = None) -> tuple[Ended, Claimed | None]:
        """End the complaint *claim* holds, upheld or reversed (``review.complaints.resolve``), then claim the next."""
        with self._ends_if_lost(claim):
            ended = complaints.resolve(store, self.taxonomy, user, item_id, claim=claim, outcome=outcome, note=note,
                                       action=action, labels=labels, shown_at=shown_at)
        self._forget(claim)
        return ended, (self._follow_up(store, user, then_claim) if then_claim is not None else None)

    # ------------------------------------------------------- escalations
    def take(self, store: Store, user: User, item_id: int) -> Shown:
        """A lead opens one escalation from the workbench: that item, under a new claim, decided like any other."""
        return self._shown(store, user, escalations.take(store, user, item_id))

    def send_back(self, store: Store, user: User, item_id: int, note: str, *, claim: int | None = None) -> str:
        """Return an escalation to its moderators' queue with *note* (``review.escalations.send_back``)."""
        back = escalations.send_back(store, user, item_id, note, claim=claim)
        if claim is not None:
            self._forget(claim)
        return back

    def move(self, store: Store, user: User, item_id: int, to: str, *, claim: int | None = None) -> str:
        """Move an escalation to another escalation queue (``review.escalations.move``); its new due time."""
        due = escalations.move(store, user, item_id, to, claim=claim)
        if claim is not None:
            self._forget(claim)
        return due

    # ------------------------------------------------------------ helpers
    def _follow_up(self, store: Store, user: User, then: Claim) -> Claimed:
        try:
            return Claimed(self._claim(store, user, then))
        except Exception as exc:  # what came before is stored; say why no next item came
            log.warning("claim after a stored change failed: %s", exc, exc_info=not isinstance(exc, VeilError))
            return Claimed(None, exc)

    def _looked_up(self, store: Store, user: User, item: Item) -> Ahead:
        return self._ahead(store, item, reads.together(store.db, self._look_ups(user, item)))

    @staticmethod
    def _look_ups(user: User, item: Item) -> list[reads.Read[Any]]:
        """What an item's screen shows beside it, to read in one round trip: the author's account, what is known of
        the content, the routes, what it complains of, and the threshold "Seen before" counts copies within (the
        content index's own reads follow)."""
        return [accounts.for_item_read(user, item), known_facts.known_read(user, item),
                escalation_rows.route_names_read(item.queue_id), complaint_rows.against_read(item.id),
                near_copies.threshold_read()]

    @staticmethod
    def _ahead(store: Store, item: Item, looked_up: list[Any]) -> Ahead:
        account, known, routes, complaint, bits = looked_up
        return Ahead(item, store.now(), decisions.seen_before(store, item, bits=bits), account, known, routes,
                     complaint)

    def _shown(self, store: Store, user: User, lease: Lease, ahead: Ahead | None = None) -> Shown:
        """What the screen paints for *lease*'s item: the look-ups done *ahead* when they are that item's, in the
        same queue, and fresh, else now (with the escalation, in one round trip). How it was escalated: always
        read now (a lead's note on an item sent back comes while it waits in the queue it was looked up in)."""
        with self._held_lock:
            self._held[lease.claim] = (user.id, lease.item.id)
        item = lease.item
        if ahead is None or ahead.item.id != item.id or ahead.item.queue_id != item.queue_id or (
                (parse(store.now()) - parse(ahead.at)).total_seconds() > AHEAD_FRESH_S):
            *looked_up, escalation = reads.together(
                store.db, [*self._look_ups(user, item), escalation_rows.latest_read(item.id)])
            ahead = self._ahead(store, item, looked_up)
        else:
            escalation = escalations.latest(store, item.id)
        seen_before = ahead.seen_before if ahead.seen_before is not None else decisions.seen_before(store, item)
        return Shown(item, seen_before, lease.claim, ahead.routes, escalation, ahead.complaint, ahead.account,
                     ahead.known)

    @staticmethod
    def _routes(store: Store, queue_id: int) -> tuple[str, ...]:
        return reads.run(store.db, escalation_rows.route_names_read(queue_id))

    def _forget(self, claim: int) -> None:
        with self._held_lock:
            self._held.pop(claim, None)

    @contextlib.contextmanager
    def _ends_if_lost(self, claim: int) -> Iterator[None]:
        """A claim found lost has ended: there is nothing left to give back for it."""
        try:
            yield
        except LeaseLost:
            self._forget(claim)
            raise
