"""Builds the services every front end (GUI or CLI) needs, in one place."""

from __future__ import annotations

from pathlib import Path

from review.clock import Clock
from review.store import Store


def migration_sets() -> list:
    """Every domain's migrations after the review set, in dependency order."""
    from audit.store import schema as audit_schema

    return [audit_schema.migrations]


def schema_sets() -> list:
    """Every domain's migrations, review's first: what a current store's schema is made of (``veil verify``)."""
    from review.store.schema import migrations as review_migrations

    return [review_migrations, *migration_sets()]


def open_store(location: Path | str, clock: Clock | None = None) -> Store:
    """The store at *location*: a file's path, or a ``postgresql://`` URL (a server store). A big store's
    "Seen before" index is kept in this computer's cache folder from now on (:mod:`review.index_files`)."""
    from desktop import paths

    store = Store.open(location, clock=clock, migration_sets=migration_sets())
    store.index_folder = paths.cache_dir() / "content-index"
    return store
