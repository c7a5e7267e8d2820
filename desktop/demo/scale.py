"""Growing the demo workspace to any size (issue 22 §1): millions of items, about 20,000 a CPU-second.

A demo of up to :data:`SMALL_LIMIT` items is built item by item (:mod:`desktop.demo.review_data`: the
look and content every walk-through knows). A bigger one starts as that workspace with
:data:`BASE_ITEMS` items (its people, queues, media pool, QA, gold, roster and statements) and then
grows: each further item copies a base report of a review queue (kind, queue, text, metadata,
severity, and its media file with its SHA-256, MD5 and PDQ: re-reports of the same content, so "Seen
before" and hash matching meet real copies at scale) under a new id and time. About half of them were
decided by a bigger team (one more moderator per :data:`ITEMS_PER_MODERATOR` items), each decision
with its event and its exposure row; the rest wait, arrived over the last three days. The decided
ones reach back one day per :data:`ITEMS_PER_HISTORY_DAY` items (five weeks at least, a year at most).

Speed: what varies from item to item (arrival, base report, decider, mistakes, handle and reveal
times, and the times as Veil's text) is drawn and computed with NumPy a chunk of :data:`CHUNK` items
at a time, so the Python per item is one tuple per row; what a base report contributes (its columns,
queue, verdicts) is made once. Rows are written in arrival order with ``executemany``
(:mod:`review.store.demo_rows`), the whole growth one bulk load (on a file: one transaction, the
indexes sorted once at the end; a stopped build leaves the base workspace), and memory holds one
chunk whatever the size. Deterministic per seed.

Like the base workspace's items, grown items skip the import's intake steps (``review.known.intake``:
list matches, cases, routing): a new demo has no hash lists or rules, and its copies of one report are
what a lead would group into a case, not what the demo decides for them.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from desktop.demo.review_data import DEMO_INFO, Built, DemoSummary
from desktop.demo.team import ERROR_RATE, MODERATORS
from review import settings
from review.store import SYSTEM_ACTOR, Store, demo_rows
from review.store.item_indexes import author_of

SMALL_LIMIT = 2_000
"""Up to this many items a demo is built item by item; above it, grown from a base workspace."""
BASE_ITEMS = 300  # the workspace a big demo starts from: its media pool is about half this many files
CHUNK = 50_000  # items drawn and written at a time (with their decisions and exposure): the memory a build holds
ITEMS_PER_MODERATOR = 25_000  # a site of 5 M items a year has about 200 moderators
MAX_EXTRA_MODERATORS = 200
ITEMS_PER_HISTORY_DAY = 15_000
DECIDED_SHARE = 0.5
PENDING_MS = 72 * 3600_000  # the waiting items arrived over the last three days
SOURCE = "veil demo"  # the items.imported events' subject, as the base workspace's
_HOUR_MS = 3600_000
_HANDLE_S = {"text": 14, "image": 20, "video": 45, "mixed": 20}
_CLEAR = ("no_violation", ())  # a decision that finds nothing: its action and labels


@dataclass(frozen=True)
class _Template:
    """A base report grown items copy: its item columns from ``queue_id`` to ``pdq_quality``
    (:data:`review.store.demo_rows.ITEM_COLUMNS`) and what deciding needs."""

    columns: tuple  # queue id, kind, media_path, media_type, text, metadata JSON, author, severity, priority,
    #                 sha256, md5, pdq, quality
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
            (queue.id, row["kind"], row.get("media_path"), row.get("media_type"), row.get("text") or "", metadata,
             author_of(row["metadata"]), row.get("severity"), int(row.get("priority") or 0),
             row.get("content_sha256"), row.get("content_md5"), row.get("pdq"), row.get("pdq_quality")),
            queue.name, row["kind"], item.category, item.violating, queue.sla_seconds * 1000, row.get("severity")))
    return found


def _iso(ms: np.ndarray) -> list[str]:
    """Veil's canonical UTC text (``review.clock.iso``) of each epoch millisecond, made by NumPy for the whole
    array (four of them an item: built one by one, they took a third of an item's Python time)."""
    return [text + "Z" for text in np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms").tolist()]


class _Spread:
    """*total* times spread evenly from *start*, *step* apart, each a random part of its step late (the k-th at
    ``start + (k + u) * step``): drawn a block at a time, in order."""

    def __init__(self, draw: np.random.Generator, start: int, step: float, total: int) -> None:
        self.draw, self.start, self.step, self.total, self.made = draw, start, step, total, 0

    def next(self, count: int) -> np.ndarray:
        """The next (up to) *count* times."""
        count = min(count, self.total - self.made)
        ks = np.arange(self.made, self.made + count, dtype=np.float64) + self.draw.random(count)
        self.made += count
        return self.start + (ks * self.step).astype(np.int64)


class _Arrivals:
    """The grown items' arrivals in order: the decided ones evenly over the history (up to two hours ago), the
    waiting ones over the last three days, merged a chunk at a time (with what each stream has drawn ahead)."""

    def __init__(self, draw: np.random.Generator, decided: int, pending: int, now_ms: int, history_ms: int) -> None:
        self.decided = _Spread(draw, now_ms - history_ms, (history_ms - 2 * _HOUR_MS) / max(1, decided), decided)
        self.pending = _Spread(draw, now_ms - PENDING_MS, (PENDING_MS - 60_000) / max(1, pending), pending)
        self.ahead = (np.empty(0, np.int64), np.empty(0, np.int64))  # drawn, not yet taken: decided, pending

    def take(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The next *count* arrivals: their times (ms) and whether each was decided (a tie: the decided first)."""
        decided, pending = (np.concatenate([ahead, spread.next(count - len(ahead))])
                            for ahead, spread in zip(self.ahead, (self.decided, self.pending), strict=True))
        both = np.concatenate([decided, pending])
        order = np.argsort(both, kind="stable")[:count]  # of two sorted runs: a prefix of each
        is_decided = order < len(decided)
        taken = int(is_decided.sum())
        self.ahead = (decided[taken:], pending[count - taken:])
        return both[order], is_decided


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
    history_ms = min(365, max(35, items // ITEMS_PER_HISTORY_DAY)) * 24 * _HOUR_MS
    decided = round(wanted * DECIDED_SHARE)
    made = 0
    with demo_rows.bulk_load(store) as load:  # the bigger team too: a stopped build leaves the base workspace
        growth = _Growth(store, _templates(store, built), _team(store, items), seed, base)
        arrivals = _Arrivals(growth.draw, decided, wanted - decided, growth.now_ms, history_ms)
        while made < wanted:
            count = min(CHUNK, wanted - made)
            load.chunk(growth.chunk(*arrivals.take(count)))
            made += count
            if progress:
                progress(made, wanted)
    info = {**settings.read(store, DEMO_INFO), "items": items, "base_items": base.items}
    settings.write(store, SYSTEM_ACTOR, DEMO_INFO, info)
    seconds = time.perf_counter() - started
    return dataclasses.replace(base, users=base.users + len(growth.team) - len(MODERATORS), items=items,
                               decided=base.decided + decided, kinds=growth.kinds, seconds=base.seconds + seconds,
                               grown=(wanted, seconds))


class _Growth:
    """What every chunk draws from: the base reports (as arrays by report), the team, one seeded generator, the
    clock; and the running item number and counts per kind."""

    def __init__(self, store: Store, templates: list[_Template], team: list[tuple[int, str, float]], seed: int,
                 base: DemoSummary) -> None:
        self.store, self.templates, self.team = store, templates, team
        self.draw = np.random.default_rng([seed, 0x67726F77])  # "grow"
        self.now_ms = int(store.clock.now().timestamp() * 1000)
        self.number = base.items
        self.kinds = dict(base.kinds)
        self.sla_ms = np.array([t.sla_ms for t in templates], np.int64)
        self.violating = np.array([t.violating for t in templates])
        self.handle_ms = np.array([_HANDLE_S[t.kind] * 1000 for t in templates], np.float64)
        self.is_text = np.array([t.kind == "text" for t in templates])
        self.is_video = np.array([t.kind == "video" for t in templates])
        self.error_rate = np.array([rate for _, _, rate in team])
        self.removal = [("remove", (t.category,)) for t in templates]  # each report's decision when it violates

    def chunk(self, received: np.ndarray, decided: np.ndarray) -> Callable[[], None]:
        """The items that arrived at *received* (decided or not), and the decided ones' decisions and exposure:
        drawn now, written by the function returned (inside the chunk's transaction)."""
        count, templates, draw = len(received), self.templates, self.draw
        chosen = draw.integers(0, len(templates), count)
        first, self.number = self.number + 1, self.number + count
        created = _iso(np.array([self.now_ms]))[0]
        states = np.where(decided, "decided", "pending").tolist()
        rows = [(f"demo-{number:07d}", *templates[t].columns, arrived, due, state, created)
                for number, t, arrived, due, state in zip(
                    range(first, first + count), chosen.tolist(), _iso(received),
                    _iso(received + self.sla_ms[chosen]), states, strict=True)]
        for t, n in enumerate(np.bincount(chosen, minlength=len(templates)).tolist()):
            self.kinds[templates[t].kind] = self.kinds.get(templates[t].kind, 0) + n
        where = np.flatnonzero(decided)
        made = self._decisions(chosen[where], received[where])

        def write() -> None:
            ids = demo_rows.add_items(self.store, rows, actor=SYSTEM_ACTOR, source=SOURCE)
            at = [ids[i] for i in where.tolist()]
            demo_rows.add_past_decisions(self.store, [(item, *rest) for item, rest in zip(at, made[0], strict=True)])
            demo_rows.add_exposure(self.store, [(user, item, *rest)
                                                for item, (user, rest) in zip(at, made[1], strict=True)])
        return write

    def _decisions(self, chosen: np.ndarray, received: np.ndarray) -> tuple[list[tuple], list[tuple]]:
        """For decided items of base reports *chosen*, received at *received*: each decision without its item id,
        and each exposure row as (user id, the row after its item id)."""
        draw, count, team = self.draw, len(chosen), self.team
        who = draw.integers(0, len(team), count)
        violates = self.violating[chosen] != (draw.random(count) < self.error_rate[who])  # a miss, or over-enforcing
        handle = np.clip(self.handle_ms[chosen] * draw.lognormal(0, 0.5, count), 5_000, 90_000).astype(np.int64)
        decided_ms = np.minimum(self.now_ms - 60_000,
                                received + 60_000 + draw.integers(0, 6 * _HOUR_MS, count) + handle)
        revealed = np.where(self.is_text[chosen], 0, handle * draw.integers(10, 60, count) // 100)
        video = np.where(self.is_video[chosen], handle // 2, 0)
        shown_at, decided_at = _iso(decided_ms - handle), _iso(decided_ms)
        decisions, exposure = [], []
        templates, removal = self.templates, self.removal
        for t, w, bad, shown, at, handled, seen, watched in zip(
                chosen.tolist(), who.tolist(), violates.tolist(), shown_at, decided_at, handle.tolist(),
                revealed.tolist(), video.tolist(), strict=True):
            template, (user_id, user, _) = templates[t], team[w]
            queue_id = template.columns[0]
            decisions.append((user_id, user, queue_id, template.queue, *(removal[t] if bad else _CLEAR), "", at,
                              shown, handled, "demo"))
            exposure.append((user_id, ("demo", shown[:10], shown, at, handled - seen, seen, 0, watched,
                                       template.severity, template.category)))
        return decisions, exposure
