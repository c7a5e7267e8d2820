"""Review domain: the store, queues, leases, decisions, media and exposure.

Nothing in this package imports Qt, ``ui`` or ``desktop``; the whole domain
runs without a display (a test enforces it).
"""

from importlib import metadata as _metadata

try:
    VERSION = _metadata.version("veil")
except _metadata.PackageNotFoundError:  # running from a source tree
    VERSION = "0.0.0+source"
