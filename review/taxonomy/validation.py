"""Checking a parsed taxonomy file: every problem collected, each with its line, like a compiler.

A person edits the file, so every mistake is reported the way a compiler
would: ``policy.toml:27: label 'spam' is defined twice (first on line 12)``
— all of them at once, so a lead fixes them in one go. Unknown names get a
"did you mean" guess; values are shown as they were written in TOML.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from typing import Any

from review.taxonomy import LABEL_KEYS, SEVERITIES, Action, Label, Taxonomy, TaxonomyError, normalise_key
from review.taxonomy.layout import Layout, syntax_problem

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


#: Deepest nesting of arrays and inline tables: a taxonomy needs two levels. A file nested 3,000 levels used to
#: end the TOML parser (and the app's start) in a RecursionError instead of this error's dialog.
MAX_NESTING = 32


def validate(text: str, source: str) -> Taxonomy:
    """Parse and check taxonomy TOML; raise :class:`TaxonomyError` with every problem."""
    if (line := too_deep(text)) is not None:
        raise TaxonomyError(source, line, f"arrays and tables nested more than {MAX_NESTING} levels deep")
    try:
        data = tomllib.loads(text)
        return _Validator(data, Layout(text)).run(source)
    except tomllib.TOMLDecodeError as exc:
        line, reason = syntax_problem(text, str(exc))
        raise TaxonomyError(source, line, reason) from None
    except RecursionError:  # nesting the bracket count cannot see (dotted keys): said, never a traceback
        raise TaxonomyError(source, 1, "nested too deeply to read") from None


def too_deep(text: str) -> int | None:
    """The line where arrays and inline tables first nest deeper than :data:`MAX_NESTING`, or None.

    Counted before parsing (the parser recurses), skipping strings and comments.
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:  # every real taxonomy: counted at C speed
        return None
    depth, line, at, end = 0, 1, 0, len(text)
    while at < end:
        char = text[at]
        if char == "\n":
            line += 1
        elif char == "#":
            at = text.find("\n", at)
            if at < 0:
                return None
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, at) else char
            close = at + len(quote)
            while close < end and not text.startswith(quote, close) and (len(quote) == 3 or text[close] != "\n"):
                close += 2 if char == '"' and text[close] == "\\" else 1
            line += text.count("\n", at, close)
            at = close + len(quote)
            continue
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
        at += 1
    return None


class _Validator:
    """Turns parsed TOML into a Taxonomy, collecting every problem with its line."""

    def __init__(self, data: dict[str, Any], layout: Layout):
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
        for name in entry:
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
            if isinstance(value, str):  # type(value) is typ, so this means typ is str
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
                key = normalise_key(key)
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
