"""SQL for the wellbeing tables (``m005_wellbeing``, ``m010_wellbeing_breaks``), kept apart from the logic.

Plain standard SQL only (no JSON functions): ``details`` is decoded in
Python, so the same queries run on PostgreSQL later. Every write is one
transaction; each appends its hash-chained ``events`` row, except the
exposure rows (one per item shown, far too many for the log), which note
their change with ``store.mark_changed("wellbeing")`` instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from review.store import Store, User
from review.store.connection import executemany

if TYPE_CHECKING:  # the tracker's record; the store never needs it at run time
    from review.wellbeing.exposure import ExposureRecord

EVENT_KINDS = (
    "prompted_banner", "prompted_dialog", "snoozed", "break_started", "break_taken", "break_enforced",
    "budget_warning", "budget_reached", "budget_lifted", "idle_paused", "checkin",
)

# Exposure "time on an item" is the active on-screen time: blurred + whole reveal + region reveal.
# (Video time overlaps those and is not added again.)
_ON_SCREEN = "blurred_ms + revealed_ms + region_ms"


@dataclass(frozen=True)
class WellbeingEvent:
    user_id: int
    at: str
    day: str
    kind: str
    details: dict[str, Any]


@dataclass(frozen=True)
class StoredBreak:
    """A countdown break as stored: it holds from ``started_at`` until ``ends_at``, whatever the front end does."""

    id: int
    user_id: int
    started_at: str
    ends_at: str
    reason: str  # "micro" | "severe"
    enforced: bool
    cooldown: bool


@dataclass(frozen=True)
class Lift:
    user_id: int
    day: str
    at: str
    lead: str
    extra_ms: int
    reason: str


@dataclass(frozen=True)
class Checkin:
    at: str
    score: int


@dataclass(frozen=True)
class ExposureRow:
    started_at: str
    ended_at: str
    on_screen_ms: int
    revealed_ms: int  # whole + region
    severity: str | None


@dataclass(frozen=True)
class ExposureSums:
    user_id: int
    items: int
    blurred_ms: int
    revealed_ms: int
    region_ms: int
    video_ms: int
    on_screen_ms: int
    severe_ms: int
    severe_items: int


# ---------------------------------------------------------------- events
def add_event(
    store: Store, user: User, kind: str, details: dict[str, Any] | None = None, *, actor: str | None = None
) -> None:
    """One row in ``wellbeing_events`` and its ``events`` entry, in one transaction."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown wellbeing event {kind!r}")
    at = store.now()
    with store.transaction():
        _insert_event(store, user, kind, details, at, actor)


def _insert_event(
    store: Store, user: User, kind: str, details: dict[str, Any] | None, at: str, actor: str | None = None
) -> None:
    """The ledger row and its log entry, inside the caller's transaction."""
    details = dict(details or {})
    store.db.execute(
        "INSERT INTO wellbeing_events (user_id, at, day, kind, details) VALUES (?, ?, ?, ?, ?)",
        [user.id, at, at[:10], kind, json.dumps(details, sort_keys=True)],
    )
    store.log(actor or user.name, f"wellbeing.{kind}", f"user:{user.name}", details)


def events(
    store: Store, *, day: str, user_id: int | None = None, kinds: Iterable[str] | None = None
) -> list[WellbeingEvent]:
    """A day's wellbeing events, in time order; only *user_id*'s and only *kinds* when given."""
    sql = "SELECT user_id, at, day, kind, details FROM wellbeing_events WHERE day = ?"
    params: list[Any] = [day]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    if kinds is not None:
        wanted = list(kinds)
        sql += f" AND kind IN ({','.join('?' * len(wanted))})"
        params.extend(wanted)
    rows = store.db.execute(sql + " ORDER BY at, id", params).fetchall()
    return [WellbeingEvent(r[0], r[1], r[2], r[3], json.loads(r[4] or "{}")) for r in rows]


# ----------------------------------------------------------------- breaks
_BREAK = "SELECT id, user_id, started_at, ends_at, reason, enforced, cooldown FROM wellbeing_breaks"


def _break(row: Any) -> StoredBreak:
    return StoredBreak(row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]))


