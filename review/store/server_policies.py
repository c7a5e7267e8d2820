"""Who may do what with each table of a server store: the rules the server's row-level security and grants enforce.

Why a table of rules, not hand-written policies: every table gets the same
four policies (read, insert, update, delete) built from one :class:`Rules`,
so a reviewer reads one line per table, a new table (another domain's, the
media helper's) gets the safe default (everyone signed in reads, only leads
write) without code, and ``veil verify`` compares the result with a fresh
build. Leads may do everything a rule does not forbid everybody (an
append-only table refuses UPDATE and DELETE to leads too); the store's
owner (the account that ran the migrations) is not subject to any of it.

Placeholders in a condition: ``{me}`` is the signed-in person's user id
(``veil_person()``, NULL for anyone who is not an active person of this
store), ``{my_name}`` their name, ``{auditor}`` whether they are an active
auditor, ``{blind}`` whether they are an auditor and neither a moderator nor
a lead (one who may not learn a decision's consequences before answering
it blind). Each is a sub-select, so the server computes it once per
statement, not once per row.
"""

from __future__ import annotations

from dataclasses import dataclass

EVERYONE = "TRUE"
NOBODY = "FALSE"
OWN = "user_id = {me}"


@dataclass(frozen=True)
class Rules:
    """What a moderator or an auditor (a person who is not a lead) may do with one table.

    ``read``: the rows they see (a condition); ``insert``/``update``/``delete``: the rows they may write
    (None: only leads); ``update_check``: what an updated row must then be, when not ``update`` itself (a
    lapsed lease is taken over by anyone, but only as themselves); ``append_only``: nobody but the owner
    updates or deletes, leads included;
    ``read_columns``/``update_columns``: the only columns they may read or update (empty: all);
    ``lead_insert``: what a lead may insert, when it is not everything (events: only as themselves);
    ``hidden_from_auditors``: columns an auditor (who is not also a moderator or a lead) may not read at all.
    """

    read: str = EVERYONE
    insert: str | None = None
    update: str | None = None
    delete: str | None = None
    update_check: str | None = None
    append_only: bool = False
    read_columns: tuple[str, ...] = ()
    update_columns: tuple[str, ...] = ()
    lead_insert: str = EVERYONE
    hidden_from_auditors: tuple[str, ...] = ()


#: A person's own wellbeing rows: nobody else but leads reads them; added, never changed (an exposure row updated
#: to zero severe minutes would pass the budget)
PRIVATE = Rules(read=OWN, insert=OWN)
#: The decision a row refers to is the signed-in person's (a definer function: decisions' own policy would recurse).
_HOLDS_DECISION = "veil_my_decision({table}.decision_id)"
#: What a decision decided: an auditor reads it only through ``veil_original`` (server_roles), once their blind
#: audit of its sample is submitted. The rest of the row (item, queue, who, when) their work list needs.
ORIGINAL = ("action", "labels", "note")
_ACTOR = ("actor = {my_name} OR (actor = 'system' AND kind = 'gold.scored'"
          " AND EXISTS (SELECT 1 FROM gold_results r WHERE events.subject = 'decision:' || r.decision_id"
          " AND r.user_id = {me}))"
          " OR (actor = 'anonymous' AND kind = 'auth.failed')")
#: A decision a person adds is on an item their lease holds (the claim they decide under), or the undo of one of
#: their own decisions (which leases the item back to them after), or a row applying their own decision to another
#: report of its case (review/store/cases.py: the reports wait unleased for their case's lead): ``source`` case, the
#: same action and labels as the decision it applies, on a pending report of that decision's case (read through
#: ``veil_decided``: a policy of ``decisions`` reading ``decisions`` would recurse into its own rules).
_HELD = ("(EXISTS (SELECT 1 FROM leases l WHERE l.item_id = decisions.item_id AND l.user_id = {me})"
         " OR (revokes_id IS NOT NULL AND veil_my_decision(revokes_id))"
         " OR (source = 'case' AND applies_id IS NOT NULL AND veil_my_decision(applies_id)"
         " AND EXISTS (SELECT 1 FROM veil_decided({me}) a JOIN items ai ON ai.id = a.item_id"
         " JOIN items c ON c.case_id = ai.case_id WHERE a.id = decisions.applies_id AND c.id = decisions.item_id"
         " AND c.state = 'pending' AND a.action = decisions.action AND a.labels = decisions.labels)))")
