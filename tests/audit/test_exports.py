"""Exports: rows read back in every format, filters, pseudonyms, roles, atomic writes, the CLI and the dialog.

Every test builds its own store (the ``store`` fixture) through the real
domain functions (decisions, sampling, blind audits, disputes), exports it,
and reads the file back with the standard readers: ``csv``, ``json`` and
openpyxl (the reference reader for the XLSX files Veil writes itself).
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import threading
from pathlib import Path

import openpyxl
import pytest
from builders import audited, decided_item, events, people, store_arg

from audit import disputes, exports
from audit.exports import pseudonyms, tables
from audit.metrics import assembly as report
from desktop.main import main
from review import decisions
from review.store import events as event_log

PEOPLE = {  # distinctive names, so "no real name in the file" is a plain byte search
    "alvarez": (["moderator"], "Rosa Alvarez"),
    "okonkwo": (["moderator"], "Emeka Okonkwo"),
    "fairbank": (["auditor"], "Tess Fairbank"),
    "lindqvist": (["lead"], "Maja Lindqvist"),
}
SECRET_MEDIA = "/media/secret-photo.jpg"  # no export may carry a media path


@pytest.fixture
def team(store):
    people(store, **PEOPLE)
    store.add_queue("spam")
    store.add_queue("hate")
    return store


def _audited(store, *, moderator="alvarez", queue="spam", at="2026-01-07T10:00:00Z", correct=True,
             note="", comment="", labels=("spam", "scam")):
    """A removal audited by fairbank for lindqvist; its item has a media path no export may carry."""
    decision = decided_item(store, queue, moderator, action="remove", labels=labels, decided_at=at, note=note,
                            handle_ms=4200, media_path=SECRET_MEDIA)
    audited(store, decision, lead="lindqvist", auditor="fairbank", blind_action="remove" if correct else "no_violation",
            blind_labels=labels, verdict="correct" if correct else "incorrect",
            error=None if correct else ("over_enforcement", "major"), comment=comment)
    return decision


@pytest.fixture
def data(team):
    """Five audited decisions over two weeks, two queues, two moderators; one disputed."""
    store = team
    _audited(store, at="2026-01-05T09:00:00Z", note="checked with okonkwo first")
    _audited(store, at="2026-01-06T12:30:00.250Z", correct=False, comment="Rosa Alvarez over-removed this")
    _audited(store, moderator="okonkwo", queue="hate", at="2026-01-08T23:59:59.999Z")
    _audited(store, moderator="okonkwo", queue="hate", at="2026-01-13T08:00:00Z", correct=False)
    _audited(store, at="2026-01-14T10:00:00Z", labels=())
    audit_id = store.db.execute("SELECT id FROM audits ORDER BY id DESC LIMIT 1 OFFSET 1").fetchone()[0]
    disputes.open_dispute(store, "okonkwo", audit_id, "the post was a scam")
    return store


def _csv_parts(path):
    """(the About block as {label: value}, the headings, the rows) of a CSV export."""
    with open(path, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    blank = lines.index([])
    return dict(lines[:blank]), lines[blank + 1], lines[blank + 2:]


def _csv(path):
    """The rows of a CSV export keyed by machine name (the file's headings are words: Column.heading)."""
    _, headings, rows = _csv_parts(path)
    names = {c.heading: c.name for columns in tables.COLUMNS.values() for c in columns}
    return [dict(zip([names[h] for h in headings], row)) for row in rows]


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------ every format
def test_decisions_csv_has_a_stable_header_iso_times_and_typed_text(data, tmp_path):
    out = tmp_path / "decisions.csv"
    result = exports.export(data, "lindqvist", "decisions", "csv", out)
    assert result.rows == 5
    _, header, _ = _csv_parts(out)
    assert header == [c.heading for c in tables.DECISION_COLUMNS]
    rows = _csv(out)
    assert [r["decided_at"] for r in rows] == ["2026-01-05T09:00:00.000Z", "2026-01-06T12:30:00.250Z",
                                               "2026-01-08T23:59:59.999Z", "2026-01-13T08:00:00.000Z",
                                               "2026-01-14T10:00:00.000Z"]
    first = rows[0]
    assert first["moderator"] == "alvarez" and first["queue"] == "spam" and first["external_id"] == "i0"
    assert first["labels"] == "spam;scam" and rows[4]["labels"] == ""
    assert first["current"] == "true" and first["revokes_decision_id"] == ""
    assert first["handle_ms"] == "4.2" and first["shown_at"] == "2026-01-05T08:59:55.800Z"  # seconds for people
    assert first["note"] == "checked with okonkwo first"


def test_undo_rows_are_history_and_mark_the_revoked_decision(team, tmp_path):
    decision = decided_item(team, "spam", "alvarez", action="remove", decided_at="2026-01-05T09:00:00Z",
                            media_path=SECRET_MEDIA)
    decisions.undo(team, team.user("alvarez"), decision, window_s=1e9)
    exports.export(team, "lindqvist", "decisions", "jsonl", tmp_path / "d.jsonl")
    original, revocation = _jsonl(tmp_path / "d.jsonl")
    assert original["current"] is False and original["revoked_by_decision_id"] == revocation["decision_id"]
    assert revocation["revokes_decision_id"] == decision and revocation["current"] is False


def test_exports_carry_no_media_paths_and_no_item_text(data, tmp_path):
    for kind in exports.KINDS:
        for fmt in exports.FORMATS:
            out = tmp_path / f"{kind}.{fmt}"
            exports.export(data, "lindqvist", kind, fmt, out)
            assert b"/media/" not in out.read_bytes()
            if fmt == "xlsx":
                book = openpyxl.load_workbook(out)
                cells = [str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row]
                assert not any("secret-" in c for c in cells)


def test_audits_jsonl_has_typed_values_and_final_verdicts(data, tmp_path):
    out = tmp_path / "audits.jsonl"
    exports.export(data, "lindqvist", "audits", "jsonl", out)
    rows = _jsonl(out)
    assert len(rows) == 5
    assert list(rows[0]) == [c.name for c in tables.AUDIT_COLUMNS]
    wrong = rows[1]
    assert wrong["labels"] == ["spam", "scam"] and wrong["blind_action"] == "no_violation"
    assert wrong["verdict"] == "incorrect" and wrong["error_type"] == "over_enforcement"
    assert wrong["correct"] is False and isinstance(wrong["score"], float)
    assert rows[0]["correct"] is True and rows[0]["error_type"] is None
    assert [r["dispute"] for r in rows] == [None, None, None, "open", None]
    assert rows[3]["final_verdict"] == "incorrect"


def test_xlsx_is_typed_with_frozen_bold_header_widths_and_autofilter(data, tmp_path):
    out = tmp_path / "audits.xlsx"
    exports.export(data, "lindqvist", "audits", "xlsx", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["About", "Audits"]
    sheet = book["Audits"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(tables.AUDIT_COLUMNS))}6"
    header = [c.value for c in sheet[1]]
    assert header[4] == "Decided at (UTC)" and header[0] == "Audit"
    assert all(c.font.b for c in sheet[1])
    assert sheet.column_dimensions["A"].width == tables.AUDIT_COLUMNS[0].width
    row = [c for c in sheet[3]]
    by_name = dict(zip([c.name for c in tables.AUDIT_COLUMNS], row))
    decided = by_name["decided_at"]
    assert isinstance(decided.value, _dt.datetime) and decided.is_date
    assert abs(decided.value - _dt.datetime(2026, 1, 6, 12, 30, 0, 250_000)) < _dt.timedelta(milliseconds=1)
    assert isinstance(by_name["audit_id"].value, int)
    assert isinstance(by_name["score"].value, float)
    assert by_name["correct"].value is False
    assert by_name["labels"].value == "spam; scam"
    assert by_name["comment"].value == "Rosa Alvarez over-removed this"


def test_xlsx_text_is_never_a_formula_and_control_characters_do_not_break_it(team, tmp_path):
    _audited(team, note="=HYPERLINK(\"http://x\")\x07 bell")
    out = tmp_path / "d.xlsx"
    exports.export(team, "lindqvist", "decisions", "xlsx", out)
    cell = openpyxl.load_workbook(out)["Decisions"]["N2"]
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\") bell"


FORMULAS = ["=HYPERLINK(\"http://x\",\"click\")", "+SUM(1,2)", "-2+3+cmd|' /C calc'!A0", "@SUM(1)",
            "\tTAB=1", "\rCR=1"]


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_text(team, tmp_path):
    """OWASP CSV injection: text starting with = + - @ tab or CR gets a leading single quote, in every column."""
    team.add_queue("=queue()")
    for i, formula in enumerate(FORMULAS):
        decided_item(team, "=queue()", "alvarez", action="remove", labels=["spam"], note=formula,
                     decided_at=f"2026-01-05T09:0{i}:00Z", external_id=f"@id-{i}", handle_ms=1500)
    out = tmp_path / "d.csv"
    exports.export(team, "lindqvist", "decisions", "csv", out)
    rows = _csv(out)
    assert [r["note"] for r in rows] == ["'" + f for f in FORMULAS]
    assert {r["queue"] for r in rows} == {"'=queue()"}
    assert [r["external_id"] for r in rows] == [f"'@id-{i}" for i in range(len(FORMULAS))]
    assert {r["handle_ms"] for r in rows} == {"1.5"}  # numbers stay numbers (seconds, for people)
    exports.export(team, "lindqvist", "decisions", "jsonl", tmp_path / "d.jsonl")  # not a spreadsheet format
    assert [r["note"] for r in _jsonl(tmp_path / "d.jsonl")] == FORMULAS


def test_only_text_is_neutralised_and_numbers_stay_numbers():
    from audit.exports.writers import neutralised

    assert neutralised(-3) == -3 and neutralised(-0.5) == -0.5 and neutralised(None) is None
    assert neutralised("-3") == "'-3" and neutralised("a=b") == "a=b" and neutralised("") == ""


def test_xlsx_writes_formula_text_as_strings_never_formulas(team, tmp_path):
    team.add_queue("=queue()")
    for i, formula in enumerate(FORMULAS[:4]):
        decided_item(team, "=queue()", "alvarez", action="remove", labels=["spam"], note=formula,
                     decided_at=f"2026-01-05T09:0{i}:00Z", handle_ms=1500)
    out = tmp_path / "d.xlsx"
    exports.export(team, "lindqvist", "decisions", "xlsx", out)
    sheet = openpyxl.load_workbook(out)["Decisions"]
    header = [c.value for c in sheet[1]]
    notes = [row[header.index("Note")] for row in sheet.iter_rows(min_row=2)]
    queues = [row[header.index("Queue")] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in notes] == FORMULAS[:4] and {c.data_type for c in notes + queues} == {"s"}
    handle = header.index("Handle time (s)")
    assert [c.data_type for c in (row[handle] for row in sheet.iter_rows(min_row=2))] == ["n"] * 4


def test_metrics_match_the_report_in_every_format(data, tmp_path):
    built = {by: report.build(data, "lindqvist", by=by) for by in report.BY}
    exports.export(data, "lindqvist", "metrics", "csv", tmp_path / "m.csv")
    rows = _csv(tmp_path / "m.csv")
    assert [(r["by"], r["key"]) for r in rows] == (
        [("all", "all")] + [(by, g["key"]) for by in report.BY for g in built[by]["groups"]]
        + [("week", w["week"]) for w in built["moderator"]["overall"]["trend"]])
    overall = built["moderator"]["overall"]
    assert int(rows[0]["n"]) == overall["n"] == 5
    assert float(rows[0]["accuracy"]) == pytest.approx(100 * overall["accuracy"], abs=0.05)  # per cent in CSV
    assert float(rows[0]["ci95_low"]) == pytest.approx(100 * overall["accuracy_ci95"][0], abs=0.05)
    assert int(rows[0]["errors_over_enforcement"]) == 2
    exports.export(data, "lindqvist", "metrics", "xlsx", tmp_path / "m.xlsx")
    book = openpyxl.load_workbook(tmp_path / "m.xlsx")
    assert book.sheetnames[:4] == ["About", "Overall", "By moderator", "By queue"]
    assert book.sheetnames == ["About", "Overall", *(f"By {by}" for by in report.BY), "Weekly"]
    accuracy = book["By moderator"]["E2"]
    assert accuracy.value == pytest.approx(built["moderator"]["groups"][0]["accuracy"])
    assert accuracy.number_format == "0.0%"
    assert [c.value for c in book["Weekly"]["B"][1:]] == ["2026-W02", "2026-W03"]


# ----------------------------------------------------------------- filters
@pytest.mark.parametrize("kind", ["decisions", "audits"])
def test_filters_select_by_decision_time_queue_and_moderator(data, tmp_path, kind):
    def ids(**filters):
        out = tmp_path / f"{kind}.jsonl"
        exports.export(data, "lindqvist", kind, "jsonl", out, filters=exports.Filters(**filters))
        return [r["decided_at"][:10] for r in _jsonl(out)]

    assert ids(since="2026-01-06", until="2026-01-08") == ["2026-01-06", "2026-01-08"]
    assert ids(until="2026-01-08T23:59:59.998Z") == ["2026-01-05", "2026-01-06"]
    assert ids(queue="hate") == ["2026-01-08", "2026-01-13"]
    assert ids(moderator="alvarez", since="2026-01-06") == ["2026-01-06", "2026-01-14"]
    assert ids(queue="hate", moderator="alvarez") == []


def test_bad_filters_are_refused_before_anything_is_written(data, tmp_path):
    out = tmp_path / "x.csv"
    for filters, words in [(exports.Filters(queue="nope"), "no queue"),
                           (exports.Filters(moderator="nobody"), "no user"),
                           (exports.Filters(since="2026-02-01", until="2026-01-01"), "after"),
                           (exports.Filters(since="yesterday"), "not a date")]:
        with pytest.raises(ValueError, match=words):
            exports.export(data, "lindqvist", "decisions", "csv", out, filters=filters)
    with pytest.raises(ValueError, match="whole team"):
        exports.export(data, "lindqvist", "metrics", "csv", out, filters=exports.Filters(queue="spam"))
    assert not out.exists()


# ---------------------------------------------------------- pseudonymising
def _real_names(store):
    return [n for u in store.users() for n in (u.name, u.display_name, *u.display_name.split())]


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_pseudonymised_files_contain_no_real_name_anywhere(data, tmp_path, fmt):
    for kind in exports.KINDS:
        out = tmp_path / f"{kind}.{fmt}"
        exports.export(data, "lindqvist", kind, fmt, out, pseudonymise=True)
        raw = out.read_bytes()
        if fmt == "xlsx":
            import zipfile
            with zipfile.ZipFile(out) as book:
                raw = b"".join(book.read(name) for name in book.namelist())
        for name in _real_names(data):
            assert name.casefold().encode() not in raw.lower(), (kind, name)


def test_pseudonyms_are_stable_across_runs_and_connections_and_differ_between_stores(data, tmp_path, team_factory):
    def moderators(store, out):
        exports.export(store, "lindqvist", "audits", "jsonl", out, pseudonymise=True)
        return [(r["moderator"], r["auditor"]) for r in _jsonl(out)]

    first = moderators(data, tmp_path / "a.jsonl")
    other = data.second_connection()
    try:
        again = moderators(other, tmp_path / "b.jsonl")
    finally:
        other.close()
    assert first == again
    assert first[0][0].startswith("mod-") and first[0][1].startswith("aud-") and len(first[0][0]) == 10
    assert len({m for m, _ in first}) == 2  # two moderators, two pseudonyms
    names = pseudonyms.for_store(data, "lindqvist")
    assert first[0][0] == names.name("alvarez", "mod") and first[0][1] == names.name("fairbank", "aud")
    elsewhere = team_factory("other.db")
    _audited(elsewhere)
    assert moderators(elsewhere, tmp_path / "c.jsonl")[0][0] != first[0][0]


def test_names_in_free_text_are_replaced_as_whole_words(data, tmp_path):
    out = tmp_path / "a.jsonl"
    exports.export(data, "lindqvist", "audits", "jsonl", out, pseudonymise=True)
    names = pseudonyms.for_store(data, "lindqvist")
    assert _jsonl(out)[1]["comment"] == f"{names.name('alvarez')} over-removed this"
    assert names.scrub("Okonkwo's call, not okonkwoish") == f"{names.name('okonkwo')}'s call, not okonkwoish"


def test_the_secret_is_created_once_and_never_written_to_the_event_log(team):
    pseudonyms.for_store(team, "lindqvist")
    pseudonyms.for_store(team, "lindqvist")
    secret = team.setting(pseudonyms.SECRET_SETTING)
    assert len(secret) == 64
    created = team.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'exports.pseudonym_secret_created'").fetchone()
    assert created[0] == 1
    log = " ".join(r[0] for r in team.db.execute("SELECT payload FROM events"))
    assert secret not in log


# ------------------------------------------------------------ roles, events
@pytest.mark.parametrize("who", ["alvarez", "fairbank", "nobody"])
def test_only_a_lead_may_export(data, tmp_path, who):
    with pytest.raises(PermissionError):
        exports.export(data, who, "decisions", "csv", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_an_export_is_logged_with_its_filters_size_and_anchor(data, tmp_path):
    pseudonyms.for_store(data, "lindqvist")  # the secret's events come before the export
    last_id, last_hash = data.db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    result = exports.export(data, "lindqvist", "audits", "csv", tmp_path / "a.csv",
                            filters=exports.Filters(queue="spam"), pseudonymise=True)
    actor, payload = data.db.execute(
        "SELECT actor, payload FROM events WHERE kind = 'export.written' ORDER BY id DESC").fetchone()
    assert actor == "lindqvist"
    assert json.loads(payload) == {"format": "csv", "file": "a.csv", "filters": {"queue": "spam"},
                                   "pseudonymised": True, "rows": 3, "head_events": last_id, "head_hash": last_hash}
    assert (result.head.events, result.head.hash) == (last_id, last_hash)
    assert _csv(tmp_path / "a.csv")[0].keys() == {c.name for c in tables.AUDIT_COLUMNS}  # the columns stay as they were


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_the_anchor_is_read_in_the_same_snapshot_as_the_rows(data, tmp_path, monkeypatch, fmt):
    """A decision written by another connection while the export reads is in neither the rows nor the anchor."""
    real = tables.SOURCES["decisions"]
    other = data.second_connection()

    def meanwhile(*args, **kwargs):
        decided_item(other, "spam", "alvarez", decided_at="2026-01-09T10:00:00Z")
        return real(*args, **kwargs)

    monkeypatch.setitem(tables.SOURCES, "decisions", meanwhile)
    try:
        before = data.db.execute("SELECT MAX(id) FROM events").fetchone()[0]
        result = exports.export(data, "lindqvist", "decisions", fmt, tmp_path / f"d.{fmt}")
    finally:
        other.close()
    assert result.head.events == before and result.rows == 5
    payload = json.loads(data.db.execute(
        "SELECT payload FROM events WHERE kind = 'export.written' ORDER BY id DESC").fetchone()[0])
    assert payload["head_events"] == before


def test_an_xlsx_export_carries_its_anchor_in_the_document_properties(data, tmp_path):
    result = exports.export(data, "lindqvist", "audits", "xlsx", tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    props = {p.name: p.value for p in book.custom_doc_props.props}
    assert props == {"veil_head_events": result.head.events, "veil_head_hash": result.head.hash}
    command = f"veil verify --store YOUR-STORE --expect {result.head.events}:{result.head.hash}"
    assert command in book.properties.description
    assert book.sheetnames == ["About", "Audits"]  # the About sheet says it in words too
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Check with"] == command


def test_one_person_in_two_roles_is_not_linkable_in_one_export(data, tmp_path):
    people(data, varga=(["moderator", "auditor"], "Ilona Varga"))
    own = decided_item(data, "spam", "varga", action="remove", labels=["spam"], decided_at="2026-01-09T10:00:00Z")
    audited(data, own, lead="lindqvist", auditor="fairbank", blind_action="remove", blind_labels=["spam"])
    theirs = decided_item(data, "spam", "alvarez", action="remove", labels=["spam"], decided_at="2026-01-09T11:00:00Z")
    audited(data, theirs, lead="lindqvist", auditor="varga", blind_action="remove", blind_labels=["spam"])

    def export(out):
        exports.export(data, "lindqvist", "audits", "jsonl", out, pseudonymise=True)
        rows = _jsonl(out)
        return rows[-2]["moderator"], rows[-1]["auditor"]

    as_moderator, as_auditor = export(tmp_path / "a.jsonl")
    assert as_moderator.startswith("mod-") and as_auditor.startswith("aud-")
    assert as_moderator[4:] != as_auditor[4:]  # today "mod-9b5eb4" and "aud-9b5eb4": the same person
    assert export(tmp_path / "b.jsonl") == (as_moderator, as_auditor)  # stable across exports
    names = pseudonyms.for_store(data, "lindqvist")
    hexes = {names.name("varga", role).split("-", 1)[1] for role in ("mod", "aud", "lead", "user")}
    assert len(hexes) == 4


def test_building_any_export_needs_a_lead(data):
    for source in tables.SOURCES.values():
        with pytest.raises(PermissionError):
            source(data, "alvarez", exports.Filters())


# ---------------------------------------------------------- atomic writing
@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_a_cancelled_export_leaves_no_file_and_keeps_the_old_one(data, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    out = tmp_path / f"old.{fmt}"
    out.write_bytes(b"yesterday's export")
    seen = []
    with pytest.raises(exports.ExportCancelled):
        exports.export(data, "lindqvist", "decisions", fmt, out, progress=lambda d, t: seen.append(d),
                       cancelled=lambda: len(seen) >= 3)
    assert len(seen) == 3
    assert out.read_bytes() == b"yesterday's export"
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    assert data.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'export.written'").fetchone()[0] == 0


def test_progress_counts_up_to_the_total(data, tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []
    exports.export(data, "lindqvist", "audits", "csv", tmp_path / "a.csv", progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 5) and seen[-1] == (5, 5) and (2, 5) in seen


# --------------------------------------------------------------------- CLI
@pytest.fixture
def team_factory(tmp_path, clock):
    from desktop import wiring

    opened = []

    def make(name):
        store = wiring.open_store(tmp_path / name, clock=clock)
        opened.append(store)
        people(store, **PEOPLE)
        store.add_queue("spam")
        return store

    yield make
    for store in opened:
        store.close()


def _cli(store, *args):
    return main(["export", *args, "--store", store_arg(store)])


def test_cli_writes_each_format_and_infers_it_from_the_suffix(data, tmp_path, capsys):
    assert _cli(data, "audits", "--out", str(tmp_path / "a.xlsx"), "--user", "lindqvist") == 0
    assert openpyxl.load_workbook(tmp_path / "a.xlsx")["Audits"].max_row == 6
    assert main(["--user", "lindqvist", "export", "decisions", "--format", "jsonl", "--out", str(tmp_path / "d.txt"),
                 "--store", store_arg(data), "--queue", "hate"]) == 0
    assert len(_jsonl(tmp_path / "d.txt")) == 2
    assert "exported decisions (2 rows)" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    (["report", "--format", "csv"], "report is a PDF only"),
    (["audits", "--format", "pdf"], "only the report is a PDF"),
    (["metrics", "--queue", "spam"], "whole team"),
    (["audits", "--queue", "nope"], "no queue"),
    (["audits", "--since", "soon"], "not a date"),
    (["audits", "--user", "alvarez"], "not a lead"),
    (["audits", "--user", "ghost"], "not a user"),
])
def test_cli_refuses_with_exit_2_and_a_message(data, tmp_path, capsys, args, words):
    extra = [] if "--user" in args else ["--user", "lindqvist"]
    assert _cli(data, *args, *extra, "--out", str(tmp_path / "a.csv")) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "a.csv").exists()


def test_cli_asks_for_a_format_the_suffix_does_not_tell(data, tmp_path, capsys):
    assert _cli(data, "audits", "--out", str(tmp_path / "a.data"), "--user", "lindqvist") == 2
    assert "say --format" in capsys.readouterr().err


def test_cli_uses_veil_user_and_never_guesses_the_lead(data, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("VEIL_USER", raising=False)
    assert _cli(data, "decisions", "--out", str(tmp_path / "a.csv")) == 2  # lindqvist is the only lead: not enough
    assert "say who you are" in capsys.readouterr().err and not (tmp_path / "a.csv").exists()
    data.add_user("second", ["lead"])
    assert _cli(data, "decisions", "--out", str(tmp_path / "b.csv")) == 2
    assert "say who you are" in capsys.readouterr().err
    monkeypatch.setenv("VEIL_USER", "second")
    assert _cli(data, "decisions", "--out", str(tmp_path / "b.csv")) == 0
    monkeypatch.setenv("VEIL_USER", "alvarez")
    assert _cli(data, "decisions", "--out", str(tmp_path / "c.csv")) == 2
    assert not (tmp_path / "c.csv").exists()


def test_cli_refuses_a_missing_folder(data, tmp_path, capsys):
    assert _cli(data, "decisions", "--out", str(tmp_path / "no" / "a.csv"), "--user", "lindqvist") == 2
    assert "does not exist" in capsys.readouterr().err


# ------------------------------------------------------------------ dialog
@pytest.fixture
def ops(data):
    """The session's one runner, as the desktop wiring gives the dialog."""
    from ui.operations import Operations

    runner = Operations(data)
    yield runner
    runner.close()


@pytest.fixture
def dialog(data, ops, qtbot, tmp_path):
    from ui.reports.export_dialog import ExportDialog

    widget = ExportDialog(data.user("lindqvist"), ops, now=data.clock.now, folder=tmp_path)
    qtbot.addWidget(widget)
    yield widget
    widget.reject()


def _choose(dialog, what, fmt=None):
    dialog.what.setCurrentIndex(dialog.what.findData(what))
    if fmt:
        dialog.format.setCurrentIndex(dialog.format.findData(fmt))


def test_dialog_offers_pdf_for_the_report_only_and_follows_the_suffix(dialog, tmp_path):
    _choose(dialog, "decisions", "xlsx")
    assert dialog.path.text().endswith(".xlsx")
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == ["xlsx", "csv", "jsonl"]
    _choose(dialog, "report")
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == ["pdf"]
    assert dialog.path.text().endswith(".pdf") and "veil-report-" in dialog.path.text()
    assert not dialog.queue.isEnabled() and not dialog.moderator.isEnabled()


def test_dialog_period_presets_are_utc_days_from_the_store_clock():
    from ui.reports.export_dialog import period_dates

    today = _dt.date(2026, 1, 15)  # a Thursday
    assert period_dates("Last 7 days", today) == (_dt.date(2026, 1, 9), today)
    assert period_dates("Last week", today) == (_dt.date(2026, 1, 5), _dt.date(2026, 1, 11))
    assert period_dates("Last month", today) == (_dt.date(2025, 12, 1), _dt.date(2025, 12, 31))
    assert period_dates("All time", today) == (None, None)


def test_dialog_exports_in_the_background_with_filters(data, dialog, qtbot, tmp_path):
    _choose(dialog, "audits", "csv")
    dialog.period.setCurrentText("All time")
    qtbot.waitUntil(lambda: dialog.queue.findData("hate") >= 0, timeout=10_000)  # the queues load in the background
    dialog.queue.setCurrentIndex(dialog.queue.findData("hate"))
    dialog.path.setText(str(tmp_path / "hate.csv"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=10_000)
    assert "Exported 2 rows" in dialog.status.text()
    assert [r["queue"] for r in _csv(tmp_path / "hate.csv")] == ["hate", "hate"]
    head = dialog.result_.head
    assert f"veil verify --store YOUR-STORE --expect {head.events}:{head.hash}" in dialog.status.text()  # to keep
    assert (tmp_path / "hate.csv.anchor").read_text().splitlines()[0] == f"{head.events}:{head.hash}"  # and beside it
    payload = json.loads(data.db.execute(
        "SELECT payload FROM events WHERE kind = 'export.written' ORDER BY id DESC").fetchone()[0])
    assert (payload["head_events"], payload["head_hash"]) == (head.events, head.hash)


def test_dialog_export_writes_only_through_the_writer(data, qtbot, tmp_path, monkeypatch):
    """The file is read on a reader connection; the secret and the export's event go through the writer."""
    from ui.operations import Operations
    from ui.reports.export_dialog import ExportDialog

    opened = data.second_connection

    def read_only():
        reader = opened()

        def refuse():
            raise AssertionError("a reader connection opened a write transaction")

        reader.transaction = refuse
        return reader

    monkeypatch.setattr(data, "second_connection", read_only)
    runner = Operations(data)
    dialog = ExportDialog(data.user("lindqvist"), runner, now=data.clock.now, folder=tmp_path)
    qtbot.addWidget(dialog)
    _choose(dialog, "audits", "csv")
    dialog.period.setCurrentText("All time")
    dialog.pseudonymise.setChecked(True)
    dialog.path.setText(str(tmp_path / "pseudonymised.csv"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=10_000)
    assert dialog.status.text().startswith("Exported"), dialog.status.text()
    assert [e.kind for e in events(data) if e.kind.startswith(("export", "setting"))] == [
        "setting.changed", "exports.pseudonym_secret_created", "export.written"]
    dialog.reject()
    runner.close()


def test_dialog_cancel_leaves_no_partial_file(dialog, qtbot, tmp_path, monkeypatch):
    gate = threading.Event()
    real = exports.export

    def held(*args, progress=None, **kwargs):
        def report(done, total):
            progress(done, total)
            if done:
                gate.wait(10)  # hold the worker mid-file until the test has pressed Cancel
        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(exports, "export", held)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    _choose(dialog, "decisions", "xlsx")
    dialog.period.setCurrentText("All time")
    dialog.path.setText(str(tmp_path / "big.xlsx"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=10_000)
    assert dialog.close_button.text() == "Cancel"
    dialog.close_button.click()
    gate.set()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=10_000)
    assert dialog.status.text() == "Cancelled: nothing was written."
    assert not (tmp_path / "big.xlsx").exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_dialog_tells_a_non_lead_why_nothing_was_written(data, ops, qtbot, tmp_path):
    from ui.reports.export_dialog import ExportDialog

    widget = ExportDialog(data.user("alvarez"), ops, now=data.clock.now, folder=tmp_path)
    qtbot.addWidget(widget)
    widget.export_button.click()
    qtbot.waitUntil(lambda: not widget.running(), timeout=10_000)
    assert "not a lead" in widget.status.text()
    assert not list(tmp_path.glob("veil-decisions-*"))


# ------------------------------------------------------------ anchor files
def _mode(path):
    import stat
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_csv_or_jsonl_export_carries_its_anchor_in_a_file_beside_it(data, tmp_path, capsys, fmt):
    """Today only the event (inside the store being proved) and the CLI's stdout say what the rows were read at."""
    out = tmp_path / f"d.{fmt}"
    result = exports.export(data, "lindqvist", "decisions", fmt, out)
    anchor = tmp_path / f"d.{fmt}.anchor"
    first, comment = anchor.read_text(encoding="utf-8").splitlines()
    assert first == f"{result.head.events}:{result.head.hash}"
    assert comment.startswith("#") and f"veil verify --store YOUR-STORE --expect {first}" in comment
    assert _mode(anchor) == 0o600 and _mode(out) == 0o600
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    decided_item(data, "spam", "alvarez", decided_at="2026-01-20T10:00:00Z")
    assert main(["verify", "--store", store_arg(data), "--expect", first]) == 0  # what a lead keeps, verify takes
    capsys.readouterr()


def test_an_xlsx_export_keeps_its_anchor_inside_and_writes_no_anchor_file(data, tmp_path):
    exports.export(data, "lindqvist", "decisions", "xlsx", tmp_path / "d.xlsx")
    assert (tmp_path / "d.xlsx").exists() and not list(tmp_path.glob("*.anchor"))


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_failed_export_writes_no_anchor_and_keeps_the_old_pair(data, tmp_path, monkeypatch, fmt):
    out = tmp_path / f"d.{fmt}"
    exports.export(data, "lindqvist", "decisions", fmt, out)
    old = out.read_bytes(), (tmp_path / f"d.{fmt}.anchor").read_bytes()
    decided_item(data, "spam", "alvarez", decided_at="2026-01-20T10:00:00Z")  # a new head: a new anchor would differ
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    with pytest.raises(exports.ExportCancelled):
        exports.export(data, "lindqvist", "decisions", fmt, out, cancelled=lambda: True)
    assert (out.read_bytes(), (tmp_path / f"d.{fmt}.anchor").read_bytes()) == old
    fresh = tmp_path / f"new.{fmt}"

    def broken(tables, path, tick, head):
        path.write_text("half")
        raise OSError("disk full")

    monkeypatch.setitem(exports.writers.WRITERS, fmt, broken)
    with pytest.raises(OSError):
        exports.export(data, "lindqvist", "decisions", fmt, fresh)
    assert not fresh.exists() and not (tmp_path / f"new.{fmt}.anchor").exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_the_anchor_file_never_replaces_the_store(tmp_path):
    """The anchor file is renamed onto FILE.anchor: a store of that name would be lost, like one named FILE."""
    from desktop import wiring

    with wiring.open_store(tmp_path / "d.csv.anchor") as store:
        people(store, lee="lead")
        with pytest.raises(ValueError, match="store itself"):
            exports.export(store, "lee", "decisions", "csv", tmp_path / "d.csv")
    assert not (tmp_path / "d.csv").exists()

# ------------------------------------------------------------ regressions
@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_an_export_never_replaces_the_store(data, suffix):
    """Regression: --out naming the store renamed a CSV over the database and lost everything."""
    target = Path(str(data.path) + suffix)
    before = target.read_bytes() if target.exists() else None
    with pytest.raises(ValueError, match="store itself"):
        exports.export(data, "lindqvist", "decisions", "csv", target)
    assert (target.read_bytes() if target.exists() else None) == before
    assert data.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 5


def test_the_cli_refuses_to_export_over_the_store(data, capsys):
    data.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert main(["export", "decisions", "--format", "csv", "--out", str(data.path), "--store", str(data.path),
                 "--user", "lindqvist"]) == 2
    assert "store itself" in capsys.readouterr().err
    assert data.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 5


def test_names_that_casefolding_changes_and_surnames_alone_are_pseudonymised(team, tmp_path):
    """Regression: the pattern held only casefolded spellings, so "Strauß" (-> "strauss") was never found."""
    team.add_user("strauss", ["moderator"], "Jürgen Strauß")
    team.add_user("yilmaz", ["moderator"], "İpek Yılmaz")
    _audited(team, moderator="strauss", note="Strauß asked İpek Yılmaz", correct=False,
             comment="see Okonkwo and Jürgen's notes; Alvarez agreed")
    for fmt in exports.FORMATS:
        out = tmp_path / f"a.{fmt}"
        for kind in ("decisions", "audits"):
            exports.export(team, "lindqvist", kind, fmt, out, pseudonymise=True)
            raw = out.read_bytes()
            if fmt == "xlsx":
                import zipfile
                with zipfile.ZipFile(out) as book:
                    raw = b"".join(book.read(name) for name in book.namelist())
            text = raw.decode("utf-8", "replace").casefold()
            for name in ("strauß", "strauss", "jürgen", "i̇pek", "yılmaz", "okonkwo", "alvarez"):
                assert name not in text, (kind, fmt, name)


def test_the_anchor_an_export_records_is_what_veil_verify_expects(data, tmp_path, capsys):
    """The pair a lead keeps from an export is the one ``veil verify --expect`` checks later."""
    result = exports.export(data, "lindqvist", "decisions", "csv", tmp_path / "d.csv")
    decided_item(data, "spam", "alvarez", decided_at="2026-01-20T10:00:00Z")  # growth after the anchor is fine
    anchor = f"{result.head.events}:{result.head.hash}"
    assert main(["verify", "--store", store_arg(data), "--expect", anchor]) == 0
    forged = f"{result.head.events}:{'0' * 64}"
    assert main(["verify", "--store", store_arg(data), "--expect", forged]) == 1
    capsys.readouterr()


def test_the_cli_says_the_anchor_to_keep(data, tmp_path, capsys):
    """CSV and JSON Lines have no place for the anchor, so the command prints it for the lead to keep."""
    head = event_log.head(data.db)  # the export's own export.written event comes after its anchor
    assert _cli(data, "decisions", "--out", str(tmp_path / "d.csv"), "--user", "lindqvist") == 0
    assert f"veil verify --store YOUR-STORE --expect {head.events}:{head.hash}" in capsys.readouterr().out
