"""Small, calm charts painted with ``QPainter``: for the lead dashboard and the PDF report.

Four chart kinds, each a plain description that can paint itself into any
rectangle of any ``QPainter`` (a widget, a ``QImage``, a ``QPdfWriter`` page:
vector output and real, extractable text in a PDF):

* :class:`BarChart` — one bar per category, optional error bars (the Wilson
  95 % interval of an accuracy, say);
* :class:`LineChart` — one line per series over shared x labels (a weekly
  trend), optional shaded bands (intervals); ``None`` is a gap, never a 0;
* :class:`HBarChart` — horizontal bars for long labels (moderators, error
  types), optional intervals;
* :class:`StackedHBarChart` — horizontal stacked bars (SLA: breached / at
  risk / on time per queue) with a legend.

The functions :func:`bar_chart`, :func:`line_chart`, :func:`hbar_chart` and
:func:`stacked_hbar_chart` render one to a ``QImage`` of the given size; that
API is what other modules import, keep it stable.

Honest-number rules the charts keep: bars always start at zero; a missing
value is drawn as "no data", not as an empty bar that reads as 0; every bar
carries its value in words, so colour is never the only carrier. Values
are shown as given plus ``unit`` (pass percentages as 0–100 with
``unit="%"``; a "%" axis never goes past 100).

``light=True`` paints on white with darker inks, for print and slides; the
default is the app's dark palette (:data:`ui.theme.COLORS`). Painting a
``QImage`` is safe on a worker thread (a ``QGuiApplication`` must exist, for
fonts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen, QPolygonF

from ui.theme import COLORS

__all__ = [
    "BarChart", "DARK", "HBarChart", "LIGHT", "LineChart", "Palette", "StackedHBarChart",
    "bar_chart", "hbar_chart", "line_chart", "render", "stacked_hbar_chart",
]

Interval = tuple[float, float]
NO_DATA = "no data"


@dataclass(frozen=True)
class Palette:
    """The inks of one background; ``named`` lets callers ask for a role ("at_risk") in either palette."""

    background: str
    text: str
    muted: str
    grid: str
    series: tuple[str, ...]
    named: dict[str, str] = field(default_factory=dict)

    def color(self, name_or_hex: str) -> QColor:
        return QColor(self.named.get(name_or_hex, name_or_hex))


DARK = Palette(
    background=COLORS["base"], text=COLORS["text"], muted=COLORS["muted"], grid=COLORS["border"],
    series=(COLORS["accent"], "#8fa98a", "#a794b8", "#86aeaa", "#b59f86"),
    named={"accent": COLORS["accent"], "at_risk": COLORS["at_risk"], "breached": COLORS["breached"],
           "faint": COLORS["faint"], "muted": COLORS["muted"]},
)
# Same hues, darkened until they hold contrast on paper.
LIGHT = Palette(
    background="#ffffff", text="#23272d", muted="#5b626b", grid="#e1e4e8",
    series=("#4f6f8c", "#5f7f5a", "#7c6691", "#4d7e7a", "#8a7258"),
    named={"accent": "#4f6f8c", "at_risk": "#a9833c", "breached": "#a35a4b", "faint": "#b3b8bf",
           "muted": "#8a9099"},
)

_BASE_W, _BASE_H = 800, 360  # the size the type scale is designed at
_MIN_H = 240  # flatter than this (at the base width) and the type shrinks with the height


# ----------------------------------------------------------------- numbers
def _fmt(value: float, unit: str, decimals: int | None = None) -> str:
    if decimals is None:
        decimals = 1 if unit == "%" or not float(value).is_integer() else 0
    text = f"{value:,.{decimals}f}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _nice_step(span: float, count: int) -> float:
    raw = span / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _ticks(low: float, high: float, unit: str, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]; a "%" axis stops at 100."""
    if high <= low:
        high = low + (1 if low == 0 else abs(low) * 0.1)
    step = _nice_step(high - low, count)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step - 1e-9) * step
    if unit == "%" and high <= 100:
        stop = min(stop, 100.0)
    ticks, value = [], start
    while value <= stop + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _tick_decimals(ticks: list[float]) -> int:
    """The fewest decimals that print every tick exactly (2.5 steps need one)."""
    for decimals in range(4):
        if all(abs(round(t, decimals) - t) < 1e-9 for t in ticks):
            return decimals
    return 3


