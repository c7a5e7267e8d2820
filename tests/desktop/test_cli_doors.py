"""Issue 11, doors: every ``veil`` command acts as a named, signed-in person, exactly like the GUI.

The person is ``--user`` (global or the command's own), else ``$VEIL_USER``;
an account with a passphrase needs it (``$VEIL_PASSPHRASE``, else a prompt on a
terminal); a wrong one is refused and logged; the role is checked. Imports,
and so creating people, granting roles and creating queues, are lead-only.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from builders import audited, decided_item, events, people, text_item

from audit import plans
from desktop import wiring
from desktop.main import main
from review import auth
from review.clock import FakeClock

PHRASE = "lee's long passphrase"


@pytest.fixture
def team(tmp_path) -> Path:
    """ana and ben moderate, cat audits, lee leads (with a passphrase), lou leads (without one)."""
    path = tmp_path / "team.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead", lou="lead")
        store.add_queue("spam")
        for n, (moderator, correct) in enumerate((("ana", True), ("ben", True), ("ben", False)), start=1):
            decision = decided_item(store, "spam", moderator, action="remove", labels=["harassment"],
                                    decided_at="2026-01-14T09:00:00Z", external_id=f"old-{n}")
            audited(store, decision, lead="lou", auditor="cat", blind_action="remove" if correct else "no_violation",
                    blind_labels=["harassment"] if correct else [], verdict="correct" if correct else "incorrect",
                    error=None if correct else ("missed_violation", "critical"))
        decided_item(store, "spam", "ben", action="remove", labels=["harassment"], decided_at="2026-01-15T09:00:00Z",
                     external_id="old-4")  # not audited yet
        auth.set_passphrase(store, "lee", "lee", PHRASE)
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def failed_sign_ins(path: Path) -> list[tuple[str, str, dict]]:
    with wiring.open_store(path) as store:
        return [(e.actor, e.subject, e.payload) for e in events(store, "auth.failed")]


def actors(path: Path) -> set[str]:
    with wiring.open_store(path) as store:
        return {a for (a,) in store.db.execute("SELECT DISTINCT actor FROM events")}


# ------------------------------------------------------------------ who
@pytest.mark.parametrize("command", [
    ["export", "audits", "--out", "OUT"],
    ["metrics", "--json"],
    ["sample"],
    ["sample", "--due"],
])
def test_nobody_named_is_refused(team, tmp_path, capsys, command):
    """Today export runs as "the store's only lead" and metrics and sample --due as nobody at all."""
    argv = [str(tmp_path / "out.csv") if a == "OUT" else a for a in command]
    code, out, err = cli(capsys, *argv, "--store", team)
    assert code == 2, out
    assert "say who you are: --user NAME or VEIL_USER" in err
    assert not (tmp_path / "out.csv").exists()


def test_an_unknown_name_is_refused_and_never_becomes_an_actor(team, tmp_path, capsys):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "x1", "queue": "spam", "text": "words"}) + "\n")
    for argv in (["--user", "ghost", "metrics"], ["--user", "ghost", "import", manifest],
                 ["export", "decisions", "--out", tmp_path / "d.csv", "--user", "ghost"]):
        code, _, err = cli(capsys, *argv, "--store", team)
        assert code == 2 and "'ghost' is not a user" in err
    assert "ghost" not in actors(team)
    assert not (tmp_path / "d.csv").exists()


def test_veil_user_names_the_person(team, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VEIL_USER", "lou")
    assert cli(capsys, "export", "decisions", "--out", tmp_path / "d.csv", "--store", team)[0] == 0
    monkeypatch.setenv("VEIL_USER", "ana")
    code, _, err = cli(capsys, "export", "decisions", "--out", tmp_path / "e.csv", "--store", team)
    assert code == 2 and "ana is not a lead" in err and not (tmp_path / "e.csv").exists()


def test_the_global_and_the_commands_own_user_must_agree(team, tmp_path, capsys):
    code, _, err = cli(capsys, "--user", "ana", "export", "decisions", "--out", tmp_path / "d.csv",
                       "--user", "lou", "--store", team)
    assert code == 2 and "two people" in err
    assert not (tmp_path / "d.csv").exists()
    assert cli(capsys, "--user", "lou", "export", "decisions", "--out", tmp_path / "d.csv", "--user", "lou",
               "--store", team)[0] == 0


# ----------------------------------------------------------- passphrases
def test_a_passphrase_is_needed_when_the_account_has_one(team, tmp_path, capsys):
    """Today ``--user lee`` works for a lead with a passphrase without it."""
    code, _, err = cli(capsys, "--user", "lee", "export", "decisions", "--out", tmp_path / "d.csv", "--store", team)
    assert code == 2 and "VEIL_PASSPHRASE" in err
    assert not (tmp_path / "d.csv").exists()


def test_a_wrong_veil_passphrase_is_refused_and_logged(team, tmp_path, capsys, monkeypatch):
    """Today a wrong VEIL_PASSPHRASE is ignored and no auth.failed is logged."""
    monkeypatch.setenv("VEIL_PASSPHRASE", "not it at all")
    code, _, err = cli(capsys, "--user", "lee", "export", "decisions", "--out", tmp_path / "d.csv", "--store", team)
    assert code == 2 and "passphrase" in err and "not right" in err
    assert not (tmp_path / "d.csv").exists()
    assert failed_sign_ins(team) == [(auth.ANONYMOUS, "user:lee", {"via": "cli"})]


def test_the_right_veil_passphrase_signs_in_and_leaves_no_child_the_phrase(team, tmp_path, capsys, monkeypatch):
    import os

    monkeypatch.setenv("VEIL_PASSPHRASE", PHRASE)
    code, out, err = cli(capsys, "--user", "lee", "export", "decisions", "--out", tmp_path / "d.csv",
                         "--store", team)
    assert code == 0, err
    assert "VEIL_PASSPHRASE" not in os.environ  # read once, like the GUI's --user
    assert failed_sign_ins(team) == []


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("typed, code", [(PHRASE, 0), ("a guess", 2)])
def test_on_a_terminal_the_passphrase_is_asked_for(team, tmp_path, capsys, monkeypatch, typed, code):
    asked = []
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or typed)
    assert cli(capsys, "--user", "lee", "metrics", "--store", team)[0] == code
    assert len(asked) == 1 and "lee" in asked[0]
    assert len(failed_sign_ins(team)) == (code != 0)


def test_an_account_without_a_passphrase_asks_for_none(team, capsys, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("asked for a passphrase"))
    assert cli(capsys, "--user", "lou", "metrics", "--store", team)[0] == 0


# --------------------------------------------------------------- metrics
def test_a_moderator_sees_only_their_own_results(team, capsys):
    """Today ``veil --user ana metrics --json`` shows every moderator's accuracy, kappa and score."""
    code, out, err = cli(capsys, "--user", "ana", "metrics", "--json", "--store", team)
    assert code == 0, err
    assert [g["key"] for g in json.loads(out)["groups"]] == ["ana"]
    code, out, err = cli(capsys, "--user", "lou", "metrics", "--json", "--store", team)
    assert code == 0, err
    assert [g["key"] for g in json.loads(out)["groups"]] == ["ana", "ben"]


