"""Keyboard bindings: defaults, a person's overrides, and the cheat sheet.

Commands are strings: ``start``, ``reveal``, ``skip``, ``note``, ``undo``,
``hide``, ``help``, ``zoom_in``, ``zoom_out``, ``fit``, the video commands
(``play``, ``open_frame``, ``storyboard``, ``back``, ``forward``, ``slower``, ``faster``),
``label:<n>`` (n = 1…9) and ``action:<id>`` for each taxonomy action.
Action keys come from the taxonomy; everything can be re-bound, and a
binding that would give one key two meanings is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from review import settings
from review.errors import VeilError
from review.taxonomy import Taxonomy

KEYS = settings.declare(
    "keys", settings.PERSON, dict, {}, changed_by=settings.SELF,
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
    "play": ("P", "Video: play / pause (always muted)", "Video"),
    "open_frame": ("O", "Video: open the selected keyframe large", "Video"),
    "storyboard": ("Backspace", "Video: back to the storyboard", "Video"),
    "back": ("Left", "Video: back 5 s", "Video"),
    "forward": ("Right", "Video: forward 5 s", "Video"),
    "slower": ("[", "Video: slower (1×, 1.5×, 2×)", "Video"),
    "faster": ("]", "Video: faster", "Video"),
    "help": ("?", "This cheat sheet", "Flow"),
}


@dataclass(frozen=True)
class Binding:
    command: str
    key: str
    text: str
    group: str


class KeymapError(VeilError, ValueError):
    pass


def default_bindings(taxonomy: Taxonomy) -> list[Binding]:
    bindings = [Binding(c, k, t, g) for c, (k, t, g) in FIXED.items()]
    bindings += [Binding(f"action:{a.id}", a.key, a.name, "Decide") for a in taxonomy.actions if a.key]
    bindings += [Binding(f"label:{label.key}", label.key, f"Toggle label: {label.name}", "Labels")
                 for label in taxonomy.labels if label.key]
    return bindings


def normalise(key: str) -> str:
    sequence = QKeySequence(key)
    text = sequence.toString(QKeySequence.SequenceFormat.PortableText)
    if not text or sequence.count() != 1:
        raise KeymapError(f"{key!r} is not a single key")
    return text


def build(taxonomy: Taxonomy, overrides: dict[str, str] | None = None) -> list[Binding]:
    """Defaults with *overrides* ({command: key}) applied; refuses clashes and unknown commands."""
    bindings = {b.command: b for b in default_bindings(taxonomy)}
    for command, key in (overrides or {}).items():
        if command not in bindings:
            raise KeymapError(f"unknown command {command!r} in key settings")
        old = bindings[command]
        bindings[command] = Binding(command, key, old.text, old.group)
    seen: dict[str, str] = {}
    for binding in bindings.values():
        key = normalise(binding.key)
        if key in seen:
            raise KeymapError(f"{key} is bound to both {seen[key]!r} and {binding.command!r}")
        seen[key] = binding.command
    return list(bindings.values())


class CheatSheet(QDialog):
    """Every key on one calm page, grouped; closes with Esc or ?."""

    def __init__(self, bindings: list[Binding], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard")
        self.setObjectName("cheatSheet")
        layout = QVBoxLayout(self)
        groups: dict[str, list[Binding]] = {}
        for binding in bindings:
            groups.setdefault(binding.group, []).append(binding)
        rows = []
        for group in ("Flow", "Decide", "Labels", "Viewing", "Video"):
            rows.append(f"<tr><td colspan=2 style='padding-top:10px'><b>{group}</b></td></tr>")
            for b in groups.get(group, []):
                key = QKeySequence(b.key).toString(QKeySequence.SequenceFormat.NativeText) or b.key
                rows.append(f"<tr><td style='padding-right:18px'><code>{key}</code></td><td>{b.text}</td></tr>")
        table = QLabel("<table>" + "".join(rows) + "</table>")
        table.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
