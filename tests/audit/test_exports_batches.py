"""Exports at disk speed (issue 22): rows in batches of columns, every row once and in order across batches and
sheets, cells without references that keep their columns, memory that does not grow with the rows, and each
person's pseudonym made once per export rather than once per row."""

from __future__ import annotations

import csv
import json
import re
import tracemalloc
import zipfile

import openpyxl
import pytest
from builders import decided_item, people

from audit import exports
from audit.exports import batches, pseudonyms, tables, writers, xlsx
from audit.exports.about import About
from review.store.events import Head


@pytest.fixture
def eleven(store):
    """Eleven decisions, one a day; every third without a note (an empty cell between full ones)."""
    people(store, alvarez="moderator", okonkwo="moderator", lindqvist="lead")
    store.add_queue("spam")
    for day in range(11):
        decided_item(store, "spam", ("alvarez", "okonkwo")[day % 2], action="remove", labels=["spam"],
                     decided_at=f"2026-01-{10 + day}T10:00:00Z", note="" if day % 3 else f"note {day}",
                     handle_ms=1000 * day)
    return store


def test_rows_cross_batches_and_sheets_once_each_and_in_order(eleven, tmp_path, monkeypatch):
    """Batches of 3 rows against sheets of 4: a batch the sheet's end cuts goes on in the next sheet."""
    monkeypatch.setattr(batches, "BATCH_ROWS", 3)
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)  # the header and four rows
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []
    result = exports.export(eleven, "lindqvist", "decisions", "xlsx", tmp_path / "d.xlsx",
                            progress=lambda done, total: seen.append(done))
    assert result.rows == 11 and seen == [0, 2, 4, 6, 8, 10, 11]
    book = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert book.sheetnames == ["About", "Decisions", "Decisions (2)", "Decisions (3)"]
    ids = []
    for title, rows in (("Decisions", 4), ("Decisions (2)", 4), ("Decisions (3)", 3)):
        sheet = book[title]
        assert sheet.max_row == rows + 1 and sheet.auto_filter.ref == f"A1:W{rows + 1}"
        ids += [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    for fmt in ("csv", "jsonl"):
        exports.export(eleven, "lindqvist", "decisions", fmt, tmp_path / f"d.{fmt}")
    with open(tmp_path / "d.csv", newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    in_csv = [int(line[0]) for line in lines[lines.index([]) + 2:]]
    in_jsonl = [json.loads(line)["decision_id"] for line in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert ids == in_csv == in_jsonl == sorted(ids) and len(set(ids)) == 11


def test_cells_without_references_keep_their_columns(eleven, tmp_path):
    """A data cell carries no reference, so an empty one must still hold its place: the note after it, the handle
    time after that, and every row exactly as wide as the header."""
    exports.export(eleven, "lindqvist", "decisions", "xlsx", tmp_path / "d.xlsx")
    with zipfile.ZipFile(tmp_path / "d.xlsx") as book:
        sheet = book.read("xl/worksheets/sheet2.xml").decode()
    rows = re.findall(r'<row r="(\d+)">(.*?)</row>', sheet)
    assert [int(n) for n, _ in rows] == list(range(1, 13))
    assert {len(re.findall(r"<c[ />]", cells)) for _, cells in rows} == {len(tables.DECISION_COLUMNS)}
    names = [c.name for c in tables.DECISION_COLUMNS]
    values = list(openpyxl.load_workbook(tmp_path / "d.xlsx")["Decisions"].iter_rows(min_row=2, values_only=True))
    assert [(v[names.index("note")], v[names.index("handle_ms")]) for v in values[:4]] == [
        ("note 0", 0), (None, 1), (None, 2), ("note 3", 3)]
    assert all(v[names.index("rule")] is None and v[names.index("current")] is True for v in values)


def test_each_persons_pseudonym_is_made_once_per_export_not_once_per_row(eleven, tmp_path, monkeypatch):
    """Before: one HMAC per person cell, a million for a million-row export; now one per person and role."""
    made = []
    real = pseudonyms._digest
    monkeypatch.setattr(pseudonyms, "_digest", lambda *args: made.append(args) or real(*args))
    exports.export(eleven, "lindqvist", "decisions", "csv", tmp_path / "d.csv", pseudonymise=True)
    everyone = len(eleven.users())
    assert len(made) <= len(pseudonyms.ROLES) * everyone + 2  # telling the store's people apart, then ana and ben
    with open(tmp_path / "d.csv", newline="", encoding="utf-8") as handle:
        text = handle.read()
    assert "alvarez" not in text and "okonkwo" not in text and len(re.findall("mod-[0-9a-f]{6}", text)) == 11


def _synthetic(rows: int) -> tables.Table:
    """A decisions-shaped table of *rows* made up rows, generated as they are read (no store)."""
    def generated():
        for n in range(rows):
            yield (n, "2026-01-05T09:00:00.000Z", "2026-01-05T08:59:00.000Z", "2026-01-05T08:00:00.000Z", None,
                   "spam", n, f"ext-{n}", "text", "low", "alvarez", "remove", ("spam",), "=not a formula" * (n % 2),
                   4200 + n, None, "review", None, None, True, None, None, None)
    return tables.Table("Decisions", tables.DECISION_COLUMNS, rows, batches.columnar(generated()))


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_an_exports_memory_does_not_grow_with_its_rows(tmp_path, monkeypatch, fmt):
    """One batch of rows is held at a time, whatever the table's length."""
    monkeypatch.setattr(batches, "BATCH_ROWS", 200)
    # An XLSX part is compressed on a second thread with up to two batches waiting for it, and how many wait at
    # the peak is the threads' timing (one CI run: 1.12 MB for the small export, 1.45 for the large). Written
    # here as they come, the peak is the export's own: what this test is about.
    monkeypatch.setattr(xlsx, "_Behind", _WrittenNow)
    about = About("decisions", None, None, {}, "2026-01-05T09:00:00.000Z", False, Head(1, "0" * 64))

    def peak(rows: int) -> int:
        tracemalloc.start()
        writers.WRITERS[fmt]([_synthetic(rows)], tmp_path / f"out.{fmt}", lambda done: None, about)
        highest = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return highest

    peak(400)  # the first run's one-off allocations (imports, caches)
    small, large = peak(6_000), peak(30_000)  # both past the 4,096 distinct short texts an XLSX column keeps made
    assert large < small + 300_000, (small, large)  # 24,000 more rows held would be several MB


class _WrittenNow:
    """``xlsx._Behind`` without its thread: each batch written when handed over."""

    def __init__(self, out):
        self.write, self.close = out.write, lambda: None
