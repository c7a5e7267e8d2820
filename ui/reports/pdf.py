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

Layout is two passes: blocks are measured and placed on pages first (so
the footer can say "page 2 of 4" and a heading never ends a page), then
painted. A cancel is checked between blocks; the file is written under a
temporary name (:func:`audit.exports.atomic_output`) so a cancelled or
failed report leaves nothing behind.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from audit import exports
from audit.exports import ExportCancelled, ExportResult, Filters, ReportFigures
from audit.exports.pseudonyms import for_store
from review.clock import parse
from review.store import Store, User
from review.taxonomy import SEVERITIES
from review.wellbeing import format_duration
from ui.widgets import charts

__all__ = ["export_report", "period_label", "write_report"]

DPI = 300
MARGINS_MM = QMarginsF(18, 16, 18, 16)
INK = {"text": "#23272d", "muted": "#5b626b", "rule": "#d9dde2", "zebra": "#f4f6f8", "tile": "#f1f4f7",
       "accent": charts.LIGHT.named["accent"]}
ERROR_NAMES = {"missed_violation": "Missed violation", "over_enforcement": "Over-enforcement",
               "wrong_label": "Wrong label", "wrong_action": "Wrong action", "procedural": "Procedural"}
SEVERITY_ORDER = {name: -rank for rank, name in enumerate(SEVERITIES)}  # most harmful first
CHART_LOGICAL_WIDTH = 800  # charts are painted at this width, then scaled to the page width
CHART_TEXT_SCALE = 1.15  # ~8.5 pt chart labels next to 9.5 pt body text

Paint = Callable[[QPainter, float], None]


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


def _duration(ms: float) -> str:
    """Seconds under a minute (a 30 s reveal is not "0 min"), else the app's calm minutes and hours."""
    return f"{round(ms / 1000)} s" if ms < 60_000 else format_duration(ms)


def _when(iso_text: str) -> str:
    moment = parse(iso_text)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


# ---------------------------------------------------------------- layout
@dataclass(frozen=True)
class _Type:
    font: QFont
    metrics: QFontMetricsF


class _Flow:
    """Places measured blocks down pages; painting happens later, once the page count is known."""

    def __init__(self, writer: QPdfWriter):
        self.writer = writer
        self.width = float(writer.width())
        self.footer = self.mm(9)
        self.height = float(writer.height()) - self.footer
        self.pages: list[list[tuple[float, Paint]]] = [[]]
        self.y = 0.0
        family = QFont().family()
        self.title = self._type(family, 24, bold=True)
        self.subtitle = self._type(family, 14)
        self.h2 = self._type(family, 13, bold=True)
        self.body = self._type(family, 9.5)
        self.bold = self._type(family, 9.5, bold=True)
        self.small = self._type(family, 8)
        self.small_bold = self._type(family, 8, bold=True)
        self.big = self._type(family, 19, bold=True)

    def mm(self, value: float) -> float:
        return value * DPI / 25.4

    def _type(self, family: str, points: float, bold: bool = False) -> _Type:
        font = QFont(family)
        font.setPointSizeF(points)
        font.setBold(bold)
        return _Type(font, QFontMetricsF(font, self.writer))

    def space(self) -> float:
        return self.height - self.y

    def new_page(self) -> None:
        self.pages.append([])
        self.y = 0.0

    def keep(self, height: float) -> None:
        """Start a new page unless *height* still fits on this one."""
        if height > self.space() and self.y > 0:
            self.new_page()

    def place(self, height: float, paint: Paint, gap: float = 0.0) -> None:
        self.keep(height)
        self.pages[-1].append((self.y, paint))
        self.y += height + gap

    def text_height(self, text: str, kind: _Type, width: float | None = None) -> float:
        rect = kind.metrics.boundingRect(QRectF(0, 0, width or self.width, 1e6),
                                         int(Qt.TextFlag.TextWordWrap), text)
        return rect.height()


def _text(painter: QPainter, rect: QRectF, text: str, kind: _Type, color: str = INK["text"],
          flags: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) -> None:
    painter.setFont(kind.font)
    painter.setPen(QColor(color))
    painter.drawText(rect, int(flags) | int(Qt.TextFlag.TextWordWrap), text)


def _paragraph(flow: _Flow, text: str, kind: _Type | None = None, color: str = INK["muted"], gap: float = 0) -> None:
    kind = kind or flow.small
    height = flow.text_height(text, kind)
    flow.place(height, lambda p, y: _text(p, QRectF(0, y, flow.width, height), text, kind, color),
               gap or flow.mm(2.5))


