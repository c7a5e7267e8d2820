"""A ready-to-use demo workspace: a T&S team, its queues, and a day's reports.

:func:`build_demo` fills an *empty* store with

* queues shaped like a trust & safety team: four review queues
  (hate & harassment, violent & graphic, spam & scams, marketplace), a
  minor-safety escalation queue at the top of the priority order, a lead
  escalation queue that every review queue escalates to, and a QA audit
  queue;
* six people: three moderators, a new hire with no history, a QA auditor and a lead;
* *items* reported items: about 40 % still images (a few 12-megapixel
  photos: one per hundred items), 10 % short MP4 videos, a few animated
  GIFs, the rest text posts in English, Spanish, French, Arabic, Chinese,
  Japanese and emoji-heavy English; each with the metadata a reviewer sees
  (category, one-line description, report reason, reporter count, surface,
  listing title and price for marketplace items);
* past decisions for about 30 % of them, spread across the moderators and
  the last five weeks (most in recent days, so last week's and last
  month's exports have data), with realistic handle times, what each
  decider saw (wellbeing exposure) and a realistic share of mistakes (so
  audits, accuracy and agreement have data at once); each escalation
  queue has a few recent lead decisions (a handle time to plan with);
* a roster for today and the coming days and one rotation rule
  (:mod:`desktop.demo.roster`), so the Roster page shows coverage.

All media is synthetic and harmless (see :mod:`desktop.demo.synth`). Media files
form a *pool*: several items point at the same file (re-reports) or at a
near-duplicate of it (re-uploads: different bytes, close perceptual hash),
which is both realistic and what "seen before" needs to be exercised.

Determinism: the same seed, item count and store clock give the same rows
and the same media bytes. Every random choice is drawn up front from one
``random.Random(seed)`` in a fixed order; media files are then generated in
a thread pool, each from its own derived seed, so thread scheduling cannot
change anything.

Everything written to the store is written in one transaction: a failed
build leaves the store empty.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import random
import shutil
import stat
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from desktop.demo.item_rows import item_rows
from desktop.demo.past_decisions import exposure_of, past_decision
from desktop.demo.plan import PlannedItem, Planner, generate, pool_of
from desktop.demo.roster import plan_roster
from desktop.demo.team import CATEGORY_QUEUE, DEMO_QUEUES, DEMO_USERS, LEAD_ESCALATIONS, MINOR_SAFETY, MODERATORS
from review import escalations, settings
from review.clock import iso
from review.decisions import record_past_decision
from review.errors import VeilError
from review.media import intake
from review.media import root as media_files
from review.media.fingerprint import text_sha256
from review.store import SYSTEM_ACTOR, Store, queue_admin, server_media
from review.store import imports as bulk
from review.store import items as item_ids
from review.store import wellbeing as exposure_rows
from review.store.connection import PRIVATE_FILE, private_folder
from review.taxonomy.stored import organisation

DEMO = settings.declare(
    "workspace.demo", settings.ORGANISATION, bool, False, changed_by=settings.SYSTEM,
    describe="This store holds the demo workspace (the window title says so).",
)
DEMO_INFO = settings.declare(
    "workspace.demo.info", settings.ORGANISATION, dict, {}, changed_by=settings.SYSTEM,
    describe="How the demo workspace was built: seed, item count, media folder.",
)

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)

class DemoError(VeilError, ValueError):
    """The demo cannot be built here (the store already holds a workspace)."""


@dataclass(frozen=True)
class DemoSummary:
    queues: int
    users: int
    items: int
    decided: int
    media_files: int
    media_bytes: int
    media_dir: Path
    kinds: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    grown: tuple[int, float] = (0, 0.0)  # items grown past the base workspace in bulk, and the seconds it took

    def line(self, store_path: Path | str, seconds: float | None = None) -> str:
        """The one-line summary ``veil demo`` prints."""
        mb = self.media_bytes / 1_000_000
        seconds = self.seconds if seconds is None else seconds
        return (f"demo workspace: {self.queues} queues, {self.users} users, {self.items} items "
                f"({self.decided} decided) in {store_path}, media in {self.media_dir} ({mb:.0f} MB) "
                f"\u2014 {seconds:.1f} s")


def is_demo(store: Store) -> bool:
    """True when the store holds a workspace made by :func:`build_demo`."""
    return bool(settings.read(store, DEMO))


def label_severities() -> dict[str, str]:
    """Label id -> severity, from the bundled default taxonomy."""
    text = resources.files("resources").joinpath("taxonomy.toml").read_text(encoding="utf-8")
    return {label["id"]: label["severity"] for label in tomllib.loads(text)["labels"]}


def _run_parallel(fn, jobs, workers: int, tick: Callable[[], None]) -> list:
    """Run *fn* over *jobs* in threads; results in job order; first error re-raised."""
    results = [None] * len(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, job) for job in jobs]
        for n, future in enumerate(futures):  # submission order: deterministic, progress still moves
            results[n] = future.result()
            tick()
    return results


@dataclass(frozen=True)
class Built:
    """A workspace just built: its summary, and its planned items with their stored rows (``queue_id`` set), the
    templates a bigger demo's items are made from (:mod:`desktop.demo.scale`)."""

    summary: DemoSummary
    planned: list[PlannedItem]
    rows: list[dict]


