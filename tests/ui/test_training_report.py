"""The PDF report's Training section (issue 17): per course the success rate, per person the attempts."""

from __future__ import annotations

import pytest
from builders import text_item

from audit import gold
from audit.training import attempts, courses
from tests.ui.test_report_pdf import PDFTOTEXT, _text, team, week  # noqa: F401  (fixtures)
from ui.reports import pdf as report_pdf

pytestmark = pytest.mark.skipif(PDFTOTEXT is None, reason="needs pdftotext (poppler-utils)")


def _trained(store):
    item = text_item(store, "Spam & scams", external_id="gold-1", text="simulated spam")
    gold.add_gold(store, "lee", item, "remove", ["spam"], explanation="selling followers")
    courses.save_course(store, "lee", "Spam basics", [item], taxonomy_version=1)
    for action, labels in (("no_violation", []), ("remove", ["spam"])):  # fails once, then passes
        attempt = attempts.start(store, "ana", "Spam basics")
        attempts.answer(store, "ana", attempt.id, 1, action, labels)


def test_the_section_shows_the_success_rate_and_each_trainees_attempts(week, tmp_path):  # noqa: F811
    _trained(week)
    out = tmp_path / "r.pdf"
    report_pdf.export_report(week, "lee", out)
    text = _text(out)
    assert "Training" in text and "passed within 2 attempts" in text
    line = next(row for row in text.splitlines() if row.strip().startswith("Spam basics"))
    assert line.split()[2:6] == ["1", "2", "1", "100%"]  # trainees, attempts, passed, success
    assert any("Ana" in row or "ana" in row for row in text.splitlines() if "0%, 100%" in row)


def test_a_period_without_training_has_no_section(week, tmp_path):  # noqa: F811
    _trained(week)  # at the fake clock's time, January 2026
    out = tmp_path / "nov.pdf"
    report_pdf.export_report(week, "lee", out, since="2025-11-01", until="2025-11-30")
    assert "Spam basics" not in _text(out)
