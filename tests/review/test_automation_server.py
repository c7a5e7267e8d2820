"""Automation on a server store whose rules the server enforces (issue 20 §7): a lead's own transaction (an
import, on their own role) writes the system person's decisions and their ``automation`` events, and revokes."""

from __future__ import annotations

import pytest
from builders import text_items
from test_server_roles import site  # noqa: F401  (the fixture)

from desktop import wiring
from review.known import automation
from review.known.automation import Outcome, apply

pytestmark = pytest.mark.server_only


def test_a_lead_on_their_own_role_decides_by_automation_and_revokes(site, clock):  # noqa: F811
    ids = text_items(site.store, "spam", 2)
    with wiring.open_store(site.url("lee"), clock=clock) as lee_store:
        with lee_store.transaction():
            made = apply(lee_store, [Outcome(i, "remove", ("spam",), automated=True) for i in ids], rule="r",
                         version=1, actor="lee")
        assert made == 2
        assert automation.revoke(lee_store, "lee", "r", "2000-01-01T00:00:00Z", None).revoked == 2
    assert site.store.db.execute(
        "SELECT COUNT(*) FROM events WHERE actor = 'automation' AND kind = 'decision.recorded'").fetchone() == (2,)
