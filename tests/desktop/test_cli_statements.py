"""Issue 21 §1, §3: ``veil statements export`` and ``veil statements mapping`` on the demo workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import events

from desktop import demo as demo_workspace
from desktop import wiring
from desktop.demo import statements as demo_statements
from desktop.main import main
from review.clock import FakeClock

NOW = "2026-01-05T09:00:00.000Z"


@pytest.fixture(autouse=True)
def _store_clock(monkeypatch):
    opened = wiring.open_store
    monkeypatch.setattr(wiring, "open_store", lambda path, clock=None: opened(path, clock=FakeClock(NOW)))


@pytest.fixture
def workspace(tmp_path) -> Path:
    path = tmp_path / "demo.db"
    with wiring.open_store(path) as store:
        demo_workspace.create(store, tmp_path / "media", items=60, seed=5)
        demo_statements.install(store)
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_export_writes_batches_and_a_second_run_adds_nothing(capsys, workspace, tmp_path, monkeypatch):
    monkeypatch.setattr("audit.compliance.export.BATCH", 4)
    out = tmp_path / "out"
    out.mkdir()
    args = ("statements", "export", "--store", workspace, "--user", "lee", "--from", "2025-12-01",
            "--to", "2026-01-05", "--out", out, "--json")
    code, printed, err = cli(capsys, *args)
    assert code == 0, err
    first = json.loads(printed)
    assert first["statements"] > 4 and first["refused"] == 0 and first["already_exported"] == 0
    files = sorted(out.glob("*.json"))
    assert [str(f) for f in files] == sorted(first["files"]) and len(files) == -(-first["statements"] // 4)
    batches = [json.loads(f.read_text(encoding="utf-8"))["statements"] for f in files]
    assert all(1 <= len(b) <= 4 for b in batches) and sum(map(len, batches)) == first["statements"]
    code, printed, err = cli(capsys, *args)
    second = json.loads(printed)
    assert (second["statements"], second["already_exported"], second["files"]) == (0, first["statements"], [])
    code, printed, err = cli(capsys, *args, "--again")
    assert json.loads(printed)["statements"] == first["statements"]


def test_export_lists_refused_statements_with_the_entry_to_fix(capsys, workspace, tmp_path):
    with wiring.open_store(workspace) as store:
        from audit.compliance import mapping
        value = json.loads(json.dumps(demo_statements.DEMO_MAPPING))
        value["kinds"].pop("text")
        mapping.save(store, "lee", value)
    code, printed, err = cli(capsys, "statements", "export", "--store", workspace, "--user", "lee",
                             "--from", "2025-12-01", "--to", "2026-01-05", "--out", tmp_path)
    assert code == 0, err
    assert "refused: decision" in printed and "content_type" in printed
    assert "fix the mapping entry kinds.text" in printed


def test_export_is_a_leads_and_needs_a_folder(capsys, workspace, tmp_path):
    code, _, err = cli(capsys, "statements", "export", "--store", workspace, "--user", "ana", "--from",
                       "2025-12-01", "--to", "2026-01-05", "--out", tmp_path)
    assert code == 2 and "only a lead" in err
    (tmp_path / "a-file").write_text("")
    code, _, err = cli(capsys, "statements", "export", "--store", workspace, "--user", "lee", "--from",
                       "2025-12-01", "--to", "2026-01-05", "--out", tmp_path / "a-file")
    assert code == 2 and "is not a folder" in err
    code, _, err = cli(capsys, "statements", "export", "--store", workspace, "--user", "lee", "--from",
                       "2025-12-01", "--to", "2026-01-05", "--out", tmp_path / "missing")
    assert code == 0, err  # a missing folder is made
    assert list((tmp_path / "missing").glob("statements-*.json"))
    code, _, err = cli(capsys, "statements", "export", "--store", workspace, "--user", "lee", "--from",
                       "2026-01-05", "--to", "2025-12-01", "--out", tmp_path)
    assert code == 2 and "before it starts" in err


def test_mapping_round_trips_and_a_bad_file_changes_nothing(capsys, workspace, tmp_path):
    saved = tmp_path / "mapping.toml"
    code, _, err = cli(capsys, "statements", "mapping", "--store", workspace, "--user", "lee", "--export", saved)
    assert code == 0, err
    bad = tmp_path / "bad.toml"
    bad.write_text(saved.read_text(encoding="utf-8").replace('"SOURCE_ARTICLE_16"', '"ARTICLE_16"'), "utf-8")
    code, _, err = cli(capsys, "statements", "mapping", "--store", workspace, "--user", "lee", "--import", bad)
    assert code == 2 and "bad.toml:" in err and "sources.user report.source_type" in err
    with wiring.open_store(workspace) as store:
        before = len(events(store, "setting.changed"))
    code, printed, err = cli(capsys, "statements", "mapping", "--store", workspace, "--user", "lee", "--import", saved)
    assert code == 0 and "mapping imported" in printed
    with wiring.open_store(workspace) as store:
        assert len(events(store, "setting.changed")) == before  # the same mapping: nothing changed, nothing logged
    code, _, err = cli(capsys, "statements", "mapping", "--store", workspace, "--user", "ana", "--import", saved)
    assert code == 2 and "only a lead" in err


def test_veil_verify_names_a_statement_marked_accepted_behind_its_back(capsys, workspace, tmp_path):
    """A row marked accepted by hand would never be sent: ``veil verify`` (not only the domain check) says so."""
    import sqlite3

    code, _, _ = cli(capsys, "statements", "export", "--store", workspace, "--user", "lee",
                     "--from", "2000-01-01", "--to", "2100-01-01", "--out", tmp_path / "out")
    assert code == 0
    raw = sqlite3.connect(workspace)
    raw.execute("UPDATE dsa_statements SET accepted_at = '2026-01-05T09:00:00.000Z' WHERE id = "
                "(SELECT MIN(id) FROM dsa_statements)")
    raw.commit()
    raw.close()
    code, out, _ = cli(capsys, "verify", "--store", workspace)
    assert code == 1 and "marked accepted, but no statements.accepted event" in out
