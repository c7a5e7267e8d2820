"""Composition root: entry point, CLI, settings, paths and wiring.

The only package that knows where files live and that builds the services
the others receive.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("veil")
except _metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"
