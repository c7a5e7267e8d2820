"""Accounts: an author's other items, the decisions that stand on them, and the team's notes across items."""

from __future__ import annotations

import pytest

from review import accounts, taxonomy
from review.desk import ReviewDesk
from review.errors import NotAllowed
from review.imports import manifest as importer
from review.serving import load_item
from review.store import accounts as account_rows
from tests.builders import decided_item, events, text_item, text_items

BY_MALLORY = {"metadata": {"author": "mallory", "category": "spam"}}


@pytest.fixture
def history(store):
    """ana (moderator), ben (moderator), lee (lead); mallory has two decided items, one open and one escalated."""
    store.add_user("ana", ["moderator"])
    store.add_user("ben", ["moderator"])
    store.add_user("lee", ["lead"])
    store.add_queue("escalations", "escalation")
    store.add_queue("spam", escalation_queue="escalations")
    decided_item(store, "spam", "ben", decided_at="2026-01-04T08:00:00.000Z", action="remove", labels=["spam"],
                 external_id="old1", **BY_MALLORY)
    decided_item(store, "spam", "ben", decided_at="2026-01-04T09:00:00.000Z", action="no_violation",
                 external_id="old2", **BY_MALLORY)
    text_item(store, "escalations", external_id="up1", **BY_MALLORY)
    [now] = text_items(store, "spam", ["now"], **BY_MALLORY)
    text_item(store, "spam", external_id="someone-else", received_at="2026-01-02T00:00:00.000Z",
              metadata={"author": "trent"})
    return load_item(store, now)


def test_an_author_with_history_shows_counts_and_the_policy_applied(store, history):
    account = accounts.for_item(store, store.user("ana"), history)
    assert account is not None and account.author == "mallory"
    assert [(i.external_id, i.action, i.labels) for i in account.items] == [
        ("old1", "remove", ("spam",)), ("old2", "no_violation", ())]
    assert account.actions() == {"remove": 1, "no_violation": 1}
    assert account.open == 0
    assert account.elsewhere == 1  # the escalation queue's item: a moderator does not work it, it is only counted


def test_a_lead_sees_the_escalated_item_as_open(store, history):
    account = accounts.for_item(store, store.user("lee"), history)
    assert account is not None
    assert account.elsewhere == 0 and account.open == 1
    assert [i.external_id for i in account.items if i.action is None] == ["up1"]


def test_an_item_without_an_author_has_no_account(store, history):
    store.add_items([{"external_id": "anon", "queue_id": store.queue("spam").id, "kind": "text",
                      "received_at": "2026-01-05T08:00:00.000Z"}])
    anon = load_item(store, store.db.execute("SELECT id FROM items WHERE external_id = 'anon'").fetchone()[0])
    assert accounts.for_item(store, store.user("ana"), anon) is None


def test_a_team_note_reaches_the_authors_next_item_with_who_and_when(store, history):
    accounts.add_note(store, "ben", "mallory", "Sells followers; check the link first.")
    desk = ReviewDesk(taxonomy.load())
    shown = desk.claim(store, store.user("ana"), ["spam"])
    assert shown is not None and shown.item.external_id == "now"
    assert shown.account is not None
    [note] = shown.account.notes
    assert (note.body, note.by, note.at) == ("Sells followers; check the link first.", "ben", store.now())
    [event] = events(store, "account.note")
    assert (event.actor, event.subject) == ("ben", "mallory")


def test_notes_are_refused_when_empty_or_from_an_auditor(store, history):
    store.add_user("dana", ["auditor"])
    with pytest.raises(accounts.NoteRefused):
        accounts.add_note(store, "ana", "mallory", "   ")
    with pytest.raises(NotAllowed):
        accounts.add_note(store, "dana", "mallory", "a note")
    assert events(store, "account.note") == []


_NEWEST, _NEWEST_ARGS = account_rows.NEWEST_AUTHOR_ITEMS.format(kinds="?"), ["mallory", 0, "review", 10]


def test_the_authors_items_are_read_through_the_index(store, history):
    if store.path is None:  # a server reads a table this small whole unless told not to; then it takes an index
        store.db.execute("SET enable_seqscan = off")  # it can use, as SQLite's planner does
        plan = store.db.execute("EXPLAIN " + _NEWEST, _NEWEST_ARGS).fetchall()
        store.db.execute("RESET enable_seqscan")
    else:
        plan = store.db.execute("EXPLAIN QUERY PLAN " + _NEWEST, _NEWEST_ARGS).fetchall()
    assert any("items_author" in str(row) for row in plan), plan


