"""The review page's side panels: what the item is, and how to decide it.

``ItemHeader`` names the item's category and says in one line what it is,
before any media appears. ``ContextPanel`` shows the post's text, the
report, metadata, the SLA clock, "seen before" with what else is known of
the content (hash-list matches, its case, a rule's suggestion:
:func:`known_lines`) and, for an escalated or
sent-back item, who escalated it, why and from where (and the lead's
note), and the author's account (``ui.pages.review_context``). Metadata is
said in words and units. ``DecisionPanel`` shows the taxonomy's labels and
actions with their keys, the chosen labels' policy text and the actions'
rules, the escalation queue chooser, the note, and a message line for
rules that are not met. None of them touch the store.
"""

from __future__ import annotations

import datetime as _dt
import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from review import near_copies
from review.clock import parse
from review.escalations import Facts
from review.near_copies import SeenBefore
from review.serving import Item
from review.taxonomy import Taxonomy
from ui import theme
from ui.operations import Operations
from ui.pages.escalate_chooser import NOTE_HINT, RouteChooser
from ui.pages.queues import human_age
from ui.pages.review_context import (
    POLICY_KEY,
    AccountSection,
    OneLine,
    PolicyDialog,
    action_rule,
    metadata_rows,
    policy_text,
    reporters_text,
)

if TYPE_CHECKING:
    from review.desk import Shown
    from review.known.facts import Known
    from review.store import User


def _label(text: str = "", *, name: str = "", wrap: bool = True) -> QLabel:
    """A plain-text label: item text, list tags and rule names come from outside, and as rich text an
    ``<img src=…>`` in one would show a local picture unblurred (the metadata table alone opts into rich text,
    escaping every value)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def _plain(text: str) -> str:
    """Button text shown as written: a lone "&" would become a mnemonic underline."""
    return text.replace("&", "&&")


def sla_clock(item: Item, now: _dt.datetime) -> str:
    left = (parse(item.due_at) - now).total_seconds()
    return f"Due in {human_age(left)}" if left > 0 else f"Overdue by {human_age(-left)}"


def seen_before_text(history: dict[str, int], taxonomy: Taxonomy) -> str:
    """"Seen before: remove ×3, 4 bits": the copies' outcomes and how near the nearest is (never their pixels)."""
    if not history:
        return "Seen before: still being looked up…" if getattr(history, "pending", False) else "Not seen before"
    parts = []
    for action, count in history.items():
        try:
            name = taxonomy.action(action).name.lower()
        except KeyError:
            name = action
        parts.append(f"{name} ×{count}")
    bits = history.bits if isinstance(history, SeenBefore) else None
    if bits is not None:
        parts.append("identical" if bits == 0 else f"{bits} bit{'s' if bits != 1 else ''}")
    return "Seen before: " + ", ".join(parts)


def _action_words(action: str, labels: tuple[str, ...], taxonomy: Taxonomy) -> str:
    """"remove (spam)": the action's and labels' names, lower case as "Seen before" says them."""
    try:
        said = taxonomy.action(action).name.lower()
    except KeyError:
        said = action
    names = []
    for label in labels:
        try:
            names.append(taxonomy.label(label).name.lower())
        except KeyError:
            names.append(label)
    return said + (f" ({', '.join(names)})" if names else "")


def known_lines(known: Known, taxonomy: Taxonomy) -> list[str]:
    """What hash lists, cases and rules know of the item, one line each: "List known-spam: tag X, 12 bits",
    "Case: 10 reports, 3 open", "Suggested by rule R v3: remove (spam)". Names, counts and distances only:
    never anything of a matched item's pixels."""
    lines = []
    for match in known.list_matches:
        tag = f"tag {match.tag}, " if match.tag else ""
        if match.signal_type == "pdq":
            near = "identical picture" if match.distance == 0 else f"{match.distance} bit{'s' * (match.distance != 1)}"
        else:
            near = "same text" if match.signal_type == "text" else "same file"
        does = f" · {_action_words(match.action, (), taxonomy)}" if match.action else ""
        lines.append(f"List {match.list}: {tag}{near}{does}")
    if known.case is not None:
        case = known.case
        decided = f", decided: {_action_words(case.decided_action, (), taxonomy)}" if case.decided_action else ""
        lines.append(f"Case: {case.reports} report{'s' * (case.reports != 1)}, {case.open_reports} open{decided}")
    if known.suggestion is not None:
        hint = known.suggestion
        source = f"list {hint.rule[5:]}" if hint.rule.startswith("list:") else f"rule {hint.rule}"
        lines.append(f"Suggested by {source} v{hint.version}: {_action_words(hint.action, hint.labels, taxonomy)}")
    return lines


