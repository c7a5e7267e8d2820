"""The policy taxonomy: what a reviewer can do, and which policies exist.

A team's taxonomy is a small TOML file (``resources/taxonomy.toml`` is the
default) that a lead edits by hand. It is read once at start-up and then
shapes every decision: the action keys, the label keys 1-9 and the rules
:meth:`Taxonomy.check` enforces before a decision is stored.

Because a person edits it, every mistake must be reported the way a compiler
would: ``policy.toml:27: label 'spam' is defined twice (first on line 12)``.
``tomllib`` reports positions only for syntax errors, so this module also
scans the text itself (:class:`_Layout`) to find the line of each
``[[actions]]`` / ``[[labels]]`` table and of each field inside it. All
problems are collected, not just the first, so a lead fixes them in one go.

Stdlib only, no Qt: the whole review domain runs without a display.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEVERITIES = ("low", "medium", "high", "severe")  # ordered, least harmful first

LABEL_KEYS = tuple("123456789")  # labels take these keys in file order

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# field -> (type, required). Order is the order a dumper would write them.
_ACTION_FIELDS: dict[str, tuple[type, bool]] = {
    "id": (str, True),
    "name": (str, True),
    "key": (str, False),
    "description": (str, False),
    "requires_label": (bool, False),
    "requires_note": (bool, False),
    "escalates": (bool, False),
}
_LABEL_FIELDS: dict[str, tuple[type, bool]] = {
    "id": (str, True),
    "name": (str, True),
    "severity": (str, True),
    "description": (str, False),
}
_TOP_FIELDS = ("version", "actions", "labels")


# ------------------------------------------------------------------ errors
class TaxonomyError(Exception):
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

    def __reduce__(self):  # keep it picklable despite the custom __init__
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
        key = _normalise_key(key)
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


# ----------------------------------------------------------------- loading
def load(path: Path | str | None = None) -> Taxonomy:
    """Read and validate a taxonomy file; ``None`` reads the bundled default."""
    if path is None:
        import resources  # data package, not code: no layering concern

        path = resources.path("taxonomy.toml")
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = f"cannot read the taxonomy: {exc.strerror or exc}"
        raise TaxonomyError(source, None, reason) from None
    try:
        text = data.decode("utf-8-sig")  # tolerate the BOM some editors add
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TaxonomyError(
            source, line, "not UTF-8 text; save the file as UTF-8"
        ) from None
    return loads(text, source=source)


def loads(text: str, source: str = "<string>") -> Taxonomy:
    """Parse and validate taxonomy TOML; raise :class:`TaxonomyError` on any problem."""
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, reason = _syntax_problem(text, str(exc))
        raise TaxonomyError(source, line, reason) from None
    return _Validator(data, _Layout(text)).run(source)


# -------------------------------------------------------------- validation
class _Validator:
    """Turns parsed TOML into a Taxonomy, collecting every problem with its line."""

    def __init__(self, data: dict[str, Any], layout: _Layout):
        self.data = data
        self.layout = layout
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, reason: str) -> None:
        self.problems.append((line, reason))

    def run(self, source: str) -> Taxonomy:
        for name in self.data:
            if name not in _TOP_FIELDS:
                value = self.data[name]
                is_table = isinstance(value, dict) or (
                    isinstance(value, list) and value and isinstance(value[0], dict)
                )
                self.problem(
                    self.layout.top_line(name),
                    _unknown(name, _TOP_FIELDS, "table" if is_table else "field", "a taxonomy has"),
                )
        version = self._version()
        actions = self._actions()
        labels = self._labels()
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: p[0])  # stable: file order
            (line, reason), *more = ordered
            raise TaxonomyError(source, line, reason, more)
        return Taxonomy(version, tuple(actions), tuple(labels), source)

    def _version(self) -> int:
        if "version" not in self.data:
            return 1
        version = self.data["version"]
        if type(version) is not int or version < 1:
            self.problem(
                self.layout.top_line("version"),
                f"version must be a whole number from 1 up, not {_show(version)}",
            )
            return 1
        return version

    def _entries(self, kind: str) -> list[tuple[int, dict[str, Any]]]:
        """The ``[[kind]]`` tables as (index, table); reports a wrong shape."""
        singular = kind[:-1]
        raw = self.data.get(kind)
        if raw is None or raw == []:
            self.problem(
                self.layout.top_line(kind),
                f"no {kind}: add at least one [[{kind}]] table",
            )
            return []
        if isinstance(raw, dict):
            self.problem(
                self.layout.top_line(kind),
                f"write [[{kind}]] with two brackets: each {singular} is its own table",
            )
            return []
        if not isinstance(raw, list):
            self.problem(
                self.layout.top_line(kind),
                f"{kind} must be a list of [[{kind}]] tables, not {_show(raw)}",
            )
            return []
        entries = []
        for index, entry in enumerate(raw):
            if isinstance(entry, dict):
                entries.append((index, entry))
            else:
                self.problem(
                    self.layout.top_line(kind),
                    f"{kind} must be a list of [[{kind}]] tables, not {_show(entry)}",
                )
        return entries

    def _fields(
        self, kind: str, index: int, entry: dict[str, Any], spec: dict[str, tuple[type, bool]]
    ) -> dict[str, Any] | None:
        """Type-checked fields of one table, or None if a required one is missing or bad."""
        singular = kind[:-1]

        def line(name: str | None = None) -> int:
            return self.layout.line(kind, index, name)

        ok = True
        for name, value in entry.items():
            if name in spec:
                continue
            if kind == "labels" and name == "key":
                reason = (
                    "labels have no 'key': labels get keys 1-9 from the order "
                    "of the [[labels]] tables"
                )
            else:
                reason = _unknown(name, spec, "field", f"{_article(singular)} {singular} has")
            self.problem(line(name), reason)
        fields: dict[str, Any] = {}
        for name, (typ, required) in spec.items():
            if name not in entry:
                if required:
                    ident = entry.get("id")
                    which = f" '{ident}'" if isinstance(ident, str) and ident else ""
                    self.problem(
                        line(), f"{singular}{which} has no {name} (add {name} = {_EXAMPLES[name]})"
                    )
                    ok = False
                continue
            value = entry[name]
            if type(value) is not typ:
                self.problem(line(name), f"{name} must be {_TYPE_HINTS[typ]}, not {_show(value)}")
                ok = ok and not required
                continue
            if typ is str:
                value = value.strip()
                if not value and name != "description":
                    empty = "delete the line for no key" if name == "key" else "write something"
                    self.problem(line(name), f"{name} is empty ({empty})")
                    ok = ok and not required
                    continue
                if name != "description" and _breaks_line(value):
                    # Names and keys appear in buttons and one-line messages.
                    self.problem(line(name), f"{name} must be one line of plain text")
                    ok = ok and not required
                    continue
            fields[name] = value
        if "id" in fields and not _ID.match(fields["id"]):
            suggestion = re.sub(r"[^a-z0-9_-]+", "_", fields["id"].lower()).strip("_-") or "spam"
            self.problem(
                line("id"),
                f"id '{fields['id']}' may only use lower-case letters, digits, '_' and '-'"
                f" (e.g. '{suggestion}')",
            )
            ok = False
        return fields if ok else None

    def _duplicate_id(self, kind: str, seen: dict[str, int], index: int, ident: str) -> bool:
        id_line = self.layout.line(kind, index, "id")
        if ident in seen:
            self.problem(
                id_line,
                f"{kind[:-1]} '{ident}' is defined twice (first on line {seen[ident]})",
            )
            return True
        seen[ident] = id_line
        return False

    def _actions(self) -> list[Action]:
        actions: list[Action] = []
        ids: dict[str, int] = {}
        keys: dict[str, tuple[str, int]] = {}
        escalation: tuple[str, int] | None = None
        for index, entry in self._entries("actions"):
            fields = self._fields("actions", index, entry, _ACTION_FIELDS)
            if fields is None or self._duplicate_id("actions", ids, index, fields["id"]):
                continue
            ident = fields["id"]
            key = fields.get("key")
            if key is not None:
                key_line = self.layout.line("actions", index, "key")
                key = _normalise_key(key)
                if len(key) != 1 or key.isspace():
                    self.problem(key_line, f"action key '{key}' must be one character, like 'R'")
                    key = None
                elif key.isdigit():
                    self.problem(
                        key_line,
                        f"action key '{key}' is a digit; digits pick policy labels, "
                        "so use a letter",
                    )
                    key = None
                elif key in keys:
                    other, other_line = keys[key]
                    self.problem(
                        key_line,
                        f"action key '{key}' is already used by '{other}' (line {other_line})",
                    )
                    key = None
                else:
                    keys[key] = (ident, key_line)
            if fields.get("escalates"):
                esc_line = self.layout.line("actions", index, "escalates")
                if escalation is not None:
                    self.problem(
                        esc_line,
                        f"only one action may escalate, and '{escalation[0]}' "
                        f"(line {escalation[1]}) already does",
                    )
                else:
                    escalation = (ident, esc_line)
            actions.append(
                Action(
                    id=ident,
                    name=fields["name"],
                    key=key,
                    description=fields.get("description", ""),
                    requires_label=fields.get("requires_label", False),
                    requires_note=fields.get("requires_note", False),
                    escalates=fields.get("escalates", False),
                )
            )
        return actions

    def _labels(self) -> list[Label]:
        labels: list[Label] = []
        ids: dict[str, int] = {}
        for index, entry in self._entries("labels"):
            fields = self._fields("labels", index, entry, _LABEL_FIELDS)
            if fields is None:
                continue
            duplicate = self._duplicate_id("labels", ids, index, fields["id"])
            severity = fields["severity"]
            if severity not in SEVERITIES:
                guess = difflib.get_close_matches(severity.lower(), SEVERITIES, n=1, cutoff=0.6)
                hint = f"did you mean '{guess[0]}'? " if guess else ""
                self.problem(
                    self.layout.line("labels", index, "severity"),
                    f"unknown severity '{severity}' ({hint}use one of: {', '.join(SEVERITIES)})",
                )
                continue
            if duplicate:
                continue
            # Keys follow the order of the tables in the file, as the file says.
            key = LABEL_KEYS[index] if index < len(LABEL_KEYS) else None
            labels.append(
                Label(
                    id=fields["id"],
                    name=fields["name"],
                    severity=severity,
                    description=fields.get("description", ""),
                    key=key,
                )
            )
        return labels


_EXAMPLES = {
    "id": '"some_id"',
    "name": '"Some name"',
    "severity": ", ".join(f'"{s}"' for s in SEVERITIES[:-1]) + f' or "{SEVERITIES[-1]}"',
}

_TYPE_HINTS = {
    str: 'text in quotes, like "this"',
    bool: "true or false",
    int: "a whole number",
}


def _normalise_key(key: str) -> str:
    """Shortcuts are case-insensitive: 'r' and 'R' are the same key."""
    return key.strip().upper() if len(key.strip()) == 1 else key.strip()


def _breaks_line(text: str) -> bool:
    """True if text holds a control character or a line/paragraph separator."""
    return any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _unknown(name: str, known: Iterable[str], what: str, owner: str) -> str:
    """'unknown field 'x' (did you mean 'y'?)', or the list of valid names."""
    known = list(known)
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if guess:
        return f"unknown {what} '{name}' (did you mean '{guess[0]}'?)"
    return f"unknown {what} '{name}' ({owner}: {', '.join(known)})"


def _show(value: Any) -> str:
    """A value as the lead wrote it in TOML, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return str(value)  # dates and times


