"""Where Veil keeps its files.

Order: an explicit ``--store PATH``; else ``$VEIL_STORE``; else
``$VEIL_HOME/veil.db`` (tests, portable installs, kiosks); else the
platform's user data folder (platformdirs). Media produced by ``veil demo``
lives beside the store, in ``<store name>.media/``, so a store and its demo
media move together.

A store may also be a PostgreSQL server's (team mode, issue 15): wherever
a path is accepted, a ``postgresql://`` URL is too, and is kept as the text
it is (libpq reads it: ``PGPASSFILE``, ``sslmode``, service files), never
made a path. Such a store's demo media live in this computer's Veil folder
(``servers/<host>-<database>.media``) until media move into the server.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import platformdirs

from review.store import media_root
from review.store.connection import is_url

APP_NAME = "Veil"
STORE_NAME = "veil.db"


def home() -> Path:
    override = os.environ.get("VEIL_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """What Veil may rebuild from the store (a big store's "Seen before" index): ``$VEIL_HOME/cache`` when a
    home is given, else the platform's user cache folder."""
    override = os.environ.get("VEIL_HOME")
    if override:
        return Path(override).expanduser() / "cache"
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def store_path(explicit: str | os.PathLike | None = None) -> Path | str:
    """The store to open: a file's path, or a server's URL (a ``str``) when one is named."""
    chosen = explicit or os.environ.get("VEIL_STORE")
    if is_url(chosen):
        return str(chosen)
    if chosen:
        return Path(chosen).expanduser().resolve()
    return home() / STORE_NAME


def taxonomy_path() -> Path | None:
    """A team's own policy taxonomy, ``$VEIL_HOME/taxonomy.toml``, if they put one there.

    None means the default taxonomy bundled with Veil.
    """
    candidate = home() / "taxonomy.toml"
    return candidate if candidate.exists() else None


def demo_media_dir(store: Path | str) -> Path:
    if is_url(store):
        parts = urlsplit(str(store))
        host = parts.hostname or parse_qs(parts.query).get("host", ["local"])[0].strip("/").replace("/", "_")
        return home() / "servers" / f"{host}-{parts.path.strip('/') or 'veil'}.media"
    return media_root.beside(Path(store))  # the store's own media root: the demo writes there like an import
