"""An author's account on a big store: the most prolific author's (65,000 items on the 1 M demo store).

Timed: ``accounts.for_item`` for one of that author's pending items, as a moderator would get it — what the
review page's look-ahead reads on a reader while the person looks at the item before, and a first claim on the
writer — the p50 and p95 of ``--repeat`` calls, warm. Floor: a bare count of the author's items by queue and
state through their index (``SELECT queue_id, state, COUNT(*) … GROUP BY``): each item read once, nothing of
their decisions. Before issue 22's fix the account listed every item with its decision: 0.55 s warm, 1.6 s
cold for that author.

    .venv/bin/python benchmarks/bench_accounts.py --scale 1m              # the demo store, built once
    .venv/bin/python benchmarks/bench_accounts.py --store <a veil demo store> [--repeat 15]

It reads a copy (opening a store may apply schema steps to it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import big_store, copy_store, figure, percentile, record, timed  # noqa: E402

from desktop import wiring  # noqa: E402
from review import accounts  # noqa: E402
from review.serving import load_item  # noqa: E402

_MOST_ITEMS = "SELECT author, COUNT(*) FROM items WHERE author IS NOT NULL GROUP BY author ORDER BY 2 DESC LIMIT 1"
_FLOOR = "SELECT queue_id, state, COUNT(*) FROM items WHERE author = ? GROUP BY queue_id, state"


def warm_ms(call, repeat: int) -> list[float]:
    """Milliseconds of each of *repeat* calls (:func:`common.timed`), after one that warms the caches."""
    call()
    return [seconds * 1000 for seconds in timed(call, repeat)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="a Veil demo store (read only)")
    parser.add_argument("--scale", default="1m", help="the demo store to build once when --store is not given")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--user", default="ana", help="the moderator whose account view is read")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(args.store) if args.store else big_store(args.scale)
        return measure(copy_store(source, Path(folder) / "accounts.db"), args.repeat, args.user)


def measure(path: Path, repeat: int, user_name: str) -> int:
    store = wiring.open_store(path)
    try:
        author, count = store.db.execute(_MOST_ITEMS).fetchone()
        pending = store.db.execute("SELECT id FROM items WHERE author = ? AND state = 'pending' LIMIT 1",
                                   [author]).fetchone()
        item, user = load_item(store, pending[0]), store.user(user_name)
        account = accounts.for_item(store, user, item)
        veil = warm_ms(lambda: accounts.for_item(store, user, item), repeat)
        floor = warm_ms(lambda: store.db.execute(_FLOOR, [author]).fetchall(), repeat)
    finally:
        store.close()
    record("account_prolific_author", {"author_items": count, "listed": len(account.items),
                                       "visible": account.visible, "elsewhere": account.elsewhere,
                                       "p50_ms": round(percentile(veil, 50), 1),
                                       "floor_p50_ms": round(percentile(floor, 50), 1)})
    figure("account_prolific_author_p95", round(percentile(veil, 95), 1), "ms p95",
           floor=round(percentile(floor, 95), 1), n=repeat, scale=f"an author of {count:,} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
