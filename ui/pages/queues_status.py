"""What the Queues page's Status column says for the person signed in: why a queue does not serve them now.

The page lists the queues a person may work, yet a gate (a course not
passed), their shift or a rotation rule can still keep one from them:
they should read that before pressing Enter, not after. The words are
``review.serving.why_not_served``'s, the same the review page says, read
on the worker with the rows; the cell shows the rule (its first clause),
the tooltip and screen readers the whole sentence with what to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from review import serving
from review.store import QueueHealth, Store, User

CELL_CHARACTERS = 48  # longer rules are cut with "…" in the cell; the tooltip has them whole
#: The roster's refusal (review.planning.rotation) names every queue of the shift; the cell only says when it ends.
SHIFT = re.compile(r"Your shift until (?P<ends>\S+ UTC) is on ")


def not_served(store: Store, user: User, rows: Sequence[QueueHealth]) -> dict[int, str]:
    """Queue id → why *user* is not served it now, for the active queues of the kinds they work."""
    current = store.user(user.name)
    kinds = serving.worked_kinds(current)
    notes = {}
    for health in rows:
        queue = health.queue
        if queue.paused or queue.kind not in kinds:  # "Paused" says itself; QA queues are not served
            continue
        why = serving.why_not_served(store, current, queue.name)
        if why:
            notes[queue.id] = why
    return notes


def status_words(queue_name: str, why: str) -> str:
    """The rule of *why* for the cell: "Needs the course “Spam basics”", "Not in your shift (until 14:00 UTC)"."""
    if shift := SHIFT.match(why):
        return f"Not in your shift (until {shift['ends']})"
    text = why.removeprefix(f"“{queue_name}” ").replace(f", not “{queue_name}”", "")
    depth = 0
    for at, character in enumerate(text):  # the first ": " outside quoted names ends the rule
        depth += {"“": 1, "”": -1}.get(character, 0)
        if depth == 0 and text.startswith(": ", at):
            text = text[:at]
            break
    text = text[:1].upper() + text[1:]
    return text if len(text) <= CELL_CHARACTERS else text[:CELL_CHARACTERS - 1].rstrip() + "…"
