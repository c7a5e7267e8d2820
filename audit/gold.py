"""Gold items: items with a known answer, slipped unmarked into review queues.

A gold item is an ordinary item plus a ``gold_items`` row holding the
expected action and labels; nothing on the item says so. When a decision
*closes* a gold item, it is scored automatically (:func:`score_gold`): the
review desk (``review.desk.ReviewDesk``) calls :func:`after_decision` after
each stored decision, on the same writer connection, so every front end's
decisions are scored. The hook is safe inside the decision's transaction
(it joins it) as well as after it (it is then its own transaction).
An escalation does not close the item, so it is not scored; the decision
that finally closes it (a lead's, in the escalation queue) is.

Scoring: ``correct`` iff the action equals the expected action and the set
of labels equals the expected set; ``action_correct`` and
``labels_correct`` keep the two halves apart. A decision later undone keeps
its result row (history), but metrics count only results of decisions that
were not revoked.

The moderator is never told: the result goes to ``gold_results`` and the
event log, and to leads through ``veil metrics`` and the QA setup page
(:func:`gold_items`: each gold item with its copies and scores so far).

A lead retires a gold item (:func:`retire_gold`) when its answer no longer
holds or it has been seen too often: from then on it and its copies are
neither planted nor scored; its answer and past results stay. Defining,
planting and retiring are a lead's, one event each (``gold.defined`` with
the old and new answer, ``gold.planted``, ``gold.retired``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import random
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.store import gold as gold_rows
from audit.store import training as course_rows
from review.clock import iso, parse
from review.errors import VeilError
from review.store import Refused, Store, User

#: The longest explanation a gold answer carries (a short why, not a policy page).
EXPLANATION_LIMIT = 500
#: The most copies one planting adds to a queue.
COPIES_LIMIT = 50
#: Queue kinds a copy may go into: review queues only. An escalation queue holds what a moderator sent up,
#: with who sent it and why; an item that arrived there by itself would stand out.
PLANT_KINDS = ("review",)
#: How many of a queue's newest items a copy is made to look like (its id's shape, its arrival time).
RECENT_ARRIVALS = 50
_NUMBERED = re.compile(r"(.*?)(\d+)")


class GoldError(VeilError, ValueError):
    """A gold answer that does not fit the taxonomy; the message says why."""


@dataclass(frozen=True)
class GoldResult:
    decision_id: int
    item_id: int
    user: str
    correct: bool
    action_correct: bool
    labels_correct: bool
    expected_action: str
    expected_labels: tuple[str, ...]


@dataclass(frozen=True)
class GoldItem:
    """A gold item as the lead's list shows it: its answer, its copies, and how decisions on them scored."""

    item_id: int
    external_id: str
    queue: str
    kind: str
    action: str
    labels: tuple[str, ...]
    explanation: str
    created_by: str
    created_at: str
    retired_at: str | None
    copies: int  # planted copies, ever
    waiting: int  # copies still pending in a queue
    scored: int  # scored decisions on it and its copies (undone ones left out)
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.scored if self.scored else None

    def as_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "labels": list(self.labels), "accuracy": self.accuracy}


@dataclass(frozen=True)
class ItemMatch:
    """An item a lead may mark gold, found by its id or external id."""

    id: int
    external_id: str
    queue: str
    kind: str
    text: str
    state: str
    action: str | None  # its current decision, the usual answer to start from
    labels: tuple[str, ...]
    gold_action: str | None  # set when it already is gold, with its answer's labels and explanation
    gold_labels: tuple[str, ...] = ()
    gold_explanation: str = ""


def add_gold(store: Store, lead: User | str, item_id: int, action: str, labels: Sequence[str] = (),
             *, explanation: str = "", taxonomy: Any = None, source_item_id: int | None = None) -> GoldItem | None:
    """Mark an existing item as gold with its expected answer, or change the answer (a lead's action).

    The answer is checked against *taxonomy* when given; its copies take
    the new answer too (results already scored keep theirs). Returns the
    item's row of :func:`gold_items` (None for an item given a *source*,
    i.e. a copy).
    """
    user = roles.require(store, lead, "lead", to="define gold items")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    if not (action or "").strip():
        raise GoldError("a gold answer needs an action")
    expected = sorted(set(labels))
    explanation = (explanation or "").strip()
    if len(explanation) > EXPLANATION_LIMIT:
        raise GoldError(f"the explanation is {len(explanation)} characters; keep it under {EXPLANATION_LIMIT}")
    if taxonomy is not None:
        problem = taxonomy.check(action, expected, "-")  # an answer key has no note
        if problem:
            raise GoldError(problem)
    try:
        gold_rows.mark(store, user.name, item_id, action, expected, explanation, source_item_id)
    except Refused as refused:
        if refused.reason == "retired":
            raise GoldError(f"item {item_id} is a retired gold item; its answer stays as it was") from None
        raise KeyError(f"no item with id {item_id}") from None
    rows = gold_rows.listing(store, item_id)
    return _gold_item(rows[0]) if rows else None


