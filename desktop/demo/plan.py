"""Planning the demo's items: every random choice drawn up front, in a fixed order, from one seed.

Which kind each item is (stratified, so small demos still have every kind),
its category, queue, language and whether it violates; and the media
*pool*: several items point at the same file (re-reports) or at a
near-duplicate of it (re-uploads), which is realistic and what "seen
before" needs. :func:`generate` then makes each file (from its own seed,
so thread scheduling changes nothing).
"""

from __future__ import annotations

import datetime as _dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from desktop.demo import posts, synth
from desktop.demo.team import CATEGORY_QUEUE, LEAD_ESCALATIONS
from review.media import intake

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

_IMAGE_SIZES = ((320, 240), (640, 480), (800, 600), (1024, 768), (1280, 720), (1080, 1080), (1920, 1080),
                (750, 1334), (1200, 900), (480, 640))
_IMAGE_SIZE_WEIGHTS = (8, 16, 12, 12, 10, 12, 10, 8, 6, 6)


@dataclass
class Media:
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
    base: Media | None = None  # set for near-duplicates
    info: intake.MediaInfo | None = None


@dataclass
class PlannedItem:
    index: int
    kind: str  # text | image | gif | video (gif becomes item kind "image")
    category: str
    queue: str
    violating: bool
    language: str = "en"
    media: Media | None = None
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


class Planner:
    """Draws every random choice of the workspace, in a fixed order."""

    def __init__(self, items: int, seed: int):
        self.rng = random.Random(seed)
        self.items_wanted = items
        self.pool: list[Media] = []
        self.by_category: dict[tuple[str, str], list[Media]] = {}
        self.counters = {"image": 0, "gif": 0, "video": 0}

    def _seed(self) -> int:
        return self.rng.getrandbits(31)

    def _new_media(self, kind: str, category: str, violating: bool) -> Media:
        rng = self.rng
        self.counters[kind] += 1
        n = self.counters[kind]
        caption = synth.caption_for(category, violating, rng)
        if kind == "image":
            width, height = rng.choices(_IMAGE_SIZES, weights=_IMAGE_SIZE_WEIGHTS)[0]
            png = category in ("spam", "scam_fraud", "harassment", "hate_speech") and rng.random() < 0.5
            m = Media(f"img-{n:04d}.{'png' if png else 'jpg'}", kind, category, violating, self._seed(), caption,
                      width, height)
        elif kind == "gif":
            width, height = rng.choice(((240, 180), (320, 240), (200, 200)))
            m = Media(f"anim-{n:03d}.gif", kind, category, violating, self._seed(), caption, width, height)
            m.seconds = rng.randint(8, 16)  # frame count
        else:
            width, height = rng.choice(((320, 240), (320, 240), (240, 320)))
            m = Media(f"vid-{n:03d}.mp4", kind, category, violating, self._seed(), caption, width, height,
                      seconds=round(rng.uniform(5, 30), 1))
        self.pool.append(m)
        self.by_category.setdefault((kind, category), []).append(m)
        return m

    def _variant(self, base: Media) -> Media:
        self.counters["image"] += 1
        n = self.counters["image"]
        m = Media(f"img-{n:04d}-repost.jpg", "image", base.category, base.violating, self._seed(), base.caption,
                  base=base)
        self.pool.append(m)
        self.by_category.setdefault(("image", base.category), []).append(m)
        return m

    def _media_for(self, kind: str, category: str, violating: bool) -> Media:
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

    def plan(self) -> list[PlannedItem]:
        rng = self.rng
        counts = _kind_counts(self.items_wanted)
        kinds = [k for k, n in counts.items() for _ in range(n)]
        rng.shuffle(kinds)
        languages = list(posts.LANGUAGES)
        text_seen = 0
        lang_cycle: list[str] = []
        items: list[PlannedItem] = []
        for index, kind in enumerate(kinds):
            category = _weighted(rng, _CATEGORY_WEIGHTS[kind])
            violating = rng.random() < _VIOLATION_RATE[category]
            item = PlannedItem(index, kind, category, CATEGORY_QUEUE[category], violating)
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


def generate(m: Media, folder: Path) -> Path:
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


def pool_of(planned: list[PlannedItem]) -> list[Media]:
    """The distinct media files the items use, in first-use order (bases before their variants)."""
    seen: dict[str, Media] = {}
    for item in planned:
        m = item.media
        if m is None:
            continue
        if m.base is not None and m.base.name not in seen:
            seen[m.base.name] = m.base
        seen.setdefault(m.name, m)
    return list(seen.values())
