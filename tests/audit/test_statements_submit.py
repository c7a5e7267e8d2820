"""``veil statements submit``: every statement ends accepted exactly once, whatever the stand-in database does.

Issue 21 §4. The stand-in (``dsa_standin.py``) answers like the real
``POST /api/v1/statements`` on 127.0.0.1 and injects 500s, 429s, dropped
connections, time-outs, lost answers (stored, then dropped), validation
refusals and duplicate-puid refusals. Pauses go to a fake sleeper.
"""

from __future__ import annotations

import json

import pytest
from builders import decided_item, events, people
from dsa_standin import TOKEN, StandIn

from audit.compliance import http
from audit.compliance.submit import ATTEMPTS, Pacing, SubmitError, add_corrections, submit
from review.errors import NotAllowed


class Sleeper:
    def __init__(self):
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def pacing(sleeper: Sleeper, timeout: float = 2.0) -> Pacing:
    return Pacing(sleep=sleeper, jitter=lambda: 0.5, timeout=timeout)


@pytest.fixture
def statements(store):
    """lee (lead), ana (moderator) and 12 exported statements (puids p00…p11), none accepted yet."""
    people(store, lee="lead", ana="moderator")
    store.add_queue("spam")
    with store.transaction():
        for n in range(12):
            decision = decided_item(store, "spam", "ana", decided_at="2026-01-02T10:00:00Z")
            statement = {"puid": f"p{n:02d}", "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
                         "category": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"}
            store.db.execute("INSERT INTO dsa_statements (decision_id, puid, statement, exported_at, export_file)"
                             " VALUES (?, ?, ?, ?, ?)",
                             [decision, f"p{n:02d}", json.dumps(statement), store.now(), "batch-1.json"])
    return [f"p{n:02d}" for n in range(12)]


def _rows(store):
    return {puid: (accepted, uuid, error) for puid, accepted, uuid, error in store.db.execute(
        "SELECT puid, accepted_at, db_uuid, last_error FROM dsa_statements ORDER BY puid")}


def _sent(standin):
    return [puid for request in standin.requests for puid in request]


def test_a_clean_run_accepts_each_with_its_uuid_and_a_second_run_sends_nothing(store, statements):
    seen = []
    with StandIn() as db:
        done = submit(store, "lee", db.endpoint, TOKEN, batch=5, pacing=pacing(Sleeper()),
                      progress=lambda settled, total: seen.append((settled, total)))
        assert (done.accepted, done.already_there, done.refused, done.stopped) == (12, 0, {}, None)
        assert [len(r) for r in db.requests] == [5, 5, 2]
        rows = _rows(store)
        assert all(rows[p][0] and rows[p][1] == db.stored[p] for p in statements)  # the uuid the database gave
        assert seen == [(0, 12), (5, 12), (10, 12), (12, 12)]
        again = submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        assert (again.waiting, again.requests) == (0, 0)
        assert len(db.requests) == 3
    assert [e.payload["already_there"] for e in events(store, "statements.accepted")] == [False] * 3


def test_faults_end_with_every_statement_accepted_exactly_once(store, statements):
    """500, 429, a dropped connection, a time-out and lost answers (the batch stored, the answer dropped)."""
    sleeper = Sleeper()
    faults = ["500", "drop", None, "lost", "429", "slow", None, "lost", "500", None, None, None, None]
    with StandIn(faults=faults, slow_s=0.6) as db:
        done = submit(store, "lee", db.endpoint, TOKEN, batch=4, pacing=pacing(sleeper, timeout=0.3))
        assert done.stopped is None
        assert done.accepted + done.already_there == 12
        assert done.already_there >= 4  # the lost answers' batches came back as "already there"
        assert sorted(db.stored) == statements  # each stored once: a puid cannot be stored twice
        rows = _rows(store)
        assert all(rows[p][0] is not None for p in statements)
        assert done.retries >= 4 and len(sleeper.pauses) == done.retries
        assert 2.0 in sleeper.pauses  # the 429's Retry-After
        assert submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper())).requests == 0


def test_a_validation_refusal_holds_back_only_the_statements_it_names(store, statements):
    with StandIn(invalid={"p01", "p07"}) as db:
        done = submit(store, "lee", db.endpoint, TOKEN, batch=6, pacing=pacing(Sleeper()))
        assert set(done.refused) == {"p01", "p07"} and done.accepted == 10 and done.stopped is None
        assert "puid: The puid format is invalid." in done.refused["p01"]
        assert sorted(db.stored) == [p for p in statements if p not in ("p01", "p07")]
        rows = _rows(store)
        assert rows["p01"][0] is None and "invalid" in rows["p01"][2]
        assert rows["p02"][2] is None
        # the next run tries only the two held back (the mapping may have been fixed meanwhile)
        db.invalid.clear()
        again = submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        assert (again.waiting, again.accepted) == (2, 2) and db.requests[-1] == ["p01", "p07"]
        assert _rows(store)["p01"][2] is None


