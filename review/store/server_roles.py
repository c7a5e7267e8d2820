"""The server enforces Veil's roles: one database role per person, group roles, row-level security and grants.

Why: on a server anyone with an account can bypass Veil and speak SQL
(``psql``). So each person signs in as their own login role and the server
itself keeps the rules :mod:`review.store.server_policies` declares: a
moderator reads only their own exposure and check-ins, writes decisions,
audits and events only as themselves, updates or deletes none of them,
creates no people or queues; an auditor cannot read a sampled decision
before its blind audit is submitted. The account that ran the migrations
(the store's owner) is subject to none of it: it migrates, verifies and
administers.

How:

- Group roles ``veil_moderator``, ``veil_auditor``, ``veil_lead`` hold the
  table grants; ``veil_person`` marks a login role as a Veil person's (so a
  site's own roles — the owner, ``postgres`` — are never adopted). Roles are
  the cluster's, not one database's, so a person's role is always a new one:
  a number is added to the name when any role of it exists (a group, the
  owner, another store's person), and no store takes over another's login.
- ``people_roles`` maps a person to their login role (derived from the name:
  lower-case letters, digits and ``_``, ``p_`` before a name the server
  reserves, a number added when taken); a
  trigger on ``users`` (``veil_sync_person``, SECURITY DEFINER with a fixed
  ``search_path``) keeps the role in step with the row in the same
  transaction: created NOLOGIN with the person, its groups following their
  roles, NOLOGIN when deactivated, LOGIN again on reactivation if they have a
  passphrase. Whoever changes ``users`` (a lead through Veil; nobody else may)
  thus changes the role, and only as the row says.
- ``veil_person()`` (plain SQL, STABLE, not a definer: it reads the mapping
  as the caller, and stays inlinable) is the active person the connection
  is; every policy asks it. Its tables are named with the store's schema,
  and nobody but a lead may create temporary tables (:func:`_lock_down`):
  a person's own ``people_roles`` found first on their search path would
  otherwise make them anyone.
- A passphrase set through Veil becomes the role's password
  (``veil_set_login``, SECURITY DEFINER: the person themself, a lead for a
  non-lead who was not a lead earlier in the same transaction, or the
  owner), in the transaction that stores the passphrase, sent as a
  SCRAM-SHA-256 verifier libpq computes here, so the passphrase itself never
  reaches the server. A site that signs in
  with certificates or ``peer`` gives the role LOGIN itself
  (``ALTER ROLE ana LOGIN``); deactivation still takes it away.

The owner needs CREATEROLE (or to be a superuser); without it nothing is
installed and ``veil verify`` says the server does not enforce roles.
Installed by every schema upgrade and again when this Veil's definitions
differ from the ones on the server (a digest, as for the SQL functions).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from review.store import dialect, server_policies

if TYPE_CHECKING:
    from review.store import Store

GROUPS = {"moderator": "veil_moderator", "auditor": "veil_auditor", "lead": "veil_lead"}
PERSON_GROUP = "veil_person"

#: Functions and the mapping table; ``{schema}`` is the schema the store lives in (a definer's fixed search path,
#: and the tables the caller-run functions name: they must not find a person's own tables of the same name first).
_FUNCTIONS = """
CREATE TABLE IF NOT EXISTS people_roles (user_id BIGINT PRIMARY KEY REFERENCES users(id), role TEXT NOT NULL UNIQUE,
                                         demoted_in TEXT);
CREATE OR REPLACE FUNCTION veil_person() RETURNS BIGINT LANGUAGE sql STABLE AS $$
  SELECT u.id FROM {schema}.people_roles r JOIN {schema}.users u ON u.id = r.user_id
  WHERE r.role = current_user AND u.active = 1
$$;
CREATE OR REPLACE FUNCTION veil_person_name() RETURNS TEXT LANGUAGE sql STABLE AS $$
  SELECT u.name FROM {schema}.people_roles r JOIN {schema}.users u ON u.id = r.user_id
  WHERE r.role = current_user AND u.active = 1
