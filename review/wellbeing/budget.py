"""The daily severe-content budget: its level, a lead's lifts, and the serving rule it implies.

Severe time is counted from the exposure ledger against the policy's daily
budget plus today's lifts. At the warning share the person is told; once it
is spent ``serving.claim_next`` gets ``severe="never"`` until a lead lifts
it, with a recorded reason. After K severe items in a row milder ones are
preferred (``"prefer_mild"``), so a run of severe content is broken up even
within the budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from review import auth
from review.store import Store, User
from review.store import wellbeing as ws
from review.wellbeing.durations import MINUTE_MS, format_duration
from review.wellbeing.lead_view import exposure_subject
from review.wellbeing.policy import LIMITS, WellbeingError, WellbeingPolicy, load_policy

SEVERE = "severe"

ServingRule = Literal["allow", "prefer_mild", "never"]
BudgetLevel = Literal["ok", "warning", "reached"]

LEVEL_RANK: dict[BudgetLevel, int] = {"ok": 0, "warning": 1, "reached": 2}


def trailing_severe(severities: Iterable[str | None]) -> int:
    """How many of the most recent items, counting back, were severe."""
    run = 0
    for severity in reversed(list(severities)):
        if severity != SEVERE:
            break
        run += 1
    return run


def budget_level_for(used_ms: int, budget_ms: int, warning_pct: float) -> BudgetLevel:
    """Where *used_ms* stands against *budget_ms*: ok, warning (at *warning_pct* %), reached."""
    if used_ms >= budget_ms:
        return "reached"
    if used_ms * 100 >= budget_ms * warning_pct:
        return "warning"
    return "ok"


def budget_notice(level: BudgetLevel, used_ms: int, budget_ms: int, policy: WellbeingPolicy) -> str:
    """What the person is told when the budget reaches *level* ("warning" or "reached")."""
    if level == "warning":
        return (f"{format_duration(used_ms)} of today's {format_duration(budget_ms)} on severe items used "
                f"({policy.budget_warning_pct:g} %). Milder items come once it is spent.")
    return (f"Today's time on severe items is used up ({format_duration(budget_ms)}). You will get milder items for "
            "the rest of the day.")


@dataclass(frozen=True)
class Budget:
    used_ms: int
    budget_ms: int
    lifted_ms: int
    level: BudgetLevel


def budget_status(store: Store, viewer: User | str, person: User | str, policy: WellbeingPolicy | None = None,
                  day: str | None = None) -> Budget:
    """*person*'s severe time today (or on *day*) against the budget, from the ledger, as *viewer* asks.

    Severe minutes are exposure figures: readable by the person and by leads
    (their duty of care, as on the dashboard), NotAllowed for anyone else.
    """
    subject = exposure_subject(store, viewer, person)
    policy = policy or load_policy(store)
    day = day or store.now()[:10]
    used = ws.severe_ms(store, subject.id, day)
    lifted = ws.lifted_ms(store, subject.id, day)
    budget = policy.budget_ms + lifted
    return Budget(used, budget, lifted, budget_level_for(used, budget, policy.budget_warning_pct))


def serving_rule(
    store: Store, user: User, recent_severities: Sequence[str | None], policy: WellbeingPolicy | None = None
) -> ServingRule:
    """The ``severe=`` argument for ``serving.claim_next`` for this person now.

    ``"never"`` once the day's severe budget is spent (until a lead lifts it);
    ``"prefer_mild"`` after K severe items in a row (``claim_next`` still
    serves a severe item if nothing milder waits); else ``"allow"``.
    *recent_severities* are the severities of the person's latest items, oldest first.
    """
    policy = policy or load_policy(store)
    if budget_status(store, user, user, policy).level == "reached":
        return "never"
    if trailing_severe(recent_severities) >= policy.severe_in_a_row:
        return "prefer_mild"
    return "allow"


def lift_budget(store: Store, lead: User | str, user: User | str, reason: str, minutes: float | None = None) -> Budget:
    """A lead extends *user*'s severe budget for today by *minutes* (policy default), with a reason.

    Recorded in ``wellbeing_lifts``, as a ``budget_lifted`` wellbeing event
    and in the event log, under the lead's name. Bounded: a lift is never
    unlimited, and a second one needs a second reason. Refused for a
    deactivated person: they are served nothing, and a lift recorded for
    them would stand in the dashboard as if they worked on.
    """
    who = auth.require(store, lead, "lead", to="lift a severe-content budget")
    person = auth.active_person(store, user)
    if not reason or not reason.strip():
        raise WellbeingError("a lift needs a reason (it is recorded)")
    policy = load_policy(store)
    minutes = policy.lift_default_min if minutes is None else minutes
    low, high, _ = LIMITS["lift_default_min"]
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not low <= minutes <= high:
        raise WellbeingError(f"a lift is between {low:g} and {high:g} minutes")
    ws.add_lift(store, who, person, store.now()[:10], round(minutes * MINUTE_MS), reason.strip())
    return budget_status(store, who, person, policy)
