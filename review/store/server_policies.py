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
#: ``veil_decided``: a policy of ``decisions`` reading ``decisions`` would recurse into its own rules), or a
#: complaint's reversal on the original item (``source`` complaint) by the person who has just decided the open
#: complaint's own item, not against their own decision (review/store/complaints.py ``resolve``).
_HELD = ("(EXISTS (SELECT 1 FROM leases l WHERE l.item_id = decisions.item_id AND l.user_id = {me})"
         " OR (revokes_id IS NOT NULL AND veil_my_decision(revokes_id))"
         " OR (source = 'case' AND applies_id IS NOT NULL AND veil_my_decision(applies_id)"
         " AND EXISTS (SELECT 1 FROM veil_decided({me}) a JOIN items ai ON ai.id = a.item_id"
         " JOIN items c ON c.case_id = ai.case_id WHERE a.id = decisions.applies_id AND c.id = decisions.item_id"
         " AND c.state = 'pending' AND a.action = decisions.action AND a.labels = decisions.labels))"
         " OR (source = 'complaint' AND EXISTS (SELECT 1 FROM complaints c WHERE c.original_item_id = decisions.item_id"
         " AND c.outcome IS NULL AND NOT veil_my_decision(c.decision_id)"
         " AND EXISTS (SELECT 1 FROM veil_decided({me}) a WHERE a.item_id = c.item_id))))")
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

#: Who may hold a lease on an item, as the claim path serves it (``review.serving``, ``review.store.leases``): asked
#: by the leases rules below for every row a person who is not a lead adds or changes (leads are not subject).
#: A definer function in PL/pgSQL (its plans kept per connection, so a claim pays a few index probes): the caller
#: is an active moderator (``review.serving.WORKED_BY``: review queues are worked by moderators and leads, every
#: other kind by leads alone), the item is pending in a review queue and no case report waiting for its case's lead
#: (``items.case_of``), within the person's queue limit (``users.queue_ids``, followed through merges; a limit Veil
#: cannot read allows nothing), past the queue's certification gate (certified for the gate's course and version,
#: or waived and not lifted), and not a complaint against a decision of theirs. What the server cannot check
#: (roster shifts, rotation rules: Veil's clock and settings) stays the app's.
#: ``veil_lapsed_by()``: the moment a lease must have ended by for someone else to take it over, by the server's
#: clock, in Veil's time text, with :data:`CLOCK_SKEW_SECONDS` of grace for a desk clock ahead of the server's.
#: ``veil_lease_limit()``: the latest end a lease a person adds or changes may have — the longest lease Veil gives
#: (:data:`LONGEST_LEASE_SECONDS`, ``review.serving.LEASE_SECONDS``) from the server's now, with the same grace —
#: so nobody keeps an item from everyone else by writing a far-future expiry on their own lease.
CLOCK_SKEW_SECONDS = 60
LONGEST_LEASE_SECONDS = 600
FUNCTIONS = """
CREATE OR REPLACE FUNCTION veil_may_lease(item BIGINT) RETURNS BOOLEAN LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
DECLARE
  who users%ROWTYPE := veil_caller();
  place RECORD;
BEGIN
  IF who.id IS NULL OR (',' || who.roles || ',') NOT LIKE '%,moderator,%' THEN
    RETURN FALSE;
  END IF;
  SELECT i.state, i.case_of, i.queue_id, q.kind INTO place FROM items i JOIN queues q ON q.id = i.queue_id
  WHERE i.id = item;
  IF place.queue_id IS NULL OR place.state <> 'pending' OR place.case_of IS NOT NULL OR place.kind <> 'review' THEN
    RETURN FALSE;
  END IF;
  IF who.queue_ids <> '' AND (who.queue_ids !~ '^[0-9]{1,18}(,[0-9]{1,18})*$' OR NOT EXISTS (
      WITH RECURSIVE followed (id) AS (
        SELECT CAST(x AS BIGINT) FROM unnest(string_to_array(who.queue_ids, ',')) x
        UNION SELECT q.merged_into_id FROM queues q JOIN followed f ON q.id = f.id WHERE q.merged_into_id IS NOT NULL)
      SELECT 1 FROM followed WHERE id = place.queue_id)) THEN
    RETURN FALSE;
  END IF;
  IF EXISTS (SELECT 1 FROM queue_gates g WHERE g.queue_id = place.queue_id
             AND NOT EXISTS (SELECT 1 FROM certifications c WHERE c.user_id = who.id AND c.course_id = g.course_id
                             AND c.taxonomy_version = g.taxonomy_version)
             AND NOT EXISTS (SELECT 1 FROM gate_waivers w WHERE w.user_id = who.id AND w.queue_id = g.queue_id
                             AND w.course_id = g.course_id AND w.taxonomy_version = g.taxonomy_version
                             AND NOT EXISTS (SELECT 1 FROM gate_waiver_lifts l WHERE l.waiver_id = w.id))) THEN
    RETURN FALSE;
  END IF;
  RETURN NOT EXISTS (SELECT 1 FROM complaints c JOIN decisions d ON d.id = c.decision_id
                     WHERE c.item_id = item AND d.user_id = who.id);
END $$;
CREATE OR REPLACE FUNCTION veil_lapsed_by() RETURNS TEXT LANGUAGE sql STABLE AS $$
  SELECT to_char((now() + interval '@SKEW@ seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
CREATE OR REPLACE FUNCTION veil_lease_limit() RETURNS TEXT LANGUAGE sql STABLE AS $$
  SELECT to_char((now() + interval '@LIMIT@ seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
""".replace("@SKEW@", str(CLOCK_SKEW_SECONDS)).replace("@LIMIT@", str(LONGEST_LEASE_SECONDS + CLOCK_SKEW_SECONDS))
#: A lease a person who is not a lead adds or changes: their own, on an item they may be served (above), ending no
#: later than a lease Veil would give.
_MAY_LEASE = OWN + " AND veil_may_lease(item_id) AND expires_at <= (SELECT veil_lease_limit())"