$$;
CREATE OR REPLACE FUNCTION veil_is(wanted TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM {schema}.people_roles r JOIN {schema}.users u ON u.id = r.user_id
                 WHERE r.role = current_user AND u.active = 1 AND (',' || u.roles || ',') LIKE '%,' || wanted || ',%')
$$;
CREATE OR REPLACE FUNCTION veil_owner() RETURNS BOOLEAN LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
  SELECT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'users'::regclass), 'MEMBER')
     AND NOT EXISTS (SELECT 1 FROM people_roles WHERE role = session_user)
$$;
CREATE OR REPLACE FUNCTION veil_caller() RETURNS users LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
  SELECT u.* FROM people_roles r JOIN users u ON u.id = r.user_id WHERE r.role = session_user AND u.active = 1
$$;
CREATE OR REPLACE FUNCTION veil_my_decision(decision BIGINT) RETURNS BOOLEAN LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM decisions d JOIN people_roles r ON r.user_id = d.user_id
                 WHERE d.id = decision AND r.role = session_user)
$$;
CREATE OR REPLACE FUNCTION veil_original(sample BIGINT) RETURNS TABLE (id BIGINT, moderator TEXT, queue TEXT,
  action TEXT, labels TEXT, note TEXT, decided_at TEXT, handle_ms BIGINT) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
  SELECT d.id, u.name, q.name, d.action, d.labels, d.note, d.decided_at, d.handle_ms
  FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
  JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id
  WHERE s.id = sample
    AND (veil_owner() OR (',' || (veil_caller()).roles || ',') LIKE '%,lead,%'
         OR EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = s.id AND a.decision_id = s.decision_id
                    AND a.auditor_id = (veil_caller()).id AND a.blind_at IS NOT NULL
                    AND d.user_id <> (veil_caller()).id))
$$;
CREATE OR REPLACE FUNCTION veil_decided(person BIGINT) RETURNS TABLE (id BIGINT, item_id BIGINT, queue_id BIGINT,
  decided_at TEXT, action TEXT, labels TEXT) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
  SELECT d.id, d.item_id, d.queue_id, d.decided_at, d.action, d.labels FROM decisions d
  WHERE d.user_id = person
    AND (veil_owner() OR (veil_caller()).id = person OR (',' || (veil_caller()).roles || ',') LIKE '%,lead,%')
$$;
CREATE OR REPLACE FUNCTION veil_sync_person(person BIGINT) RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
DECLARE
  who users%ROWTYPE;
  login TEXT;
  base TEXT;
  n INTEGER := 1;
  grp TEXT;
BEGIN
  SELECT * INTO who FROM users WHERE id = person;
  SELECT role INTO login FROM people_roles WHERE user_id = person;
  IF login IS NULL THEN  -- a new role, never one that exists (a group's, the owner's, another store's person's)
    base := left(regexp_replace(lower(who.name), '[^a-z0-9_]', '_', 'g'), 48);
    IF base = '' OR base ~ '^[0-9]' OR base LIKE 'pg\\_%'
       OR base IN ('public', 'none', 'all', 'user', 'current_user', 'current_role', 'session_user') THEN
      base := 'p_' || base;
    END IF;
    login := base;
    WHILE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) LOOP
      n := n + 1;
      login := base || '_' || n;
    END LOOP;
    EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE veil_person', login);
    INSERT INTO people_roles (user_id, role) VALUES (person, login);
  END IF;
  FOREACH grp IN ARRAY ARRAY['moderator', 'auditor', 'lead'] LOOP
    IF who.active = 1 AND (',' || who.roles || ',') LIKE '%,' || grp || ',%' THEN
      EXECUTE format('GRANT %I TO %I', 'veil_' || grp, login);
    ELSIF EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = ('veil_' || grp)::regrole
                  AND m.member = login::regrole) THEN
      EXECUTE format('REVOKE %I FROM %I', 'veil_' || grp, login);
    END IF;
  END LOOP;
  IF who.active <> 1 THEN
    EXECUTE format('ALTER ROLE %I NOLOGIN', login);
  END IF;
  RETURN login;
