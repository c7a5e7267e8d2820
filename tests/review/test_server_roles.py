"""The server enforces Veil's roles (issue 15 item 3): direct SQL as each person, logged in with their own role.

Each person logs in to the test server with their own role and password
(``tests/postgres.py`` ``people_use_passwords``: SCRAM on the socket, the
owner alone trusted), never ``SET ROLE``. One test per forbidden action
asserts the server's refusal (InsufficientPrivilege, or no row visible),
beside the allowed action succeeding.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest
from builders import decided_item, text_items
from psycopg import errors as pg_errors

from review import auth, people
from review.store import Store
from review.store import wellbeing as ws
from review.wellbeing.exposure import ExposureRecord

pytestmark = pytest.mark.server_only
PHRASE = {"lee": "lee's passphrase", "ana": "ana's passphrase", "ben": "ben's passphrase",
          "dana": "dana's passphrase", "eve": "eve's passphrase"}
AT = "2026-01-05T09:00:00.000Z"


@dataclass
class Site:
    store: Store
    server: object

    def role(self, who: str) -> str:
        """*who*'s database role: their name when the cluster had no role of that name yet, else numbered."""
        return str(self.store.db.execute("SELECT role FROM people_roles WHERE user_id = ?",
                                         [self.id(who)]).fetchone()[0])

    def url(self, who: str, phrase: str | None = None) -> str:
        return self.server.person_url(self.store.name, self.role(who), phrase or PHRASE[who])

    def sql(self, who: str) -> psycopg.Connection:
        return psycopg.connect(self.url(who), autocommit=True)

    def id(self, name: str) -> int:
        return self.store.user(name).id


@pytest.fixture
def site(store, postgres_server) -> Site:
    """lee (lead), ana and ben (moderators), dana (auditor), each with a passphrase (their role's password); a
    queue "spam" with four items; ben's exposure and check-in; a decision of ben's sampled for dana."""
    postgres_server.people_use_passwords()
    store.add_user("lee", ["lead"])
    auth.set_passphrase(store, "lee", "lee", PHRASE["lee"])
    for name, role in (("ana", "moderator"), ("ben", "moderator"), ("dana", "auditor")):
        people.add_person(store, "lee", name, [role], passphrase=PHRASE[name])
    queue = store.add_queue("spam")
    text_items(store, queue, 4)
    ben = store.user("ben")
    ws.add_exposure(store, ben, "s1", ExposureRecord(item_id=1, severity=None, category=None, started_at=AT,
                                                     ended_at=AT, blurred_ms=1000))
    ws.add_checkin(store, ben, 2)
    from audit import sampling

    sampled = decided_item(store, queue, "ben", decided_at="2026-01-04T10:00:00Z", action="remove",
                           labels=["spam"])
    sampling.add_sample(store, "lee", sampled, auditor="dana")
    return Site(store, postgres_server)


def _refused(conn: psycopg.Connection, statement: str, params: tuple = ()) -> None:
    with pytest.raises(pg_errors.InsufficientPrivilege):
        conn.execute(statement, params)


# ----------------------------------------------------------- logging in
def test_each_person_logs_in_as_their_own_role_with_their_passphrase(site):
    for name in ("lee", "ana", "dana"):
        with site.sql(name) as conn:
            assert conn.execute("SELECT veil_person_name(), current_user").fetchone() == (name, site.role(name))


def test_a_wrong_passphrase_is_refused_by_the_server(site):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(site.url("ana", "not ana's passphrase")).close()


def test_a_person_without_a_passphrase_cannot_log_in(site):
    people.add_person(site.store, "lee", "eve", ["moderator"])
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(site.url("eve")).close()


def test_a_deactivated_person_cannot_log_in_and_a_reactivated_one_can(site):
    people.deactivate(site.store, "lee", "ana")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        psycopg.connect(site.url("ana")).close()
    people.reactivate(site.store, "lee", "ana")
    site.sql("ana").close()


def test_roles_follow_the_people_admin(site):
    def groups(name: str) -> set[str]:
        return {r[0] for r in site.store.db.execute(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            " JOIN pg_roles p ON p.oid = m.member WHERE p.rolname = ?", [site.role(name)])}

    assert groups("ana") == {"veil_person", "veil_moderator"}
    people.set_roles(site.store, "lee", "ana", ["moderator", "lead"])
    assert groups("ana") == {"veil_person", "veil_moderator", "veil_lead"}
    people.deactivate(site.store, "lee", "ana")
    assert groups("ana") == {"veil_person"}