#: An item a person who is not a lead changes (its state, queue or due time) is one their decision is changing:
#: they hold its lease (deciding, escalating it) or its newest decision is theirs (an undo reopening it, a case's
#: reports closed or reopened with the decision of its lead, a complaint's reversal closing the original). Checked
#: on the row as changed only (``update_check``): a claim's ``FOR UPDATE`` reads every row through the update rule.
_ITEM_MINE = ("EXISTS (SELECT 1 FROM leases l WHERE l.item_id = items.id AND l.user_id = {me})"
              " OR EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = items.id AND d.user_id = {me}"
              " AND d.id = (SELECT MAX(x.id) FROM decisions x WHERE x.item_id = items.id))")
#: A complaint a person who is not a lead ends: an open one, not against their own decision, ended by them with
#: their decision on the complaint's item (and, reversed, their new decision on the original).
_COMPLAINT_OPEN = "outcome IS NULL AND NOT veil_my_decision(decision_id)"
_COMPLAINT_ENDED = ("resolved_by = {me} AND EXISTS (SELECT 1 FROM decisions d WHERE d.id = complaints.resolution_id"
                    " AND d.item_id = complaints.item_id AND d.user_id = {me}) AND (reversal_id IS NULL"
                    " OR EXISTS (SELECT 1 FROM decisions d WHERE d.id = complaints.reversal_id"
                    " AND d.item_id = complaints.original_item_id AND d.user_id = {me}))")
#: A certification a person stores for themselves: from a passed attempt of theirs at that course and version.
_CERTIFIED = (OWN + " AND EXISTS (SELECT 1 FROM training_attempts t WHERE t.id = certifications.attempt_id"
              " AND t.user_id = {me} AND t.course_id = certifications.course_id"
              " AND t.taxonomy_version = certifications.taxonomy_version AND t.passed = 1)")

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
    "items": Rules(update=EVERYONE, update_check=_ITEM_MINE, update_columns=("state", "queue_id", "due_at")),
    # a lease is taken only where a claim could take it; someone else's only once lapsed by the server's clock
    "leases": Rules(insert=_MAY_LEASE, update=OWN + " OR expires_at <= (SELECT veil_lapsed_by())",
                    update_check=_MAY_LEASE, delete=OWN),
    "decisions": Rules(insert=OWN + " AND " + _HELD, append_only=True, hidden_from_auditors=ORIGINAL),
    "events": Rules(insert=_ACTOR, append_only=True, lead_insert=f"{_ACTOR} OR actor IN ('system', 'automation')",
                    read_columns=("id", "at", "actor", "kind", "subject", "prev_hash", "hash")),
    # the decision counts the trigger on decisions keeps (review/store/summaries.py), in the decider's
    # transaction: each row is one decider's, who adds to their own; ``veil verify`` recounts them from the decisions
    "decided_hours": Rules(insert=OWN, update=OWN),
    "queue_days": Rules(insert=OWN, update=OWN),
    "person_days": Rules(read=OWN, insert=OWN, update=OWN),
    # the queue counts the triggers on items keep (review/store/queue_counts.py) in any change of an item
    "queue_states": Rules(insert=EVERYONE, update=EVERYONE, delete=EVERYONE),
    "queue_due_hours": Rules(insert=EVERYONE, update=EVERYONE, delete=EVERYONE),
    # the counter a change to the serving rules moves (review/store/serving_changes.py), a person's own settings too
    "serving_changes": Rules(update=EVERYONE),
    "escalations": Rules(read=_CONSEQUENCE, insert=_HOLDS_DECISION, update=_HOLDS_DECISION),
    "complaints": Rules(read=_CONSEQUENCE, update=_COMPLAINT_OPEN, update_check=_COMPLAINT_ENDED,
                        update_columns=("outcome", "resolved_at", "resolved_by", "resolution_id", "reversal_id")),
    "correction_outcomes": Rules(read="NOT {blind}"),
    "dsa_statements": Rules(read=_CONSEQUENCE),
    "account_notes": Rules(insert=OWN, append_only=True),
    "certifications": Rules(read=OWN, insert=_CERTIFIED),
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
    # each scored audit beside its decision (audit/store/scored_audits.py), added by the scorer's transaction (an
    # overturn or a lead's reassignment changes it: leads); leads and auditors read it, a moderator never: it is
    # colleagues' accuracy. ``veil verify`` recounts it from the audits
    "scored_audits": Rules(read="{auditor} OR auditor_id = {me}", insert="{auditor} AND auditor_id = {me}"),
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

