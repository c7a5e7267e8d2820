"""``veil rehash``: give media imported before PDQ its MD5 and PDQ hashes (a lead's, stoppable, resumable).

A store upgraded to schema m019 keeps its media items' SHA-256 but lost the
old 64-bit hash; until this runs, "Seen before" and ``veil match`` find only
exact copies of them. It reads every such item's file again, a batch per
transaction, with a progress line on a terminal; stopping it (Ctrl+C) keeps
what is done, and running it again goes on from there. Items whose file is
missing, unreadable or changed keep only their SHA-256 and are listed. Exit
0 when every item was hashed, 1 when some were listed, 2 on a refusal.
"""

from __future__ import annotations

import argparse
import sys

from desktop.commands.common import add_store_option, as_lead, shown
from desktop.commands.signin import add_user_option
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rehash", help="compute MD5 and PDQ for media imported before them (lead)",
                            description="Read again every media item that has no MD5 and PDQ yet (imported "
                                        "before Veil had them) and store its hashes; resumable. Lead only.")
    add_store_option(parser)
    add_user_option(parser, "--lead", who="the lead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from review import rehash

    def work(store: Store, lead: User) -> int:
        done = rehash.rehash(store, lead, progress=_progress)
        if sys.stderr.isatty():
            sys.stderr.write("\r\033[K")
        print(f"rehashed {done.hashed} media items; {len(done.unreadable)} kept only their SHA-256")
        for item_id, why in done.unreadable:
            print(f"item {item_id}: {shown(why)}", file=sys.stderr)
        return 1 if done.unreadable else 0

    return as_lead(args, "rehash the store's media", work)


def _progress(done: int, total: int) -> None:
    """A self-overwriting "n/N" line on a terminal; nothing in logs or pipes."""
    if total and sys.stderr.isatty():
        sys.stderr.write(f"\rrehashing media: {done}/{total} items")
        sys.stderr.flush()
