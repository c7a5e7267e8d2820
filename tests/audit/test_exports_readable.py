"""Exports a person reads without editing (issue 13 §3): what the file is, word headers, units, disputes, SLA times.

CSV and XLSX are for people: they open with the period, filters, generated-at,
pseudonymised yes/no and the verify head; headers are words with units;
durations are seconds, kappa two decimals; the workbook prints landscape with
its header row on every page. JSON Lines stays for machines (snake_case keys,
milliseconds). The audits export says why a decision was disputed, how the
dispute ended and who resolved it; the decisions export says when the item
arrived and when it was due.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import zipfile

import openpyxl
import pytest
from builders import audited, decided_item, people

from audit import disputes, exports
from audit.exports import tables, xlsx
from audit.store.schema import ERROR_TYPES
from review import settings

PEOPLE = {"alvarez": (["moderator"], "Rosa Alvarez"), "fairbank": (["auditor"], "Tess Fairbank"),
          "lindqvist": (["lead"], "Maja Lindqvist")}


@pytest.fixture
def disputed(store):
    """Two audited decisions in week 2 of 2026 in "spam" (1-hour SLA); the incorrect one disputed and overturned."""
    people(store, **PEOPLE)
    store.add_queue("spam", sla_seconds=3600)
    fine = decided_item(store, "spam", "alvarez", action="remove", labels=["spam"], handle_ms=4200,
                        received_at="2026-01-06T09:00:00Z", decided_at="2026-01-06T09:20:00Z")
    audited(store, fine, lead="lindqvist", auditor="fairbank", blind_action="remove", blind_labels=["spam"])
    wrong = decided_item(store, "spam", "alvarez", action="remove", labels=["spam"], handle_ms=61_500,
                         received_at="2026-01-07T09:00:00Z", decided_at="2026-01-07T11:00:00Z")
    audit_id = audited(store, wrong, lead="lindqvist", auditor="fairbank", blind_action="no_violation",
                       verdict="incorrect", error=("over_enforcement", "minor"))
    dispute = disputes.open_dispute(store, "alvarez", audit_id, "the link was a known scam domain")
    disputes.resolve_dispute(store, "lindqvist", dispute, "overturned", note="agreed: policy 4.2 covers it")
    return store


def _lines(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_a_csv_opens_with_what_it_is_and_has_word_headers(disputed, tmp_path):
    out = tmp_path / "decisions.csv"
    result = exports.export(disputed, "lindqvist", "decisions", "csv", out,
                            filters=exports.Filters(since="2026-01-05", until="2026-01-11", queue="spam"))
    lines = _lines(out)
    blank = lines.index([])
    about = dict(lines[:blank])
    assert about["Veil export"] == "Decisions"
    assert about["Period"].startswith("Week 2, 2026 (5 Jan – 11 Jan 2026)")
    assert about["Filters"] == "queue spam"
    assert about["Generated"] == "5 Jan 2026, 09:00 UTC"
    assert about["Pseudonymised"].startswith("no")
    assert about["Check with"] == f"veil verify --store YOUR-STORE --expect {result.head.events}:{result.head.hash}"
    header = lines[blank + 1]
    assert header[:5] == ["Decision", "Decided at (UTC)", "Shown at (UTC)", "Received at (UTC)", "Due at (UTC)"]
    assert "Handle time (s)" in header and "handle_ms" not in header
    rows = [dict(zip(header, row)) for row in lines[blank + 2:]]
    assert [r["Handle time (s)"] for r in rows] == ["4.2", "61.5"]  # seconds, not ms
    assert [r["Due at (UTC)"] for r in rows] == ["2026-01-06T10:00:00.000Z", "2026-01-07T10:00:00.000Z"]
    assert [r["Received at (UTC)"] for r in rows] == ["2026-01-06T09:00:00.000Z", "2026-01-07T09:00:00.000Z"]


def test_a_pseudonymised_csv_says_so(disputed, tmp_path):
    out = tmp_path / "a.csv"
    exports.export(disputed, "lindqvist", "audits", "csv", out, pseudonymise=True)
    lines = _lines(out)
    assert dict(lines[:lines.index([])])["Pseudonymised"].startswith("yes")


def test_jsonl_keeps_machine_names_and_milliseconds_and_gains_the_new_columns(disputed, tmp_path):
    out = tmp_path / "d.jsonl"
    exports.export(disputed, "lindqvist", "decisions", "jsonl", out)
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])  # rows only: no header block
    assert first["handle_ms"] == 4200 and first["received_at"] == "2026-01-06T09:00:00.000Z"
    assert first["due_at"] == "2026-01-06T10:00:00.000Z"


def test_the_audits_export_says_why_a_decision_was_disputed_how_it_ended_and_who_resolved_it(disputed, tmp_path):
    out = tmp_path / "a.jsonl"
    exports.export(disputed, "lindqvist", "audits", "jsonl", out)
    fine, wrong = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert wrong["dispute"] == "overturned" and wrong["dispute_reason"] == "the link was a known scam domain"
    assert wrong["resolution_note"] == "agreed: policy 4.2 covers it" and wrong["resolved_by"] == "lindqvist"
    assert wrong["resolved_at"] and wrong["final_verdict"] == "correct"
    assert fine["dispute_reason"] is None and fine["resolved_by"] is None
    exports.export(disputed, "lindqvist", "audits", "jsonl", out, pseudonymise=True)
    hidden = json.loads(out.read_text(encoding="utf-8").splitlines()[1])
    assert hidden["resolved_by"].startswith("lead-") and "lindqvist" not in out.read_text(encoding="utf-8")


def test_a_workbook_is_readable_and_prints(disputed, tmp_path):
    out = tmp_path / "m.xlsx"
    result = exports.export(disputed, "lindqvist", "metrics", "xlsx", out,
                            filters=exports.Filters(since="2026-01-01", until="2026-01-31"))
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "About"
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Veil export"] == "Metrics" and about["Period"].startswith("January 2026")
    assert about["Pseudonymised"].startswith("no") and about["Filters"].startswith("none")
    assert str(result.head.hash) in about["Made from event"]
    sheet = book["Overall"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Breakdown", "Group", "Audited", "Correct", "Accuracy (%)"]
    assert all(len(h) <= sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width
               for i, h in enumerate(header, 1))  # headers are not cut
    kappa = sheet.cell(2, header.index("Cohen's kappa") + 1)
    assert kappa.number_format == "0.00"
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    decisions = tmp_path / "d.xlsx"
    exports.export(disputed, "lindqvist", "decisions", "xlsx", decisions)
    sheet = openpyxl.load_workbook(decisions)["Decisions"]
    header = [c.value for c in sheet[1]]
    handle = sheet.cell(3, header.index("Handle time (s)") + 1)
    assert handle.value == pytest.approx(61.5) and handle.number_format == "0.0"
    due = sheet.cell(2, header.index("Due at (UTC)") + 1).value
    assert abs(due - _dt.datetime(2026, 1, 6, 10, 0)) < _dt.timedelta(milliseconds=1)


def test_every_column_has_words_for_people():
    for columns in tables.COLUMNS.values():
        headings = [c.heading for c in columns]
        assert len(set(headings)) == len(headings)
        assert all(c.title and "_" not in c.heading for c in columns)


def test_the_accuracy_target_is_a_lead_setting_with_a_check(disputed):
    assert settings.read(disputed, exports.ACCURACY_TARGET) == 0.9
    settings.write(disputed, "lindqvist", exports.ACCURACY_TARGET, 0.95)
    assert exports.report_figures(disputed, "lindqvist", None, None).accuracy_target == 0.95
    with pytest.raises(settings.SettingError):
        settings.write(disputed, "lindqvist", exports.ACCURACY_TARGET, 95.0)
    with pytest.raises(PermissionError):
        settings.write(disputed, "alvarez", exports.ACCURACY_TARGET, 0.8)


# ------------------------------------------------------------- review findings
NAMES = ("alvarez", "rosa", "fairbank", "tess", "lindqvist", "maja")


def _everything(path) -> str:
    """Every text in the file: a CSV as it is, a workbook's every part (sheets, properties) unzipped."""
    if path.suffix != ".xlsx":
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as book:
        return " ".join(book.read(name).decode("utf-8") for name in book.namelist())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["decisions", "audits"])
