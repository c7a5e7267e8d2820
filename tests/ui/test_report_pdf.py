"""The PDF report: its figures come from audit.metrics.assembly, the file is a real, readable PDF, and leads only.

The text checks use ``pdftotext`` (poppler-utils) when it is installed;
the structural checks (header, page objects, trailer) always run.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from builders import audited, decided_item, people, text_item

from audit import exports
from audit.exports import about
from audit.metrics import assembly as report
from desktop.main import main
from review import decisions
from review.clock import parse
from review.store import wellbeing as wellbeing_store
from review.wellbeing.exposure import ExposureRecord
from ui.reports import pdf as report_pdf
from ui.reports import pdf_layout

PDFTOTEXT = shutil.which("pdftotext")


@pytest.fixture
def team(store):
    people(store, ana=(["moderator"], "Ana Silva"), ben=(["moderator"], "Ben Okafor"), dana=(["auditor"], "Dana Kim"),
           lee=(["lead"], "Lee Morgan"))
    store.add_queue("Spam & scams", sla_seconds=3600)
    store.add_queue("Hate", sla_seconds=3600)
    return store


def _decide(store, *, moderator="ana", queue="Spam & scams", at="2026-01-06T10:00:00Z"):
    """A spam removal, this module's one kind of decision."""
    return decided_item(store, queue, moderator, action="remove", labels=["spam"], decided_at=at)


def _audit(store, decision, correct=True):
    """dana audits for lee; this module's incorrect is a major missed violation."""
    audited(store, decision, lead="lee", auditor="dana", blind_action="remove" if correct else "no_violation",
            blind_labels=["spam"], verdict="correct" if correct else "incorrect",
            error=None if correct else ("missed_violation", "major"))


@pytest.fixture
def week(team, qapp):  # the PDF needs a QGuiApplication for its fonts
    """Week 2 of 2026: 6 audited decisions (4 correct), one unaudited, one undone, one waiting; week 1 for the trend."""
    store = team
    for i, (who, queue, correct) in enumerate([("ana", "Spam & scams", True), ("ana", "Spam & scams", False),
                                               ("ben", "Hate", True), ("ben", "Hate", True),
                                               ("ben", "Spam & scams", False), ("ana", "Hate", True)]):
        _audit(store, _decide(store, moderator=who, queue=queue, at=f"2026-01-{5 + i:02d}T10:00:00Z"), correct)
    _decide(store, at="2026-01-08T11:00:00Z")
    undone = _decide(store, at="2026-01-05T09:00:00Z")
    decisions.undo(store, store.user("ana"), undone, window_s=1e9)  # not counted as decided
    _audit(store, _decide(store, at="2025-12-30T10:00:00Z"))  # the week before: trend only
    text_item(store, "Hate", received_at="2026-01-05T07:00:00Z")  # waiting, past its 1-hour SLA
    return store


