"""Applying Veil's schema steps (the same ``sqlite_utils.Migrations`` sets) to a PostgreSQL server store.

Why our own runner: sqlite-utils applies migrations through its SQLite-only
table API. The steps themselves are shared: each is a function of the
database, written in the shared dialect (a step whose DDL differs asks
:func:`review.store.dialect.is_server`). What was applied is recorded in a
``_sqlite_migrations`` table of the same shape as sqlite-utils', so
``applied_migrations``, ``unknown_migrations`` and ``veil verify`` read
both stores alike.

Everything pending runs in ONE transaction holding the write lock:
PostgreSQL's DDL is transactional, so an upgrade interrupted half-way
leaves the old schema whole (no backup file is needed, unlike a SQLite
store), and two clients starting at once upgrade it once. Whether there is
anything to do (steps, a newer Veil's steps to refuse, functions an older
Veil defined) is asked again under the lock.

A database that is not a Veil store but holds anything is refused
(:func:`refuse_foreign`), as another program's file is.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from review.errors import StoreUnavailable
from review.store import server_roles
from review.store.connection import shown_location
from review.store.server_functions import FUNCTION_NAMES, FUNCTIONS
from review.store.steps import FIRST_STEP, newer_schema, unknown_migrations

TABLE = "_sqlite_migrations"
MINIMUM_VERSION = 150000  # server_version_num of the oldest PostgreSQL Veil runs on
#: What marks the functions on a server as this Veil's: a digest of their definitions (a later Veil's differ).
_MARK = "Veil " + hashlib.sha256(FUNCTIONS.encode()).hexdigest()[:16]
log = logging.getLogger(__name__)


def pending(db: Any, sets: Sequence[sqlite_utils.Migrations]) -> list[tuple[str, Any]]:
    """(set name, migration) of every step not yet applied, in order."""
    done = set(applied(db))
    return [(s.name, m) for s in sets for m in s._migrations if (s.name, m.name) not in done]


def applied(db: Any) -> list[tuple[str, str]]:
    if not db[TABLE].exists():
        return []
    return [(r[0], r[1]) for r in db.execute(f"SELECT migration_set, name FROM {TABLE} ORDER BY id")]


def apply(db: Any, sets: Sequence[sqlite_utils.Migrations]) -> None:
    """Apply every pending step of *sets*, all or nothing, and bring the SQLite functions the SQL uses up to
    this Veil's definitions; refuse (:class:`StoreUnavailable`) a schema a newer Veil has upgraded.

    Asked first without the write lock (an open with nothing to do takes no lock), then again under it:
    another client may have upgraded the store meanwhile, perhaps with a newer Veil, whose steps this one
    must then refuse rather than run its own after them.
    """
    version = int(db.execute("SELECT current_setting('server_version_num')").fetchone()[0])
    if version < MINIMUM_VERSION:  # views read as their caller (security_invoker) from 15 on
        raise StoreUnavailable(f"{shown_location(db.url)} runs PostgreSQL {version // 10000}; Veil needs "
                               f"PostgreSQL {MINIMUM_VERSION // 10000} or newer")
    if _current(db, sets):
        return
    if not server_roles.is_owner(db):  # a person's own role may not change the schema: say who can
        raise StoreUnavailable(f"{shown_location(db.url)} needs an upgrade to this Veil's schema, which only the "
                               "store's owner (the account that created it) can make: open it once with the "
                               "owner's URL (veil verify --store …), then sign in as yourself again")
    with db.transaction():
        if _current(db, sets):
            return
        steps = pending(db, sets)
        if steps:
            _run(db, steps)
            return
        if not _functions_current(db):
            _create_functions(db)
        if not server_roles.current(db):
            server_roles.install(db)  # policies and grants as this Veil defines them (an older Veil's store)
        elif not server_roles.locked(db):  # a copy of the database (a template's, a restore) lost its privileges
            server_roles.lock(db)


def _current(db: Any, sets: Sequence[sqlite_utils.Migrations]) -> bool:
    """Nothing to apply: every step applied and the functions as this Veil defines them; refuses a newer schema."""
    unknown = unknown_migrations(db, sets)
    if unknown:
        raise StoreUnavailable(newer_schema(shown_location(db.url), unknown))
    return not pending(db, sets) and _functions_current(db) and server_roles.current(db) and server_roles.locked(db)


def refuse_foreign(db: Any) -> None:
    """Refuse a database that holds anything but is not a Veil store: Veil never adds its tables to another
    program's database, nor replaces a function it did not create (as it leaves other files unchanged)."""
    if any(step[:2] == FIRST_STEP for step in applied(db)):
        return
    refusal = f"{shown_location(db.url)} is not a Veil store; Veil leaves other databases unchanged"
    found = db.execute("SELECT relname FROM pg_class WHERE relnamespace = CAST(current_schema() AS regnamespace)"
                       " AND relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY relname LIMIT 1").fetchone()
    if found:
        raise StoreUnavailable(f"{refusal} (it holds the table {found[0]}; create an empty database for Veil)")
    found = db.execute("SELECT proname FROM pg_proc WHERE pronamespace = CAST(current_schema() AS regnamespace)"
                       " AND proname = ANY(?) ORDER BY proname LIMIT 1", [list(FUNCTION_NAMES)]).fetchone()
    if found:
        raise StoreUnavailable(f"{refusal} (it has a function {found[0]} of its own, which Veil would replace; "
                               "create an empty database for Veil)")


