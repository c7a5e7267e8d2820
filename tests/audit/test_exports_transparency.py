"""The transparency counts as an export (issue 21 §7): CSV, XLSX and JSON Lines carry ``counts()`` for a period.

CSV and XLSX are for people: one row per (section, breakdown, key) in words, a count, a median in hours (one
decimal) or a share in per cent, under the same About block as every export. JSON Lines keeps machine names
(keys and values), for the machines that read it. A moderator is refused, as for every export.
"""

from __future__ import annotations

import csv
import json

import pytest
from builders import decided_item, people, store_arg
from openpyxl import load_workbook

from audit import exports
from audit.compliance import mapping, transparency
from audit.exports.about import verify_command
from review.errors import NotAllowed

LABEL = {"category": "STATEMENT_CATEGORY_CYBER_VIOLENCE", "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
         "ground": "Community rules §3", "facts": "A {content} was reported.", "explanation": "It breaks {ground}."}
DETECTED = {"automated_detection": "No"}
MAPPING = {**mapping.empty(),
           "labels": {"harassment": LABEL},
           "actions": {"remove": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]}, "no_violation": {}},
           "sources": {"user_report": {"source_type": "SOURCE_ARTICLE_16", **DETECTED},
                       "trusted_flagger": {"source_type": "SOURCE_TRUSTED_FLAGGER", **DETECTED},
                       "default": {"source_type": "SOURCE_VOLUNTARY", **DETECTED}}}
#: (source, received at, action, labels, decided at)
DECISIONS = [
    ("user_report", "2026-02-01T00:00:00Z", "remove", ["harassment"], "2026-02-01T02:00:00Z"),
    ("user_report", "2026-02-02T00:00:00Z", "remove", ["harassment"], "2026-02-02T05:30:00Z"),
    ("trusted_flagger", "2026-02-02T00:00:00Z", "no_violation", [], "2026-02-02T01:00:00Z"),
    (None, "2026-02-03T00:00:00Z", "remove", ["harassment"], "2026-02-03T03:00:00Z"),
    ("user_report", "2026-01-10T00:00:00Z", "remove", ["harassment"], "2026-01-11T00:00:00Z"),  # before the period
]
PERIOD = exports.Filters("2026-02-01", "2026-02-28")


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator")
    store.add_queue("reports")
    mapping.save(store, "lee", MAPPING)
    for n, (source, received, action, labels, decided) in enumerate(DECISIONS):
        decided_item(store, "reports", "ana", decided_at=decided, action=action, labels=labels, received_at=received,
                     external_id=f"post-{n}", metadata={"source": source} if source else {})
    return store


def _counts(store):
    return transparency.counts(store, "lee", since=PERIOD.since, until=PERIOD.until)


def _csv(path):
    """(about lines, header, rows) of a CSV export."""
    lines = list(csv.reader(path.open(encoding="utf-8", newline="")))
    blank = lines.index([])
    return lines[:blank], lines[blank + 1], lines[blank + 2:]


def test_csv_carries_the_counts_in_words_under_the_about_block(floor, tmp_path):
    out = tmp_path / "t.csv"
    result = exports.export(floor, "lee", "transparency", "csv", out, filters=PERIOD)
    data = _counts(floor)
    about, header, rows = _csv(out)
    assert header == ["Section", "Broken down", "Key", "Count", "Median (hours)", "Share (%)"]
    found = {(s, b, k): (c, h, p) for s, b, k, c, h, p in rows}
    assert found[("Notices", "total", "all")][0] == str(data["notices"]["total"]) == "3"
    assert found[("Notices", "by source type", "Art. 16 notice")][0] == "2"
    assert found[("Notices", "by source type", "trusted flagger")][0] == "1"
    assert found[("Own-initiative detections", "total", "all")][0] == str(data["own_initiative"]["total"]) == "1"
    for action, n in data["actions_by_type"].items():
        assert found[("Actions", "by action", action)][0] == str(n)
    assert found[("Actions", "by decision ground", "content incompatible with terms and conditions")][0] == "3"
    assert found[("Actions", "by category", "cyber violence")][0] == "3"
    automated = data["automated"]
    assert found[("Automated means", "decided by a rule", "all")] == (str(automated["automated"]), "", "0.0")
    median = data["median_hours_notice_to_action"]  # 2, 5.5 and 3 hours
    assert found[("Time to action", "median", "notice to action")] == ("", f"{round(median, 1)}", "")
    assert found[("Complaints", "total", "received")][0] == "0"
    assert found[("Statements of reasons", "total", "refused")][0] == "0"
    assert dict(about)["Veil export"] == "Transparency counts (DSA)"
    assert dict(about)["Period"].startswith("February 2026")
    assert dict(about)["Check with"] == verify_command(result.head)
    assert "nobody" in dict(about)["Pseudonymised"]  # nothing personal is in these counts
    assert exports.anchor_file(out).read_text().startswith(f"{result.head.events}:{result.head.hash}")
    event = floor.db.execute("SELECT kind, payload FROM events ORDER BY id DESC LIMIT 1").fetchone()
    assert event[0] == "export.written" and json.loads(event[1])["rows"] == result.rows == len(rows)


