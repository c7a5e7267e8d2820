"""Pieces every subcommand shares: the --store option, opening the store, printing names safely, and a lead's
command groups (one action each, signed in as a lead)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop import paths, wiring
from desktop.commands.signin import add_user_option, signed_in
from review.errors import StoreError, VeilError
from review.store import Store, User, probe
from review.store.connection import missing_log, shown_location


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH|URL", default=argparse.SUPPRESS,
                        help="the store file, or a postgresql://host/database URL (default: $VEIL_STORE, else "
                        "$VEIL_HOME/veil.db, else the user data folder)")


def open_store(args: argparse.Namespace, *, must_exist: bool = False) -> Store:
    """Open the store named by --store (or the default); exit 2 with a message if it cannot.

    *must_exist*: for commands that only read or act on an existing store
    (metrics, sample, verify, export). Opening a path creates a store there,
    so a mistyped ``--store`` would otherwise report on a new, empty store
    (and leave it behind) instead of saying the store is not there; and an
    existing file that is not a Veil store (another program's SQLite file,
    an empty file, a text file) would get Veil's tables added to it. Such a
    file is recognised without writing to it and refused, unchanged.
    """
    path = existing_store_path(args) if must_exist else paths.store_path(getattr(args, "store", None))
    try:
        return wiring.open_store(path)
    except StoreError as exc:
        print(f"veil: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def existing_store_path(args: argparse.Namespace) -> Path | str:
    """The path (or server URL) of the existing Veil store named by --store (or the default); exit 2 with a message
    if it is not one. Said with the shown form of a URL (:func:`review.store.connection.shown_location`)."""
    path = paths.store_path(getattr(args, "store", None))
    if isinstance(path, Path) and not path.exists():
        print(f"veil: there is no Veil store at {shown(path)} (create one with: veil demo --store PATH, or veil "
              "import)", file=sys.stderr)
        raise SystemExit(2)
    try:
        veil_store = probe.is_veil_store(path)
    except StoreError as exc:  # a server that cannot be reached says why
        raise SystemExit(fail(str(exc))) from exc
    if not veil_store:  # or its newest pages went with a deleted log: then that is said
        print(f"veil: {shown(missing_log(path) or f'{shown_location(path)} is not a Veil store')}", file=sys.stderr)
        raise SystemExit(2)
    return path


def fail(message: str, code: int = 2) -> int:
    """Say *message* on stderr (each of its lines :func:`shown`: it may hold names) and return the exit code."""
    safe = "\n".join(shown(line) for line in message.split("\n"))
    print(f"veil: {safe}", file=sys.stderr)
    return code


#: What a terminal acts on instead of showing: C0 and C1 controls (ESC starts the sequences that clear the screen,
#: retitle the window or fake a prompt; CSI is ESC's one-byte form), line and paragraph separators, and the bidi
#: overrides that show text in another order than it is (the "Trojan Source" trick).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(text: object) -> str:
    """*text* (a queue or person name, a path, a reason naming them) safe to print on a terminal.

    Names come from manifests, imports and other people: one holding
    ``\\x1b[2J`` would clear the lead's screen. Each unsafe character is
    printed as its Python escape (``\\x1b``, ``\\u202e``, ``\\u200b``: controls and invisible
    format characters), so it is seen, not run;
    every other character, emoji and every script included, is left alone.
    """
    # Format characters (U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+FEFF …) show as nothing, so a name
    # holding one passes for another; they are escaped as the controls are. The joiners U+200C and U+200D stay:
    # emoji sequences and Persian or Indic words are built with them.
    return "".join(char.encode("unicode_escape").decode("ascii")
                   if _UNSAFE.match(char) or (unicodedata.category(char) == "Cf" and char not in "\u200c\u200d")
                   else char for char in str(text))


def add_action(actions: argparse._SubParsersAction, name: str, help_text: str,
               run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """One action of a lead's command group (``veil plans add …``), with its own --store and --lead/--user (so
    they may follow the action's name); *run* is called with the parsed arguments."""
    parser = actions.add_parser(name, help=help_text, description=help_text + " Lead only; exit 2 on bad usage "
                                "or a refusal.")
    add_store_option(parser)
    add_user_option(parser, "--lead", who="the lead")
    parser.set_defaults(run=run)
    return parser


def as_lead(args: argparse.Namespace, to: str, work: Callable[[Store, User], int]) -> int:
    """Run *work(store, lead)* on the existing store, signed in as a lead (the domain checks the role again);
    Veil's refusals and unknown names (KeyError) exit 2 with their words."""
    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to=to)
        try:
            return work(store, lead)
        except VeilError as exc:
            return fail(str(exc))
        except KeyError as exc:
            return fail(str(exc.args[0]))


def print_json(value: Any) -> None:
    """*value* as indented JSON, non-ASCII kept (names in every script)."""
    print(json.dumps(value, indent=2, ensure_ascii=False))
