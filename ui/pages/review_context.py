"""The context that decides cases, beside the item: metadata in words, the author's account, the policy at hand.

``metadata_rows`` turns a report's raw fields into a person's words and
units ("Account age: 3 days", "1 reporter"); ``AccountSection`` is the
author's history in two lines under the report (other items, the policy
applied to them, open ones, the team's notes) and Ctrl+I opens
``AccountDialog``, the account's list, read-only and text only, where a
note about the account can be added. ``policy_text`` is what the decision
panel says about the chosen labels (``action_rule`` is each action button's
tooltip), and Ctrl+P shows
the full policy text of the chosen labels (``PolicyDialog``). Both keys are
keymap commands (``account``, ``policy``: listed, re-bindable, clash-checked);
each page binds them, and the hints here name the person's own key.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from review import accounts
from review.accounts import Account
from review.clock import parse
from review.errors import VeilError
from review.serving import Item
from review.store import User
from review.taxonomy import Action, Taxonomy
from ui import keymap
from ui.operations import Operations
from ui.pages.queues import human_age

ACCOUNT_KEY = keymap.FIXED["account"][0]  # "info": the account's list (the default; a page sets the person's own)
POLICY_KEY = keymap.FIXED["policy"][0]  # the chosen labels' full policy text
NOTE_SHOWN = 90  # characters of the latest team note beside the item; the list has them all


def _count(n: Any, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


#: Known metadata keys: (words, how the value is said). Anything else is shown as words from its snake_case name.
KNOWN: dict[str, tuple[str, Callable[[Any], str]]] = {
    "author": ("Author", str),
    "reporter": ("Reported by", str),
    "account_age_days": ("Account age", lambda v: _count(v, "day")),
    "prior_strikes": ("Prior strikes", str),
    "reporter_count": ("Reporters", str),
    "classifier_score": ("Classifier score", lambda v: f"{float(v):.0%}" if isinstance(v, int | float) else str(v)),
    "source": ("Source", str),
    "surface": ("Posted in", str),
    "language": ("Language", str),
    "listing_title": ("Listing title", str),
    "price_display": ("Price", str),
    "seller": ("Seller", str),
    "demo": ("Demo item", _yes_no),
}
#: Shown elsewhere (the header, the report line, the thread panel) or only a part of another field.
SKIPPED = {"category", "description", "report_reason", "reporter_count", "price", "currency", "thread"}


def words(key: str) -> str:
    """A snake_case field name as words: "follower_count" → "Follower count"."""
    return key.replace("_", " ").strip().capitalize() or key


def metadata_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) in a person's words and units for each metadata field worth showing, known ones first."""
    rows = []
    for key, (name, say) in KNOWN.items():
        if key in meta and key not in SKIPPED and meta[key] not in (None, ""):
            try:
                rows.append((name, say(meta[key])))
            except (TypeError, ValueError):
                rows.append((name, str(meta[key])))
    for key, value in meta.items():
        if key not in KNOWN and key not in SKIPPED and value not in (None, ""):
            said = _yes_no(value) if isinstance(value, bool) else str(value)
            rows.append((words(key), said))
    return rows


def reporters_text(count: Any) -> str:
    """ "1 reporter", "3 reporters"; "" when none was given."""
    return _count(count, "reporter") if count else ""


def _when(at: str | None, now: _dt.datetime) -> str:
    if not at:
        return ""
    return f"{human_age(max(0.0, (now - parse(at)).total_seconds()))} ago"


def _action_name(taxonomy: Taxonomy, action: str) -> str:
    try:
        return taxonomy.action(action).name
    except KeyError:
        return words(action)


def _label_names(taxonomy: Taxonomy, labels: Iterable[str]) -> str:
    names = []
    for label in labels:
        try:
            names.append(taxonomy.label(label).name)
        except KeyError:
            names.append(words(label))
    return ", ".join(names)


