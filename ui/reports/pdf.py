"""The QA report as a PDF: a week's or a month's figures, laid out for a manager's slide.

Painted with ``QPdfWriter`` + ``QPainter`` (Qt GUI only, no print support
module): A4 portrait, 18 mm margins, real text (searchable, copyable,
``pdftotext`` reads it) and vector charts (:mod:`ui.widgets.charts` painted straight
onto the page in the light palette, never a bitmap of anything).

Contents, in order: the title and period; a summary block (items decided,
audited, accuracy with its Wilson 95 % interval and n, Cohen's kappa,
disputes, gold, SLA now, exposure); accuracy by moderator and by queue
(chart with intervals, then the table with n); error types; the weekly
trend (the eight weeks up to the period's end, so a week's report still
shows where it sits); SLA per queue (a snapshot at generation time: queue
health is live, it has no history); the team's exposure.

Every number comes from :func:`audit.exports.report_figures`, which takes
them from ``audit.metrics.assembly.build`` (formulas in docs/metrics.md); nothing is
recomputed here, only formatted.

Exposure is shown as team totals only, never per person, even though the
report is a lead's action and a lead may see individuals in Veil: a PDF
leaves Veil (slides, e-mail), and one person's exposure figures are theirs
and their lead's, not a meeting's.

Under the title, in small type, the report names the head of the event log
its figures were read at ("Made from event N, hash …", with the full
``veil verify --expect N:HASH`` command): whoever keeps the PDF can later
prove that nothing up to that event was rewritten.

Laying the pages out is :mod:`ui.reports.pdf_layout`; this module says what
the report holds and writes it.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QGuiApplication, QPainter

from audit import exports
from audit.exports import ExportCancelled, ExportResult, Filters, ReportFigures
from audit.exports.pseudonyms import for_store
from audit.exports.writers import anchor_words
from review.clock import parse
from review.store import Store, User
from review.taxonomy import SEVERITIES
from review.wellbeing.durations import short_duration
from ui.reports.pdf_layout import (
    INK,
    Column,
    Flow,
    a4_writer,
    draw_text,
    footer,
    heading,
    paragraph,
    place_chart,
    row_height,
    table,
    tiles,
    together,
)
from ui.widgets.charts.bars import HBarChart, StackedHBarChart
from ui.widgets.charts.lines import LineChart

__all__ = ["export_report", "period_label", "write_report"]

ERROR_NAMES = {"missed_violation": "Missed violation", "over_enforcement": "Over-enforcement",
               "wrong_label": "Wrong label", "wrong_action": "Wrong action", "procedural": "Procedural"}
SEVERITY_ORDER = {name: -rank for rank, name in enumerate(SEVERITIES)}  # most harmful first


# --------------------------------------------------------------- wording
def period_label(since: str | None, until: str | None) -> str:
    """"Week 47, 2026 (16–22 Nov)", "November 2026", "3 Nov – 12 Nov 2026" or "All time"."""
    first = parse(since).date() if since else None
    last = parse(until).date() if until else None
    if first and last:
        year, week, weekday = first.isocalendar()
        if weekday == 1 and last == first + _dt.timedelta(days=6):
            return f"Week {week}, {year} ({first.day} {first:%b} – {last.day} {last:%b %Y})"
        if first.day == 1 and last == first.replace(day=calendar.monthrange(first.year, first.month)[1]):
            return f"{first:%B %Y}"
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first:
        return f"Since {first.day} {first:%b %Y}"
    if last:
        return f"Up to {last.day} {last:%b %Y}"
    return "All time"


def _pct(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{decimals}f}%"


def _ci(ci: Sequence[float] | None) -> str:
    return "—" if not ci else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def kappa_words(kappa: float | None) -> str:
    """Landis & Koch (1977) descriptors, the usual plain-words reading of kappa."""
    if kappa is None:
        return "no audits"
    if kappa < 0:
        return "poor agreement"
    for bound, words in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if kappa <= bound:
            return f"{words} agreement"
    return "almost perfect agreement"


def _when(iso_text: str) -> str:
    moment = parse(iso_text)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"

# -------------------------------------------------------------- sections
def _title(flow: Flow, figures: ReportFigures, store_name: str, author: str) -> None:
    period = period_label(figures.since, figures.until)
    title_h, sub_h = flow.title.metrics.height(), flow.subtitle.metrics.height()
    meta = (f"Generated {_when(figures.generated_at)} by {author} from {store_name}. Decisions are counted by when "
            "they were made (UTC). Accuracy is the share of audited decisions whose final verdict (after disputes) "
            "is correct, with its Wilson 95% interval and n; formulas in docs/metrics.md.")
    meta_h = flow.text_height(meta, flow.small)
    anchor = anchor_words(figures.head)
    anchor_h = flow.text_height(anchor, flow.small)

    def paint(p: QPainter, y: float) -> None:
        p.fillRect(QRectF(0, y, flow.mm(14), flow.mm(1.2)), QColor(INK["accent"]))
        y += flow.mm(3)
        draw_text(p, QRectF(0, y, flow.width, title_h), "QA report", flow.title)
        draw_text(p, QRectF(0, y + title_h, flow.width, sub_h), period, flow.subtitle, INK["muted"])
        y += title_h + sub_h + flow.mm(2)
        draw_text(p, QRectF(0, y, flow.width, meta_h), meta, flow.small, INK["muted"])
        draw_text(p, QRectF(0, y + meta_h + flow.mm(1), flow.width, anchor_h), anchor, flow.small, INK["muted"])

    flow.place(flow.mm(3) + title_h + sub_h + flow.mm(2) + meta_h + flow.mm(1) + anchor_h, paint, flow.mm(6))


def _summary(flow: Flow, figures: ReportFigures) -> None:
    o, ex = figures.overall, figures.exposure
    disputes, gold = o["disputes"], o["gold"]
    breached = sum(q["breached"] for q in figures.sla)
    at_risk = sum(q["at_risk"] for q in figures.sla)
    waiting = sum(q["waiting"] for q in figures.sla)
    on_screen = ex["blurred_ms"] + ex["revealed_ms"] + ex["region_ms"]
    revealed = ex["revealed_ms"] + ex["region_ms"]
    tiles(flow, [
        ("Items decided", f"{figures.decided:,}", "with a current decision made in the period"),
        ("Audited", f"{o['n']:,}", "decisions re-scored blind by QA"),
        ("Accuracy", _pct(o["accuracy"]),
         f"95% CI {_ci(o['accuracy_ci95'])} · n\u00a0=\u00a0{o['n']:,}" if o["n"] else "no audited decisions"),
        ("Cohen's κ", _num(o["cohen_kappa"]), f"{kappa_words(o['cohen_kappa'])}, moderator vs blind auditor"),
    ])
    tiles(flow, [
        ("Disputes", f"{disputes['opened']:,}",
         f"{disputes['upheld']} upheld, {disputes['overturned']} overturned, {disputes['open']} open"),
        ("Gold accuracy", _pct(gold["accuracy"]),
         f"95% CI {_ci(gold['accuracy_ci95'])} · n\u00a0=\u00a0{gold['n']:,}" if gold["n"]
         else "no gold items decided"),
        ("SLA breached now", f"{breached:,}", f"{at_risk:,} at risk of {waiting:,} waiting, at generation time"),
        ("Items viewed", f"{ex['items']:,}",
         f"{short_duration(on_screen)} on screen, {_pct(revealed / on_screen)} revealed" if on_screen
         else "no exposure recorded"),
    ])


def _accuracy_section(flow: Flow, title: str, what: str, groups: list[dict]) -> None:
    groups = sorted(groups, key=lambda g: (-g["n"], g["key"]))
    chart = HBarChart(
        "Bars: accuracy · whiskers: Wilson 95% interval", [g["key"] for g in groups],
        [None if g["accuracy"] is None else 100 * g["accuracy"] for g in groups],
        [None if not g["accuracy_ci95"] else (100 * g["accuracy_ci95"][0], 100 * g["accuracy_ci95"][1])
         for g in groups], unit="%")
    chart_mm = min(110.0, 26 + 10 * max(1, len(groups)))
    who = "who made them" if what == "moderator" else "they were decided in"
    heading(flow, title, f"Audited decisions by the {what} {who}. A small n gives a wide interval: read the "
                         "interval, not only the bar.", together(flow, chart_mm, len(groups)))
    place_chart(flow, chart, chart_mm)
    table(flow, [Column(what.capitalize(), 3.2, right=False), Column("n", 0.8), Column("Accuracy", 1.3),
                 Column("95% CI", 1.9), Column("κ", 0.9), Column("Score", 1.1), Column("Disputes", 1.3)],
          [[g["key"], f"{g['n']:,}", _pct(g["accuracy"]), _ci(g["accuracy_ci95"]), _num(g["cohen_kappa"]),
            _num(g["mean_score"], 1), str(g["disputes"]["opened"])] for g in groups],
           empty=f"No audited decisions in this period, so no accuracy by {what}.")


def _errors_section(flow: Flow, figures: ReportFigures) -> None:
    errors = figures.overall["errors"]
    wrong = sum(errors.values())
    audited = figures.overall["n"]
    names = [ERROR_NAMES.get(e, e) for e in errors]
    chart_mm = 24 + 10 * max(1, len(errors))
    heading(flow, "Error types", "Final error type of each audited decision judged incorrect (after disputes).",
            together(flow, chart_mm, len(errors)))
    if not errors:
        paragraph(flow, "No incorrect decisions among the audited ones in this period.", flow.body)
        return
    place_chart(flow, HBarChart("Incorrect decisions", names, list(errors.values())), chart_mm)
    table(flow, [Column("Error type", 3, right=False), Column("Count", 1), Column("Share of errors", 1.6),
                 Column("Share of audited", 1.6)],
          [[name, str(count), _pct(count / wrong), _pct(count / audited if audited else None)]
            for name, count in zip(names, errors.values())], empty="")


def _trend_section(flow: Flow, figures: ReportFigures) -> None:
    trend = figures.trend
    chart = LineChart(
        "Accuracy per week · shaded: Wilson 95% interval", [w["week"] for w in trend],
        {"Accuracy": [None if w["accuracy"] is None else 100 * w["accuracy"] for w in trend]},
        {"Accuracy": [None if not w["accuracy_ci95"] else (100 * w["accuracy_ci95"][0], 100 * w["accuracy_ci95"][1])
                      for w in trend]}, unit="%")
    heading(flow, "Weekly trend", f"Accuracy per ISO week (Monday to Sunday, UTC) over the {exports.TREND_WEEKS} "
                                  "weeks up to the end of the period; a week without audits is a gap, not a zero.",
            together(flow, 66, len(trend)))
    place_chart(flow, chart, 66)
    table(flow, [Column("Week", 2, right=False), Column("n", 1), Column("Accuracy", 1.3), Column("95% CI", 2)],
          [[w["week"], f"{w['n']:,}", _pct(w["accuracy"]), _ci(w["accuracy_ci95"])] for w in trend],
           empty="No audited decisions in these weeks.")


def _sla_section(flow: Flow, figures: ReportFigures) -> None:
    queues = [q for q in figures.sla if q["kind"] != "audit"]
    chart = StackedHBarChart(
        "Items waiting now", [q["queue"] for q in queues],
        {"Breached": [q["breached"] for q in queues], "At risk": [q["at_risk"] for q in queues],
         "On time": [q["waiting"] - q["breached"] - q["at_risk"] for q in queues]},
        {"Breached": "breached", "At risk": "at_risk", "On time": "faint"})
    chart_mm = min(100.0, 24 + 9 * max(1, len(queues)))
    heading(flow, "SLA", f"Queue health at {_when(figures.generated_at)} (a live figure with no history). "
                         "Breached: waiting past the due time; at risk: due within the next quarter of the SLA.",
            together(flow, chart_mm, len(queues)))
    place_chart(flow, chart, chart_mm)
    table(flow, [Column("Queue", 3.4, right=False), Column("Waiting", 1.2), Column("Breached", 1.2),
                 Column("At risk", 1.2), Column("Decided", 1.2)],
          [[q["queue"], f"{q['waiting']:,}", f"{q['breached']:,}", f"{q['at_risk']:,}",
            f"{figures.decided_by_queue.get(q['queue'], 0):,}"] for q in queues], empty="No queues.")


def _exposure_section(flow: Flow, figures: ReportFigures) -> None:
    ex = figures.exposure
    on_screen = ex["blurred_ms"] + ex["revealed_ms"] + ex["region_ms"]
    revealed = ex["revealed_ms"] + ex["region_ms"]
    people = f" over {ex['people']} {'person' if ex['people'] == 1 else 'people'}" if ex["people"] else ""
    heading(flow, "Team exposure", f"Measured by Veil while items were on screen: team totals{people}, "
                                   "never per person (this report leaves Veil).",
            flow.mm(30) + row_height(flow) * (len(ex["by_severity"]) + 1))
    if not ex["items"]:
        paragraph(flow, "No exposure was recorded in this period.", flow.body)
        return
    per_day = on_screen / ex["person_days"] if ex["person_days"] else 0
    tiles(flow, [
        ("Time on screen", short_duration(on_screen), f"{short_duration(per_day)} per person per working day"),
        ("Revealed", _pct(revealed / on_screen if on_screen else None),
         f"{short_duration(revealed)} unblurred by a deliberate reveal"),
        ("Video played", short_duration(ex["video_ms"]), "blurred or revealed, always muted at start"),
        ("Breaks", f"{ex['breaks_taken']:,}", f"{ex['breaks_enforced']} enforced, {ex['snoozes']} snoozes"),
    ])
    table(flow, [Column("Severity", 2.4, right=False), Column("Items", 1), Column("On screen", 1.4),
                 Column("Revealed", 1.4), Column("Revealed share", 1.6)],
          [[s["severity"], f"{s['items']:,}", short_duration(s["on_screen_ms"]), short_duration(s["revealed_ms"]),
            _pct(s["revealed_ms"] / s["on_screen_ms"] if s["on_screen_ms"] else None)]
            for s in sorted(ex["by_severity"], key=lambda s: SEVERITY_ORDER.get(s["severity"], len(SEVERITY_ORDER)))],
           empty="")

# ------------------------------------------------------------------- API
def write_report(figures: ReportFigures, out: str | os.PathLike, *, store_name: str, author: str,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> int:
    """Write the report PDF to *out* (a staged temporary file: :func:`export_report`); return the page count.

    Needs a ``QGuiApplication`` (fonts); safe on a worker thread. Raises
    :class:`~audit.exports.ExportCancelled` when *cancelled* turns true.
    """
    if QGuiApplication.instance() is None:  # Qt would abort the process on the first font
        raise RuntimeError("write_report needs a QGuiApplication (for fonts); create one first")
    period = period_label(figures.since, figures.until)
    writer = a4_writer(str(out), f"Veil QA report — {period}")
    flow = Flow(writer)
    _title(flow, figures, store_name, author)
    _summary(flow, figures)
    _accuracy_section(flow, "Accuracy by moderator", "moderator", figures.by_moderator)
    _accuracy_section(flow, "Accuracy by queue", "queue", figures.by_queue)
    _errors_section(flow, figures)
    _trend_section(flow, figures)
    _sla_section(flow, figures)
    _exposure_section(flow, figures)
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write a PDF at {out}")
    try:
        for number, blocks in enumerate(flow.pages, 1):
            if cancelled is not None and cancelled():
                raise ExportCancelled()
            if number > 1:
                writer.newPage()
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            for y, paint in blocks:
                paint(painter, y)
            footer(painter, flow, number, len(flow.pages), period)
            if progress is not None:
                progress(number, len(flow.pages))
    finally:
        painter.end()
    return len(flow.pages)


def export_report(store: Store, who: User | str, out: str | os.PathLike, *, since: str | None = None,
                  until: str | None = None, pseudonymise: bool = False,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None, record: bool = True) -> ExportResult:
    """A lead writes the report for [since, until] to *out*; logged as ``export.written``
    (by the caller, on its writer, with ``record=False``: see :func:`audit.exports.export`). The file appears
    only once its event is stored."""
    lead = exports.require_lead(store, who)
    exports.check_output(store, out)
    filters = Filters(since=since, until=until)
    filters.window()
    names = for_store(store, lead.name) if pseudonymise else None
    figures = exports.report_figures(store, lead, since, until, names)
    author = names.name(lead.name, "lead") if names else lead.display_name
    with exports.staging(out) as files:  # the report appears only once its event is stored
        pages = write_report(figures, files.path, store_name=Path(store.path).name, author=author,
                             progress=progress, cancelled=cancelled)
        if not record:
            return ExportResult(Path(out), pages, "pdf", figures.head, files)
        exports.log_export(store, lead, "report", "pdf", out, filters, pseudonymise, head=figures.head, pages=pages)
        files.publish()
    return ExportResult(Path(out), pages, "pdf", figures.head)