def _text(path) -> str:
    return subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _pages(path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", path.read_bytes()))


def test_period_labels_name_weeks_and_months():
    assert about.period_label("2026-01-05T00:00:00.000Z", "2026-01-11T23:59:59.999Z") == \
        "Week 2, 2026 (5 Jan – 11 Jan 2026)"
    assert about.period_label("2026-02-01T00:00:00.000Z", "2026-02-28T23:59:59.999Z") == "February 2026"
    assert about.period_label("2026-01-03T00:00:00.000Z", "2026-01-20T23:59:59.999Z") == \
        "3 Jan 2026 – 20 Jan 2026"
    assert about.period_label(None, None) == "All time"
    assert about.period_label("2026-01-03T00:00:00.000Z", None) == "Since 3 Jan 2026"


def test_kappa_words_follow_landis_and_koch():
    assert [report_pdf.kappa_words(k) for k in (-0.1, 0.1, 0.35, 0.5, 0.7, 0.9, None)] == [
        "poor agreement", "slight agreement", "fair agreement", "moderate agreement", "substantial agreement",
        "almost perfect agreement", "no audits"]


def test_figures_come_from_the_report_and_count_current_decisions_only(week):
    figures = exports.report_figures(week, "lee", "2026-01-05", "2026-01-11")
    built = report.build(week, "lee", by="moderator", since="2026-01-05", until="2026-01-11")
    assert figures.overall == built["overall"] and figures.overall["n"] == 6 and figures.overall["correct"] == 4
    assert figures.by_moderator == built["groups"]
    assert figures.by_queue == report.build(week, "lee", by="queue", since="2026-01-05", until="2026-01-11")["groups"]
    assert figures.within_sla[1] == 7 and {q["queue"]: q["decided"] for q in figures.sla} == {"Hate": 3,
                                                                                              "Spam & scams": 4}
    assert [w["week"] for w in figures.trend] == ["2026-W01", "2026-W02"]  # the weeks before, for context
    hate = next(q for q in figures.sla if q["queue"] == "Hate")  # the period's SLA, not the queue now (issue 13)
    assert hate["decided"] == 3 and hate["breached"] == 3 and hate["within"] == 0  # received 1 Jan, 1-hour SLA


def test_exposure_is_team_totals_never_per_person(week):
    lee, ana = week.user("lee"), week.user("ana")
    for user, revealed in ((ana, 2000), (lee, 0)):
        record = ExposureRecord(1, "severe", "spam", "2026-01-06T10:00:00.000Z", "2026-01-06T10:00:10.000Z",
                                blurred_ms=8000, revealed_ms=revealed)
        wellbeing_store.add_exposure(week, user, "s1", record)
    totals = exports.exposure_totals(week, "lee", "2026-01-05T00:00:00.000Z", "2026-01-12T00:00:00.000Z")
    assert totals["people"] == 2 and totals["items"] == 2 and totals["revealed_ms"] == 2000
    assert totals["by_severity"] == [{"severity": "severe", "items": 2, "on_screen_ms": 18000, "revealed_ms": 2000}]
    assert set(totals) == {"people", "items", "person_days", "blurred_ms", "revealed_ms", "region_ms", "video_ms",
                           "by_severity", "breaks_taken", "breaks_enforced", "snoozes"}  # nothing keyed by person
    assert exports.exposure_totals(week, "lee", "2026-02-01T00:00:00.000Z", None)["items"] == 0


def test_the_report_is_a_real_pdf_with_every_section(week, tmp_path):
    out = tmp_path / "week.pdf"
    result = report_pdf.export_report(week, "lee", out, since="2026-01-05", until="2026-01-11")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert result.rows == _pages(out) >= 2
    if not PDFTOTEXT:
        pytest.skip("pdftotext (poppler-utils) is not installed: text not checked")
    text = _text(out)
    for words in ("QA report", "Week 2, 2026", "Items decided", "Accuracy by moderator", "Accuracy by queue",
                  "Error types", "Missed violation", "Weekly trend", "2026-W01", "SLA", "Team exposure",
                  "Lee Morgan", f"Page 1 of {result.rows}", "Spam & scams"):
        assert words in text, words
    overall = report.build(week, "lee", since="2026-01-05", until="2026-01-11")["overall"]
    low, high = overall["accuracy_ci95"]
    assert f"{100 * overall['accuracy']:.1f}%" in text and f"{100 * low:.1f}–{100 * high:.1f}%" in text


@pytest.mark.skipif(not PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
def test_a_pseudonymised_report_names_nobody(week, tmp_path):
    out = tmp_path / "p.pdf"
    report_pdf.export_report(week, "lee", out, pseudonymise=True)
    text = _text(out).casefold()
    for name in ("ana", "ben", "lee", "silva", "okafor", "morgan"):
        assert not re.search(rf"\b{name}\b", text), name
    assert "mod-" in text and "lead-" in text


def test_an_empty_period_still_makes_a_report_that_says_so(week, tmp_path):
    out = tmp_path / "empty.pdf"
    result = report_pdf.export_report(week, "lee", out, since="2027-03-01", until="2027-03-31")
    assert result.rows >= 1 and out.read_bytes().startswith(b"%PDF-")
    if PDFTOTEXT:
        text = _text(out)
        assert "March 2027" in text and "No audited decisions in this period" in text


def test_only_leads_get_the_report_and_it_is_logged(week, tmp_path):
    with pytest.raises(PermissionError):
        report_pdf.export_report(week, "ana", tmp_path / "no.pdf")
    assert not (tmp_path / "no.pdf").exists()
    report_pdf.export_report(week, "lee", tmp_path / "yes.pdf", since="2026-01-05")
    payload = week.db.execute("SELECT payload FROM events WHERE kind = 'export.written'").fetchone()[0]
    assert json.loads(payload)["pages"] >= 1 and json.loads(payload)["filters"] == {"since": "2026-01-05"}


@pytest.mark.parametrize("who", ["ana", "dana", "mallory"])
def test_the_report_figures_are_built_for_a_lead_only(week, who):
    with pytest.raises(PermissionError):
        exports.report_figures(week, who, "2026-01-05", "2026-01-11")
    with pytest.raises(PermissionError):
        exports.exposure_totals(week, who, None, None)


def test_the_report_prints_the_head_it_was_made_from(week, tmp_path, monkeypatch):
    drawn = []
    real = report_pdf.draw_text
    monkeypatch.setattr(report_pdf, "draw_text", lambda p, rect, text, *a, **k: drawn.append(text) or real(
        p, rect, text, *a, **k))
    last_id, last_hash = week.db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    out = tmp_path / "anchored.pdf"
    result = report_pdf.export_report(week, "lee", out, since="2026-01-05", until="2026-01-11")
    assert (result.head.events, result.head.hash) == (last_id, last_hash)
    line = (f"Made from event {last_id}, hash {last_hash[:16]}… "
            f"(check with: veil verify --store YOUR-STORE --expect {last_id}:{last_hash})")
    assert any(line in text for text in drawn), drawn[:3]
    payload = json.loads(week.db.execute(
        "SELECT payload FROM events WHERE kind = 'export.written' ORDER BY id DESC").fetchone()[0])
    assert (payload["head_events"], payload["head_hash"]) == (last_id, last_hash)
    if PDFTOTEXT:
        assert last_hash in _text(out).replace("\n", "")


def test_a_cancelled_report_leaves_no_file(week, tmp_path):
    out = tmp_path / "r.pdf"
    with pytest.raises(exports.ExportCancelled):
        report_pdf.export_report(week, "lee", out, cancelled=lambda: True)
    assert list(tmp_path.glob("*.pdf*")) == [] and not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_cli_writes_the_report_and_refuses_other_formats(week, tmp_path, capsys):
    out = tmp_path / "cli.pdf"
    assert main(["export", "report", "--out", str(out), "--store", str(week.path), "--user", "lee",
                 "--since", "2026-01-05", "--until", "2026-01-11"]) == 0
    assert "exported report" in capsys.readouterr().out and _pages(out) >= 2
    assert main(["export", "report", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"),
                 "--store", str(week.path), "--user", "lee"]) == 2
    assert main(["export", "report", "--out", str(tmp_path / "r2.pdf"), "--store", str(week.path), "--user", "lee",
                 "--moderator", "ana"]) == 2
    assert "whole team" in capsys.readouterr().err


def test_the_report_never_replaces_the_store(tmp_path, clock):
    from desktop import wiring
    from ui.reports.pdf import export_report

    with wiring.open_store(tmp_path / "r.db", clock=clock) as store:
        store.add_user("lee", ["lead"])
        with pytest.raises(ValueError):
            export_report(store, "lee", store.path)
        assert store.db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 1


# ------------------------------------------------------ issue 13: a report about its period
def _group(key, n, accuracy, ci):
    return {"key": key, "n": n, "accuracy": accuracy, "accuracy_ci95": ci, "cohen_kappa": 0.5, "mean_score": 90.0,
            "disputes": {"opened": 0, "open": 0, "upheld": 0, "overturned": 0}}


def _drawn(monkeypatch):
    """Every (text, style, rect) the report draws through draw_text, and the page flow it laid out."""
    drawn, flows = [], []
    real_draw, real_footer = report_pdf.draw_text, report_pdf.footer
    for module in (report_pdf, pdf_layout):  # sections draw through one, headings and tiles through the other
        monkeypatch.setattr(module, "draw_text", lambda p, rect, text, kind, *a, **k: drawn.append(
            (text, kind, rect)) or real_draw(p, rect, text, kind, *a, **k))
    monkeypatch.setattr(report_pdf, "footer", lambda p, flow, *a: flows.append(flow) or real_footer(p, flow, *a))
    return drawn, flows


def test_a_month_without_data_reports_no_sla_figures_from_today(week, tmp_path, monkeypatch):
    """November's report, with no data, said "SLA breached now 70": today's queues in a report about November."""
    figures = exports.report_figures(week, "lee", "2025-11-01", "2025-11-30")
    assert figures.sla == [] and figures.within_sla == (0, 0)
    drawn, _ = _drawn(monkeypatch)
    report_pdf.export_report(week, "lee", tmp_path / "nov.pdf", since="2025-11-01", until="2025-11-30")
    words = " ".join(text for text, _, _ in drawn)
    assert "now" not in words.replace("known", "") and "Within SLA" in words


def test_sla_in_the_period_is_the_share_decided_by_the_due_time(team, qapp):
    for received, decided in (("2026-01-06T09:00:00Z", "2026-01-06T09:30:00Z"),
                              ("2026-01-06T09:00:00Z", "2026-01-06T12:00:00Z"),
                              ("2026-01-07T09:00:00Z", "2026-01-07T09:59:00Z")):
        decided_item(team, "Hate", "ana", received_at=received, decided_at=decided)
    text_item(team, "Hate", received_at="2026-01-01T00:00:00Z")  # waiting, breached today: not the period's
    figures = exports.report_figures(team, "lee", "2026-01-05", "2026-01-11")
    assert figures.sla == [{"queue": "Hate", "decided": 3, "within": 2, "breached": 1, "share": 2 / 3}]
    assert figures.within_sla == (2, 3)


def test_the_all_time_trend_covers_the_data_not_the_weeks_before_today(team, qapp, clock):
    """100k audits in Jan–Feb showed "No data": the trend was the 8 weeks before today."""
    for day in ("2026-01-06", "2026-01-14", "2026-02-20"):
        _audit(team, _decide(team, at=f"{day}T10:00:00Z"))
    clock.advance((parse("2026-12-06T09:00:00Z") - clock.now()).total_seconds())
    figures = exports.report_figures(team, "lee", None, None)
    weeks = [w["week"] for w in figures.trend]
    assert weeks[0] == "2026-W02" and weeks[-1] == "2026-W08" and figures.trend_notes == {}
    assert sum(w["n"] for w in figures.trend) == 3


def test_figures_of_any_size_are_printed_whole(week, tmp_path, monkeypatch):
    """n >= 10,000 was cut ("20,0…"): a summary figure is set smaller until it fits its tile."""
    figures = exports.report_figures(week, "lee", "2026-01-05", "2026-01-11")
    sla = [{"queue": "Hate", "decided": 123_456_789, "within": 100_000_000, "breached": 23_456_789, "share": 0.81}]
    big = dataclasses.replace(figures, sla=sla, overall={**figures.overall, "n": 20_012_345})
    drawn, _ = _drawn(monkeypatch)
    report_pdf.write_report(big, tmp_path / "big.pdf", author="Lee Morgan")
    for value in ("123,456,789", "20,012,345"):
        (text, kind, rect), *_ = [d for d in drawn if d[0] == value]
        assert kind.metrics.horizontalAdvance(text) <= rect.width()


def test_per_person_sections_are_ranked_paged_and_flagged(week, tmp_path, monkeypatch):
    """33 moderators made one unreadable, unranked chart; 50 must stay readable and say who is below target."""
    figures = exports.report_figures(week, "lee", "2026-01-05", "2026-01-11")
    team = [_group(f"mod{i:02d}", 200, 0.70 + i * 0.006, (0.64 + i * 0.006, 0.76 + i * 0.006)) for i in range(50)]
    many = dataclasses.replace(figures, by_moderator=team)
    charts = []
    real = report_pdf.place_chart
    monkeypatch.setattr(report_pdf, "place_chart", lambda flow, chart, mm: charts.append(chart) or real(
        flow, chart, mm))
    drawn, _ = _drawn(monkeypatch)
    report_pdf.write_report(many, tmp_path / "fifty.pdf", author="Lee Morgan")
    people = [c for c in charts if c.title.startswith("Accuracy by moderator")]
    assert len(people) >= 2 and all(len(c.labels) <= report_pdf.PEOPLE_PER_CHART for c in people)
    shown = [label.split(" (n=")[0] for c in people for label in c.labels]
    assert shown == [f"mod{i:02d}" for i in reversed(range(50))]  # every person once, best first
    assert all(c.target == pytest.approx(90.0) for c in people)
    assert report_pdf.target_flag(team[0], 0.9) == "clearly below"  # 70%, interval up to 76%
    assert report_pdf.target_flag(team[30], 0.9) == "below"  # 88%, interval reaching 94%
    assert report_pdf.target_flag(team[40], 0.9) == ""
    words = " ".join(text for text, _, _ in drawn)
    assert "ranks 1–" in " ".join(c.title for c in people) and "34 below it" in words


def test_page_one_is_filled_and_the_store_file_is_not_named(week, tmp_path, monkeypatch):
    drawn, flows = _drawn(monkeypatch)
    report_pdf.export_report(week, "lee", tmp_path / "week.pdf", since="2026-01-05", until="2026-01-11")
    flow = flows[0]
    first_page_end = max(y for y, _ in flow.pages[0])
    assert first_page_end > 0.6 * flow.height  # it was a third: a heading kept its whole table with it
    assert not any(Path(week.path).name in text for text, _, _ in drawn)


# ------------------------------------------------------ review findings: ties, count axes, the verify command
def test_people_with_equal_accuracy_and_n_share_a_rank(week, tmp_path, monkeypatch):
    """Tied people got different ranks (21, 22, 23) by the order of their names."""
    figures = exports.report_figures(week, "lee", "2026-01-05", "2026-01-11")
    team = [_group("ana", 100, 0.9, (0.83, 0.94)), _group("ben", 100, 0.8, (0.71, 0.86)),
            _group("cai", 100, 0.8, (0.71, 0.86)), _group("dev", 50, 0.8, (0.67, 0.89)),
            _group("eve", 100, 0.7, (0.6, 0.78)), _group("fay", 0, None, None)]
    tables = []
    real = report_pdf.table
    monkeypatch.setattr(report_pdf, "table", lambda flow, columns, rows, **k: tables.append((columns, rows)) or real(
        flow, columns, rows, **k))
    report_pdf.write_report(dataclasses.replace(figures, by_moderator=team), tmp_path / "ties.pdf", author="Lee")
    columns, rows = next((c, r) for c, r in tables if c[1].title == "Moderator")
    assert [(row[0], row[1]) for row in rows] == [("1", "ana"), ("2=", "ben"), ("2=", "cai"), ("4", "dev"),
                                                  ("5", "eve"), ("—", "fay")]  # no audits: not ranked


def test_count_axes_have_whole_number_ticks(week, tmp_path, monkeypatch):
    """One incorrect decision drew an error-type axis of 0, 0.25, 0.5, 0.75, 1."""
    from ui.widgets.charts import ink

    figures = exports.report_figures(week, "lee", "2026-01-05", "2026-01-11")
    one = dataclasses.replace(figures, overall={**figures.overall, "errors": {"missed_violation": 1}})
    charts = []
    real = report_pdf.place_chart
    monkeypatch.setattr(report_pdf, "place_chart", lambda flow, chart, mm: charts.append(chart) or real(
        flow, chart, mm))
    report_pdf.write_report(one, tmp_path / "one.pdf", author="Lee")
    counted = [c for c in charts if c.title.startswith(("Incorrect decisions", "Items decided"))]
    assert len(counted) == 2
    drawn = []
    real_text = ink.Ink.text
    monkeypatch.setattr(ink.Ink, "text", lambda self, rect, text, *a: drawn.append(text) or real_text(
        self, rect, text, *a))
    for chart in counted:
        drawn.clear()
        from ui.widgets import charts as chart_images

        chart_images.render(chart, light=True)
        ticks = [t for t in drawn if re.fullmatch(r"[\d.,]+", t)]
        assert ticks and all("." not in t for t in ticks), (chart.title, ticks)
    assert ink.axis_ticks(0, 1, "", count=4, whole=True) == [0, 1]
    assert all(float(t).is_integer() for t in ink.axis_ticks(0, 11, "", count=4, whole=True))


def test_the_printed_verify_command_says_which_store(week, tmp_path, monkeypatch):
    """"veil verify --expect N:HASH" fails without --store; the store's file name is still never printed."""
    drawn, _ = _drawn(monkeypatch)
    result = report_pdf.export_report(week, "lee", tmp_path / "w.pdf", since="2026-01-05", until="2026-01-11")
    words = " ".join(text for text, _, _ in drawn)
    assert f"veil verify --store YOUR-STORE --expect {result.head.events}:{result.head.hash}" in words
    assert Path(week.path).name not in words


def test_a_report_about_an_empty_month_is_one_page(week, tmp_path):
    """Empty sections kept a chart's height with their heading, pushing "People" alone onto a second page."""
    result = report_pdf.export_report(week, "lee", tmp_path / "nov.pdf", since="2026-11-01", until="2026-11-30")
    assert result.rows == 1