# --------------------------------------------------------- syntax problems
_POSITION = re.compile(
    r"^(?P<msg>.*?)\s*\((?:at line (?P<line>\d+), column (?P<col>\d+)|at end of document)\)$"
)

# tomllib's terse messages, and what a person editing the file should do.
_SYNTAX_HINTS = (
    ("Invalid value", 'text needs quotes, like "Remove", and yes/no are written true/false'),
    ("Illegal character '\\n'", "a closing quote is missing"),
    ("Unterminated string", "a closing quote is missing"),
    ("Unclosed array", "a closing ']' is missing"),
    ("Cannot overwrite a value", "something on this line is already set above"),
    ("Cannot declare", "each action and label starts with two brackets, like [[labels]]"),
)


def _syntax_problem(text: str, message: str) -> tuple[int, str]:
    """(line, reason) for a tomllib error, which carries its position in the text."""
    match = _POSITION.match(message)
    msg = match["msg"] if match else message
    if match and match["line"]:
        line = int(match["line"])
        where = f" at column {match['col']}"
    else:  # "at end of document": blame the last line that has something on it
        lines = text.split("\n")
        line = max((n for n, s in enumerate(lines, 1) if s.strip()), default=1)
        where = ""
        opened = _Layout(text).open_string_line
        if msg.startswith("Unterminated string") and opened:
            line, where = opened, " (it starts here)"
    hint = next((h for prefix, h in _SYNTAX_HINTS if msg.startswith(prefix)), None)
    reason = f"not valid TOML: {msg[:1].lower()}{msg[1:]}{where}"
    return line, f"{reason}; {hint}" if hint else reason


