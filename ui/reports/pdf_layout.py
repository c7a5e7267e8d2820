"""Laying out the QA report's pages: type, measured blocks placed down pages, tables, tiles, charts.

Layout is two passes: blocks are measured and placed on pages first (so
the footer can say "page 2 of 4" and a heading never ends a page), then
painted. Everything is real text and vectors on a ``QPdfWriter``: A4
portrait, 18 mm margins; charts (:mod:`ui.widgets.charts`) are painted
straight onto the page in the light palette, never as a bitmap. What the
report says is :mod:`ui.reports.pdf`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from ui.widgets.charts.ink import LIGHT, Painted

DPI = 300
MARGINS_MM = QMarginsF(18, 16, 18, 16)
INK = {"text": "#23272d", "muted": "#5b626b", "rule": "#d9dde2", "zebra": "#f4f6f8", "tile": "#f1f4f7",
       "accent": LIGHT.named["accent"], "warn": LIGHT.named["breached"]}
CHART_LOGICAL_WIDTH = 800  # charts are painted at this width, then scaled to the page width
SHORT_TABLE = 12  # rows: a table this short is never split across pages
CHART_TEXT_SCALE = 1.15  # ~8.5 pt chart labels next to 9.5 pt body text

Paint = Callable[[QPainter, float], None]


def a4_writer(path: str, title: str) -> QPdfWriter:
    """A PDF writer for an A4 portrait page at :data:`DPI`, with the report's margins."""
    writer = QPdfWriter(path)
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     MARGINS_MM, QPageLayout.Unit.Millimeter))
    writer.setTitle(title)
    writer.setCreator("Veil")
    return writer


@dataclass(frozen=True)
class TextStyle:
    font: QFont
    metrics: QFontMetricsF


class Flow:
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

    def _type(self, family: str, points: float, bold: bool = False) -> TextStyle:
        font = QFont(family)
        font.setPointSizeF(points)
        font.setBold(bold)
        for ligature in ("liga", "clig"):  # "ff" in a hash must stay two letters for a reader to copy it
            font.setFeature(QFont.Tag(ligature), 0)
        return TextStyle(font, QFontMetricsF(font, self.writer))

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

    def text_height(self, text: str, kind: TextStyle, width: float | None = None) -> float:
        rect = kind.metrics.boundingRect(QRectF(0, 0, width or self.width, 1e6),
                                         int(Qt.TextFlag.TextWordWrap), text)
        return rect.height()


def draw_text(painter: QPainter, rect: QRectF, text: str, kind: TextStyle, color: str = INK["text"],
              flags: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) -> None:
    painter.setFont(kind.font)
    painter.setPen(QColor(color))
    painter.drawText(rect, int(flags) | int(Qt.TextFlag.TextWordWrap), text)


def paragraph(flow: Flow, text: str, kind: TextStyle | None = None, color: str = INK["muted"], gap: float = 0) -> None:
    kind = kind or flow.small
    height = flow.text_height(text, kind)
    flow.place(height, lambda p, y: draw_text(p, QRectF(0, y, flow.width, height), text, kind, color),
               gap or flow.mm(2.5))


def heading(flow: Flow, text: str, lead: str, following: float) -> None:
    """A section heading and its one-line explanation, kept on the page of what *following* measures."""
    h = flow.h2.metrics.height()
    lead_h = flow.text_height(lead, flow.small)
    flow.keep(h + flow.mm(1.5) + lead_h + flow.mm(3) + following)

    def paint(p: QPainter, y: float) -> None:
        draw_text(p, QRectF(0, y, flow.width, h), text, flow.h2)
        draw_text(p, QRectF(0, y + h + flow.mm(1.5), flow.width, lead_h), lead, flow.small, INK["muted"])

    flow.place(h + flow.mm(1.5) + lead_h, paint, flow.mm(3))


def place_chart(flow: Flow, chart: Painted, height_mm: float) -> float:
    """Place a chart (painted as vectors in the light palette); returns its height."""
    height = flow.mm(height_mm)
    scale = flow.width / CHART_LOGICAL_WIDTH

    def paint(p: QPainter, y: float) -> None:
        p.save()
        p.translate(0, y)
        p.scale(scale, scale)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        chart.paint(p, QRectF(0, 0, CHART_LOGICAL_WIDTH, height / scale), LIGHT, CHART_TEXT_SCALE)
        p.restore()

    flow.place(height, paint, flow.mm(3))
    return height


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # of the table width
    right: bool = True


