"""Automation audited like people: each rule's automation rate, audited accuracy, exposure spared, and its floor.

Figures per rule over a window (the dashboard's :data:`audit.dashboard.ACCURACY_DAYS`):

* **automation rate**: the rule's automated decisions made in the window (revoked ones included: they were
  made) / every item received in the window;
* **audited accuracy**: its audited decisions judged correct (final verdicts, after disputes) / audited,
  with the Wilson 95 % interval and n (``audit.metrics.proportion``, as people's accuracy);
* **exposure spared**: for each of its decisions still standing, the median on-screen time per item that a
  person's decision in the same queue carried (the exposure ledger, over the same window), summed. A queue
  where no person's decision carried any exposure spares nothing (there is no median to claim).

**The floor.** Each rule must stay at or above the organisation's ``automation_floor`` (default 0.95). It
is judged on the audits of decisions the rule made since it last started deciding (since it was resumed,
else ever), once there are at least ``automation_min_audits`` of them (default 10: one unlucky audit must not
stop a good rule): when the upper bound of the interval is then below the floor, the interval says the rule is
worse than the floor, and :func:`judge` suspends it (``review.known.automation.suspend``): its outcomes become
suggestions, an ``automation.suspended`` event says why, and leads see it on the dashboard and when they
sign in (:func:`notice`). A lead resumes it (``review.known.automation.resume``, a reason required).

Only a scored audit lowers a rule's audited accuracy, so :func:`judge_after_scoring` judges right after each
(``audit.audits.score``): a rule below its floor stops before its next decision, not when a lead next looks.
Review's ``apply`` cannot judge (review never imports audit); it reads the suspension this keeps current.
"""

from __future__ import annotations

import datetime as _dt
import statistics
from dataclasses import dataclass

from audit import metrics, roles
from audit.store import automation as automation_sql
from review import settings
from review.clock import iso
from review.known import automation as review_automation
from review.store import Store, User, server_roles

DAYS = 28  # the dashboard's accuracy window (audit.dashboard.ACCURACY_DAYS)


def _checked_floor(value: float) -> float:
    if isinstance(value, bool) or not 0 < float(value) <= 1:
        raise ValueError("the automation floor is a share of decisions judged correct, above 0 and at most 1")
    return float(value)


FLOOR = settings.declare(
    "automation_floor", settings.ORGANISATION, float, 0.95, changed_by="lead", check=_checked_floor,
    describe="The audited accuracy below which a rule's automated decisions stop: once the upper bound of its "
             "Wilson 95 % interval falls under this share, the rule only suggests until a lead resumes it.")


