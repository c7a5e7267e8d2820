"""A ready-to-use demo workspace: a T&S team, its queues, and a day's reports.

:func:`build_demo` fills an *empty* store with

* queues shaped like a trust & safety team: four review queues
  (hate & harassment, violent & graphic, spam & scams, marketplace), a
  minor-safety escalation queue at the top of the priority order, a lead
  escalation queue that every review queue escalates to, and a QA audit
  queue;
* five people: three moderators, a QA auditor and a lead;
* *items* reported items: about 40 % still images (a few 12-megapixel
  photos: one per hundred items), 10 % short MP4 videos, a few animated
  GIFs, the rest text posts in English, Spanish, French, Arabic, Chinese,
  Japanese and emoji-heavy English; each with the metadata a reviewer sees
  (category, one-line description, report reason, reporter count, surface,
  listing title and price for marketplace items);
* past decisions for about 30 % of them, spread across the moderators and
  the last three days, with realistic handle times and a realistic share
  of mistakes (so audits, accuracy and agreement have data at once).

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
import math
import os
import random
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from review import media
from desktop.demo import synth
from review.clock import iso
from review.decisions import record_past_decision
from review.store import Store

DEMO_SETTING = "workspace.demo"
DEMO_INFO_SETTING = "workspace.demo.info"

Progress = Callable[[int, int], None]


# ------------------------------------------------------------------ people
@dataclass(frozen=True)
class DemoUser:
    name: str
    roles: tuple[str, ...]
    display_name: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("ana", ("moderator",), "Ana Alves"),
    DemoUser("ben", ("moderator",), "Ben Okafor"),
    DemoUser("chidi", ("moderator",), "Chidi Nwosu"),
    DemoUser("dana", ("auditor",), "Dana Kim"),
    DemoUser("lee", ("lead",), "Lee Morgan"),
)

MODERATORS = tuple(u.name for u in DEMO_USERS if "moderator" in u.roles)
LEAD = "lee"

#: How often each moderator gets a call wrong (a new hire, a steady hand...).
_ERROR_RATE = {"ana": 0.04, "ben": 0.08, "chidi": 0.14, "lee": 0.03}
_SHARE = {"ana": 0.42, "ben": 0.34, "chidi": 0.24}


# ------------------------------------------------------------------ queues
@dataclass(frozen=True)
class DemoQueue:
    name: str
    kind: str
    description: str
    priority: int
    sla_seconds: int
    escalates: bool = True  # escalation_queue = the lead escalation queue


LEAD_ESCALATIONS = "Lead escalations"
MINOR_SAFETY = "Minor safety escalations"
QA_AUDIT = "QA audit"

DEMO_QUEUES: tuple[DemoQueue, ...] = (
    # Created first: the review queues name it as their escalation queue.
    DemoQueue(LEAD_ESCALATIONS, "escalation", "Hard cases sent up by moderators; a lead decides.", 60, 8 * 3600, False),
    DemoQueue(MINOR_SAFETY, "escalation",
              "Possible risk to minors, from reports and the age-signal classifier. Leads only; act within the hour.",
              90, 3600, False),
    DemoQueue("Violent & graphic", "review", "Graphic violence, self-harm and adult content. Severe; tight SLA.",
              50, 4 * 3600),
    DemoQueue("Hate & harassment", "review", "Targeted harassment, bullying and hate speech.", 30, 12 * 3600),
    DemoQueue("Spam & scams", "review", "Spam, fake engagement, phishing and fraud.", 10, 24 * 3600),
    DemoQueue("Marketplace counterfeit & IP", "review", "Listings reported as counterfeit or infringing.",
              5, 48 * 3600),
    DemoQueue(QA_AUDIT, "audit", "A sample of recent decisions, re-scored blind by QA.", 20, 72 * 3600, False),
)

#: Which queue a reported category lands in.
CATEGORY_QUEUE = {
    "harassment": "Hate & harassment",
    "hate_speech": "Hate & harassment",
    "violent_graphic": "Violent & graphic",
    "self_harm": "Violent & graphic",
    "adult_nudity": "Violent & graphic",
    "child_safety": MINOR_SAFETY,
    "spam": "Spam & scams",
    "scam_fraud": "Spam & scams",
    "counterfeit_ip": "Marketplace counterfeit & IP",
}

# Category weights per media kind (child-safety items are text-only placeholders).
_CATEGORY_WEIGHTS: dict[str, dict[str, float]] = {
    "text": {"harassment": 18, "hate_speech": 12, "violent_graphic": 5, "self_harm": 6, "adult_nudity": 3,
             "child_safety": 6, "spam": 22, "scam_fraud": 16, "counterfeit_ip": 12},
    "image": {"harassment": 8, "hate_speech": 8, "violent_graphic": 16, "self_harm": 3, "adult_nudity": 10,
              "spam": 14, "scam_fraud": 10, "counterfeit_ip": 22},
    "gif": {"harassment": 30, "hate_speech": 15, "spam": 30, "violent_graphic": 10, "scam_fraud": 15},
    "video": {"violent_graphic": 35, "adult_nudity": 10, "harassment": 10, "hate_speech": 10, "spam": 15,
              "scam_fraud": 10, "counterfeit_ip": 10},
}

#: How likely a report in each category is right (the content really breaks the policy).
_VIOLATION_RATE = {"harassment": 0.6, "hate_speech": 0.55, "violent_graphic": 0.65, "self_harm": 0.7,
                   "adult_nudity": 0.6, "child_safety": 0.5, "spam": 0.85, "scam_fraud": 0.75, "counterfeit_ip": 0.7}

#: Labels a tired reviewer confuses.
_CONFUSED_WITH = {"harassment": "hate_speech", "hate_speech": "harassment", "violent_graphic": "self_harm",
                  "self_harm": "violent_graphic", "adult_nudity": "violent_graphic", "child_safety": "adult_nudity",
                  "spam": "scam_fraud", "scam_fraud": "spam", "counterfeit_ip": "scam_fraud"}

_PHRASE = {"harassment": "harassment", "hate_speech": "hate speech", "violent_graphic": "graphic violence",
           "self_harm": "self-harm", "adult_nudity": "adult nudity", "child_safety": "a possible minor-safety risk",
           "spam": "spam", "scam_fraud": "a suspected scam", "counterfeit_ip": "counterfeit goods"}

_REPORT_REASONS = {
    "harassment": ("Bullying or harassment", "Targets me or someone I know"),
    "hate_speech": ("Hate speech or symbols",),
    "violent_graphic": ("Violence or graphic content", "Threat of violence"),
    "self_harm": ("Suicide or self-injury",),
    "adult_nudity": ("Nudity or sexual activity",),
    "child_safety": ("Child safety concern", "Classifier: age signal"),
    "spam": ("Spam", "Fake engagement"),
    "scam_fraud": ("Scam or fraud", "Phishing link"),
    "counterfeit_ip": ("Counterfeit product", "Intellectual property infringement"),
}

_SURFACES = {
    "text": ("comment", "post", "direct message", "group chat", "product review"),
    "image": ("post", "profile photo", "story", "comment"),
    "gif": ("comment", "direct message"),
    "video": ("video post", "story", "live stream clip"),
    "listing": ("listing",),
}

_IMAGE_SIZES = ((320, 240), (640, 480), (800, 600), (1024, 768), (1280, 720), (1080, 1080), (1920, 1080),
                (750, 1334), (1200, 900), (480, 640))
_IMAGE_SIZE_WEIGHTS = (8, 16, 12, 12, 10, 12, 10, 8, 6, 6)

_ESCALATION_NOTES = ("Unsure whether this is satire; needs a lead call.",
                     "Public figure involved; newsworthiness question.",
                     "Same account keeps reappearing; consider account-level action.",
                     "Reporter says it is a credible threat; please review context.",
                     "Possible coordinated campaign; several near-identical reports.")

_DECISION_NOTES = ("", "", "", "", "re-upload of earlier removed item", "context: quoted to condemn",
                   "borderline; newsworthy", "reporter history suggests brigading", "matches known scam template")


class DemoError(ValueError):
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

    def line(self, store_path: Path | str, seconds: float | None = None) -> str:
        """The one-line summary ``veil demo`` prints."""
        mb = self.media_bytes / 1_000_000
        seconds = self.seconds if seconds is None else seconds
        return (f"demo workspace: {self.queues} queues, {self.users} users, {self.items} items "
                f"({self.decided} decided) in {store_path}, media in {self.media_dir} ({mb:.0f} MB) "
                f"\u2014 {seconds:.1f} s")


def is_demo(store: Store) -> bool:
    """True when the store holds a workspace made by :func:`build_demo`."""
    return bool(store.setting(DEMO_SETTING, False))


def label_severities() -> dict[str, str]:
    """Label id -> severity, from the bundled default taxonomy."""
    text = resources.files("resources").joinpath("taxonomy.toml").read_text(encoding="utf-8")
    return {label["id"]: label["severity"] for label in tomllib.loads(text)["labels"]}


# ------------------------------------------------------------------ planning
@dataclass
class _Media:
    """One file of the media pool."""

    name: str  # file name inside the media folder
    kind: str  # image | gif | video
    category: str
    violating: bool
    seed: int
    caption: str
    width: int = 0
    height: int = 0
    seconds: float = 0.0
    style: str | None = None
    base: _Media | None = None  # set for near-duplicates
    info: media.MediaInfo | None = None


@dataclass
class _Item:
    index: int
    kind: str  # text | image | gif | video (gif becomes item kind "image")
    category: str
    queue: str
    violating: bool
    language: str = "en"
    media: _Media | None = None
    listing: bool = False
    escalated: bool = False
    decided: bool = False
    received_at: _dt.datetime | None = None
    row: dict = field(default_factory=dict)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _kind_counts(items: int) -> dict[str, int]:
    """Exact counts per media kind (stratified, so small demos still have every kind)."""
    video = round(items * 0.10)
    gif = round(items * 0.03)
    image = round(items * 0.40)
    if items >= 10:
        video, gif = max(1, video), max(1, gif)
    text = items - video - gif - image
    return {"image": image, "gif": gif, "video": video, "text": text}


class _Planner:
    """Draws every random choice of the workspace, in a fixed order."""

    def __init__(self, items: int, seed: int):
        self.rng = random.Random(seed)
        self.items_wanted = items
        self.pool: list[_Media] = []
        self.by_category: dict[tuple[str, str], list[_Media]] = {}
        self.counters = {"image": 0, "gif": 0, "video": 0}

    def _seed(self) -> int:
        return self.rng.getrandbits(31)

    def _new_media(self, kind: str, category: str, violating: bool) -> _Media:
        rng = self.rng
        self.counters[kind] += 1
        n = self.counters[kind]
        caption = synth.caption_for(category, violating, rng)
        if kind == "image":
            width, height = rng.choices(_IMAGE_SIZES, weights=_IMAGE_SIZE_WEIGHTS)[0]
            png = category in ("spam", "scam_fraud", "harassment", "hate_speech") and rng.random() < 0.5
            m = _Media(f"img-{n:04d}.{'png' if png else 'jpg'}", kind, category, violating, self._seed(), caption,
                       width, height)
        elif kind == "gif":
            width, height = rng.choice(((240, 180), (320, 240), (200, 200)))
            m = _Media(f"anim-{n:03d}.gif", kind, category, violating, self._seed(), caption, width, height)
            m.seconds = rng.randint(8, 16)  # frame count
        else:
            width, height = rng.choice(((320, 240), (320, 240), (240, 320)))
            m = _Media(f"vid-{n:03d}.mp4", kind, category, violating, self._seed(), caption, width, height,
                       seconds=round(rng.uniform(5, 30), 1))
        self.pool.append(m)
        self.by_category.setdefault((kind, category), []).append(m)
        return m

    def _variant(self, base: _Media) -> _Media:
        self.counters["image"] += 1
        n = self.counters["image"]
        m = _Media(f"img-{n:04d}-repost.jpg", "image", base.category, base.violating, self._seed(), base.caption,
                   base=base)
        self.pool.append(m)
        self.by_category.setdefault(("image", base.category), []).append(m)
        return m

    def _media_for(self, kind: str, category: str, violating: bool) -> _Media:
        """New file, near-duplicate of an earlier one, or the very same file again."""
        rng = self.rng
        earlier = self.by_category.get((kind, category), [])
        roll = rng.random()
        new_share = {"image": 0.6, "gif": 0.6, "video": 0.7}[kind]
        if not earlier or roll < new_share:
            return self._new_media(kind, category, violating)
        if kind == "image" and roll < new_share + 0.14:
            originals = [m for m in earlier if m.base is None]
            return self._variant(rng.choice(originals))
        return rng.choice(earlier)

    def plan(self) -> list[_Item]:
        rng = self.rng
        counts = _kind_counts(self.items_wanted)
        kinds = [k for k, n in counts.items() for _ in range(n)]
        rng.shuffle(kinds)
        languages = list(synth.LANGUAGES)
        text_seen = 0
        lang_cycle: list[str] = []
        items: list[_Item] = []
        for index, kind in enumerate(kinds):
            category = _weighted(rng, _CATEGORY_WEIGHTS[kind])
            violating = rng.random() < _VIOLATION_RATE[category]
            item = _Item(index, kind, category, CATEGORY_QUEUE[category], violating)
            if kind == "text":
                if text_seen % len(languages) == 0:
                    lang_cycle = languages[:]
                    rng.shuffle(lang_cycle)
                # English is the most common language; the others still always appear.
                item.language = lang_cycle[text_seen % len(languages)] if rng.random() < 0.7 else "en"
                text_seen += 1
            else:
                item.media = self._media_for(kind, category, violating)
                item.violating = item.media.violating  # the same picture is the same call
                item.listing = category == "counterfeit_ip" and kind == "image"
            if category != "child_safety" and rng.random() < 0.04:
                item.escalated = True
                item.queue = LEAD_ESCALATIONS
            items.append(item)
        # Guarantee every script at least once when there are enough text posts.
        texts = [i for i in items if i.kind == "text"]
        present = {i.language for i in texts}
        missing = [lang for lang in languages if lang not in present]
        english = [i for i in texts if i.language == "en"]
        for lang, item in zip(missing, english[len(english) // 2:] if len(english) > len(missing) else english):
            item.language = lang
        # 12-megapixel photos: one per hundred items, among original JPEGs.
        originals = [m for m in self.pool if m.kind == "image" and m.base is None and m.name.endswith(".jpg")]
        for m in rng.sample(originals, min(len(originals), self.items_wanted // 100)):
            m.width, m.height = 4000, 3000
        return items


# --------------------------------------------------------------- generation
def _generate(m: _Media, folder: Path) -> Path:
    path = folder / m.name
    if m.kind == "image" and m.base is not None:
        return synth.make_near_duplicate(folder / m.base.name, path, seed=m.seed)
    if m.kind == "image":
        return synth.make_image(path, seed=m.seed, width=m.width, height=m.height, caption=m.caption,
                                category=m.category, quality=85 if m.width * m.height > 4_000_000 else 88)
    if m.kind == "gif":
        return synth.make_gif(path, seed=m.seed, width=m.width, height=m.height, frames=int(m.seconds),
                              caption=m.caption, category=m.category)
    return synth.make_video(path, seed=m.seed, seconds=m.seconds, fps=12, width=m.width, height=m.height,
                            caption=m.caption, category=m.category)


def _run_parallel(fn, jobs, workers: int, tick: Callable[[], None]) -> list:
    """Run *fn* over *jobs* in threads; results in job order; first error re-raised."""
    results = [None] * len(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, job) for job in jobs]
        for n, future in enumerate(futures):  # submission order: deterministic, progress still moves
            results[n] = future.result()
            tick()
    return results


# -------------------------------------------------------------------- build
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
    started = time.perf_counter()
    if items < 1:
        raise DemoError("a demo needs at least one item")
    _refuse_if_not_empty(store)
    severities = label_severities()
    media_dir = Path(media_dir).resolve()
    media_dir.mkdir(parents=True, exist_ok=True)

    planned = _Planner(items, seed).plan()
    rng = random.Random(f"{seed}:rows")
    now = store.clock.now()
    rows = _rows(planned, rng, now, severities)

    pool = _pool_of(planned)
    originals = [m for m in pool if m.base is None]
    variants = [m for m in pool if m.base is not None]
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
    _run_parallel(lambda m: _generate(m, media_dir), originals, workers, tick)
    _run_parallel(lambda m: _generate(m, media_dir), variants, workers, tick)
    infos = _run_parallel(lambda m: media.inspect(media_dir / m.name), pool, workers, tick)
    for m, info in zip(pool, infos):
        m.info = info

    for item, row in zip(planned, rows):
        if item.media is not None:
            info = item.media.info
            row.update(media_path=str(media_dir / item.media.name), media_type=info.mime,
                       content_sha256=info.sha256, phash=info.phash)
            row["metadata"].update(width=info.width, height=info.height)
            if info.duration_s:
                row["metadata"]["duration_s"] = round(info.duration_s, 1)

    decided = _write(store, planned, rows, rng, now, seed=seed, media_dir=media_dir)
    tick()

    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    return DemoSummary(
        queues=len(DEMO_QUEUES), users=len(DEMO_USERS), items=len(rows), decided=decided,
        media_files=len(pool), media_bytes=sum((media_dir / m.name).stat().st_size for m in pool),
        media_dir=media_dir, kinds=kinds, seconds=time.perf_counter() - started,
    )


def _pool_of(planned: list[_Item]) -> list[_Media]:
    """The distinct media files the items use, in first-use order (bases before their variants)."""
    seen: dict[str, _Media] = {}
    for item in planned:
        m = item.media
        if m is None:
            continue
        if m.base is not None and m.base.name not in seen:
            seen[m.base.name] = m.base
        seen.setdefault(m.name, m)
    return list(seen.values())


def _refuse_if_not_empty(store: Store) -> None:
    users, queues = len(store.users()), len(store.queues())
    if users or queues:
        raise DemoError(
            f"{store.path} already holds a workspace ({users} users, {queues} queues); "
            "a demo is built only into an empty store - choose a new --store path"
        )


def _rows(planned: list[_Item], rng: random.Random, now: _dt.datetime, severities: dict[str, str]) -> list[dict]:
    """Item rows (without media fields) and received times; marks which items get past decisions."""
    sla = {q.name: q.sla_seconds for q in DEMO_QUEUES}
    # About 30 % decided, older items more likely: weighted sampling without replacement.
    target = round(len(planned) * 0.3)
    ages = [rng.uniform(0, 1) for _ in planned]
    keys = sorted(range(len(planned)), key=lambda n: rng.random() ** (1 / (0.3 + ages[n])), reverse=True)
    for n in keys[:target]:
        planned[n].decided = True
    rows = []
    for item, age in zip(planned, ages):
        if item.decided:
            seconds = 1800 + age * (72 * 3600 - 1800)
        else:
            seconds = 60 + sla[item.queue] * 1.2 * (age ** 1.3)
            seconds = min(seconds, 72 * 3600)
        item.received_at = now - _dt.timedelta(seconds=round(seconds, 3))
        rows.append(_row(item, rng, severities))
    return rows


def _row(item: _Item, rng: random.Random, severities: dict[str, str]) -> dict:
    category = item.category
    # Marketplace: listing photos, and most English text reports about counterfeits.
    listing = item.listing or (category == "counterfeit_ip" and item.kind == "text" and item.language == "en"
                               and rng.random() < 0.7)
    surface = rng.choice(_SURFACES["listing" if listing else item.kind])
    noun = {"text": "Post", "image": "Image", "gif": "Animated GIF", "video": "Video"}[item.kind]
    if item.kind == "text":
        noun = {"comment": "Comment", "direct message": "Message", "group chat": "Message",
                "product review": "Product review"}.get(surface, "Post")
        text = synth.post_text(category, item.language, item.violating, rng)
    else:
        text = synth.post_text(category, "en", item.violating, rng) if rng.random() < 0.5 else ""
    if listing:
        noun = "Listing"
    source = rng.choices(("user report", "classifier", "trusted flagger"), weights=(75, 18, 7))[0]
    if category == "child_safety" and rng.random() < 0.5:
        source = "classifier"
    reporters = 0 if source == "classifier" else min(60, int(rng.expovariate(1 / 3)) + 1)
    metadata: dict = {
        "category": category,
        "description": f"{noun} reported for {_PHRASE[category]}",
        "report_reason": rng.choice(_REPORT_REASONS[category]),
        "reporter_count": reporters,
        "source": source,
        "surface": surface,
        "language": item.language if item.kind == "text" else "en",
        "author": f"user_{rng.randint(10000, 99999)}",
        "account_age_days": int(rng.expovariate(1 / 300)) + 1,
        "prior_strikes": rng.choices((0, 1, 2, 3), weights=(70, 18, 8, 4))[0],
        "demo": True,
    }
    if source == "classifier":
        metadata["classifier_score"] = round(rng.uniform(0.55, 0.99), 2)
    if listing:
        currency, symbol = rng.choice((("EUR", "€"), ("USD", "$"), ("GBP", "£")))
        title, text = synth.listing(item.violating, rng)
        metadata.update(listing_title=title,
                        price=f"{rng.randint(9, 499)}.{rng.choice(('00', '50', '99'))}", currency=currency,
                        seller=f"shop_{rng.randint(100, 999)}")
        metadata["price_display"] = f"{symbol}{metadata['price']}"
    if item.escalated:
        metadata.update(escalated_by=rng.choice(MODERATORS), escalation_note=rng.choice(_ESCALATION_NOTES),
                        escalated_from=CATEGORY_QUEUE[category])
    priority = 0
    if source == "trusted flagger" or reporters >= 12:
        priority = 1
    kind = {"gif": "image"}.get(item.kind, item.kind)
    if item.listing:
        kind = "mixed"  # a photo and its listing text
    return {
        "external_id": f"demo-{item.index + 1:05d}",
        "kind": kind,
        "text": text,
        "metadata": metadata,
        "severity": severities[category],
        "priority": priority,
        "received_at": iso(item.received_at),
        "queue_name": item.queue,
    }


def _past_decision(item: _Item, rng: random.Random, now: _dt.datetime) -> dict:
    """Who decided, what, when and how fast; with each person's error rate."""
    if item.queue in (LEAD_ESCALATIONS, MINOR_SAFETY):
        user = LEAD
    else:
        user = rng.choices(list(_SHARE), weights=list(_SHARE.values()))[0]
    category = item.category
    wrong = rng.random() < _ERROR_RATE[user]
    if item.violating and not wrong:
        action = "remove"
        roll = rng.random()
        if category in ("violent_graphic", "adult_nudity") and roll < 0.25:
            action = "age_restrict"
        elif category in ("violent_graphic", "hate_speech") and roll < 0.32:
            action = "label_only"
        labels = [category]
    elif item.violating:  # a miss, or the wrong label
        if rng.random() < 0.5:
            action, labels = "no_violation", []
        else:
            action, labels = "remove", [_CONFUSED_WITH[category]]
    elif wrong:  # over-enforcement
        action, labels = "remove", [category]
    else:
        action, labels = "no_violation", []
    base = {"text": 14, "image": 20, "gif": 18, "video": 45}[item.kind]
    handle_s = min(90.0, max(5.0, rng.lognormvariate(math.log(base), 0.5)))
    handle_ms = int(handle_s * 1000)
    age = (now - item.received_at).total_seconds()
    wait = rng.uniform(60, max(61.0, min(age - 120, 20 * 3600)))
    decided_at = min(item.received_at + _dt.timedelta(seconds=wait + handle_s), now - _dt.timedelta(seconds=60))
    return {"user": user, "action": action, "labels": labels, "handle_ms": handle_ms,
            "decided_at": iso(decided_at), "note": rng.choice(_DECISION_NOTES)}


