"""The demo team: six people (three moderators, a new hire, an auditor, a lead) and seven queues like a T&S team's.

Also which queue each report category lands in, and how often each
moderator decides and errs (so the past decisions have a realistic share of
mistakes, and audits and agreement have data at once).
"""

from __future__ import annotations

from dataclasses import dataclass


# ------------------------------------------------------------------ people
@dataclass(frozen=True)
class DemoUser:
    name: str
    roles: tuple[str, ...]
    display_name: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("ana", ("moderator",), "Ana Alves"),
    DemoUser("ben", ("moderator",), "Ben Okafor"),
    DemoUser("chidi", ("moderator",), "Chidi Nwosu"),
    DemoUser("dana", ("auditor",), "Dana Kim"),
    DemoUser("lee", ("lead",), "Lee Morgan"),
    DemoUser("eve", ("moderator",), "Eve Adeyemi"),  # the new hire: no history, to take a course (issue 17)
)

NEWCOMER = "eve"
MODERATORS = tuple(u.name for u in DEMO_USERS if "moderator" in u.roles and u.name != NEWCOMER)
LEAD = "lee"

#: How often each moderator gets a call wrong (a new hire, a steady hand...).
ERROR_RATE = {"ana": 0.04, "ben": 0.08, "chidi": 0.14, "lee": 0.03}
SHARE = {"ana": 0.42, "ben": 0.34, "chidi": 0.24}


# ------------------------------------------------------------------ queues
@dataclass(frozen=True)
class DemoQueue:
    name: str
    kind: str
    description: str
    priority: int
    sla_seconds: int
    escalates: bool = True  # escalation_queue = the lead escalation queue


LEAD_ESCALATIONS = "Lead escalations"
MINOR_SAFETY = "Minor safety escalations"
QA_AUDIT = "QA audit"

DEMO_QUEUES: tuple[DemoQueue, ...] = (
    # Created first: the review queues name it as their escalation queue.
    DemoQueue(LEAD_ESCALATIONS, "escalation", "Hard cases sent up by moderators; a lead decides.", 60, 8 * 3600, False),
    DemoQueue(MINOR_SAFETY, "escalation",
              "Possible risk to minors, from reports and the age-signal classifier. Leads only; act within the hour.",
              90, 3600, False),
    DemoQueue("Violent & graphic", "review", "Graphic violence, self-harm and adult content. Severe; tight SLA.",
              50, 4 * 3600),
    DemoQueue("Hate & harassment", "review", "Targeted harassment, bullying and hate speech.", 30, 12 * 3600),
    DemoQueue("Spam & scams", "review", "Spam, fake engagement, phishing and fraud.", 10, 24 * 3600),
    DemoQueue("Marketplace counterfeit & IP", "review", "Listings reported as counterfeit or infringing.",
              5, 48 * 3600),
    DemoQueue(QA_AUDIT, "audit", "A sample of recent decisions, re-scored blind by QA.", 20, 72 * 3600, False),
)

#: Which queue a reported category lands in.
CATEGORY_QUEUE = {
    "harassment": "Hate & harassment",
    "hate_speech": "Hate & harassment",
    "violent_graphic": "Violent & graphic",
    "self_harm": "Violent & graphic",
    "adult_nudity": "Violent & graphic",
    "child_safety": MINOR_SAFETY,
    "spam": "Spam & scams",
    "scam_fraud": "Spam & scams",
    "counterfeit_ip": "Marketplace counterfeit & IP",
}

# Category weights per media kind (child-safety items are text-only placeholders).