# ------------------------------------------------------------ line finding
_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*(?P<name>[^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*(?P<name>[^\]]+?)\s*\]")
_KEY_LINE = re.compile(r"""^\s*(?P<key>"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")


@dataclass
class _Table:
    name: tuple[str, ...]  # () for the root table, ("actions",) for [[actions]]
    is_array: bool
    line: int  # line of the header; 1 for the root
    keys: dict[str, int] = field(default_factory=dict)  # first line of each key


class _Layout:
    """Where tables and fields sit in the text, for semantic error lines.

    Only lines that start outside a multi-line string are considered, so a
    description that happens to contain ``[[labels]]`` cannot mislead it.
    The text has already been parsed by tomllib, so it is valid TOML and a
    line-based scan is enough. Inline tables (``actions = [{...}]``) have no
    headers; their problems point at the ``actions =`` line instead.
    """

    def __init__(self, text: str):
        self.tables: list[_Table] = [_Table((), False, 1)]
        self.open_string_line: int | None = None  # set if a """ string never closes
        for number, line in self._code_lines(text):
            if header := _ARRAY_HEADER.match(line):
                self._start(header["name"], True, number)
            elif header := _TABLE_HEADER.match(line):
                self._start(header["name"], False, number)
            elif key := _KEY_LINE.match(line):
                self.tables[-1].keys.setdefault(_unquote(key["key"]), number)

    def _start(self, raw_name: str, is_array: bool, number: int) -> None:
        name = tuple(_unquote(part) for part in raw_name.split("."))
        # [actions.extra] after [[actions]] is a field 'extra' of that action.
        if len(name) > 1:
            owner = next((t for t in reversed(self.tables) if t.name == name[:1]), None)
            if owner is not None:
                owner.keys.setdefault(name[1], number)
        self.tables.append(_Table(name, is_array, number))

    def _code_lines(self, text: str) -> list[tuple[int, str]]:
        """(number, text) of each line that begins outside a multi-line string."""
        code: list[tuple[int, str]] = []
        delim: str | None = None  # '"""' or "'''" while inside a multi-line string
        # Split on "\n" only: that is what TOML (and tomllib's line numbers) count.
        for number, line in enumerate(text.split("\n"), 1):
            if delim is None:
                code.append((number, line))
            i = 0
            while i < len(line):
                if delim is not None:
                    if delim == '"""' and line[i] == "\\":
                        i += 2
                        continue
                    if line.startswith(delim, i):
                        i += 3
                        while i < len(line) and line[i] == delim[0]:
                            i += 1  # up to two quotes may end the content
                        delim = None
                        continue
                    i += 1
                    continue
                char = line[i]
                if char == "#":
                    break
                if line.startswith('"""', i) or line.startswith("'''", i):
                    delim = line[i : i + 3]
                    self.open_string_line = number
                    i += 3
                elif char in "\"'":
                    i += 1
                    while i < len(line) and line[i] != char:
                        i += 2 if char == '"' and line[i] == "\\" else 1
                    i += 1
                else:
                    i += 1
        if delim is None:
            self.open_string_line = None
        return code

    def table(self, kind: str, index: int) -> _Table | None:
        """The index-th ``[[kind]]`` table, if it was written with a header."""
        tables = [t for t in self.tables if t.name == (kind,) and t.is_array]
        return tables[index] if index < len(tables) else None

    def line(self, kind: str, index: int, key: str | None = None) -> int:
        """Line of ``key`` in the index-th ``[[kind]]`` table, else its header."""
        table = self.table(kind, index)
        if table is None:
            return self.top_line(kind)
        if key is not None and key in table.keys:
            return table.keys[key]
        return table.line

    def top_line(self, name: str) -> int:
        """Line of a top-level field or of the first table named after it; else 1."""
        root = self.tables[0]
        if name in root.keys:
            return root.keys[name]
        return next((t.line for t in self.tables[1:] if t.name[:1] == (name,)), 1)


def _unquote(key: str) -> str:
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key
