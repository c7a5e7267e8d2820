"""A decisions or audits CSV written from the store's formatted lines (issue 22: CSV at disk speed) is byte for
byte the CSV the ``csv`` module writes from the rows' values: on awkward values (quotes, commas, line breaks,
formula starts, unicode, empty and missing cells, numbers), pseudonymised or not, and when a free text holds the
separator itself (written again from the values, progress going on from where it was). The driver hands over a
few values a row, not one per cell."""

from __future__ import annotations

import dataclasses
import zipfile

import openpyxl
import pytest
from builders import audited, decided_item, people

from audit import disputes, exports
from audit.exports import csv_lines, pseudonyms, tables, writers, xlsx
from audit.exports.about import About
from audit.store import export_rows
from audit.store import reports as report_rows
from review import decisions
from review.store.events import Head

AWKWARD = [
    "", "plain", "a, comma", 'a "quoted" word', "two\nlines", "carriage\rreturn", "crlf\r\nend", "=SUM(1,2)",
    "+1", "-2+3", "@cmd", "\ttab", "\rcr first", "'already quoted", "naïve café — 東京 🚫", "مرحبا بالعالم",
    " leading space", "trailing space ", '"', ",", ";", "=", "unit\x1dsep", "ends with a quote\"",
]
DURATIONS = [None, 0, 1, 49, 50, 12250, 12350, 12750, 99_950, 3_600_000]


@pytest.fixture
def awkward(store):
    """Decisions and audits whose every text column holds one of AWKWARD somewhere, with undo rows, disputes
    and durations that round both ways."""
    people(store, alvarez=(["moderator"], "Rosa Alvarez"), okonkwo=(["moderator"], 'Emeka "E" Okonkwo, Jr'),
           fairbank="auditor", lindqvist=(["lead"], "Maja Lindqvist"))
    for name in ("spam", "=queue(), \"x\"", "ヘイト\nhate"):
        store.add_queue(name)
    made = []
    for n, text in enumerate(AWKWARD):
        queue = ("spam", "=queue(), \"x\"", "ヘイト\nhate")[n % 3]
        made.append(decided_item(
            store, queue, ("alvarez", "okonkwo")[n % 2], action="remove", labels=[("spam", "scam")[n % 2]],
            decided_at=f"2026-01-05T09:{n:02d}:00Z", note=text + " alvarez" * (n % 4 == 0),
            external_id=f"{text}-{n}", handle_ms=DURATIONS[n % len(DURATIONS)]))
    for n, decision in enumerate(made[:12]):
        audited(store, decision, lead="lindqvist", auditor="fairbank",
                blind_action="remove" if n % 3 else "no_violation", blind_labels=["spam"],
                verdict="correct" if n % 3 else "incorrect",
                error=None if n % 3 else ("over_enforcement", "major"), comment=AWKWARD[-1 - n])
    first = store.db.execute("SELECT MIN(id) FROM audits").fetchone()[0]
    dispute = disputes.open_dispute(store, "alvarez", first, "I followed the policy, \"see\" note\n=1")
    disputes.resolve_dispute(store, "lindqvist", dispute, "overturned", note="@agreed, okonkwo")
    decisions.undo(store, store.user("okonkwo"), made[1], window_s=1e9)
    return store


ABOUT = About("decisions", None, None, {}, "2026-01-05T09:00:00.000Z", False, Head(1, "0" * 64))


def _written(store, kind, tmp_path, **how):
    out = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv"
    with report_rows.snapshot(store):
        made = tables.SOURCES[kind](store, "lindqvist", exports.Filters())
        if how.get("names") is not None:
            made = tables.pseudonymised(made, how["names"])
        if not how.get("lines", True):
            made = [dataclasses.replace(t, lines=None) for t in made]
        writers.write_csv(made, out, how.get("tick") or (lambda rows: None), ABOUT)
    return out.read_bytes()


@pytest.mark.parametrize("kind", ["decisions", "audits"])
def test_lines_make_the_bytes_the_csv_module_makes_from_the_values(awkward, tmp_path, kind):
    fast, slow = _written(awkward, kind, tmp_path), _written(awkward, kind, tmp_path, lines=False)
    assert fast == slow
    text = fast.decode()
    assert "'=SUM(1,2)" in text and '"two\nlines' in text and "naïve café — 東京 🚫" in text
    assert "'=queue(), \"\"x\"\"" in text and "Emeka" not in text  # names, not display names
    if kind == "decisions":  # seconds to one decimal, as Python rounds the float: 12.25 s down, 12.35 s down
        assert ",12.2," in text and ",12.3," in text and ",12.8," in text


@pytest.mark.parametrize("kind", ["decisions", "audits"])
def test_pseudonymised_lines_match_the_values_too(awkward, tmp_path, kind):
    names = pseudonyms.for_store(awkward, "lindqvist")
    fast = _written(awkward, kind, tmp_path, names=names)
    assert fast == _written(awkward, kind, tmp_path, names=names, lines=False)
    assert b"alvarez" not in fast and b"Okonkwo" not in fast and b"mod-" in fast


