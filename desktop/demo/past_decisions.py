"""The demo's past decisions: who decided each decided item, what, when and how fast.

Each moderator has a share of the work and an error rate (misses,
over-enforcement, a confused label), so audits, accuracy and agreement have
realistic data from the first start; escalations are decided by the lead,
more slowly (a hard case takes longer). Each decision also says how long
the item was on screen revealed, so the wellbeing exposure has history.
"""

from __future__ import annotations

import datetime as _dt
import math
import random

from desktop.demo.plan import PlannedItem
from desktop.demo.team import ERROR_RATE, LEAD, LEAD_ESCALATIONS, MINOR_SAFETY, SHARE
from review.clock import iso, parse
from review.wellbeing.exposure import ExposureRecord

_CONFUSED_WITH = {"harassment": "hate_speech", "hate_speech": "harassment", "violent_graphic": "self_harm",
                  "self_harm": "violent_graphic", "adult_nudity": "violent_graphic", "child_safety": "adult_nudity",
                  "spam": "scam_fraud", "scam_fraud": "spam", "counterfeit_ip": "scam_fraud"}

_DECISION_NOTES = ("", "", "", "", "re-upload of earlier removed item", "context: quoted to condemn",
                   "borderline; newsworthy", "reporter history suggests brigading", "matches known scam template")


def past_decision(item: PlannedItem, rng: random.Random, now: _dt.datetime) -> dict:
    """Who decided, what, when and how fast; with each person's error rate."""
    if item.queue in (LEAD_ESCALATIONS, MINOR_SAFETY):
        user = LEAD
    else:
        user = rng.choices(list(SHARE), weights=list(SHARE.values()))[0]
    category = item.category
    wrong = rng.random() < ERROR_RATE[user]
    if item.violating and not wrong:
        action = "remove"
        roll = rng.random()
        if category in ("violent_graphic", "adult_nudity") and roll < 0.25:
            action = "age_restrict"
        elif category in ("violent_graphic", "hate_speech") and roll < 0.32:
            action = "label_only"
        labels = [category]
    elif item.violating:  # a miss, or the wrong label
        if rng.random() < 0.5:
            action, labels = "no_violation", []
        else:
            action, labels = "remove", [_CONFUSED_WITH[category]]
    elif wrong:  # over-enforcement
        action, labels = "remove", [category]
    else:
        action, labels = "no_violation", []
    base = {"text": 14, "image": 20, "gif": 18, "video": 45}[item.kind] * (2 if user == LEAD else 1)
    handle_s = min(90.0, max(5.0, rng.lognormvariate(math.log(base), 0.5)))
    handle_ms = int(handle_s * 1000)
    age = (now - item.received_at).total_seconds()
    wait = rng.uniform(60, max(61.0, min(age - 120, 20 * 3600)))
    decided_at = min(item.received_at + _dt.timedelta(seconds=wait + handle_s), now - _dt.timedelta(seconds=60))
    revealed_ms = 0 if item.kind == "text" else int(handle_ms * rng.uniform(0.1, 0.6))
    return {"user": user, "action": action, "labels": labels, "handle_ms": handle_ms,
            "decided_at": iso(decided_at), "note": rng.choice(_DECISION_NOTES), "revealed_ms": revealed_ms}


def exposure_of(item: PlannedItem, decision: dict, item_id: int, severity: str) -> ExposureRecord:
    """What the decider saw of the item while deciding: on screen for the handle time, revealed for part of it."""
    ended, handle_ms, revealed_ms = decision["decided_at"], decision["handle_ms"], decision["revealed_ms"]
    return ExposureRecord(item_id=item_id, severity=severity, category=item.category,
                          started_at=iso(parse(ended) - _dt.timedelta(milliseconds=handle_ms)), ended_at=ended,
                          blurred_ms=handle_ms - revealed_ms, revealed_ms=revealed_ms,
                          video_ms=handle_ms // 2 if item.kind == "video" else 0)
