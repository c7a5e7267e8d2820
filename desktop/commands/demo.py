"""``veil demo``: fill a new store with a synthetic, harmless demo workspace."""

from __future__ import annotations

import argparse
import sys
import time

from desktop import paths
from desktop.commands.common import add_store_option, fail, open_store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="create a demo workspace (queues, people, synthetic items) in a new store",
        description="Create a demo workspace in an empty store: a T&S team's queues, three moderators, "
        "an auditor and a lead, and N reported items with synthetic, harmless media (images up to "
        "12 MP, short videos, animated GIFs) and text in several scripts; about 30%% already decided. "
        "Above 2,000 items the rest are written in bulk (a million in about a minute): copies of those reports, "
        "about half decided by a bigger team, with their events, exposure and hashes, in one transaction (stopped "
        "half-way, the store keeps the 300-item workspace). "
        "Media is written beside the store, in STORE.media/. Exit 2 if the store already holds data.",
    )
    add_store_option(parser)
    parser.add_argument("--items", type=_positive, default=300, metavar="N", help="how many items (default 300)")
    parser.add_argument("--seed", type=int, default=7, metavar="S",
                        help="random seed; the same seed gives the same workspace (default 7)")
    parser.set_defaults(run=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class _ProgressLine:
    """One self-overwriting line on stderr (a plain line per 10% when not a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // max(1, total)
        step = percent if self.tty else percent - percent % 10
        if step == self.last:
            return
        self.last = step
        text = f"demo: preparing media and items {done}/{total} ({percent}%)"
        if self.tty:
            self.stream.write("\r" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.last >= 0:
            self.stream.write("\n")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from desktop.demo import create
    from desktop.demo.review_data import DemoError

    started = time.perf_counter()
    with open_store(args) as store:
        media_dir = paths.demo_media_dir(store.path.resolve() if store.path else str(store.url))
        progress = _ProgressLine()
        try:
            summary, qa = create(store, media_dir, items=args.items, seed=args.seed, progress=progress)
        except DemoError as exc:
            progress.finish()
            return fail(str(exc))
        progress.finish()
        seconds = time.perf_counter() - started
        grown, grown_s = summary.grown
        rate = (f" ({summary.items / seconds:,.0f} items/s; {grown:,} grown in bulk in {grown_s:.1f} s:"
                f" {grown / max(grown_s, 1e-9):,.0f} items/s)" if grown else "")
        print(summary.line(store.path.resolve() if store.path else store.location, seconds) + rate)
        print(f"demo QA: {qa.sampled} decisions sampled, {qa.audited} audited, {qa.disputed} disputed")
    return 0
