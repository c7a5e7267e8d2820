"""The review desk: the moderator's workflow — claim, decide, undo, skip — one call per key.

Every front end (the desktop page, a CLI, a test) reviews through this
desk, so what must happen with a decision happens whoever made it: the
decision is stored, the hooks given at construction run (gold scoring is
one), and the next item is claimed, all in one call that the operations
runner hands to the writer connection. Transactions and role checks stay
in the domain functions the desk calls (``review.serving``,
``review.decisions``); the desk only puts them in the workflow's order and
returns everything the screen paints.

A follow-up claim (after a decision or a skip) that fails does not undo
what came before it: the stored decision is returned together with why no
next item came (``Claimed.error``), so the screen can say both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from review import decisions, serving
from review.clock import iso
from review.decisions import Decision
from review.errors import VeilError
from review.serving import Item
from review.store import Queue, Store, User, leases
from review.taxonomy import Taxonomy

log = logging.getLogger(__name__)

AfterDecision = Callable[[Store, Decision], object]


@dataclass(frozen=True)
class Shown:
    """An item to put on screen and its seen-before summary (``{"remove": 3}``)."""

    item: Item
    seen_before: dict[str, int]


@dataclass(frozen=True)
class Claim:
    """What to claim next: which queues (None: all of the person's), items not to serve, the severe rule."""

    queues: Sequence[str] | None = None
    exclude: Sequence[int] = ()
    severe: str = "allow"


@dataclass(frozen=True)
class Claimed:
    """A follow-up claim's outcome: the next item (None: nothing waits), or why the claim failed."""

    shown: Shown | None
    error: Exception | None = None


class ReviewDesk:
    """The review workflow over a store the caller hands in (the runner's connection)."""

    def __init__(self, taxonomy: Taxonomy, *, after_decision: Sequence[AfterDecision] = ()) -> None:
        self.taxonomy = taxonomy
        # Run after every stored decision, in order; they follow the decision without the
        # moderator seeing them (gold scoring), so none of them may undo or block it.
        self.after_decision = tuple(after_decision)

    # ------------------------------------------------------------ serving
    def servable_queues(self, store: Store, user: User) -> list[Queue]:
        """The queues *user* may be served from (paused ones and other roles' kinds left out)."""
        return serving.servable_queues(store, user)

    def claim(
        self, store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (),
        severe: str = "allow",
    ) -> Shown | None:
        """Lease the next item for *user* and say what it was seen as before; None when nothing waits."""
        item = serving.claim_next(store, user, queues, exclude=exclude, severe=severe)
        return self._shown(store, item) if item is not None else None

    def peek(
        self, store: Store, user: User, queues: Sequence[str] | None = None, exclude: Sequence[int] = (),
        severe: str = "allow",
    ) -> Item | None:
        """The item a claim would most likely give next, without taking it (to prepare its pictures)."""
        return serving.peek_next(store, user, queues, exclude, severe=severe)

    def renew(self, store: Store, user: User, item_id: int) -> str:
        """Extend *user*'s lease on the open item; raises ``LeaseLost`` if someone else took it."""
        return serving.renew(store, user, item_id)

    def release(self, store: Store, user: User, item_id: int, reason: str) -> None:
        """Give the item back to its queue (a break, a pause)."""
        serving.release(store, user, item_id, reason=reason)

    def release_held(self, store: Store, user: User, reason: str) -> None:
        """Give back the item *user* holds, whichever it is (sign-out, close).

        A person holds one item at a time: the one on screen, or the one a
        claim still on its way took — a front end closing cannot know which.
        """
        held = leases.held_pending(store, user.id, iso(store.clock.now()))
        if held is not None:
            serving.release(store, user, held, reason=reason)

    def skip(self, store: Store, user: User, item_id: int, *, then_claim: Claim | None = None) -> Claimed | None:
        """Give the item back for someone else, then claim the next one if asked (*then_claim* excludes it)."""
        serving.release(store, user, item_id, reason="skip")
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
        then_claim: Claim | None = None,
    ) -> tuple[Decision, Claimed | None]:
        """Store the decision, run the after-decision hooks, then claim the next item if asked.

        Raises ``DecisionError`` (a rule not met) or ``LeaseLost`` before
        anything is stored. A hook that fails is logged and leaves the
        decision standing; a follow-up claim that fails comes back in
        ``Claimed.error``.
        """
        made = decisions.decide(store, self.taxonomy, user, item_id, action=action, labels=labels, note=note,
                                shown_at=shown_at, revealed_ms=revealed_ms)
        for hook in self.after_decision:
            try:
                hook(store, made)
            except Exception:  # the decision is stored; a follow-up failing must not stop the reviewer
                log.exception("after-decision hook %r failed for decision %s", hook, made.id)
        return made, (self._follow_up(store, user, then_claim) if then_claim is not None else None)

    def undo(self, store: Store, user: User, decision_id: int, *, give_back: int | None = None) -> Shown:
        """Revoke *user*'s recent decision and hand its item back to them, to decide again.

        *give_back* is the item on screen meanwhile: once the undo is
        stored it returns to its queue (nothing changes if the undo is refused).
        """
        item_id = decisions.undo(store, user, decision_id)
        if give_back is not None:
            serving.release(store, user, give_back, reason="undo")
        return self._shown(store, serving.load_item(store, item_id))

    # ------------------------------------------------------------ helpers
    def _follow_up(self, store: Store, user: User, then: Claim) -> Claimed:
        try:
            return Claimed(self.claim(store, user, then.queues, then.exclude, then.severe))
        except Exception as exc:  # what came before is stored; say why no next item came
            log.warning("claim after a stored change failed: %s", exc, exc_info=not isinstance(exc, VeilError))
            return Claimed(None, exc)

    @staticmethod
    def _shown(store: Store, item: Item) -> Shown:
        return Shown(item, decisions.seen_before(store, item))