# ---------------------------------------------------------------- sample
def test_sampling_is_a_leads_and_the_lead_is_the_signed_in_person(team, capsys):
    with wiring.open_store(team) as store:
        plans.save_plan(store, "lou", "all", rate=1.0, seed="s", starts_at="2026-01-01")
    for argv in (["--user", "ana", "sample"], ["sample", "--lead", "ana"], ["--user", "ana", "sample", "--due"]):
        code, _, err = cli(capsys, *argv, "--store", team)
        assert code == 2 and "ana is not a lead" in err
    code, out, err = cli(capsys, "sample", "--lead", "lou", "--due", "--store", team)
    assert code == 0, err
    with wiring.open_store(team) as store:
        ran = events(store, "audit.sampled")
    assert ran and {e.actor for e in ran} == {"lou"}


# ---------------------------------------------------------------- import
def _abuse(tmp_path: Path) -> Path:
    """The issue's abuse.jsonl: a new user, a decision in their name, a role, a colleague marked down."""
    rows = [
        {"type": "decision", "item": "x-new", "moderator": "mallory", "action": "no_violation",
         "decided_at": "2026-01-19T09:00:00Z"},
        {"type": "audit", "item": "old-4", "moderator": "ben", "auditor": "ana", "blind_action": "no_violation",
         "verdict": "incorrect", "error_type": "over_enforcement", "severity": "critical",
         "audited_at": "2026-01-19T10:00:00Z"},
        {"id": "x-new", "queue": "fresh", "text": "pending words"},
    ]
    manifest = tmp_path / "abuse.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in [rows[2], *rows[:2]]))
    return manifest


def _state(path: Path):
    with wiring.open_store(path) as store:
        one = lambda sql: store.db.execute(sql).fetchall()  # noqa: E731
        return (one("SELECT name, roles FROM users ORDER BY name"), one("SELECT name FROM queues ORDER BY name"),
                one("SELECT COUNT(*) FROM decisions"), one("SELECT COUNT(*) FROM audits"),
                one("SELECT COUNT(*) FROM items"), one("SELECT COUNT(*) FROM events"))