def account_summary(account: Account, taxonomy: Taxonomy, now: _dt.datetime, key: str = ACCOUNT_KEY) -> str:
    """Two lines on the author: other items and what was decided on them, open ones, and the latest team note
    (counted by the store with the look-up, off the GUI thread)."""
    others = account.visible + account.elsewhere
    if not others:
        history = f"Author {account.author}: no other items in Veil"
    else:
        decided = ", ".join(f"{_action_name(taxonomy, a).lower()} ×{n}" for a, n in account.decided)
        parts = [_count(others, "other item")]
        if decided:
            parts.append(decided)
        if account.open:
            parts.append(f"{account.open} open")
        if account.elsewhere:
            parts.append(f"{account.elsewhere} in queues you do not work")
        history = f"Author {account.author}: " + " · ".join(parts)
    history += f" · {key} lists them"
    if account.notes:
        last = account.notes[-1]
        body = last.body if len(last.body) <= NOTE_SHOWN else last.body[:NOTE_SHOWN - 1] + "…"
        history += (f"\n{_count(len(account.notes), 'team note')} · latest by {last.by} {_when(last.at, now)}: "
                    f"“{body}”")
    return history


def account_html(account: Account, taxonomy: Taxonomy, now: _dt.datetime) -> str:
    """The account's list as text: each other item with the decision that stands (action, labels, when), then notes."""
    rows = []
    for item in reversed(account.items):  # newest first
        if item.action is None:
            decision = "open"
        else:
            labels = _label_names(taxonomy, item.labels)
            decision = _action_name(taxonomy, item.action) + (f" ({labels})" if labels else "")
            decision += f", {_when(item.decided_at, now)}"
        rows.append(f"<tr><td style='padding-right:12px'>{html.escape(item.external_id)}</td>"
                    f"<td style='padding-right:12px'>{html.escape(item.queue)}</td>"
                    f"<td>{html.escape(decision)}</td></tr>")
    items = (f"<table>{''.join(rows)}</table>" if rows else "<p>No other items you may see.</p>")
    if account.unlisted:
        items += f"<p>{_count(account.unlisted, 'older item')} not listed: the newest {len(account.items)} are.</p>"
    if account.elsewhere:
        items += f"<p>{_count(account.elsewhere, 'more item')} in queues you do not work.</p>"
    notes = "".join(f"<p><b>{html.escape(n.by)}</b>, {html.escape(_when(n.at, now))}: {html.escape(n.body)}</p>"
                    for n in account.notes) or "<p>No team notes yet.</p>"
    title = f"<h2>Account {html.escape(account.author)}</h2>"  # the title bar may be off screen or hidden
    return f"{title}<h3>Other items</h3>{items}<h3>Team notes</h3>{notes}"