def test_a_name_that_is_not_an_identifier_gets_a_safe_role_and_a_taken_one_another(site):
    people.add_person(site.store, "lee", 'Zoë "x"; DROP', ["moderator"], passphrase=PHRASE["eve"])
    people.add_person(site.store, "lee", "Veil", ["moderator"], passphrase=PHRASE["eve"])  # "veil" is the owner
    roles = dict(site.store.db.execute("SELECT u.name, r.role FROM people_roles r JOIN users u ON u.id = r.user_id"))
    assert roles['Zoë "x"; DROP'].startswith("zo___x___drop")
    assert roles["Veil"].startswith("veil_")  # never the owner's own role
    with psycopg.connect(site.url("Veil", PHRASE["eve"])) as conn:
        assert conn.execute("SELECT veil_person_name()").fetchone() == ("Veil",)


def verifier(site: Site, who: str, phrase: str) -> str:
    from review.store.server_roles import scram_verifier

    return scram_verifier(site.store.db.conn, site.role(who), phrase)


def test_a_moderator_cannot_give_themself_a_password_of_someone_else(site):
    with site.sql("ana") as conn:
        _refused(conn, "SELECT veil_set_login(%s, %s)", (site.id("ben"), verifier(site, "ben", "taken over")))
        _refused(conn, f"ALTER ROLE {site.role('ben')} PASSWORD 'taken over'")


