"""The QA setup page's "Gold items" tab: mark an item gold with its answer, plant copies, retire, see scores.

The list is ``audit.gold.gold_items`` (copies counted in their original,
scores so far); marking finds the item by its id or external id (a read),
or picks it from a queue's newest items (``audit.calibration.candidates``,
searchable; a text snippet for text posts only, never media), and starts
from its current decision, or for an item already gold from its answer
whole (labels and why too, so reopening and saving changes nothing). Keys: Alt + the underlined letter, F5 reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QWidget,
)

from audit import calibration, gold
from audit.calibration import Candidate
from audit.gold import GoldItem, ItemMatch
from review import admin
from review.store import User
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.qa_common import action_name, label_names, local_day
from ui.pages.qa_tab import SetupTab
from ui.pages.queue_admin_dialogs import ChangeDialog, in_words

RECENT_LIMIT = 200  # the newest items of a queue offered to pick from
COLUMNS = ("Item", "Queue", "Answer", "Why", "Copies", "Score so far", "Status")


class GoldTab(SetupTab):
    def __init__(self, lead: User, ops: Operations, policy: Taxonomy):
        super().__init__(lead, ops, name="qaGold", columns=COLUMNS, stretch=3,
                         load=lambda reader: gold.gold_items(reader, lead), reload_on={"gold", "item", "decision"},
                         hint="Gold items have a known answer. Their copies go into queues unmarked and each "
                              "decision on one is scored; a retired item is no longer planted or scored.")
        self.table.setAccessibleName("Gold items")
        self.policy = policy
        self.add_button("add", "&Mark item gold…", self.mark)
        self.add_button("plant", "P&lant copies…", self.plant)
        self.add_button("retire", "&Retire…", self.retire)
        self.bar.addStretch(1)

    def key(self, row: GoldItem) -> int:
        return row.item_id

    def cells(self, g: GoldItem) -> list[str]:
        score = f"{g.correct} of {g.scored} correct ({g.accuracy:.0%})" if g.scored else "not scored yet"
        return [f"{g.item_id} · {g.external_id}", g.queue,
                f"{action_name(self.policy, g.action)} · {label_names(self.policy, g.labels)}", g.explanation or "—",
                f"{g.copies} ({g.waiting} waiting)", score,
                f"Retired {local_day(g.retired_at)}" if g.retired_at else "Active"]

    def selection_changed(self) -> None:
        chosen = self.selected()
        usable = chosen is not None and chosen.retired_at is None
        self.buttons["plant"].setEnabled(usable)
        self.buttons["retire"].setEnabled(usable)

    # -------------------------------------------------------------- changes
    def mark(self) -> ChangeDialog:
        reference, find, found = QLineEdit(), QPushButton("&Find"), QLabel("Type an item id or external id, then Find.")
        found.setWordWrap(True)
        found.setMinimumHeight(found.fontMetrics().lineSpacing() * 4)  # room for what is found: rows never overlap
        found.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        reference.setPlaceholderText("item id or external id")
        chosen = self.selected()
        if chosen is not None:
            reference.setText(str(chosen.item_id))
        action = QComboBox()
        for entry in self.policy.actions:
            action.addItem(entry.name, entry.id)
        labels = QListWidget()
        labels.setAccessibleName("Labels")
        labels.setMinimumHeight(96)
        labels.setMaximumHeight(140)
        for label in self.policy.labels:
            entry = QListWidgetItem(label.name)
            entry.setData(Qt.ItemDataRole.UserRole, label.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            labels.addItem(entry)
        recent_queue, search, recent = QComboBox(), QLineEdit(), QListWidget()
        recent_queue.addItem("Choose a queue…", None)
        recent_queue.setAccessibleName("Queue to pick from")
        search.setPlaceholderText("filter: id or words")
        search.setClearButtonEnabled(True)
        recent.setAccessibleName("Recent items")
        recent.setMinimumHeight(96)
        recent.setMaximumHeight(120)
        picking = QWidget()
        pick_row = QHBoxLayout(picking)
        pick_row.setContentsMargins(0, 0, 0, 0)
        pick_row.addWidget(recent_queue, 1)
        pick_row.addWidget(search, 1)
        explanation = QLineEdit()
        explanation.setMaxLength(gold.EXPLANATION_LIMIT)
        explanation.setPlaceholderText("why this is the answer, in a sentence")
        item: dict[str, ItemMatch] = {}

        def checked() -> list[str]:
            return [labels.item(i).data(Qt.ItemDataRole.UserRole) for i in range(labels.count())
                    if labels.item(i).checkState() == Qt.CheckState.Checked]

        def show(matches: list[ItemMatch]) -> None:
            item.clear()
            if len(matches) != 1:
                found.setText("No item has that id or external id." if not matches else
                              f"{len(matches)} items have that external id; type the item id: "
                              + ", ".join(f"{m.id} ({m.queue})" for m in matches))
                return
            match = item["it"] = matches[0]
            start = match.gold_action or match.action
            found.setText(f"Item {match.id} · {match.external_id} in {match.queue} · {match.kind}, {match.state}"
                          + (f" · decided {action_name(self.policy, match.action)}" if match.action else "")
                          + (" · already gold: saving changes its answer" if match.gold_action else "")
                          + (f"\n{' '.join(match.text.split())[:110]}" if match.text and match.kind == "text" else ""))
            if start:
                action.setCurrentIndex(max(action.findData(start), 0))
            # A gold item starts from its answer whole (saving unchanged changes nothing); another from its decision.
            start_labels = match.gold_labels if match.gold_action else match.labels
            for i in range(labels.count()):
                on = labels.item(i).data(Qt.ItemDataRole.UserRole) in start_labels
                labels.item(i).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if match.gold_action:
                explanation.setText(match.gold_explanation)
            dialog.update_summary()

        def list_recent(found_items: list[Candidate]) -> None:
            recent.clear()
            queue_name = recent_queue.currentData()
            for c in found_items:
                snippet = f" — {' '.join(c.text.split())[:70]}" if c.kind == "text" and c.text else ""
                entry = QListWidgetItem(f"{c.external_id} · {queue_name} · {c.kind}, {c.state}{snippet}")
                entry.setData(Qt.ItemDataRole.UserRole, c.id)
                recent.addItem(entry)
            narrow(search.text())

        def read_recent(_index: int = 0) -> None:
            queue_name, lead = recent_queue.currentData(), self.lead
            recent.clear()
            if queue_name:
                self.ops.query(lambda s: calibration.candidates(s, lead, queue_name, RECENT_LIMIT),
                               on_done=list_recent, on_error=lambda exc: found.setText(in_words(exc)), owner=dialog)

        def narrow(words: str) -> None:
            wanted = words.strip().casefold()
            for i in range(recent.count()):
                recent.item(i).setHidden(bool(wanted) and wanted not in recent.item(i).text().casefold())

        def picked(entry: QListWidgetItem | None) -> None:
            if entry is not None:
                reference.setText(str(entry.data(Qt.ItemDataRole.UserRole)))
                look_up()

        def look_up() -> None:
            wanted, lead = reference.text().strip(), self.lead
            if wanted:
                self.ops.query(lambda s: gold.find_item(s, lead, wanted), on_done=show,
                               on_error=lambda exc: found.setText(in_words(exc)), owner=dialog)

        def work() -> Any:
            if "it" not in item:
                dialog.say("Find the item first.")
                return None
            item_id, chosen_action, chosen_labels, why = item["it"].id, action.currentData(), checked(), \
                explanation.text()
            return lambda s: gold.add_gold(s, self.lead, item_id, chosen_action, chosen_labels, explanation=why,
                                           taxonomy=self.policy)

        def describe() -> str:
            if "it" not in item:
                return "Find the item, then give its answer."
            return (f"Item {item['it'].id} becomes gold: the right decision is {action.currentText()} · "
                    f"{label_names(self.policy, checked())}. Nothing on the item will say so.")

        dialog = ChangeDialog(self, "Mark an item gold", "&Mark gold", work=work, describe=describe,
                              done=lambda g: f"Item {g.item_id} is gold; plant copies to use it." if g else "Saved.")
        dialog.setMinimumWidth(720)  # the recent items' lines and what is found, on few lines
        finding = QWidget()  # the id and its Find button on one line: the dialog fits a 720-pixel screen
        find_row = QHBoxLayout(finding)
        find_row.setContentsMargins(0, 0, 0, 0)
        find_row.addWidget(reference, 1)
        find_row.addWidget(find)
        self.form(dialog, ("Item", finding), ("Or pick", picking), ("Recent", recent), ("Found", found),
                  ("Answer", action), ("Labels", labels), ("Why", explanation))
        dialog.fields.update({"Item": reference, "": find})
        reference.textChanged.connect(dialog.update_summary)
        find.clicked.connect(look_up)
        reference.returnPressed.connect(look_up)
        recent_queue.currentIndexChanged.connect(read_recent)
        search.textChanged.connect(narrow)
        recent.currentItemChanged.connect(lambda entry, _old: picked(entry))
        self._queue_names({"review", "escalation"}, lambda names: [recent_queue.addItem(n, n) for n in names])
        if chosen is not None:
            look_up()
        return self.open(dialog, reference)

    def plant(self) -> ChangeDialog | None:
        chosen = self.need_selected("an active gold item")
        if chosen is None:
            return None
        queue, copies = QComboBox(), QSpinBox()
        queue.addItem("Choose a queue…", None)
        copies.setRange(1, gold.COPIES_LIMIT)
        item_id, own_queue = chosen.item_id, chosen.queue

        def fill(names: list[str]) -> None:
            for name in names:
                queue.addItem(name, name)
            queue.setCurrentIndex(max(queue.findData(own_queue), 0))  # where such items arrive, unless changed

        self._queue_names(set(gold.PLANT_KINDS), fill)

        def work() -> Any:
            target, count = queue.currentData(), copies.value()
            if not target:
                dialog.say("Choose the queue to plant the copies in.")
                return None
            return lambda s: gold.plant_gold(s, self.lead, item_id, target, count)

        dialog = ChangeDialog(
            self, "Plant gold copies", "&Plant", work=work,
            describe=lambda: (f"{copies.value()} unmarked cop{'y' if copies.value() == 1 else 'ies'} of item {item_id}"
                              f" will wait in “{queue.currentData() or '…'}” like any report; each decision on one "
                              "is scored against the answer."),
            done=lambda ids: f"Planted {len(ids)} cop{'y' if len(ids) == 1 else 'ies'} of item {item_id}.")
        self.form(dialog, ("Queue", queue), ("Copies", copies))
        return self.open(dialog, queue)

    def _queue_names(self, kinds: set[str], then: Callable[[list[str]], Any]) -> None:
        """The active (unmerged) queues of *kinds*, by name, handed to *then* once read."""
        self.ops.query(lambda s: [r.queue.name for r in admin.queue_rows(s)
                                  if not r.merged_into and r.queue.kind in kinds], on_done=then, owner=self)

    def retire(self) -> ChangeDialog | None:
        chosen = self.need_selected("an active gold item")
        if chosen is None:
            return None
        item_id, waiting = chosen.item_id, chosen.waiting
        dialog = ChangeDialog(
            self, "Retire gold item", "Retire",
            work=lambda: (lambda s: gold.retire_gold(s, self.lead, item_id)),
            describe=lambda: (f"Item {item_id} and its copies will no longer be planted or scored. Its answer and "
                              f"its {chosen.scored} scored decision(s) stay."
                              + (f" {waiting} planted cop{'y' if waiting == 1 else 'ies'} still waiting will be "
                                 "decided like any item, unscored." if waiting else "")),
            done=lambda _n: f"Retired gold item {item_id}.")
        return self.open(dialog, dialog.ok)