def test_a_pseudonymised_file_filtered_by_a_moderator_names_nobody(disputed, tmp_path, fmt, kind):
    """The About block said "Filters: moderator alvarez" in a file whose rows say mod-…."""
    out = tmp_path / f"{kind}.{fmt}"
    exports.export(disputed, "lindqvist", kind, fmt, out, filters=exports.Filters(moderator="alvarez"),
                   pseudonymise=True)
    text = _everything(out).casefold()
    for name in NAMES:
        assert name not in text, name
    assert "moderator mod-" in text  # the filter is said, by the pseudonym the rows use


def test_the_verify_command_a_file_prints_names_a_store_but_not_this_one(disputed, tmp_path):
    """"veil verify --expect N:HASH" alone checks no store; the store's file name is never printed instead."""
    command = None
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"d.{fmt}"
        result = exports.export(disputed, "lindqvist", "decisions", fmt, out)
        command = f"veil verify --store YOUR-STORE --expect {result.head.events}:{result.head.hash}"
        text = _everything(out)
        assert command in text and disputed.name not in text
    anchor = (tmp_path / "d.csv.anchor").read_text(encoding="utf-8")
    assert command and command.split(" --expect")[0] in anchor and disputed.name not in anchor


@pytest.mark.parametrize(("rows", "sheets"), [(5, ["Decisions", "Decisions (2)", "Decisions (3)"]),
                                              (4, ["Decisions", "Decisions (2)"])])
