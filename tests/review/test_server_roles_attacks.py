"""Attacks on the server's roles a review found (issue 15 item 3), each now refused by the server.

Every test logs in as a person with their own role and password (the
``site`` of ``test_server_roles``) and tries, with direct SQL, what Veil's
rules forbid: shadowing Veil's tables with temporary ones, a person named
after a group, an auditor auditing a sample that is not theirs or their own
decision, a blind auditor reading a decision's consequences, a lead taking
over another lead's login, another store's lead taking over a login on the
same cluster, a session-level advisory lock stalling every write.
"""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest
from test_server_roles import PHRASE, _refused, site, verifier  # noqa: F401  (the fixture)

from review import auth, people

pytestmark = pytest.mark.server_only

SHADOW = """CREATE TEMP TABLE people_roles (user_id bigint, role text);
CREATE TEMP TABLE users (id bigint, name text, roles text, active int);
INSERT INTO pg_temp.people_roles VALUES ({lee}, current_user);
INSERT INTO pg_temp.users VALUES ({lee}, 'lee', 'lead,auditor', 1);"""


def test_a_moderator_cannot_shadow_veils_tables_with_temporary_ones(site):  # noqa: F811
    with site.sql("ana") as conn:
        _refused(conn, SHADOW.format(lee=site.id("lee")))
        conn.execute("SET search_path = pg_temp, public")
        assert conn.execute("SELECT veil_is('lead'), veil_person_name()").fetchone() == (False, "ana")


def test_the_functions_name_their_schema_so_no_table_of_the_callers_is_found_first(site):  # noqa: F811
    for function in ("veil_person()", "veil_person_name()", "veil_is(text)"):
        body = site.store.db.execute("SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure(?)",
                                     [function]).fetchone()[0]
        assert "public.people_roles" in body.replace('"', "") and "public.users" in body.replace('"', "")


def test_a_person_named_after_a_group_gets_a_role_of_their_own(site):  # noqa: F811
    people.add_person(site.store, "lee", "Veil Person", ["moderator"], passphrase=PHRASE["eve"])
    assert site.role("Veil Person") not in ("veil_person", "veil_moderator", "veil_auditor", "veil_lead", "veil")
    with site.sql("dana") as conn:  # a pure auditor still reads no original
        _refused(conn, "SELECT action FROM decisions")


@pytest.mark.parametrize("name", ["public", "None", "current_user"])
def test_a_person_with_a_reserved_role_name_can_be_added_and_log_in(site, name):  # noqa: F811
    people.add_person(site.store, "lee", name, ["moderator"], passphrase=PHRASE["eve"])
    assert site.role(name).startswith("p_")
    with psycopg.connect(site.url(name, PHRASE["eve"])) as conn:
        assert conn.execute("SELECT veil_person_name()").fetchone() == (name,)


def test_an_auditor_cannot_audit_a_sample_assigned_to_someone_else(site):  # noqa: F811
    people.add_person(site.store, "lee", "eve", ["auditor"], passphrase=PHRASE["eve"])
    sample_id, decision_id = site.store.db.execute("SELECT id, decision_id FROM audit_samples").fetchone()  # dana's
    with site.sql("eve") as conn:
        _refused(conn, "INSERT INTO audits (sample_id, decision_id, auditor_id, blind_action, blind_at) "
                       "VALUES (%s, %s, %s, 'x', 'x')", (sample_id, decision_id, site.id("eve")))
        assert conn.execute("UPDATE audit_samples SET state = 'cancelled' WHERE id = %s RETURNING id",
                            [sample_id]).fetchall() == []  # dana's assignment: not a row eve may change
    with site.sql("dana") as conn:  # dana may not cancel her own sample either (a lead withdraws it)
        _refused(conn, "UPDATE audit_samples SET state = 'cancelled' WHERE id = %s", (sample_id,))


def test_an_auditor_cannot_pair_a_sample_with_another_decision_to_read_it(site):  # noqa: F811
    from audit import audits

    sample_id, decision_id = site.store.db.execute("SELECT id, decision_id FROM audit_samples").fetchone()
    audits.start_audit(site.store, "dana", sample_id)
    with site.sql("dana") as conn:
        _refused(conn, "INSERT INTO audits (sample_id, decision_id, auditor_id, blind_action, blind_at) "
                       "VALUES (%s, %s, %s, 'x', 'x')", (sample_id, decision_id + 1000, site.id("dana")))


