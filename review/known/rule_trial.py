"""Testing a rule set against history: what each rule would have done to the items received in a window.

For every item received in a review queue since a time, as it arrived (its manifest's queue, severity and priority,
whatever a rule changed since), the first matching rule (as intake would pick it, with the list matches recorded
when the item arrived) is counted per rule and per target queue (the rule's queue, else the queue the item arrived
in). A case's report counts under the rule its lead matches, as intake routes it after its lead. The rule's
suggested or automated action is compared with the decision people actually gave the item: the item's current
decision, if it is decided and that decision was not automation's (a person's, or a case's decision applied to its
reports). Agreement is the share of those decided items whose action equals the
rule's, with its n. Items are read a page at a time by id, so memory holds one page and the counters, whatever
the window. A lead's, like checking: nothing is stored.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from review import auth
from review.clock import iso, normalise
from review.known import list_matching, routing
from review.known import rules as rule_format
from review.store import Store, User
from review.store import rules as rows
from review.taxonomy import Taxonomy

PAGE = 2_000  # items per read
_SINCE = re.compile(r"^\s*(\d{1,5})\s*([dh])\s*$")


@dataclass
class RuleFigures:
    """What one rule would have done: items matched, by target queue, and agreement with people's decisions."""

    name: str
    effect: str
    action: str | None
    automated: bool
    matched: int = 0
    queues: Counter[str] = field(default_factory=Counter)
    decided: int = 0  # matched items people decided
    agreeing: int = 0  # of those, decided with the rule's action

    @property
    def agreement(self) -> float | None:
        """Share of decided items people gave the rule's action; None without an action or without n."""
        return self.agreeing / self.decided if self.action and self.decided else None

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.name, "effect": self.effect, "matched": self.matched, "queues": dict(self.queues),
                "action": self.action, "automated": self.automated,
                "decided": self.decided if self.action else None, "agreeing": self.agreeing if self.action else None,
                "agreement": None if self.agreement is None else round(self.agreement, 4)}


@dataclass
class Trial:
    """The figures of a test run: the window, items read, items no rule matched, and each rule's figures."""

    since: str
    items: int
    unmatched: int
    rules: list[RuleFigures]

    def as_json(self) -> dict[str, Any]:
        return {"since": self.since, "items": self.items, "unmatched": self.unmatched,
                "rules": [r.as_json() for r in self.rules]}


def since_time(text: str, now: _dt.datetime) -> str:
    """``30d``, ``12h`` or an ISO date/time → the canonical time the window starts; ValueError in words."""
    if (match := _SINCE.match(text)) is not None:
        amount = int(match[1])
        return iso(now - (_dt.timedelta(days=amount) if match[2] == "d" else _dt.timedelta(hours=amount)))
    try:
        return normalise(text.strip())
    except (ValueError, TypeError):
        raise ValueError(f"--since {text!r}: say a number of days or hours (30d, 12h) or a date (2026-01-01)") from None


def trial(store: Store, who: User | str, text: str, source: str, since: str, *, policy: Taxonomy | None = None,
          progress: Callable[[int, int], object] | None = None) -> Trial:
    """Run the rule set in *text* over the items received since *since* (canonical time); a lead's.

    *progress* (done, total) is told after each page.
    """
    auth.require(store, who, "lead", to=routing.READ)
    rule_set = rule_format.parse(text, source, routing.context(store, policy))
    figures = {rule.name: RuleFigures(rule.name, rule_format.describe(rule), rule.action, rule.automated)
               for rule in rule_set.rules}
    queue_names = {queue_id: q.name for queue_id, q in rows.queue_rows(store).items()}
    total, done, unmatched, after = rows.count_received(store, since), 0, 0, 0
    while page := rows.items_received(store, since, after_id=after, limit=PAGE):
        leads = rows.items_as_received(store, {f.case_of for f, _ in page if f.case_of is not None})
        matches = list_matching.matches_of(store, [*(f.id for f, _ in page), *leads]) if rule_set.uses_lists else {}
        for item, human in page:
            judged = leads.get(item.case_of, item) if item.case_of is not None else item
            rule = rule_set.first_match(rule_format.Item(judged.kind, judged.severity,
                                                         json.loads(judged.metadata or "{}"),
                                                         matches.get(judged.id, ())))
            if rule is None:
                unmatched += 1
                continue
            counted = figures[rule.name]
            counted.matched += 1
            counted.queues[rule.queue or queue_names.get(item.queue_id, "?")] += 1
            if rule.action and item.state == "decided" and human is not None:
                counted.decided += 1
                counted.agreeing += human == rule.action
        done += len(page)
        after = page[-1][0].id
        if progress is not None:
            progress(done, max(total, done))
    return Trial(since, done, unmatched, list(figures.values()))
