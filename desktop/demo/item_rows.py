"""The demo items' rows: report metadata a reviewer sees, received times, and which items were decided.

Each row carries what a T&S tool shows next to a report: category, a
one-line description, the report reason and reporter count, the surface,
the author's account age and strikes, listing title and price for
marketplace items. Nothing about escalations: those are facts of the
store (``review.escalations``), written by ``review_data``.
"""

from __future__ import annotations

import datetime as _dt
import random

from desktop.demo import posts
from desktop.demo.plan import PlannedItem
from desktop.demo.team import DEMO_QUEUES, LEAD_ESCALATIONS, MINOR_SAFETY
from review.clock import iso

_PHRASE = {"harassment": "harassment", "hate_speech": "hate speech", "violent_graphic": "graphic violence",
           "self_harm": "self-harm", "adult_nudity": "adult nudity", "child_safety": "a possible minor-safety risk",
           "spam": "spam", "scam_fraud": "a suspected scam", "counterfeit_ip": "counterfeit goods"}

_REPORT_REASONS = {
    "harassment": ("Bullying or harassment", "Targets me or someone I know"),
    "hate_speech": ("Hate speech or symbols",),
    "violent_graphic": ("Violence or graphic content", "Threat of violence"),
    "self_harm": ("Suicide or self-injury",),
    "adult_nudity": ("Nudity or sexual activity",),
    "child_safety": ("Child safety concern", "Classifier: age signal"),
    "spam": ("Spam", "Fake engagement"),
    "scam_fraud": ("Scam or fraud", "Phishing link"),
    "counterfeit_ip": ("Counterfeit product", "Intellectual property infringement"),
}

_SURFACES = {
    "text": ("comment", "post", "direct message", "group chat", "product review"),
    "image": ("post", "profile photo", "story", "comment"),
    "gif": ("comment", "direct message"),
    "video": ("video post", "story", "live stream clip"),
    "listing": ("listing",),
}

#: Surfaces whose posts sit in a conversation: their demo items carry some of it (``thread``).
_THREADED = ("comment", "group chat", "direct message")
#: How far back the decided items reach: five weeks, so last week's and last month's exports have data.
HISTORY_SECONDS = 35 * 24 * 3600
#: Decided items an escalation queue gets at least (a lead's calls give it a handle time to plan with).
ESCALATION_DECISIONS = 2
#: Those lead decisions are recent: the forecast measures handle time over the last week.
RECENT_SECONDS = 5 * 24 * 3600


def item_rows(
    planned: list[PlannedItem], rng: random.Random, now: _dt.datetime, severities: dict[str, str]
) -> list[dict]:
    """Item rows (without media fields) and received times; marks which items get past decisions.

    Decided items arrived over the last five weeks, most in recent days (``age ** 2``); waiting ones
    within their queue's SLA or so. Each escalation queue has a few recent lead decisions.
    """
    sla = {q.name: q.sla_seconds for q in DEMO_QUEUES}
    # About 30 % decided, older items more likely: weighted sampling without replacement.
    target = round(len(planned) * 0.3)
    ages = [rng.uniform(0, 1) for _ in planned]
    keys = sorted(range(len(planned)), key=lambda n: rng.random() ** (1 / (0.3 + ages[n])), reverse=True)
    for n in keys[:target]:
        planned[n].decided = True
    recent = _escalation_decisions(planned)
    rows = []
    for item, age in zip(planned, ages):
        if item.index in recent:
            seconds = 1800 + age * (RECENT_SECONDS - 1800)
        elif item.decided:
            seconds = 1800 + age ** 2 * (HISTORY_SECONDS - 1800)
        else:
            seconds = 60 + sla[item.queue] * 1.2 * (age ** 1.3)
            seconds = min(seconds, 72 * 3600)
        item.received_at = now - _dt.timedelta(seconds=round(seconds, 3))
        rows.append(_row(item, rng, severities))
    return rows


