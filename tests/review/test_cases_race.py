"""Two desks deciding two reports of one case at once: one decision stands for the case, the other desk is told.

Only a case's lead is served, but a report can still be held under a claim taken before it joined (a desk of an
older Veil during an upgrade, say). Deciding either report decides the case; the reports are locked row by row,
so on a server the two decisions meet on a lock (or a deadlock, replayed whole) and the later finds its report
decided; on a file they take turns. Each desk has its own connection, as at a site.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from pathlib import Path

import pytest
from builders import people

from desktop import wiring
from review import taxonomy
from review.clock import iso
from review.desk import ReviewDesk
from review.imports import manifest as importer
from review.serving import LeaseLost
from review.store import integrity, leases
from review.store.schema import migrations


@pytest.fixture
def desk():
    return ReviewDesk(taxonomy.load())


def _case_held_twice(store, tmp_path: Path, desk):
    """Reports a (lead) and b of one case: ana holds a by a claim, ben holds b by a claim older than the case."""
    store.add_queue("spam")
    crowd = people(store, lee="lead", ana="moderator", ben="moderator")
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"id": n, "queue": "spam", "text": "same words"}) + "\n" for n in "ab"),
                    encoding="utf-8")
    assert importer.import_manifest(store, path, actor="lee").committed
    ids = dict(store.db.execute("SELECT external_id, id FROM items").fetchall())
    shown = desk.claim(store, crowd["ana"], ["spam"])
    assert shown.item.id == ids["a"]
    with store.transaction():
        now = store.clock.now()
        expires = iso(now + _dt.timedelta(minutes=10))
        older = store.log("ben", "item.claimed", f"item:{ids['b']}", {"expires_at": expires})
        leases.grant(store, ids["b"], crowd["ben"].id, older, iso(now), expires)
    return crowd, ids, shown.claim, older


def _outcomes(store, ids):
    return {name: store.db.execute(
        "SELECT d.action, d.source FROM decisions d WHERE d.item_id = ? AND d.revokes_id IS NULL ORDER BY d.id",
        [item_id]).fetchall() for name, item_id in ids.items()}


def test_the_later_of_two_decisions_on_one_case_finds_its_report_decided(store, tmp_path, desk):
    crowd, ids, a_claim, b_claim = _case_held_twice(store, tmp_path, desk)
    first, second = store.second_connection(), store.second_connection()
    late: list[BaseException] = []

    def ben_decides():
        try:
            desk.decide(second, crowd["ben"], ids["b"], "no_violation", claim=b_claim)
        except LeaseLost as lost:
            late.append(lost)

    pressed = threading.Thread(target=ben_decides)
    with first.transaction():
        desk.decide(first, crowd["ana"], ids["a"], "remove", labels=["spam"], claim=a_claim)
        pressed.start()
        pressed.join(0.5)
    pressed.join(30)
    assert not pressed.is_alive() and len(late) == 1
    assert _outcomes(store, ids) == {"a": [("remove", "review")], "b": [("remove", "case")]}
    first.close()
    second.close()


def test_two_decisions_on_one_case_at_the_same_moment_one_stands(store, tmp_path, desk):
    crowd, ids, a_claim, b_claim = _case_held_twice(store, tmp_path, desk)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def decide(person, item_id, claim, action, labels):
        own = store.second_connection()
        start.wait()
        try:
            outcomes.append(desk.decide(own, person, item_id, action, labels=labels, claim=claim)[0].action)
        except LeaseLost as lost:
            outcomes.append(lost)
        finally:
            own.close()

    runs = [threading.Thread(target=decide, args=(crowd["ana"], ids["a"], a_claim, "remove", ["spam"])),
            threading.Thread(target=decide, args=(crowd["ben"], ids["b"], b_claim, "no_violation", []))]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == ["LeaseLost", "str"]
    (stood,) = [o for o in outcomes if isinstance(o, str)]
    found = _outcomes(store, ids)
    assert sorted(rows[0][0] for rows in found.values()) == [stood, stood]  # one decision, applied to both
    assert sorted(len(rows) for rows in found.values()) == [1, 1]
    assert sorted(rows[0][1] for rows in found.values()) == ["case", "review"]
    assert integrity.check(store.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems == ()
