"""The QA setup page's "Gold items" tab: mark an item gold with its answer, plant copies, retire, see scores.

The list is ``audit.gold.gold_items`` (copies counted in their original,
scores so far); marking finds the item by its id or external id (a read)
and starts from its current decision, or for an item already gold from
its answer whole (labels and why too, so reopening and saving changes
nothing). Keys: Alt + the underlined letter, F5 reloads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSpinBox

from audit import gold
from audit.gold import GoldItem, ItemMatch
from review import admin
from review.store import User
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.qa_common import action_name, label_names, local_day
from ui.pages.qa_tab import SetupTab
from ui.pages.queue_admin_dialogs import ChangeDialog, in_words

COLUMNS = ("Item", "Queue", "Answer", "Why", "Copies", "Score so far", "Status")


class GoldTab(SetupTab):
    def __init__(self, lead: User, ops: Operations, policy: Taxonomy):
        super().__init__(lead, ops, name="qaGold", columns=COLUMNS, stretch=3,
                         load=lambda reader: gold.gold_items(reader, lead), reload_on={"gold", "item", "decision"},
                         hint="Gold items have a known answer. Their copies go into queues unmarked and each "
                              "decision on one is scored; a retired item is no longer planted or scored.")
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
        reference.setPlaceholderText("item id or external id")
        chosen = self.selected()
        if chosen is not None:
            reference.setText(str(chosen.item_id))
        action = QComboBox()
        for entry in self.policy.actions:
            action.addItem(entry.name, entry.id)
        labels = QListWidget()
        labels.setAccessibleName("Labels")
        labels.setMaximumHeight(140)
        for label in self.policy.labels:
            entry = QListWidgetItem(label.name)
            entry.setData(Qt.ItemDataRole.UserRole, label.id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            labels.addItem(entry)
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
                          + (f"\n{match.text[:160]}" if match.text else ""))
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

        dialog = ChangeDialog(self, "Mark an item gold", "Mark gold", work=work, describe=describe,
                              done=lambda g: f"Item {g.item_id} is gold; plant copies to use it." if g else "Saved.")
        self.form(dialog, ("Item", reference), ("", find), ("Found", found), ("Answer", action), ("Labels", labels),
                  ("Why", explanation))
        find.clicked.connect(look_up)
        reference.returnPressed.connect(look_up)
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
        item_id = chosen.item_id

        def fill(names: list[str]) -> None:
            for name in names:
                queue.addItem(name, name)

        self.ops.query(lambda s: [r.queue.name for r in admin.queue_rows(s)
                                  if not r.merged_into and r.queue.kind in gold.PLANT_KINDS],
                       on_done=fill, owner=self)

        def work() -> Any:
            target, count = queue.currentData(), copies.value()
            if not target:
                dialog.say("Choose the queue to plant the copies in.")
                return None
            return lambda s: gold.plant_gold(s, self.lead, item_id, target, count)

        dialog = ChangeDialog(
            self, "Plant gold copies", "Plant", work=work,
            describe=lambda: (f"{copies.value()} unmarked cop{'y' if copies.value() == 1 else 'ies'} of item {item_id}"
                              f" will wait in “{queue.currentData() or '…'}” like any report; each decision on one "
                              "is scored against the answer."),
            done=lambda ids: f"Planted {len(ids)} cop{'y' if len(ids) == 1 else 'ies'} of item {item_id}.")
        self.form(dialog, ("Queue", queue), ("Copies", copies))
        return self.open(dialog, queue)

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
