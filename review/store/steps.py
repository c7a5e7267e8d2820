"""Which schema steps a store has applied, and the refusal of a store a newer Veil has upgraded.

Asked the same of a file and of a server (both record the steps in a
``_sqlite_migrations`` table): ``Store.open`` refuses a store with steps it
does not know, and ``veil verify`` lists them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

FIRST_STEP = ("review", "m001_core")  # every Veil store has applied it: what makes a file or a database Veil's


def unknown_migrations(db: Any, sets: Sequence[sqlite_utils.Migrations]) -> list[str]:
    """Applied migrations this Veil does not know: the store is from a newer version."""
    known = {(s.name, m.name) for s in sets for m in s._migrations}
    set_names = {s.name for s in sets}
    return [f"{s}/{n}" for s, n in applied_migrations(db) if s in set_names and (s, n) not in known]


def applied_migrations(db: Any) -> list[tuple[str, str]]:
    """(migration set, name) of every schema step applied to the store, oldest first."""
    if not db["_sqlite_migrations"].exists():
        return []
    return [(r[0], r[1]) for r in db.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id")]


def newer_schema(location: str, unknown: Sequence[str]) -> str:
    """The refusal of a store a newer Veil has upgraded (file and server alike)."""
    return (f"{location} was written by a newer Veil (unknown schema steps: {', '.join(unknown)}); "
            "upgrade Veil to open it")