def start_break(
    store: Store, user: User, kind: str, details: dict[str, Any], *, started_at: str, ends_at: str, reason: str,
    cooldown: bool,
) -> StoredBreak:
    """A break begins: its row, its ``break_started``/``break_enforced`` ledger row and event, in one transaction.

    It runs from *started_at* (the coach's moment, which may be a little
    before now) and is served at *ends_at*; until then a claim by *user* is
    refused and every window of theirs shows it.
    """
    if kind not in ("break_started", "break_enforced"):
        raise ValueError(f"{kind!r} does not start a break")
    at = store.now()
    with store.transaction():
        row = store.db.execute(
            "INSERT INTO wellbeing_breaks (user_id, started_at, ends_at, reason, enforced, cooldown)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [user.id, started_at, ends_at, reason, int(kind == "break_enforced"), int(cooldown)],
        ).fetchone()
        _insert_event(store, user, kind, {**details, "ends_at": ends_at}, at)
    return StoredBreak(row[0], user.id, started_at, ends_at, reason, kind == "break_enforced", cooldown)


def running_break(store: Store, user_id: int, now: str) -> StoredBreak | None:
    """*user_id*'s break that is not served at *now* (the one ending last), if any."""
    row = store.db.execute(_BREAK + " WHERE user_id = ? AND ends_at > ? ORDER BY ends_at DESC, id DESC LIMIT 1",
                           [user_id, now]).fetchone()
    return _break(row) if row else None


def last_break(store: Store, user_id: int) -> StoredBreak | None:
    """*user_id*'s most recent break, served or not."""
    row = store.db.execute(_BREAK + " WHERE user_id = ? ORDER BY ends_at DESC, id DESC LIMIT 1", [user_id]).fetchone()
    return _break(row) if row else None


def add_break_taken(store: Store, user: User, served: StoredBreak, details: dict[str, Any]) -> bool:
    """Record that *served* ran its length (``break_taken``), once: False if a window already did.

    Each window of the person counts the same stored break down; the first
    to see it end writes the row, in a transaction that checks for it.
    """
    at = store.now()
    with store.transaction():
        done = store.db.execute(
            "SELECT 1 FROM wellbeing_events WHERE user_id = ? AND day >= ? AND kind = 'break_taken' AND at >= ?"
            " LIMIT 1", [user.id, served.started_at[:10], served.started_at],
        ).fetchone()
        if done:
            return False
        _insert_event(store, user, "break_taken", {**details, "ended_at": served.ends_at}, at)
    return True


# ----------------------------------------------------------------- lifts
def add_lift(store: Store, lead: User, person: User, day: str, extra_ms: int, reason: str) -> None:
    at = store.now()
    details = {"by": lead.name, "reason": reason, "extra_min": round(extra_ms / 60_000), "day": day}
    with store.transaction():
        store.db.execute(
            "INSERT INTO wellbeing_lifts (user_id, day, at, lead_id, extra_ms, reason) VALUES (?, ?, ?, ?, ?, ?)",
            [person.id, day, at, lead.id, extra_ms, reason],
        )
        store.db.execute(
            "INSERT INTO wellbeing_events (user_id, at, day, kind, details) VALUES (?, ?, ?, 'budget_lifted', ?)",
            [person.id, at, at[:10], json.dumps(details, sort_keys=True)],
        )
        store.log(lead.name, "wellbeing.budget_lifted", f"user:{person.name}", details)


def lifts(store: Store, *, day: str, user_id: int | None = None) -> list[Lift]:
    sql = ("SELECT l.user_id, l.day, l.at, u.name, l.extra_ms, l.reason FROM wellbeing_lifts l"
           " JOIN users u ON u.id = l.lead_id WHERE l.day = ?")
    params: list[Any] = [day]
    if user_id is not None:
        sql += " AND l.user_id = ?"
        params.append(user_id)
    return [Lift(*r) for r in store.db.execute(sql + " ORDER BY l.at, l.id", params).fetchall()]