END $$;
CREATE OR REPLACE FUNCTION veil_people_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
BEGIN
  PERFORM veil_sync_person(NEW.id);
  IF TG_OP = 'UPDATE' AND (',' || OLD.roles || ',') LIKE '%,lead,%' AND OLD.active = 1
     AND ((',' || NEW.roles || ',') NOT LIKE '%,lead,%' OR NEW.active <> 1) THEN
    -- a lead until now: nobody but they may set their password before this transaction ends (veil_set_login)
    UPDATE people_roles SET demoted_in = pg_current_xact_id()::text WHERE user_id = NEW.id;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.active = 1 AND OLD.active <> 1
     AND EXISTS (SELECT 1 FROM passphrases WHERE user_id = NEW.id) THEN
    EXECUTE format('ALTER ROLE %I LOGIN', (SELECT role FROM people_roles WHERE user_id = NEW.id));
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS veil_people_roles ON users;
CREATE TRIGGER veil_people_roles AFTER INSERT OR UPDATE OF roles, active ON users
  FOR EACH ROW EXECUTE FUNCTION veil_people_changed();
CREATE OR REPLACE FUNCTION veil_set_login(person BIGINT, verifier TEXT) RETURNS VOID LANGUAGE plpgsql
SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
  caller users%ROWTYPE := veil_caller();
  target users%ROWTYPE;
BEGIN
  SELECT * INTO target FROM users WHERE id = person;
  IF target.id IS NULL OR target.active <> 1 THEN
    RAISE EXCEPTION 'only an active person''s database role gets a password' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT COALESCE(caller.id = person OR (caller.id IS NULL AND veil_owner())
                  OR ((',' || caller.roles || ',') LIKE '%,lead,%' AND (',' || target.roles || ',') NOT LIKE '%,lead,%'
                      AND (SELECT demoted_in FROM people_roles WHERE user_id = person)
                          IS DISTINCT FROM pg_current_xact_id()::text), FALSE) THEN
    RAISE EXCEPTION 'only the person, a lead (for someone who is not a lead) or the store''s owner sets this password'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF verifier !~ '^SCRAM-SHA-256\\$[0-9]+:[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
    RAISE EXCEPTION 'a password is set only as a SCRAM-SHA-256 verifier, never as text';
  END IF;
  EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', veil_sync_person(person), verifier);
END $$;
REVOKE ALL ON FUNCTION veil_sync_person(BIGINT) FROM PUBLIC;
REVOKE ALL ON FUNCTION veil_people_changed() FROM PUBLIC;
"""
_MARKED = "veil_person()"


def enforced(db: Any) -> bool:
    """Whether the account connected may create roles (CREATEROLE or superuser): what installing needs."""
    found = db.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(found and found[0])


def is_owner(db: Any) -> bool:
    """Whether the connection is the store's owner (or a member of it): who migrates, verifies, administers."""
    found = db.execute("SELECT pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_class c"
                       " WHERE c.oid = to_regclass('users')").fetchone()
    return bool(found is None or found[0] is None or found[0])


def current(db: Any) -> bool:
    """Nothing to (re)install: not the owner (who alone could), roles not enforceable here, or this Veil's
    definitions are the ones on the server (a digest kept as a comment on ``veil_person()``)."""
    if not is_owner(db) or not enforced(db):
        return True
    found = db.execute("SELECT obj_description(to_regprocedure(?), 'pg_proc')", [_MARKED]).fetchone()
    return bool(found and found[0] == _mark(db))


def locked(db: Any) -> bool:
    """Whether everyone's temporary tables are still refused in the store's database (True where the owner could
    not change it): a database's privileges are not copied with it (``CREATE DATABASE … TEMPLATE``, a restore),
    so the owner's next open locks it again (:func:`lock`)."""
    if not is_owner(db) or not enforced(db) or not installed(db):
        return True
    return not db.execute("SELECT has_database_privilege('public', current_database(), 'TEMPORARY')").fetchone()[0]