def say_if_not_sorted_as_sqlite(db: Any) -> None:
    """Warn when the database's collation sorts text by language rules: names would then be listed in another
    order than on a SQLite store (which compares code points), and ``ORDER BY name`` differ between desks."""
    linguistic, collation = db.execute(
        "SELECT 'a' < 'B' OR 'é' < 'z', datcollate FROM pg_database WHERE datname = current_database()").fetchone()
    if linguistic:
        log.warning("%s sorts text by language rules (collation %s), not by code point as Veil expects: lists of "
                    "names will be ordered differently from a SQLite store's. Create Veil's database with: createdb "
                    "--locale=C -T template0 …", shown_location(db.url), collation)


def _run(db: Any, steps: Sequence[tuple[str, Any]]) -> None:
    """Apply *steps* in the transaction already open, in the schema first on the search path."""
    _create_functions(db)
    db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, migration_set TEXT, name TEXT,"
               " applied_at TEXT)")
    db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS idx_{TABLE}_migration_set_name ON {TABLE} (migration_set, name)")
    for set_name, migration in steps:
        migration.fn(db)
        db.execute(f"INSERT INTO {TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
                   [set_name, migration.name, str(_dt.datetime.now(_dt.UTC))])
    _resume_identities(db)
    server_roles.install(db)  # every table, new ones included, gets its policies and grants


def _create_functions(db: Any) -> None:
    """(Re)create the functions, marked with the digest of their definitions (:func:`_functions_current`)."""
    db.conn.execute(FUNCTIONS)  # several statements, no parameters: sent as one script
    db.conn.execute(f"COMMENT ON FUNCTION veil_json_path(text) IS '{_MARK}'")


def _functions_current(db: Any) -> bool:
    """Whether the functions on the server are this Veil's (the digest of their text, kept as a comment)."""
    found = db.execute("SELECT obj_description(to_regprocedure('veil_json_path(text)'), 'pg_proc')").fetchone()
    return bool(found and found[0] == _MARK)


def _resume_identities(db: Any) -> None:
    """Move each identity column's next value past the ids a step copied in (a rowid would, on SQLite)."""
    for table, column in db.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall():
        db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                   f" COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)")


# ------------------------------------------------------------ veil verify
def expected_catalogue(db: Any, sets: Sequence[sqlite_utils.Migrations]) -> dict[tuple[str, str], str]:
    """(kind, name) → definition of every object the steps create, built in a scratch schema that is rolled back.

    The server's counterpart of SQLite's fresh in-memory store: the same
    steps run in a schema of their own, inside a transaction that is never
    committed, so nothing of it is ever seen by anyone else or left behind
    (the connection may otherwise be read-only: this one transaction is
    read-write, for that reason only).
    """
    if not server_roles.is_owner(db):  # a person's role may neither build the scratch schema nor read every row
        raise StoreUnavailable(f"veil verify checks every row and the schema of {shown_location(db.url)}: run it "
                               "with the store owner's URL (the account that created it), not a person's")
    db.conn.execute("BEGIN READ WRITE")
    try:
        db.conn.execute("CREATE SCHEMA veil_expected")
        db.conn.execute("SET LOCAL search_path = veil_expected")
        _run(db, [(s.name, m) for s in sets for m in s._migrations])
        expected = catalogue(db)
    finally:
        db.conn.execute("ROLLBACK")
    return expected | server_roles.expected_people(db)


def catalogue(db: Any) -> dict[tuple[str, str], str]:
    """(kind, name) → definition of every table (with its row security switches), index, view, trigger (with
    whether it is enabled, and its function's body), function (and whether it runs as its owner), rule, row
    security policy, grant and person's database role (:func:`review.store.server_roles.people`) in the current
    schema, written without the schema's name so two schemas compare. A trigger switched off
    (``ALTER TABLE … DISABLE TRIGGER``), a rule rewriting a ``DELETE`` into nothing or a policy hiding rows
    changes what the history allows as surely as a dropped trigger."""
    schema = str(db.execute("SELECT current_schema()").fetchone()[0])
    found: dict[tuple[str, str], str] = {}
    for table, definition in db.execute(_TABLES, [schema, schema]).fetchall():
        found["table", table] = definition
    for kind, query in (("index", _INDEXES), ("view", _VIEWS), ("trigger", _TRIGGERS), ("function", _FUNCTIONS),
                        ("rule", _RULES), ("policy", _POLICIES), ("grant", _GRANTS), ("schema", _SCHEMA)):
        for name, definition in db.execute(query, [schema]).fetchall():
            found[kind, name] = _without_schema(definition, schema)
    return found | server_roles.people(db)


