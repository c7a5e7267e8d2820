"""Issue 21 §4 and §7 on the demo workspace: ``veil statements submit`` against a stand-in database, and
``veil metrics --transparency`` agreeing with the decisions in the store."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from desktop import demo as demo_workspace
from desktop import wiring
from desktop.demo import statements as demo_statements
from desktop.main import main
from review.clock import FakeClock

sys.path.insert(0, str(Path(__file__).parent.parent / "audit"))
from dsa_standin import TOKEN, StandIn  # noqa: E402

NOW = "2026-01-05T09:00:00.000Z"


@pytest.fixture(autouse=True)
def _store_clock(monkeypatch):
    opened = wiring.open_store
    monkeypatch.setattr(wiring, "open_store", lambda path, clock=None: opened(path, clock=FakeClock(NOW)))


@pytest.fixture(autouse=True)
def _no_pauses(monkeypatch):
    monkeypatch.setattr("audit.compliance.submit.Pacing.sleep", staticmethod(lambda seconds: None))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with wiring.open_store(path, clock=FakeClock(NOW)) as store:
        demo_workspace.create(store, path.parent / "media", items=60, seed=5)
        demo_statements.install(store)
    return path


@pytest.fixture
def workspace(demo_file, tmp_path) -> Path:
    copy = tmp_path / "demo.db"
    copy.write_bytes(demo_file.read_bytes())
    copy.chmod(0o600)
    return copy


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_submit_through_faults_accepts_each_statement_once_and_a_second_run_sends_nothing(
        capsys, workspace, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    code, _, err = cli(capsys, "statements", "export", "--store", workspace, "--user", "lee", "--from", "2000-01-01",
                       "--to", "2026-12-31", "--out", tmp_path / "out")
    assert code == 0, err
    with wiring.open_store(workspace) as store:
        exported = store.db.execute("SELECT COUNT(*) FROM dsa_statements").fetchone()[0]
    assert exported > 5
    faults = ["500", "drop", None, "lost", "429", None, "lost", "500"] * 3
    with StandIn(faults=faults) as db:
        monkeypatch.setenv("VEIL_DSA_TOKEN", TOKEN)
        code, out, err = cli(capsys, "statements", "submit", "--store", workspace, "--user", "lee", "--endpoint",
                             db.endpoint, "--batch", "3", "--json")
        assert "VEIL_DSA_TOKEN" not in os.environ  # read once and removed
        assert code == 0, err
        summary = json.loads(out)
        assert summary["accepted"] + summary["already_there"] == exported and summary["left"] == 0
        assert len(db.stored) == exported  # every statement stored once, none twice
        monkeypatch.setenv("VEIL_DSA_TOKEN", TOKEN)
        code, out, err = cli(capsys, "statements", "submit", "--store", workspace, "--user", "lee", "--endpoint",
                             db.endpoint)
        assert code == 0 and "nothing to send" in out
        assert len(db.stored) == exported
    with wiring.open_store(workspace) as store:
        assert store.db.execute("SELECT COUNT(*) FROM dsa_statements WHERE accepted_at IS NULL").fetchone()[0] == 0
        logged = " ".join(p for (p,) in store.db.execute("SELECT payload FROM events"))
    assert TOKEN not in logged


def test_submit_without_a_token_says_where_it_goes(capsys, workspace):
    code, _, err = cli(capsys, "statements", "submit", "--store", workspace, "--user", "lee", "--endpoint",
                       "http://127.0.0.1:9")
    assert code == 2 and "VEIL_DSA_TOKEN" in err


def test_transparency_counts_agree_with_the_store(capsys, workspace):
    code, out, err = cli(capsys, "metrics", "--store", workspace, "--user", "lee", "--transparency", "--json")
    assert code == 0, err
    data = json.loads(out)
    with wiring.open_store(workspace) as store:
        items = store.db.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM complaints)"
                                 ).fetchone()[0]
        live = dict(store.db.execute(
            """SELECT action, COUNT(*) FROM decisions d WHERE revokes_id IS NULL
                 AND id NOT IN (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL)
                 AND id NOT IN (SELECT decision_id FROM escalations) GROUP BY action""").fetchall())
    assert data["notices"]["total"] + data["own_initiative"]["total"] == items  # own-initiative ones are no notices
    assert data["own_initiative"]["total"] > 0
    assert data["actions_by_type"] == live
    assert sum(data["actions_by_ground"].values()) == data["restricting"] > 0
    code, out, _ = cli(capsys, "metrics", "--store", workspace, "--user", "lee", "--transparency")
    assert code == 0 and "DSA transparency counts" in out and "Actions taken" in out


def test_transparency_counts_are_a_leads(capsys, workspace):
    code, _, err = cli(capsys, "metrics", "--store", workspace, "--user", "ana", "--transparency", "--json")
    assert code == 2 and "lead" in err
