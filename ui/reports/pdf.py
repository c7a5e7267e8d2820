"""The QA report as a PDF: a week's or a month's figures, laid out for a director to keep.

Painted with ``QPdfWriter`` + ``QPainter`` (Qt GUI only, no print support
module): A4 portrait, 18 mm margins, real text (searchable, copyable,
``pdftotext`` reads it) and vector charts (:mod:`ui.widgets.charts` painted straight
onto the page in the light palette, never a bitmap of anything).

Every figure is about the report's period, never "now": a report made
today about November says what happened in November.

Contents, in order: the title and period; a summary block (items decided,
share decided within SLA, audited, accuracy with its Wilson 95 % interval
and n, Cohen's kappa, disputes, gold, exposure); the weekly trend over the
period's data in whole ISO weeks (a period shorter than eight weeks is shown
after the weeks before it, for context; a week begun before the period is
marked "partly before the period"; an all-time report spans its data,
wherever it lies); SLA within the period (share of items answered by their
due time and breaches, by queue; an escalation answers the queue it left);
accuracy by queue; error types (whole-number count axes); the team's
exposure; last the people section — every moderator ranked by accuracy
(equal accuracy and n share a rank, "2="), flagged
below the organisation's accuracy target (``report.accuracy_target``), in
charts of at most :data:`PEOPLE_PER_CHART` rows so 50 people stay
readable, then the ranked table.

Every number comes from :func:`audit.exports.report_figures`, which takes
them from ``audit.metrics.assembly.build`` (formulas in docs/metrics.md); nothing is
recomputed here, only formatted; counts print in full with thousands
separators, and a summary figure too wide for its tile is set smaller,
never cut.

Exposure is shown as team totals only, never per person, even though the
report is a lead's action and a lead may see individuals in Veil: a PDF
leaves Veil (slides, e-mail), and one person's exposure figures are theirs
and their lead's, not a meeting's. The store's file name is not printed
(it says nothing to a reader and may name a machine or a person).

Under the title, in small type, the report names the head of the event log
its figures were read at ("Made from event N, hash …", with the full
``veil verify --expect N:HASH`` command): whoever keeps the PDF can later
prove that nothing up to that event was rewritten.

Laying the pages out is :mod:`ui.reports.pdf_layout`; this module says what
the report holds and writes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QGuiApplication, QPainter

from audit import exports
from audit.exports import ExportCancelled, ExportResult, Filters, ReportFigures
from audit.exports.about import period_label, when
from audit.exports.pseudonyms import for_store
from audit.exports.tables import ERROR_WORDS
from audit.exports.writers import anchor_words
from audit.targets import TargetsReport
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
from ui.reports.pdf_targets import report_targets, targets_section
from ui.reports.pdf_training import TrainingReport, report_training, training_section
from ui.reports.pdf_transparency import report_transparency, transparency_section
from ui.widgets.charts.bars import HBarChart, StackedHBarChart
from ui.widgets.charts.lines import LineChart

__all__ = ["export_report", "write_report"]

SEVERITY_ORDER = {name: -rank for rank, name in enumerate(SEVERITIES)}  # most harmful first
PEOPLE_PER_CHART = 25  # rows per per-person chart: 50 people are two or three charts, every row legible
MIN_ROWS_HERE = 8  # a people chart starts on the page in hand if at least this many rows fit, else on the next


# --------------------------------------------------------------- wording
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


def target_flag(group: dict[str, Any], target: float) -> str:
    """"clearly below" (the target) when even the interval's upper end is under *target*, "below" when the
    accuracy is, "" otherwise (or with no audits): a small n is not called a failure on its point value alone."""
    if group["accuracy"] is None:
        return ""
    ci = group.get("accuracy_ci95")
    if ci and ci[1] < target:
        return "clearly below"
    return "below" if group["accuracy"] < target else ""


def ranked(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best accuracy first (more audits first on a tie, then by name); people without audits last."""
    return sorted(groups, key=lambda g: (g["accuracy"] is None, -(g["accuracy"] or 0), -g["n"], g["key"]))


def ranks(people: Sequence[dict[str, Any]]) -> list[str]:
    """The rank of each of the :func:`ranked` *people*: equal accuracy and n share one ("2=", "2=", then "4":
    the order of their names is not a difference in their work); "—" for someone without audits (not ranked)."""
    keys = [(g["accuracy"], g["n"]) for g in people]
    return ["—" if key[0] is None else f"{keys.index(key) + 1:,}" + ("=" if keys.count(key) > 1 else "")
            for key in keys]