def row_height(flow: Flow) -> float:
    return flow.body.metrics.height() * 1.7


def together(flow: Flow, chart_mm: float, rows: int) -> float:
    """Height a heading should keep with it: its chart and the first rows of its table (the rest flows on:
    keeping a whole table with its heading left most of page 1 empty)."""
    return flow.mm(chart_mm + 3) + row_height(flow) * (min(rows, 3) + 1)


def table(flow: Flow, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, empty: str,
          marked: Sequence[bool] = ()) -> None:
    """A table with a bold header, zebra rows and the header repeated on each new page; a *marked* row gets
    a bar in the warning ink at its left edge (below a target), besides the words that say so."""
    if not rows:
        paragraph(flow, empty, flow.body)
        return
    row_h = row_height(flow)
    total = sum(c.share for c in columns)
    lefts, x = [], 0.0
    for c in columns:
        lefts.append(x)
        x += c.share / total * flow.width
    pad = flow.mm(1.5)

    def cells(p: QPainter, y: float, values: Sequence[str], kind: TextStyle, color: str = INK["text"]) -> None:
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

    def row(values: Sequence[str], zebra: bool, mark: bool) -> Paint:
        def paint(p: QPainter, y: float) -> None:
            if zebra:
                p.fillRect(QRectF(0, y, flow.width, row_h), QColor(INK["zebra"]))
            if mark:
                p.fillRect(QRectF(0, y, flow.mm(0.9), row_h), QColor(INK["warn"]))
            cells(p, y, values, flow.body)
        return paint

    # A short table stays whole (two rows alone on a last page read as a different table); a long one starts
    # wherever four rows fit and repeats its header on each page.
    flow.keep(row_h * (len(rows) + 1 if len(rows) <= SHORT_TABLE else 4))
    flow.place(row_h, header)
    for i, values in enumerate(rows):
        if row_h > flow.space():
            flow.new_page()
            flow.place(row_h, header)
        flow.place(row_h, row(values, i % 2 == 1, i < len(marked) and marked[i]))
    flow.y += flow.mm(4)


def tiles(flow: Flow, tiles: Sequence[tuple[str, str, str]]) -> None:
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
            draw_text(p, QRectF(x + flow.mm(3.5), top, inner, flow.small.metrics.height()), label, flow.small_bold,
                      INK["muted"])
            top += flow.small.metrics.height() + flow.mm(1)
            draw_text(p, QRectF(x + flow.mm(3.5), top, inner, flow.big.metrics.height()), value,
                      fitted(flow, flow.big, value, inner))
            top += flow.big.metrics.height()
            draw_text(p, QRectF(x + flow.mm(3.5), top, inner, detail_h), detail, flow.small, INK["muted"])

    flow.place(height, paint, gap)


def fitted(flow: Flow, kind: TextStyle, text: str, width: float) -> TextStyle:
    """*kind*, made smaller until *text* fits *width* on one line: a figure is never cut ("20,0…")."""
    wide = kind.metrics.horizontalAdvance(text)
    if wide <= width:
        return kind
    font = QFont(kind.font)
    font.setPointSizeF(kind.font.pointSizeF() * width / wide * 0.97)
    return TextStyle(font, QFontMetricsF(font, flow.writer))


def footer(painter: QPainter, flow: Flow, page: int, pages: int, period: str) -> None:
    y = flow.height + flow.footer - flow.small.metrics.height()
    painter.setPen(QPen(QColor(INK["rule"]), flow.mm(0.2)))
    painter.drawLine(0, round(y - flow.mm(2)), round(flow.width), round(y - flow.mm(2)))
    rect = QRectF(0, y, flow.width, flow.small.metrics.height())
    draw_text(painter, rect, f"Veil QA report · {period}", flow.small, INK["muted"])
    draw_text(painter, rect, f"Page {page} of {pages}", flow.small, INK["muted"],
              Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
