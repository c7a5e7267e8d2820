"""Routing rules at work: a lead's versions of the rule set, and the intake step that routes each new item.

A lead checks a rule set (:func:`check`) and applies it (:func:`apply`): a new version, stored with its text,
its file's name, who and when, and the queue ids its queue names mean now, so a queue renamed later keeps its
rules and a merged one passes them to the queue it was merged into. Checking and applying are a lead's, here in
the domain, so ``veil rules`` and the Rules page are refused alike.

At intake (:func:`route`, the last step of :mod:`review.known.intake`, inside the import chunk's transaction)
the current version routes the chunk's new items that are still pending and arrived in a review queue: the first
rule that matches moves the item to its queue (its due time then follows that queue's SLA from the time it was
received; an item whose external id the target queue already holds stays where it is, so no two items there
share one), sets its priority and severity (keeping those it arrived with), records the rule and version on the
item, and hands its suggested or automated decision to :func:`review.known.automation.apply` — unless the
taxonomy stored since no longer has its action or labels (the rule is stale: one ``rules.stale`` event per
chunk). A case's report follows its lead item: its route when the lead came in this chunk, else the lead's queue
(the case is decided once, through its lead). A queue's own row whose id a routed item holds there is refused
by the import (:func:`clashes`). With no version stored a chunk costs one primary-key read; otherwise a few
statements per chunk, never one per item.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from review import auth, settings
from review.clock import iso, parse
from review.errors import VeilError
from review.known import automation, list_matching
from review.known import rules as rule_format
from review.store import Store, User
from review.store import rules as rows
from review.taxonomy import Taxonomy
from review.taxonomy import loads as load_taxonomy
from review.taxonomy import stored as stored_taxonomy

Row = TypeVar("Row")  # a manifest row, as the importer holds it

APPLY = "apply routing rules"
READ = "check, test or read routing rules"


def context(store: Store, policy: Taxonomy | None = None) -> rule_format.Context:
    """The store's queues, taxonomy (*policy*, else the organisation's) and hash lists, as checking reads them."""
    found = rows.queue_rows(store)
    queues = {q.name: rule_format.QueueFacts(queue_id, q.kind, found[q.merged_into_id].name if q.merged_into_id
                                             else None) for queue_id, q in found.items()}
    return rule_format.Context(queues, policy or stored_taxonomy.organisation(store), rows.list_names(store))


def check(store: Store, who: User | str, text: str, source: str, *, policy: Taxonomy | None = None
          ) -> rule_format.RuleSet:
    """The rule set in *text*, checked against the store (a lead's); :class:`~review.known.rules.RulesError` lists
    every problem."""
    auth.require(store, who, "lead", to=READ)
    return rule_format.parse(text, source, context(store, policy))


class RulesChanged(VeilError):
    """Another lead applied a version since the text being applied was loaded; ``newest`` is the newest now."""

    def __init__(self, newest: rows.StoredRuleSet | None):
        self.newest = newest
        said = (f"version {newest.version} by {newest.created_by} at {newest.created_at[:16].replace('T', ' ')}Z"
                if newest else "no version is stored now")
        super().__init__(f"The routing rules changed since you loaded them ({said}): reload to see that version, "
                         "then apply again.")


def apply(store: Store, who: User | str, text: str, source: str, *, policy: Taxonomy | None = None,
          expected_version: int | None = None) -> int:
    """Store *text* as the next version (a lead's; checked first, nothing stored while any problem remains) and
    return its number; from the next import chunk on, it routes new items.

    *expected_version* is the newest version the lead loaded (0: none yet); when another lead has applied one
    since, :class:`RulesChanged` refuses, so two leads editing at once do not overwrite each other unawares.
    None applies over whatever is newest (``veil rules apply`` without ``--expect-version``).
    """
    lead = auth.require(store, who, "lead", to=APPLY)
    checked = rule_format.parse(text, source, context(store, policy))

    def queue_ids() -> dict[str, int]:  # the role and the queues again, inside the write: a merge a moment ago refuses
        auth.require(store, lead, "lead", to=APPLY)
        newest = rows.current(store)
        if expected_version is not None and (newest.version if newest else 0) != expected_version:
            raise RulesChanged(newest)
        found = context(store, policy)
        rule_format.parse(text, source, found)
        return {name: found.queues[name].id for name in checked.queues} if found.queues else {}

    return rows.add_version(store, lead.name, text, source, len(checked.rules), queue_ids)


def current(store: Store, who: User | str) -> rows.StoredRuleSet | None:
    """The version that routes new items now (a lead's to read), or None when none was applied."""
    auth.require(store, who, "lead", to=READ)
    return rows.current(store)


def version(store: Store, who: User | str, number: int) -> rows.StoredRuleSet:
    """Version *number* (KeyError, in words, when there is none)."""
    auth.require(store, who, "lead", to=READ)
    found = rows.version(store, number)
    if found is None:
        raise KeyError(f"there is no version {number} of the routing rules")
    return found


def versions(store: Store, who: User | str) -> list[rows.StoredRuleSet]:
    """Every version, newest first."""
    auth.require(store, who, "lead", to=READ)
    return rows.versions(store)


# ------------------------------------------------------------------ intake
def clashes(store: Store, rows_given: Iterable[tuple[int, int | None, str, Row]]) -> Iterator[tuple[int, str, Row]]:
    """(line, why, row) for each new manifest row (line, its queue's id — None for a queue the import creates —,
    external id, row) that its queue cannot take: the queue holds that id for another queue's item a routing rule
    moved there. Such a row is refused with its reason rather than counted as present, so it is not lost unsaid
    (one id per queue: the lead renames it, or imports it once the routed item has gone). Before any version was
    applied nothing was routed: one primary-key read."""
    given = list(rows_given)
    if not given or rows.current(store) is None:
        return
    by_queue: dict[int, list[tuple[int, str, Row]]] = defaultdict(list)
    for line, queue_id, external_id, row in given:
        if queue_id is not None:
            by_queue[queue_id].append((line, external_id, row))
    for queue_id, wanted in by_queue.items():
        held = rows.routed_here(store, queue_id, (external_id for _, external_id, _ in wanted))
        for line, external_id, row in wanted:
            if (found := held.get(external_id)) is not None:
                by = f"rule '{found.rule}' (version {found.version})" if found.rule else "a case's lead"
                yield line, (f"this queue already holds an item with id {external_id!r}: item {found.item_id}, which "
                             f"{by} moved here from queue '{found.came_from}'; give this report an id of its own"), row


@lru_cache(maxsize=8)
def _parsed(text: str) -> rule_format.RuleSet:
    """A stored version's rules (checked when applied), parsed once per process."""
    return rule_format.parse(text, "rules", rule_format.UNCHECKED)


@dataclass(frozen=True)
class _Route:
    """Where one item goes: by a rule of the current version, or after its case's lead (``rule`` None)."""

    rule: rule_format.Rule | None  # None: a report following a lead an earlier chunk brought
    name: str | None  # the rule that routed it (the lead's, for a follower; None: the lead was moved by hand)
    version: int | None
    queue_id: int | None  # where it goes; None: it stays


def route(store: Store, item_ids: Sequence[int], *, actor: str) -> int:
    """Route the chunk's new items by the current version, inside the intake's transaction; how many were routed.

    Only items that arrived in a review queue are routed: escalation, calibration and audit queues hold items
    put there on purpose (a lead's escalations, gold copies), which no rule may move or decide.
    """
    stored = rows.current(store) if item_ids else None
    if stored is None:
        return 0
    rule_set = _parsed(stored.text)
    queues = rows.queue_rows(store)
    facts = [f for f in rows.chunk_items(store, item_ids)
             if f.state == "pending" and queues[f.queue_id].kind == "review"]
    matches = list_matching.matches_of(store, [f.id for f in facts]) if rule_set.uses_lists else {}
    routes: dict[int, _Route] = {}
    for item in facts:
        if item.case_of is None:
            rule = rule_set.first_match(rule_format.Item(item.kind, item.severity, json.loads(item.metadata or "{}"),
                                                         matches.get(item.id, ())))
            if rule is not None:
                target = _followed(queues, stored.queue_ids.get(rule.queue)) if rule.queue else None
                routes[item.id] = _Route(rule, rule.name, stored.version, target)
    routes.update(_following(store, facts, routes, queues))
    if not routes:
        return 0
    stale = _stale(store, {r.rule for r in routes.values() if r.rule is not None and r.rule.action is not None})
    written = _moves(store, [f for f in facts if f.id in routes], routes, queues)
    by_rule = Counter(r.name for r in routes.values() if r.rule is not None)
    moved = sum(1 for w in written if w.move is not None)
    rows.write_routes(store, actor, stored.version, written, {
        "version": stored.version, "rules": dict(sorted(by_rule.items())), "moved": moved,
        "followed": sum(1 for r in routes.values() if r.rule is None),
        "stayed": sum(1 for f in facts if f.id in routes and routes[f.id].queue_id not in (None, f.queue_id)) - moved})
    if stale:
        rows.log_stale(store, actor, stored.version, stale)
    _decide(store, facts, routes, stored.version, actor, stale)
    return len(routes)


def _following(store: Store, facts: list[rows.ItemFacts], routes: dict[int, _Route],
               queues: dict[int, rows.QueueRow]) -> dict[int, _Route]:
    """The routes of a case's reports: each follows its lead — the lead's route when the lead came in this chunk,
    else the lead's review queue now (cases gather reports by the queue they arrived in, wherever a rule moved the
    lead; a lead under escalation keeps its reports where they are, waiting for the outcome)."""
    chunk = {f.id for f in facts}
    earlier = rows.leads(store, {f.case_of for f in facts if f.case_of is not None and f.case_of not in chunk})
    found: dict[int, _Route] = {}
    for item in facts:
        if item.case_of is None:
            continue
        if item.case_of in routes:
            found[item.id] = routes[item.case_of]
        elif (lead := earlier.get(item.case_of)) is not None and lead.queue_id != item.queue_id \
                and queues[lead.queue_id].kind == "review":
            found[item.id] = _Route(None, lead.rule, lead.version, lead.queue_id)
    return found


@lru_cache(maxsize=4)
def _policy_of(text: str, source: str) -> Taxonomy:
    """The stored taxonomy's text, loaded once per process (intake reads it per chunk)."""
    return load_taxonomy(text, source=source)


def _stale(store: Store, deciding: set[rule_format.Rule]) -> dict[str, str]:
    """The rules among *deciding* whose action or labels the organisation's taxonomy no longer has (or has changed
    so that the decision no longer fits), each with why; checked once per chunk.

    Only against a taxonomy stored in the store: without one, desks decide under their team's file, which the
    domain cannot read, and the version was checked against it when it was applied.
    """
    value = settings.read(store, stored_taxonomy.TAXONOMY) if deciding else None
    if value is None:
        return {}
    policy = _policy_of(value["text"], value["file"])
    return {rule.name: why for rule in sorted(deciding, key=lambda r: r.line)
            if (why := rule_format.stale(rule, policy)) is not None}


def _followed(queues: dict[int, rows.QueueRow], queue_id: int | None) -> int | None:
    """*queue_id*, or the queue it was merged into since (however many merges ago)."""
    seen: set[int] = set()
    while queue_id in queues and queue_id not in seen and (merged := queues[queue_id].merged_into_id) is not None:
        seen.add(queue_id)
        queue_id = merged
    return queue_id if queue_id in queues else None


def _moves(store: Store, facts: list[rows.ItemFacts], routes: dict[int, _Route],
           queues: dict[int, rows.QueueRow]) -> list[rows.Routed]:
    """Each routed item's new row; a move whose target already holds the external id (or another item of the
    chunk takes it there first) is left out, the item staying in its queue."""
    moving: dict[int, list[rows.ItemFacts]] = defaultdict(list)
    for item in facts:
        target = routes[item.id].queue_id
        if target is not None and target != item.queue_id:
            moving[target].append(item)
    allowed: set[int] = set()
    for target, items in moving.items():
        taken = rows.taken_ids(store, target, (i.external_id for i in items))
        for item in items:
            if item.external_id not in taken:
                taken.add(item.external_id)
                allowed.add(item.id)
    written = []
    for item in facts:
        found = routes[item.id]
        rule, target = found.rule, found.queue_id
        move = None
        if target is not None and item.id in allowed:
            move = (target, iso(parse(item.received_at) + _dt.timedelta(seconds=queues[target].sla_seconds)),
                    item.queue_id)
        priority = rule.priority if rule is not None and rule.priority not in (None, item.priority) else None
        severity = rule.severity if rule is not None and rule.severity not in (None, item.severity) else None
        written.append(rows.Routed(item.id, found.name, found.version, (item.severity, item.priority), move,
                                   priority, severity))
    return written


def _decide(store: Store, facts: list[rows.ItemFacts], routes: dict[int, _Route], version: int, actor: str,
            stale: Mapping[str, str]) -> None:
    """Each rule's suggested or automated decisions, one batch per rule (a case's reports follow its lead's; a
    stale rule's, none)."""
    by_rule: dict[str, list[automation.Outcome]] = defaultdict(list)
    for item in facts:
        rule = routes[item.id].rule if item.id in routes and item.case_of is None else None
        if rule is not None and rule.action is not None and rule.name not in stale:
            by_rule[rule.name].append(automation.Outcome(item.id, rule.action, rule.labels, rule.automated))
    for name, outcomes in by_rule.items():
        automation.apply(store, outcomes, rule=name, version=version, actor=actor)
