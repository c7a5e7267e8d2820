"""Sampling: which decisions go to QA, drawn reproducibly by the leads' plans.

A lead defines plans (``audit.plans.create_plan``) and looks at what one
would draw before it does (:func:`preview_plan`); :func:`run_plans` runs
them when a lead asks and :func:`run_due_plans` on a schedule (the app calls
it every few minutes as the signed-in lead, and not at all while no lead is
signed in; each active plan runs at most once per period). Both need a
lead: drawing samples decides whose work is looked at, so it is a lead's
act, whatever the front end, and the ``audit.sampled`` event names them.

Why per-decision hashing: each decision gets its own uniform number
``u = random.Random(f"{seed}:{plan}:{decision_id}").random()``. Whether a
decision is drawn depends only on its own ``u``, never on what else is in
the store, so the same seed and data give the same sample, running again
later draws nothing new from old data, and decisions added later do not
reshuffle earlier choices.

Rules of one run, over the plan's *window* (current decisions of decided
items, made between the plan's ``starts_at`` and now, in the plan's queues,
not on gold items — those are scored automatically):

1. **rate** — unstratified: drawn when ``u < rate`` (a Bernoulli sample, so
   the count is binomial). Stratified (``strata.by`` = queue, action or the
   first label): each stratum gets ``round(rate × its decisions in the
   window)`` samples in total (proportional allocation), filled with the
   undrawn decisions of lowest ``u``; a small stratum is never missed by
   chance, and the quota counts what earlier runs already drew. Automated
   decisions are a stratum of their own per rule (``automation:RULE``) in
   every plan, stratified or not, and such a stratum that holds decisions
   gets at least one sample (a plan's rate above 0): a rule with three
   decisions in the window is audited too, never rounded away.
2. **boosts** — an undrawn decision that is a new moderator's (one of
   their first N decisions), fast (handle time under S seconds), an
   escalation (decided in an escalation queue) or reversed (its item had a
   decision revoked before it) is drawn when ``u <`` the boost's rate; the
   reason names the first boost that applies in that order.
3. **minimum** — for every moderator and completed UTC day in the window
   with fewer than ``min_per_moderator_per_day`` samples (from any plan),
   their undrawn decisions of that day with the lowest ``u`` are added.
   Only completed days: topping up a day at 09:00 would over-sample the
   early risers. Automation counts as one moderator per rule.

A decision is sampled at most once (``audit_samples.decision_id`` is
unique). Each new sample is assigned to the auditor with the fewest open
samples who is not the decision's moderator and is not deactivated, or left
unassigned (claimable by any other auditor) when nobody else is an auditor.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from audit import roles
from audit.plans import BOOST_FIELDS, Plan, PlanError, period_key, plan, plans
from audit.store import atomically
from audit.store import automation as automation_sql
from audit.store import plans as plan_rows
from audit.store import samples as sample_rows
from audit.store.schema import SAMPLE_REASONS
from review.clock import iso, parse
from review.errors import NotAllowed, VeilError
from review.store import Refused, Store, User

NO_LABEL = "(none)"


class SamplingError(VeilError, ValueError):
    """A decision that cannot be sent to QA (an unknown reason, already sampled); the message says which."""


@dataclass(frozen=True)
class Sample:
    """One sampled decision. Auditor-facing lists (``audits.work_list``,
    ``audits.next_sample``) blank ``moderator`` and ``reason`` (None): who
    decided, and why it was drawn ("boost:reversed"), would bias the blind step."""

    id: int
    decision_id: int
    plan: str
    reason: str | None
    auditor: str | None
    claimed_at: str | None
    created_at: str
    state: str
    moderator: str | None = None
    queue: str = ""

    def blinded(self) -> Sample:
        return dataclasses.replace(self, moderator=None, reason=None)


@dataclass
class RunResult:
    plan: str
    samples: list[Sample] = field(default_factory=list)

    def by_reason(self) -> dict[str | None, int]:
        return dict(Counter(s.reason for s in self.samples))


# -------------------------------------------------------------- running
def run_plans(store: Store, lead: User | str, *, now: str | _dt.datetime | None = None,
              names: Iterable[str] | None = None) -> list[RunResult]:
    """Run the active plans (or the named ones) now, as *lead* asked; one transaction.

    A paused plan is refused by name too (PlanError, nothing drawn): pausing
    promises it draws nothing until a lead resumes it.
    """
    user = roles.require(store, lead, "lead", to="run sampling plans")
    moment = _moment(store, now)

    def run_chosen() -> list[RunResult]:
        chosen = [plan(store, n) for n in names] if names is not None else plans(store, active_only=True)
        paused = [p.name for p in chosen if not p.active]
        if paused:
            raise PlanError(f"{', '.join(map(repr, paused))} {'is' if len(paused) == 1 else 'are'} paused and draw"
                            f"{'s' if len(paused) == 1 else ''} nothing until resumed")
        return [_run(store, p, moment, user.name) for p in chosen]

    return atomically(store, run_chosen)


def run_due_plans(store: Store, lead: User | str, *, now: str | _dt.datetime | None = None) -> list[RunResult]:
    """The scheduled run, as *lead*: every active plan not yet run in the current period, once.

    Safe to call every few minutes from any number of clients: the check and
    the run share one write transaction, so a period is run exactly once.
    NotAllowed for anyone but a lead (nothing is drawn then).
    """
    user = roles.require(store, lead, "lead", to="run sampling plans")
    moment = _moment(store, now)

    def run_due() -> list[RunResult]:
        results = []
        for p in plans(store, active_only=True):
            key = period_key(moment, p.period)
            if p.last_period == key:
                continue
            results.append(_run(store, p, moment, user.name))
            plan_rows.ran_period(store, p.id, key)
        return results

    return atomically(store, run_due)


def _moment(store: Store, now: str | _dt.datetime | None) -> _dt.datetime:
    if now is None:
        return store.clock.now()
    return parse(now) if isinstance(now, str) else now.astimezone(_dt.UTC)


@dataclass
class _Row:
    id: int
    user_id: int
    user: str
    queue: str
    queue_kind: str
    action: str
    labels: list[str]
    decided_at: str
    handle_ms: int | None
    reversed: bool
    sampled_reason: str | None  # None: not sampled yet
    sampled_plan: str | None
    u: float = 0.0
    rule: str | None = None  # the rule that made an automated decision (audit.automation)

    @property
    def day(self) -> str:
        return self.decided_at[:10]


AUTOMATED = "automation:"
"""The prefix of an automated decision's stratum: ``automation:RULE``."""


