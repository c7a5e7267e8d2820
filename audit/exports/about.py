"""What an export or report says about itself: its period in words, its filters, when and from what it was made.

A file that leaves Veil is read by people who were not there when it was
made: a director opening last month's workbook, an auditor opening a CSV a
year later. So every file a person reads (CSV, XLSX, the PDF report) opens
with the same few lines — what it holds, the period in words, the filters,
when it was generated, whether names were pseudonymised, and the head of
the event log it was read at with the ``veil verify --expect`` command that
proves it — built here once (:func:`lines`) so the formats never disagree.
JSON Lines stays rows only (machines read it; its anchor is the
``FILE.anchor`` beside it).
"""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass

from review.clock import iso, parse
from review.store.events import Head

WHAT = {"decisions": "Decisions", "audits": "Audits", "metrics": "Metrics", "report": "QA report",
        "transparency": "Transparency counts (DSA)"}
#: How each kind's period selects what it counts (said after the period).
COUNTED_BY = {"transparency": "notices and complaints counted by when they were received, actions by when they "
                              "were taken, statements by when they were exported or accepted"}


def period_label(since: str | None, until: str | None) -> str:
    """"Week 47, 2026 (16 Nov – 22 Nov 2026)", "November 2026", "3 Nov 2026 – 12 Nov 2026" or "All time".

    *since* and *until* are inclusive canonical UTC times (what ``audit.metrics.assembly.build`` echoes).
    """
    first = parse(since).date() if since else None
    last = parse(until).date() if until else None
    if first and last:
        year, week, weekday = first.isocalendar()
        if weekday == 1 and last == first + _dt.timedelta(days=6):
            return f"Week {week}, {year} ({first.day} {first:%b} – {last.day} {last:%b %Y})"
        if first.day == 1 and last == first.replace(day=calendar.monthrange(first.year, first.month)[1]):
            return f"{first:%B %Y}"
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first:
        return f"Since {first.day} {first:%b %Y}"
    if last:
        return f"Up to {last.day} {last:%b %Y}"
    return "All time"


def inclusive_end(end: str | None) -> str | None:
    """The last moment (to the millisecond) of a period that ends before *end*: how a period is said."""
    return iso(parse(end) - _dt.timedelta(milliseconds=1)) if end else None


def when(iso_text: str) -> str:
    """"5 Jan 2026, 09:00 UTC": a generation time as a person reads it."""
    moment = parse(iso_text)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


#: The kinds with nothing personal in them: nothing to pseudonymise.
NAMES_NOBODY = ("transparency",)

#: What a file says in place of the store in its ``veil verify`` command: the store's own file name would tell a
#: reader of the file nothing it needs and may name a machine or a person, and without ``--store`` the command
#: checks no store at all.
STORE_PLACEHOLDER = "YOUR-STORE"


def verify_command(head: Head) -> str:
    """The command that proves, later, that the history a file was made from still stands."""
    return f"veil verify --store {STORE_PLACEHOLDER} --expect {head.events}:{head.hash}"


@dataclass(frozen=True)
class About:
    """The facts a file states about itself (see the module docstring)."""

    kind: str  # decisions, audits, metrics, report
    since: str | None  # inclusive canonical UTC bounds, None when open
    until: str | None
    filters: dict[str, str]  # queue / moderator narrowing (the period is said apart)
    generated_at: str
    pseudonymised: bool
    head: Head

    @property
    def period(self) -> str:
        return period_label(self.since, self.until)

    def _pseudonymised(self) -> str:
        if self.kind in NAMES_NOBODY:
            return "not needed: these counts name nobody"
        return ("yes: people are named by stable pseudonyms (mod-…, aud-…, lead-…)" if self.pseudonymised
                else "no: people are named")

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs, in reading order: the header block of a CSV and the About sheet of a workbook."""
        narrowed = ", ".join(f"{key} {value}" for key, value in sorted(self.filters.items()))
        bounds = " to ".join(b for b in (self.since, self.until) if b) if (self.since or self.until) else ""
        return [
            ("Veil export", WHAT.get(self.kind, self.kind)),
            ("Period", f"{self.period}{f' ({bounds}, UTC)' if bounds else ''}; "
                       f"{COUNTED_BY.get(self.kind, 'decisions counted by when they were made')}"),
            ("Filters", narrowed or "none (every queue, everyone)"),
            ("Generated", when(self.generated_at)),
            ("Pseudonymised", self._pseudonymised()),
            ("Made from event", f"{self.head.events}, hash {self.head.hash}"),
            ("Check with", verify_command(self.head)),
        ]