def plant_gold(store: Store, lead: User | str, gold_item_id: int, queue: str, copies: int = 1) -> list[int]:
    """Put *copies* fresh copies of a gold item into a review queue, pending; returns their item ids.

    A copy has the original's media, text and metadata, and nothing that
    tells it apart from the queue's own reports (:func:`copy_identities`):
    an external id shaped like theirs, its own arrival time among their
    recent ones, and no content hashes, so "Seen before" cannot show the
    original's decision (the answer).
    """
    user = roles.require(store, lead, "lead", to="plant gold items")
    if isinstance(copies, bool) or not isinstance(copies, int) or not 1 <= copies <= COPIES_LIMIT:
        raise GoldError(f"plant from 1 to {COPIES_LIMIT} copies at a time (got {copies!r})")
    target = store.queue(queue)
    if target.kind not in PLANT_KINDS:
        raise GoldError(f"{queue!r} is an {target.kind} queue; gold copies go into a review queue")
    teaching = course_rows.courses_holding(store, gold_item_id)
    if teaching:  # a trainee was shown its answer: planted, it would score them on what they were just told
        raise GoldError(f"gold item {gold_item_id} is in the training course {', '.join(map(repr, teaching))}: "
                        "trainees have seen its answer, so it cannot score them in a live queue")

    def identities() -> list[tuple[str, str]]:
        return copy_identities(gold_rows.recent_arrivals(store, target.id, RECENT_ARRIVALS),
                               lambda prefix, here: gold_rows.ids_starting_with(store, prefix,
                                                                                 target.id if here else None),
                               store.now(),
                               target.sla_seconds, copies, random.SystemRandom())

    try:
        return gold_rows.plant(store, user.name, gold_item_id, target.id, queue, identities)
    except Refused as refused:
        if refused.reason == "id_taken":
            raise GoldError("another item took a copy's external id meanwhile; plant again") from None
        if refused.reason == "retired":
            raise GoldError(f"gold item {gold_item_id} is retired; it is no longer planted") from None
        if refused.reason == "merged":
            raise GoldError(f"{queue!r} was merged into another queue; plant into that one") from None
        raise KeyError(f"item {gold_item_id} is not a gold item") from None


def copy_identities(recent: Sequence[tuple[str, str]], ids_starting_with: Callable[[str, bool], set[str]],
                    now: str, sla_seconds: int, copies: int, rng: random.Random) -> list[tuple[str, str]]:
    """(external id, received at) for each of *copies* new copies, alike the queue's *recent* arrivals.

    *ids_starting_with(prefix, here)* gives the store's external ids that
    start with *prefix*, or the queue's only when *here*. The id: when
    most recent ids are a prefix and a fixed width of digits
    ("demo-00022"), the same prefix and width with a number the queue has
    already passed (:func:`_free_numbers`); otherwise the recent ids'
    common start, the rest drawn from the characters they use. Arrival
    times are distinct, spread from the oldest recent arrival to *now*, but
    never more than half the queue's SLA ago (a copy is not born late).
    """
    ids = [external for external, _ in recent]
    end = parse(now)
    start = max(parse(min(received for _, received in recent)) if recent else end - _dt.timedelta(hours=1),
                end - _dt.timedelta(seconds=sla_seconds / 2))
    span_ms = max(int((end - start).total_seconds() * 1000), copies * 1000)
    received = [iso(end - _dt.timedelta(milliseconds=back)) for back in rng.sample(range(span_ms), copies)]
    return list(zip(_external_ids(ids, ids_starting_with, copies, rng), received, strict=True))


def _external_ids(recent: list[str], ids_starting_with: Callable[[str, bool], set[str]], copies: int,
                  rng: random.Random) -> list[str]:
    shapes = Counter((m[1], len(m[2])) for external in recent if (m := _NUMBERED.fullmatch(external)))
    if shapes and shapes.most_common(1)[0][1] * 2 >= len(recent):
        (prefix, width), _ = shapes.most_common(1)[0]

        def numbers(ids: Iterable[str]) -> set[int]:
            return {int(e[len(prefix):]) for e in ids
                    if e.startswith(prefix) and len(e) == len(prefix) + width and e[len(prefix):].isdigit()}

        seen = numbers(recent)
        free = _free_numbers(min(seen), max(seen), width, numbers(ids_starting_with(prefix, False)),
                             numbers(ids_starting_with(prefix, True)), rng)
        return [f"{prefix}{next(free):0{width}d}" for _ in range(copies)]
    start = os.path.commonprefix(recent)
    alphabet = "".join(sorted({c for e in recent for c in e[len(start):] if c.isalnum()})) or "0123456789abcdef"
    made: list[str] = []
    for attempt in range(1000 * copies):
        template = rng.choice(recent)[len(start):] if recent and attempt < 500 * copies else secrets.token_hex(8)
        external = start + "".join(rng.choice(alphabet) if c.isalnum() else c for c in template)
        if external not in made and external not in ids_starting_with(external, False):
            made.append(external)
            if len(made) == copies:
                return made
    raise GoldError("no unused external id could be made for the copies; plant fewer")


