"""``veil match PATH... [--text TEXT] --json``: what the team already decided about these files or texts.

Each file is hashed as an import would hash it (MD5, SHA-256, PDQ and its
quality) and looked up among the store's decided items: the same SHA-256,
or a PDQ within the organisation's threshold (``--dihedral``: of any of the
picture's turns and mirrors too). Per input it prints ``path`` (or
``text``), ``pdq``, ``quality``, ``md5``, ``sha256`` and ``matches``, each
``{source, list, tag, item_id, distance, action}`` (``source`` "store" for
a decided item, "list" for a hash list's entry, whose item_id is null). Nothing of a matched item but its id and
decision is printed. Moderators and leads may ask (an auditor is refused);
a moderator is not told of items whose decision QA is sampling. Exit 0 when every input
was read (matches or not), 1 when some file could not be read as media, 2
on bad usage or a refusal.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.commands.common import add_store_option, fail, open_store, print_json, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError
from review.media import MediaError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("match", help="hash files or texts and list the store's decided copies of them",
                            description=__doc__.split("\n\n", 1)[1].replace("``", "") if __doc__ else None)
    add_store_option(parser)
    add_user_option(parser, who="the person asking")
    parser.add_argument("paths", nargs="*", metavar="PATH", type=Path, help="image or video files to look up")
    parser.add_argument("--text", action="append", default=[], metavar="TEXT",
                        help="a text to look up by its normal form (repeatable)")
    parser.add_argument("--dihedral", action="store_true",
                        help="also find rotated and mirrored copies of images")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from desktop.commands.corrections import sample_states
    from review import matching

    if not args.paths and not args.text:
        return fail("give at least one PATH or --text TEXT")
    looked, unread = [], []
    with open_store(args, must_exist=True) as store:
        try:
            who = signed_in(store, args, roles=matching.ROLES, to="look up content")
            for path in args.paths:
                try:
                    looked.append(matching.match_file(store, who, path, dihedral=args.dihedral,
                                                      audit_states=sample_states))
                except (MediaError, OSError) as exc:
                    unread.append((path, str(exc) or type(exc).__name__))
            looked.extend(matching.match_text(store, who, text, audit_states=sample_states) for text in args.text)
        except VeilError as exc:
            return fail(str(exc))
    for path, why in unread:
        fail(f"{path}: {why}", 1)
    if args.json:
        print_json([one.as_json() for one in looked])
    else:
        for one in looked:
            print(shown(one.path if one.text is None else f"text {one.text!r}"))
            print(f"  sha256 {one.sha256}" + (f"  md5 {one.md5}" if one.md5 else ""))
            if one.pdq:
                print(f"  pdq {one.pdq}  quality {one.quality}")
            for match in one.matches:
                if match.source == "list":
                    tag = f", tag {match.tag}" if match.tag else ""
                    print(shown(f"  list {match.list}{tag}, {match.action or 'no action'}, {match.distance} bits"))
                else:
                    print(f"  seen: item {match.item_id}, {shown(match.action)}, {match.distance} bits")
            if not one.matches:
                print("  not seen before")
    return 1 if unread else 0