def _checked_min_audits(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise ValueError("the minimum number of audits before a rule is judged is a whole number from 1 to 10000")
    return value


MIN_AUDITS = settings.declare(
    "automation_min_audits", settings.ORGANISATION, int, 10, changed_by="lead", check=_checked_min_audits,
    describe="How many audits of a rule's automated decisions (since it last started deciding) Veil waits for "
             "before judging the rule against its floor: fewer would let one unlucky audit stop a good rule.")


@dataclass(frozen=True)
class RuleFigures:
    """One rule's automation over the window, and whether it may decide now."""

    rule: str
    version: int  # the latest version that decided (0: it never decided)
    decisions: int
    revoked: int
    received: int  # every item received in the window: the rate's denominator
    accuracy: metrics.Proportion
    spared_ms: int
    suspended_since: str | None  # None: it decides

    @property
    def rate(self) -> float | None:
        return self.decisions / self.received if self.received else None

    def as_json(self) -> dict[str, object]:
        return {"rule": self.rule, "version": self.version, "decisions": self.decisions, "revoked": self.revoked,
                "received": self.received, "rate": self.rate, "audited": self.accuracy.n,
                "correct": self.accuracy.k, "accuracy": self.accuracy.value,
                "interval": list(self.accuracy.ci95) if self.accuracy.ci95 else None,
                "exposure_spared_ms": self.spared_ms, "suspended": self.suspended_since is not None,
                "suspended_since": self.suspended_since}


def floor(store: Store) -> float:
    """The organisation's accuracy floor for automated decisions."""
    return float(settings.read(store, FLOOR))


def figures(store: Store, who: User | str, *, since: str | None = None, until: str | None = None,
            days: int = DAYS) -> list[RuleFigures]:
    """Every rule's figures over [*since*, *until*) (default: the last *days* days up to now), by name; leads
    and auditors."""
    roles.require(store, who, "lead", "auditor", to="see automation's figures")
    if since is None:
        since = iso(store.clock.now() - _dt.timedelta(days=days))
    counts = {c.rule: c for c in automation_sql.rule_counts(store, since, until)}
    audited = automation_sql.verdicts(store, since, until)
    received = automation_sql.received(store, since, until)
    spared = _spared(store, since, until)
    suspended = review_automation.suspended_rules(store)
    shown = []
    for rule, version in automation_sql.known_rules(store).items():
        count = counts.get(rule)
        shown.append(RuleFigures(
            rule, version, count.decisions if count else 0, count.revoked if count else 0, received,
            metrics.proportion(*audited.get(rule, (0, 0))), spared.get(rule, 0), suspended.get(rule)))
    return shown


def for_metrics(store: Store, who: User, since: str | None, until: str | None) -> list[dict[str, object]] | None:
    """``veil metrics --json``'s ``automation``: each rule's figures over the report's period (None: every
    decision), for a lead or an auditor; None for anyone else (a moderator's report is their own work)."""
    if not (who.has("lead") or who.has("auditor")):
        return None
    return [f.as_json() for f in figures(store, who, since=since or "", until=until)]


def _spared(store: Store, since: str | None, until: str | None) -> dict[str, int]:
    """Rule → the exposure its standing decisions spared people (module docstring), in ms."""
    standing = automation_sql.standing_by_queue(store, since, until)
    queue_ids = {q for by_queue in standing.values() for q in by_queue}
    per_item = automation_sql.human_exposure_per_item(store, sorted(queue_ids), since[:10] if since else None)
    median = {q: statistics.median(times) for q, times in per_item.items() if times}
    return {rule: int(sum(n * median.get(q, 0) for q, n in by_queue.items())) for rule, by_queue in standing.items()}


def judge(store: Store) -> list[str]:
    """Suspend every deciding rule whose audited accuracy is now judged below the floor; the rules suspended.

    Veil's own act (no person's role is needed: a rule below its floor must stop whoever looks), run after
    every scored audit (:func:`judge_after_scoring`) and when figures are read (a lead's sign-in, the
    dashboard, ``veil automation status``). One grouped query; nothing to do without audited automation.
    """
    limit, minimum = floor(store), int(settings.read(store, MIN_AUDITS))
    stopped = []
    for rule, (k, n, since) in automation_sql.deciding_verdicts(store).items():
        interval = metrics.wilson_interval(k, n)
        if n < minimum or interval is None or interval[1] >= limit:
            continue
        why = {"correct": k, "audited": n, "interval": list(interval), "floor": limit, "min_audits": minimum,
               "since": since}
        if review_automation.suspend(store, rule, why):
            stopped.append(rule)
    return stopped


def judge_after_scoring(store: Store, scorer: User) -> list[str]:
    """:func:`judge`, right after *scorer* scored an audit; the rules suspended.

    On a server store that enforces roles only a lead's session (or the owner's) may write Veil's suspension, so
    an auditor scoring on their own role leaves the judgement to the next lead's sign-in, dashboard or status
    (said in docs/automation.md).
    """
    if server_roles.connected_person(store) is not None and not scorer.has("lead"):
        return []
    return judge(store)


def notice(store: Store, who: User | str) -> str | None:
    """What a lead is told when they sign in while rules are suspended; None for others, or when none is."""
    user = store.user(who) if isinstance(who, str) else who
    if not user.has("lead"):
        return None
    suspended = review_automation.suspended_rules(store)
    if not suspended:
        return None
    names = ", ".join(sorted(suspended))
    return (f"Automation suspended below its accuracy floor: {names}. Their outcomes are only suggested until "
            "a lead resumes them (Dashboard ▸ Automation, or veil automation resume).")
