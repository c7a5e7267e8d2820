"""Keyboard bindings: defaults, a person's overrides, and the cheat sheet.

Commands are strings: ``start``, ``reveal``, ``skip``, ``note``, ``undo``,
``hide``, ``help``, ``zoom_in``, ``zoom_out``, ``fit``, ``thread``, ``account`` (the author's
list) and ``policy`` (the policy text), the video commands
(``play``, ``open_frame``, ``storyboard``, ``back``, ``forward``, ``slower``, ``faster``),
the escalation workbench's (``send_back``, ``move``, ``refresh``), the
complaint keys (``uphold``, ``reverse``; the review page only),
``label:<n>`` (n = 1…9) and ``action:<id>`` for each taxonomy action.
Action keys come from the taxonomy; everything can be re-bound except the
two keys that keep media safe (Space holds to see, Esc hides everything),
and a binding that would give one key two meanings — two commands, or a
command and a key the window keeps (:data:`RESERVED`: Ctrl+1…9, Ctrl+B,
Ctrl+E, Ctrl+Shift+L, Ctrl+Q, Ctrl+,, F1) — is refused with a message naming both.
A desk command's default key that the organisation's policy already gives an
action (a policy older than the key: T for Remove before T was the thread's)
stays the action's, the command waits for a key of the person's choosing, and
they are told at sign-in (:func:`unbound_defaults`); nothing refuses to start.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from review import settings
from review.errors import VeilError
from review.store import Store
from review.taxonomy import DESK_KEYS, Taxonomy
from ui.wellbeing.widgets import WellbeingWidgets
from ui.widgets.modal import returning_focus

QUEUE_PICKER_KEY = "Alt+Q"  # the "&Queue" label's mnemonic on the review and escalation pages
MY_SETTINGS_KEY = "Ctrl+,"  # the usual Preferences key: "My settings" wherever it falls in the page list
RESERVED = {  # key: what the window does with it, on every page; no command may take it
    **{f"Ctrl+{n}": f"switching to page {n}" for n in range(1, 10)},
    MY_SETTINGS_KEY: "opening My settings",
    WellbeingWidgets.TAKE_BREAK_KEY: "taking a break",
    "Ctrl+E": "exporting",
    "Ctrl+Shift+L": "signing out",
    "Ctrl+Q": "quitting Veil",
    "F1": "showing every key (Help)",
}
#: Keys the cheat sheet names beside the bindings: the window's own (:data:`RESERVED`), the lists' reload and the
#: mouse's reveal, which no binding carries. Written as the README names them.
WINDOW_KEYS = (
    ("Ctrl+1…9", "Go to the page at that place in the list"),
    *((key, f"{what[0].upper()}{what[1:]}") for key, what in RESERVED.items() if not key[-1].isdigit()),
    ("F5", "Reload a list (queues, escalations, roster, QA setup, settings …)"),
    (QUEUE_PICKER_KEY, "Review and Escalations pages: choose the queue (arrows change it; Enter or Esc returns)"),
)
MOUSE_KEYS = (("Drag a rectangle", "Reveal only that region (Viewing)"),)
_README_NAMES = {"Return": "Enter", "Escape": "Esc"}  # Qt's names for the keys the README calls otherwise
SAFETY = ("reveal", "hide")  # Space to see and Esc to hide work the same for everyone, everywhere


def _check_overrides(overrides: dict[str, str]) -> dict[str, str]:
    """The stored form: {command: key}, single keys, none reserved; the full clash check is :func:`build`'s."""
    for command, key in overrides.items():
        if not isinstance(command, str) or not isinstance(key, str):
            raise KeymapError("key settings are {command: key}, both text")
        if command in SAFETY:
            raise KeymapError(f"{FIXED[command][1]!r} always stays on {FIXED[command][0]}, for everyone")
        held = RESERVED.get(normalise(key))
        if held is not None:
            raise KeymapError(f"{normalise(key)} is kept for {held}; it cannot also be {command!r}")
    return {command: normalise(key) for command, key in overrides.items()}


KEYS = settings.declare(
    "keys", settings.PERSON, dict, {}, changed_by=settings.SELF, check=_check_overrides,
    describe="A person's own key bindings, {command: key}; a binding giving one key two meanings is refused.",
)