def build_demo(
    store: Store,
    media_dir: Path,
    *,
    items: int = 300,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty *store* with a demo workspace; media goes into *media_dir*.

    Raises :class:`DemoError` (a ``ValueError``) if the store already has
    users or queues: a demo never mixes with real work. *progress* is called
    as ``progress(done, total)`` from the calling thread.
    """
    return build(store, media_dir, items=items, seed=seed, progress=progress).summary


def build(store: Store, media_dir: Path, *, items: int, seed: int, progress: Progress | None = None) -> Built:
    """:func:`build_demo`, keeping the planned items and their rows."""
    started = time.perf_counter()
    if items < 1:
        raise DemoError("a demo needs at least one item")
    _refuse_if_not_empty(store)
    severities = label_severities()
    media_dir = Path(media_dir).resolve()
    _media_folder(media_dir)

    planned = Planner(items, seed).plan()
    rng = random.Random(f"{seed}:rows")
    now = store.clock.now()
    rows = item_rows(planned, rng, now, severities)

    pool = pool_of(planned)
    total = 2 * len(pool) + 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    workers = max(2, min(8, (os.cpu_count() or 2) * 2))
    if progress:
        progress(0, total)
    names = _made(pool, media_dir, workers, tick)
    if store.media_root is None:  # a server store keeps its media inside it (issue 15 §4): uploaded, as an import's
        for m in pool:
            server_media.upload(store, media_dir / names[m.name], m.info.sha256, m.info.mime, guard=lambda: None)
    # Named relative to the store's media root (or as the server's blobs), like an import's; a file store's demo
    # media made outside its root are named where they are.
    relative = store.media_root is None or store.media_root.resolve() == media_dir

    for item, row in zip(planned, rows):
        if item.media is not None:
            info = item.media.info
            name = names[item.media.name]
            row.update(media_path=name if relative else str(media_dir / name), media_type=info.mime,
                       content_sha256=info.sha256, content_md5=info.md5, pdq=info.pdq, pdq_quality=info.pdq_quality)
            row["metadata"].update(width=info.width, height=info.height)
            if info.duration_s:
                row["metadata"]["duration_s"] = round(info.duration_s, 1)
        elif row.get("text"):  # as an import hashes a text: its normal form, so lists and cases find it
            row["content_sha256"] = text_sha256(row["text"])

    decided = _write(store, planned, rows, rng, now, seed=seed, media_dir=media_dir)
    tick()

    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    return Built(DemoSummary(
        queues=len(DEMO_QUEUES), users=len(DEMO_USERS), items=len(rows), decided=decided,
        media_files=len(set(names.values())),
        media_bytes=sum((media_dir / name).stat().st_size for name in set(names.values())),
        media_dir=media_dir, kinds=kinds, seconds=time.perf_counter() - started,
    ), planned, rows)


def _made(pool: list, media_dir: Path, workers: int, tick: Callable[[], None]) -> dict[str, str]:
    """Generate and inspect every media file; return each one's content name in *media_dir* (the layout of
    ``review.media.root``: ``<sha[:2]>/<sha>.<ext>``, the same bytes once).

    Files are made in a private folder inside *media_dir* (near-duplicates are drawn from their originals
    there, by name) and renamed to their content names once hashed; the folder goes whatever happens.
    """
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=media_dir))
    try:
        _run_parallel(lambda m: _private(generate(m, staging)), [m for m in pool if m.base is None], workers, tick)
        _run_parallel(lambda m: _private(generate(m, staging)), [m for m in pool if m.base is not None], workers,
                      tick)
        infos = _run_parallel(lambda m: intake.inspect(staging / m.name), pool, workers, tick)
        for m, info in zip(pool, infos):
            m.info = info
        return {m.name: media_files.adopt(media_dir, staging / m.name, m.info.sha256, m.info.mime) for m in pool}
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _media_folder(folder: Path) -> None:
    """Create *folder* (and missing parents) owner-only, like the store it belongs to; leave one that was there.

    A folder Veil did not make is its owner's, who may share it on purpose (the rule the store file
    follows, ``review.store.connection``); the files Veil writes into it are private anyway
    (:func:`_private`), so an open folder shows at most their synthetic names. Veil says so once.
    """
    if not folder.exists():
        private_folder(folder)
        return
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        log.warning("%s is readable by other accounts on this computer (mode %04o); the demo media Veil writes "
                    "into it are its owner's alone, and if the folder is not shared on purpose, run: chmod 700 %s",
                    folder, mode, folder)


def _private(media: Path) -> Path:
    """Make a media file Veil just wrote its owner's alone: the image libraries create files with the umask,
    and a file of the same name from an earlier build keeps its old mode when it is rewritten."""
    os.chmod(media, PRIVATE_FILE)
    return media


def _refuse_if_not_empty(store: Store) -> None:
    users, queues = len(store.users()), len(store.queues())
    if users or queues:
        raise DemoError(
            f"{store.location} already holds a workspace ({users} users, {queues} queues); "
            "a demo is built only into an empty store - choose a new --store path"
        )

_ESCALATION_NOTES = ("Unsure whether this is satire; needs a lead call.",
                     "Public figure involved; newsworthiness question.",
                     "Same account keeps reappearing; consider account-level action.",
                     "Reporter says it is a credible threat; please review context.",
                     "Possible coordinated campaign; several near-identical reports.")


def _waiting_escalations(planned: list[PlannedItem], rows: list[dict],
                         now: _dt.datetime) -> list[tuple[str, dict[str, str]]]:
    """The undecided escalated items, made real escalations: each row arrives in the moderators' queue of
    its category and is escalated from there (by a moderator, with a note, both picked by its number) a
    quarter of its wait after it arrived, to the lead escalations or, one in four, to minor safety."""
    waiting = []
    for item, row in zip(planned, rows):
        if not item.escalated or item.decided or item.received_at is None:
            continue
        row["queue_name"] = CATEGORY_QUEUE[row["metadata"]["category"]]
        escalated_at = item.received_at + (now - item.received_at) / 4
        waiting.append((row["external_id"], {
            "user": MODERATORS[item.index % len(MODERATORS)],
            "reason": _ESCALATION_NOTES[item.index % len(_ESCALATION_NOTES)], "escalated_at": iso(escalated_at),
            "escalate_to": MINOR_SAFETY if item.index % 4 == 0 else LEAD_ESCALATIONS}))
    return waiting


def _write(store: Store, planned: list[PlannedItem], rows: list[dict], rng: random.Random, now: _dt.datetime,
           *, seed: int, media_dir: Path) -> int:
    """Users, queues, items, past decisions, their exposure, the roster and the demo flag: one transaction."""
    decisions = [(item, past_decision(item, rng, now)) for item in planned if item.decided]
    waiting = _waiting_escalations(planned, rows, now)

    def write() -> None:
        _refuse_if_not_empty(store)  # again, under the write lock
        for user in DEMO_USERS:
            store.add_user(user.name, user.roles, user.display_name)
        for q in DEMO_QUEUES:
            store.add_queue(q.name, q.kind, description=q.description, priority=q.priority,
                            sla_seconds=q.sla_seconds, escalation_queue=LEAD_ESCALATIONS if q.escalates else None)
            if q.escalates:  # a moderator may also send a case to the minor-safety leads
                queue_admin.set_escalation(store, SYSTEM_ACTOR, store.queue(q.name),
                                           [store.queue(LEAD_ESCALATIONS), store.queue(MINOR_SAFETY)])
        queue_ids = {q.name: q.id for q in store.queues()}
        for row in rows:
            row["queue_id"] = queue_ids[row.pop("queue_name")]
        store.add_items(rows, source="veil demo")
        ids = item_ids.ids_by_external_id(store)
        policy = organisation(store)  # the taxonomy this store's desks decide under
        for external_id, escalation in waiting:
            escalations.record_past_escalation(store, policy, item_id=ids[external_id], **escalation)
        severity = {row["external_id"]: row["severity"] for row in rows}
        for item, d in decisions:
            external_id = f"demo-{item.index + 1:05d}"
            record_past_decision(store, item_id=ids[external_id], user=d["user"],
                                 action=d["action"], labels=d["labels"], decided_at=d["decided_at"],
                                 note=d["note"], handle_ms=d["handle_ms"], source="demo")
            exposure_rows.add_exposure(store, store.user(d["user"]), "demo",
                                       exposure_of(item, d, ids[external_id], severity[external_id]))
        plan_roster(store, now)
        settings.write(store, SYSTEM_ACTOR, DEMO, True)
        settings.write(store, SYSTEM_ACTOR, DEMO_INFO, {"seed": seed, "items": len(rows), "media_dir": str(media_dir)})

    bulk.all_or_nothing(store, write)
    return len(decisions)
