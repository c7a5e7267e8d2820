"""``veil verify``: prove the store's schema is current and its history unedited."""

from __future__ import annotations

import argparse

from desktop.commands.common import add_store_option, open_store
from review.store import applied_migrations, events


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("verify", help="check the schema version and the event log's hash chain",
                            description="Check the schema version and the event log's hash chain; "
                            "name the first row that breaks it. Exit 1 if broken.")
    add_store_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        applied = applied_migrations(store.db)
        steps = ", ".join(f"{s}/{n}" for s, n in applied)
        print(f"schema: current ({len(applied)} steps: {steps})")
        checked, broken = events.verify_chain(store.db)
        if broken:
            print(f"events: BROKEN at row {broken.row_id}: {broken.reason} ({checked} rows before it are intact)")
            return 1
        print(f"events: intact ({checked} rows, hash chain verified)")
        return 0