def install(db: Any) -> None:
    """Create the groups, the mapping and its functions, then every table's policies and grants, and a role for
    every person already in the store; in the transaction already open (a schema upgrade's). Nothing without
    CREATEROLE (``veil verify`` says so)."""
    if not enforced(db):
        return
    from psycopg import sql

    conn = db.conn
    for group in (*GROUPS.values(), PERSON_GROUP):
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [group]).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
    schema = str(conn.execute("SELECT current_schema()").fetchone()[0])
    conn.execute((_FUNCTIONS + server_policies.FUNCTIONS).replace("{schema}", sql.Identifier(schema).as_string(conn)))
    for name, kind in _tables(db):
        _secure(conn, name, kind)
    _lock_down(conn, schema)
    conn.execute(sql.SQL("REVOKE ALL ON people_roles FROM PUBLIC"))
    conn.execute(sql.SQL("GRANT SELECT ON people_roles TO {}").format(
        sql.SQL(", ").join(sql.Identifier(g) for g in GROUPS.values())))
    conn.execute("SELECT veil_sync_person(id) FROM users ORDER BY id")
    conn.execute(sql.SQL("COMMENT ON FUNCTION veil_person() IS {}").format(sql.Literal(_mark(db))))


#: Session-level advisory locks: a person holding Veil's write lock that way stalls every write until they
#: disconnect (Veil itself takes only transaction-level ones, released at commit).
_SESSION_LOCKS = tuple(f"{name}({args})" for name in ("pg_advisory_lock", "pg_advisory_lock_shared",
                                                      "pg_try_advisory_lock", "pg_try_advisory_lock_shared")
                       for args in ("bigint", "integer, integer"))


def lock(db: Any) -> None:
    """:func:`_lock_down` alone, in the transaction already open (the rest is installed and current)."""
    _lock_down(db.conn, str(db.execute("SELECT current_schema()").fetchone()[0]))


