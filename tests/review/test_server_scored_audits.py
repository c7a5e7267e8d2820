"""``scored_audits`` (audit/store/scored_audits.py) on a server, each person on their own role (issue 22).

The row of a scored audit is added by its scorer's transaction (the trigger
runs as the auditor, under the table's rules in ``server_policies``); the
table is colleagues' accuracy, so a moderator reads none of it.
"""

from __future__ import annotations

import pytest
from test_server_roles import site  # noqa: F401  (the fixture: a server site with each person's own role)

from audit.store import scored_audits
from desktop import wiring
from review import taxonomy

pytestmark = pytest.mark.server_only


def test_on_a_server_the_scorer_adds_the_row_and_a_moderator_reads_none(site, clock):  # noqa: F811
    from audit.desk import AuditDesk

    with wiring.open_store(site.url("dana"), clock=clock) as dana_store:
        desk = AuditDesk(taxonomy.load())
        dana = dana_store.user("dana")
        opened = desk.take_next(dana_store, dana)
        desk.submit_blind(dana_store, dana, opened.task.sample_id, "remove", ["spam"])
        desk.score(dana_store, dana, opened.task.sample_id, "correct")  # on dana's role: the trigger adds the row
        assert dana_store.db.execute("SELECT COUNT(*) FROM scored_audits WHERE auditor_id = ?",
                                     [dana.id]).fetchone() == (1,)
    with wiring.open_store(site.url("ana"), clock=clock) as ana_store:  # colleagues' accuracy: not a moderator's
        assert ana_store.db.execute("SELECT COUNT(*) FROM scored_audits").fetchone() == (0,)
    with wiring.open_store(site.url("lee"), clock=clock) as lee_store:
        assert list(scored_audits.problems(lee_store.db)) == []