def draw(seed: str, plan_name: str, decision_id: int) -> float:
    """The decision's own uniform number in [0, 1) for this plan (see the module docstring)."""
    return random.Random(f"{seed}:{plan_name}:{decision_id}").random()


def _window(store: Store, p: Plan, now: str) -> list[_Row]:
    result = []
    for r in plan_rows.window(store, p.starts_at, now, p.queue_ids()):
        row = _Row(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "[]"), r[7], r[8], bool(r[9]), r[10], r[11])
        row.u = draw(p.seed, p.name, row.id)
        result.append(row)
    rules = automation_sql.rules_of(store, result[0].id, result[-1].id) if result else {}
    for row in result:
        row.rule = rules.get(row.id)
    return result


def _stratum(row: _Row, by: str | None) -> str:
    if row.rule is not None:
        return f"{AUTOMATED}{row.rule}"
    if by == "queue":
        return row.queue
    if by == "action":
        return row.action
    return row.labels[0] if row.labels else NO_LABEL


def choose(store: Store, p: Plan, now: _dt.datetime) -> dict[int, str]:
    """{decision id: reason} this plan would sample now; reads only, writes nothing."""
    return _choose(store, p, now)[1]


def _choose(store: Store, p: Plan, now: _dt.datetime) -> tuple[list[_Row], dict[int, str]]:
    """The plan's window and {decision id: reason} of what it would draw from it now."""
    rows = _window(store, p, iso(now))
    free = [r for r in rows if r.sampled_reason is None]
    picked: dict[int, str] = {}
    # 1. the base rate (automation stratified per rule in every plan)
    if p.strata is None:
        picked.update((r.id, "rate") for r in free if r.rule is None and r.u < p.rate)
    strata: dict[str, list[_Row]] = defaultdict(list)
    for r in rows:
        if p.strata is not None or r.rule is not None:
            strata[_stratum(r, p.strata)].append(r)
    for name, members in strata.items():
        target = math.floor(p.rate * len(members) + 0.5)
        if name.startswith(AUTOMATED) and p.rate > 0:
            target = max(1, target)  # a small rule is audited too
        have = sum(1 for r in members if r.sampled_plan == p.name and r.sampled_reason == "rate")
        undrawn = sorted((r for r in members if r.sampled_reason is None), key=lambda r: (r.u, r.id))
        picked.update((r.id, "rate") for r in undrawn[: max(0, target - have)])
    # 2. boosts
    boosts = p.boosts
    new_ids = plan_rows.first_decisions(store, {r.user_id for r in free}, int(boosts["new"]["first"])) \
        if "new" in boosts else set()
    tests: dict[str, Callable[[_Row], bool]] = {
        "new": lambda r: r.id in new_ids,
        "fast": lambda r: r.handle_ms is not None and r.handle_ms < boosts["fast"]["seconds"] * 1000,
        "escalation": lambda r: r.queue_kind == "escalation",
        "reversed": lambda r: r.reversed,
    }
    for r in free:
        if r.id in picked:
            continue
        for kind in BOOST_FIELDS:
            if kind in boosts and tests[kind](r) and r.u < boosts[kind]["rate"]:
                picked[r.id] = f"boost:{kind}"
                break
    # 3. the daily minimum, for completed days only
    if p.min_per_moderator_per_day:
        today = period_key(now)
        days: dict[tuple[int, str | None, str], list[_Row]] = defaultdict(list)
        for r in rows:
            if r.day < today:
                days[(r.user_id, r.rule, r.day)].append(r)
        for members in days.values():
            have = sum(1 for r in members if r.sampled_reason is not None or r.id in picked)
            undrawn = sorted((r for r in members if r.sampled_reason is None and r.id not in picked),
                             key=lambda r: (r.u, r.id))
            picked.update((r.id, "minimum") for r in undrawn[: max(0, p.min_per_moderator_per_day - have)])
    return rows, picked