def test_a_free_text_holding_the_separator_is_written_from_the_values(awkward, tmp_path, monkeypatch):
    """The separator cannot split such a run: the table is written again from its values, and progress never
    counts a row twice."""
    monkeypatch.setattr("audit.exports.batches.BATCH_ROWS", 4)
    decided_item(awkward, "spam", "alvarez", action="remove", labels=["spam"], decided_at="2026-01-06T09:00:00Z",
                 note=f"split{export_rows.SEPARATOR}here")
    ticks = []
    fast = _written(awkward, "decisions", tmp_path, tick=ticks.append)
    assert fast == _written(awkward, "decisions", tmp_path, lines=False)
    assert sum(ticks) == len(AWKWARD) + 2  # every decision, the undo and the new one, each counted once
    assert f"split{export_rows.SEPARATOR}here".encode() in fast


def test_a_pseudonymised_value_holding_the_separator_keeps_it(awkward, tmp_path):
    """Free text becomes a value when pseudonymised: a separator in it is data, never made a comma."""
    decided_item(awkward, "spam", "alvarez", action="remove", labels=["spam"], decided_at="2026-01-06T09:00:00Z",
                 note=f"okonkwo{export_rows.SEPARATOR}there")
    names = pseudonyms.for_store(awkward, "lindqvist")
    fast = _written(awkward, "decisions", tmp_path, names=names)
    assert fast == _written(awkward, "decisions", tmp_path, names=names, lines=False)


@pytest.mark.parametrize("kind, columns", [("decisions", tables.DECISION_COLUMNS), ("audits", tables.AUDIT_COLUMNS)])
def test_a_csv_export_reads_a_few_values_a_row_not_one_per_cell(awkward, tmp_path, monkeypatch, kind, columns):
    """Before: the driver made a Python object of each of the row's 23 or 29 cells for the ``csv`` module."""
    widths = []
    real = type(awkward.db).execute

    def execute(db, sql, *args, **kwargs):
        cursor = real(db, sql, *args, **kwargs)
        if sql.lstrip().startswith("SELECT") and "ORDER BY d.decided_at, d.id" in sql:
            widths.append(len(cursor.description))
        return cursor

    monkeypatch.setattr(type(awkward.db), "execute", execute)
    exports.export(awkward, "lindqvist", kind, "csv", tmp_path / "out.csv")
    assert widths and max(widths) <= 9 < len(columns)


def test_value_columns_are_the_ones_python_converts():
    """Label sets, durations, scores: never formatted by the store (its float text is not Python's)."""
    decisions_values = csv_lines.values_of(tables.Table("Decisions", tables.DECISION_COLUMNS, 0, [], None,
                                                        frozenset({12})))
    names = [tables.DECISION_COLUMNS[i].name for i in sorted(decisions_values)]
    assert names == ["labels", "handle_ms", "revealed_ms"]
    audit_values = csv_lines.values_of(tables.Table("Audits", tables.AUDIT_COLUMNS, 0, [], None, frozenset()))
    assert [tables.AUDIT_COLUMNS[i].name for i in sorted(audit_values)] == [
        "labels", "blind_labels", "score", "final_score"]
    assert export_rows.layout(5, frozenset({1, 2})) == [(False, (0,)), (True, (1,)), (True, (2,)), (False, (3, 4))]
    assert {*csv_lines._QUOTED, *csv_lines._FORMULA} >= set(writers.FORMULA_STARTS)  # the guard's every start


@pytest.mark.parametrize("kind", ["decisions", "audits"])
def test_xlsx_cells_made_a_column_at_a_time_are_those_made_one_by_one(awkward, tmp_path, monkeypatch, kind):
    """Texts needing nothing by one format each, times with empty cells among them: the same XML as cell by cell,
    and a workbook openpyxl reads."""
    def parts(name):
        exports.export(awkward, "lindqvist", kind, "xlsx", tmp_path / name)
        with zipfile.ZipFile(tmp_path / name) as book:
            return {n: book.read(n) for n in book.namelist()  # sheet1 is About: it names the export before
                    if n.startswith("xl/worksheets/") and n != "xl/worksheets/sheet1.xml"}

    fast = parts("fast.xlsx")
    monkeypatch.setattr(xlsx._TextCells, "column", lambda cells, values: list(map(cells.__getitem__, values)))
    monkeypatch.setattr(xlsx, "_times", lambda values: list(map(xlsx._time_cell, values)))
    assert fast == parts("slow.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "fast.xlsx")[kind.capitalize()]
    assert sheet.max_row == awkward.db.execute(f"SELECT COUNT(*) FROM {kind}").fetchone()[0] + 1
