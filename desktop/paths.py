"""Where Veil keeps its files.

Order: an explicit ``--store PATH``; else ``$VEIL_HOME/veil.db`` (tests,
portable installs, kiosks); else the platform's user data folder
(platformdirs). Media produced by ``veil demo`` lives beside the store, in
``<store name>.media/``, so a store and its demo media move together.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Veil"
STORE_NAME = "veil.db"


def home() -> Path:
    override = os.environ.get("VEIL_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def store_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    return home() / STORE_NAME


def taxonomy_path() -> Path | None:
    """A team's own policy taxonomy, ``$VEIL_HOME/taxonomy.toml``, if they put one there.

    None means the default taxonomy bundled with Veil.
    """
    candidate = home() / "taxonomy.toml"
    return candidate if candidate.exists() else None


def demo_media_dir(store: Path) -> Path:
    return store.with_name(store.name + ".media")