def _run(store: Store, p: Plan, now: _dt.datetime, actor: str) -> RunResult:
    picked = choose(store, p, now)
    created = iso(now)
    ids = sorted(picked)
    moderators = sample_rows.decision_makers(store, ids)
    auditors = [u for u in store.users() if u.has("auditor") and u.active]  # nobody deactivated gets work
    load = Counter(sample_rows.open_load(store))
    for decision_id in ids:
        eligible = [a for a in auditors if a.id != moderators[decision_id]]
        auditor = min(eligible, key=lambda a: (load[a.id], a.name)) if eligible else None
        if auditor is not None:
            load[auditor.id] += 1
        sample_rows.add(store, decision_id, p.name, picked[decision_id], auditor.id if auditor else None, created)
    plan_rows.ran(store, p.id, created)
    result = RunResult(p.name, samples_for(store, ids))
    store.log(actor, "audit.sampled", f"plan:{p.name}",
              {"sampled": len(ids), "by_reason": result.by_reason(), "decisions": ids,
               "unassigned": sum(1 for s in result.samples if s.auditor is None)})
    return result


@dataclass(frozen=True)
class PlanPreview:
    """What running a plan now would draw, counted without drawing it (no sample, no event)."""

    plan: str
    at: str
    active: bool
    queues: str  # the plan's queues in words ("every queue", "spam (queue gone)")
    unsampled: int  # decisions in its window not sampled yet
    drawn: int
    by_reason: dict[str, int]
    by_queue: dict[str, int]
    by_moderator: dict[str, int]
    decisions: tuple[PreviewedDecision, ...] = ()  # what it would draw, oldest first (at most PREVIEW_LISTED)
    why_none: tuple[str, ...] = ()  # when it would draw nothing: why, in words

    def as_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PreviewedDecision:
    """One decision a plan's preview would draw (a lead's view: the moderator is named)."""

    id: int
    queue: str
    moderator: str
    decided_at: str
    reason: str  # rate, boost:…, minimum


#: The preview lists this many of the decisions it would draw (the counts cover all of them).
PREVIEW_LISTED = 200