class AccountDialog(QDialog):
    """The author's other items and the team's notes, read-only and text only; a note can be added."""

    def __init__(self, account: Account, taxonomy: Taxonomy, now: _dt.datetime,
                 add_note: Callable[[str], None] | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Account {account.author}")
        self.setObjectName("accountDialog")
        self.taxonomy, self.add_note = taxonomy, add_note
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("accountList")
        self.browser.setAccessibleName("The account's items and team notes")
        self.browser.setOpenLinks(False)
        layout.addWidget(self.browser, 1)
        row = QHBoxLayout()
        self.note = QLineEdit()
        self.note.setObjectName("accountNote")
        self.note.setAccessibleName("A note about this account for the team")
        self.note.setPlaceholderText("A note about this account for the team (Enter keeps it)")
        self.note.setMaxLength(accounts.MAX_NOTE_CHARS)
        self.note.returnPressed.connect(self._keep_note)
        keep = QPushButton("Keep note")
        keep.clicked.connect(self._keep_note)
        row.addWidget(self.note, 1)
        row.addWidget(keep)
        if add_note is not None:
            layout.addLayout(row)
        else:
            self.note.hide()
            keep.hide()
        self.message = QLabel()
        self.message.setObjectName("accountMessage")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.show_account(account, now)
        self.resize(620, 420)
        if add_note is not None:
            self.note.setFocus()  # type a note at once; Esc closes

    def show_account(self, account: Account, now: _dt.datetime) -> None:
        self.browser.setHtml(account_html(account, self.taxonomy, now))

    def say(self, text: str) -> None:
        self.message.setText(text)

    def _keep_note(self) -> None:
        text = self.note.text().strip()
        if not text:
            self.say("Write the note first.")
            return
        if self.add_note is not None:
            self.add_note(text)
            self.note.clear()


class AccountSection(QLabel):
    """Two lines on the item's author under the report; Ctrl+I opens the account's list.

    Also on the audit page's item view, where no account is shown and the key does nothing.
    """

    def __init__(self, taxonomy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.taxonomy = taxonomy
        self.setObjectName("accountSummary")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.account: Account | None = None
        self.item: Item | None = None
        self.ops: Operations | None = None
        self.user: User | None = None
        self.now = _dt.datetime.now(_dt.UTC)
        self.dialog: AccountDialog | None = None
        self.setVisible(False)
        self.key = ACCOUNT_KEY  # the page's binding of the ``account`` command calls open_list and names its key here

    def show_account(self, account: Account | None, now: _dt.datetime, *, item: Item | None = None,
                     ops: Operations | None = None, user: User | None = None) -> None:
        """The account behind the item on screen (None: it names no author); *ops* and *user* let notes be kept."""
        self.account, self.now, self.item, self.ops, self.user = account, now, item, ops, user
        self.setText(account_summary(account, self.taxonomy, now, self.key) if account is not None else "")
        self.setAccessibleName(self.text().replace("\n", ". ") or "No account")
        self.setVisible(account is not None)
        if self.dialog is not None and account is not None:
            self.dialog.show_account(account, now)

    def open_list(self) -> AccountDialog | None:
        """Ctrl+I: the account's list (None when the item names no author)."""
        if self.account is None:
            return None
        add = self._add_note if self.ops is not None and self.user is not None else None
        self.dialog = AccountDialog(self.account, self.taxonomy, self.now, add, self.window())
        self.dialog.finished.connect(self._closed)
        self.dialog.open()
        return self.dialog

    def _closed(self) -> None:
        self.dialog = None

    def _add_note(self, body: str) -> None:
        ops, user, item, account = self.ops, self.user, self.item, self.account
        if ops is None or user is None or item is None or account is None:
            return

        def keep(store: Any) -> Account | None:
            accounts.add_note(store, user, account.author, body)
            return accounts.for_item(store, user, item)

        ops.write(keep, on_done=self._note_kept, on_error=self._note_failed, owner=self)

    def _note_kept(self, account: Account | None) -> None:
        if self.item is not None and account is not None and self.account is not None \
                and account.author == self.account.author:
            self.show_account(account, self.now, item=self.item, ops=self.ops, user=self.user)
        if self.dialog is not None:
            self.dialog.say("Note kept: the team sees it on this account's items.")

    def _note_failed(self, exc: BaseException) -> None:
        if self.dialog is not None:
            self.dialog.say(f"Not kept: {exc}" if isinstance(exc, VeilError) else f"Not kept: {exc!r}")


def policy_text(taxonomy: Taxonomy, labels: Iterable[str]) -> str:
    """Each chosen label's policy (its description), the last chosen first."""
    lines = []
    for label_id in labels:
        label = taxonomy.label(label_id)
        lines.insert(0, f"{label.name}: {label.description or 'no description in the taxonomy'}")
    return " · ".join(lines)


def action_rule(action: Action) -> str:
    """What the action does and what it needs: "Take the item down … Needs a policy label."."""
    needs = [what for what, on in (("a policy label", action.requires_label), ("a note", action.requires_note)) if on]
    return " ".join(part for part in (action.description, f"Needs {' and '.join(needs)}." if needs else "") if part)


class OneLine(QLabel):
    """A label one line high that ends in "…" when its text is longer: the full text is its tooltip."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setFixedHeight(self.fontMetrics().lineSpacing() + 4)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # a long text never widens the panel

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown)


class PolicyDialog(QDialog):
    """Ctrl+P: the full policy text of the chosen labels (every label when none is chosen) and the actions'."""

    def __init__(self, taxonomy: Taxonomy, labels: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Policy")
        self.setObjectName("policyDialog")
        chosen = labels or [label.id for label in taxonomy.labels]
        parts = [f"<p><b>{html.escape(taxonomy.label(i).name)}</b> ({taxonomy.label(i).severity})<br>"
                 f"{html.escape(taxonomy.label(i).description or 'No description in the taxonomy.')}</p>"
                 for i in chosen]
        parts += ["<h3>Actions</h3>"] + [
            f"<p><b>{html.escape(a.name)}</b>{' (' + html.escape(a.key) + ')' if a.key else ''}: "
            f"{html.escape(a.description)}</p>" for a in taxonomy.actions]
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("policyText")
        self.browser.setAccessibleName("Policy text")
        self.browser.setHtml(f"<p>Taxonomy version {taxonomy.version}</p>" + "".join(parts))
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 420)
