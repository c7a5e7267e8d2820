"""The policy taxonomy: what a reviewer can do, and which policies exist.

A team's taxonomy is a small TOML file (``resources/taxonomy.toml`` is the
default) that a lead edits by hand. It is read once at start-up and then
shapes every decision: the action keys, the label keys 1-9 and the rules
:meth:`Taxonomy.check` enforces before a decision is stored.

Because a person edits it, every mistake must be reported the way a compiler
would: ``policy.toml:27: label 'spam' is defined twice (first on line 12)``.
``tomllib`` reports positions only for syntax errors, so the checker also
scans the text itself (:class:`~review.taxonomy.layout.Layout`) to find the line of each
``[[actions]]`` / ``[[labels]]`` table and of each field inside it. All
problems are collected, not just the first, so a lead fixes them in one go.

Stdlib only, no Qt: the whole review domain runs without a display.

The model and the two ways in (:func:`load`, :func:`loads`) are here;
the organisation's taxonomy kept in the store is :mod:`review.taxonomy.stored`;
checking a parsed file is :mod:`review.taxonomy.validation`, finding lines
in its text :mod:`review.taxonomy.layout`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review.errors import VeilError

SEVERITIES = ("low", "medium", "high", "severe")  # ordered, least harmful first

LABEL_KEYS = tuple("123456789")  # labels take these keys in file order
DESK_KEYS = {  # single keys the desks give their own commands by default (ui/keymap.py FIXED; a test keeps them equal)
    "S": "Skip", "N": "Note", "P": "Video: play / pause", "O": "Video: open the selected keyframe",
    "T": "Show / hide the thread", "B": "Escalations: send back", "M": "Escalations: move", "U": "Complaints: uphold",
    "V": "Complaints: reverse", "?": "The cheat sheet", "[": "Video: slower", "]": "Video: faster",
}
"""A taxonomy being stored may not give an action one of these keys (:mod:`review.taxonomy.stored`): the key
would mean two things on every desk. Reading never refuses them: a policy stored before Veil took a key, or a team
file, keeps working, its action keeping the key and the desk command waiting for one (``ui.keymap``)."""

MAX_BYTES = 512 * 1024  # a policy of a few hundred labels is a few tens of kB; more is a wrong file


# ------------------------------------------------------------------ errors
class TaxonomyError(VeilError):
    """A taxonomy file that cannot be used, with where and why.

    ``str(error)`` is one ``FILE:LINE: reason`` line per problem, earliest
    first, ready to print or show. ``line`` and ``reason`` describe the
    first problem (for a status line or to put the cursor there);
    ``problems`` holds every ``(line, reason)``. ``line`` is ``None`` only
    when the file itself cannot be read.
    """

    def __init__(
        self,
        source: str,
        line: int | None,
        reason: str,
        more: Sequence[tuple[int, str]] = (),
    ):
        self.source = source
        self.line = line
        self.reason = reason
        self.problems: tuple[tuple[int | None, str], ...] = ((line, reason), *more)
        super().__init__(
            "\n".join(
                f"{source}:{n}: {why}" if n is not None else f"{source}: {why}"
                for n, why in self.problems
            )
        )

    def __reduce__(self) -> tuple[type[TaxonomyError], tuple[Any, ...]]:
        # Keep it picklable despite the custom __init__.
        return (type(self), (self.source, self.line, self.reason, self.problems[1:]))


# ------------------------------------------------------------------- model
@dataclass(frozen=True)
class Action:
    id: str
    name: str
    key: str | None  # one character, letters upper-cased; never a digit
    description: str = ""
    requires_label: bool = False
    requires_note: bool = False
    escalates: bool = False


@dataclass(frozen=True)
class Label:
    id: str
    name: str
    severity: str  # one of SEVERITIES
    description: str = ""
    key: str | None = None  # "1".."9" by order of appearance, None after the ninth


@dataclass(frozen=True)
class Taxonomy:
    """A loaded, validated taxonomy. Build one with :func:`load` or :func:`loads`.

    ``version`` is the team's revision number of its policy (a positive
    integer the lead bumps on each change), so a stored decision can say
    which policy it was made under.
    """

    version: int
    actions: tuple[Action, ...]
    labels: tuple[Label, ...]
    source: str = "<string>"
    _actions: dict[str, Action] = field(init=False, repr=False, compare=False)
    _labels: dict[str, Label] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_actions", {a.id: a for a in self.actions})
        object.__setattr__(self, "_labels", {lb.id: lb for lb in self.labels})

    # -------------------------------------------------------------- lookup
    def action(self, id: str) -> Action:
        try:
            return self._actions[id]
        except KeyError:
            known = ", ".join(self._actions)
            raise KeyError(f"no action {id!r} in {self.source} (actions: {known})") from None

    def label(self, id: str) -> Label:
        try:
            return self._labels[id]
        except KeyError:
            known = ", ".join(self._labels)
            raise KeyError(f"no label {id!r} in {self.source} (labels: {known})") from None

    def action_for_key(self, key: str) -> Action | None:
        """The action bound to a key press (case-insensitive), if any."""
        key = normalise_key(key)
        return next((a for a in self.actions if a.key == key), None)

    def label_for_key(self, key: str) -> Label | None:
        """The label bound to a digit key, if any."""
        return next((lb for lb in self.labels if lb.key == key), None)

    @property
    def escalation(self) -> Action | None:
        """The one action that sends an item to a lead, if the team has one."""
        return next((a for a in self.actions if a.escalates), None)

    # ------------------------------------------------------------- rules
    def check(self, action_id: str, label_ids: Sequence[str], note: str) -> str | None:
        """``None`` if this decision may be stored, else a one-line reason for the user.

        The reason is shown as-is next to the item, so it says what to do,
        e.g. "Remove needs at least one policy label (press 1-9)".
        """
        if isinstance(label_ids, str):  # "spam" would silently become 's', 'p', ...
            raise TypeError("label_ids must be a sequence of label ids, not one string")
        action = self._actions.get(action_id)
        if action is None:
            return f"Unknown action '{action_id}'"
        for label_id in label_ids:
            if label_id not in self._labels:
                return f"Unknown policy label '{label_id}'"
        if action.requires_label and not label_ids:
            return f"{action.name} needs at least one policy label{self._label_key_hint()}"
        if action.requires_note and not (note or "").strip():
            return f"{action.name} needs a note saying why"
        return None

    def _label_key_hint(self) -> str:
        keyed = sum(1 for lb in self.labels if lb.key)
        if keyed == 0:
            return ""
        return " (press 1)" if keyed == 1 else f" (press 1-{keyed})"

    # ---------------------------------------------------------- severity
    def severity_rank(self, severity: str) -> int:
        """0 for "low" up to 3 for "severe"; ValueError for anything else."""
        try:
            return SEVERITIES.index(severity)
        except ValueError:
            raise ValueError(
                f"unknown severity {severity!r} (expected one of: {', '.join(SEVERITIES)})"
            ) from None

    def max_severity(self, label_ids: Iterable[str]) -> str | None:
        """The worst severity among these labels, ``None`` for no labels."""
        severities = [self.label(label_id).severity for label_id in label_ids]
        return max(severities, key=self.severity_rank, default=None)


def normalise_key(key: str) -> str:
    """Shortcuts are case-insensitive: 'r' and 'R' are the same key."""
    return key.strip().upper() if len(key.strip()) == 1 else key.strip()


# ----------------------------------------------------------------- loading
def load(path: Path | str | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; ``None`` reads the bundled default."""
    if path is None:
        import resources  # data package, not code: no layering concern

        path = resources.path("taxonomy.toml")
    return loads(read_text(path), source=str(path))


