"""An export exists only if its ``export.written`` event does.

The file (and a CSV or JSON Lines file's ``FILE.anchor``) is written under a temporary name, the event is
appended, and only then is the file renamed into place; when the event cannot be written — a read-only store,
another program holding the write lock — no file is left (an older one of that name stays as it was), and the
command line says so in one line with exit 1, the dialog in its status line.
"""

from __future__ import annotations

import contextlib

import pytest
from builders import events, store_arg

from audit import exports
from desktop import wiring
from desktop.main import main
from review.errors import StoreError
from review.store import connection, server
from tests.audit.test_exports import _audited, data, team  # noqa: F401

OLD = "an older export of the same name\n"


def _read_only(store):
    """The store's connection refuses writes as a read-only one does (SQLite's "attempt to write a readonly
    database"; a server's "cannot execute … in a read-only transaction"), and still reads."""
    if store.path is None:
        store.db.execute("SET default_transaction_read_only = on")
    else:
        store.db.execute("PRAGMA query_only = ON")


def _export_events(store):
    return [e for e in events(store) if e.kind == "export.written"]


def _left(tmp_path):
    """Every file in *tmp_path* but the store's own."""
    return sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("veil.db"))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_an_export_whose_event_cannot_be_written_leaves_no_file(data, tmp_path, fmt):  # noqa: F811
    out = tmp_path / f"d.{fmt}"
    out.write_text(OLD)
    _read_only(data)
    with pytest.raises(StoreError):
        exports.export(data, "lindqvist", "decisions", fmt, out)
    assert out.read_text() == OLD  # the older file, untouched
    assert _left(tmp_path) == [out.name]  # no new file, no anchor, nothing partial
    assert _export_events(data) == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_and_its_anchor_appear_together_with_their_event(data, tmp_path, fmt):  # noqa: F811
    out = tmp_path / f"d.{fmt}"
    result = exports.export(data, "lindqvist", "decisions", fmt, out)
    assert _left(tmp_path) == [out.name, f"{out.name}.anchor"]
    [event] = _export_events(data)
    assert event.payload["head_events"] == result.head.events and event.payload["file"] == out.name


@pytest.fixture
def read_only_cli(monkeypatch):
    """``veil export`` opening a store that refuses writes."""
    real = wiring.open_store

    def opened(*args, **kwargs):
        store = real(*args, **kwargs)
        _read_only(store)
        return store

    monkeypatch.setattr(wiring, "open_store", opened)


@pytest.fixture
def locked_cli(data, monkeypatch):  # noqa: F811
    """Another program holds the store's write lock past ``veil export``'s (shortened) busy timeout."""
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(server, "BUSY_TIMEOUT", "100ms")
    with contextlib.closing(data.second_connection()) as other, other.transaction():  # its write lock, held
        yield


@pytest.mark.parametrize("cause", ["read_only_cli", "locked_cli"])
@pytest.mark.parametrize("what, suffix", [("decisions", "csv"), ("audits", "jsonl"), ("metrics", "xlsx")])
def test_cli_says_cleanly_that_nothing_was_exported_when_the_event_fails(data, tmp_path, capsys, request,  # noqa: F811
                                                                          cause, what, suffix):
    request.getfixturevalue(cause)
    out = tmp_path / f"x.{suffix}"
    code = main(["export", what, "--out", str(out), "--store", store_arg(data), "--user", "lindqvist"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err and f"{out} was not written" in err
    assert _left(tmp_path) == []
    assert _export_events(data) == []


def test_a_report_whose_event_cannot_be_written_leaves_no_pdf(data, qapp, tmp_path):  # noqa: F811
    from ui.reports import pdf as report_pdf

    out = tmp_path / "week.pdf"
    _read_only(data)
    with pytest.raises(StoreError):
        report_pdf.export_report(data, "lindqvist", out, since="2026-01-05", until="2026-01-11")
    assert _left(tmp_path) == [] and _export_events(data) == []


@pytest.mark.parametrize("what, fmt", [("audits", "csv"), ("report", "pdf")])
def test_the_dialog_says_nothing_was_exported_when_the_event_fails(data, qtbot, tmp_path, what, fmt):  # noqa: F811
    from ui.operations import Operations
    from ui.reports.export_dialog import ExportDialog

    runner = Operations(data)
    dialog = ExportDialog(data.user("lindqvist"), runner, now=data.clock.now, folder=tmp_path)
    qtbot.addWidget(dialog)
    try:
        dialog.what.setCurrentIndex(dialog.what.findData(what))
        dialog.format.setCurrentIndex(dialog.format.findData(fmt))
        dialog.period.setCurrentText("All time")
        dialog.path.setText(str(tmp_path / f"out.{fmt}"))
        _read_only(data)  # the writer refuses the event; the reader still reads the rows
        dialog.export_button.click()
        qtbot.waitUntil(lambda: not dialog.running(), timeout=10_000)
        assert dialog.status.text().startswith("Not exported"), dialog.status.text()
        assert _left(tmp_path) == [] and _export_events(data) == []
    finally:
        dialog.reject()
        runner.close()