def test_a_moderator_auditor_cannot_audit_their_own_decision(site):  # noqa: F811
    people.set_roles(site.store, "lee", "ben", ["moderator", "auditor"])
    sample_id, decision_id = site.store.db.execute("SELECT id, decision_id FROM audit_samples").fetchone()  # ben's
    site.store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = 'x' WHERE id = ?",
                          [site.id("ben"), sample_id])
    with site.sql("ben") as conn:
        _refused(conn, "INSERT INTO audits (sample_id, decision_id, auditor_id, blind_action, blind_at) "
                       "VALUES (%s, %s, %s, 'remove', 'x')", (sample_id, decision_id, site.id("ben")))


def test_a_blind_auditor_reads_no_consequence_of_a_decision_before_answering(site):  # noqa: F811
    from audit import audits

    sample_id, decision = site.store.db.execute("SELECT id, decision_id FROM audit_samples").fetchone()
    site.store.db.execute("INSERT INTO dsa_statements (decision_id, puid, statement, exported_at, export_file) "
                          "VALUES (?, 'p', '{\"decision_visibility\": [\"REMOVED\"]}', 'x', 'f')", [decision])
    with site.sql("dana") as conn:
        assert conn.execute("SELECT statement FROM dsa_statements WHERE decision_id = %s", [decision]).fetchall() \
            == []
    with site.sql("ben") as conn:  # the person concerned reads it, as does a lead
        assert conn.execute("SELECT COUNT(*) FROM dsa_statements").fetchone() == (1,)
    audits.start_audit(site.store, "dana", sample_id)
    audits.submit_blind(site.store, "dana", sample_id, "remove", ["spam"])
    with site.sql("dana") as conn:  # answered: the consequences are no secret any more
        assert conn.execute("SELECT COUNT(*) FROM dsa_statements").fetchone() == (1,)


def test_a_lead_cannot_take_over_another_leads_login_by_demoting_them_for_a_moment(site):  # noqa: F811
    people.add_person(site.store, "lee", "lia", ["lead"])
    auth.set_passphrase(site.store, "lia", "lia", "lia's passphrase")
    with site.sql("lee") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("UPDATE users SET roles = 'moderator' WHERE name = 'lia'")
            conn.execute("SELECT veil_set_login(%s, %s)", (site.id("lia"), verifier(site, "lia", "mine now")))
    psycopg.connect(site.url("lia", "lia's passphrase")).close()


def test_another_stores_lead_on_the_cluster_never_gets_a_persons_login(site):  # noqa: F811
    from desktop import wiring

    other = site.server.new_database()
    try:
        with wiring.open_store(site.server.url(other)) as store:
            store.add_user("zed", ["lead"])
            people.add_person(store, "zed", "ana", ["moderator"], passphrase="the other store set this")
            theirs = store.db.execute("SELECT role FROM people_roles WHERE user_id = ?",
                                      [store.user("ana").id]).fetchone()[0]
        assert theirs != site.role("ana")
        site.sql("ana").close()  # site's ana still logs in with her own passphrase
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(site.server.person_url(site.store.name, site.role("ana"), "the other store set this"))
    finally:
        site.server.drop(other)


@pytest.mark.parametrize("phrase", ["I \u2764\ufe0f my cats", "Coffee\u2026 \u2615 at nine",
                                    "caf\u00e9 \u00bd past \U0001F600"])
def test_every_passphrase_veil_accepts_logs_in_to_the_server(site, phrase):  # noqa: F811
    people.set_passphrase(site.store, "lee", "ana", phrase)
    psycopg.connect(f"postgresql://{site.role('ana')}:{quote(phrase)}@/{site.store.name}"
                    f"?host={site.server.folder}").close()


