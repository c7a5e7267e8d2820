"""QA data for the demo workspace, so audits and metrics have numbers at once.

Runs after ``desktop.demo.review_data.build_demo`` (the composition root calls both;
review never imports audit). It adds the lead's daily sampling plan, runs
it, and has the demo auditor audit most samples through the audit desk
the app uses — blind decision, reveal, score — so the demo exercises
exactly the code a real audit does. The plan reaches back over the demo's
five weeks of decisions, so every week's report has audits. A few samples
stay open for the auditor to try; a few incorrect verdicts are disputed:
the lead has resolved the older ones, the latest waits for the lead.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from dataclasses import dataclass

from audit import audits, plans, sampling
from audit.desk import AuditDesk
from audit.store import samples as sample_rows
from review.clock import iso
from review.store import Store
from review.taxonomy import Taxonomy

PLAN = "Daily QA"
AUDITOR = "dana"
LEAD = "lee"
OPEN_SHARE = 0.25  # samples left for the auditor to work in the app
AUDITOR_AGREES = 0.85
HISTORY_DAYS = 35  # as far back as the demo's decisions reach (desktop.demo.item_rows.HISTORY_SECONDS)
DISPUTES = 3


@dataclass(frozen=True)
class DemoQA:
    sampled: int
    audited: int
    disputed: int


def _blind_choice(action: str, labels: tuple[str, ...], policy: Taxonomy, rng: random.Random) -> tuple[str, list[str]]:
    """What the auditor decides on their own: usually the same, sometimes not."""
    if rng.random() < AUDITOR_AGREES:
        return action, list(labels)
    if action == "no_violation":
        label = rng.choice([lab.id for lab in policy.labels])
        return "remove", [label]
    if rng.random() < 0.5 and labels:
        others = [lab.id for lab in policy.labels if lab.id not in labels]
        return action, [rng.choice(others)]
    return "no_violation", []


def _verdict(original: audits.Original) -> tuple[str, str | None, str | None]:
    if original.agrees:
        return "correct", None, None
    if original.action == "no_violation":
        return "incorrect", "missed_violation", "major"
    if original.blind_action == "no_violation":
        return "incorrect", "over_enforcement", "major"
    if original.action == original.blind_action:
        return "incorrect", "wrong_label", "minor"
    return "incorrect", "wrong_action", "major"


def seed_qa(store: Store, policy: Taxonomy, *, seed: int = 7) -> DemoQA:
    """Plan, sample and audit the demo's past decisions (deterministic per seed)."""
    rng = random.Random(f"{seed}:qa")
    starts = iso(store.clock.now() - _dt.timedelta(days=HISTORY_DAYS))
    plans.save_plan(store, LEAD, PLAN, rate=0.2, min_per_moderator_per_day=2, seed=f"demo-{seed}",
                    boosts={"fast": {"seconds": 8, "rate": 0.5}}, starts_at=starts)
    sampling.run_plans(store, LEAD, names=[PLAN])
    desk, auditor = AuditDesk(policy), store.user(AUDITOR)
    audited = 0
    disputes: list[int] = []
    samples = sampling.samples(store, plan=PLAN)
    for sample in samples:
        if rng.random() < OPEN_SHARE:
            continue
        desk.open_sample(store, auditor, sample.id)
        decided_action, decided_labels = sample_rows.decided(store, sample.decision_id)
        action, blind_labels = _blind_choice(decided_action, tuple(json.loads(decided_labels)), policy, rng)
        original = desk.submit_blind(store, auditor, sample.id, action, blind_labels).original
        verdict, error_type, severity = _verdict(original)
        scored = desk.score(store, auditor, sample.id, verdict, error_type, severity,
                            comment="" if verdict == "correct" else "Demo audit: see the policy note for this label.")
        audited += 1
        if verdict == "incorrect" and original.moderator != LEAD and len(disputes) < DISPUTES:  # a lead resolves
            disputes.append(desk.dispute(store, store.user(original.moderator), scored.audit_id,
                                         "The reporter's context was missing; I read it as satire."))
    lead = store.user(LEAD)
    for number, dispute_id in enumerate(disputes[:-1]):  # the last one waits for the lead
        outcome = "upheld" if number % 2 == 0 else "overturned"
        desk.resolve(store, lead, dispute_id, outcome, "Checked the context with the moderator.")
    return DemoQA(len(samples), audited, len(disputes))