def _heading(flow: _Flow, text: str, lead: str, following: float) -> None:
    """A section heading and its one-line explanation, kept on the page of what *following* measures."""
    h = flow.h2.metrics.height()
    lead_h = flow.text_height(lead, flow.small)
    flow.keep(h + flow.mm(1.5) + lead_h + flow.mm(3) + following)

    def paint(p: QPainter, y: float) -> None:
        _text(p, QRectF(0, y, flow.width, h), text, flow.h2)
        _text(p, QRectF(0, y + h + flow.mm(1.5), flow.width, lead_h), lead, flow.small, INK["muted"])

    flow.place(h + flow.mm(1.5) + lead_h, paint, flow.mm(3))


def _chart(flow: _Flow, chart, height_mm: float) -> float:
    """Place a chart (painted as vectors in the light palette); returns its height."""
    height = flow.mm(height_mm)
    scale = flow.width / CHART_LOGICAL_WIDTH

    def paint(p: QPainter, y: float) -> None:
        p.save()
        p.translate(0, y)
        p.scale(scale, scale)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        chart.paint(p, QRectF(0, 0, CHART_LOGICAL_WIDTH, height / scale), charts.LIGHT, CHART_TEXT_SCALE)
        p.restore()

    flow.place(height, paint, flow.mm(3))
    return height


@dataclass(frozen=True)
class _Col:
    title: str
    share: float  # of the table width
    right: bool = True


def _row_height(flow: _Flow) -> float:
    return flow.body.metrics.height() * 1.7


def _together(flow: _Flow, chart_mm: float, rows: int) -> float:
    """Height a heading should keep with it: its chart and a short table (or a long one's first rows)."""
    return flow.mm(chart_mm + 3) + _row_height(flow) * (min(rows, 12) + 1)


def _table(flow: _Flow, columns: Sequence[_Col], rows: Sequence[Sequence[str]], *, empty: str) -> None:
    """A table with a bold header, zebra rows and the header repeated on each new page."""
    if not rows:
        _paragraph(flow, empty, flow.body)
        return
    row_h = _row_height(flow)
    total = sum(c.share for c in columns)
    lefts, x = [], 0.0
    for c in columns:
        lefts.append(x)
        x += c.share / total * flow.width
    pad = flow.mm(1.5)

    def cells(p: QPainter, y: float, values: Sequence[str], kind: _Type, color: str = INK["text"]) -> None:
        for (c, left), value in zip(zip(columns, lefts), values):
            width = c.share / total * flow.width
            align = Qt.AlignmentFlag.AlignRight if c.right else Qt.AlignmentFlag.AlignLeft
            p.setFont(kind.font)
            p.setPen(QColor(color))
            text = kind.metrics.elidedText(value, Qt.TextElideMode.ElideRight, width - 2 * pad)
            p.drawText(QRectF(left + pad, y, width - 2 * pad, row_h), int(align | Qt.AlignmentFlag.AlignVCenter), text)

    def header(p: QPainter, y: float) -> None:
        cells(p, y, [c.title for c in columns], flow.bold)
        p.setPen(QPen(QColor(INK["text"]), flow.mm(0.25)))
        p.drawLine(0, round(y + row_h), round(flow.width), round(y + row_h))

    def row(values: Sequence[str], zebra: bool) -> Paint:
        def paint(p: QPainter, y: float) -> None:
            if zebra:
                p.fillRect(QRectF(0, y, flow.width, row_h), QColor(INK["zebra"]))
            cells(p, y, values, flow.body)
        return paint

    flow.keep(row_h * min(len(rows) + 1, 4))
    flow.place(row_h, header)
    for i, values in enumerate(rows):
        if row_h > flow.space():
            flow.new_page()
            flow.place(row_h, header)
        flow.place(row_h, row(values, i % 2 == 1))
    flow.y += flow.mm(4)


