"""The roster: who works when, on which queues — shifts added, changed, deleted and imported by a lead, and coverage.

A **shift** is one person's stretch of work within a UTC day (``HH:MM`` to
``HH:MM``; a night shift is two rows) and the queues they work in it,
named by queue id so a rename keeps them; a queue merged since hands its
shifts on, as a queue limit does (``review.store.people.allowed_queue_ids``).

**Serving honours it** (``review.planning.rotation.Plan``): while a person
is inside one of today's shifts, they are served only that shift's queues
(within their roles and limit). Outside every shift — no shift today, or
before, between or after their shifts — and when the shift's queues serve
them nothing, they are served as without a roster: a roster plans, it
does not lock anybody out of work.

**Coverage** (:func:`coverage`): for each queue and hour of a day, how many
people are rostered on it — a person on k queues for a whole hour counts
1/k in each, part of an hour counts its share — against the forecast's
people-rostered-needed (``review.planning.forecast.need_by_hour``; only for
the hours it forecasts). An hour with fewer rostered than needed is a gap.
*away* recomputes it as if those people were off that day (the Roster
page's "mark away": a what-if, nothing is saved).

**Import** (:func:`import_csv`): columns ``person, date, start, end,
queues`` (queues by name, separated by ``;``), UTF-8 (a line that is not
is that line's problem); one leading ``'`` in a cell is dropped, the mark
an export puts before a formula-like cell, and an export names each queue
as the queue holding its items now, so export → import round-trips. Every row is checked before
anything is written, problems say ``FILE:LINE``; one problem and nothing
is imported. Each (person, date) in the file gets exactly the file's
shifts (their old ones that day are replaced). Rows stream through a
temporary table, so a file of any length is read in bounded memory.
Every write is lead-only, checked here and again under the write lock,
with one event holding the old and the new value.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from review.auth import require
from review.errors import NotAllowed, VeilError
from review.store import Queue, Refused, Store, User, queue_admin
from review.store import roster as rows

MAX_LINE_CHARS = 4096  # a roster row is short; a longer line is refused, never read whole
MAX_PROBLEMS = 50  # problems kept to show; the rest are counted
COLUMNS = ("person", "date", "start", "end", "queues")
QUEUE_SEPARATOR = ";"


class RosterError(VeilError, ValueError):
    """A shift or a roster file that cannot be taken; the message says why, as it is shown."""


@dataclass(frozen=True)
class Shift:
    """One shift as shown: its row and its queues' names now (a rename shows the new name)."""

    row: rows.ShiftRow
    queues: tuple[str, ...]

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def person(self) -> str:
        return self.row.person

    @property
    def day(self) -> str:
        return self.row.day

    @property
    def starts(self) -> str:
        return self.row.starts

    @property
    def ends(self) -> str:
        return self.row.ends


def shifts(store: Store, viewer: User | str, first_day: str, last_day: str | None = None) -> list[Shift]:
    """The shifts on *first_day* .. *last_day* (one day when omitted); lead only."""
    require(store, viewer, "lead", to="see the roster")
    return [_shown(store, r) for r in rows.between(store, _day(first_day), _day(last_day or first_day))]


def every_shift(store: Store, viewer: User | str) -> Iterator[Shift]:
    """Every shift, by day, one at a time (``veil roster export``: years of roster in bounded memory); lead only."""
    require(store, viewer, "lead", to="see the roster")
    return (_shown(store, r) for r in rows.iter_all(store))


def _shown(store: Store, row: rows.ShiftRow) -> Shift:
    from review.store.people import queue_name

    merged = queue_admin.merged_into(store)  # a merged queue shows (and exports) as the queue holding it now
    return Shift(row, tuple(dict.fromkeys(queue_name(store, _followed(q, merged)) for q in row.queue_ids)))


def add_shift(store: Store, lead: User | str, person: str, day: str, starts: str, ends: str,
              queues: Sequence[str]) -> Shift:
    """Add *person*'s shift; RosterError for a bad day, time or queue, or one overlapping their other shifts."""
    actor = require(store, lead, "lead", to="change the roster")
    user = _person(store, person)
    ids, names = _queues(store, user, queues)
    day, starts, ends = _day(day), *_times(starts, ends)
    try:
        return _shown(store, rows.add(store, actor, user.id, day, starts, ends, ids, names))
    except Refused as refused:
        raise _said(refused, actor, person) from None