FIXED = {  # command: (default key, what it does, group)
    "start": ("Return", "Start / next item", "Flow"),
    "skip": ("S", "Skip: give the item back to the queue", "Flow"),
    "note": ("N", "Write a note (Enter or Esc returns)", "Flow"),
    "undo": ("Ctrl+Z", "Undo the last decision (10 s)", "Flow"),
    "reveal": ("Space", "Hold to see the item clear", "Viewing"),
    "hide": ("Esc", "Hide all media at once / show again", "Viewing"),
    "zoom_in": ("Ctrl+=", "Zoom in", "Viewing"),
    "zoom_out": ("Ctrl+-", "Zoom out", "Viewing"),
    "fit": ("Ctrl+0", "Fit to the area", "Viewing"),
    "thread": ("T", "Show / hide the thread around the item (text only)", "Viewing"),
    "play": ("P", "Video: play / pause (always muted)", "Video"),
    "open_frame": ("O", "Video: open the selected keyframe large", "Video"),
    "storyboard": ("Backspace", "Video: back to the storyboard", "Video"),
    "back": ("Left", "Video: back 5 s", "Video"),
    "forward": ("Right", "Video: forward 5 s", "Video"),
    "slower": ("[", "Video: slower (1×, 1.5×, 2×)", "Video"),
    "faster": ("]", "Video: faster", "Video"),
    "help": ("?", "This cheat sheet", "Flow"),
    "account": ("Ctrl+I", "The author's account: other items, decisions, team notes", "Decide"),
    "policy": ("Ctrl+P", "The policy text of the chosen labels (all, when none is chosen)", "Decide"),
    "send_back": ("B", "Escalations: send back to its queue with a note", "Escalations"),
    "move": ("M", "Escalations: move to another escalation queue", "Escalations"),
    "refresh": ("F5", "Escalations: reload the list", "Escalations"),
    "uphold": ("U", "Complaints: uphold the decision complained of (reason in the note)", "Complaints"),
    "reverse": ("V", "Complaints: reverse it, then the new action's key", "Complaints"),
}
ESCALATION_COMMANDS = ("send_back", "move", "refresh")  # the lead's workbench only; other pages leave them out
COMPLAINT_COMMANDS = ("uphold", "reverse")  # the review page only, where complaints are ended


@dataclass(frozen=True)
class Binding:
    command: str
    key: str
    text: str
    group: str


class KeymapError(VeilError, ValueError):
    pass


def default_bindings(taxonomy: Taxonomy) -> list[Binding]:
    """Every command with its default key; a desk command whose key the taxonomy gives an action has none ("").

    The organisation's action wins: a team policy written before Veil took that key (T became the thread's)
    keeps working for everyone, and the desk command waits for a key of the person's choosing
    (:func:`unbound_defaults` says which). Storing a new taxonomy on a desk key is refused
    (:mod:`review.taxonomy.stored`), so this only meets older policies and team files.
    """
    taken = {a.key for a in taxonomy.actions if a.key}
    bindings = [Binding(c, "" if normalise(k) in taken else k, t, g) for c, (k, t, g) in FIXED.items()]
    bindings += [Binding(f"action:{a.id}", a.key, a.name, "Decide") for a in taxonomy.actions if a.key]
    bindings += [Binding(f"label:{label.key}", label.key, f"Toggle label: {label.name}", "Labels")
                 for label in taxonomy.labels if label.key]
    return bindings


def normalise(key: str) -> str:
    """*key* as Qt writes it ("Ctrl+Shift+L"); Shift is dropped on a symbol ("Shift+?" is "?").

    A symbol is typed with Shift or without it depending on the keyboard
    layout, and Qt reports the symbol itself: "Shift+?" and "?" are one key
    press, so keeping Shift would let one press carry two meanings.
    """
    sequence = QKeySequence(key)
    text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
    if not text or sequence.count() != 1:
        raise KeymapError(f"{key!r} is not a single key")
    combination = sequence[0]
    code = combination.key().value
    shift = Qt.KeyboardModifier.ShiftModifier
    if combination.keyboardModifiers() & shift and code < 0x110000 and _is_symbol(chr(code)):
        unshifted = QKeySequence(QKeyCombination(combination.keyboardModifiers() & ~shift, combination.key()))
        return unshifted.toString(QKeySequence.SequenceFormat.PortableText)
    return text


def _is_symbol(char: str) -> bool:
    return char.isprintable() and not char.isalnum() and not char.isspace()


def build(taxonomy: Taxonomy, overrides: dict[str, str] | None = None) -> list[Binding]:
    """Defaults with *overrides* ({command: key}) applied; refuses clashes and unknown commands."""
    bindings = {b.command: b for b in default_bindings(taxonomy)}
    for command, key in (overrides or {}).items():
        if command not in bindings:
            raise KeymapError(f"unknown command {command!r} in key settings")
        old = bindings[command]
        bindings[command] = Binding(command, key, old.text, old.group)
    _check_overrides(overrides or {})
    bound = [binding for binding in bindings.values() if binding.key]  # a command left without a key binds nothing
    seen: dict[str, Binding] = {}
    for binding in bound:
        key = normalise(binding.key)
        if key in seen:
            raise KeymapError(f"{key} is bound to both {seen[key].text!r} and {binding.text!r}")
        seen[key] = binding
    return bound


def unbound_defaults(taxonomy: Taxonomy, overrides: dict[str, str] | None) -> dict[str, str]:
    """``{command: action}`` for each desk command without a key for this person: *taxonomy* gives its default key
    to that action (named), and they have not bound the command elsewhere."""
    actions = {a.key: a.name for a in taxonomy.actions if a.key}
    return {command: actions[normalise(key)] for command, (key, _, _) in FIXED.items()
            if normalise(key) in actions and command not in (overrides or {})}


