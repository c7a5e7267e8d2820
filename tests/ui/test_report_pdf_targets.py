"""The report's "Targets and cost" section: present, flagged against targets, pseudonymised with the report."""

from __future__ import annotations

import pytest

from audit import costs
from review import settings
from tests.ui.test_report_pdf import PDFTOTEXT, _text, team, week  # noqa: F401  (fixtures)
from ui.reports import pdf as report_pdf

pytestmark = pytest.mark.skipif(not PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")


def test_the_section_shows_each_queue_flagged_against_its_target(week, tmp_path):  # noqa: F811
    settings.write(week, "lee", costs.COST_PER_HOUR, {"currency": "EUR", "roles": {"moderator": 30}})
    out = tmp_path / "week.pdf"
    report_pdf.export_report(week, "lee", out, since="2026-01-05", until="2026-01-11")
    text = _text(out)
    assert "Targets and cost" in text and "Cost per decision (EUR)" in text
    # Hate: 3 items answered, none by its 1-hour due time: 0% [0–56] n=3, too few to judge (targets.MIN_SHARE_N)
    lines = text.splitlines()
    hate = next(i for i, line in enumerate(lines) if line.split()[:4] == ["Hate", "per", "active", "hour"])
    assert lines[hate + 2].split() == ["within", "SLA", "0%", "0–56%", "3", "90%", "not", "enough", "data"]
    assert "2026-W02" in text


def test_pseudonymised_reports_name_nobody_in_the_section(week, tmp_path):  # noqa: F811
    out = tmp_path / "p.pdf"
    report_pdf.export_report(week, "lee", out, pseudonymise=True)
    text = _text(out)
    section = text[text.index("Targets and cost"):]
    assert "ana" not in section.split() and "ben" not in section.split()