def _tiles(flow: _Flow, tiles: Sequence[tuple[str, str, str]]) -> None:
    """A row of summary tiles: (label, value, detail)."""
    gap = flow.mm(3)
    width = (flow.width - gap * (len(tiles) - 1)) / len(tiles)
    inner = width - flow.mm(6)
    detail_h = max(flow.text_height(d, flow.small, inner) for _, _, d in tiles)
    height = flow.mm(3) + flow.small.metrics.height() + flow.mm(1) + flow.big.metrics.height() + detail_h + flow.mm(3)

    def paint(p: QPainter, y: float) -> None:
        for i, (label, value, detail) in enumerate(tiles):
            x = i * (width + gap)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(INK["tile"]))
            p.drawRoundedRect(QRectF(x, y, width, height), flow.mm(1.5), flow.mm(1.5))
            p.fillRect(QRectF(x, y, flow.mm(1), height), QColor(INK["accent"]))
            top = y + flow.mm(3)
            _text(p, QRectF(x + flow.mm(3.5), top, inner, flow.small.metrics.height()), label, flow.small_bold,
                  INK["muted"])
            top += flow.small.metrics.height() + flow.mm(1)
            _text(p, QRectF(x + flow.mm(3.5), top, inner, flow.big.metrics.height()), value, flow.big)
            top += flow.big.metrics.height()
            _text(p, QRectF(x + flow.mm(3.5), top, inner, detail_h), detail, flow.small, INK["muted"])

    flow.place(height, paint, gap)


# -------------------------------------------------------------- sections
def _title(flow: _Flow, figures: ReportFigures, store_name: str, author: str) -> None:
    period = period_label(figures.since, figures.until)
    title_h, sub_h = flow.title.metrics.height(), flow.subtitle.metrics.height()
    meta = (f"Generated {_when(figures.generated_at)} by {author} from {store_name}. Decisions are counted by when "
            "they were made (UTC). Accuracy is the share of audited decisions whose final verdict (after disputes) "
            "is correct, with its Wilson 95% interval and n; formulas in docs/metrics.md.")
    meta_h = flow.text_height(meta, flow.small)

    def paint(p: QPainter, y: float) -> None:
        p.fillRect(QRectF(0, y, flow.mm(14), flow.mm(1.2)), QColor(INK["accent"]))
        y += flow.mm(3)
        _text(p, QRectF(0, y, flow.width, title_h), "QA report", flow.title)
        _text(p, QRectF(0, y + title_h, flow.width, sub_h), period, flow.subtitle, INK["muted"])
        _text(p, QRectF(0, y + title_h + sub_h + flow.mm(2), flow.width, meta_h), meta, flow.small, INK["muted"])

    flow.place(flow.mm(3) + title_h + sub_h + flow.mm(2) + meta_h, paint, flow.mm(6))


def _summary(flow: _Flow, figures: ReportFigures) -> None:
    o, ex = figures.overall, figures.exposure
    disputes, gold = o["disputes"], o["gold"]
    breached = sum(q["breached"] for q in figures.sla)
    at_risk = sum(q["at_risk"] for q in figures.sla)
    waiting = sum(q["waiting"] for q in figures.sla)
    on_screen = ex["blurred_ms"] + ex["revealed_ms"] + ex["region_ms"]
    revealed = ex["revealed_ms"] + ex["region_ms"]
    _tiles(flow, [
        ("Items decided", f"{figures.decided:,}", "with a current decision made in the period"),
        ("Audited", f"{o['n']:,}", "decisions re-scored blind by QA"),
        ("Accuracy", _pct(o["accuracy"]),
         f"95% CI {_ci(o['accuracy_ci95'])} · n\u00a0=\u00a0{o['n']:,}" if o["n"] else "no audited decisions"),
        ("Cohen's κ", _num(o["cohen_kappa"]), f"{kappa_words(o['cohen_kappa'])}, moderator vs blind auditor"),
    ])
    _tiles(flow, [
        ("Disputes", f"{disputes['opened']:,}",
         f"{disputes['upheld']} upheld, {disputes['overturned']} overturned, {disputes['open']} open"),
        ("Gold accuracy", _pct(gold["accuracy"]),
         f"95% CI {_ci(gold['accuracy_ci95'])} · n\u00a0=\u00a0{gold['n']:,}" if gold["n"] else "no gold items decided"),
        ("SLA breached now", f"{breached:,}", f"{at_risk:,} at risk of {waiting:,} waiting, at generation time"),
        ("Items viewed", f"{ex['items']:,}",
         f"{_duration(on_screen)} on screen, {_pct(revealed / on_screen)} revealed" if on_screen
         else "no exposure recorded"),
    ])


