"""The dashboard's audit figures read ``scored_audits`` (audit/store/scored_audits.py) and still give the plain numbers.

Issue 22: the dashboard took 150 ms of CPU (334 ms measured from outside)
at 1,000,000 decisions and 30,000 audits, most of its audit side reading
each audited decision and each audit's sample. The table its triggers keep
must give exactly what that computation gives — accuracy per queue and per
moderator after disputes, auditors' opening and scoring times — after a
random history of imported audits, audits done in Veil, disputes upheld and
overturned and samples reassigned, on both stores; ``veil verify`` names a
row changed behind Veil's back; a store made before the step gets it filled.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import random
from collections import defaultdict

import pytest
from builders import ago, audited, behind_veils_back, decided_item, people, sql_as_veil, statements_run, store_arg

from audit import dashboard as audit_dashboard
from audit import disputes
from audit.store import dashboard as dashboard_sql
from audit.store import scored_audits
from desktop import wiring
from desktop.main import main
from review.clock import iso, parse
from review.store.connection import connect

MODERATORS = ("ana", "ben", "chidi")


def _history(store, pick: random.Random) -> None:
    """Decisions over six weeks, about half audited in Veil (some wrong), a third of the wrong ones disputed and
    resolved either way, some disputes left open, a few audits' samples claimed again by a lead."""
    for queue in ("spam", "hate"):
        store.add_queue(queue)
    audit_ids = []
    for _ in range(60):
        moderator = pick.choice(MODERATORS)
        decision_id = decided_item(store, pick.choice(["spam", "hate"]), moderator,
                                   decided_at=ago(store, pick.uniform(1, 24 * 42)))
        if pick.random() < 0.5:
            right = pick.random() < 0.6
            audit_id = audited(store, decision_id, lead="lee", auditor=pick.choice(["dana", "eli"]),
                               blind_action="no_violation" if right else "remove",
                               verdict="correct" if right else "incorrect",
                               error=None if right else ("missed_violation", "major"))
            audit_ids.append((audit_id, moderator, right))
        store.clock.advance(pick.uniform(30, 900))
    for n, (audit_id, moderator, right) in enumerate(audit_ids):
        if not right and pick.random() < 0.6:
            dispute_id = disputes.open_dispute(store, moderator, audit_id, "I followed the policy")
            if n % 3:
                disputes.resolve_dispute(store, "lee", dispute_id, ("upheld", "overturned")[n % 2])


def _plain_accuracy(store, since: str) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """(correct, n) per queue and per moderator, read audit by audit as the dashboard did before the table."""
    by_queue: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_moderator: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for queue, moderator, verdict in store.db.execute(
            "SELECT q.name, u.name, v.final_verdict FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id"
            " JOIN queues q ON q.id = d.queue_id JOIN users u ON u.id = d.user_id WHERE d.decided_at >= ?", [since]):
        for tally in (by_queue[queue], by_moderator[moderator]):
            tally[0] += verdict == "correct"
            tally[1] += 1
    return ({k: (c, n) for k, (c, n) in by_queue.items()}, {k: (c, n) for k, (c, n) in by_moderator.items()})


def _plain_times(store, start: str | None) -> list[tuple[int, int]]:
    """(auditor, milliseconds from opening to score) from each audit's sample, worked out in Python."""
    return sorted((auditor, round((parse(scored) - parse(opened)) / _dt.timedelta(milliseconds=1)))
                  for auditor, opened, scored in store.db.execute(
                      "SELECT a.auditor_id, s.claimed_at, a.scored_at FROM audits a"
                      " JOIN audit_samples s ON s.id = a.sample_id WHERE a.scored_at IS NOT NULL AND a.scored_at >= ?"
                      " AND s.claimed_at IS NOT NULL AND s.claimed_at <= a.scored_at", [start or ""]))