def _lock_down(conn: Any, schema: str) -> None:
    """What every role may do in this database besides Veil's tables: no temporary tables (a person's own
    ``people_roles`` would come first on their search path) but for leads (a roster import uses one), no new
    objects in the store's schema, and, when the owner is a superuser (only the functions' owner may), no
    session-level advisory locks."""
    from psycopg import sql

    database = sql.Identifier(str(conn.execute("SELECT current_database()").fetchone()[0]))
    conn.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(database))
    conn.execute(sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(database, sql.Identifier(GROUPS["lead"])))
    conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(schema)))
    if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
        for function in _SESSION_LOCKS:
            conn.execute(sql.SQL(f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC"))


def _tables(db: Any) -> list[tuple[str, str]]:
    """(name, kind: ``r`` table, ``v`` view) of every relation in the store's schema but the mapping."""
    return [(str(n), str(k)) for n, k in db.execute(
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = CAST(current_schema() AS regnamespace)"
        " AND relkind IN ('r', 'v') AND relname <> 'people_roles' ORDER BY relname").fetchall()]


def _mark(db: Any) -> str:
    """This Veil's definitions for the tables on this server, as a digest."""
    text = repr((_FUNCTIONS, server_policies.FUNCTIONS, sorted(server_policies.TABLES.items()), server_policies.DEFAULT,
                 _tables(db)))
    return "Veil roles " + hashlib.sha256(text.encode()).hexdigest()[:16]


def _secure(conn: Any, table: str, kind: str) -> None:
    """*table*'s row-level security (four policies) and grants, from its rules; a view reads as its caller."""
    from psycopg import sql

    name = sql.Identifier(table)
    everyone = sql.SQL(", ").join(sql.Identifier(g) for g in GROUPS.values())
    conn.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC, {}").format(name, everyone))
    if kind == "v":
        conn.execute(sql.SQL("ALTER VIEW {} SET (security_invoker = true)").format(name))
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(name, everyone))
        return
    if table == "_sqlite_migrations":
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(name, everyone))
        return
    rule = server_policies.rules(table)
    conn.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
    for (policy,) in conn.execute("SELECT policyname FROM pg_policies WHERE schemaname = current_schema()"
                                  " AND tablename = %s", [table]).fetchall():
        conn.execute(sql.SQL("DROP POLICY {} ON {}").format(sql.Identifier(policy), name))
    lead = "(SELECT veil_is('lead'))"
    gate = ("EXISTS (SELECT 1 FROM people_roles r WHERE r.role = current_user)" if table == "users"
            else "(SELECT veil_person()) IS NOT NULL")

    def condition(text: str) -> str:
        return text.format(me="(SELECT veil_person())", my_name="(SELECT veil_person_name())",
                           auditor="(SELECT veil_is('auditor'))", table=table,
                           blind="(SELECT veil_is('auditor') AND NOT veil_is('moderator') AND NOT veil_is('lead'))")

    read = gate if table == "users" else f"{gate} AND ({lead} OR {condition(rule.read)})"
    policies = [("read", "SELECT", read, None),
                ("insert", "INSERT", None, f"{gate} AND (({lead} AND ({condition(rule.lead_insert)}))"
                                           f" OR {condition(rule.insert or 'FALSE')})")]
    if not rule.append_only:
        update = f"{gate} AND ({lead} OR {condition(rule.update or 'FALSE')})"
        then = f"{gate} AND ({lead} OR {condition(rule.update_check or rule.update or 'FALSE')})"
        policies += [("update", "UPDATE", update, then),
                     ("delete", "DELETE", f"{gate} AND ({lead} OR {condition(rule.delete or 'FALSE')})", None)]
    for policy, command, using, check in policies:
        conn.execute(sql.SQL("CREATE POLICY {} ON {} FOR {} {} {}").format(
            sql.Identifier(f"veil_{policy}"), name, sql.SQL(command),
            sql.SQL(f"USING ({using})" if using else ""), sql.SQL(f"WITH CHECK ({check})" if check else "")))
    lead_verbs = "SELECT, INSERT" if rule.append_only else "SELECT, INSERT, UPDATE, DELETE"
    conn.execute(sql.SQL(f"GRANT {lead_verbs} ON {{}} TO {{}}").format(name, sql.Identifier(GROUPS["lead"])))
    others = sql.SQL(", ").join(sql.Identifier(GROUPS[r]) for r in ("moderator", "auditor"))
    if rule.hidden_from_auditors:
        _grant(conn, "SELECT", rule.read_columns, name, sql.Identifier(GROUPS["moderator"]))
        columns = [str(c) for (c,) in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
            " ORDER BY attnum", [table]).fetchall()]
        seen = [c for c in rule.read_columns or columns if c not in rule.hidden_from_auditors]
        _grant(conn, "SELECT", tuple(seen), name, sql.Identifier(GROUPS["auditor"]))
    else:
        _grant(conn, "SELECT", rule.read_columns, name, others)
    if rule.insert is not None:
        _grant(conn, "INSERT", (), name, others)
    if rule.update is not None and not rule.append_only:
        _grant(conn, "UPDATE", rule.update_columns, name, others)
    if rule.delete is not None and not rule.append_only:
        _grant(conn, "DELETE", (), name, others)


def _grant(conn: Any, verb: str, columns: tuple[str, ...], table: Any, to: Any) -> None:
    from psycopg import sql

    if columns:
        listed = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        conn.execute(sql.SQL(f"GRANT {verb} ({{}}) ON {{}} TO {{}}").format(listed, table, to))
    else:
        conn.execute(sql.SQL(f"GRANT {verb} ON {{}} TO {{}}").format(table, to))


# ---------------------------------------------------------------- veil verify
GUARD = ("guard", "of roles in the server (row-level security, grants and a database role per person; the store's "
                  "owner needs CREATEROLE)")


#: Who may create temporary tables in the store's database (besides its owner): a person's own ``people_roles``
#: would otherwise come first on their search path.
TEMPORARY = ("privilege", "of creating temporary tables in the database")


def expected_people(db: Any) -> dict[tuple[str, str], str]:
    """What ``veil verify`` expects of the server's roles: the guard installed, and for each person a role in
    the groups of their Veil roles (none when deactivated, and unable to log in)."""
    expected = {GUARD: "installed", TEMPORARY: GROUPS["lead"]}
    if not enforced(db) and not installed(db):
        return {GUARD: "installed"}
    for name, roles, active in db.execute("SELECT name, roles, active FROM users ORDER BY id").fetchall():
        groups = sorted(GROUPS[r] for r in str(roles).split(",") if r in GROUPS) if active == 1 else []
        expected["database role of", str(name)] = _said(groups, active == 1, True)
    return expected


