"""ui.charts: every chart renders at the asked size, draws its data, and refuses mismatched input.

Pixels are checked for what a reader relies on: the bar's ink is there (and
taller for a larger value), "no data" leaves no bar, the light palette is
white paper, and nothing is drawn outside the image.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from ui.item.qimage import to_array
from ui.widgets import charts
from ui.widgets.charts import ink


def _ink(image, color: str, tolerance: int = 6) -> np.ndarray:
    """Boolean mask of pixels within *tolerance* of *color*."""
    pixels = to_array(image).astype(int)
    target = QColor(color)
    return (np.abs(pixels - [target.red(), target.green(), target.blue()]).max(axis=2) <= tolerance)


def _bar_heights(image, color: str) -> list[int]:
    """Height in pixels of each run of columns painted in *color*, left to right."""
    mask = _ink(image, color)
    columns = mask.sum(axis=0)
    heights, run = [], []
    for count in [*columns, 0]:
        if count > 3:
            run.append(count)
        elif run:
            heights.append(max(run))
            run = []
    return heights


@pytest.mark.parametrize("light", [False, True])
def test_each_chart_renders_at_the_asked_size_and_is_not_blank(qapp, light):
    images = [
        charts.bar_chart("Accuracy", ["ana", "ben"], [90.0, 70.0], intervals=[(85, 94), (60, 78)], unit="%",
                         size=(640, 300), light=light),
        charts.line_chart("Trend", ["W1", "W2", "W3"], {"a": [1.0, None, 3.0], "b": [2.0, 2.5, 1.0]},
                          size=(500, 260), light=light),
        charts.hbar_chart("Errors", ["missed", "over"], [3, 1], size=(420, 200), light=light),
        charts.stacked_hbar_chart("SLA", ["q1", "q2"], {"Breached": [1, 0], "On time": [4, 2]},
                                  colors={"Breached": "breached"}, size=(700, 240), light=light),
    ]
    background = (ink.LIGHT if light else ink.screen()).background
    for image, size in zip(images, [(640, 300), (500, 260), (420, 200), (700, 240)]):
        assert (image.width(), image.height()) == size
        drawn = ~_ink(image, background, tolerance=0)
        assert drawn.mean() > 0.02, "the chart drew almost nothing"


def test_light_charts_are_on_white_paper(qapp):
    image = charts.bar_chart("x", ["a"], [1.0], light=True)
    corners = to_array(image)[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == 255).all()


def test_bars_are_proportional_to_their_values_from_zero(qapp):
    image = charts.bar_chart("Counts", ["a", "b", "c"], [10.0, 20.0, 40.0], size=(800, 400))
    heights = _bar_heights(image, ink.screen().series[0])
    assert len(heights) == 3
    assert heights[1] / heights[0] == pytest.approx(2, rel=0.06)
    assert heights[2] / heights[0] == pytest.approx(4, rel=0.06)


def test_a_missing_value_draws_no_bar(qapp):
    image = charts.bar_chart("Accuracy", ["a", "b", "c"], [50.0, None, 80.0], unit="%")
    assert len(_bar_heights(image, ink.screen().series[0])) == 2


def test_error_bars_add_ink_above_the_bar(qapp):
    plain = charts.bar_chart("x", ["a"], [50.0], unit="%")
    whiskers = charts.bar_chart("x", ["a"], [50.0], intervals=[(30.0, 70.0)], unit="%")
    text = QColor(ink.screen().text).name()
    assert _ink(whiskers, text).sum() > _ink(plain, text).sum()


def test_stacked_segments_use_the_named_colours(qapp):
    image = charts.stacked_hbar_chart("SLA", ["q"], {"Breached": [2], "At risk": [3], "On time": [5]},
                                      colors={"Breached": "breached", "At risk": "at_risk", "On time": "faint"})
    assert _ink(image, ink.screen().named["breached"]).sum() > 100
    assert _ink(image, ink.screen().named["at_risk"]).sum() > 100
    light = charts.stacked_hbar_chart("SLA", ["q"], {"Breached": [2]}, colors={"Breached": "breached"}, light=True)
    assert _ink(light, ink.LIGHT.named["breached"]).sum() > 100


def test_empty_data_says_so_instead_of_failing(qapp):
    for image in (charts.bar_chart("x", [], []), charts.line_chart("x", [], {}),
                  charts.hbar_chart("x", ["a"], [None]), charts.bar_chart("x", ["a", "b"], [None, None])):
        assert image.width() == 800 and image.height() == 360
        assert _bar_heights(image, ink.screen().series[0]) == []


def test_line_series_and_bands_paint_in_their_colours(qapp):
    image = charts.line_chart("Trend", ["W1", "W2", "W3", "W4"], {"acc": [80.0, 85.0, None, 90.0]},
                              bands={"acc": [(70, 88), (78, 90), None, (85, 94)]}, unit="%")
    assert _ink(image, ink.screen().series[0]).sum() > 200


@pytest.mark.parametrize("call", [
    lambda: charts.bar_chart("x", ["a", "b"], [1.0]),
    lambda: charts.bar_chart("x", ["a"], [1.0], intervals=[(0, 1), (0, 1)]),
    lambda: charts.hbar_chart("x", ["a"], [1.0, 2.0]),
    lambda: charts.line_chart("x", ["a", "b"], {"s": [1.0]}),
    lambda: charts.line_chart("x", ["a"], {"s": [1.0]}, bands={"t": [(0, 1)]}),
    lambda: charts.stacked_hbar_chart("x", ["a"], {"s": [1, 2]}),
    lambda: charts.bar_chart("x", ["a"], [1.0], size=(0, 100)),
])
def test_mismatched_input_is_refused_with_a_message(qapp, call):
    with pytest.raises(ValueError):
        call()


def test_percent_axis_stops_at_100_and_ticks_print_exactly():
    assert ink.axis_ticks(0, 98.5, "%")[-1] == 100
    assert ink.axis_ticks(0, 140, "")[-1] >= 140
    ticks = ink.axis_ticks(85, 97, "%")
    assert ink.tick_decimals(ticks) == (0 if all(float(t).is_integer() for t in ticks) else 1)
    assert ink.fmt(92.345, "%") == "92.3%"
    assert ink.fmt(1200, "") == "1,200"
    assert ink.fmt(12.5, "min") == "12.5 min"


def test_charts_render_on_a_worker_thread(qapp):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        image = pool.submit(charts.hbar_chart, "x", ["a", "b"], [1.0, 2.0], size=(300, 200)).result()
    assert (image.width(), image.height()) == (300, 200)


# ------------------------------------------------ issue 13: legible type, axis titles
def test_type_stays_legible_on_a_small_dashboard_tile(qapp):
    """Dashboard charts were ~9 px at 100 %: the type scaled down with a small tile."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter

    image = QImage(560, 280, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        fonts = ink.Ink(painter, QRectF(0, 0, 560, 280), ink.screen())
        assert fonts.label_font.pixelSize() >= 11 and fonts.value_font.pixelSize() >= 11
        assert fonts.title_font.pixelSize() >= 13
    finally:
        painter.end()


def test_a_high_dpi_chart_is_painted_in_logical_pixels(qapp):
    image = charts.render(charts.bars.HBarChart("t", ["a"], [3.0]), (400, 200), ratio=2.0)
    assert (image.width(), image.height(), image.devicePixelRatio()) == (800, 400, 2.0)


@pytest.mark.parametrize("chart", [
    charts.bars.BarChart("t", ["a", "b"], [1.0, 2.0], x_title="queue", y_title="items"),
    charts.lines.LineChart("t", ["09", "10"], {"s": [1.0, 2.0]}, x_title="hour", y_title="items per hour"),
    charts.bars.HBarChart("t", ["a", "b"], [1.0, 2.0], axis="items waiting"),
    charts.bars.StackedHBarChart("t", ["a"], {"x": [1.0]}, axis="minutes"),
])
def test_axis_titles_are_drawn(qapp, chart, monkeypatch):
    drawn = []
    real = ink.Ink.text
    monkeypatch.setattr(ink.Ink, "text", lambda self, rect, text, *a: drawn.append(text) or real(self, rect, text, *a))
    charts.render(chart, light=True)
    titles = [getattr(chart, f) for f in ("x_title", "y_title", "axis") if getattr(chart, f, "")]
    assert titles and all(title in drawn for title in titles)


def test_a_target_line_crosses_every_row(qapp):
    chart = charts.bars.HBarChart("t", ["a", "b", "c"], [50.0, 80.0, 95.0], unit="%", target=90.0)
    marked = _ink(charts.render(chart, light=True), ink.LIGHT.named["breached"], tolerance=30)
    plain = _ink(charts.render(charts.bars.HBarChart("t", ["a", "b", "c"], [50.0, 80.0, 95.0], unit="%"), light=True),
                 ink.LIGHT.named["breached"], tolerance=30)
    assert marked.sum() > plain.sum() + 50