def test_a_puid_the_database_has_counts_as_accepted_and_the_rest_is_sent(store, statements):
    with StandIn() as db:
        db.stored.update({"p03": "uuid-from-before", "p04": "uuid-from-before"})
        done = submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        assert (done.accepted, done.already_there) == (10, 2)
        assert db.requests[1] == [p for p in statements if p not in ("p03", "p04")]
        assert _rows(store)["p03"][0] is not None and _rows(store)["p03"][1] is None  # no uuid said
    assert [e.payload["already_there"] for e in events(store, "statements.accepted")] == [True, False]


def test_giving_up_is_bounded_and_keeps_what_was_accepted(store, statements):
    sleeper = Sleeper()
    with StandIn(faults=[None] + ["500"] * ATTEMPTS) as db:
        done = submit(store, "lee", db.endpoint, TOKEN, batch=5, pacing=pacing(sleeper))
        assert done.accepted == 5 and "gave up after 6 tries" in done.stopped
        assert len(db.requests) == 1 + ATTEMPTS and len(sleeper.pauses) == ATTEMPTS - 1
        assert sleeper.pauses == [0.75 * 2 ** k for k in range(ATTEMPTS - 1)]  # doubling, jitter 0.5 → 75 %
        done = submit(store, "lee", db.endpoint, TOKEN, batch=5, pacing=pacing(Sleeper()))
        assert (done.waiting, done.accepted, done.stopped) == (7, 7, None)
        assert sorted(db.stored) == statements


def test_a_refused_token_stops_at_once_and_the_token_is_never_logged(store, statements):
    with StandIn() as db:
        done = submit(store, "lee", db.endpoint, "wrong-token", pacing=pacing(Sleeper()))
        assert "refused the token (401)" in done.stopped and len(db.requests) == 1 and done.accepted == 0
        submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
    logged = " ".join(p for (p,) in store.db.execute("SELECT payload FROM events"))
    assert TOKEN not in logged and "wrong-token" not in logged
    assert "wrong-token" not in done.stopped


def test_nothing_is_sent_by_a_moderator_or_with_a_bad_batch_or_endpoint(store, statements):
    with pytest.raises(NotAllowed):
        submit(store, "ana", "http://127.0.0.1:9", TOKEN)
    with pytest.raises(SubmitError, match="1 to 100"):
        submit(store, "lee", "http://127.0.0.1:9", TOKEN, batch=101)
    with pytest.raises(SubmitError, match="http"):
        submit(store, "lee", "ftp://example.invalid", TOKEN)
    with pytest.raises(SubmitError, match="VEIL_DSA_TOKEN"):
        submit(store, "lee", "http://127.0.0.1:9", " ")


def test_an_unreachable_server_is_a_transient_failure():
    with pytest.raises(http.Transient):
        with StandIn() as db:
            endpoint = db.endpoint
        http.post_json(http.statements_url(endpoint), {"statements": []}, token=TOKEN, timeout=1)


def test_a_redirect_stops_the_run_accepts_nothing_and_the_token_never_follows(store, statements):
    """urllib would turn a POST answered 302 into a GET keeping Authorization, and take its 200 HTML as success."""
    with StandIn(faults=["redirect"]) as db:
        done = submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        assert done.stopped is not None and "302" in done.stopped and "redirect" in done.stopped
        assert done.accepted == done.already_there == 0
        assert db.redirected == []  # the GET never happened, so the token went nowhere else
    assert all(accepted is None for accepted, _, _ in _rows(store).values())


def test_a_201_that_does_not_echo_every_statement_accepts_nothing(store, statements):
    answers = [http.Answer(201, {"statements": [{"puid": "p00", "uuid": "u0"}]}, ""), http.Answer(200, None, "<html>")]
    for answer in answers:
        fake = Pacing(sleep=Sleeper(), jitter=lambda: 0.5, post=lambda *a, answer=answer, **k: answer)
        done = submit(store, "lee", "http://127.0.0.1:9", TOKEN, batch=3, pacing=fake)
        assert done.accepted == 0 and done.stopped is not None
    assert all(accepted is None for accepted, _, _ in _rows(store).values())


def test_the_endpoint_must_be_https_but_on_this_machine():
    assert http.statements_url("https://example.org/") == "https://example.org/api/v1/statements"
    assert http.statements_url("http://localhost:8000").startswith("http://localhost:8000/")
    assert http.statements_url("http://127.0.0.1:8000").startswith("http://127.0.0.1:8000/")
    for plain in ("http://example.org", "http://127.0.0.1.example.org", "http://localhost.example.org:80"):
        with pytest.raises(ValueError, match="https"):
            http.statements_url(plain)