def _accuracy_section(flow: _Flow, title: str, what: str, groups: list[dict]) -> None:
    groups = sorted(groups, key=lambda g: (-g["n"], g["key"]))
    chart = charts.HBarChart(
        "Bars: accuracy · whiskers: Wilson 95% interval", [g["key"] for g in groups],
        [None if g["accuracy"] is None else 100 * g["accuracy"] for g in groups],
        [None if not g["accuracy_ci95"] else (100 * g["accuracy_ci95"][0], 100 * g["accuracy_ci95"][1])
         for g in groups], unit="%")
    chart_mm = min(110.0, 26 + 10 * max(1, len(groups)))
    who = "who made them" if what == "moderator" else "they were decided in"
    _heading(flow, title, f"Audited decisions by the {what} {who}. A small n gives a wide interval: read the "
                          "interval, not only the bar.", _together(flow, chart_mm, len(groups)))
    _chart(flow, chart, chart_mm)
    _table(flow, [_Col(what.capitalize(), 3.2, right=False), _Col("n", 0.8), _Col("Accuracy", 1.3),
                  _Col("95% CI", 1.9), _Col("κ", 0.9), _Col("Score", 1.1), _Col("Disputes", 1.3)],
           [[g["key"], f"{g['n']:,}", _pct(g["accuracy"]), _ci(g["accuracy_ci95"]), _num(g["cohen_kappa"]),
             _num(g["mean_score"], 1), str(g["disputes"]["opened"])] for g in groups],
           empty=f"No audited decisions in this period, so no accuracy by {what}.")


def _errors_section(flow: _Flow, figures: ReportFigures) -> None:
    errors = figures.overall["errors"]
    wrong = sum(errors.values())
    audited = figures.overall["n"]
    names = [ERROR_NAMES.get(e, e) for e in errors]
    chart_mm = 24 + 10 * max(1, len(errors))
    _heading(flow, "Error types", "Final error type of each audited decision judged incorrect (after disputes).",
             _together(flow, chart_mm, len(errors)))
    if not errors:
        _paragraph(flow, "No incorrect decisions among the audited ones in this period.", flow.body)
        return
    _chart(flow, charts.HBarChart("Incorrect decisions", names, list(errors.values())), chart_mm)
    _table(flow, [_Col("Error type", 3, right=False), _Col("Count", 1), _Col("Share of errors", 1.6),
                  _Col("Share of audited", 1.6)],
           [[name, str(count), _pct(count / wrong), _pct(count / audited if audited else None)]
            for name, count in zip(names, errors.values())], empty="")


def _trend_section(flow: _Flow, figures: ReportFigures) -> None:
    trend = figures.trend
    chart = charts.LineChart(
        "Accuracy per week · shaded: Wilson 95% interval", [w["week"] for w in trend],
        {"Accuracy": [None if w["accuracy"] is None else 100 * w["accuracy"] for w in trend]},
        {"Accuracy": [None if not w["accuracy_ci95"] else (100 * w["accuracy_ci95"][0], 100 * w["accuracy_ci95"][1])
                      for w in trend]}, unit="%")
    _heading(flow, "Weekly trend", f"Accuracy per ISO week (Monday to Sunday, UTC) over the {exports.TREND_WEEKS} "
                                   "weeks up to the end of the period; a week without audits is a gap, not a zero.",
             _together(flow, 66, len(trend)))
    _chart(flow, chart, 66)
    _table(flow, [_Col("Week", 2, right=False), _Col("n", 1), _Col("Accuracy", 1.3), _Col("95% CI", 2)],
           [[w["week"], f"{w['n']:,}", _pct(w["accuracy"]), _ci(w["accuracy_ci95"])] for w in trend],
           empty="No audited decisions in these weeks.")


def _sla_section(flow: _Flow, figures: ReportFigures) -> None:
    queues = [q for q in figures.sla if q["kind"] != "audit"]
    chart = charts.StackedHBarChart(
        "Items waiting now", [q["queue"] for q in queues],
        {"Breached": [q["breached"] for q in queues], "At risk": [q["at_risk"] for q in queues],
         "On time": [q["waiting"] - q["breached"] - q["at_risk"] for q in queues]},
        {"Breached": "breached", "At risk": "at_risk", "On time": "faint"})
    chart_mm = min(100.0, 24 + 9 * max(1, len(queues)))
    _heading(flow, "SLA", f"Queue health at {_when(figures.generated_at)} (a live figure with no history). "
                          "Breached: waiting past the due time; at risk: due within the next quarter of the SLA.",
             _together(flow, chart_mm, len(queues)))
    _chart(flow, chart, chart_mm)
    _table(flow, [_Col("Queue", 3.4, right=False), _Col("Waiting", 1.2), _Col("Breached", 1.2), _Col("At risk", 1.2),
                  _Col("Decided", 1.2)],
           [[q["queue"], f"{q['waiting']:,}", f"{q['breached']:,}", f"{q['at_risk']:,}",
             f"{figures.decided_by_queue.get(q['queue'], 0):,}"] for q in queues], empty="No queues.")