def preview_plan(store: Store, lead: User | str, name: str, *, now: str | _dt.datetime | None = None) -> PlanPreview:
    """A dry run of the plan *name* as of *now*: how many decisions it would draw, why, from which queues and
    moderators. Reads only: a lead checks a plan before it draws. A paused plan is counted over its window
    as it stands (what its settings would draw); resuming it would start its window afresh."""
    roles.require(store, lead, "lead", to="preview sampling plans")
    moment = _moment(store, now)
    p = plan(store, name)
    rows, picked = _choose(store, p, moment)
    drawn = [r for r in rows if r.id in picked]
    return PlanPreview(p.name, iso(moment), p.active, p.queue_words(),
                       sum(1 for r in rows if r.sampled_reason is None), len(drawn),
                       dict(Counter(picked.values()).most_common()),
                       dict(Counter(r.queue for r in drawn).most_common()),
                       dict(Counter(r.user for r in drawn).most_common()),
                       tuple(PreviewedDecision(r.id, r.queue, r.user, r.decided_at, picked[r.id])
                             for r in sorted(drawn, key=lambda r: (r.decided_at, r.id))[:PREVIEW_LISTED]),
                       () if drawn else _why_none(store, p, rows, moment))


def _why_none(store: Store, p: Plan, rows: list[_Row], moment: _dt.datetime) -> tuple[str, ...]:
    """Why the plan would draw nothing now, each reason that applies, in words (a lead wondering at "0 of 17")."""
    sampled = sum(1 for r in rows if r.sampled_reason is not None)
    free = len(rows) - sampled
    since = p.starts_at[:16].replace("T", " ")
    if not rows:
        before = len(plan_rows.window(store, "", p.starts_at, p.queue_ids()))
        if before:
            return (f"All {before:,} decisions in its queues were made before the plan started ({since} UTC): a "
                    "plan draws only from decisions made after it starts.",)
        return (f"Nothing has been decided in its queues ({p.queue_words()}) since it started ({since} UTC).",)
    reasons = []
    if sampled:
        reasons.append(f"{sampled:,} of the {len(rows):,} decisions since it started are sampled already (by this "
                       "or another plan, or by hand).")
    if free:
        reasons.append(f"Each of the {free:,} not yet sampled has a fixed {p.rate:.0%} chance, drawn once: none of "
                       "them came up (the same decisions come up on every run)." if p.strata is None else
                       f"Its {p.rate:.0%} of each {p.strata} group, rounded, is met already or rounds to none of "
                       f"the {free:,} not yet sampled.")
        if p.min_per_moderator_per_day:
            today = period_key(moment)
            if all(r.day >= today for r in rows if r.sampled_reason is None):
                reasons.append("The daily minimum counts completed days only: today's decisions are topped up "
                               "tomorrow.")
            else:
                reasons.append(f"Every moderator's completed days already have their minimum of "
                               f"{p.min_per_moderator_per_day} sampled.")
    return tuple(reasons)


def add_sample(store: Store, lead: User | str, decision_id: int, *, reason: str = "manual",
               auditor: User | str | None = None) -> Sample:
    """A lead sends one decision to QA by hand (or a gold miss, a calibration case)."""
    user = roles.require(store, lead, "lead", to="add audit samples")
    if reason not in SAMPLE_REASONS:
        raise SamplingError(f"reason must be one of {', '.join(SAMPLE_REASONS)}")
    chosen = roles.require(store, auditor, "auditor", to="audit") if auditor is not None else None
    try:
        sample_rows.send_to_qa(store, user.name, decision_id, reason, chosen.id if chosen else None)
    except Refused as refused:
        if refused.reason == "no_decision":
            raise KeyError(f"no decision with id {decision_id}") from None
        if refused.reason == "sampled":
            raise SamplingError(f"decision {decision_id} is already sampled") from None
        if refused.reason == "own" and chosen is not None:
            raise NotAllowed(f"{chosen.name} made this decision and cannot audit it") from None
        raise
    return samples_for(store, [decision_id])[0]


# -------------------------------------------------------------- reading
def samples_for(store: Store, decision_ids: Sequence[int]) -> list[Sample]:
    return [Sample(*r) for r in sample_rows.for_decisions(store, decision_ids)]


def samples(store: Store, *, state: str | None = None, plan: str | None = None) -> list[Sample]:
    """Every sample (for a lead's overview), oldest first, optionally one state or plan."""
    return [Sample(*r) for r in sample_rows.listing(store, state=state, plan=plan)]
