"""Finding lines in a taxonomy's text, so every problem reads ``FILE:LINE: reason``.

``tomllib`` reports positions only for syntax errors (:func:`syntax_problem`
turns those into a line and advice); for everything else :class:`Layout`
scans the text itself to find the line of each ``[[actions]]`` /
``[[labels]]`` table and of each field inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def syntax_problem(text: str, message: str) -> tuple[int, str]:
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
        opened = Layout(text).open_string_line
        if msg.startswith("Unterminated string") and opened:
            line, where = opened, " (it starts here)"
    hint = next((h for prefix, h in _SYNTAX_HINTS if msg.startswith(prefix)), None)
    reason = f"not valid TOML: {msg[:1].lower()}{msg[1:]}{where}"
    return line, f"{reason}; {hint}" if hint else reason


_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*(?P<name>[^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*(?P<name>[^\]]+?)\s*\]")
_KEY_LINE = re.compile(r"""^\s*(?P<key>"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")


@dataclass
class _Table:
    name: tuple[str, ...]  # () for the root table, ("actions",) for [[actions]]
    is_array: bool
    line: int  # line of the header; 1 for the root
    keys: dict[str, int] = field(default_factory=dict)  # first line of each key


class Layout:
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
        # Each [[kind]] table by position, indexed once: every field's line is then one lookup,
        # so checking a file is linear in its size (a scan per lookup made a 600 kB file take seconds).
        self._arrays: dict[str, list[_Table]] = {}
        for table in self.tables:
            if table.is_array and len(table.name) == 1:
                self._arrays.setdefault(table.name[0], []).append(table)

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
        tables = self._arrays.get(kind, [])
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
