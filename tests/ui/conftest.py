"""Fixtures of the desktop tests that more than one file needs."""

from __future__ import annotations

import pytest

from ui import theme


@pytest.fixture
def themed(qapp):
    """The app styled as Veil styles it (its font size and the stylesheet's padding decide the sizes, the theme the
    colours); its look and the dark theme restored for other files."""
    look = (qapp.styleSheet(), qapp.palette(), qapp.font(), qapp.style().name())
    theme.apply(qapp)
    yield qapp
    sheet, palette, font, style = look
    qapp.setStyleSheet(sheet)
    if qapp.style().name() != style:
        qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setFont(font)
    theme.use("dark")  # an unstyled app: only the painting colours
