"""A case decided on a server store whose rules the server enforces: the moderator's own role writes the rows the
case's decision applies to its other reports (and undoes them), though no lease of theirs holds those reports."""

from __future__ import annotations

import json

import pytest
from psycopg import errors as pg_errors
from test_server_roles import PHRASE, site  # noqa: F401  (the fixture)

from desktop import wiring
from review import taxonomy
from review.desk import ReviewDesk
from review.imports import manifest as importer

pytestmark = pytest.mark.server_only


def test_a_moderator_decides_and_undoes_a_case_on_their_own_role(site, clock, tmp_path):  # noqa: F811
    site.store.add_queue("reports")
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"id": n, "queue": "reports", "text": "same words"}) + "\n" for n in "abc"),
                    encoding="utf-8")
    assert importer.import_manifest(site.store, path, actor="lee").committed
    ana_store = wiring.open_store(site.url("ana"), clock=clock)
    try:
        ana = ana_store.user("ana")
        desk = ReviewDesk(taxonomy.load())
        shown = desk.claim(ana_store, ana, ["reports"])
        made, _ = desk.decide(ana_store, ana, shown.item.id, "remove", labels=["spam"], claim=shown.claim)
        applied = "SELECT COUNT(*) FROM decisions WHERE applies_id = ? AND user_id = ?"
        assert site.store.db.execute(applied, [made.id, ana.id]).fetchone() == (2,)
        desk.undo(ana_store, ana, made.id)
        assert site.store.db.execute("SELECT COUNT(*) FROM items i JOIN queues q ON q.id = i.queue_id"
                                     " WHERE q.name = 'reports' AND i.state = 'pending'").fetchone() == (3,)
    finally:
        ana_store.close()


def test_a_moderators_role_cannot_forge_rows_a_case_applied(site, clock, tmp_path):  # noqa: F811
    """The server lets a moderator write a row applying their decision only as the case does: ``source`` case, the
    same action and labels, on a pending report of that decision's own case."""
    site.store.add_queue("reports")
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"id": n, "queue": "reports", "text": text}) + "\n"
                            for n, text in [("p1", "same words"), ("p2", "same words"), ("p3", "same words"),
                                            ("q1", "other words"), ("q2", "other words")]), encoding="utf-8")
    assert importer.import_manifest(site.store, path, actor="lee").committed
    ids = dict(site.store.db.execute("SELECT external_id, id FROM items WHERE case_id IS NOT NULL").fetchall())
    ana_store = wiring.open_store(site.url("ana"), clock=clock)
    try:
        ana = ana_store.user("ana")
        desk = ReviewDesk(taxonomy.load())
        shown = desk.claim(ana_store, ana, ["reports"])
        made, _ = desk.decide(ana_store, ana, shown.item.id, "remove", labels=["spam"], claim=shown.claim)
        desk.undo(ana_store, ana, made.id)  # every report of the case waits again; her decision stays hers
    finally:
        ana_store.close()
    site.store.db.execute("UPDATE items SET state = 'decided' WHERE id = ?", [ids["p3"]])
    queue = site.store.queue("reports").id
    insert = ("INSERT INTO decisions (item_id, user_id, queue_id, action, labels, decided_at, source, applies_id,"
              " client_version) VALUES (%s, %s, %s, %s, %s, '2026-01-05T09:00:00.000Z', %s, %s, 'x')")
    forged = {
        "another case's report": (ids["q2"], "remove", '["spam"]', "case"),
        "not marked as a case's": (ids["p2"], "remove", '["spam"]', "review"),
        "another action": (ids["p2"], "no_violation", '["spam"]', "case"),
        "other labels": (ids["p2"], "remove", '["other"]', "case"),
        "a report already decided": (ids["p3"], "remove", '["spam"]', "case"),
    }
    with site.sql("ana") as conn:
        for why, (item, action, labels, source) in forged.items():
            with pytest.raises(pg_errors.InsufficientPrivilege):
                conn.execute(insert, (item, site.id("ana"), queue, action, labels, source, made.id))
                pytest.fail(f"{why}: written")
        conn.execute(insert, (ids["p2"], site.id("ana"), queue, "remove", '["spam"]', "case", made.id))  # as a case
