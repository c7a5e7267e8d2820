"""``veil``: the desktop app with no subcommand, or one of the CLI tools.

Exit codes: 0 success; 1 the command ran and found problems (invalid
import rows, a broken event chain); 2 bad usage, a store that cannot be
opened, or a person who is not signed in or may not do what was asked.
"""

from __future__ import annotations

import argparse
import sys

# sqlite-utils imports pandas when it can find it, only to name pandas' column types, which Veil never stores; pandas
# is installed beside Veil by other tools, and importing it cost a quarter of a second of CPU at every start
# (issue 22: cold start ≤ 1.5 s). None in sys.modules makes that optional import fail, as if pandas were absent.
sys.modules.setdefault("pandas", None)  # type: ignore[assignment]


def _import_store_without_numpy() -> None:
    """sqlite-utils (under ``review.store``) imports NumPy when it can, for the same reason (NumPy's column types;
    Veil writes its own SQL): NumPy is hidden while the store's modules are imported, then loads as usual for the
    media code that needs it when a page first shows an item, not at every start (a tenth of a second of CPU).
    The store's own modules never import NumPy (one that did would fail here, loudly, at every start)."""
    if "numpy" in sys.modules or "sqlite_utils" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]
    try:
        import review.store  # noqa: F401
    finally:
        del sys.modules["numpy"]


_import_store_without_numpy()

from desktop import __version__  # noqa: E402
from desktop.commands import discover  # noqa: E402
from desktop.commands.common import fail  # noqa: E402
from review.errors import NotAllowed  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="veil",
        description="Veil: a calm, keyboard-first workstation for trust & safety review. "
        "With no command, opens the app on the store.",
    )
    parser.add_argument("--version", action="version", version=f"veil {__version__}")
    parser.add_argument("--store", metavar="PATH|URL",
                        help="the store file, or a PostgreSQL server's postgresql://host/database URL (default: "
                        "$VEIL_STORE, else $VEIL_HOME/veil.db, else the user data folder)")
    parser.add_argument("--user", metavar="NAME",
                        help="sign in as NAME directly (kiosks and tests); a command acts as NAME, else as $VEIL_USER")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in discover():
        command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from desktop.app import run_gui  # Qt is imported only when the GUI runs

        return run_gui(args)
    try:
        return args.run(args)
    except NotAllowed as exc:  # not signed in, or not allowed: said, never a traceback (desktop.commands.signin)
        return fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
