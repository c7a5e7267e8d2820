"""Pieces every subcommand shares: the --store option and opening the store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop import paths, wiring
from review.errors import StoreError
from review.store import Store, probe


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
    if not probe.is_veil_store(path):
        print(f"veil: {path} is not a Veil store", file=sys.stderr)
        raise SystemExit(2)
    return path


def fail(message: str, code: int = 2) -> int:
    print(f"veil: {message}", file=sys.stderr)
    return code