def people(db: Any) -> dict[tuple[str, str], str]:
    """The server's roles as they are, in :func:`expected_people`'s terms: every role each person's role is a
    member of (a group, the owner, ``pg_read_all_data`` …; ``veil_person`` is taken for granted), every role that
    is a member of theirs, and any power a role flag gives (superuser, creating roles or databases, bypassing
    row-level security, replication)."""
    if not installed(db):
        return {}
    found: dict[tuple[str, str], str] = {GUARD: "installed", TEMPORARY: str(db.execute(
        "SELECT COALESCE(string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, ', '"
        " ORDER BY a.grantee), 'nobody else') FROM pg_database d"
        " CROSS JOIN LATERAL aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a"
        " WHERE d.datname = current_database() AND a.privilege_type = 'TEMPORARY' AND a.grantee <> d.datdba"
    ).fetchone()[0])}
    for name, active, can_login, groups, members, flags in db.execute(
            "SELECT u.name, u.active, r.rolcanlogin,"
            " ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            "       WHERE m.member = r.oid AND g.rolname <> ? ORDER BY g.rolname),"
            " ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.member"
            "       WHERE m.roleid = r.oid ORDER BY g.rolname),"
            " concat_ws(', ', CASE WHEN r.rolsuper THEN 'SUPERUSER' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE'"
            " END, CASE WHEN r.rolcreatedb THEN 'CREATEDB' END, CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,"
            " CASE WHEN r.rolreplication THEN 'REPLICATION' END)"
            " FROM people_roles p JOIN users u ON u.id = p.user_id JOIN pg_roles r ON r.rolname = p.role"
            " ORDER BY u.id", [PERSON_GROUP]).fetchall():
        text = _said(list(groups), active == 1, not can_login)
        if members:
            text += f", with members {', '.join(members)}"
        found["database role of", str(name)] = text + (f", {flags}" if flags else "")
    return found


def _said(groups: list[str], active: bool, no_login: bool) -> str:
    text = f"in {', '.join(groups)}" if groups else "in no group"
    if not active:
        text += ", cannot log in (deactivated)" if no_login else ", CAN LOG IN although deactivated"
    return text


# ---------------------------------------------------------------- sign-in
def connected_person(store: Store) -> str | None:
    """The name of the person whose own role *store*'s connection is (active or not); None on SQLite, for the
    store's owner or any other account that is nobody's."""
    if not installed(store.db):
        return None
    found = store.db.execute("SELECT u.name FROM people_roles r JOIN users u ON u.id = r.user_id"
                       " WHERE r.role = current_user").fetchone()
    return str(found[0]) if found else None


def login_role(store: Store, user_id: int) -> str | None:
    """The database role *user_id* signs in as on this server store (None on SQLite, or roles not enforced)."""
    if not installed(store.db):
        return None
    found = store.db.execute("SELECT role FROM people_roles WHERE user_id = ?", [user_id]).fetchone()
    return str(found[0]) if found else None


def installed(db: Any) -> bool:
    """Whether *db* is a server store whose people have roles (``people_roles`` exists)."""
    return dialect.is_server(db) and bool(db.execute("SELECT to_regclass('people_roles') IS NOT NULL").fetchone()[0])


def set_login(store: Store, user_id: int, passphrase: str) -> None:
    """Make *passphrase* the password of *user_id*'s role (and let it log in); nothing on SQLite or a server that
    does not enforce roles. Run as whoever set the passphrase, inside their write's transaction (ALTER ROLE is
    transactional: the person and their login commit together); the server re-checks who may
    (``veil_set_login``)."""
    role = login_role(store, user_id)
    if role is None:
        return
    store.db.execute("SELECT veil_set_login(?, ?)", [user_id, scram_verifier(store.db.conn, role, passphrase)])


def scram_verifier(conn: Any, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for *password*, computed by libpq on this desk (so the text
    never reaches the server or its log) with the SASLprep normalisation libpq applies when it logs in: a
    passphrase Veil accepts (emoji, variation selectors) then logs in as typed."""
    return str(conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode())