def escalation_text(facts: Facts | None, now: _dt.datetime) -> str:
    """Who sent the item up, why and from where (and a lead's note if it came back); "" when nothing is open."""
    if facts is None or facts.outcome not in (None, "sent_back"):
        return ""
    ago = human_age((now - parse(facts.escalated_at)).total_seconds())
    sent = f"Escalated by {facts.escalated_by} from “{facts.origin}” {ago} ago: “{facts.reason}”"
    if facts.outcome == "sent_back":
        return f"Sent back by {facts.closed_by}: “{facts.outcome_note}”\n({sent})"
    return sent


class ItemHeader(QFrame):
    """Category, severity and a one-line description, shown before any media."""

    def __init__(self, taxonomy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.taxonomy = taxonomy
        self.setObjectName("itemHeader")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.title = _label(name="itemCategory")
        self.subtitle = _label(name="itemDescription")
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)

    def show_item(self, item: Item | None) -> None:
        if item is None:
            self.title.setText("")
            self.subtitle.setText("")
            return
        if item.metadata.get("complaint_of"):  # not a report: the review page adds what it is against
            self.title.setText(f"Complaint against the decision on {item.metadata['complaint_of']}")
            where = f"  ·  in {item.queue_name}" if item.queue_name else ""
            self.subtitle.setText(f"What the person says is below.{where}")
            return
        category = item.category or ""
        try:
            category = self.taxonomy.label(category).name
        except KeyError:
            category = category.replace("_", " ").capitalize() or "Uncategorised"
        severity = f"  ·  {item.severity}" if item.severity else ""
        self.title.setText(f"{category}{severity}")
        kind = {"text": "text post", "mixed": "post with media"}.get(item.kind, item.kind)
        description = item.description or "No description was given with this report."
        self.subtitle.setText(f"{description}  ·  {kind}" + (f" in {item.queue_name}" if item.queue_name else ""))