def test_a_person_cannot_hold_veils_write_lock_for_their_whole_session(site):  # noqa: F811
    from review.store.server import WRITE_LOCK

    with site.sql("ana") as conn:
        _refused(conn, "SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
        _refused(conn, "SELECT pg_try_advisory_lock_shared(%s)", (WRITE_LOCK,))
        with conn.transaction():  # Veil's own transaction-level locks still work
            conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", [WRITE_LOCK])


def test_a_person_is_added_with_their_login_in_one_transaction(site, monkeypatch):  # noqa: F811
    from review.store import server_roles

    def fails(*_args):
        raise RuntimeError("the server went away")

    monkeypatch.setattr(server_roles, "scram_verifier", fails)
    with pytest.raises(RuntimeError):
        people.add_person(site.store, "lee", "eve", ["moderator"], passphrase=PHRASE["eve"])
    assert site.store.db.execute("SELECT COUNT(*) FROM users WHERE name = 'eve'").fetchone() == (0,)


def test_adding_a_lead_with_a_passphrase_says_why_it_is_refused(site):  # noqa: F811
    from review.errors import NotAllowed

    with pytest.raises(NotAllowed, match="only mia can change their passphrase"):
        people.add_person(site.store, "lee", "mia", ["lead"], passphrase=PHRASE["eve"])


def test_a_moderator_takes_over_a_lease_only_as_themself_and_never_changes_their_exposure(site):  # noqa: F811
    site.store.db.execute("INSERT INTO leases (item_id, user_id, claimed_at, expires_at, claim_id)"
                          " VALUES (3, ?, '2026', '2026', 1)", [site.id("ben")])
    with site.sql("ana") as conn:
        _refused(conn, "UPDATE leases SET expires_at = '2099' WHERE item_id = 3")  # still ben's: refused
        conn.execute("UPDATE leases SET user_id = %s, expires_at = '2026-01-05T09:10:00.000Z' WHERE item_id = 3",
                     [site.id("ana")])  # a claim's lease (a far-future one is refused: test_server_leases_policy)
        _refused(conn, "UPDATE exposure SET severity = NULL")  # their own rows too: added, never changed


def test_a_server_older_than_postgresql_15_is_refused_clearly(site, monkeypatch):  # noqa: F811
    from desktop import wiring
    from review.errors import StoreUnavailable
    from review.store import server_schema

    monkeypatch.setattr(server_schema, "MINIMUM_VERSION", 990000)
    with pytest.raises(StoreUnavailable, match="Veil needs PostgreSQL 99 or newer"):
        wiring.open_store(site.url("lee"))


def test_a_moderator_decides_only_an_item_their_lease_holds(site):  # noqa: F811
    with site.sql("ana") as conn:
        _refused(conn, "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, decided_at) "
                       "VALUES (2, %s, 1, 'no_violation', '[]', '2026-01-05')", (site.id("ana"),))


def test_a_moderator_cannot_score_their_own_gold_as_they_like(site):  # noqa: F811
    decision = site.store.db.execute("SELECT decision_id FROM audit_samples").fetchone()[0]  # ben's, not gold
    with site.sql("ben") as conn:
        _refused(conn, "INSERT INTO gold_results (decision_id, item_id, user_id, correct, action_correct,"
                       " labels_correct, expected, scored_at) SELECT id, item_id, user_id, 1, 1, 1, '{}', 'x'"
                       " FROM decisions WHERE id = %s", (decision,))


def test_veils_gold_scoring_runs_in_the_deciders_transaction_and_cannot_be_forged(site, clock):  # noqa: F811
    from builders import decided_item

    from audit import gold
    from desktop import wiring

    decision = decided_item(site.store, "spam", "ana", decided_at="2026-01-05T10:00:00Z", action="remove",
                            labels=["spam"])
    item = site.store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [decision]).fetchone()[0]
    gold.add_gold(site.store, "lee", item, "remove", ["spam"])
    with site.sql("ana") as conn:  # no gold result of hers for that decision yet: Veil's event is not hers to log
        _refused(conn, "INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash) "
                       "VALUES (100000, '2026', 'system', 'gold.scored', %s, '{}', '', '')", (f"decision:{decision}",))
    with wiring.open_store(site.url("ana"), clock=clock) as ana_store:  # the scoring her decision runs: allowed
        assert gold.score_gold(ana_store, decision).correct
