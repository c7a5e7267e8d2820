"""The contract between an import and its row types: what a handler is given, what it reports.

An import (:func:`review.imports.manifest.import_manifest`) hands each
:class:`RowHandler` the rows of its type and an :class:`ImportRun`; the
handler checks fields, resolves against the store, and writes inside the
import's one transaction. :class:`ImportResult` is what every front end
(``veil import``, a future GUI dialog) reports from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from review.auth import require
from review.store import Store, User
from review.store.imports import Scratch

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    """One reason one manifest line cannot be imported."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class RowCounts:
    """What happened to the rows of one type."""

    rows: int = 0
    added: int = 0
    already_present: int = 0
    rejected: int = 0


#: Rejected rows an import result keeps (their problem and an excerpt of the row) for its report; the rest are counted.
MAX_PROBLEMS_KEPT = 1_000


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do).

    ``rows`` = ``added`` + ``already_present`` + ``rejected_rows`` whenever the
    import committed or was a dry run. ``rejected`` holds the first
    :data:`MAX_PROBLEMS_KEPT` rejected rows (line order): each problem, its
    reason cut at ``MAX_REASON_CHARS``, and the start of the row as read
    (``MAX_EXCERPT_CHARS``, :mod:`review.store.imports`), what a report
    lists, never the row (a line may be 4 MiB); ``more_rejected`` counts the
    rest, so a file of a million bad rows does not hold them in memory
    (``import_manifest(on_rejected=…)`` sees every one, whole). When it
    refused (a bad row and no ``skip_invalid``), ``committed`` is false and
    nothing was written.
    ``added`` and ``already_present`` are totals over every row type;
    ``counts`` splits them by type (``"item"``, ``"decision"``, ``"audit"``).
    """

    file: str
    rows: int = 0
    added: int = 0
    already_present: int = 0
    rejected: list[tuple[Problem, str]] = field(default_factory=list)  # the first MAX_PROBLEMS_KEPT, row excerpts
    more_rejected: int = 0  # rejected rows past those
    queues: list[str] = field(default_factory=list)  # queues holding the accepted item rows
    queues_created: list[str] = field(default_factory=list)  # (would be) created by this import
    counts: dict[str, RowCounts] = field(default_factory=dict)  # row type -> its counts, in handler order
    users_created: dict[str, list[str]] = field(default_factory=dict)  # (would be) created: name -> roles
    roles_added: dict[str, list[str]] = field(default_factory=dict)  # existing users: name -> roles (would be) added
    founder: str | None = None  # the importer, who becomes (would become) the first lead of a store with nobody in it
    dry_run: bool = False
    committed: bool = False
    seconds: float = 0.0

    @property
    def problems(self) -> list[Problem]:
        return [problem for problem, _ in self.rejected]

    @property
    def rejected_rows(self) -> int:
        """Every rejected row, kept in ``rejected`` or not."""
        return len(self.rejected) + self.more_rejected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def count(self, row_type: str) -> RowCounts:
        """The counts of one row type (zeros for a type the manifest did not have)."""
        return self.counts.get(row_type) or RowCounts()


@dataclass
class ImportContext:
    """Everything row checks need, computed once per import instead of once per row.

    ``state`` is where a handler keeps what it learns during one import
    (under its own keys), e.g. the users the history rows need.
    ``seen`` is the import's scratch file: every item row's (id, queue) and
    first line, the rows waiting to be written and what matching history rows
    needs (on disk, not in memory).
    """

    folder: Path
    default_queue: str | None
    queue_ids: dict[str, int]  # existing queues
    create_queues: bool
    default_received_at: str
    seen: Scratch
    now: str = ""  # the store's clock when the import started (history rows may not be later)
    state: dict[str, Any] = field(default_factory=dict)
    deferred: int = 0  # rows whose checks continue later (media), for progress

    def __post_init__(self) -> None:
        self.now = self.now or self.default_received_at


# ------------------------------------------------------------------ limits
# What one manifest value may be. A value past these is refused with its FILE:LINE, never stored: a 50 MB text
# used to import, then freeze the review page for 27 s at 2.3 GB when it was served.

#: Longest external id: platforms' ids are numbers, UUIDs or at worst URLs; 256 covers them all.
MAX_ID_CHARS = 256
#: Longest queue or person name: shown in lists, menus and the status bar.
MAX_NAME_CHARS = 100
#: Longest text of a post, note or comment. The longest posts of the large platforms are ~63,000 characters
#: (Facebook), 40,000 (Reddit), 25,000 (X, subscribers); 100,000 keeps every one of them whole.
MAX_TEXT_CHARS = 100_000
#: Largest item metadata (the row's other fields, as JSON): report reasons, categories, counts — not documents.
MAX_METADATA_CHARS = 100_000
#: Item priorities a queue orders by: a few levels in practice; this leaves room and keeps them 64-bit.
MAX_PRIORITY = 1_000_000


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def first_control_character(value: str) -> str | None:
    """The first control character of *value* (U+0000–U+001F, U+007F–U+009F) as "U+0000", or None."""
    found = _CONTROL.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def metadata_size(metadata: dict[str, Any]) -> int:
    """How long *metadata* is as JSON, or a bound under :data:`MAX_METADATA_CHARS` that proves it fits.

    Most rows carry a few short strings: JSON escapes a character into at most 6, so their length bounds the
    text without encoding it (a million rows need not be encoded twice).
    """
    if all(isinstance(v, str) for v in metadata.values()):
        bound = 2 + 6 * sum(len(k) + len(v) + 2 for k, v in metadata.items())
        if bound <= MAX_METADATA_CHARS:
            return bound
    return len(json.dumps(metadata, ensure_ascii=False))


def name_problem(key: str, value: str, limit: int) -> str | None:
    """Why an id or a name cannot be used (too long, a control character such as NUL in it), or None."""
    if len(value) > limit:
        return f"{key} is {len(value):,} characters long (at most {limit:,})"
    if (code := first_control_character(value)) is not None:
        return f"{key} contains a control character ({code}); ids and names are printable text"
    return None


def text_problem(key: str, value: str) -> str | None:
    """Why a text cannot be stored (too long to review, or a NUL that other tools cut it at), or None."""
    if len(value) > MAX_TEXT_CHARS:
        return (f"{key} is {len(value):,} characters long (at most {MAX_TEXT_CHARS:,}; "
                "cut it, or attach the full document as media)")
    if "\0" in value:
        return f"{key} contains a NUL character (U+0000)"
    return None


def metadata_problems(metadata: dict[str, Any]) -> list[str]:
    """Why the other fields cannot be kept as item metadata: a NUL (U+0000) in a field's name or text.

    Kept as JSON, where a server store's ``jsonb`` cannot hold ``\\u0000`` (a SQLite store's JSON can): the
    same manifest must import on both stores alike, and no field of a hostile manifest may leave an item that
    a server cannot read back. Like a NUL in ``text``, the row is refused.
    """
    if all(isinstance(v, str) and "\0" not in v and "\0" not in k for k, v in metadata.items()):
        return []  # most rows: a few short strings, checked at C speed, not walked
    found = _nul_at(metadata, "")
    return [] if found is None else [f"{found} contains a NUL character (U+0000)"]


def _nul_at(value: Any, where: str) -> str | None:
    """Where in *value* (a JSON value) a NUL is, as "field a.b[2]" or "the name of field 'a\\x00'"; None if none."""
    if isinstance(value, str):
        return f"field {where}" if "\0" in value else None
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if "\0" in key:
                return f"the name of field {(where + '.' if where else '') + repr(key)}"
            children.append((f"{where}.{key}" if where else key, child))
    elif isinstance(value, list):
        children = [(f"{where}[{index}]", child) for index, child in enumerate(value)]
    for name, child in children:
        if (found := _nul_at(child, name)) is not None:
            return found
    return None


def _given(row: dict[str, Any], key: str) -> Any:
    """A field's value, or None when absent, null or empty (CSV leaves no other way to say "not given")."""
    value = row.get(key)
    return None if value is None or value == "" else value