def _free_numbers(low: int, high: int, width: int, used: set[int], here: set[int],
                  rng: random.Random) -> Iterator[int]:
    """Numbers for copies, best first, each once: the queue's own reports run from *low* to *high*.

    1. in [low, high], held by no item of the store (*used*): looks like
       any report, and no later import brings it;
    2. just below *low*, as far down as the range is long, held by nobody;
    3. in [low, high], held in another queue but not this one (*here*):
       still unique in the queue, though a merge or move between the two
       queues would then be refused for it, which a lead sees;
    4. above *high* (only when all else is taken): an import may bring the
       same id later, and it would then be skipped.
    """
    span = range(low, high + 1) if high - low <= 100_000 else {rng.randint(low, high) for _ in range(1000)}
    inside = [n for n in span if n not in used]
    elsewhere = [n for n in span if n in used and n not in here]
    rng.shuffle(inside)
    rng.shuffle(elsewhere)
    yield from inside
    yield from (n for n in range(low - 1, max(-1, low - 1 - (high - low)), -1) if n not in used)
    yield from elsewhere
    while True:
        n = rng.randint(high + 1, max(10 ** width - 1, (high + 1) * 10))
        if n not in used:
            used.add(n)
            yield n


def retire_gold(store: Store, lead: User | str, item_id: int) -> int:
    """Retire a gold item: from now on it and its copies are neither planted nor scored; history stays.

    Returns how many planted copies still wait in queues (they are decided
    like any item, unscored). A lead's action; ``gold.retired``.
    """
    user = roles.require(store, lead, "lead", to="retire gold items")
    try:
        return gold_rows.retire(store, user.name, item_id)
    except Refused as refused:
        if refused.reason == "retired":
            raise GoldError(f"gold item {item_id} is already retired") from None
        raise KeyError(f"item {item_id} is not a gold item") from None


def gold_items(store: Store, lead: User | str) -> list[GoldItem]:
    """Every gold item a lead defined (copies counted in their original), active first, with scores so far."""
    roles.require(store, lead, "lead", to="see gold items")
    return [_gold_item(r) for r in gold_rows.listing(store)]


def find_item(store: Store, lead: User | str, reference: str) -> list[ItemMatch]:
    """Items whose id or external id is *reference* (a lead picking an item to mark gold); at most 20."""
    roles.require(store, lead, "lead", to="define gold items")
    return [ItemMatch(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6], tuple(json.loads(r[7] or "[]")), r[8],
                      tuple(json.loads(r[9] or "[]")), r[10] or "")
            for r in gold_rows.find_items(store, (reference or "").strip())]


def _gold_item(row: Sequence[Any]) -> GoldItem:
    return GoldItem(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5] or "[]")), row[6], row[7], row[8],
                    row[9], row[10], row[11], row[12], row[13])


def is_gold(store: Store, item_id: int) -> bool:
    """Whether the item is gold (retired or not)."""
    return gold_rows.answer(store, item_id) is not None


def score_gold(store: Store, decision_id: int) -> GoldResult | None:
    """Score a decision on a gold item; None when it is not one to score.

    Not scored: decisions on ordinary items, undo rows, decisions that did
    not close their item (escalations). Idempotent: a second call returns
    the stored result. Inside a caller's transaction (the decision's own)
    the scoring joins it; on its own it is one transaction.
    """
    row = gold_rows.score_once(store, decision_id)
    return _result(row) if row is not None else None


def after_decision(store: Store, decision: Any) -> GoldResult | None:
    """The review desk's hook after every stored decision (``decision`` or its id).

    Scores the decision if it closed a gold item. Safe inside the
    decision's write transaction — it joins it as a savepoint, reads the
    decision just written on the same connection and opens no other — and
    after it, as one transaction of its own. Idempotent, so running it
    twice for one decision stores one result. Never show the result to
    the moderator: gold items are unmarked.
    """
    decision_id = decision if isinstance(decision, int) else decision.id
    return score_gold(store, decision_id)


def _result(row: tuple[Any, ...]) -> GoldResult:
    expected = json.loads(row[6])
    return GoldResult(row[0], row[1], row[2], bool(row[3]), bool(row[4]), bool(row[5]),
                      expected["action"], tuple(expected["labels"]))
