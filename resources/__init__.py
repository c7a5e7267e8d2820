"""Data, not code: the default policy taxonomy, the theme and the icons.

Shipped as package data so ``pip install .`` and the PyInstaller bundle
carry them; :func:`path` finds a resource wherever Veil is installed.
"""

from __future__ import annotations

from importlib import resources as _resources
from pathlib import Path


def path(name: str) -> Path:
    """Filesystem path of a bundled resource, e.g. ``path("taxonomy.toml")``."""
    return Path(str(_resources.files(__name__).joinpath(name)))