#: A gold result the decider's own transaction stores: of their decision on that live gold item, its action scored
#: as the gold answer says, never correct with a wrong action (the labels' comparison is the domain's: not
#: re-checked here, a known gap).
_GOLD_SCORED = ("veil_my_decision(decision_id) AND correct <= action_correct AND EXISTS (SELECT 1 FROM decisions d"
                " JOIN gold_items g ON g.item_id = d.item_id WHERE d.id = gold_results.decision_id"
                " AND d.item_id = gold_results.item_id AND g.retired_at IS NULL"
                " AND (gold_results.action_correct = 1) = (d.action = g.action))")
#: Rows that tell what became of a decision (removed, escalated, complained about, corrected): a blind auditor
#: reads them only for decisions whose blind answer they have given; everyone else as before.
_CONSEQUENCE = ("NOT {blind} OR EXISTS (SELECT 1 FROM audits a WHERE a.decision_id = {table}.decision_id"
                " AND a.auditor_id = {me} AND a.blind_at IS NOT NULL)")
#: The sample (of the row being written) is open, the signed-in auditor's (assigned or claimed) and not of their
#: own decision: the only one an auditor answers blind.
_MY_OPEN_SAMPLE = ("EXISTS (SELECT 1 FROM audit_samples s WHERE s.id = audits.sample_id AND s.state = 'open'"
                   " AND s.auditor_id = {me} AND s.decision_id = audits.decision_id)"
                   " AND NOT veil_my_decision(audits.decision_id)")
#: An auditor claims an open sample that nobody holds or one claimed but not yet answered blind (a lapsed claim:
#: how long a claim lasts is the app's setting), or works their own, never of their own decision; and leaves it
#: theirs (or the pool's, when cancelling a sample whose decision was undone), open, audited once their score is
#: stored, or cancelled before any audit when its decision was undone or superseded.
_SAMPLE_TAKEN = ("{auditor} AND state = 'open' AND NOT veil_my_decision(decision_id) AND (auditor_id IS NULL"
                 " OR auditor_id = {me} OR (claimed_at IS NOT NULL"
                 " AND NOT EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = audit_samples.id)))")
_SAMPLE_LEFT = ("(auditor_id = {me} OR auditor_id IS NULL) AND (state = 'open'"
                " OR (state = 'audited' AND EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = audit_samples.id"
                " AND a.auditor_id = {me} AND a.scored_at IS NOT NULL))"
                " OR (state = 'cancelled' AND NOT EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = audit_samples.id)"
                " AND EXISTS (SELECT 1 FROM decisions d WHERE d.revokes_id = audit_samples.decision_id"
                " OR (d.id > audit_samples.decision_id AND d.item_id = (SELECT x.item_id FROM decisions x"
                " WHERE x.id = audit_samples.decision_id)))))")