# -------------------------------------------------------------- sections
def _title(flow: Flow, figures: ReportFigures, author: str, pseudonymised: bool) -> None:
    period = period_label(figures.since, figures.until)
    title_h, sub_h = flow.title.metrics.height(), flow.subtitle.metrics.height()
    names = " People are named by stable pseudonyms." if pseudonymised else ""
    meta = (f"Generated {when(figures.generated_at)} by {author}. Every figure is about the period: decisions are "
            "counted by when they were made (UTC). Accuracy is the share of audited decisions whose final verdict "
            "(after disputes) is correct, with its Wilson 95% interval and n; formulas in docs/metrics.md."
            f"{names}")
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
    within, decided = figures.within_sla
    on_screen = ex["blurred_ms"] + ex["revealed_ms"] + ex["region_ms"]
    revealed = ex["revealed_ms"] + ex["region_ms"]
    tiles(flow, [
        ("Items decided", f"{decided:,}", "decided (or escalated) in the period"),
        ("Within SLA", _pct(within / decided if decided else None),
         f"{within:,} of {decided:,} decided by their due time; {decided - within:,} breached" if decided
         else "no items decided in the period"),
        ("Audited", f"{o['n']:,}", "decisions re-scored blind by QA"),
        ("Accuracy", _pct(o["accuracy"]),
         f"95% CI {_ci(o['accuracy_ci95'])} · n\u00a0=\u00a0{o['n']:,}" if o["n"] else "no audited decisions"),
    ])
    tiles(flow, [
        ("Cohen's κ", _num(o["cohen_kappa"]), f"{kappa_words(o['cohen_kappa'])}, moderator vs blind auditor"),
        ("Disputes", f"{disputes['opened']:,}",
         f"{disputes['upheld']:,} upheld, {disputes['overturned']:,} overturned, {disputes['open']:,} open"),
        ("Gold accuracy", _pct(gold["accuracy"]),
         f"95% CI {_ci(gold['accuracy_ci95'])} · n\u00a0=\u00a0{gold['n']:,}" if gold["n"]
         else "no gold items decided"),
        ("Items viewed", f"{ex['items']:,}",
         f"{short_duration(on_screen)} on screen, {_pct(revealed / on_screen)} revealed" if on_screen
         else "no exposure recorded"),
    ])


def _accuracy_chart(title: str, groups: list[dict[str, Any]], target: float | None) -> HBarChart:
    return HBarChart(
        title, [f"{g['key']} (n={g['n']:,})" for g in groups],
        [None if g["accuracy"] is None else 100 * g["accuracy"] for g in groups],
        [None if not g["accuracy_ci95"] else (100 * g["accuracy_ci95"][0], 100 * g["accuracy_ci95"][1])
         for g in groups], unit="%", axis="% of audited decisions correct · whiskers: Wilson 95% interval",
        target=None if target is None else 100 * target)


def _chart_mm(rows: int, row_mm: float = 7) -> float:
    return 30 + row_mm * max(1, rows)


def _queue_section(flow: Flow, figures: ReportFigures) -> None:
    groups = ranked(figures.by_queue)
    chart_mm = _chart_mm(len(groups))
    heading(flow, "Accuracy by queue", "Audited decisions by the queue they were decided in, best first. A small n "
                                       "gives a wide interval: read the interval, not only the bar.",
            together(flow, chart_mm, len(groups)))
    if groups:
        place_chart(flow, _accuracy_chart("Accuracy by queue", groups, figures.accuracy_target), chart_mm)
    table(flow, [Column("Queue", 3.2, right=False), Column("n", 1), Column("Accuracy", 1.3),
                 Column("95% CI", 1.9), Column("κ", 0.9), Column("Score", 1.1), Column("Disputes", 1.3)],
          [[g["key"], f"{g['n']:,}", _pct(g["accuracy"]), _ci(g["accuracy_ci95"]), _num(g["cohen_kappa"]),
            _num(g["mean_score"], 1), f"{g['disputes']['opened']:,}"] for g in groups],
          empty="No audited decisions in this period, so no accuracy by queue.")


