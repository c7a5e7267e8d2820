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
fonts). *size* is in logical pixels and *ratio* the screen's device pixel
ratio: the image has size × ratio pixels and is painted in logical
coordinates, so type is never smaller than ``ink.MIN_LABEL_PX`` (11 px) at
100 % on any screen.

Axis titles: ``x_title``/``y_title`` (bar and line charts) and ``axis``
(horizontal bars) say what the numbers count and in which unit.

One module per job: :mod:`~ui.widgets.charts.ink` (palettes, numbers and
the scaled pens and fonts every chart paints with),
:mod:`~ui.widgets.charts.bars` (the three bar kinds),
:mod:`~ui.widgets.charts.lines` (the line chart); this one renders.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from ui.widgets.charts.bars import BarChart, HBarChart, StackedHBarChart
from ui.widgets.charts.ink import BASE_SIZE, LIGHT, Interval, Painted, screen
from ui.widgets.charts.lines import LineChart

__all__ = ["Painted", "bar_chart", "hbar_chart", "line_chart", "render", "stacked_hbar_chart"]


def render(chart: Painted, size: tuple[int, int] = BASE_SIZE, light: bool = False, ratio: float = 1.0) -> QImage:
    """*chart* painted on a new ``QImage`` of *size* logical pixels × *ratio* (the theme's inks, or paper's when
    *light*)."""
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"a chart needs a positive size, got {width}x{height}")
    palette = LIGHT if light else screen()
    image = QImage(max(1, round(width * ratio)), max(1, round(height * ratio)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(ratio)
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
              size: tuple[int, int] = BASE_SIZE, light: bool = False) -> QImage:
    """Vertical bars from zero, one per category; *intervals* draws error bars (e.g. Wilson 95 %)."""
    return render(BarChart(title, categories, values, intervals, unit), size, light)


def line_chart(title: str, x_labels: list[str], series: dict[str, list[float | None]], *, unit: str = "",
               bands: dict[str, list[Interval | None]] | None = None,
               size: tuple[int, int] = BASE_SIZE, light: bool = False) -> QImage:
    """One line per series (None is a gap); *bands* optionally shades each series' interval."""
    return render(LineChart(title, x_labels, series, bands, unit), size, light)


def hbar_chart(title: str, labels: list[str], values: list[float | None], *,
               intervals: list[Interval | None] | None = None, unit: str = "",
               size: tuple[int, int] = BASE_SIZE, light: bool = False) -> QImage:
    """Horizontal bars from zero, one row per label (long labels, many rows)."""
    return render(HBarChart(title, labels, values, intervals, unit), size, light)


def stacked_hbar_chart(title: str, labels: list[str], series: dict[str, list[float]], *,
                       colors: dict[str, str] | None = None, unit: str = "",
                       size: tuple[int, int] = BASE_SIZE, light: bool = False) -> QImage:
    """Horizontal stacked bars with a legend; *colors*: series name -> palette role ("at_risk") or hex."""
    return render(StackedHBarChart(title, labels, series, colors, unit), size, light)
