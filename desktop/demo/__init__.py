"""The demo workspace, composed: review's items and people, then audit's QA data and statement mapping.

``veil demo`` and the app's first start both call :func:`create`, so the two
always build the same workspace. A demo of more than ``scale.SMALL_LIMIT``
items is that workspace at ``scale.BASE_ITEMS`` items, grown in bulk
(:mod:`desktop.demo.scale`) after its QA, gold and statements are in place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop.demo import scale
from desktop.demo.qa_data import DemoQA, seed_qa
from desktop.demo.review_data import DemoSummary, build
from desktop.demo.statements import install as install_statements
from desktop.demo.training import seed_gold
from review import taxonomy
from review.store import Store


def create(
    store: Store, media_dir: Path, *, items: int, seed: int, progress: Callable[[int, int], None] | None = None
) -> tuple[DemoSummary, DemoQA]:
    base = scale.BASE_ITEMS if items > scale.SMALL_LIMIT else items
    built = build(store, media_dir, items=base, seed=seed, progress=progress)
    qa = seed_qa(store, taxonomy.load(), seed=seed)
    seed_gold(store, taxonomy.load(), items=base)  # gold a lead builds a training course from (issue 17)
    install_statements(store)  # a newcomer sees statements of reasons at once (issue 21)
    if items > base:
        return scale.grow(store, built, items=items, seed=seed, progress=progress), qa
    return built.summary, qa