def json_type(value: Any) -> str:
    """How a JSON value that is not what a field wants reads in a problem: "an array", "null" …"""
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def as_integer(value: Any) -> int | None:
    """An int from an int, an integral float or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def row_type(raw: Any) -> str | None:
    """The row type a problem's row has (as the import dispatches it), None for a line that was no row."""
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type", "item")
    return "item" if kind in (None, "") else kind if isinstance(kind, str) else None


@dataclass
class ImportRun:
    """One import in progress: what handlers read in :meth:`RowHandler.resolve` and after.

    ``file`` is the manifest as named by the caller (for messages), ``source``
    its resolved path (for events), ``actor`` the importing lead's name (every
    event of the import names them). Problems go to the import's scratch file
    (:meth:`reject`), not to memory: a file of bad rows may be any size.
    """

    store: Store
    ctx: ImportContext
    result: ImportResult
    file: str
    source: str
    actor: str
    dry_run: bool
    roots: tuple[Path, ...]
    max_pixels: int
    workers: int | None
    report: Progress
    rows_by_type: dict[str, int] = field(default_factory=dict)
    records: dict[str, list[Any]] = field(default_factory=dict)  # row type -> records kept by RowHandler.keep
    checked: int = 0  # rows read so far (for progress)
    total: int = 0  # rows in the manifest (counted before checking, for progress)
    chunked: bool = False  # written in several transactions (an item manifest), not one (with history rows)
    written: int = 0  # item rows written so far (said when a chunked import stops half-way)

    def reject(self, line: int, reason: str, row: Any = None) -> None:
        """Add a problem to a line (joining any it already has; the row is the one given first)."""
        self.ctx.seen.add_problem(line, row_type(row), reason, row)

    def rejected(self, line: int) -> bool:
        return self.ctx.seen.has_problem(line)

    @property
    def any_rejected(self) -> bool:
        return self.ctx.seen.any_problems

    def acting_lead(self, *, to: str) -> User:
        """The importer, re-read from the store: a lead, else NotAllowed (nothing is written)."""
        return require(self.store, self.actor, "lead", to=to)

    @property
    def state(self) -> dict[str, Any]:
        return self.ctx.state


