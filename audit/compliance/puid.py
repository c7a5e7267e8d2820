"""The platform's unique id (``puid``) of each decision's statement: stable, unique, and what the database allows.

One job: derive it. The database keeps a puid unique per platform and
refuses ``'regex:/^[a-zA-Z0-9-_]+$/D'`` and ``'max:500'`` breaches
(``GroupedSubmissionsService::multi_rules``). ``veil-<workspace>-<decision id>``:
the decision id never changes and is never reused in a store (its rows are
append-only), and the workspace part (the first 12 hex digits of the hash
of the store's first event) keeps two Veil stores sending to one platform
from colliding. Deriving it rather than storing a random one means a lost
answer, a re-export or a second machine all give the same puid, so the
database's uniqueness check catches any duplicate.
"""

from __future__ import annotations

import re


def make(workspace: str, decision_id: int) -> str:
    """The puid of decision *decision_id* in the workspace whose token is *workspace*."""
    part = re.sub(r"[^a-zA-Z0-9]", "", workspace)[:12] or "store"
    return f"veil-{part}-{decision_id}"
