"""Growing the demo workspace to any size (issue 22 §1): millions of items at 50,000 a second.

A demo of up to :data:`SMALL_LIMIT` items is built item by item (:mod:`desktop.demo.review_data`: the
look and content every walk-through knows). A bigger one starts as that workspace with
:data:`BASE_ITEMS` items (its people, queues, media pool, QA, gold, roster and statements) and then
grows: each further item copies a base report of a review queue (kind, queue, text, metadata,
severity, and its media file with its SHA-256, MD5 and PDQ: re-reports of the same content, so "Seen
before" and hash matching meet real copies at scale) under a new id and time. About half of them were
decided by a bigger team (one more moderator per :data:`ITEMS_PER_MODERATOR` items), each decision
with its event and its exposure row; the rest wait, arrived over the last three days. The decided
ones reach back one day per :data:`ITEMS_PER_HISTORY_DAY` items (five weeks at least, a year at most).

Speed: the random draws are ``getrandbits`` and look-ups in tables drawn once, a base item's JSON is
serialised once, and rows are written in arrival order (indexes grow at their ends) with
``executemany`` (:mod:`review.store.demo_rows`) in chunks of :data:`CHUNK` items, one transaction
each, so memory holds one chunk whatever the size. A build stopped half-way leaves a smaller
workspace whose every chunk is whole (``veil verify`` stays clean). Deterministic per seed.

Like the base workspace's items, grown items skip the import's intake steps (``review.known.intake``:
list matches, cases, routing): a new demo has no hash lists or rules, and its copies of one report are
what a lead would group into a case, not what the demo decides for them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from desktop.demo.review_data import DEMO_INFO, Built, DemoSummary
from desktop.demo.team import ERROR_RATE, MODERATORS
from review import settings
from review.store import SYSTEM_ACTOR, Store, demo_rows
from review.store import imports as bulk

SMALL_LIMIT = 2_000
"""Up to this many items a demo is built item by item; above it, grown from a base workspace."""
BASE_ITEMS = 300  # the workspace a big demo starts from: its media pool is about half this many files
CHUNK = 50_000  # items a transaction (with their decisions and exposure): the memory a build holds
ITEMS_PER_MODERATOR = 25_000  # a site of 5 M items a year has about 200 moderators
MAX_EXTRA_MODERATORS = 200
ITEMS_PER_HISTORY_DAY = 15_000
DECIDED_SHARE = 0.5
PENDING_MS = 72 * 3600_000  # the waiting items arrived over the last three days
SOURCE = "veil demo"  # the items.imported events' subject, as the base workspace's
_HOUR_MS = 3600_000
_HANDLE_S = {"text": 14, "image": 20, "video": 45, "mixed": 20}


@dataclass(frozen=True)
class _Template:
    """A base report grown items copy: its item columns from ``kind`` to ``pdq_quality`` and what deciding needs."""

    columns: tuple  # kind, media_path, media_type, text, metadata JSON, severity, priority, sha256, md5, pdq, quality
    queue_id: int
    queue: str
    kind: str
    category: str
    violating: bool
    sla_ms: int
    severity: str | None


def _templates(store: Store, built: Built) -> list[_Template]:
    queues = {q.id: q for q in store.queues()}
    found = []
    for item, row in zip(built.planned, built.rows, strict=True):
        queue = queues[row["queue_id"]]
        if queue.kind != "review" or item.escalated:
            continue
        metadata = json.dumps(row["metadata"], ensure_ascii=False)
        found.append(_Template(
            (row["kind"], row.get("media_path"), row.get("media_type"), row.get("text") or "", metadata,
             row.get("severity"), int(row.get("priority") or 0), row.get("content_sha256"), row.get("content_md5"),
             row.get("pdq"), row.get("pdq_quality")),
            queue.id, queue.name, row["kind"], item.category, item.violating, queue.sla_seconds * 1000,
            row.get("severity")))
    return found


def _iso(ms: int) -> str:
    """Veil's canonical UTC text (``review.clock.iso``) of epoch milliseconds, without building a datetime
    (four of them an item: a third of the Python time a grown item took)."""
    day, ms = divmod(ms, 86_400_000)
    seconds, milli = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.{milli:03d}Z"


@functools.lru_cache(maxsize=1024)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))


def _arrivals(rng: random.Random, decided: int, pending: int, now_ms: int,
              history_ms: int) -> Iterator[tuple[int, bool]]:
    """(received ms, decided?) in arrival order: the decided evenly over the history (up to two hours ago),
    the waiting over the last three days, each with a little jitter."""
    d_start, d_step = now_ms - history_ms, (history_ms - 2 * _HOUR_MS) / max(1, decided)
    p_start, p_step = now_ms - PENDING_MS, (PENDING_MS - 60_000) / max(1, pending)
    i = j = 0
    next_d = d_start + int(rng.random() * d_step) if decided else math.inf
    next_p = p_start + int(rng.random() * p_step) if pending else math.inf
    while i < decided or j < pending:
        if next_d <= next_p:
            yield int(next_d), True
            i += 1
            next_d = d_start + int((i + rng.random()) * d_step) if i < decided else math.inf
        else:
            yield int(next_p), False
            j += 1
            next_p = p_start + int((j + rng.random()) * p_step) if j < pending else math.inf


def _team(store: Store, items: int) -> list[tuple[int, str, float]]:
    """The people who decided the grown items, (id, name, error rate): the demo's moderators and the extra
    ones added here (a new hire to a steady hand)."""
    rng = random.Random(f"team:{items}")
    extra = min(MAX_EXTRA_MODERATORS, items // ITEMS_PER_MODERATOR)
    added = [store.add_user(f"mod{n:03d}", ["moderator"], f"Moderator {n:03d}") for n in range(1, extra + 1)]
    team = [(store.user(name).id, name, ERROR_RATE[name]) for name in MODERATORS]
    return team + [(user.id, user.name, round(rng.uniform(0.03, 0.15), 3)) for user in added]


def grow(store: Store, built: Built, *, items: int, seed: int,
         progress: Callable[[int, int], None] | None = None) -> DemoSummary:
    """Grow the workspace *built* to *items* items (see the module's docstring); its summary."""
    started = time.perf_counter()
    base = built.summary
    wanted = items - base.items
    growth = _Growth(store, _templates(store, built), _team(store, items), random.Random(f"{seed}:grow"), base)
    history_ms = min(365, max(35, items // ITEMS_PER_HISTORY_DAY)) * 24 * _HOUR_MS
    decided = round(wanted * DECIDED_SHARE)
    arrivals = _arrivals(growth.rng, decided, wanted - decided, growth.now_ms, history_ms)
    made = 0
    with demo_rows.bulk_cache(store):
        while made < wanted:
            made += growth.chunk(arrivals, min(CHUNK, wanted - made))
            if progress:
                progress(made, wanted)
    info = {**settings.read(store, DEMO_INFO), "items": items, "base_items": base.items}
    settings.write(store, SYSTEM_ACTOR, DEMO_INFO, info)
    return dataclasses.replace(base, users=base.users + len(growth.team) - len(MODERATORS), items=items,
                               decided=base.decided + decided, kinds=growth.kinds,
                               seconds=base.seconds + time.perf_counter() - started)


class _Growth:
    """What every chunk draws from: the base reports, the team, one seeded generator, the clock; and the
    running item number and counts per kind."""

    def __init__(self, store: Store, templates: list[_Template], team: list[tuple[int, str, float]],
                 rng: random.Random, base: DemoSummary) -> None:
        self.store, self.templates, self.team, self.rng = store, templates, team, rng
        self.handle_factor = [rng.lognormvariate(0, 0.5) for _ in range(1024)]  # handle times' spread, drawn once
        self.now_ms = int(store.clock.now().timestamp() * 1000)
        self.number = base.items
        self.kinds = dict(base.kinds)

    def chunk(self, arrivals: Iterator[tuple[int, bool]], count: int) -> int:
        """The next *count* arrivals as items, and the decided ones' decisions, in one transaction; how many."""
        created, rng, templates = _iso(self.now_ms), self.rng, self.templates
        rows: list[tuple] = []
        chosen: list[tuple[int, _Template, int]] = []
        for _ in range(count):
            received_ms, is_decided = next(arrivals)
            template = templates[rng.getrandbits(30) % len(templates)]
            self.number += 1
            rows.append((f"demo-{self.number:07d}", template.queue_id, *template.columns, _iso(received_ms),
                         _iso(received_ms + template.sla_ms), "decided" if is_decided else "pending", created))
            self.kinds[template.kind] = self.kinds.get(template.kind, 0) + 1
            if is_decided:
                chosen.append((len(rows) - 1, template, received_ms))
        bulk.all_or_nothing(self.store, lambda: self._write(rows, chosen))
        return count

    def _write(self, rows: list[tuple], chosen: list[tuple[int, _Template, int]]) -> None:
        """Inside the chunk's transaction: its items, then the decisions on the decided ones and what each
        decider saw."""
        rng, team, now_ms = self.rng, self.team, self.now_ms
        ids = demo_rows.add_items(self.store, rows, actor=SYSTEM_ACTOR, source=SOURCE)
        decisions: list[demo_rows.PastDecision] = []
        exposure: list[demo_rows.ExposureRow] = []
        for index, template, received_ms in chosen:
            user_id, user, error_rate = team[rng.getrandbits(30) % len(team)]
            violates = template.violating != (rng.random() < error_rate)  # a miss, or over-enforcement
            action, labels = ("remove", (template.category,)) if violates else ("no_violation", ())
            handle_ms = int(min(90_000, max(5_000, _HANDLE_S[template.kind] * 1000
                                            * self.handle_factor[rng.getrandbits(10)])))
            decided_ms = min(now_ms - 60_000, received_ms + 60_000 + rng.getrandbits(25) % (6 * _HOUR_MS) + handle_ms)
            shown, decided_at = _iso(decided_ms - handle_ms), _iso(decided_ms)
            decisions.append((ids[index], user_id, user, template.queue_id, template.queue, action, labels, "",
                              decided_at, shown, handle_ms, "demo"))
            revealed = 0 if template.kind == "text" else handle_ms * (10 + rng.getrandbits(6) % 50) // 100
            exposure.append((user_id, ids[index], "demo", shown, decided_at, handle_ms - revealed, revealed,
                             handle_ms // 2 if template.kind == "video" else 0, template.severity, template.category))
        demo_rows.add_past_decisions(self.store, decisions)
        demo_rows.add_exposure(self.store, exposure)