def test_a_locked_puid_is_not_accepted_until_the_database_confirms_it(store, statements):
    """The database answers existing_puids both for a stored puid and one whose lock it could not take."""
    with StandIn(locked={"p02"}) as db:
        db.stored["p05"] = "uuid-from-before"
        done = submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        assert set(db.lookups) == {"p02", "p05"}
        assert (done.accepted, done.already_there, done.stopped) == (10, 1, None)
        rows = _rows(store)
        assert rows["p02"][0] is None and rows["p05"][0] is not None
        assert done.left == 1
        db.locked.clear()  # the other request let go of the lock
        again = submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        assert (again.waiting, again.accepted) == (1, 1) and db.stored["p02"] == _rows(store)["p02"][1]


def test_the_token_is_not_in_a_run_repr(store):
    from audit.compliance.submit import Submitted, _Run

    run = _Run(store, "lee", "http://127.0.0.1:9", "secret-token-value", Pacing(), Submitted())
    assert "secret-token-value" not in repr(run)


def test_a_revoked_reversal_gets_no_corrected_statement(store, statements):
    """A complaint reversal undone (here by hand: undo refuses it) is no decision of the platform any more."""
    from audit.compliance import statements as built
    from audit.store import submissions
    from review import complaints, serving, taxonomy
    from review.store import decisions as decision_rows

    people(store, ben="moderator")
    original = store.db.execute("SELECT decision_id, puid FROM dsa_statements WHERE puid = 'p00'").fetchone()
    external = store.db.execute("SELECT i.external_id FROM decisions d JOIN items i ON i.id = d.item_id"
                                " WHERE d.id = ?", [original[0]]).fetchone()[0]
    store.db.execute("UPDATE dsa_statements SET accepted_at = ? WHERE puid = 'p00'", [store.now()])
    queue = store.add_queue("complaints")
    store.add_items([{"external_id": "c-1", "queue_id": queue.id, "kind": "text", "text": "unfair",
                      "received_at": "2026-01-05T08:00:00Z", "metadata": {"complaint_of": external}}])
    lease = serving.claim_next(store, store.user("ben"))
    ended = complaints.resolve(store, taxonomy.load(), "ben", lease.item.id, claim=lease.claim, outcome="reversed",
                               action="remove", labels=["spam"], note="spam, not what was said")
    assert submissions.reversals_to_state(store) == [ended.reversal_id]
    with store.transaction():
        item_id, queue_id = store.db.execute("SELECT item_id, queue_id FROM decisions WHERE id = ?",
                                             [ended.reversal_id]).fetchone()
        decision_rows.append(store, item_id=item_id, user_id=store.user("lee").id, queue_id=queue_id,
                             action="revoke", labels=(), note="", shown_at=None, decided_at=store.now(),
                             handle_ms=None, revealed_ms=0, source="review", revokes_id=ended.reversal_id)
    assert submissions.reversals_to_state(store) == []
    with pytest.raises(KeyError):
        built.build(store, ended.reversal_id)


def test_accepted_events_name_each_puid_and_uuid_and_verify_reports_a_hand_made_update(store, statements):
    from audit.store import reconcile_dsa

    with StandIn(invalid={"p11"}) as db:
        submit(store, "lee", db.endpoint, TOKEN, pacing=pacing(Sleeper()))
        (event,) = events(store, "statements.accepted")
        assert {s["puid"]: s["uuid"] for s in event.payload["statements"]} == db.stored
    assert list(reconcile_dsa.statement_problems(store.db)) == []
    with store.transaction():
        store.db.execute("UPDATE dsa_statements SET accepted_at = ? WHERE puid = 'p11'", [store.now()])
        store.db.execute("UPDATE dsa_statements SET db_uuid = 'forged' WHERE puid = 'p01'")
        store.db.execute("UPDATE dsa_statements SET accepted_at = NULL WHERE puid = 'p02'")
    found = list(reconcile_dsa.statement_problems(store.db))
    assert len(found) == 3, found
    assert any("p11" in p and "no statements.accepted event" in p for p in found)
    assert any("p01" in p and "uuid" in p for p in found)
    assert any("p02" in p and "not accepted" in p for p in found)


def test_a_leads_correction_of_an_accepted_statements_decision_gets_a_corrected_statement(store, statements):
    """Art. 24(5): the database must hold the decision that now applies, whoever replaced it (a complaint's
    reversal or a lead's correction); before, only reversals were stated again."""
    from audit.store import submissions
    from review import corrections, taxonomy

    original = store.db.execute("SELECT decision_id FROM dsa_statements WHERE puid = 'p03'").fetchone()[0]
    store.db.execute("UPDATE dsa_statements SET accepted_at = ? WHERE puid = 'p03'", [store.now()])
    asked = corrections.request(store, "ana", original, "this was spam after all")
    done = corrections.correct(store, taxonomy.load(), "lee", asked.id, "remove", ["spam"])
    assert submissions.reversals_to_state(store) == [done.correction_id]
    assert add_corrections(store, store.user("lee")) == 1  # stated, with the original's puid kept apart
    assert submissions.reversals_to_state(store) == []
