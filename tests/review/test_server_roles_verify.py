"""``veil verify`` on a server names a missing or weakened guard of the roles; a phase-1 store gains them.

The policies, grants, row-security switches, definer functions and each
person's database role are compared with what Veil builds
(``review.store.server_schema.catalogue``), so each tampering below is one
problem named; a store made before the roles (phase 1) gets them all when
the owner next opens it, people included, and verifies clean.
"""

from __future__ import annotations

import pytest

from desktop import wiring
from review import people
from review.store import integrity

pytestmark = pytest.mark.server_only


def _problems(store) -> tuple[str, ...]:
    return integrity.check(store.db, wiring.schema_sets(), escalating={"escalate"}).problems


@pytest.fixture
def team(store):
    store.add_user("lee", ["lead"])
    people.add_person(store, "lee", "ana", ["moderator"])
    people.add_person(store, "lee", "dana", ["auditor"])
    return store


def test_a_store_with_its_roles_verifies_clean(team):
    assert _problems(team) == ()


def _role(store, name: str) -> str:
    return str(store.db.execute("SELECT role FROM people_roles r JOIN users u ON u.id = r.user_id WHERE u.name = ?",
                                [name]).fetchone()[0])


@pytest.mark.parametrize(("tampering", "named"), [
    ("DROP POLICY veil_read ON exposure", "the policy exposure.veil_read is missing"),
    ("ALTER TABLE wellbeing_checkins DISABLE ROW LEVEL SECURITY", "the table wellbeing_checkins is not as Veil "
                                                                  "creates it"),
    ("GRANT UPDATE ON decisions TO veil_moderator", "the grant decisions is not as Veil creates it"),
    ("GRANT SELECT ON decisions TO veil_auditor", "the grant decisions is not as Veil creates it"),
    ("REVOKE SELECT ON items FROM veil_moderator", "the grant items is not as Veil creates it"),
    ("CREATE POLICY open ON exposure FOR SELECT USING (true)", "the policy exposure.open is not one Veil creates"),
    ("ALTER FUNCTION veil_person() SECURITY DEFINER", "the function veil_person() is not as Veil creates it"),
    ("GRANT veil_lead TO {ana}", "the database role of ana is not as Veil creates it: in veil_lead, veil_moderator"),
    ("REVOKE veil_auditor FROM {dana}", "the database role of dana is not as Veil creates it: in no group"),
])
def test_verify_names_a_weakened_guard(team, tampering, named):
    team.db.conn.execute(tampering.format(ana=_role(team, "ana"), dana=_role(team, "dana")))
    assert [p for p in _problems(team) if p.startswith(named)], _problems(team)


def test_verify_names_a_deactivated_person_whose_role_can_log_in(team):
    people.deactivate(team, "lee", "ana")
    assert _problems(team) == ()
    team.db.conn.execute(f"ALTER ROLE {_role(team, 'ana')} LOGIN")
    assert _problems(team) == ("the database role of ana is not as Veil creates it: in no group, CAN LOG IN "
                               "although deactivated",)


def _back_to_phase_one(store) -> None:
    """Remove everything the roles added, as a store made by a phase-1 Veil has none of it."""
    conn = store.db.conn
    conn.execute("DROP TRIGGER veil_people_roles ON users")
    for table, policy in conn.execute("SELECT tablename, policyname FROM pg_policies"
                                      " WHERE schemaname = current_schema()").fetchall():
        conn.execute(f"DROP POLICY {policy} ON {table}")
    for (table,) in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = CAST(current_schema() AS "
                                 "regnamespace) AND relkind = 'r'").fetchall():
        conn.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        conn.execute(f"GRANT ALL ON {table} TO PUBLIC")
        conn.execute(f"REVOKE ALL ON {table} FROM PUBLIC, veil_moderator, veil_auditor, veil_lead")
    roles = [r for (r,) in conn.execute("SELECT role FROM people_roles").fetchall()]
    conn.execute("DROP TABLE people_roles CASCADE")
    for role in roles:  # a phase-1 store's people had none
        conn.execute(f"DROP ROLE {role}")
    for function in ("veil_person()", "veil_person_name()", "veil_is(text)", "veil_my_decision(bigint)",
                     "veil_original(bigint)", "veil_decided(bigint)", "veil_set_login(bigint, text)",
                     "veil_people_changed()", "veil_sync_person(bigint)", "veil_owner()", "veil_caller()"):
        conn.execute(f"DROP FUNCTION {function}")


