"""Pieces every subcommand shares: the --store option, opening the store, and printing names safely."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from desktop import paths, wiring
from review.errors import StoreError
from review.store import Store, probe
from review.store.connection import missing_log


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS,
                        help="the store file (default: $VEIL_HOME/veil.db, else the user data folder)")


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


def existing_store_path(args: argparse.Namespace) -> Path:
    """The path of the existing Veil store named by --store (or the default); exit 2 with a message if it is not one."""
    path = paths.store_path(getattr(args, "store", None))
    if not path.exists():
        print(f"veil: there is no Veil store at {path} (create one with: veil demo --store PATH, or veil import)",
              file=sys.stderr)
        raise SystemExit(2)
    if not probe.is_veil_store(path):  # or its newest pages went with a deleted log: then that is said
        print(f"veil: {missing_log(path) or f'{path} is not a Veil store'}", file=sys.stderr)
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
    printed as its Python escape (``\\x1b``, ``\\u202e``), so it is seen, not run;
    every other character, emoji and every script included, is left alone.
    """
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