def read_text(path: Path | str) -> str:
    """The text of a taxonomy file, without checking it; TaxonomyError if it cannot be read as UTF-8.

    Only a regular file of at most :data:`MAX_BYTES` is read, and never more
    than that: a chosen video, ``/dev/zero`` or a pipe (opened without
    waiting for a writer) is refused at once instead of filling the memory
    or blocking the thread that reads it.
    """
    path = Path(path)
    source = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise TaxonomyError(source, None, "not a regular file; choose the taxonomy's .toml file")
            if status.st_size > MAX_BYTES:
                raise TaxonomyError(source, None, f"larger than {MAX_BYTES // 1024} kB; is it the right file?")
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = f"cannot read the taxonomy: {exc.strerror or exc}"
        raise TaxonomyError(source, None, reason) from None
    if len(data) > MAX_BYTES:  # it grew after fstat
        raise TaxonomyError(source, None, f"larger than {MAX_BYTES // 1024} kB; is it the right file?")
    try:
        return data.decode("utf-8-sig")  # tolerate the BOM some editors add
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TaxonomyError(
            source, line, "not UTF-8 text; save the file as UTF-8"
        ) from None


def loads(text: str, source: str = "<string>") -> Taxonomy:
    """Parse and validate taxonomy TOML; raise :class:`TaxonomyError` on any problem."""
    # Imported here: the checker builds this module's classes, so it imports this module.
    from review.taxonomy.validation import validate

    return validate(text.removeprefix("\ufeff"), source)