def test_a_phase_one_store_gains_its_roles_when_the_owner_opens_it_and_verifies_clean(team, store_location, clock):
    _back_to_phase_one(team)
    assert "the guard of roles in the server" in " ".join(_problems(team))
    with wiring.open_store(store_location, clock=clock) as upgraded:
        assert _problems(upgraded) == ()
        assert {n for (n,) in upgraded.db.execute("SELECT u.name FROM people_roles r JOIN users u ON u.id = r.user_id"
                                                  " ORDER BY u.id").fetchall()} == {"lee", "ana", "dana"}
        assert upgraded.db.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?",
                                   [_role(upgraded, "ana")]).fetchone() == (False,)


def test_an_owner_who_may_not_create_roles_gets_a_working_store_and_is_told_roles_are_not_enforced(
        postgres_server, clock):
    postgres_server.people_use_passwords()
    postgres_server.admin("DROP ROLE IF EXISTS plain_owner")
    postgres_server.admin("CREATE ROLE plain_owner LOGIN NOCREATEROLE PASSWORD 'plain owner pw'")
    postgres_server.admin("CREATE DATABASE plain_site OWNER plain_owner")
    try:
        with wiring.open_store(postgres_server.person_url("plain_site", "plain_owner", "plain owner pw"),
                               clock=clock) as store:
            store.add_user("lee", ["lead"])
            people.add_person(store, "lee", "ana", ["moderator"], passphrase="ana's passphrase")
            assert _problems(store) == ("the guard of roles in the server (row-level security, grants and a "
                                        "database role per person; the store's owner needs CREATEROLE) is missing",)
    finally:
        postgres_server.drop("plain_site")


@pytest.mark.parametrize(("tampering", "named"), [
    ("GRANT EXECUTE ON FUNCTION veil_sync_person(bigint) TO PUBLIC", "the function veil_sync_person(person "),
    ("ALTER FUNCTION veil_set_login(bigint, text) RESET search_path", "the function veil_set_login(person "),
    ("ALTER FUNCTION veil_original(bigint) SET search_path = pg_temp, public", "the function veil_original(sample "),
    ("GRANT veil TO {ana}", "the database role of ana"),  # a person becomes a member of the store's owner
    ("GRANT pg_read_all_data TO {dana}", "the database role of dana"),  # reads every table past the policies
    ("GRANT {ana} TO {dana}", "the database role of ana"),
    ("ALTER ROLE {ana} BYPASSRLS", "the database role of ana"),
    ("ALTER ROLE {ana} CREATEROLE", "the database role of ana"),
    ("GRANT CREATE ON SCHEMA public TO veil_moderator", "the schema creating objects"),
    ("GRANT UPDATE ON SEQUENCE events_id_seq TO veil_moderator", "the grant events_id_seq"),
    ("GRANT TEMPORARY ON DATABASE {database} TO PUBLIC", "the privilege of creating temporary tables"),
])
def test_verify_names_a_power_given_past_the_rules(team, tampering, named):
    ana, dana = _role(team, "ana"), _role(team, "dana")
    database = team.db.execute("SELECT current_database()").fetchone()[0]
    team.db.conn.execute(tampering.format(ana=ana, dana=dana, database=database))
    try:
        assert [p for p in _problems(team) if p.startswith(named)], _problems(team)
    finally:  # roles are the cluster's: undo what would outlive this test's database
        team.db.conn.execute(f"REVOKE veil, pg_read_all_data, {ana} FROM {ana}, {dana}")
        team.db.conn.execute(f"ALTER ROLE {ana} NOBYPASSRLS NOCREATEROLE")