def _people_section(flow: Flow, figures: ReportFigures) -> None:
    """Every moderator, ranked, in charts of at most PEOPLE_PER_CHART rows (the first as many as fit the page in
    hand, so the section does not leave half a page empty), then one ranked table with the flags."""
    people = ranked(figures.by_moderator)
    target = figures.accuracy_target
    flags = [target_flag(g, target) for g in people]
    below = sum(1 for f in flags if f)
    lead = (f"{len(people):,} moderators ranked by accuracy, best first; the dashed line is the organisation's "
            f"target of {_pct(target, 0)}. {below:,} below it" + (", marked in the table" if below else "") +
            ("; 'clearly below' when even the interval's upper end is under it." if below else ".")
            if people else f"Moderators ranked by accuracy against the organisation's target of {_pct(target, 0)}.")
    heading(flow, "People: accuracy by moderator", lead,  # an empty section keeps only its one line with it
            flow.mm(_chart_mm(min(len(people), MIN_ROWS_HERE), 6) + 3) if people else flow.body.metrics.height())
    if not people:
        paragraph(flow, "No audited decisions in this period, so no accuracy by moderator.", flow.body)
        return
    first = 0
    while first < len(people):
        room = int((flow.space() / flow.mm(1) - 33) // 6)  # rows that fit on this page (the first chart's)
        size = min(PEOPLE_PER_CHART, len(people) - first, room if room >= MIN_ROWS_HERE else PEOPLE_PER_CHART)
        chunk = people[first:first + size]
        title = "Accuracy by moderator" + (f", ranks {first + 1}–{first + size} of {len(people)}"
                                           if size < len(people) else "")
        place_chart(flow, _accuracy_chart(title, chunk, target), _chart_mm(size, 6))
        first += size
    table(flow, [Column("#", 0.5), Column("Moderator", 2.0, right=False), Column("n", 0.9),
                 Column("Accuracy", 1.3), Column("95% CI", 1.6), Column("κ", 0.6), Column("Disputes", 1.1),
                 Column("vs target", 1.6, right=False)],
          [[rank, g["key"], f"{g['n']:,}", _pct(g["accuracy"]), _ci(g["accuracy_ci95"]),
            _num(g["cohen_kappa"]), f"{g['disputes']['opened']:,}", flag or ("—" if g["accuracy"] is None else "met")]
           for rank, g, flag in zip(ranks(people), people, flags)],
          empty="", marked=[bool(f) for f in flags])


def _errors_section(flow: Flow, figures: ReportFigures) -> None:
    errors = figures.overall["errors"]
    wrong = sum(errors.values())
    audited = figures.overall["n"]
    names = [ERROR_WORDS.get(e, e).capitalize() for e in errors]
    chart_mm = 30 + 8 * max(1, len(errors))
    heading(flow, "Error types", "Final error type of each audited decision judged incorrect (after disputes).",
            together(flow, chart_mm, len(errors)))
    if not errors:
        paragraph(flow, "No incorrect decisions among the audited ones in this period.", flow.body)
        return
    place_chart(flow, HBarChart("Incorrect decisions by error type", names, list(errors.values()),
                                axis="audited decisions judged incorrect", counts=True), chart_mm)
    table(flow, [Column("Error type", 3, right=False), Column("Count", 1), Column("Share of errors", 1.6),
                 Column("Share of audited", 1.6)],
          [[name, f"{count:,}", _pct(count / wrong), _pct(count / audited if audited else None)]
           for name, count in zip(names, errors.values())], empty="")


def _trend_section(flow: Flow, figures: ReportFigures) -> None:
    trend = figures.trend
    chart = LineChart(
        "Accuracy per week · shaded: Wilson 95% interval", [w["week"] for w in trend],
        {"Accuracy": [None if w["accuracy"] is None else 100 * w["accuracy"] for w in trend]},
        {"Accuracy": [None if not w["accuracy_ci95"] else (100 * w["accuracy_ci95"][0], 100 * w["accuracy_ci95"][1])
                      for w in trend]}, unit="%", x_title="ISO week (Monday to Sunday, UTC)",
        y_title="accuracy")
    notes = figures.trend_notes
    before = sum(1 for note in notes.values() if note == "before the period")
    partly = [week for week, note in notes.items() if note == "partly before the period"]
    context = (f" The first {before} week{'s' if before != 1 else ''} come{'s' if before == 1 else ''} before the "
               "period, for context." if before else "")
    if partly:
        context += (f" Week {partly[0]} began before the period: its figures include days from before it "
                    "(weeks are whole ISO weeks).")
    heading(flow, "Weekly trend", "Accuracy per ISO week over the period's audited decisions; a week without "
                                  f"audits is a gap, not a zero.{context}",
            together(flow, 66, len(trend)) if trend else 0)
    if not trend:
        paragraph(flow, "No audited decisions in this period, so no trend.", flow.body)
        return
    place_chart(flow, chart, 66)
    table(flow, [Column("Week", 3.4, right=False), Column("n", 1), Column("Accuracy", 1.3), Column("95% CI", 2)],
          [[w["week"] + (f" ({notes[w['week']]})" if w["week"] in notes else ""), f"{w['n']:,}",
            _pct(w["accuracy"]), _ci(w["accuracy_ci95"])] for w in trend],
          empty="No audited decisions in these weeks.")


def _sla_section(flow: Flow, figures: ReportFigures) -> None:
    queues = sorted(figures.sla, key=lambda q: (-q["breached"], q["queue"]))
    within, decided = figures.within_sla
    chart = StackedHBarChart(
        "Items decided in the period, by queue", [q["queue"] for q in queues],
        {"Within SLA": [q["within"] for q in queues], "Breached": [q["breached"] for q in queues]},
        {"Within SLA": "accent", "Breached": "breached"}, axis="items decided in the period",
        value_labels=[f"{_pct(q['share'])} within SLA" for q in queues], counts=True)
    chart_mm = min(120.0, _chart_mm(len(queues)))
    share = (f"Of the {decided:,} items decided in the period, {_pct(within / decided)} were decided"
             if decided else "Items decided in the period, and how many were decided")
    heading(flow, "SLA in the period", f"{share} by their due time (the queue's SLA from arrival). An escalation "
                                       "counts for the queue it left, against the due time the item had there; "
                                       "a lead's decision on it for the escalation queue, against that queue's. "
                                       "Breached: answered after it. Most breaches first.",
            together(flow, chart_mm, len(queues)))
    if not queues:
        paragraph(flow, "No items were decided in this period.", flow.body)
        return
    place_chart(flow, chart, chart_mm)
    table(flow, [Column("Queue", 3.4, right=False), Column("Decided", 1.2), Column("Within SLA", 1.2),
                 Column("Breached", 1.2), Column("Share within", 1.4)],
          [[q["queue"], f"{q['decided']:,}", f"{q['within']:,}", f"{q['breached']:,}", _pct(q["share"])]
           for q in queues], empty="")


def _exposure_section(flow: Flow, figures: ReportFigures) -> None:
    ex = figures.exposure
    on_screen = ex["blurred_ms"] + ex["revealed_ms"] + ex["region_ms"]
    revealed = ex["revealed_ms"] + ex["region_ms"]
    people = f" over {ex['people']} {'person' if ex['people'] == 1 else 'people'}" if ex["people"] else ""
    heading(flow, "Team exposure", f"Measured by Veil while items were on screen: team totals{people}, "
                                   "never per person (this report leaves Veil).",
            flow.mm(30) + row_height(flow) * (len(ex["by_severity"]) + 1) if ex["items"]
            else flow.body.metrics.height())
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
def write_report(figures: ReportFigures, out: str | os.PathLike, *, author: str, pseudonymised: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, targets: TargetsReport | None = None,
                 transparency: dict[str, Any] | None = None, training: TrainingReport | None = None) -> int:
    """Write the report PDF to *out* (a staged temporary file: :func:`export_report`); return the page count.

    Needs a ``QGuiApplication`` (fonts); safe on a worker thread. Raises
    :class:`~audit.exports.ExportCancelled` when *cancelled* turns true.
    """
    if QGuiApplication.instance() is None:  # Qt would abort the process on the first font
        raise RuntimeError("write_report needs a QGuiApplication (for fonts); create one first")
    period = period_label(figures.since, figures.until)
    writer = a4_writer(str(out), f"Veil QA report — {period}")
    flow = Flow(writer)
    _title(flow, figures, author, pseudonymised)
    _summary(flow, figures)
    _trend_section(flow, figures)
    _sla_section(flow, figures)
    _queue_section(flow, figures)
    _errors_section(flow, figures)
    _exposure_section(flow, figures)
    if targets is not None:  # ui.reports.pdf_targets: each person and queue against targets, cost per decision
        targets_section(flow, targets)
    if transparency is not None:  # ui.reports.pdf_transparency: the DSA counts of the period
        transparency_section(flow, transparency)
    if training is not None:  # ui.reports.pdf_training: courses' success rates and trainees (issue 17)
        training_section(flow, training)
    _people_section(flow, figures)  # last: with 50 people it runs over pages, and nothing waits behind it
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
    targets = report_targets(store, lead, since, until, names)
    author = names.name(lead.name, "lead") if names else lead.display_name
    with exports.staging(out) as files:  # the report appears only once its event is stored
        pages = write_report(figures, files.path, author=author or lead.name, pseudonymised=pseudonymise,
                             progress=progress, cancelled=cancelled, targets=targets,
                             transparency=report_transparency(store, lead, since, until),
                             training=report_training(store, lead, since, until, names))
        if not record:
            return ExportResult(Path(out), pages, "pdf", figures.head, files)
        exports.log_export(store, lead, "report", "pdf", out, filters, pseudonymise, head=figures.head, pages=pages)
        files.publish()
    return ExportResult(Path(out), pages, "pdf", figures.head)