# ------------------------------------------------- a moderator, refused
def test_a_moderator_sees_only_their_own_exposure_and_check_ins(site):
    ws.add_checkin(site.store, site.store.user("ana"), 4)
    with site.sql("ana") as conn:
        for table in ("exposure", "wellbeing_checkins", "reveals", "wellbeing_events", "wellbeing_breaks"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = %s", [site.id("ben")]).fetchone() \
                == (0,), table
        assert conn.execute("SELECT user_id, score FROM wellbeing_checkins").fetchall() == [(site.id("ana"), 4)]
    with site.sql("lee") as conn:  # the lead sees everyone's (the domain shows pools of five or more)
        assert conn.execute("SELECT COUNT(*) FROM wellbeing_checkins").fetchone() == (2,)


@pytest.mark.parametrize(("what", "statement"), [
    ("a decision as ben", "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, decided_at) "
                          "VALUES (2, {ben}, 1, 'no_violation', '[]', '2026-01-05')"),
    ("an event as ben", "INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash) "
                        "VALUES (1000, '2026', 'ben', 'decision.made', '', '{{}}', '', '')"),
    ("an event as Veil itself", "INSERT INTO events (id, at, actor, kind, subject, payload, prev_hash, hash) "
                                "VALUES (1000, '2026', 'system', 'setting.changed', '', '{{}}', '', '')"),
    ("an audit", "INSERT INTO audits (sample_id, decision_id, auditor_id) VALUES (1, 1, {ana})"),
    ("a person", "INSERT INTO users (name, display_name, roles, created_at) VALUES ('mallory', 'm', 'lead', '2026')"),
    ("a queue", "INSERT INTO queues (name, kind, created_at) VALUES ('mine', 'review', '2026')"),
    ("ben's exposure", "INSERT INTO exposure (user_id, item_id, session_id, day, started_at, ended_at) "
                       "VALUES ({ben}, 1, 's', '2026-01-05', '2026', '2026')"),
    ("a lease for ben", "INSERT INTO leases (item_id, user_id, claimed_at, expires_at, claim_id) "
                        "VALUES (3, {ben}, '2026', '2027', 1)"),
    ("a lift of their own budget", "INSERT INTO wellbeing_lifts (user_id, day, at, lead_id, extra_ms, reason) "
                                   "VALUES ({ana}, '2026-01-05', '2026', {ana}, 100000, 'more')"),
])
def test_a_moderator_cannot_write(site, what, statement):
    with site.sql("ana") as conn:
        _refused(conn, statement.format(ana=site.id("ana"), ben=site.id("ben")))


@pytest.mark.parametrize("statement", [
    "UPDATE decisions SET action = 'no_violation'",
    "DELETE FROM decisions",
    "UPDATE events SET actor = 'ana'",
    "DELETE FROM events",
    "UPDATE items SET text = 'rewritten'",
    "UPDATE users SET roles = 'lead'",
    "DELETE FROM gold_results",
    "TRUNCATE events",
])
def test_a_moderator_cannot_change_history(site, statement):
    with site.sql("ana") as conn:
        _refused(conn, statement)


def test_a_lead_cannot_update_or_delete_history_either(site):
    with site.sql("lee") as conn:
        _refused(conn, "UPDATE decisions SET action = 'no_violation'")
        _refused(conn, "DELETE FROM events")


def test_a_moderator_reads_no_event_payload_but_the_chain(site):
    with site.sql("ana") as conn:
        _refused(conn, "SELECT payload FROM events")
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0  # the chain's head is everyone's
    with site.sql("lee") as conn:
        conn.execute("SELECT payload FROM events").fetchall()


def test_a_moderator_cannot_read_passphrase_hashes_of_others(site):
    with site.sql("ana") as conn:
        assert conn.execute("SELECT user_id FROM passphrases").fetchall() == [(site.id("ana"),)]


def test_a_deactivated_person_let_in_by_an_administrator_sees_and_writes_nothing(site):
    people.add_person(site.store, "lee", "eve", ["moderator"], passphrase=PHRASE["eve"])
    people.deactivate(site.store, "lee", "eve")
    site.store.db.execute(f"ALTER ROLE {site.role('eve')} LOGIN")  # an administrator let her in anyway …
    with site.sql("eve") as conn:
        _refused(conn, "SELECT * FROM items")  # … deactivating took her groups, so no grant is left
    site.store.db.execute(f"GRANT veil_moderator TO {site.role('eve')}")  # … gave one back: still nobody here
    with site.sql("eve") as conn:
        assert conn.execute("SELECT COUNT(*) FROM items").fetchone() == (0,)
        _refused(conn, "INSERT INTO leases (item_id, user_id, claimed_at, expires_at, claim_id) "
                       "VALUES (3, %s, '2026', '2027', 1)", (site.id("eve"),))


# ------------------------------------------------------- the blind audit
def test_an_auditor_cannot_read_the_original_decision_before_the_blind_one(site):
    from audit import audits

    sample_id, sampled = site.store.db.execute("SELECT id, decision_id FROM audit_samples").fetchone()
    with site.sql("dana") as conn:
        for column in ("action", "labels", "note"):
            _refused(conn, f"SELECT {column} FROM decisions WHERE id = %s", [sampled])
        _refused(conn, "SELECT payload FROM events WHERE kind = 'decision.made'")
        assert conn.execute("SELECT action FROM veil_original(%s)", [sample_id]).fetchall() == []
        assert conn.execute("SELECT item_id FROM decisions WHERE id = %s", [sampled]).fetchone()  # the work list's
    audits.start_audit(site.store, "dana", sample_id)
    with site.sql("dana") as conn:  # started, not yet answered blind
        assert conn.execute("SELECT action FROM veil_original(%s)", [sample_id]).fetchall() == []
    audits.submit_blind(site.store, "dana", sample_id, "remove", ["spam"])
    with site.sql("dana") as conn:
        assert conn.execute("SELECT action FROM veil_original(%s)", [sample_id]).fetchall() == [("remove",)]
        _refused(conn, "SELECT action FROM decisions WHERE id = %s", [sampled])  # still only through the reveal


def test_another_auditor_cannot_reveal_a_sample_someone_else_answered(site):
    from audit import audits

    people.add_person(site.store, "lee", "eve", ["auditor"], passphrase=PHRASE["eve"])
    sample_id = site.store.db.execute("SELECT id FROM audit_samples").fetchone()[0]
    audits.start_audit(site.store, "dana", sample_id)
    audits.submit_blind(site.store, "dana", sample_id, "remove", ["spam"])
    with site.sql("eve") as conn:
        assert conn.execute("SELECT action FROM veil_original(%s)", [sample_id]).fetchall() == []
    with site.sql("lee") as conn:  # a lead (and the owner) read it through the same door
        assert conn.execute("SELECT action FROM veil_original(%s)", [sample_id]).fetchall() == [("remove",)]
    assert site.store.db.execute("SELECT action FROM veil_original(?)", [sample_id]).fetchall() == [("remove",)]


def test_a_moderator_cannot_write_an_audit_even_of_their_own(site):
    with site.sql("ben") as conn:
        _refused(conn, "INSERT INTO audits (sample_id, decision_id, auditor_id) VALUES (1, 1, %s)",
                 (site.id("ben"),))