def test_xlsx_carries_the_same_counts_with_numbers_as_numbers(floor, tmp_path):
    out = tmp_path / "t.xlsx"
    exports.export(floor, "lee", "transparency", "xlsx", out, filters=PERIOD)
    data = _counts(floor)
    book = load_workbook(out)
    assert book.sheetnames[0] == "About"
    sheet = book[book.sheetnames[1]]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Section", "Broken down", "Key", "Count", "Median (hours)", "Share (%)")
    found = {row[:3]: row[3:] for row in values[1:]}
    assert found[("Notices", "by source", "user_report")][0] == data["notices"]["by_source"]["user_report"] == 2
    assert found[("Actions", "total", "all")][0] == data["actions_total"] == 4
    assert found[("Actions", "restricting", "all")][0] == data["restricting"] == 3
    assert found[("Time to action", "median", "notice to action")][1] == round(data["median_hours_notice_to_action"], 1)
    assert found[("Automated means", "decided by a rule", "all")][2] == data["automated"]["share"] == 0
    rows = {row[:3]: n for n, row in enumerate(values, start=1)}
    assert sheet.cell(row=rows[("Automated means", "decided by a rule", "all")], column=6).number_format == "0.0%"
    assert sheet.cell(row=rows[("Time to action", "median", "notice to action")], column=5).number_format == "0.0"


def test_jsonl_keeps_machine_names_and_every_count(floor, tmp_path):
    out = tmp_path / "t.jsonl"
    exports.export(floor, "lee", "transparency", "jsonl", out, filters=PERIOD)
    data = _counts(floor)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert set(rows[0]) == {"section", "breakdown", "key", "count", "median_hours", "share"}
    found = {(r["section"], r["breakdown"], r["key"]): r for r in rows}
    for source_type, n in data["notices"]["by_source_type"].items():
        assert found[("notices", "by_source_type", source_type)]["count"] == n
    for ground, n in data["actions_by_ground"].items():
        assert found[("actions", "by_ground", ground)]["count"] == n
    assert found[("time_to_action", "median", "notice_to_action")]["median_hours"] == \
        data["median_hours_notice_to_action"]


def test_a_moderator_is_refused_and_nothing_is_written(floor, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(NotAllowed):
        exports.export(floor, "ana", "transparency", "csv", folder / "t.csv", filters=PERIOD)
    assert list(folder.iterdir()) == []


def test_queue_and_moderator_filters_are_refused_not_mislabelled(floor, tmp_path):
    with pytest.raises(exports.ExportError, match="whole"):
        exports.export(floor, "lee", "transparency", "csv", tmp_path / "t.csv",
                       filters=exports.Filters("2026-02-01", "2026-02-28", queue="reports"))


def test_veil_export_transparency_on_the_command_line(floor, tmp_path, capsys):
    from desktop.main import main

    out = tmp_path / "t.xlsx"
    code = main(["export", "transparency", "--store", store_arg(floor), "--user", "lee", "--out", str(out),
                 "--since", "2026-02-01", "--until", "2026-02-28"])
    assert code == 0 and out.exists()
    assert "exported transparency" in capsys.readouterr().out
    assert main(["export", "transparency", "--store", store_arg(floor), "--user", "ana",
                 "--out", str(tmp_path / "no.csv")]) == 2
    assert not (tmp_path / "no.csv").exists()
