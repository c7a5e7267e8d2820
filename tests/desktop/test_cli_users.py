"""``veil users``: a lead adds and manages people from the command line (issue 13 §1 "People").

The same domain calls as the People page, signed in as a lead; a new
passphrase never comes from argv (``$VEIL_NEW_PASSPHRASE`` or a prompt); a
deactivated person can no longer sign in to any command.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import events, people, text_items

from desktop import wiring
from desktop.main import main
from review import auth, serving
from review.clock import FakeClock

NEW = "a new and long passphrase"


@pytest.fixture
def team(tmp_path) -> Path:
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee=(["lead"], "Lee Morgan"))
        store.add_queue("spam")
        store.add_queue("hate")
        text_items(store, "spam", 1)
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def opened(path: Path):
    return wiring.open_store(path)


def test_a_lead_adds_a_person_with_a_passphrase_from_the_environment(team, capsys, monkeypatch):
    monkeypatch.setenv("VEIL_NEW_PASSPHRASE", NEW)
    code, out, err = cli(capsys, "users", "add", "eve", "--role", "moderator", "--display-name", "Eve Ng",
                         "--queue", "hate", "--store", team, "--user", "lee")
    assert (code, err) == (0, "")
    assert out == "added eve (moderator, limited to hate) with a passphrase\n"
    with opened(team) as store:
        assert store.user("eve").display_name == "Eve Ng"
        assert auth.check_passphrase(store, "eve", NEW)
    assert "VEIL_NEW_PASSPHRASE" not in __import__("os").environ  # read once, inherited by no child


def test_no_passphrase_on_the_command_line_and_none_asked_for_without_a_terminal(team, capsys):
    with pytest.raises(SystemExit):
        main(["users", "add", "eve", "--role", "moderator", "--passphrase", NEW, "--store", str(team)])
    code, _, err = cli(capsys, "users", "passphrase", "ana", "--store", team, "--user", "lee")
    assert code == 2 and "set VEIL_NEW_PASSPHRASE, or run the command in a terminal" in err


def test_only_a_signed_in_lead_manages_people(team, capsys):
    code, _, err = cli(capsys, "users", "add", "eve", "--role", "moderator", "--store", team, "--user", "ana")
    assert code == 2 and "ana is not a lead: only a lead can add people" in err
    code, _, err = cli(capsys, "users", "list", "--store", team)
    assert code == 2 and "say who you are" in err


def test_list_shows_everyone_as_json(team, capsys):
    cli(capsys, "users", "set-queues", "ana", "spam", "--store", team, "--user", "lee")
    code, out, _ = cli(capsys, "users", "list", "--json", "--store", team, "--user", "lee")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert rows["ana"] == {"name": "ana", "display_name": "ana", "roles": ["moderator"], "queues": ["spam"],
                           "active": True, "passphrase": False, "severe_today_ms": 0,
                           "severe_budget_ms": 4 * 3_600_000, "budget_lifts_today": 0}
    code, out, _ = cli(capsys, "users", "list", "--store", team, "--user", "lee")
    assert "lee  (Lee Morgan)  lead  active  queues: every queue  passphrase: no" in out


def test_roles_queues_and_refusals_in_the_domains_words(team, capsys):
    code, out, _ = cli(capsys, "users", "set-roles", "ana", "moderator", "auditor", "--store", team, "--user", "lee")
    assert (code, out) == (0, "ana is now moderator, auditor\n")
    code, _, err = cli(capsys, "users", "set-roles", "lee", "moderator", "--store", team, "--user", "lee")
    assert code == 2 and "lee is the last active lead" in err
    code, _, err = cli(capsys, "users", "set-queues", "ana", "--store", team, "--user", "lee")
    assert code == 2 and "--every" in err
    code, _, err = cli(capsys, "users", "set-queues", "ana", "--every", "--store", team, "--user", "lee")
    assert code == 2 and "Nothing to change for ana" in err
    assert cli(capsys, "users", "set-queues", "ana", "spam", "--store", team, "--user", "lee")[0] == 0
    code, out, _ = cli(capsys, "users", "set-queues", "ana", "--every", "--store", team, "--user", "lee")
    assert (code, out) == (0, "ana now works every queue their roles work\n")


def test_a_deactivated_person_cannot_sign_in_and_their_items_go_back(team, capsys):
    with opened(team) as store:
        held = serving.claim_next(store, store.user("ana"))
    code, out, _ = cli(capsys, "users", "deactivate", "ana", "--store", team, "--user", "lee")
    assert (code, out) == (0, "deactivated ana; 1 item(s) they held went back to their queues\n")
    with opened(team) as store:
        assert serving.holder(store, held.item.id) is None
    code, _, err = cli(capsys, "metrics", "--store", team, "--user", "ana")
    assert code == 2 and "ana is deactivated and cannot sign in" in err
    code, out, _ = cli(capsys, "users", "reactivate", "ana", "--store", team, "--user", "lee")
    assert (code, out) == (0, "reactivated ana\n")
    assert cli(capsys, "metrics", "--store", team, "--user", "ana")[0] == 0


def test_a_lead_resets_a_passphrase_and_lifts_a_budget(team, capsys, monkeypatch):
    monkeypatch.setenv("VEIL_NEW_PASSPHRASE", NEW)
    code, out, _ = cli(capsys, "users", "passphrase", "ana", "--store", team, "--user", "lee")
    assert (code, out) == (0, "passphrase set for ana\n")
    code, out, _ = cli(capsys, "users", "lift-budget", "ana", "--reason", "training day", "--minutes", "30",
                       "--store", team, "--user", "lee")
    assert code == 0 and out.startswith("lifted ana's severe budget for today: 0 min used of 4 h 30")
    with opened(team) as store:
        assert auth.check_passphrase(store, "ana", NEW)
        lifted = events(store, "wellbeing.budget_lifted")
        assert [(e.actor, e.subject) for e in lifted] == [("lee", "user:ana")]
        assert NEW not in json.dumps([e.payload for e in events(store)])
    code, _, err = cli(capsys, "users", "lift-budget", "ana", "--reason", " ", "--store", team, "--user", "lee")
    assert code == 2 and "a lift needs a reason" in err


def test_verify_stays_clean_after_every_kind_of_change(team, capsys, monkeypatch):
    monkeypatch.setenv("VEIL_NEW_PASSPHRASE", NEW)
    for argv in (("add", "eve", "--role", "moderator", "--queue", "spam"), ("set-roles", "eve", "moderator", "lead"),
                 ("set-queues", "eve", "hate"), ("deactivate", "eve"), ("reactivate", "eve")):
        assert cli(capsys, "users", *argv, "--store", team, "--user", "lee")[0] == 0
    code, out, _ = cli(capsys, "verify", "--store", team)
    assert code == 0 and "problems: none" in out


def test_an_empty_new_passphrase_adds_nobody(team, capsys, monkeypatch):
    monkeypatch.setenv("VEIL_NEW_PASSPHRASE", "")
    code, out, err = cli(capsys, "users", "add", "eve", "--role", "moderator", "--passphrase", "--store", team,
                         "--user", "lee")
    assert (code, out) == (2, "") and "at least 8 characters" in err
    with opened(team) as store:
        assert "eve" not in {u.name for u in store.users()}


def test_an_unreadable_queue_limit_is_said_not_crashed_on(team, capsys):
    import sqlite3

    raw = sqlite3.connect(team)
    raw.execute("UPDATE users SET queue_ids = '3,x' WHERE name = 'ana'")
    raw.commit()
    raw.close()
    code, out, _ = cli(capsys, "users", "list", "--store", team, "--user", "lee")
    assert code == 0 and "ana  (ana)  moderator  active  queues: no queue (its limit cannot be read" in out
    code, out, _ = cli(capsys, "verify", "--store", team)
    assert code != 0 and "user 'ana' is limited to queues Veil cannot read ('3,x')" in out


def test_names_are_printed_safe_and_one_wording_for_queues(team, capsys):
    import sqlite3

    with opened(team) as store:
        store.add_user("dana", ["auditor"])
    raw = sqlite3.connect(team)  # a name from before the name rule, or written with SQL
    raw.execute("UPDATE users SET display_name = 'Ana\u202e\u200bSilva' WHERE name = 'ana'")
    raw.commit()
    raw.close()
    code, out, _ = cli(capsys, "users", "list", "--store", team, "--user", "lee")
    assert "(Ana\\u202e\\u200bSilva)" in out and "\u202e" not in out and "\u200b" not in out
    assert "dana  (dana)  auditor  active  queues: no queue  passphrase: no" in out
    code, out, _ = cli(capsys, "users", "list", "--json", "--store", team, "--user", "lee")
    assert "\u202e" not in out and "\u200b" not in out
    assert {r["name"]: r["display_name"] for r in json.loads(out)}["ana"] == "Ana\u202e\u200bSilva"