class ContextPanel(QFrame):
    """The report's context: text, reason, reporters, the author's account, metadata, SLA, history."""

    def __init__(self, taxonomy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.taxonomy = taxonomy
        self.setObjectName("contextPanel")
        layout = QVBoxLayout(self)
        self.text = _label(name="postText")
        self.report = _label(name="reportLine")
        self.sla = _label(name="slaClock")
        self.seen = _label(name="seenBefore")
        self.known = _label(name="knownContent")
        self.known.setAccessibleName("Known content: hash lists, case, suggestion")
        self.known.setVisible(False)
        self.escalation = _label(name="escalationFacts")
        self.escalation.setVisible(False)
        self.account = AccountSection(taxonomy)
        self._showing: int | None = None  # the item whose desk facts are shown (a late "Seen before" is for it)
        self.metadata = _label(name="metadata")
        self.metadata.setTextFormat(Qt.TextFormat.RichText)
        for widget in (self.escalation, self.text, self.report, self.account, self.sla, self.seen, self.known,
                       self.metadata):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_escalation(self, facts: Facts | None, now: _dt.datetime) -> None:
        """The item's escalation, if one is open or it was sent back (``review.escalations.latest``)."""
        self.escalation.setText(escalation_text(facts, now))
        self.escalation.setVisible(bool(self.escalation.text()))

    def show_shown(self, shown: Shown, now: _dt.datetime, ops: Operations, user: User) -> None:
        """What the desk gave with the item on the review page: its escalation, its author's account and what is
        known of its content (a blind auditor's desk never calls this, and its ``Known`` is empty)."""
        self.show_escalation(shown.escalation, now)
        self.show_known(shown.known)
        self.account.show_account(shown.account, now, item=shown.item, ops=ops, user=user)
        self._showing = shown.item.id
        if shown.seen_before.pending:  # the index was still loading: asked again on a reader, which waits for it
            self._ask_seen_before(shown.item, ops)

    def _ask_seen_before(self, item: Item, ops: Operations) -> None:
        def answered(seen: SeenBefore) -> None:
            if self._showing == item.id:  # the person is still on that item
                self.seen.setText(seen_before_text(seen, self.taxonomy))

        ops.query(lambda reader: near_copies.seen_before(reader, item.id, item.content_sha256, item.pdq, wait=True),
                  on_done=answered, owner=self)

    def show_known(self, known: Known | None) -> None:
        """Hash-list matches, the case and the suggestion under "Seen before" (hidden when nothing is known)."""
        lines = known_lines(known, self.taxonomy) if known is not None else []
        self.known.setText("\n".join(lines))
        self.known.setVisible(bool(lines))

    def show_item(self, item: Item | None, *, now: _dt.datetime, history: dict[str, int]) -> None:
        """The item's own context. Its escalation, account and what is known of it stay as they are until
        :meth:`show_shown` replaces them, which the review page does in the same turn of the event loop (the audit
        page never shows them): hiding a label and showing it again lays the whole window out at once, a few
        milliseconds of every key at 1280×720 (issue 22). With no item, they go."""
        self._showing = None  # until the desk says what it gave with the item (show_shown)
        if item is None:
            self.show_escalation(None, now)
            self.account.show_account(None, now)
            self.show_known(None)
            for widget in (self.text, self.report, self.sla, self.seen, self.metadata):
                widget.setText("")
            return
        self.text.setText(item.text if item.text and item.kind != "text" else "")
        self.text.setVisible(bool(self.text.text()))
        meta: dict[str, Any] = item.metadata
        reason = meta.get("report_reason") or "No report reason"
        reporters = meta.get("reporter_count")
        self.report.setText(f"Reported for: {reason}" + (f" · {reporters_text(reporters)}" if reporters else ""))
        self.update_clock(item, now)
        self.seen.setText(seen_before_text(history, self.taxonomy))
        faint = theme.COLORS["faint"]  # rich text takes no stylesheet: the theme's role, as the item is shown
        rows = "".join(
            f"<tr><td style='padding-right:10px;color:{faint}'>{html.escape(name)}</td>"
            f"<td>{html.escape(value)}</td></tr>"
            for name, value in metadata_rows(meta)
        )
        self.metadata.setText(f"<table>{rows}</table><p style='color:{faint}'>id {html.escape(item.external_id)}</p>")

    def update_clock(self, item: Item, now: _dt.datetime) -> None:
        self.sla.setText(sla_clock(item, now))


class DecisionPanel(QFrame):
    """Labels (1–9), their policy, actions (letters), the note, and what is wrong if anything."""

    action_clicked = Signal(str)
    note_done = Signal()

    def __init__(self, taxonomy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.taxonomy = taxonomy
        self.setObjectName("decisionPanel")
        layout = QVBoxLayout(self)
        # Tight rows: every pixel this panel does not take goes to the item's context above it (1280×720).
        layout.setContentsMargins(4, 2, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(_label("Policy labels", name="sectionTitle"))
        self.labels: dict[str, QCheckBox] = {}
        labels = QGridLayout()
        labels.setVerticalSpacing(2)
        rows = (len(taxonomy.labels) + 1) // 2
        for n, label in enumerate(taxonomy.labels):
            box = QCheckBox(_plain(f"{label.key or ' '}  {label.name}"))
            box.setToolTip(f"{label.description} ({label.severity})")
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            box.toggled.connect(self._show_policy)
            self.labels[label.id] = box
            labels.addWidget(box, n % rows, n // rows)
        layout.addLayout(labels)
        self.policy = OneLine("policyLine")  # one line, always: toggling a label never moves the keys below
        self.policy_key = POLICY_KEY  # the page's binding of the ``policy`` command opens the text and names its key
        layout.addWidget(self.policy)
        layout.addWidget(_label("Decision", name="sectionTitle"))
        grid = QGridLayout()
        grid.setVerticalSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        for n, action in enumerate(taxonomy.actions):
            button = QPushButton(_plain(f"{action.key}  {action.name}" if action.key else action.name))
            button.setToolTip(action_rule(action))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, a=action.id: self.action_clicked.emit(a))
            self.buttons[action.id] = button
            grid.addWidget(button, n // 2, n % 2)
        layout.addLayout(grid)
        self.chooser = RouteChooser()
        layout.addWidget(self.chooser)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText(NOTE_HINT)
        self.note.returnPressed.connect(self.note_done.emit)
        layout.addWidget(self.note)
        self.message = _label(name="ruleMessage")
        # Room for three lines, kept when empty: a message appearing must not move the keys above it.
        self.message.setFixedHeight(3 * self.message.fontMetrics().lineSpacing() + 4)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.message)
        self._show_policy()

    def _show_policy(self) -> None:
        """The chosen labels' descriptions, the last chosen first (the full text on hover and Ctrl+P)."""
        chosen = policy_text(self.taxonomy, self.chosen_labels())
        self.policy.setText(chosen or f"{self.policy_key}: the policy text of every label and action")
        self.policy.setToolTip(chosen)
        self.policy.setAccessibleName(chosen or "No policy label chosen")
        self.policy.update()

    def set_policy_key(self, key: str) -> None:
        """The person's own key for the policy text (the ``policy`` command), named on the policy line."""
        self.policy_key = key
        self._show_policy()

    def show_policy_text(self) -> PolicyDialog:
        """Ctrl+P: the full policy text of the chosen labels (every label when none is chosen)."""
        dialog = PolicyDialog(self.taxonomy, self.chosen_labels(), self.window())
        dialog.open()
        return dialog

    def reset(self) -> None:
        for box in self.labels.values():
            box.setChecked(False)
        self.note.clear()
        self.note.setPlaceholderText(NOTE_HINT)
        self.chooser.close_choice()
        self.message.clear()

    def toggle_label_key(self, key: str) -> None:
        for label in self.taxonomy.labels:
            if label.key == key:
                box = self.labels[label.id]
                box.setChecked(not box.isChecked())

    def chosen_labels(self) -> list[str]:
        return [label_id for label_id, box in self.labels.items() if box.isChecked()]

    def say(self, text: str) -> None:
        self.message.setText(text)

    def set_enabled(self, enabled: bool) -> None:
        for widget in (*self.labels.values(), *self.buttons.values(), self.note):
            widget.setEnabled(enabled)
