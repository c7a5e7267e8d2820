"""The demo's roster and rotation rule: a planned week, so the Roster page shows coverage (and its gaps) at once.

A lead's work, done as the demo lead through ``review.planning`` (the same
checks and events as the Roster page): today and the next six days. The
moderators work three overlapping day shifts (early, middle, late), each
a few blocks on different queues with two hours on the severe queue, and
move to the next shift every two days; each has one day a week off and one
"mild" day in three without the severe block, so nobody breaks the rule.
The lead works the two escalation queues in office hours. Nights are
nobody's, as on a small real team, and three people cannot cover six
queues at once: those hours are the gaps the page shows. One rotation rule
is set: "Violent & graphic" is severe, at most two hours of it a day and
three days in a row.
"""

from __future__ import annotations

import datetime as _dt

from desktop.demo.team import LEAD, LEAD_ESCALATIONS, MINOR_SAFETY, MODERATORS
from review.planning import roster, rotation
from review.store import Store

DAYS = 7
SEVERE = "Violent & graphic"
SEVERE_MINUTES = 120
SEVERE_DAYS = 3
Block = tuple[str, str, str]  # starts, ends, queue
#: The moderators' shifts as blocks, and the queue each one's severe block becomes on a mild day.
SHIFTS: tuple[tuple[tuple[Block, ...], str], ...] = (
    ((("06:00", "08:00", SEVERE), ("08:00", "14:00", "Hate & harassment")), "Hate & harassment"),
    ((("10:00", "14:00", "Marketplace counterfeit & IP"), ("14:00", "16:00", SEVERE),
      ("16:00", "18:00", "Spam & scams")), "Marketplace counterfeit & IP"),
    ((("14:00", "18:00", "Hate & harassment"), ("18:00", "20:00", SEVERE), ("20:00", "22:00", "Spam & scams")),
     "Spam & scams"),
)
ROTATE_DAYS = 2
LEAD_BLOCKS: tuple[Block, ...] = (("09:00", "13:00", LEAD_ESCALATIONS), ("13:00", "17:00", MINOR_SAFETY))


def plan_roster(store: Store, now: _dt.datetime) -> int:
    """Set the rotation rule and roster today and the next days as the demo lead; the number of shifts added."""
    rotation.set_rules(store, LEAD, severe_queues=[SEVERE], max_minutes=SEVERE_MINUTES, max_days=SEVERE_DAYS)
    added = 0
    for offset in range(DAYS):
        day = (now.date() + _dt.timedelta(days=offset)).isoformat()
        for number, person in enumerate((*MODERATORS, LEAD)):
            if (number + offset) % 7 == 6:  # each person's day off falls on another day, none today or tomorrow
                continue
            if person == LEAD:
                blocks = LEAD_BLOCKS
            else:
                blocks, mild = SHIFTS[(number + offset // ROTATE_DAYS) % len(SHIFTS)]
                if (number + offset) % 3 == 0:  # a mild day: the severe block on a milder queue
                    blocks = _joined(tuple((s, e, mild if q == SEVERE else q) for s, e, q in blocks))
            for starts, ends, queue in blocks:
                roster.add_shift(store, LEAD, person, day, starts, ends, [queue])
                added += 1
    return added


def _joined(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """Adjoining blocks on the same queue as one (a shift row per stretch on a queue)."""
    joined: list[Block] = []
    for starts, ends, queue in blocks:
        if joined and joined[-1][1] == starts and joined[-1][2] == queue:
            joined[-1] = (joined[-1][0], ends, queue)
        else:
            joined.append((starts, ends, queue))
    return tuple(joined)