def _escalation_decisions(planned: list[PlannedItem]) -> set[int]:
    """Make sure each escalation queue has ESCALATION_DECISIONS decided items; the indexes of those to keep recent.

    Moderators escalated them and the lead decided: decided items the plan left in a review queue are
    moved up (picked by their number, so no random draw shifts), minor-safety ones from its own category.
    """
    recent: set[int] = set()
    for queue in (LEAD_ESCALATIONS, MINOR_SAFETY):
        there = [item for item in planned if item.decided and item.queue == queue]
        movable = [item for item in planned if item.decided and item.queue not in (LEAD_ESCALATIONS, MINOR_SAFETY)]
        for item in movable[::7][:max(0, ESCALATION_DECISIONS - len(there))]:
            item.queue, item.escalated = queue, True
            there.append(item)
        recent.update(item.index for item in there[:ESCALATION_DECISIONS])
    return recent


def _row(item: PlannedItem, rng: random.Random, severities: dict[str, str]) -> dict:
    category = item.category
    # Marketplace: listing photos, and most English text reports about counterfeits.
    listing = item.listing or (category == "counterfeit_ip" and item.kind == "text" and item.language == "en"
                               and rng.random() < 0.7)
    surface = rng.choice(_SURFACES["listing" if listing else item.kind])
    noun = {"text": "Post", "image": "Image", "gif": "Animated GIF", "video": "Video"}[item.kind]
    if item.kind == "text":
        noun = {"comment": "Comment", "direct message": "Message", "group chat": "Message",
                "product review": "Product review"}.get(surface, "Post")
        text = posts.post_text(category, item.language, item.violating, rng)
    else:
        text = posts.post_text(category, "en", item.violating, rng) if rng.random() < 0.5 else ""
    if listing:
        noun = "Listing"
    source = rng.choices(("user report", "classifier", "trusted flagger"), weights=(75, 18, 7))[0]
    if category == "child_safety" and rng.random() < 0.5:
        source = "classifier"
    reporters = 0 if source == "classifier" else min(60, int(rng.expovariate(1 / 3)) + 1)
    metadata: dict = {
        "category": category,
        "description": f"{noun} reported for {_PHRASE[category]}",
        "report_reason": rng.choice(_REPORT_REASONS[category]),
        "reporter_count": reporters,
        "source": source,
        "surface": surface,
        "language": item.language if item.kind == "text" else "en",
        "author": _author(rng),
        "account_age_days": int(rng.expovariate(1 / 300)) + 1,
        "prior_strikes": rng.choices((0, 1, 2, 3), weights=(70, 18, 8, 4))[0],
        "demo": True,
    }
    if item.kind == "text" and surface in _THREADED and (item.language in ("ar", "emoji") or item.index % 3 == 0):
        # The posts around it (issue 14 §1), from a generator of their own: the demo's other draws stay as they were.
        metadata["thread"] = posts.thread(item.language, random.Random(item.index))
    if source == "classifier":
        metadata["classifier_score"] = round(rng.uniform(0.55, 0.99), 2)
    if listing:
        currency, symbol = rng.choice((("EUR", "€"), ("USD", "$"), ("GBP", "£")))
        title, text = posts.listing(item.violating, rng)
        metadata.update(listing_title=title,
                        price=f"{rng.randint(9, 499)}.{rng.choice(('00', '50', '99'))}", currency=currency,
                        seller=f"shop_{rng.randint(100, 999)}")
        metadata["price_display"] = f"{symbol}{metadata['price']}"
    priority = 0
    if source == "trusted flagger" or reporters >= 12:
        priority = 1
    kind = {"gif": "image"}.get(item.kind, item.kind)
    if item.listing:
        kind = "mixed"  # a photo and its listing text
    return {
        "external_id": f"demo-{item.index + 1:05d}",
        "kind": kind,
        "text": text,
        "metadata": metadata,
        "severity": severities[category],
        "priority": priority,
        "received_at": iso(item.received_at),
        "queue_name": item.queue,
    }


# A third of the posts come from a few repeat accounts, so the review page's account history
# (issue 14: "an author with history") shows on the demo; the rest are one-off accounts.
REPEAT_AUTHORS = tuple(f"user_{n}" for n in (10412, 23377, 31908, 48815, 52260, 67143, 79521, 88034))


def _author(rng: random.Random) -> str:
    return rng.choice(REPEAT_AUTHORS) if rng.random() < 0.35 else f"user_{rng.randint(10000, 99999)}"
