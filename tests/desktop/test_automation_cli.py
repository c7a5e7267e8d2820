"""Issue 20 §7 done means, end to end on the command line: a hash list imported with an automated action
decides matching items at import, ``veil export decisions`` marks them automated with their rule, a QA plan
draws them, a lead revokes them (``veil automation revoke``) and they are pending again with their original due
times; ``veil automation status --json``, ``resume``, and a moderator refused alike."""

from __future__ import annotations

import csv
import io
import json

import pytest
from builders import people, text_items

from desktop import wiring
from desktop.main import main
from review.clock import FakeClock
from review.known import automation
from review.known.automation import Outcome, apply

NOW = "2026-01-20T09:00:00Z"


@pytest.fixture(autouse=True)
def _store_clock(monkeypatch):
    opened = wiring.open_store
    monkeypatch.setattr(wiring, "open_store", lambda path, clock=None: opened(path, clock=FakeClock(NOW)))


@pytest.fixture
def floor(tmp_path):
    path = tmp_path / "floor.db"
    with wiring.open_store(path) as store:
        people(store, ana="moderator", lee="lead", dana="auditor")
        store.add_queue("texts", sla_seconds=3600)
    return str(path)


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_automated_list_decides_at_import_is_exported_sampled_and_revoked(floor, tmp_path, capsys):
    listed = tmp_path / "spam.csv"
    listed.write_text("signal_type,signal,tag\ntext,buy CHEAP pills,pills\ntext,cheap watches here,watches\n",
                      encoding="utf-8")
    code, _, err = cli(capsys, "hashlist", "import", listed, "--name", "known-spam", "--action", "remove",
                       "--labels", "spam", "--automated", "--store", floor, "--user", "lee")
    assert code == 0, err
    manifest = tmp_path / "texts.jsonl"
    rows = [{"id": "s1", "queue": "texts", "text": "Buy cheap pills", "received_at": "2026-01-20T07:00:00Z"},
            {"id": "s2", "queue": "texts", "text": "Cheap   WATCHES here", "received_at": "2026-01-20T07:30:00Z"},
            {"id": "ok", "queue": "texts", "text": "a kind word", "received_at": "2026-01-20T08:00:00Z"}]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, _, err = cli(capsys, "--user", "lee", "import", manifest, "--store", floor)
    assert code == 0, err
    with wiring.open_store(floor) as store:
        states = dict(store.db.execute("SELECT external_id, state FROM items"))
        due = dict(store.db.execute("SELECT external_id, due_at FROM items"))
    assert states == {"s1": "decided", "s2": "decided", "ok": "pending"}

    out_file = tmp_path / "decisions.jsonl"
    code, _, err = cli(capsys, "export", "decisions", "--format", "jsonl", "--out", out_file, "--store", floor,
                       "--user", "lee")
    assert code == 0, err
    exported = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    marked = {(r["external_id"], r["moderator"], r["source"], r["rule"], r["rule_version"]) for r in exported}
    assert marked == {("s1", "automation", "automation", "list:known-spam", 1),
                      ("s2", "automation", "automation", "list:known-spam", 1)}
    csv_file = tmp_path / "decisions.csv"  # people's files say it in words
    assert cli(capsys, "export", "decisions", "--format", "csv", "--out", csv_file, "--store", floor,
               "--user", "lee")[0] == 0
    lines = list(csv.reader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    heading = next(row for row in lines if "Automated by rule" in row)
    rows = lines[lines.index(heading) + 1:]
    assert {(row[heading.index("Automated by rule")], row[heading.index("Rule version")]) for row in rows} == {
        ("list:known-spam", "1")}

    assert cli(capsys, "plans", "add", "all", "--rate", "1", "--starts-at", "2026-01-01", "--store", floor,
               "--lead", "lee")[0] == 0
    code, out, err = cli(capsys, "sample", "--store", floor, "--user", "lee")
    assert code == 0, err
    with wiring.open_store(floor) as store:
        sampled = store.db.execute("SELECT COUNT(*) FROM audit_samples s JOIN decisions d ON d.id = s.decision_id"
                                   " WHERE d.source = 'automation'").fetchone()[0]
    assert sampled == 2

    code, out, err = cli(capsys, "automation", "status", "--json", "--store", floor, "--user", "lee")
    assert code == 0, err
    [rule] = json.loads(out)["rules"]
    assert {k: rule[k] for k in ("rule", "version", "decisions", "audited", "accuracy", "interval", "suspended")} == {
        "rule": "list:known-spam", "version": 1, "decisions": 2, "audited": 0, "accuracy": None, "interval": None,
        "suspended": False}

    code, _, err = cli(capsys, "automation", "revoke", "--rule", "list:known-spam", "--from", "2026-01-20T00:00Z",
                       "--to", "2026-01-20T23:59Z", "--store", floor, "--user", "ana")
    assert code == 2 and "only a lead can revoke" in err
    code, out, err = cli(capsys, "automation", "revoke", "--rule", "list:known-spam", "--from", "2026-01-20T00:00Z",
                         "--to", "2026-01-20T23:59Z", "--reason", "list was wrong", "--store", floor, "--lead", "lee")
    assert code == 0, err
    assert "Revoked 2 decisions of list:known-spam" in out
    with wiring.open_store(floor) as store:
        assert dict(store.db.execute("SELECT external_id, state FROM items")) == {
            "s1": "pending", "s2": "pending", "ok": "pending"}
        assert dict(store.db.execute("SELECT external_id, due_at FROM items")) == due  # the original due times
        assert due["s1"] == "2026-01-20T08:00:00.000Z"  # received 07:00 with a 1 h SLA: breached, honestly
    code, out, err = cli(capsys, "--user", "lee", "verify", "--store", floor)
    assert code == 0, out + err


def test_resume_needs_a_lead_and_a_reason(floor, capsys):
    with wiring.open_store(floor) as store:
        automation.suspend(store, "r", {"floor": 0.95})
    code, _, err = cli(capsys, "automation", "resume", "--rule", "r", "--reason", "ok", "--store", floor,
                       "--user", "ana")
    assert code == 2 and "only a lead can resume" in err
    code, _, err = cli(capsys, "automation", "resume", "--rule", "r", "--reason", " ", "--store", floor,
                       "--lead", "lee")
    assert code == 2 and "Say why" in err
    code, out, err = cli(capsys, "automation", "resume", "--rule", "r", "--reason", "fixed", "--store", floor,
                         "--lead", "lee")
    assert code == 0 and "r decides again" in out
    code, out, _ = cli(capsys, "automation", "status", "--store", floor, "--user", "ana")
    assert code == 2


def test_a_bare_to_date_revokes_the_whole_of_that_day(floor, capsys):
    with wiring.open_store(floor) as store:
        ids = text_items(store, "texts", 2)
        with store.transaction():  # decided at 09:00 on the 20th (the store's clock)
            apply(store, [Outcome(i, "remove", automated=True) for i in ids], rule="r", version=1, actor="lee")
    code, out, err = cli(capsys, "automation", "revoke", "--rule", "r", "--from", "2026-01-20", "--to", "2026-01-20",
                         "--store", floor, "--lead", "lee")
    assert code == 0, err
    assert "Revoked 2 decisions of r" in out
    with wiring.open_store(floor) as store:
        assert {s for (s,) in store.db.execute("SELECT state FROM items")} == {"pending"}
    code, _, err = cli(capsys, "automation", "revoke", "--rule", "r", "--from", "2026-01-21", "--to", "2026-01-20",
                       "--store", floor, "--lead", "lee")
    assert code == 2 and "after" in err
