"""Issue 11, doors: importing is a lead's, checked in the domain, so no front end can get round it.

``import_manifest`` and every row handler's write take the acting person and
check the role themselves (items, decisions, audits; creating people,
granting roles and creating queues come with them). A truly empty store is
founded by its first import: the importer becomes its first lead, in the
same transaction; a store with work in it but nobody is not. Names Veil
writes as actors of its own never become accounts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import events, people, text_item

from desktop.commands.import_cmd import row_handlers
from review import auth
from review.errors import NotAllowed
from review.imports import manifest as importer
from review.imports import past_decisions as history
from review.store import RESERVED_NAMES, SYSTEM_ACTOR, Refused, ReservedName
from review.store import imports as import_store


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [
    {"id": "p1", "queue": "spam", "text": "words"},
    {"type": "decision", "item": "p1", "moderator": "mallory", "action": "no_violation",
     "decided_at": "2026-01-02T09:00:00Z"},
    {"type": "audit", "item": "p1", "moderator": "mallory", "auditor": "ana", "blind_action": "remove",
     "blind_labels": ["harassment"], "verdict": "incorrect", "error_type": "missed_violation", "severity": "critical",
     "audited_at": "2026-01-03T09:00:00Z"},
]


def state(store):
    one = store.db.execute
    return (one("SELECT name, roles FROM users ORDER BY name").fetchall(), [q.name for q in store.queues()],
            one("SELECT COUNT(*), MAX(hash) FROM events").fetchone())


@pytest.fixture
def team(store):
    people(store, ana="moderator", cat="auditor", lee="lead")
    return store


@pytest.mark.parametrize("actor", ["ana", "cat", "ghost"])
@pytest.mark.parametrize("dry_run", [False, True])
def test_only_a_lead_imports_whatever_the_rows(team, tmp_path, actor, dry_run):
    before = state(team)
    for rows in (ROWS[:1], ROWS):
        manifest = write_jsonl(tmp_path / "m.jsonl", rows)
        with pytest.raises(NotAllowed, match="import|not a user"):
            importer.import_manifest(team, manifest, actor=actor, create_queues=True, dry_run=dry_run,
                                     handlers=row_handlers())
    assert state(team) == before


def test_a_lead_imports_and_is_the_actor(team, tmp_path):
    manifest = write_jsonl(tmp_path / "m.jsonl", ROWS)
    last = team.db.execute("SELECT MAX(id) FROM events").fetchone()[0]
    result = importer.import_manifest(team, manifest, actor="lee", create_queues=True, handlers=row_handlers())
    assert result.committed and result.founder is None
    written = team.db.execute("SELECT actor, kind, payload FROM events WHERE id > ?", [last]).fetchall()
    # A past decision's own event names its author (as verify expects of every decision); the import is lee's.
    assert {(a, json.loads(p)["source"]) for a, k, p in written if k == "decision.recorded"} == {("mallory", "import")}
    assert {a for a, k, _ in written if k != "decision.recorded"} == {"lee"}


def test_the_row_writers_check_the_role_themselves(team, tmp_path, monkeypatch):
    """A caller that drives the handlers itself (with a run naming a moderator) is refused at the write."""
    manifest = write_jsonl(tmp_path / "m.jsonl", ROWS)
    captured = {}
    monkeypatch.setattr(importer, "_commit", lambda run, handlers, to_add: captured.update(
        run=run, handlers=handlers, to_add=to_add))
    importer.import_manifest(team, manifest, actor="lee", create_queues=True, handlers=row_handlers())
    before = state(team)
    run = captured["run"]
    run.actor = "ana"
    for handler in captured["handlers"]:
        with pytest.raises(NotAllowed, match="ana is not a lead"):
            import_store.all_or_nothing(team, lambda h=handler: h.commit(run, captured["to_add"][h.type]))
    with pytest.raises(NotAllowed, match="ana is not a lead"):
        history.ensure_role(team, "eve", "moderator", actor="ana")
    assert state(team) == before


def test_the_first_import_founds_a_store_with_nobody_in_it(store, tmp_path):
    manifest = write_jsonl(tmp_path / "m.jsonl", ROWS)
    dry = importer.import_manifest(store, manifest, actor="lee", create_queues=True, dry_run=True,
                                   handlers=row_handlers())
    assert dry.founder == "lee" and store.users() == []
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "p1", "queue": "spam"}])
    refused = importer.import_manifest(store, bad, actor="lee", create_queues=True)
    assert not refused.committed and store.users() == []  # the founding goes with the import, or not at all
    result = importer.import_manifest(store, manifest, actor="lee", create_queues=True, handlers=row_handlers())
    assert result.committed and result.founder == "lee"
    assert {u.name: u.roles for u in store.users()} == {"lee": ("lead",), "mallory": ("moderator",),
                                                         "ana": ("auditor",)}
    assert result.users_created == {"mallory": ["moderator"], "ana": ["auditor"]}
    assert events(store, "user.created")[0] == ("lee", "user.created", "user:lee", {"roles": ["lead"]})
    with pytest.raises(NotAllowed):  # founded now: the next import needs a lead
        importer.import_manifest(store, manifest, actor="mallory", handlers=row_handlers())


# ---------------------------------------------- founding only an empty store
def legacy(store):
    """A store an items-only import of an older Veil filled: queues, items and events, but nobody in it."""
    text_item(store, store.add_queue("spam"), external_id="old-1")
    return store


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_store_with_work_but_nobody_in_it_cannot_be_taken_over_by_an_import(store, tmp_path, dry_run):
    """Today the first importer of such a store becomes its lead, with every item, decision and event in it."""
    legacy(store)
    before = state(store)
    manifest = write_jsonl(tmp_path / "m.jsonl", ROWS)
    with pytest.raises(NotAllowed, match="whoever owns") as refused:
        importer.import_manifest(store, manifest, actor="mallory", create_queues=True, dry_run=dry_run,
                                 handlers=row_handlers())
    assert "queues, items and events" in str(refused.value)
    assert state(store) == before


@pytest.mark.parametrize("holds", ["queue", "event"])
def test_add_first_lead_founds_only_a_truly_empty_store(store, holds):
    if holds == "queue":
        store.add_queue("spam")
    else:
        store.set_setting("anything", 1)  # an event and nothing else
    before = state(store)
    with pytest.raises(Refused) as refused:
        store.add_first_lead("mallory")
    assert refused.value.reason == "not_empty" and state(store) == before


def test_founding_is_checked_again_inside_the_import_transaction(store, tmp_path):
    """Empty when the import starts, filled by another client before it commits: nobody is made its lead."""
    manifest = write_jsonl(tmp_path / "m.jsonl", ROWS[:1])
    other = store.second_connection()

    def meanwhile(done, total):
        if not other.queues():
            other.add_queue("theirs")

    try:
        with pytest.raises(NotAllowed, match="whoever owns"):
            importer.import_manifest(store, manifest, actor="mallory", create_queues=True, progress=meanwhile)
    finally:
        other.close()
    assert store.users() == [] and [q.name for q in store.queues()] == ["theirs"]


# ------------------------------------------------------------ reserved names
@pytest.mark.parametrize("name", ["system", "anonymous", "cli", " System "])
def test_names_veil_writes_as_actors_never_become_accounts(store, name):
    """Today ``add_user("system", ["lead"])`` works: that account may then write Veil's own settings."""
    with pytest.raises(ReservedName, match="keeps for itself"):
        store.add_user(name, ["lead"])
    with pytest.raises(ValueError):  # ReservedName is also a ValueError, like add_user's other refusals
        store.add_user(name, ["moderator"])
    assert store.users() == [] and events(store) == []
    assert auth.ANONYMOUS in RESERVED_NAMES and SYSTEM_ACTOR in RESERVED_NAMES


def test_an_import_cannot_create_a_reserved_name(team, tmp_path):
    before = state(team)
    manifest = write_jsonl(tmp_path / "m.jsonl", [ROWS[0], {**ROWS[1], "moderator": "system"}])
    with pytest.raises(ReservedName, match="'system'"):
        importer.import_manifest(team, manifest, actor="lee", create_queues=True, handlers=row_handlers())
    assert state(team) == before
    fresh = write_jsonl(tmp_path / "f.jsonl", ROWS[:1])
    for name in ("system", "cli"):
        with pytest.raises(NotAllowed):
            importer.import_manifest(team, fresh, actor=name, create_queues=True)