@pytest.mark.file_only
def test_an_authors_items_are_counted_from_the_indexes_alone(store, history):
    """An author of 65,000 items took 110 ms of row reads to count (1 M demo): the counts read the covering
    ``items_author`` (step m036) and ``decisions_item_live``, never an item's or a decision's row."""
    plan = " ".join(str(row) for row in store.db.execute("EXPLAIN QUERY PLAN " + account_rows.AUTHOR_COUNTS,
                                                         ["mallory", 0]))
    assert "COVERING INDEX items_author" in plan and "COVERING INDEX decisions_item_live" in plan, plan


def test_a_malformed_metadata_row_does_not_stop_the_read(store, history):
    """The read never parses metadata (step m032): the author is the column written with the row, so a row whose
    metadata was spoiled behind Veil's back is still its author's, and the read does not stop."""
    store.db.execute("UPDATE items SET metadata = '{not json' WHERE external_id = 'old2'")
    account = accounts.for_item(store, store.user("ana"), history)
    assert [i.external_id for i in account.items] == ["old1", "old2"]
    store.db.execute("UPDATE items SET author = NULL WHERE external_id = 'old2'")
    account = accounts.for_item(store, store.user("ana"), history)
    assert [i.external_id for i in account.items] == ["old1"]


def test_the_account_never_names_who_decided(store, history):
    account = accounts.for_item(store, store.user("ana"), history)
    assert "ben" not in repr(account.items)


def test_an_imported_author_is_text_so_a_number_and_its_digits_are_one_account(store, tmp_path):
    store.add_user("ana", ["moderator"])
    store.add_user("lee", ["lead"])
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a", "queue": "spam", "text": "x", "author": 12345, "reporter": " "}\n'
                    '{"id": "b", "queue": "spam", "text": "y", "author": "12345 "}\n')
    importer.import_manifest(store, path, create_queues=True, actor="lee")
    ids = dict(store.db.execute("SELECT external_id, id FROM items"))
    account = accounts.for_item(store, store.user("ana"), load_item(store, ids["b"]))
    assert account is not None and account.author == "12345"
    assert [i.external_id for i in account.items] == ["a"]
    assert "reporter" not in load_item(store, ids["a"]).metadata  # blank: dropped


def test_a_prolific_authors_decisions_are_read_past_a_drivers_parameter_limit(store, history):
    """Found: the standing decisions of an account's items were one ``IN (…)`` list of every id, which a server
    refuses past 65,535 parameters: an author of 70,000 items would have had no account at all."""
    decided = {row[0] for row in store.db.execute("SELECT item_id FROM decisions")}
    asked = [*decided, *range(1_000_000, 1_070_000)]  # ids no item has, beside the decided ones
    assert set(account_rows.current_decisions(store, asked)) == decided


def test_a_prolific_authors_account_lists_the_newest_and_counts_them_all(store, history, monkeypatch):
    """Found on the 1 M demo: an author of 61,083 items took 0.55-1.6 s to read (every item listed, each with its
    decision) and the account's dialog a table of them all. Now the newest :data:`accounts.LISTED` the viewer
    may see are listed and every item is counted by the store: the counts are a full count's."""
    monkeypatch.setattr(accounts, "LISTED", 2)
    for n, action in enumerate(["remove", "remove", "no_violation", "remove"]):
        decided_item(store, "spam", "ben", decided_at=f"2026-01-04T1{n}:00:00.000Z", action=action,
                     labels=["spam"] if action == "remove" else [], external_id=f"more{n}", **BY_MALLORY)
    undone = store.db.execute("SELECT id, item_id FROM decisions WHERE item_id ="
                              " (SELECT id FROM items WHERE external_id = 'more3')").fetchone()
    store.db.execute("UPDATE items SET state = 'pending' WHERE id = ?", [undone[1]])  # as an undo leaves it
    account = accounts.for_item(store, store.user("ana"), history)
    assert [i.external_id for i in account.items] == ["more2", "more3"]  # the newest two, oldest first
    assert (account.visible, account.unlisted, account.elsewhere) == (6, 4, 1)
    assert account.actions() == {"remove": 3, "no_violation": 2}  # old1, more0, more1; old2, more2
    assert account.open == 1  # more3, reopened: what stood before does not stand
    full = accounts.LISTED = 99
    everything = accounts.for_item(store, store.user("ana"), history)
    assert len(everything.items) == everything.visible == 6 and full
    assert (everything.actions(), everything.open) == (account.actions(), account.open)
    assert sum(1 for i in everything.items if i.action is None) == account.open


def test_someone_who_works_no_queue_sees_every_item_counted_and_none_listed(store, history):
    store.add_user("dana", ["auditor"])
    account = accounts.for_item(store, store.user("dana"), history)
    assert account is not None and account.items == () and account.visible == 0
    assert account.elsewhere == 3  # old1, old2 and up1: all in queues an auditor does not work
