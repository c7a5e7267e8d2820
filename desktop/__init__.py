"""Composition root: entry point, CLI, settings, paths and wiring.

The only package that knows where files live and that builds the services
the others receive.
"""

from review import VERSION as __version__  # one version, read from the package metadata

__all__ = ["__version__"]