def lifted_ms(store: Store, user_id: int, day: str) -> int:
    row = store.db.execute(
        "SELECT COALESCE(SUM(extra_ms), 0) FROM wellbeing_lifts WHERE user_id = ? AND day = ?", [user_id, day]
    ).fetchone()
    return int(row[0])


# -------------------------------------------------------------- check-ins
def add_checkin(store: Store, user: User, score: int) -> None:
    """The score goes only into ``wellbeing_checkins``; the logs record that a check-in happened, not its answer."""
    at = store.now()
    with store.transaction():
        store.db.execute(
            "INSERT INTO wellbeing_checkins (user_id, at, day, score) VALUES (?, ?, ?, ?)",
            [user.id, at, at[:10], score],
        )
        store.db.execute(
            "INSERT INTO wellbeing_events (user_id, at, day, kind, details) VALUES (?, ?, ?, 'checkin', '{}')",
            [user.id, at, at[:10]],
        )
        store.log(user.name, "wellbeing.checkin", f"user:{user.name}", {})


def checkins(store: Store, user_id: int) -> list[Checkin]:
    rows = store.db.execute(
        "SELECT at, score FROM wellbeing_checkins WHERE user_id = ? ORDER BY at, id", [user_id]
    ).fetchall()
    return [Checkin(*r) for r in rows]


def checkin_scores(store: Store, first_day: str, last_day: str) -> list[tuple[int, int]]:
    """(user id, score) of every check-in between the two days, inclusive."""
    return [
        (r[0], r[1]) for r in store.db.execute(
            "SELECT user_id, score FROM wellbeing_checkins WHERE day >= ? AND day <= ?", [first_day, last_day]
        )
    ]


# --------------------------------------------------------------- exposure
def add_exposure(store: Store, user: User, session_id: str, record: ExposureRecord) -> None:
    """One item's exposure row and its reveals, in one transaction (no event: see the module docstring)."""
    with store.transaction():
        store.db.execute(
            "INSERT INTO exposure (user_id, item_id, session_id, day, started_at, ended_at, blurred_ms, revealed_ms,"
            " region_ms, video_ms, severity, category) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [user.id, record.item_id, session_id, record.started_at[:10], record.started_at, record.ended_at,
             record.blurred_ms, record.revealed_ms, record.region_ms, record.video_ms, record.severity,
             record.category],
        )
        executemany(
            store.db, "INSERT INTO reveals (user_id, item_id, started_at, duration_ms, kind) VALUES (?, ?, ?, ?, ?)",
            [[user.id, record.item_id, r.started_at, r.duration_ms, r.kind] for r in record.reveals],
        )
    store.mark_changed("wellbeing")


def exposure_rows(store: Store, user_id: int, day: str) -> list[ExposureRow]:
    """One person's exposure rows of the day, in time order (to resume the coach's counters)."""
    rows = store.db.execute(
        f"SELECT started_at, ended_at, {_ON_SCREEN}, revealed_ms + region_ms, severity FROM exposure"
        " WHERE user_id = ? AND day = ? ORDER BY started_at, id",
        [user_id, day],
    ).fetchall()
    return [ExposureRow(*r) for r in rows]


def exposure_sums(store: Store, day: str, user_id: int | None = None) -> dict[int, ExposureSums]:
    sql = (
        "SELECT user_id, COUNT(*), COALESCE(SUM(blurred_ms), 0), COALESCE(SUM(revealed_ms), 0),"
        " COALESCE(SUM(region_ms), 0), COALESCE(SUM(video_ms), 0),"
        f" COALESCE(SUM({_ON_SCREEN}), 0),"
        f" COALESCE(SUM(CASE WHEN severity = 'severe' THEN {_ON_SCREEN} ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN severity = 'severe' THEN 1 ELSE 0 END), 0)"
        " FROM exposure WHERE day = ?"
    )
    params: list[Any] = [day]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    rows = store.db.execute(sql + " GROUP BY user_id", params).fetchall()
    return {r[0]: ExposureSums(*r) for r in rows}


def severe_ms(store: Store, user_id: int, day: str) -> int:
    sums = exposure_sums(store, day, user_id).get(user_id)
    return sums.severe_ms if sums else 0