def test_a_moderator_cannot_import_anything(team, tmp_path, capsys):
    """Today ana created mallory, closed an item as mallory, became an auditor and marked ben down."""
    manifest = _abuse(tmp_path)
    before = _state(team)
    for argv in (["--user", "ana", "import", manifest, "--create-queues"],
                 ["--user", "ana", "import", manifest, "--create-queues", "--dry-run"],
                 ["--user", "cat", "import", manifest, "--create-queues"]):
        code, _, err = cli(capsys, *argv, "--store", team)
        assert code == 2 and "not a lead" in err and "import" in err
    assert _state(team) == before
    code, out, err = cli(capsys, "--user", "lou", "import", manifest, "--create-queues", "--dry-run", "--store", team)
    assert code == 0, err  # the rows themselves are fine: only the person is refused
    assert "would create 1 user: mallory (moderator)" in out and "would add roles" in out


def test_a_lead_imports_and_is_the_actor_of_every_event(team, tmp_path, capsys):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "n1", "queue": "new", "text": "words"}) + "\n")
    with wiring.open_store(team) as store:
        last = store.db.execute("SELECT MAX(id) FROM events").fetchone()[0]
    code, _, err = cli(capsys, "--user", "lou", "import", manifest, "--create-queues", "--store", team)
    assert code == 0, err
    with wiring.open_store(team) as store:
        written = store.db.execute("SELECT DISTINCT actor FROM events WHERE id > ?", [last]).fetchall()
    assert written == [("lou",)]


def test_the_first_import_into_a_new_store_makes_the_importer_its_lead(tmp_path, capsys):
    """A store with nobody in it yet belongs to whoever fills it; nothing is left when that import fails."""
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "n1", "queue": "q", "text": "words"}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "n1", "queue": "q"}) + "\n")
    store = tmp_path / "new.db"
    code, _, err = cli(capsys, "import", manifest, "--create-queues", "--store", store)
    assert code == 2 and "say who you are" in err and not store.exists()
    assert cli(capsys, "--user", "lee", "import", bad, "--create-queues", "--store", store)[0] == 1
    assert _state(store)[0] == []
    code, out, err = cli(capsys, "--user", "lee", "import", manifest, "--create-queues", "--store", store)
    assert code == 0, err
    assert "lee is this store's first lead" in out
    assert _state(store)[0] == [("lee", "lead")]
    assert actors(store) == {"lee"}
    code, _, err = cli(capsys, "--user", "mallory", "import", manifest, "--store", store)
    assert code == 2 and "'mallory' is not a user" in err


def test_a_store_with_items_but_nobody_in_it_is_not_founded_by_an_import(tmp_path, capsys):
    """Today the first ``veil import`` into a store an older Veil filled with items makes its importer the lead."""
    store = tmp_path / "legacy.db"
    with wiring.open_store(store) as legacy:
        text_item(legacy, legacy.add_queue("spam"), external_id="old-1")
    before = _state(store)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "n1", "queue": "spam", "text": "words"}) + "\n")
    for dry in ([], ["--dry-run"]):
        code, out, err = cli(capsys, "--user", "mallory", "import", manifest, "--store", store, *dry)
        assert code == 2, out
        assert "nobody in it" in err and "whoever owns" in err and "first lead" in err
    assert _state(store) == before


@pytest.mark.parametrize("name", ["system", "anonymous", "cli"])
def test_a_name_veil_keeps_for_itself_cannot_sign_in_or_found_a_store(tmp_path, capsys, name):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "n1", "queue": "q", "text": "words"}) + "\n")
    store = tmp_path / "new.db"
    code, _, err = cli(capsys, "--user", name, "import", manifest, "--create-queues", "--store", store)
    assert code == 2 and "keeps for itself" in err and not store.exists()


def test_the_rejects_file_is_its_owners_alone(team, tmp_path, capsys):
    """Today --skip-invalid creates the rejects file with the umask (0644): rows of other people's reports."""
    import os
    import stat

    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "n1", "queue": "spam", "text": "words"}) + "\n"
                        + json.dumps({"id": "n2", "queue": "spam"}) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    old = os.umask(0o022)
    try:
        code, out, err = cli(capsys, "--user", "lou", "import", manifest, "--skip-invalid", rejects, "--store", team)
    finally:
        os.umask(old)
    assert code == 0, err
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    assert json.loads(rejects.read_text())["line"] == 2
    link = tmp_path / "link.jsonl"
    link.symlink_to(tmp_path / "elsewhere.jsonl")
    code, _, err = cli(capsys, "--user", "lou", "import", manifest, "--skip-invalid", link, "--store", team)
    assert code == 2 and "cannot write rejects" in err and not (tmp_path / "elsewhere.jsonl").exists()
