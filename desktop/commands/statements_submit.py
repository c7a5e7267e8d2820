"""``veil statements submit``: send the statements not accepted yet to the DSA Transparency Database.

The rules (what is resent, what counts as accepted, retries) are
``audit.compliance.submit``'s; this module reads the token from
``VEIL_DSA_TOKEN`` — once, removing it from the environment so no child
process inherits it; never an option, since other accounts see command
lines — and prints progress and the summary. Exit 0 when every statement
sent was accepted, 1 when some were refused or the run stopped early, 2
on bad usage or a refusal to start.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from desktop.commands.common import add_action, as_lead, fail, print_json, shown
from review.store import Store, User

if TYPE_CHECKING:
    from audit.compliance.submit import Submitted


def add_submit(actions: argparse._SubParsersAction) -> None:
    """Add ``submit`` to ``veil statements``' actions."""
    from audit.compliance.submit import MAX_BATCH, TOKEN_ENV

    parser = add_action(actions, "submit", "Send the statements not accepted yet to the Transparency Database "
                        f"(token in ${TOKEN_ENV}, never on the command line); retries on failures, never sends a "
                        "statement twice.", run_submit)
    parser.add_argument("--endpoint", required=True, metavar="URL", help="the base URL of the database's API "
                        "(Veil adds /api/v1/statements)")
    parser.add_argument("--batch", type=int, default=MAX_BATCH, metavar="N",
                        help=f"statements per request, 1 to {MAX_BATCH} (default {MAX_BATCH})")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run_submit(args: argparse.Namespace) -> int:
    from audit.compliance import submit

    token = os.environ.pop(submit.TOKEN_ENV, "")  # read once; no child process inherits it

    def work(store: Store, lead: User) -> int:
        def progress(done: int, total: int) -> None:
            if not args.json and total:
                print(f"\rsettled {done}/{total} statements", end="", file=sys.stderr, flush=True)

        try:
            done = submit.submit(store, lead, args.endpoint, token, batch=args.batch, progress=progress)
        except submit.SubmitError as exc:
            return fail(str(exc))
        if args.json:
            print_json(done.as_dict())
        else:
            if done.waiting:
                print(file=sys.stderr)
            print(summary(done))
        return 1 if done.stopped or done.refused else 0

    return as_lead(args, "submit statements of reasons", work)


def summary(done: Submitted) -> str:
    """The run in a few lines: what was accepted, refused (with the database's words) and left, and why it stopped."""
    lines = [f"{done.waiting} statements to send"
             + (f" ({done.corrections} corrected after complaints)" if done.corrections else "")
             + f": {done.accepted} accepted, {done.already_there} already in the database, "
             f"{len(done.refused)} refused, {done.left} left; {done.requests} requests, {done.retries} retried"]
    lines += [f"  refused {shown(puid)}: {shown(why)}" for puid, why in done.refused.items()]
    lines += [f"  held back {shown(puid)}: the database named it as existing but does not confirm it holds it "
              "(another request may have held its lock); the next run sends it again" for puid in done.unconfirmed]
    if done.stopped:
        lines.append(f"stopped: {shown(done.stopped)}")
    elif not done.waiting:
        lines.append("nothing to send: every exported statement is accepted")
    return "\n".join(lines)