def _without_schema(definition: str, schema: str) -> str:
    """*definition* with the schema's name left out (qualified names, a definer's search path), so two compare."""
    for named in (f'"{schema}".', f"{schema}.", f"search_path={schema}, ", f'search_path="{schema}", '):
        definition = definition.replace(named, "search_path=, " if named.startswith("search_path") else "")
    return definition


_TABLES = """
SELECT c.relname, string_agg(d.line, ', ' ORDER BY d.position, d.line)
       || CASE WHEN c.relrowsecurity THEN ' ROW LEVEL SECURITY' ELSE '' END
       || CASE WHEN c.relforcerowsecurity THEN ' FORCED' ELSE '' END FROM pg_class c
JOIN (SELECT a.attrelid AS rel, a.attnum AS position, a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
             || COALESCE(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '')
             || CASE WHEN a.attidentity <> '' THEN ' IDENTITY' ELSE '' END AS line
      FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
      SELECT conrelid, 100000, conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint) AS d ON d.rel = c.oid
WHERE c.relnamespace = CAST(? AS regnamespace) AND c.relkind = 'r' AND c.relnamespace = CAST(? AS regnamespace)
GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity"""
_INDEXES = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ?"
_VIEWS = "SELECT viewname, definition FROM pg_views WHERE schemaname = ?"
_TRIGGERS = """
SELECT t.tgname, CASE t.tgenabled WHEN 'O' THEN '' WHEN 'D' THEN 'DISABLED ' WHEN 'R' THEN 'REPLICA ONLY '
                 ELSE 'ALWAYS ' END || pg_get_triggerdef(t.oid) || ' ' || p.prosrc FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
WHERE c.relnamespace = CAST(? AS regnamespace) AND NOT t.tgisinternal"""
#: A function's body, whether it runs as its owner, its settings (a definer's fixed search_path) and who may call
#: it: a definer made callable by everyone, or reading tables through the caller's search path, is a way past the rules.
_FUNCTIONS = """
SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE WHEN p.prosecdef THEN 'SECURITY DEFINER ' ELSE '' END || p.prosrc
       || COALESCE(' SET ' || array_to_string(p.proconfig, ' SET '), '') || ' EXECUTE '
       || COALESCE((SELECT string_agg(e.who, ', ' ORDER BY e.who) FROM (
            SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS who
            FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a
            WHERE a.grantee <> p.proowner AND a.privilege_type = 'EXECUTE') e), 'nobody else') FROM pg_proc p
WHERE p.pronamespace = CAST(? AS regnamespace) AND p.prokind IN ('f', 'a')"""
#: Who besides the schema's owner may create objects in it (a function or table of a person's own, found first).
_SCHEMA = """
SELECT 'creating objects', COALESCE(string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)
                                               END, ', ' ORDER BY a.grantee), 'nobody else')
FROM pg_namespace n CROSS JOIN LATERAL aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a
WHERE n.oid = CAST(? AS regnamespace) AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner"""
_RULES = "SELECT tablename || '.' || rulename, definition FROM pg_rules WHERE schemaname = ?"
_POLICIES = """
SELECT tablename || '.' || policyname, concat_ws(' ', permissive, 'FOR', cmd, 'TO', array_to_string(roles, ', '),
                                                'USING', qual, 'WITH CHECK', with_check)
FROM pg_policies WHERE schemaname = ?"""
#: Who may read or write each table, view and sequence (grants to the owner itself left out; every one listed, so a
#: grant on one Veil grants nothing on is named too): a grant added behind Veil's back lets a role past the rules
#: as surely as a dropped policy.
_GRANTS = """
SELECT c.relname, COALESCE(string_agg(g.line, ', ' ORDER BY g.line), 'owner only') FROM pg_class c
LEFT JOIN LATERAL (
  SELECT CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(e.grantee) END || ' ' || e.privilege_type AS line
  FROM aclexplode(c.relacl) e WHERE e.grantee <> c.relowner
  UNION ALL
  SELECT CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(e.grantee) END || ' ' || e.privilege_type
         || ' (' || a.attname || ')'
  FROM pg_attribute a CROSS JOIN LATERAL aclexplode(a.attacl) e
  WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL AND e.grantee <> c.relowner) AS g ON TRUE
WHERE c.relnamespace = CAST(? AS regnamespace) AND c.relkind IN ('r', 'v', 'S')
GROUP BY c.relname"""