def _plain_tallies(store, start: str | None) -> list[tuple]:
    """Each auditor's audits, judged wrong, first, and disputes, read audit by audit as before ``scored_audits``."""
    return sorted(tuple(row) for row in store.db.execute(
        """SELECT u.name, COUNT(*), SUM(CASE WHEN a.verdict = 'incorrect' THEN 1 ELSE 0 END), MIN(a.scored_at),
                  COUNT(p.id), SUM(CASE WHEN p.id IS NOT NULL AND r.outcome IS NULL THEN 1 ELSE 0 END),
                  SUM(CASE WHEN r.outcome = 'upheld' THEN 1 ELSE 0 END),
                  SUM(CASE WHEN r.outcome = 'overturned' THEN 1 ELSE 0 END)
           FROM audits a JOIN users u ON u.id = a.auditor_id
           LEFT JOIN disputes p ON p.audit_id = a.id LEFT JOIN dispute_resolutions r ON r.dispute_id = p.id
           WHERE a.scored_at IS NOT NULL AND a.scored_at >= ? GROUP BY u.name""", [start or ""]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_dashboard_from_scored_audits_equals_the_plain_computation(store, seed):
    pick = random.Random(seed)
    people(store, ana="moderator", ben="moderator", chidi="moderator", dana="auditor", eli="auditor", lee="lead")
    _history(store, pick)
    scored = [audit_id for (audit_id,) in store.db.execute(
        "SELECT a.id FROM audits a WHERE a.scored_at IS NOT NULL ORDER BY a.id")]
    for audit_id in pick.sample(scored, 3):  # a lead claims a scored audit's sample again: its opening time moves
        sql_as_veil(store, "UPDATE audit_samples SET claimed_at = ? WHERE id = (SELECT sample_id FROM audits"
                    " WHERE id = ?)", [ago(store, pick.uniform(0, 48)), audit_id])
    assert store.db.execute("SELECT COUNT(*) FROM dispute_resolutions WHERE outcome = 'overturned'").fetchone()[0]
    assert list(scored_audits.problems(store.db)) == []
    for days in (3, 10, 20, 28, 60):
        since = iso(store.clock.now() - _dt.timedelta(days=days))
        figures = audit_dashboard.figures(store, "lee", days=days)
        queues, moderators = _plain_accuracy(store, since)
        assert {k: (p.k, p.n) for k, p in figures.by_queue.items()} == queues, days
        assert {k: (p.k, p.n) for k, p in figures.by_moderator.items()} == moderators, days
        assert sorted(dashboard_sql.audit_times(store, since, None)) == _plain_times(store, since), days
        assert sorted(dataclasses.astuple(t) for t in dashboard_sql.auditor_tallies(store, since, None)) \
            == _plain_tallies(store, since), days
    assert sorted(dashboard_sql.audit_times(store, None, None)) == _plain_times(store, None)


def test_the_dashboard_reads_no_audited_decision_nor_sample(store):
    people(store, ana="moderator", dana="auditor", lee="lead")
    store.add_queue("spam")
    audited(store, decided_item(store, "spam", "ana", decided_at=ago(store, 5)), lead="lee", auditor="dana",
            blind_action="no_violation")
    with statements_run(store) as seen:
        figures = audit_dashboard.figures(store, "lee")
    assert {k: (p.k, p.n) for k, p in figures.by_queue.items()} == {"spam": (1, 1)}
    assert [work.timed for work in figures.auditors] == [1]
    per_audit = [sql for sql in seen if "audit_verdicts" in sql or "audit_samples s ON s.id = a.sample_id" in sql]
    assert per_audit == []  # each audit's decision and sample were read, 60 ms at 30,000 audits


def test_verify_names_a_scored_audit_that_disagrees_with_its_recount(store, capsys):
    people(store, ana="moderator", dana="auditor", lee="lead")
    store.add_queue("spam")
    audit_id = audited(store, decided_item(store, "spam", "ana", decided_at=ago(store, 5)), lead="lee",
                       auditor="dana", blind_action="remove", verdict="incorrect", error=("over_enforcement", "minor"))
    assert main(["verify", "--store", store_arg(store)]) == 0
    capsys.readouterr()
    with behind_veils_back(store) as db:  # a moderator's miss made a hit behind Veil's back
        db.execute("UPDATE scored_audits SET correct = 1 WHERE audit_id = ?", [audit_id])
    assert main(["verify", "--store", store_arg(store)]) == 1
    assert (f"the summary scored_audits disagrees with a recount of the audits in 2 row(s) (first: audit {audit_id}):"
            " something changed it, or the audits, behind Veil's back") in capsys.readouterr().out


def test_a_store_made_before_the_step_gets_its_scored_audits(tmp_path, clock):
    path = tmp_path / "old.db"
    with wiring.open_store(path, clock=clock) as store:
        people(store, ana="moderator", dana="auditor", lee="lead")
        store.add_queue("spam")
        audit_id = audited(store, decided_item(store, "spam", "ana", decided_at=ago(store, 5)), lead="lee",
                           auditor="dana", blind_action="remove", verdict="incorrect", error=("wrong_action", "minor"))
        disputes.resolve_dispute(store, "lee", disputes.open_dispute(store, "ana", audit_id, "no"), "overturned")
    db = connect(path)
    db.executescript("DROP TRIGGER scored_audits_scored; DROP TRIGGER scored_audits_imported;"
                     " DROP TRIGGER scored_audits_overturned; DROP TRIGGER scored_audits_opened;"
                     " DROP TABLE scored_audits; DELETE FROM _sqlite_migrations WHERE name IN"
                     " ('m008_scored_audits', 'm009_auditor_work_index', 'm010_audit_milliseconds');")
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        assert list(scored_audits.problems(upgraded.db)) == []
        assert upgraded.db.execute("SELECT audit_id, correct FROM scored_audits").fetchall() == [(audit_id, 1)]
        assert {k: (p.k, p.n) for k, p in audit_dashboard.figures(upgraded, "lee").by_moderator.items()} \
            == {"ana": (1, 1)}


def test_a_store_made_before_the_milliseconds_gets_them_and_triggers_that_keep_them(tmp_path, clock):
    """A store of step m009 has the table without ``audit_ms`` and triggers that do not write it (stand-ins
    here): step m010 fills every audit's time and replaces the triggers, and the next audit keeps its own."""
    path = tmp_path / "old.db"
    with wiring.open_store(path, clock=clock) as store:
        people(store, ana="moderator", dana="auditor", lee="lead")
        store.add_queue("spam")
        first = audited(store, decided_item(store, "spam", "ana", decided_at=ago(store, 5)), lead="lee",
                        auditor="dana", blind_action="no_violation")
    db = connect(path)
    stand_ins = "; ".join(f"DROP TRIGGER {name}; CREATE TRIGGER {name} AFTER INSERT ON {table} BEGIN SELECT 1; END"
                          for name, (table, _) in scored_audits.TRIGGERS.items())
    db.executescript(f"""{stand_ins}; DROP INDEX scored_audits_scored; ALTER TABLE scored_audits DROP COLUMN audit_ms;
        CREATE INDEX scored_audits_scored ON scored_audits (scored_at, auditor_id, opened_at, correct);
        DELETE FROM _sqlite_migrations WHERE name = 'm010_audit_milliseconds';""")
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        assert upgraded.db.execute("SELECT audit_id, audit_ms >= 0 FROM scored_audits").fetchall() == [(first, 1)]
        second = audited(upgraded, decided_item(upgraded, "spam", "ana", decided_at=ago(upgraded, 1)), lead="lee",
                         auditor="dana", blind_action="no_violation")
        assert list(scored_audits.problems(upgraded.db)) == []
        assert [audit for audit, _ in upgraded.db.execute("SELECT audit_id, audit_ms FROM scored_audits"
                                                          " WHERE audit_ms IS NOT NULL ORDER BY 1")] == [first, second]

