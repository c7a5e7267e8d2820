"""A complaint on the review page (DSA Art. 20): what it is against, and ending it upheld or reversed.

A complaint item is not decided like an ordinary one: it ends upheld (the
decision complained of stands) or reversed (a new decision replaces it on
the original item), always with a reason in the note, through
``ReviewDesk.resolve``. :class:`ComplaintFlow` shows, in the item's
header (wide, and above what the person says), what the complaint is against — the original decision's action,
labels, when, and the original content's id, never who made it or their
note (the complainant's reviewer must judge the decision, not the
colleague) — and turns the keys into that flow: uphold (U by default);
reverse (V), then the key of the action that replaces it; an ordinary
decision key alone records nothing and says what to press instead. With
the note empty, the reason is asked for first and Enter sends it. The
keys are keymap commands (``ui.keymap`` ``COMPLAINT_COMMANDS``), so the
hints name the person's own keys, not the default letters.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from review.clock import parse
from review.complaints import Against
from review.taxonomy import Taxonomy
from ui import keymap
from ui.pages.escalate_chooser import NOTE_HINT
from ui.pages.queues import human_age
from ui.pages.review_panels import DecisionPanel, ItemHeader

NO_UNDO = "A complaint's ending cannot be undone."
HINTED = (*keymap.COMPLAINT_COMMANDS, "note")  # the commands the hints name


def keys_hint(key_of: dict[str, str]) -> str:
    """How to end a complaint with the keys in *key_of* ({command: key})."""
    return f"{key_of['uphold']} upholds · {key_of['reverse']} + action key reverses · reason in note ({key_of['note']})"


def against_text(complaint: Against, taxonomy: Taxonomy, now: _dt.datetime, hint: str) -> tuple[str, str]:
    """What the complaint is against and how to end it (*hint*), as a title and a line: no original moderator,
    no note."""
    actions = {action.id: action.name for action in taxonomy.actions}
    names = {label.id: label.name for label in taxonomy.labels}
    labels = ", ".join(names.get(label, label) for label in complaint.labels) or "no label"
    ago = human_age((now - parse(complaint.decided_at)).total_seconds())
    return (f"Complaint against “{actions.get(complaint.action, complaint.action)}” ({labels}) on "
            f"{complaint.original_external_id}",
            f"Decided {ago} ago, {complaint.decided_at[:16].replace('T', ' ')} UTC  ·  {hint}")


class ComplaintFlow:
    """The complaint keys on the review page: uphold, or reverse + an action key, each with a reason.

    *end(outcome, action)* is the page's write (``ReviewDesk.resolve``);
    *say* puts a sentence on the page; *refocus* gives the keys back to it.
    The hints name the default keys until the page binds the person's own (:meth:`use_keys`).
    """

    def __init__(self, panel: DecisionPanel, header: ItemHeader, *, end: Callable[[str, str | None], None],
                 say: Callable[[str], None], refocus: Callable[[], None]):
        self.panel, self.header, self.taxonomy = panel, header, panel.taxonomy
        self.end, self.say, self.refocus = end, say, refocus
        self.complaint: Against | None = None
        self.reversing = False  # reverse pressed: the next action key names the new decision
        self.pending: tuple[str, str | None] | None = None  # chosen, waiting for the reason in the note
        self.key_of = {command: keymap.FIXED[command][0] for command in HINTED}

    def use_keys(self, bindings: list[keymap.Binding]) -> None:
        """The person's *bindings*: the hints and messages name their keys for uphold, reverse and note."""
        self.key_of = {b.command: b.key for b in bindings if b.command in HINTED}

    def show(self, complaint: Against | None, now: _dt.datetime) -> None:
        """The item on screen (after the item view painted its header): a complaint, said in the header, or an
        ordinary item (None: the header stays the item's)."""
        self.complaint = complaint
        self.reset()
        if complaint is not None:
            title, line = against_text(complaint, self.taxonomy, now, keys_hint(self.key_of))
            self.header.title.setText(title)
            self.header.subtitle.setText(line)

    def reset(self) -> None:
        self.reversing, self.pending = False, None
        if self.complaint is not None:
            self.panel.note.setPlaceholderText(NOTE_HINT)

    @property
    def reversal_action(self) -> str | None:
        """After reverse: the reversal's action once its key was pressed, else "" (any); None when no reversal is
        under way (what the statement box shows)."""
        if self.reversing:
            return ""
        return (self.pending[1] or "") if self.pending is not None and self.pending[0] == "reversed" else None

    def statement_target(self, item_id: int) -> int | None:
        """The item whose statement the box shows: *item_id* when it is no complaint, the original item while a
        reversal is under way, else none (upholding sends nothing new)."""
        if self.complaint is None:
            return item_id
        return self.complaint.original_item_id if self.reversal_action is not None else None

    def uphold(self) -> None:
        """Uphold: the decision stands."""
        if self.complaint is None:
            self.say(f"{self.key_of['uphold']} upholds a complaint; this item is not one.")
            return
        self.reversing = False
        self._with_reason("upheld", None)

    def reverse(self) -> None:
        """Reverse: the next action key names the decision that replaces the one complained of."""
        if self.complaint is None:
            self.say(f"{self.key_of['reverse']} reverses a complaint; this item is not one.")
            return
        self.reversing, self.pending = True, None
        self.say("Reverse: press the key of the action that replaces the decision (choose its labels first).")

    def action(self, action_id: str) -> None:
        """An action key on a complaint: the reversal's new action after reverse, otherwise what to press instead."""
        if not self.reversing:
            self.say(f"This is a complaint: nothing was recorded. {keys_hint(self.key_of)}.")
            return
        self.reversing = False
        self._with_reason("reversed", action_id)

    def note_done(self) -> bool:
        """Enter in the note: end the complaint if it was waiting for its reason (True), else nothing (False)."""
        if self.pending is None:
            return False
        if self.panel.note.text().strip():
            self.end(*self.pending)
        else:
            self.say("The reason is required: the person who complained is told it.")
        return True

    def cancel(self) -> None:
        """Esc in the note: drop the ending under way (if any)."""
        if self.pending is not None or self.reversing:
            self.reset()
            self.say("Cancelled: the complaint is still open.")
        self.refocus()

    def _with_reason(self, outcome: str, action: str | None) -> None:
        if self.panel.note.text().strip():
            self.pending = None
            self.end(outcome, action)
            return
        self.pending = (outcome, action)
        what = "Uphold" if outcome == "upheld" else f"Reverse to {self.taxonomy.action(action or '').name}"
        self.panel.note.setPlaceholderText("Why? Enter sends, Esc cancels")
        self.panel.note.setFocus()
        self.say(f"{what}: type the reason, then Enter.")
