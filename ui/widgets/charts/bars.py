"""Bar charts: vertical bars per category, horizontal bars per label, and stacked horizontal bars.

Bars always start at zero; a missing value is written "no data" rather
than drawn as an empty bar that reads as 0; every bar carries its value in
words, so colour is never the only carrier. Intervals (Wilson 95 %, say)
are drawn as error bars. Each chart may name its axes (what is counted and
in which unit): a chart read outside its page — a slide, a printed report —
has nothing else to say what "240" is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from ui.widgets.charts.ink import (
    NO_DATA,
    Ink,
    Interval,
    Palette,
    axis_ticks,
    check_size,
    error_bar,
    fmt,
    tick_decimals,
    value_axis,
)


@dataclass(frozen=True)
class BarChart:
    title: str
    categories: Sequence[str]
    values: Sequence[float | None]
    intervals: Sequence[Interval | None] | None = None
    unit: str = ""
    x_title: str = ""  # under the categories
    y_title: str = ""  # along the value axis
    counts: bool = False  # the values are counts: whole-number ticks

    def __post_init__(self) -> None:
        check_size("values", self.values, len(self.categories))
        check_size("intervals", self.intervals, len(self.categories))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        ink = Ink(painter, rect, palette, text_scale)
        top = ink.title(self.title)
        present = [v for v in self.values if v is not None]
        if not present:
            ink.no_data(top)
            return
        highs = present + [iv[1] for iv in (self.intervals or []) if iv]
        ticks, labels, label_h, value_h, left, right, bottom, plot_top = value_axis(
            ink, top, 0.0, max(0.0, *highs), self.unit, self.x_title, self.y_title, self.counts)
        ink.axis_title(self.x_title, left, right, bottom + label_h + 10 * ink.s)
        ink.side_title(self.y_title, plot_top, bottom)

        def y_at(v: float) -> float:
            return bottom - (v - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - plot_top)

        for tick, text in zip(ticks, labels):
            y = y_at(tick)
            ink.line(QPointF(left, y), QPointF(right, y), palette.grid if tick else palette.muted, 1)
            ink.text(QRectF(rect.left(), y - label_h / 2, left - rect.left() - 8 * ink.s, label_h), text,
                     ink.label_font, palette.muted, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        slot = (right - left) / len(self.categories)
        bar_w = min(slot * 0.6, 72 * ink.s)
        bar_color = palette.color(palette.series[0])
        for i, (category, value) in enumerate(zip(self.categories, self.values)):
            centre = left + slot * (i + 0.5)
            ink.text(QRectF(centre - slot / 2, bottom + 6 * ink.s, slot, label_h),
                     ink.elide(category, ink.label_font, slot - 6 * ink.s), ink.label_font, palette.text,
                     Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            if value is None:
                ink.text(QRectF(centre - slot / 2, bottom - value_h - 4 * ink.s, slot, value_h), NO_DATA,
                         ink.label_font, palette.muted, Qt.AlignmentFlag.AlignCenter)
                continue
            top_y = y_at(max(ticks[0], min(value, ticks[-1])))
            painter.fillRect(QRectF(centre - bar_w / 2, top_y, bar_w, bottom - top_y), bar_color)
            label_y = top_y
            interval = self.intervals[i] if self.intervals else None
            if interval:
                error_bar(ink, ticks, y_at, interval[0], interval[1], centre, bar_w * 0.18, vertical=True)
                label_y = min(label_y, y_at(min(interval[1], ticks[-1])))
            ink.text(QRectF(centre - slot / 2, label_y - value_h - 3 * ink.s, slot, value_h),
                     fmt(value, self.unit), ink.value_font, palette.text, Qt.AlignmentFlag.AlignCenter)


@dataclass(frozen=True)
class HBarChart:
    """Horizontal bars; *target* draws a dashed line across every row at that value (an accuracy target)."""

    title: str
    labels: Sequence[str]
    values: Sequence[float | None]
    intervals: Sequence[Interval | None] | None = None
    unit: str = ""
    axis: str = ""  # the value axis's title, under its ticks
    target: float | None = None
    counts: bool = False  # the values are counts: whole-number ticks

    def __post_init__(self) -> None:
        check_size("values", self.values, len(self.labels))
        check_size("intervals", self.intervals, len(self.labels))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        segments = [[v] for v in self.values]
        _paint_rows(Ink(painter, rect, palette, text_scale), self.title, self.labels, segments, [palette.series[0]],
                    self.unit, self.intervals, legend=(), axis=self.axis, target=self.target, counts=self.counts)


@dataclass(frozen=True)
class StackedHBarChart:
    """Rows of stacked segments; ``colors`` maps a series name to a palette role or a hex colour.

    Each row is labelled with its total, or with ``value_labels`` when the total is not the point
    ("12 of 240 min": what was used of a budget the bar is as long as).
    """

    title: str
    labels: Sequence[str]
    series: dict[str, Sequence[float]]
    colors: dict[str, str] | None = None
    unit: str = ""
    axis: str = ""  # the value axis's title, under its ticks
    value_labels: Sequence[str] | None = None
    counts: bool = False  # the values are counts: whole-number ticks

    def __post_init__(self) -> None:
        for name, values in self.series.items():
            check_size(f"series {name!r}", values, len(self.labels))
        check_size("value_labels", self.value_labels, len(self.labels))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        names = list(self.series)
        inks = [(self.colors or {}).get(name, palette.series[i % len(palette.series)]) for i, name in enumerate(names)]
        segments = [[self.series[name][row] for name in names] for row in range(len(self.labels))]
        legend = [(name, palette.color(c)) for name, c in zip(names, inks)]
        _paint_rows(Ink(painter, rect, palette, text_scale), self.title, self.labels, segments, inks, self.unit, None,
                    legend=legend, axis=self.axis, value_labels=self.value_labels, counts=self.counts)


def _paint_rows(ink: Ink, title: str, labels: Sequence[str], segments: list[list[float | None]], inks: list[str],
                unit: str, intervals: Sequence[Interval | None] | None, legend: Sequence[tuple[str, QColor]], *,
                axis: str = "", target: float | None = None, value_labels: Sequence[str] | None = None,
                counts: bool = False) -> None:
    """Horizontal bars, one row per label, each made of one or more stacked segments."""
    painter, rect, palette = ink.p, ink.rect, ink.pal
    top = ink.title(title, legend)
    totals = [None if all(v is None for v in row) else sum(v or 0 for v in row) for row in segments]
    present = [t for t in totals if t is not None]
    if not present:
        ink.no_data(top)
        return
    if target is not None:  # room for the target's name above the rows
        top += ink.metrics(ink.label_font).height() + 4 * ink.s
    highs = present + [iv[1] for iv in (intervals or []) if iv] + ([target] if target is not None else [])
    ticks = axis_ticks(0.0, max(0.0, *highs), unit, count=4, whole=counts)
    decimals = tick_decimals(ticks)
    label_h = ink.metrics(ink.label_font).height()
    label_w = min(max(ink.width(label, ink.label_font) for label in labels), rect.width() * 0.32)
    texts = list(value_labels) if value_labels is not None else [fmt(v, unit) for v in [*present, ticks[-1]]]
    value_w = min(max(ink.width(t, ink.value_font) for t in texts), rect.width() * 0.3)
    left = rect.left() + ink.pad + label_w + 10 * ink.s
    right = rect.right() - ink.pad - value_w - 8 * ink.s
    bottom = rect.bottom() - ink.pad - label_h - 4 * ink.s - ink.axis_title_h(axis)

    def x_at(v: float) -> float:
        return left + (v - ticks[0]) / (ticks[-1] - ticks[0]) * (right - left)

    for tick in ticks:
        x = x_at(tick)
        ink.line(QPointF(x, top), QPointF(x, bottom), palette.grid if tick else palette.muted, 1)
        ink.text(QRectF(x - 40 * ink.s, bottom + 4 * ink.s, 80 * ink.s, label_h), fmt(tick, unit, decimals),
                 ink.label_font, palette.muted, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
    ink.axis_title(axis, left, right, bottom + label_h + 8 * ink.s)
    row_h = (bottom - top) / len(labels)
    bar_h = min(row_h * 0.62, 28 * ink.s)
    for i, (label, row, total) in enumerate(zip(labels, segments, totals)):
        centre = top + row_h * (i + 0.5)
        ink.text(QRectF(rect.left() + ink.pad, centre - row_h / 2, label_w, row_h),
                 ink.elide(label, ink.label_font, label_w), ink.label_font, palette.text,
                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if total is None:
            ink.text(QRectF(left + 6 * ink.s, centre - row_h / 2, right - left, row_h), NO_DATA, ink.label_font,
                     palette.muted, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            continue
        start = 0.0
        for value, color in zip(row, inks):
            if value:
                painter.fillRect(QRectF(x_at(start), centre - bar_h / 2, x_at(start + value) - x_at(start), bar_h),
                                 palette.color(color))
                start += value
        end = x_at(min(total, ticks[-1]))
        interval = intervals[i] if intervals else None
        if interval:
            error_bar(ink, ticks, x_at, interval[0], interval[1], centre, bar_h * 0.3, vertical=False)
            end = max(end, x_at(min(interval[1], ticks[-1])))
        words = value_labels[i] if value_labels is not None else fmt(total, unit)
        ink.text(QRectF(end + 6 * ink.s, centre - row_h / 2, rect.right() - end, row_h),
                 ink.elide(words, ink.value_font, rect.right() - end - 6 * ink.s), ink.value_font, palette.text,
                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    if target is not None:
        _target_line(ink, x_at(min(target, ticks[-1])), top, bottom, fmt(target, unit))


def _target_line(ink: Ink, x: float, top: float, bottom: float, value: str) -> None:
    """A dashed line at the target across every row, named at its top ("target 90.0%")."""
    pen = QPen(ink.pal.color("breached"), 1.4 * ink.s, Qt.PenStyle.DashLine)
    ink.p.setPen(pen)
    ink.p.drawLine(QPointF(x, top - 2 * ink.s), QPointF(x, bottom))
    words = f"target {value}"
    width = ink.width(words, ink.label_font) + 4 * ink.s
    height = ink.metrics(ink.label_font).height()
    ink.text(QRectF(x - width / 2, top - height - 2 * ink.s, width, height), words, ink.label_font,
             ink.pal.color("breached"), Qt.AlignmentFlag.AlignCenter)