def change_shift(store: Store, lead: User | str, shift_id: int, day: str, starts: str, ends: str,
                 queues: Sequence[str]) -> Shift:
    """Change a shift's day, times or queues (its person stays); RosterError as :func:`add_shift` says."""
    actor = require(store, lead, "lead", to="change the roster")
    found = rows.shift(store, shift_id)
    if found is None:
        raise RosterError("That shift was deleted meanwhile.")
    ids, names = _queues(store, store.user(found.person), queues)
    day, starts, ends = _day(day), *_times(starts, ends)
    try:
        return _shown(store, rows.change(store, actor, shift_id, day, starts, ends, ids, names)[1])
    except Refused as refused:
        raise _said(refused, actor, found.person) from None


def delete_shift(store: Store, lead: User | str, shift_id: int) -> Shift:
    """Delete a shift; the deleted shift (for an "undo" the page may offer by adding it again)."""
    actor = require(store, lead, "lead", to="change the roster")
    try:
        return _shown(store, rows.delete(store, actor, shift_id))
    except Refused as refused:
        raise _said(refused, actor, "") from None


# ------------------------------------------------------------------ import
@dataclass
class ImportReport:
    """What an import did (or, dry run, would do): rows, (person, day)s, shifts replaced, and every problem."""

    rows: int = 0
    person_days: int = 0
    replaced: int = 0
    applied: bool = False
    problems: list[str] = field(default_factory=list)  # the first MAX_PROBLEMS, "FILE:LINE: what"
    more_problems: int = 0  # how many more there were

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more_problems += 1