def _write(store: Store, planned: list[_Item], rows: list[dict], rng: random.Random, now: _dt.datetime,
           *, seed: int, media_dir: Path) -> int:
    """Users, queues, items, past decisions and the demo flag: one transaction."""
    decisions = [(item, _past_decision(item, rng, now)) for item in planned if item.decided]
    with store.transaction():
        _refuse_if_not_empty(store)  # again, under the write lock
        for user in DEMO_USERS:
            store.add_user(user.name, user.roles, user.display_name)
        for q in DEMO_QUEUES:
            store.add_queue(q.name, q.kind, description=q.description, priority=q.priority,
                            sla_seconds=q.sla_seconds, escalation_queue=LEAD_ESCALATIONS if q.escalates else None)
        queue_ids = {q.name: q.id for q in store.queues()}
        for row in rows:
            row["queue_id"] = queue_ids[row.pop("queue_name")]
        store.add_items(rows, source="veil demo")
        ids = dict(store.db.execute("SELECT external_id, id FROM items").fetchall())
        for item, d in decisions:
            record_past_decision(store, item_id=ids[f"demo-{item.index + 1:05d}"], user=d["user"],
                                 action=d["action"], labels=d["labels"], decided_at=d["decided_at"],
                                 note=d["note"], handle_ms=d["handle_ms"], source="demo")
        store.set_setting(DEMO_SETTING, True)
        store.set_setting(DEMO_INFO_SETTING, {"seed": seed, "items": len(rows), "media_dir": str(media_dir)})
    return len(decisions)