class RowHandler:
    """One row type of a manifest: how its rows are checked, resolved and written.

    Subclasses set :attr:`type` (the row's ``"type"`` value) and
    :attr:`nouns`, and implement :meth:`check` and :meth:`commit`. An import
    calls, for the handlers in the order given:

    * :meth:`check` for each row of the type (fields only, no SQL), as the
      manifest is read, then :meth:`keep` with each record that passed (by
      default kept in ``run.records``; item rows resolve and park them on
      disk a chunk at a time, history rows park them on disk as they come,
      so memory does not grow with the manifest);
    * :meth:`resolve` once with the records kept in ``run.records`` (empty
      for a handler that keeps them on disk: it reads them back from there):
      store lookups in bulk, checks across rows (earlier handlers are
      already resolved); it returns the records to add, a sized collection
      (a handler writing from disk returns one that reads them back in
      chunks), every rejection made;
    * :meth:`plan` once with the records to add, if the import goes ahead
      (commit or dry run): fill in what the result should announce;
    * :meth:`commit` once (earlier handlers have written their rows), unless
      it is a dry run; it first checks the importer with
      :meth:`ImportRun.acting_lead`. With history rows every commit is
      inside the import's one transaction; an item-only manifest is written
      in chunks (``run.chunked``), each its own transaction.

    A record is any object with ``line`` (its manifest line) and ``row``
    (the row as read, for a rejects file). A handler keeps what it learns
    during one import in ``run.state`` / ``ctx.state`` (under its own keys),
    never on itself, so one handler object can serve many imports.
    """

    type: ClassVar[str] = ""
    nouns: ClassVar[tuple[str, str]] = ("row", "rows")

    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[Any | None, list[str]]:
        """The record for a row whose fields are fine, or None and the reasons it is not."""
        raise NotImplementedError

    def keep(self, run: ImportRun, record: Any) -> None:
        """A record that passed :meth:`check`, handed over as the manifest is read."""
        run.records.setdefault(self.type, []).append(record)

    def resolve(self, run: ImportRun, records: list[Any]) -> tuple[Sized, int]:
        """(records to add, how many are already present); reject lines with ``run.reject``."""
        return records, 0

    def plan(self, run: ImportRun, records: Any) -> None:
        """The import goes ahead with *records*: note on ``run.result`` what it (would) create."""

    def commit(self, run: ImportRun, records: Any) -> int:
        """Write *records* inside the import's transaction, as ``run.acting_lead``; return how many were new."""
        raise NotImplementedError

    def wants_commit(self, run: ImportRun) -> bool:
        """Whether :meth:`commit` runs: by default when the manifest had rows of this type."""
        return run.rows_by_type.get(self.type, 0) > 0