def import_csv(store: Store, lead: User | str, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Check every row of the roster CSV at *path*, then import it all, or nothing (see the module's docstring).

    Never raises for the file's content: the report holds its problems
    (``FILE:LINE: …``) and ``applied`` says whether anything was written.
    """
    actor = require(store, lead, "lead", to="change the roster")
    report = ImportReport()
    people = {u.name: u for u in store.users()}
    queues = {q.name: q for q in store.queues()}
    merged = queue_admin.merged_into(store)
    shown_name = path.name
    try:
        handle = path.open("rb")  # decoded a line at a time: a byte that is not UTF-8 is that line's problem
    except OSError as exc:
        raise RosterError(f"{shown_name}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        staged = _staged(handle, shown_name, people, queues, merged, report)
        try:
            imported = rows.import_shifts(store, actor, staged, source=shown_name,
                                          apply=lambda: not dry_run and not report.problems)
        except Refused as refused:
            raise _said(refused, actor, "") from None
    for line, earlier in imported.overlaps:
        report.problem(f"{shown_name}:{line}: overlaps the shift on line {earlier} (same person, same date)")
    report.rows, report.person_days, report.replaced = imported.rows, imported.person_days, imported.replaced
    report.applied = imported.applied
    return report


def _lines(handle: io.BufferedIOBase, name: str, report: ImportReport) -> Iterator[str]:
    """The file's lines as text, each at most MAX_LINE_CHARS: a longer one, or one that is not UTF-8, is a
    problem and is skipped (a longer one unread); an empty line stands in for it, so the csv reader's line
    count stays in step with the file."""
    most = 4 * MAX_LINE_CHARS  # bytes: UTF-8 takes at most 4 a character
    number = 0
    while True:
        raw = handle.readline(most + 1)
        if not raw:
            return
        number += 1
        if len(raw) > most and not raw.endswith(b"\n"):
            while (rest := handle.readline(most + 1)) and not rest.endswith(b"\n"):
                pass
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            if len(raw) <= most:
                report.problem(f"{name}:{number}: byte {exc.start + 1} is not UTF-8 text "
                               f"(0x{raw[exc.start]:02x}): save the file as UTF-8")
                yield "\n"
                continue
            line = raw.decode("utf-8", "replace")
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            report.problem(f"{name}:{number}: the line is longer than {MAX_LINE_CHARS} characters")
            yield "\n"
            continue
        yield line


def _staged(handle: io.BufferedIOBase, name: str, people: dict[str, User], queues: dict[str, Queue],
            merged: dict[int, int], report: ImportReport) -> Iterator[rows.Staged]:
    """The file's good rows, staged; every bad one becomes a problem in *report* instead."""
    reader = csv.reader(_lines(handle, name, report))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        report.problem(f"{name}:1: {exc}")
        return
    if header != list(COLUMNS):
        report.problem(f"{name}:1: the header must be {','.join(COLUMNS)} (it is {_quoted(','.join(header))})")
        return
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.problem(f"{name}:{reader.line_num}: {exc}")
            return  # the csv reader cannot resynchronise after a broken quote
        line = reader.line_num
        if not any(c.strip() for c in record):
            continue
        try:
            yield _row(line, record, people, queues, merged)
        except RosterError as exc:
            report.problem(f"{name}:{line}: {exc}")


def _row(line: int, record: list[str], people: dict[str, User], queues: dict[str, Queue],
         merged: dict[int, int]) -> rows.Staged:
    from review.serving import WORKED_BY  # serving reads the roster: importing it at the top would be a cycle

    if len(record) != len(COLUMNS):
        raise RosterError(f"expected {len(COLUMNS)} columns ({', '.join(COLUMNS)}), found {len(record)}")
    person, day, starts, ends, names = (_unneutralised(c.strip()) for c in record)
    user = people.get(person)
    if user is None:
        raise RosterError(f"there is nobody called {_quoted(person)}")
    if not user.active:
        raise RosterError(f"{person} is deactivated")
    ids = []
    for queue_name in dict.fromkeys(n.strip() for n in names.split(QUEUE_SEPARATOR) if n.strip()):
        queue = queues.get(queue_name)
        if queue is None:
            raise RosterError(f"there is no queue called {_quoted(queue_name)}")
        if queue.id in merged:
            raise RosterError(f"the queue {_quoted(queue_name)} was merged into another queue: name that one")
        if not any(user.has(r) for r in WORKED_BY.get(queue.kind, ())):
            raise RosterError(f"{person} does not work {queue.kind} queues such as {_quoted(queue_name)}")
        ids.append(queue.id)
    if not ids:
        raise RosterError(f"name the queues {person} works in the shift, separated by “{QUEUE_SEPARATOR}”")
    return rows.Staged(line, user.id, _day(day), *_times(starts, ends), tuple(ids))


def _unneutralised(cell: str) -> str:
    """*cell* without the one ``'`` an export puts before a cell a spreadsheet would run as a formula."""
    return cell[1:] if cell.startswith("'") else cell


def _quoted(text: str, limit: int = 60) -> str:
    """*text* in quotes, cut to *limit* characters: a hostile cell is named, not echoed whole."""
    return "“" + (text if len(text) <= limit else text[:limit] + "…") + "”"


# ------------------------------------------------------- checks and words
def _day(text: str) -> str:
    try:
        if len(text) != 10:
            raise ValueError
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise RosterError(f"the date {_quoted(text)} is not a date such as 2026-03-31") from None


def _time(text: str, *, end: bool) -> str:
    if end and text == "24:00":
        return text
    try:
        if len(text) != 5:
            raise ValueError
        return _dt.time.fromisoformat(text).strftime("%H:%M")
    except ValueError:
        raise RosterError(f"the time {_quoted(text)} is not a time such as 09:30") from None


def _times(starts: str, ends: str) -> tuple[str, str]:
    start, end = _time(starts.strip(), end=False), _time(ends.strip(), end=True)
    if end <= start:
        raise RosterError(f"the shift ends ({end}) before it starts ({start}): split a night shift at 24:00")
    return start, end


def _person(store: Store, name: str) -> User:
    try:
        user = store.user(name)
    except KeyError:
        raise RosterError(f"There is nobody called {_quoted(name)} in this store.") from None
    if not user.active:
        raise RosterError(f"{name} is deactivated: a lead can reactivate them first.")
    return user


def _queues(store: Store, user: User, names: Sequence[str]) -> tuple[list[int], list[str]]:
    from review.serving import WORKED_BY  # serving reads the roster: importing it at the top would be a cycle

    ids, shown = [], []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        try:
            queue = store.queue(name)
        except KeyError:
            raise RosterError(f"There is no queue called {_quoted(name)}.") from None
        if not any(user.has(r) for r in WORKED_BY.get(queue.kind, ())):
            raise RosterError(f"{user.name} does not work {queue.kind} queues such as {_quoted(name)}.")
        ids.append(queue.id)
        shown.append(queue.name)
    if not ids:
        raise RosterError("Name at least one queue the person works in the shift.")
    return ids, shown


def _said(refused: Refused, lead: User, person: str) -> VeilError:
    if refused.reason == "not_lead":
        return NotAllowed(f"{lead.name} is not a lead any more: only a lead can change the roster")
    if refused.reason == "overlap":
        return RosterError(f"{person} already has a shift {refused.detail} that day: shifts may not overlap.")
    if refused.reason == "unchanged":
        return RosterError("Nothing to change in that shift.")
    return RosterError("That shift was deleted meanwhile.")


# --------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """People rostered per queue per hour of one UTC day, against the forecast's need."""

    day: str
    queues: list[tuple[int, str]]  # (id, name) of every queue people are rostered on or needed for
    rostered: dict[int, list[float]]  # queue id -> 24 hourly counts (shares of a person count)
    need: dict[int, list[int | None]]  # queue id -> 24 hourly people rostered needed; None: not forecast

    def gap(self, queue_id: int, hour: int) -> bool:
        """Fewer people rostered than needed in that hour (only where the forecast says what is needed)."""
        needed = self.need.get(queue_id, [None] * 24)[hour]
        return needed is not None and self.rostered.get(queue_id, [0.0] * 24)[hour] + 1e-9 < needed

    def gaps(self) -> list[tuple[int, int]]:
        return [(q, h) for q, _ in self.queues for h in range(24) if self.gap(q, h)]


def coverage(store: Store, viewer: User | str, day: str, *, away: Sequence[str] = (),
             now: _dt.datetime | None = None) -> Coverage:
    """Coverage on *day* (see the module's docstring); *away* names people counted as off that day."""
    viewer = require(store, viewer, "lead", to="see the roster")
    day = _day(day)
    moment = now or store.clock.now()
    merged = queue_admin.merged_into(store)
    live = {q.id: q.name for q in store.queues() if q.kind in ("review", "escalation") and q.id not in merged}
    rostered: dict[int, list[float]] = {}
    for row in rows.between(store, day, day):
        if row.person in away:
            continue
        share = 1 / len(row.queue_ids)
        first, last = clock_minutes(row.starts), clock_minutes(row.ends)
        for queue_id in row.queue_ids:
            hours = rostered.setdefault(_followed(queue_id, merged), [0.0] * 24)
            for hour in range(first // 60, (last + 59) // 60):
                inside = min(last, (hour + 1) * 60) - max(first, hour * 60)
                hours[hour] += share * inside / 60
    need = _need(store, viewer, day, moment)
    ids = [q for q in live if q in rostered or any(n for n in need.get(q, []))]
    return Coverage(day, [(q, live[q]) for q in sorted(ids, key=lambda q: live[q].casefold())],
                    {q: rostered.get(q, [0.0] * 24) for q in ids},
                    {q: need.get(q, [None] * 24) for q in ids})


def _need(store: Store, viewer: User, day: str, now: _dt.datetime) -> dict[int, list[int | None]]:
    """The forecast's need for each hour of *day* it covers (it looks ahead from the current hour)."""
    from review.planning import forecast

    hour_now = now.replace(minute=0, second=0, microsecond=0)
    start = _dt.datetime.fromisoformat(day).replace(tzinfo=_dt.UTC)
    first = int((start - hour_now).total_seconds() // 3600)
    if first + 24 <= 0 or first >= 48:
        return {}
    ahead = forecast.need_by_hour(store, viewer, hours=first + 24, now=now)
    return {q: [int(by_hour[first + h]) if 0 <= first + h < len(by_hour) else None for h in range(24)]
            for q, by_hour in ahead.items()}


def clock_minutes(clock: str) -> int:
    """Minutes since midnight of an ``HH:MM`` time (``24:00`` is 1440)."""
    return int(clock[:2]) * 60 + int(clock[3:])


def _followed(queue_id: int, merged: dict[int, int]) -> int:
    """The queue holding *queue_id*'s items now: the last of the queues it was merged into."""
    return next((q for q in queue_admin.followed_ids([queue_id], merged) if q not in merged), queue_id)