#: ``_ACTOR``: a person's events are their own; Veil's ``system`` event a person's transaction writes is the
#: scoring of a gold result of theirs; a failed sign-in is nobody's (``anonymous``).
#: Every Veil table but the default's. The default (:data:`DEFAULT`) covers reference data a lead keeps.
TABLES: dict[str, Rules] = {
    # review: people and their private rows
    "users": Rules(),  # read by everyone signed in (names on screen); written by leads (people admin)
    "passphrases": Rules(read=OWN, insert=OWN, update=OWN),
    "settings": Rules(read="user_id = 0 OR " + OWN, insert=OWN, update=OWN, delete=OWN),
    "exposure": PRIVATE,
    "reveals": PRIVATE,
    "wellbeing_checkins": PRIVATE,
    "wellbeing_events": PRIVATE,
    "wellbeing_breaks": PRIVATE,
    "wellbeing_lifts": Rules(read=OWN),
    # review: the work
    "items": Rules(update=EVERYONE, update_columns=("state", "queue_id", "due_at")),
    "leases": Rules(insert=OWN, update=EVERYONE, update_check=OWN, delete=OWN),  # a lapsed lease taken over, as oneself
    "decisions": Rules(insert=OWN + " AND " + _HELD, append_only=True, hidden_from_auditors=ORIGINAL),
    "events": Rules(insert=_ACTOR, append_only=True, lead_insert=f"{_ACTOR} OR actor IN ('system', 'automation')",
                    read_columns=("id", "at", "actor", "kind", "subject", "prev_hash", "hash")),
    # the decision counts the trigger on decisions keeps (review/store/summaries.py), in the decider's
    # transaction: anyone who decides adds to them; ``veil verify`` recounts them from the decisions
    "decided_hours": Rules(insert=EVERYONE, update=EVERYONE),
    "queue_days": Rules(insert=EVERYONE, update=EVERYONE),
    "person_days": Rules(read=OWN, insert=OWN, update=OWN),
    # the queue counts the triggers on items keep (review/store/queue_counts.py) in any change of an item
    "queue_states": Rules(insert=EVERYONE, update=EVERYONE, delete=EVERYONE),
    "queue_due_hours": Rules(insert=EVERYONE, update=EVERYONE, delete=EVERYONE),
    # the counter a change to the serving rules moves (review/store/serving_changes.py), a person's own settings too
    "serving_changes": Rules(update=EVERYONE),
    "escalations": Rules(read=_CONSEQUENCE, insert=_HOLDS_DECISION, update=_HOLDS_DECISION),
    "complaints": Rules(read=_CONSEQUENCE, update=EVERYONE),
    "correction_outcomes": Rules(read="NOT {blind}"),
    "dsa_statements": Rules(read=_CONSEQUENCE),
    "account_notes": Rules(insert=OWN, append_only=True),
    "certifications": Rules(read=OWN, insert=OWN),
    "gate_waivers": Rules(read=OWN),
    "correction_requests": Rules(read=OWN, insert=OWN),
    "automated_decisions": Rules(read=_CONSEQUENCE, append_only=True),  # that a rule decided it: not before blind
    "item_suggestions": Rules(read="NOT {blind}"),  # what a rule thinks of an item would bias a blind answer
    "hash_lists": Rules(read="NOT {blind}"),  # a list's action tells what the matched items' decisions were
    "hash_list_entries": Rules(read="NOT {blind}"),  # its tags and notes too
    "list_matches": Rules(read="NOT {blind}"),  # which items a list matched: with its action, the decision
    "automation_rules": Rules(),  # each rule's suspension: read by everyone, written by leads (and Veil's judge)
    # audit
    "audit_samples": Rules(read="{auditor} OR " + _HOLDS_DECISION, update=_SAMPLE_TAKEN, update_check=_SAMPLE_LEFT,
                           update_columns=("auditor_id", "claimed_at", "state")),
    "audits": Rules(read="auditor_id = {me} OR " + _HOLDS_DECISION,
                    insert="{auditor} AND auditor_id = {me} AND " + _MY_OPEN_SAMPLE,
                    update="{auditor} AND auditor_id = {me} AND NOT veil_my_decision(decision_id)",
                    update_columns=("revealed_at", "verdict", "error_type", "severity", "comment", "score",
                                    "scored_at")),
    "gold_items": Rules(read="{auditor} OR EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = gold_items.item_id"
                             " AND d.user_id = {me})"),
    "gold_results": Rules(read="{auditor} OR " + OWN, insert=OWN + " AND " + _GOLD_SCORED, append_only=True),
    "calibration_answers": Rules(read=OWN, insert=OWN),
    "calibration_agreed": Rules(read="{auditor}"),
    "disputes": Rules(read="moderator_id = {me} OR {auditor}", insert="moderator_id = {me}"),
    "dispute_resolutions": Rules(append_only=True),
    "training_attempts": Rules(read=OWN, insert=OWN, update=OWN),
    "training_answers": Rules(read="EXISTS (SELECT 1 FROM training_attempts t WHERE t.id = attempt_id"
                                   " AND t.user_id = {me})",
                              insert="EXISTS (SELECT 1 FROM training_attempts t WHERE t.id = attempt_id"
                                     " AND t.user_id = {me})"),
}
#: Any other table: everyone signed in reads it, only leads write it (queues, plans, courses, media …).
DEFAULT = Rules()


def rules(table: str) -> Rules:
    """The rules of *table* (:data:`DEFAULT` for a table not listed)."""
    return TABLES.get(table, DEFAULT)

