"""The lead's "QA setup" page: sampling plans, gold items and calibration sets, one tab each, no Python needed.

Each tab (:mod:`ui.pages.qa_plans`, :mod:`ui.pages.qa_gold`,
:mod:`ui.pages.qa_calibration`) lists its records with one read and makes
each change through a dialog that says what will happen, written through
the operations runner; "leads only" is the domain's rule, so a refusal is
said in the dialog. Ctrl+Tab / Ctrl+Shift+Tab change tab; F5 reloads.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from review.store import User
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.qa_calibration import CalibrationTab
from ui.pages.qa_gold import GoldTab
from ui.pages.qa_plans import PlansTab
from ui.widgets.lists import page_title


class QaSetupPage(QWidget):
    def __init__(self, lead: User, ops: Operations, policy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("qaSetup")
        self.plans, self.gold, self.calibration = PlansTab(lead, ops), GoldTab(lead, ops, policy), CalibrationTab(
            lead, ops)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plans, "Sampling plans")
        self.tabs.addTab(self.gold, "Gold items")
        self.tabs.addTab(self.calibration, "Calibration sets")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addWidget(page_title("QA setup"))
        layout.addWidget(self.tabs, 1)
        self.setFocusProxy(self.tabs)

    def close_page(self) -> None:
        for tab in (self.plans, self.gold, self.calibration):
            tab.close_page()
