"""The exposure meter: today's revealed and severe time and the time since the last break, small and calm."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from review.wellbeing.meter import MeterState
from review.wellbeing.policy import WellbeingPolicy


class ExposureMeter(QWidget):
    """"Revealed today 3 min · Severe 1 h 10 / 4 h · Since break 42 min", small and calm.

    Neutral grey until a threshold: desaturated amber at the budget's
    warning share or when a break is due, desaturated brick at 100 %. The
    colour always comes with words ("break due", "budget used"), never alone.
    The label's ``level`` property names the step; the theme's stylesheet
    colours it (``QLabel#exposureMeterText[level=…]``), so a theme switched
    while Veil runs recolours it too.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exposureMeter")
        self.label = QLabel(self)
        self.label.setObjectName("exposureMeterText")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(self.label)
        self.setToolTip(
            "Time on screen today, counted only while Veil is in front.\n"
            "Revealed: time anything was shown unveiled (media you revealed, and text, which is never veiled).\n"
            "Severe: time severe items were on screen, blurred or not, against today's budget.\n"
            "Since break: review time since your last break. Ctrl+B takes a break now."
        )
        self.state: MeterState | None = None
        self.level = "calm"
        self.set_state(MeterState(0, 0, WellbeingPolicy().budget_ms, 0, False))

    def set_state(self, state: MeterState) -> None:
        self.state = state
        self.level = state.level
        words = state.text()
        if state.level == "limit":
            words += " · budget used"
        elif state.break_due:
            words += " · break due"
        self.label.setText(words)
        self.setAccessibleName(words)
        if self.label.property("level") != state.level:
            self.label.setProperty("level", state.level)
            self.label.style().unpolish(self.label)  # a property selector is matched at polish time only
            self.label.style().polish(self.label)

    def text(self) -> str:
        return self.label.text()
