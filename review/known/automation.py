"""Acting on what a routing rule or a hash list says of items: an automated decision, or a suggestion.

Lists and rules (:mod:`review.known.intake`'s steps) hand their outcomes to :func:`apply` inside the
transaction that wrote the items. An outcome decides without a person only when it is marked automated,
its rule is not suspended (:mod:`audit.automation` suspends a rule whose audited accuracy falls below its
floor, judged after every scored audit), and the item is plain review work still waiting
(:func:`review.store.automation.open_items`: never a complaint, an escalation, gold, training or calibration);
anything else becomes the item's suggestion, which the desk shows the moderator. Automation never decides a
leased or decided item, never without a rule and version, never carries exposure, and its decisions are
sampled for QA like a person's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from review import auth
from review.clock import iso, parse
from review.errors import VeilError
from review.known import facts as known_facts  # facts calls back here: its classes are read at call time
from review.store import SYSTEM_ACTOR, Refused, Store, User, reads
from review.store import automation as rows


class AutomationError(VeilError, ValueError):
    """A change to automation that cannot be made as asked (no reason, a rule not suspended, an empty window)."""


@dataclass(frozen=True)
class Outcome:
    """What a rule (or a list) says of one item: an action and labels, decided by automation or only suggested."""

    item_id: int
    action: str
    labels: tuple[str, ...] = ()
    automated: bool = False  # False: a suggestion shown to the moderator; True: decided without a person


def apply(store: Store, outcomes: Sequence[Outcome], *, rule: str, version: int, actor: str) -> int:
    """Inside the caller's transaction: decide (automated, rule not suspended) or keep a suggestion; decisions made.

    *rule* is a routing rule's name or ``"list:NAME"``; *version* the rule set's or the list's version.
    The batch that decides logs one ``automation.decided`` event by *actor* (rule, version, count, the
    decision ids); each decision row also has its own ``decision.recorded`` event by the system person.
    """
    if not outcomes:
        return 0
    if not rule:
        raise ValueError("automation needs the rule (or list) it acts for")
    now = store.now()
    automated = [o for o in outcomes if o.automated]
    deciding = bool(automated) and not rows.suspended(store, rule)
    open_items = rows.open_items(store, [o.item_id for o in automated], now) if deciding else {}
    chosen = [rows.Decidable(o.item_id, queue_id, o.action, tuple(o.labels), in_case)
              for o in _first_per_item(automated) if o.item_id in open_items
              for queue_id, in_case in [open_items[o.item_id]]]
    decided = {c.item_id for c in chosen}
    rows.suggest(store, [(o.item_id, o.action, o.labels) for o in _first_per_item(outcomes)
                         if o.item_id not in decided], rule=rule, version=version, now=now)
    if not chosen:
        return 0
    try:
        system_person = rows.person(store)
    except Refused as taken:
        raise AutomationError(
            f"Rule {rule} cannot decide: automated decisions are made by the reserved person "
            f"'{rows.AUTOMATION}', and a person of this store already has that name. Turn the rule's or list's "
            "automation off (it then only suggests) until that person's account is replaced.") from taken
    made = rows.decide(store, system_person, chosen, rule=rule, version=version, now=now)
    store.log(actor, "automation.decided", f"rule:{rule}",
              {"rule": rule, "version": version, "count": len(made), "decisions": made})
    return len(made)


def suggestion_for(store: Store, item_id: int, state: str) -> known_facts.Suggestion | None:
    """What a rule or list suggests for the item, for the desk; None once it is no longer pending (an auditor
    answering blind must not learn what a rule thought of it)."""
    return reads.run(store.db, suggestion_for_read(item_id, state))


def suggestion_for_read(item_id: int, state: str) -> reads.Read[known_facts.Suggestion | None]:
    """:func:`suggestion_for` as a look-up that may share a round trip."""
    if state != "pending":
        return reads.known(None)
    return reads.then(rows.suggestion_read(item_id), lambda found: known_facts.Suggestion(*found) if found else None)


def _first_per_item(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """One outcome per item (the first), so an item named twice in a batch is decided once."""
    seen: dict[int, Outcome] = {}
    for outcome in outcomes:
        seen.setdefault(outcome.item_id, outcome)
    return list(seen.values())


def suspended_rules(store: Store) -> dict[str, str]:
    """Rules whose automation is suspended now: rule → since when."""
    return {rule: at for rule, (now_suspended, at) in rows.rule_states(store).items() if now_suspended}


def suspend(store: Store, rule: str, why: dict[str, object]) -> bool:
    """Turn *rule*'s automation into suggestions (Veil's own act, :data:`SYSTEM_ACTOR`), saying *why* in its
    ``automation.suspended`` event (its audited accuracy, interval and floor); False if it already was."""
    return rows.change_state(store, SYSTEM_ACTOR, rule, suspend=True, facts=why)


def resume(store: Store, lead: User | str, rule: str, *, reason: str) -> None:
    """A lead lets a suspended rule decide again; the reason is required and kept in the event.

    Its audited accuracy is judged afresh from then on (``audit.automation``): only decisions made after
    the resumption count towards the floor, so the audits that suspended it do not suspend it again at once.
    """
    who = auth.require(store, lead, "lead", to="resume a rule's automation")
    if not reason.strip():
        raise AutomationError("Say why the rule may decide again: the reason is kept with the change.")
    try:
        changed = rows.change_state(store, who.name, rule, suspend=False, facts={"reason": reason.strip()})
    except Refused as refused:
        _say(store, who, refused, to="resume a rule's automation")
    if not changed:
        raise AutomationError(f"The rule {rule!r} is not suspended.")


@dataclass(frozen=True)
class Revocation:
    """What revoking a rule's window does (or would do): decisions revoked, and those skipped as superseded."""

    rule: str
    revoked: int
    superseded: int  # not revoked: a later decision (a complaint's reversal, a correction) replaced it

    def words(self, *, done: bool) -> str:
        """The sentence a lead reads: what was (*done*) or will be revoked, and what was skipped and why."""
        n, rule = self.revoked, self.rule
        if not n:
            said = f"{rule} has no standing decision in that window: nothing {'revoked' if done else 'to revoke'}."
        elif done:
            said = (f"Revoked {n} decision{'s' if n != 1 else ''} of {rule}: the items are pending again in their "
                    "queues, with their original due times.")
        else:
            said = (f"{n} decision{'s' if n != 1 else ''} of {rule} will be revoked; the items go back to their "
                    "queues, pending, with their original due times.")
        if self.superseded:
            said += (f" {self.superseded} {'was' if self.superseded == 1 else 'were'} left alone: a later decision "
                     "(a complaint's reversal or a correction) replaced "
                     f"{'it' if self.superseded == 1 else 'them'}, and revoking would reopen what a person decided.")
        return said


