"""What every chart paints with: palettes, honest axis numbers, and pens and fonts scaled to the rectangle.

:class:`Ink` scales type and strokes with the rectangle, so a chart reads
the same on a dashboard tile and on a printed page; the number helpers
choose round ticks (a "%" axis never passes 100) and print values with
their unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from ui.theme import COLORS, series

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


def screen() -> Palette:
    """The inks of the theme in use (``ui.theme``: dark, light or high contrast), read when a chart is painted."""
    return Palette(
        background=COLORS["base"], text=COLORS["text"], muted=COLORS["muted"], grid=COLORS["border"],
        series=series(),
        named={"accent": COLORS["accent"], "at_risk": COLORS["at_risk"], "breached": COLORS["breached"],
               "faint": COLORS["faint"], "muted": COLORS["muted"]},
    )


# Paper's: the PDF report's, whatever the theme. Same hues, darkened until they hold contrast on paper.
LIGHT = Palette(
    background="#ffffff", text="#23272d", muted="#5b626b", grid="#e1e4e8",
    series=("#4f6f8c", "#5f7f5a", "#7c6691", "#4d7e7a", "#8a7258"),
    named={"accent": "#4f6f8c", "at_risk": "#a9833c", "breached": "#a35a4b", "faint": "#b3b8bf",
           "muted": "#8a9099"},
)

_BASE_W, _BASE_H = 800, 360  # the size the type scale is designed at
_MIN_H = 240  # flatter than this (at the base width) and the type shrinks with the height
BASE_SIZE = (_BASE_W, _BASE_H)
#: The smallest type a chart uses, in logical pixels (at 100 % scaling): a dashboard tile shrinks its chart,
#: never its words below what a person reads at arm's length.
MIN_LABEL_PX, MIN_TITLE_PX = 11, 13


class Painted(Protocol):
    """A chart: something that paints itself into a rectangle with a palette."""

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None: ...


def fmt(value: float, unit: str, decimals: int | None = None) -> str:
    if decimals is None:
        decimals = 1 if unit == "%" or not float(value).is_integer() else 0
    text = f"{value:,.{decimals}f}"
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _nice_step(span: float, count: int, whole: bool = False) -> float:
    raw = span / max(1, count)
    if whole and raw <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in ((1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def axis_ticks(low: float, high: float, unit: str, count: int = 5, whole: bool = False) -> list[float]:
    """Round tick values covering [low, high]; a "%" axis stops at 100. *whole*: an axis of counts, whose ticks
    are whole numbers (half an item is no tick a reader can use)."""
    if high <= low:
        high = low + (1 if low == 0 else abs(low) * 0.1)
    step = _nice_step(high - low, count, whole)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step - 1e-9) * step
    if unit == "%" and high <= 100:
        stop = min(stop, 100.0)
    ticks, value = [], start
    while value <= stop + step / 2:
        ticks.append(round(value, 10))
        value += step
    return ticks


def tick_decimals(ticks: list[float]) -> int:
    """The fewest decimals that print every tick exactly (2.5 steps need one)."""
    for decimals in range(4):
        if all(abs(round(t, decimals) - t) < 1e-9 for t in ticks):
            return decimals
    return 3


class ValueAxis(NamedTuple):
    """A vertical value axis and the plot area right of it, as the bar and line charts lay them out."""

    ticks: list[float]
    labels: list[str]  # the ticks, printed
    label_h: float
    value_h: float
    left: float  # the plot area: right of the tick labels, above the category labels, below the values
    right: float
    bottom: float
    top: float


def value_axis(ink: Ink, top: float, low: float, high: float, unit: str, x_title: str = "",
               y_title: str = "", whole: bool = False) -> ValueAxis:
    """Ticks from *low* to *high* (whole numbers if *whole*: counts) and the plot area they leave below *top*
    (the title's bottom), with room for the axis titles (*x_title* under the category labels, *y_title* turned
    along the left edge)."""
    ticks = axis_ticks(low, high, unit, whole=whole)
    decimals = tick_decimals(ticks)
    labels = [fmt(t, unit, decimals) for t in ticks]
    label_h = ink.metrics(ink.label_font).height()
    value_h = ink.metrics(ink.value_font).height()
    rect = ink.rect
    return ValueAxis(
        ticks, labels, label_h, value_h,
        left=rect.left() + ink.pad + ink.axis_title_h(y_title) + max(ink.width(t, ink.label_font) for t in labels)
        + 8 * ink.s,
        right=rect.right() - ink.pad,
        bottom=rect.bottom() - ink.pad - label_h - 6 * ink.s - ink.axis_title_h(x_title),
        top=top + value_h + 4 * ink.s,
    )


def check_size(name: str, values: Sequence | None, size: int) -> None:
    if values is not None and len(values) != size:
        raise ValueError(f"{name}: {len(values)} values for {size} categories; give one per category")


class Ink:
    """Fonts and pens scaled to the rectangle, so a chart reads the same at any size."""

    def __init__(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0):
        self.p, self.rect, self.pal = painter, rect, palette
        # Width sets the scale; only a chart much flatter than the design shrinks its type further.
        self.s = max(0.75, min(rect.width() / _BASE_W, rect.height() / _MIN_H)) * text_scale
        self.pad = 16 * self.s
        self.title_font = self._font(16, MIN_TITLE_PX, bold=True)
        self.label_font = self._font(12, MIN_LABEL_PX)
        self.value_font = self._font(11.5, MIN_LABEL_PX, bold=True)

    def _font(self, px: float, least: int, bold: bool = False) -> QFont:
        font = QFont()
        font.setPixelSize(max(least, round(px * self.s)))
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

    def axis_title_h(self, title: str) -> float:
        """Room an axis title takes (0 without one)."""
        return self.metrics(self.label_font).height() + 4 * self.s if title else 0.0

    def axis_title(self, title: str, left: float, right: float, y: float) -> None:
        """A horizontal axis's title, centred under [left, right] at *y*."""
        if title:
            self.text(QRectF(left, y, right - left, self.metrics(self.label_font).height()),
                      self.elide(title, self.label_font, right - left), self.label_font, self.pal.muted,
                      Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)

    def side_title(self, title: str, top: float, bottom: float) -> None:
        """A vertical axis's title, turned a quarter left, along the chart's left edge between *top* and *bottom*."""
        if not title:
            return
        height = self.metrics(self.label_font).height()
        self.p.save()
        self.p.translate(self.rect.left() + self.pad * 0.5, bottom)
        self.p.rotate(-90)
        self.text(QRectF(0, 0, bottom - top, height), self.elide(title, self.label_font, bottom - top),
                  self.label_font, self.pal.muted, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.p.restore()

    def no_data(self, top: float, message: str = "No data for this period") -> None:
        area = QRectF(self.rect.left(), top, self.rect.width(), self.rect.bottom() - top - self.pad)
        self.text(area, message, self.label_font, self.pal.muted, Qt.AlignmentFlag.AlignCenter)


def error_bar(ink: Ink, ticks: list[float], value_at, low: float, high: float, across: float, half: float,
              vertical: bool, color: QColor | None = None) -> None:
    """An error bar from low to high at *across*, with caps of half-width *half*."""
    color = color or QColor(ink.pal.text)
    a, b = value_at(max(low, ticks[0])), value_at(min(high, ticks[-1]))
    point = (lambda v, c: QPointF(c, v)) if vertical else (lambda v, c: QPointF(v, c))
    ink.line(point(a, across), point(b, across), color, 1.4)
    for end in (a, b):
        ink.line(point(end, across - half), point(end, across + half), color, 1.4)


def runs(present: Sequence[bool]) -> list[tuple[int, int]]:
    """[start, stop) of each run of consecutive True values."""
    runs, start = [], None
    for i, flag in enumerate([*present, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs
