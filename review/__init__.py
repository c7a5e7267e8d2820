"""Review domain: the store, queues, leases, decisions, media and exposure.

Nothing in this package imports Qt, ``ui`` or ``desktop``; the whole domain
runs without a display (a test enforces it).
"""
