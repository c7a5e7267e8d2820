"""Auditors' work: throughput, time per audit, how often they judged a decision wrong, how often a lead overturned them.

QA's own work was invisible (an auditor with nine audits read "no
audits" on the dashboard, which only counts audited *decisions*). This
module makes it a figure like the others, one :class:`AuditorWork` per
auditor:

* ``audits``: audits they scored in the period (the **audit's** time,
  ``scored_at``: "Dana did 9 audits this week" is about when Dana worked);
  ``per_day`` = audits / days in the period up to now (a part day counts
  whole, at least one; an open start begins at their first audit, an end
  after now is now);
* ``minutes_median``: median time from opening the sample to the score
  (imported audits, which have no opening, are left out; n is given);
* ``judged_wrong``: share of their audits scored *incorrect* — how often
  they overturned the moderator — with its Wilson 95 % interval;
* ``overturned``: share of the disputes about their verdicts that a lead
  resolved (upheld + overturned) in which the lead overturned them, with its
  n; and the disputes: opened, still open, upheld, overturned.

Who sees what, checked here like ``audit.metrics.assembly``: a lead sees
every auditor (everyone active with the auditor role, with or without
audits, and anyone who scored audits in the period); anyone else sees only their own
work (an auditor on "My results", ``veil metrics --by auditor``), and a
person who never audited gets nothing.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import operator
import statistics
from dataclasses import dataclass
from typing import Any

from audit import metrics, roles
from audit.store import dashboard as dashboard_sql
from audit.store.dashboard import AuditorTally
from review.clock import parse
from review.store import Store, User

__all__ = ["AuditorWork", "work", "work_json"]


@dataclass(frozen=True)
class AuditorWork:
    """One auditor's QA work over a period (see the module docstring for each figure)."""

    auditor: str
    display_name: str
    audits: int
    days: int
    minutes_median: float | None
    timed: int  # audits with an opening time (the n of minutes_median)
    judged_wrong: metrics.Proportion
    overturned: metrics.Proportion
    disputes_opened: int
    disputes_open: int
    disputes_upheld: int
    holding: int  # open samples assigned to or claimed by them now

    @property
    def per_day(self) -> float:
        return self.audits / self.days

    def as_json(self) -> dict[str, Any]:
        def share(p: metrics.Proportion) -> dict[str, Any]:
            return {"k": p.k, "n": p.n, "rate": p.value, "ci95": list(p.ci95) if p.ci95 else None}

        return {"auditor": self.auditor, "audits": self.audits, "days": self.days, "per_day": self.per_day,
                "minutes_median": self.minutes_median, "timed": self.timed,
                "judged_wrong": share(self.judged_wrong), "overturned": share(self.overturned),
                "disputes": {"opened": self.disputes_opened, "open": self.disputes_open,
                             "upheld": self.disputes_upheld, "overturned": self.overturned.k},
                "holding": self.holding}


def work(store: Store, viewer: User | str, start: str | None, end: str | None, *, own: bool = False
         ) -> list[AuditorWork]:
    """Each auditor's work in [start, end) (canonical UTC text, either bound may be missing), by display name.

    A lead gets every auditor; anyone else, and a lead asking for *own* work ("My results"), only their
    own row (none if they never audited). Counted in SQL with the period and the auditor in the query.
    """
    who = roles.resolve(store, viewer)
    only = who if own or not who.has("lead") else None
    auditor_id = only.id if only is not None else None
    tallies = {t.auditor: t for t in dashboard_sql.auditor_tallies(store, start, end, auditor_id)}
    people = {u.name: u for u in store.users()}
    minutes = _minutes_by_auditor(dashboard_sql.audit_times(store, start, end, auditor_id),
                                  {u.id: u.name for u in people.values()})
    names = set(tallies)
    if only is None:
        names |= {name for name, user in people.items() if user.has("auditor") and user.active}
    elif only.has("auditor"):
        names.add(only.name)
    held = dashboard_sql.open_samples_held(store)
    now = store.clock.now()
    rows = [_summary(name, people[name].display_name if name in people else name, tallies.get(name),
                     minutes.get(name, []), _days(start, end, tallies.get(name), now), held.get(name, 0))
            for name in names]
    return sorted(rows, key=lambda row: row.display_name.casefold())


def _minutes_by_auditor(times: list[tuple[int, int]], names: dict[int, str]) -> dict[str, list[float]]:
    """Each auditor's minutes per audit from (auditor id, milliseconds) rows, split per auditor in C (a team has
    a few auditors and a month tens of thousands of audits).

    The columns are taken with ``itemgetter``, not ``zip(*times)``: that makes an iterator per row, tens of
    thousands of tracked objects alive at once, and each dashboard load paid for a full garbage collection
    (50 ms in the app's process).
    """
    ids, spent = (list(map(operator.itemgetter(column), times)) for column in range(2))
    minutes = list(map(operator.truediv, spent, itertools.repeat(60_000)))
    return {names[auditor]: list(itertools.compress(minutes, map(operator.eq, ids, itertools.repeat(auditor))))
            for auditor in set(ids)}


def work_json(rows: list[AuditorWork]) -> list[dict[str, Any]]:
    return [row.as_json() for row in rows]


def _days(start: str | None, end: str | None, tally: AuditorTally | None, now: _dt.datetime) -> int:
    """Days in the period up to now, a part day counting whole, at least one (an open start: the first audit).

    A period that ends later than now (``--until`` next week) counts only the days so far: the days
    still to come hold no audits yet and would make the rate look low.
    """
    last = min(parse(end), now) if end else now
    if start:
        first = parse(start)
    elif tally is not None:
        first = parse(tally.first_scored_at)
    else:
        return 1
    return max(1, math.ceil((last - first) / _dt.timedelta(days=1)))


def _summary(name: str, display: str, tally: AuditorTally | None, minutes: list[float], days: int,
             holding: int) -> AuditorWork:
    """One auditor's figures. Overturned is a share of the disputes a lead resolved (upheld or overturned):
    an undisputed audit says nothing about whether a lead would overturn it."""
    audits = tally.audits if tally else 0
    upheld = tally.disputes_upheld if tally else 0
    overturned = tally.disputes_overturned if tally else 0
    return AuditorWork(
        auditor=name, display_name=display, audits=audits, days=days,
        minutes_median=statistics.median(minutes) if minutes else None, timed=len(minutes),
        judged_wrong=metrics.proportion(tally.judged_wrong if tally else 0, audits),
        overturned=metrics.proportion(overturned, upheld + overturned),
        disputes_opened=tally.disputes_opened if tally else 0, disputes_open=tally.disputes_open if tally else 0,
        disputes_upheld=upheld, holding=holding,
    )