def unbound_said(unbound: dict[str, str]) -> str:
    """One status-bar line for :func:`unbound_defaults` (short: the meter shares the bar at 1280 pixels)."""
    if len(unbound) == 1:
        ((command, action),) = unbound.items()
        key = FIXED[command][0]
        return f"{shown_key(key)} is your policy's {action!r}: bind {DESK_KEYS[normalise(key)]!r} on My settings"
    keys = ", ".join(shown_key(FIXED[command][0]) for command in unbound)
    return f"{keys} are your policy's actions: bind {len(unbound)} commands on My settings"


def usable(taxonomy: Taxonomy, overrides: dict[str, str] | None) -> tuple[list[Binding], list[str]]:
    """The bindings with every override that still fits *taxonomy*, and why each other one was left out.

    A lead's new taxonomy can take a key someone had re-bound, or drop the
    action it was for: only those overrides are left out (the rest still
    apply), and the reasons are said to the person. Overrides are tried
    until none more fits, so the order they were stored in does not matter.
    """
    kept: dict[str, str] = {}
    pending = dict(overrides or {})
    progress = True
    while pending and progress:
        progress = False
        for command, key in list(pending.items()):
            try:
                build(taxonomy, {**kept, command: key})
            except KeymapError:
                continue
            kept[command] = pending.pop(command)
            progress = True
    left_out = []
    for command, key in pending.items():
        try:
            build(taxonomy, {**kept, command: key})
        except KeymapError as exc:
            left_out.append(str(exc))
    return build(taxonomy, kept), left_out


def clashes(store: Store, taxonomy: Taxonomy) -> dict[str, list[str]]:
    """``{person: [reason, …]}`` for each active person whose own keys would not all fit *taxonomy*."""
    found = {}
    for person in store.users():
        overrides = settings.read(store, KEYS, user=person) if person.active else None
        left_out = usable(taxonomy, overrides)[1] if overrides else []
        if left_out:
            found[person.name] = left_out
    return found


def shown_key(key: str) -> str:
    """*key* as the README and the hints write it ("Enter", not Qt's "Return")."""
    native = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) or key
    return "+".join(_README_NAMES.get(part, part) for part in native.split("+")) if native != "+" else native


class CheatSheet(QDialog):
    """Every key on one calm page, grouped; closes with Esc or ? (the key that opened it: ? toggles it),
    and gives the keys back to *parent* (:func:`ui.widgets.modal.returning_focus`).

    The list scrolls (arrows, Page Up/Down) inside a dialog never taller than the screen: with every label and
    video key it is longer than a 720-pixel screen, whose top and bottom it used to cut off.
    """

    def __init__(self, bindings: list[Binding], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard")
        self.setObjectName("cheatSheet")
        layout = QVBoxLayout(self)
        groups: dict[str, list[Binding]] = {}
        for binding in bindings:
            groups.setdefault(binding.group, []).append(binding)
        rows = []
        named = {group: [(shown_key(b.key), b.text) for b in found] for group, found in groups.items()}
        if "Viewing" in named:
            named["Viewing"] += MOUSE_KEYS
        named["Window (every page)"] = list(WINDOW_KEYS)
        for group in ("Flow", "Decide", "Labels", "Viewing", "Video", "Escalations", "Complaints",
                      "Window (every page)"):
            if group not in named:  # another page's keys (the workbench's, the complaints'): no empty heading
                continue
            rows.append(f"<tr><td colspan=2 style='padding-top:10px'><b>{group}</b></td></tr>")
            for key, text in named[group]:
                rows.append(f"<tr><td style='padding-right:18px'><code>{html.escape(key, quote=False)}</code></td>"
                            f"<td>{html.escape(text, quote=False)}</td></tr>")
        table = QLabel("<table>" + "".join(rows) + "</table>")
        table.setTextFormat(Qt.TextFormat.RichText)
        self.area = QScrollArea()
        self.area.setWidget(table)
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.area, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else QGuiApplication.primaryScreen()).availableGeometry()
        self.setMaximumHeight(screen.height() - 40)  # room for a title bar
        self.resize(table.sizeHint().width() + 60,
                    min(table.sizeHint().height() + buttons.sizeHint().height() + 60, screen.height() - 40))
        self.area.setFocus()
        self.toggle_key = next((normalise(b.key) for b in bindings if b.command == "help"), "?")
        if parent is not None:
            returning_focus(self, parent)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """The key that opened the sheet closes it again (as Esc does)."""
        pressed = QKeySequence(event.keyCombination()).toString(QKeySequence.SequenceFormat.PortableText)
        try:
            key = normalise(pressed) if pressed else ""
        except KeymapError:  # a lone modifier and the like: not the help key
            key = ""
        if self.toggle_key in (event.text(), key):
            self.accept()
            return
        super().keyPressEvent(event)