def revocable(store: Store, lead: User | str, rule: str, since: str, until: str | None) -> Revocation:
    """What :func:`revoke` would take back now, and skip (for the confirmation); leads only."""
    auth.require(store, lead, "lead", to="revoke a rule's decisions")
    start, end = _window(since, until)
    found = rows.standing(store, rule, start, end)
    current = sum(1 for m in found if m.current)
    return Revocation(rule, current, len(found) - current)


def revoke(store: Store, lead: User | str, rule: str, since: str, until: str | None, *, reason: str = "",
           expected: int | None = None) -> Revocation:
    """Revoke every decision *rule* made from *since* to *until* that is still its item's current decision, in
    one transaction.

    The items go back to their queues, pending, with their original due times; one ``automation.revoked``
    event names the rule, the window, the reason and the decisions (each revocation has its own
    ``decision.revoked`` event too). A decision a later one replaced (a complaint reversed it, a lead
    corrected it) is skipped and counted: revoking it would reopen an item a person has since decided.
    *expected*: the count a confirmation showed; when the window now holds another number, nothing is revoked
    and AutomationError says so (someone decided or revoked in between). Leads only, checked again inside the
    transaction. The window is [*since*, *until*) (*until* None: no end); front ends turn a person's
    inclusive bounds into it with ``audit.metrics.assembly.date_range``, so a bare ``--to`` date is that whole day.
    """
    who = auth.require(store, lead, "lead", to="revoke a rule's decisions")
    start, end = _window(since, until)
    try:
        revoked, superseded = rows.revoke_window(store, who.name, rule, start, end, reason=reason.strip(),
                                                 expected=expected)
    except Refused as refused:
        if refused.reason == "count_changed":
            raise AutomationError(
                f"The window now holds {refused.detail} standing decision(s) of {rule}, not the {expected} you "
                "confirmed (someone decided or revoked in between): nothing was revoked. Count again.") from None
        _say(store, who, refused, to="revoke a rule's decisions")
    return Revocation(rule, revoked, superseded)


def _say(store: Store, who: User, refused: Refused, *, to: str) -> NoReturn:
    """A lead who lost the role (or was deactivated) while asking: refused in the words of :func:`auth.require`."""
    auth.require(store, who.name, "lead", to=to)
    raise refused


def _window(since: str, until: str | None) -> tuple[str, str | None]:
    """The window [*since*, *until*) as Veil's canonical UTC text; AutomationError for a time it cannot read or an
    empty window."""
    try:
        start, end = parse(since), None if until is None else parse(until)
    except ValueError as exc:
        raise AutomationError(f"Not a time Veil can read: {exc}") from exc
    if end is not None and end <= start:
        raise AutomationError(f"The window ends ({iso(end)}) before it starts ({iso(start)}).")
    return iso(start), None if end is None else iso(end)