def _check(name: str, values: Sequence | None, size: int) -> None:
    if values is not None and len(values) != size:
        raise ValueError(f"{name}: {len(values)} values for {size} categories; give one per category")


# ----------------------------------------------------------------- drawing
class _Ink:
    """Fonts and pens scaled to the rectangle, so a chart reads the same at any size."""

    def __init__(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0):
        self.p, self.rect, self.pal = painter, rect, palette
        # Width sets the scale; only a chart much flatter than the design shrinks its type further.
        self.s = max(0.75, min(rect.width() / _BASE_W, rect.height() / _MIN_H)) * text_scale
        self.pad = 16 * self.s
        self.title_font = self._font(16, bold=True)
        self.label_font = self._font(12)
        self.value_font = self._font(11.5, bold=True)

    def _font(self, px: float, bold: bool = False) -> QFont:
        font = QFont()
        font.setPixelSize(max(1, round(px * self.s)))
        font.setBold(bold)
        return font

    def metrics(self, font: QFont) -> QFontMetricsF:
        return QFontMetricsF(font, self.p.device())

    def text(self, rect: QRectF, text: str, font: QFont, color: QColor | str, flags: Qt.AlignmentFlag) -> None:
        self.p.setFont(font)
        self.p.setPen(QColor(color) if isinstance(color, str) else color)
        self.p.drawText(rect, int(flags), text)

    def width(self, text: str, font: QFont) -> float:
        return self.metrics(font).horizontalAdvance(text)

    def elide(self, text: str, font: QFont, width: float) -> str:
        return self.metrics(font).elidedText(text, Qt.TextElideMode.ElideRight, max(0.0, width))

    def line(self, a: QPointF, b: QPointF, color: QColor | str, width: float = 1.0) -> None:
        pen = QPen(QColor(color) if isinstance(color, str) else color, width * self.s)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        self.p.setPen(pen)
        self.p.drawLine(a, b)

    def title(self, title: str, legend: Sequence[tuple[str, QColor]] = ()) -> float:
        """Draw the title (and a legend at its right); return the y where the plot may start."""
        height = self.metrics(self.title_font).height()
        top = self.rect.top() + self.pad
        legend_w = self._legend(legend, top, height)
        area = QRectF(self.rect.left() + self.pad, top, self.rect.width() - 2 * self.pad - legend_w, height)
        self.text(area, self.elide(title, self.title_font, area.width()), self.title_font, self.pal.text,
                  Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return top + height + 12 * self.s

    def _legend(self, legend: Sequence[tuple[str, QColor]], top: float, height: float) -> float:
        if not legend:
            return 0.0
        swatch, gap = 10 * self.s, 14 * self.s
        x = self.rect.right() - self.pad
        for name, color in reversed(legend):
            w = self.width(name, self.label_font)
            x -= w
            self.text(QRectF(x, top, w + 1, height), name, self.label_font, self.pal.muted,
                      Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            x -= swatch + 5 * self.s
            self.p.fillRect(QRectF(x, top + (height - swatch) / 2, swatch, swatch), color)
            x -= gap
        return self.rect.right() - self.pad - x

    def no_data(self, top: float, message: str = "No data for this period") -> None:
        area = QRectF(self.rect.left(), top, self.rect.width(), self.rect.bottom() - top - self.pad)
        self.text(area, message, self.label_font, self.pal.muted, Qt.AlignmentFlag.AlignCenter)


def _interval(ink: _Ink, ticks: list[float], value_at, low: float, high: float, across: float, half: float,
              vertical: bool, color: QColor | None = None) -> None:
    """An error bar from low to high at *across*, with caps of half-width *half*."""
    color = color or QColor(ink.pal.text)
    a, b = value_at(max(low, ticks[0])), value_at(min(high, ticks[-1]))
    point = (lambda v, c: QPointF(c, v)) if vertical else (lambda v, c: QPointF(v, c))
    ink.line(point(a, across), point(b, across), color, 1.4)
    for end in (a, b):
        ink.line(point(end, across - half), point(end, across + half), color, 1.4)


# ------------------------------------------------------------------ charts
@dataclass(frozen=True)
class BarChart:
    title: str
    categories: Sequence[str]
    values: Sequence[float | None]
    intervals: Sequence[Interval | None] | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        _check("values", self.values, len(self.categories))
        _check("intervals", self.intervals, len(self.categories))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        ink = _Ink(painter, rect, palette, text_scale)
        top = ink.title(self.title)
        present = [v for v in self.values if v is not None]
        if not present:
            ink.no_data(top)
            return
        highs = present + [iv[1] for iv in (self.intervals or []) if iv]
        ticks = _ticks(0.0, max(0.0, *highs), self.unit)
        decimals = _tick_decimals(ticks)
        labels = [_fmt(t, self.unit, decimals) for t in ticks]
        label_h = ink.metrics(ink.label_font).height()
        value_h = ink.metrics(ink.value_font).height()
        left = rect.left() + ink.pad + max(ink.width(t, ink.label_font) for t in labels) + 8 * ink.s
        right = rect.right() - ink.pad
        bottom = rect.bottom() - ink.pad - label_h - 6 * ink.s
        plot_top = top + value_h + 4 * ink.s

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
                _interval(ink, ticks, y_at, interval[0], interval[1], centre, bar_w * 0.18, vertical=True)
                label_y = min(label_y, y_at(min(interval[1], ticks[-1])))
            ink.text(QRectF(centre - slot / 2, label_y - value_h - 3 * ink.s, slot, value_h),
                     _fmt(value, self.unit), ink.value_font, palette.text, Qt.AlignmentFlag.AlignCenter)


@dataclass(frozen=True)
class HBarChart:
    title: str
    labels: Sequence[str]
    values: Sequence[float | None]
    intervals: Sequence[Interval | None] | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        _check("values", self.values, len(self.labels))
        _check("intervals", self.intervals, len(self.labels))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        segments = [[v] for v in self.values]
        _paint_rows(_Ink(painter, rect, palette, text_scale), self.title, self.labels, segments, [palette.series[0]],
                    self.unit, self.intervals, legend=())


@dataclass(frozen=True)
class StackedHBarChart:
    """Rows of stacked segments; ``colors`` maps a series name to a palette role or a hex colour."""

    title: str
    labels: Sequence[str]
    series: dict[str, Sequence[float]]
    colors: dict[str, str] | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        for name, values in self.series.items():
            _check(f"series {name!r}", values, len(self.labels))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        names = list(self.series)
        inks = [(self.colors or {}).get(name, palette.series[i % len(palette.series)]) for i, name in enumerate(names)]
        segments = [[self.series[name][row] for name in names] for row in range(len(self.labels))]
        legend = [(name, palette.color(c)) for name, c in zip(names, inks)]
        _paint_rows(_Ink(painter, rect, palette, text_scale), self.title, self.labels, segments, inks, self.unit, None,
                    legend=legend)


def _paint_rows(ink: _Ink, title: str, labels: Sequence[str], segments: list[list[float | None]], inks: list[str],
                unit: str, intervals: Sequence[Interval | None] | None, legend: Sequence[tuple[str, QColor]]) -> None:
    """Horizontal bars, one row per label, each made of one or more stacked segments."""
    painter, rect, palette = ink.p, ink.rect, ink.pal
    top = ink.title(title, legend)
    totals = [None if all(v is None for v in row) else sum(v or 0 for v in row) for row in segments]
    present = [t for t in totals if t is not None]
    if not present:
        ink.no_data(top)
        return
    highs = present + [iv[1] for iv in (intervals or []) if iv]
    ticks = _ticks(0.0, max(0.0, *highs), unit, count=4)
    decimals = _tick_decimals(ticks)
    label_h = ink.metrics(ink.label_font).height()
    label_w = min(max(ink.width(label, ink.label_font) for label in labels), rect.width() * 0.32)
    value_w = max(ink.width(_fmt(v, unit), ink.value_font) for v in [*present, ticks[-1]])
    left = rect.left() + ink.pad + label_w + 10 * ink.s
    right = rect.right() - ink.pad - value_w - 8 * ink.s
    bottom = rect.bottom() - ink.pad - label_h - 4 * ink.s

    def x_at(v: float) -> float:
        return left + (v - ticks[0]) / (ticks[-1] - ticks[0]) * (right - left)

    for tick in ticks:
        x = x_at(tick)
        ink.line(QPointF(x, top), QPointF(x, bottom), palette.grid if tick else palette.muted, 1)
        ink.text(QRectF(x - 40 * ink.s, bottom + 4 * ink.s, 80 * ink.s, label_h), _fmt(tick, unit, decimals),
                 ink.label_font, palette.muted, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
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
            _interval(ink, ticks, x_at, interval[0], interval[1], centre, bar_h * 0.3, vertical=False)
            end = max(end, x_at(min(interval[1], ticks[-1])))
        ink.text(QRectF(end + 6 * ink.s, centre - row_h / 2, rect.right() - end, row_h), _fmt(total, unit),
                 ink.value_font, palette.text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class LineChart:
    """Series over shared x labels; ``bands`` (per series name) shade an interval around the line."""

    title: str
    x_labels: Sequence[str]
    series: dict[str, Sequence[float | None]]
    bands: dict[str, Sequence[Interval | None]] | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        for name, values in self.series.items():
            _check(f"series {name!r}", values, len(self.x_labels))
        for name, values in (self.bands or {}).items():
            if name not in self.series:
                raise ValueError(f"band {name!r} has no series of that name")
            _check(f"band {name!r}", values, len(self.x_labels))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        names = list(self.series)
        colors = [palette.color(palette.series[i % len(palette.series)]) for i in range(len(names))]
        ink = _Ink(painter, rect, palette, text_scale)
        top = ink.title(self.title, list(zip(names, colors)) if len(names) > 1 else ())
        values = [v for vs in self.series.values() for v in vs if v is not None]
        bands = [iv for ivs in (self.bands or {}).values() for iv in ivs if iv]
        if not values:
            ink.no_data(top)
            return
        low = min(values + [iv[0] for iv in bands])
        high = max(values + [iv[1] for iv in bands])
        if low >= 0 and low <= high / 2:
            low = 0.0
        ticks = _ticks(low, high, self.unit)
        decimals = _tick_decimals(ticks)
        labels = [_fmt(t, self.unit, decimals) for t in ticks]
        label_h = ink.metrics(ink.label_font).height()
        value_h = ink.metrics(ink.value_font).height()
        left = rect.left() + ink.pad + max(ink.width(t, ink.label_font) for t in labels) + 8 * ink.s
        right = rect.right() - ink.pad
        bottom = rect.bottom() - ink.pad - label_h - 6 * ink.s
        plot_top = top + value_h + 4 * ink.s
        inset = 24 * ink.s
        count = len(self.x_labels)
        spacing = (right - left - 2 * inset) / (count - 1) if count > 1 else 0.0

        def x_at(i: int) -> float:
            return left + inset + spacing * i if count > 1 else (left + right) / 2

        def y_at(v: float) -> float:
            return bottom - (v - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - plot_top)

        for tick, text in zip(ticks, labels):
            y = y_at(tick)
            ink.line(QPointF(left, y), QPointF(right, y), palette.grid, 1)
            ink.text(QRectF(rect.left(), y - label_h / 2, left - rect.left() - 8 * ink.s, label_h), text,
                     ink.label_font, palette.muted, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        widest = max(ink.width(x, ink.label_font) for x in self.x_labels) + 10 * ink.s
        every = 1 if count < 2 or spacing >= widest else math.ceil(widest / spacing)
        for i, x_label in enumerate(self.x_labels):
            if i % every == 0:
                x = x_at(i)
                room = max(spacing, widest) if count > 1 else right - left
                ink.text(QRectF(x - room / 2, bottom + 6 * ink.s, room, label_h), x_label, ink.label_font,
                         palette.text, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for name, color in zip(names, colors):
            for start, stop in _runs([iv is not None for iv in (self.bands or {}).get(name, [])]):
                band = self.bands[name]
                if stop - start == 1:  # a lone interval has no area: draw it as an error bar
                    _interval(ink, ticks, y_at, *band[start], x_at(start), 5 * ink.s, vertical=True, color=color)
                    continue
                upper = [QPointF(x_at(i), y_at(band[i][1])) for i in range(start, stop)]
                lower = [QPointF(x_at(i), y_at(band[i][0])) for i in reversed(range(start, stop))]
                shade = QColor(color)
                shade.setAlphaF(0.18)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(shade)
                painter.drawPolygon(QPolygonF(upper + lower))
            series = self.series[name]
            pen = QPen(color, 2.4 * ink.s)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            for start, stop in _runs([v is not None for v in series]):
                path = QPainterPath(QPointF(x_at(start), y_at(series[start])))
                for i in range(start + 1, stop):
                    path.lineTo(x_at(i), y_at(series[i]))
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
            painter.setPen(QPen(QColor(palette.background), 1.5 * ink.s))
            painter.setBrush(color)
            for i, v in enumerate(series):
                if v is not None:
                    painter.drawEllipse(QPointF(x_at(i), y_at(v)), 4 * ink.s, 4 * ink.s)
        if len(names) == 1:
            series = self.series[names[0]]
            label_w = max(ink.width(_fmt(v, self.unit), ink.value_font) for v in values) + 6 * ink.s
            shown = [i for i, v in enumerate(series) if v is not None]
            if count > 1 and spacing < label_w:
                shown = shown[-1:]
            lone = {start for start, stop in _runs([iv is not None for iv in (self.bands or {}).get(names[0], [])])
                    if stop - start == 1}
            for i in shown:
                top_y = y_at(series[i])
                if i in lone:  # above its error bar, not across it
                    top_y = min(top_y, y_at(min(self.bands[names[0]][i][1], ticks[-1])))
                y = top_y - value_h - 6 * ink.s
                ink.text(QRectF(x_at(i) - label_w, y, 2 * label_w, value_h), _fmt(series[i], self.unit),
                         ink.value_font, palette.text, Qt.AlignmentFlag.AlignCenter)
        for i, x_label in enumerate(self.x_labels):
            if all(self.series[n][i] is None for n in names) and spacing >= widest:
                ink.text(QRectF(x_at(i) - spacing / 2, bottom - value_h - 4 * ink.s, spacing, value_h), NO_DATA,
                         ink.label_font, palette.muted, Qt.AlignmentFlag.AlignCenter)


def _runs(present: Sequence[bool]) -> list[tuple[int, int]]:
    """[start, stop) of each run of consecutive True values."""
    runs, start = [], None
    for i, flag in enumerate([*present, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs


# --------------------------------------------------------------- rendering
def render(chart, size: tuple[int, int] = (_BASE_W, _BASE_H), light: bool = False) -> QImage:
    """*chart* painted on a new ``QImage`` of *size* (dark palette, or white when *light*)."""
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"a chart needs a positive size, got {width}x{height}")
    palette = LIGHT if light else DARK
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(palette.background))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        chart.paint(painter, QRectF(0, 0, width, height), palette)
    finally:
        painter.end()
    return image


def bar_chart(title: str, categories: list[str], values: list[float | None], *,
              intervals: list[Interval | None] | None = None, unit: str = "",
              size: tuple[int, int] = (_BASE_W, _BASE_H), light: bool = False) -> QImage:
    """Vertical bars from zero, one per category; *intervals* draws error bars (e.g. Wilson 95 %)."""
    return render(BarChart(title, categories, values, intervals, unit), size, light)


def line_chart(title: str, x_labels: list[str], series: dict[str, list[float | None]], *, unit: str = "",
               bands: dict[str, list[Interval | None]] | None = None,
               size: tuple[int, int] = (_BASE_W, _BASE_H), light: bool = False) -> QImage:
    """One line per series (None is a gap); *bands* optionally shades each series' interval."""
    return render(LineChart(title, x_labels, series, bands, unit), size, light)


def hbar_chart(title: str, labels: list[str], values: list[float | None], *,
               intervals: list[Interval | None] | None = None, unit: str = "",
               size: tuple[int, int] = (_BASE_W, _BASE_H), light: bool = False) -> QImage:
    """Horizontal bars from zero, one row per label (long labels, many rows)."""
    return render(HBarChart(title, labels, values, intervals, unit), size, light)


def stacked_hbar_chart(title: str, labels: list[str], series: dict[str, list[float]], *,
                       colors: dict[str, str] | None = None, unit: str = "",
                       size: tuple[int, int] = (_BASE_W, _BASE_H), light: bool = False) -> QImage:
    """Horizontal stacked bars with a legend; *colors*: series name -> palette role ("at_risk") or hex."""
    return render(StackedHBarChart(title, labels, series, colors, unit), size, light)