def test_a_table_longer_than_a_sheet_goes_on_to_further_sheets(disputed, tmp_path, monkeypatch, rows, sheets):
    """Over Excel's 1,048,576 rows the workbook was one that Excel cannot open."""
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)  # the header and two rows
    for day in range(rows - 2):
        decided_item(disputed, "spam", "alvarez", decided_at=f"2026-01-{10 + day}T10:00:00Z")
    out = tmp_path / "long.xlsx"
    result = exports.export(disputed, "lindqvist", "decisions", "xlsx", out)
    assert result.rows == rows
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["About", *sheets]
    ids = []
    for title in sheets:
        sheet = book[title]
        header = [c.value for c in sheet[1]]
        assert header[0] == "Decision" and sheet.max_row <= 3 and sheet.print_title_rows == "$1:$1"
        assert sheet.auto_filter.ref and sheet.page_setup.orientation == "landscape"
        ids += [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == sorted(ids) and len(ids) == rows  # every row once, in order
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_the_error_words_are_one_table():
    from ui.reports import pdf as report_pdf

    assert not hasattr(report_pdf, "ERROR_NAMES") and set(tables.ERROR_WORDS) == set(ERROR_TYPES)


def test_an_empty_period_says_so_and_keeps_the_headings(disputed, tmp_path):
    """Walkthrough of issue 13: a 0-row sheet was a bare header. The sheet says "No decisions in this period." under
    its header (outside the filter range); the CSV keeps its heading row alone and says so in its About block."""
    quiet = exports.Filters(since="2025-11-01", until="2025-11-30")
    book = tmp_path / "november.xlsx"
    exports.export(disputed, "lindqvist", "decisions", "xlsx", book, filters=quiet)
    sheet = openpyxl.load_workbook(book)["Decisions"]
    assert sheet["A2"].value == "No decisions in this period."
    assert sheet.auto_filter.ref.endswith("1")  # the header row only
    text = tmp_path / "november.csv"
    exports.export(disputed, "lindqvist", "decisions", "csv", text, filters=quiet)
    lines = _lines(text)
    blank = lines.index([])
    assert ["Rows", "none: No decisions in this period."] in lines[:blank]
    assert lines[blank + 1][0] and lines[blank + 2:] == []  # the heading row, alone
    full = tmp_path / "january.csv"
    exports.export(disputed, "lindqvist", "decisions", "csv", full,
                   filters=exports.Filters(since="2026-01-05", until="2026-01-11"))
    assert not any(line[:1] == ["Rows"] for line in _lines(full))