def _exposure_section(flow: _Flow, figures: ReportFigures) -> None:
    ex = figures.exposure
    on_screen = ex["blurred_ms"] + ex["revealed_ms"] + ex["region_ms"]
    revealed = ex["revealed_ms"] + ex["region_ms"]
    people = f" over {ex['people']} {'person' if ex['people'] == 1 else 'people'}" if ex["people"] else ""
    _heading(flow, "Team exposure", f"Measured by Veil while items were on screen: team totals{people}, "
                                    "never per person (this report leaves Veil).",
             flow.mm(30) + _row_height(flow) * (len(ex["by_severity"]) + 1))
    if not ex["items"]:
        _paragraph(flow, "No exposure was recorded in this period.", flow.body)
        return
    per_day = on_screen / ex["person_days"] if ex["person_days"] else 0
    _tiles(flow, [
        ("Time on screen", _duration(on_screen), f"{_duration(per_day)} per person per working day"),
        ("Revealed", _pct(revealed / on_screen if on_screen else None),
         f"{_duration(revealed)} unblurred by a deliberate reveal"),
        ("Video played", _duration(ex["video_ms"]), "blurred or revealed, always muted at start"),
        ("Breaks", f"{ex['breaks_taken']:,}", f"{ex['breaks_enforced']} enforced, {ex['snoozes']} snoozes"),
    ])
    _table(flow, [_Col("Severity", 2.4, right=False), _Col("Items", 1), _Col("On screen", 1.4),
                  _Col("Revealed", 1.4), _Col("Revealed share", 1.6)],
           [[s["severity"], f"{s['items']:,}", _duration(s["on_screen_ms"]), _duration(s["revealed_ms"]),
             _pct(s["revealed_ms"] / s["on_screen_ms"] if s["on_screen_ms"] else None)]
            for s in sorted(ex["by_severity"], key=lambda s: SEVERITY_ORDER.get(s["severity"], len(SEVERITY_ORDER)))],
           empty="")


def _footer(painter: QPainter, flow: _Flow, page: int, pages: int, period: str) -> None:
    y = flow.height + flow.footer - flow.small.metrics.height()
    painter.setPen(QPen(QColor(INK["rule"]), flow.mm(0.2)))
    painter.drawLine(0, round(y - flow.mm(2)), round(flow.width), round(y - flow.mm(2)))
    rect = QRectF(0, y, flow.width, flow.small.metrics.height())
    _text(painter, rect, f"Veil QA report · {period}", flow.small, INK["muted"])
    _text(painter, rect, f"Page {page} of {pages}", flow.small, INK["muted"],
          Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)


# ------------------------------------------------------------------- API
def write_report(figures: ReportFigures, out: str | os.PathLike, *, store_name: str, author: str,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> int:
    """Write the report PDF to *out* (atomically); return the page count.

    Needs a ``QGuiApplication`` (fonts); safe on a worker thread. Raises
    :class:`~audit.exports.ExportCancelled` when *cancelled* turns true.
    """
    if QGuiApplication.instance() is None:  # Qt would abort the process on the first font
        raise RuntimeError("write_report needs a QGuiApplication (for fonts); create one first")
    period = period_label(figures.since, figures.until)
    with exports.atomic_output(out) as temp:
        writer = QPdfWriter(str(temp))
        writer.setResolution(DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                         MARGINS_MM, QPageLayout.Unit.Millimeter))
        writer.setTitle(f"Veil QA report — {period}")
        writer.setCreator("Veil")
        flow = _Flow(writer)
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
                _footer(painter, flow, number, len(flow.pages), period)
                if progress is not None:
                    progress(number, len(flow.pages))
        finally:
            painter.end()
    return len(flow.pages)


def export_report(store: Store, who: User | str, out: str | os.PathLike, *, since: str | None = None,
                  until: str | None = None, pseudonymise: bool = False,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> ExportResult:
    """A lead writes the report for [since, until] to *out*; logged as ``export.written``."""
    lead = exports.require_lead(store, who)
    exports.check_output(store, out)
    filters = Filters(since=since, until=until)
    filters.window()
    names = for_store(store, lead.name) if pseudonymise else None
    figures = exports.report_figures(store, since, until, names)
    author = names.name(lead.name, "lead") if names else lead.display_name
    pages = write_report(figures, out, store_name=Path(store.path).name, author=author,
                         progress=progress, cancelled=cancelled)
    exports.log_export(store, lead, "report", "pdf", out, filters, pseudonymise, pages=pages)
    return ExportResult(Path(out), pages, "pdf")
