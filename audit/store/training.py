"""SQL of training courses: the schema step (audit m007) and the courses a lead builds from gold items.

A course is a named list of gold items, each with the answer copied from
gold when the course is saved (so a later change to the gold answer does
not change a course someone is half-way through) and a short explanation;
a pass mark, an optional time limit and the taxonomy version it was
written for. Attempts and answers are :mod:`audit.store.training_attempts`;
calibration sessions' agreed answers :mod:`audit.store.training_sessions`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from audit.store import insert_returning_id
from review.store import Refused, Store


def m007(db: sqlite_utils.Database) -> None:
    """The schema step: courses and their items, attempts, answers (append-only), agreed calibration answers."""
    from review.store.schema import _append_only, refuse_replace

    db.executescript(
        """
        CREATE TABLE training_courses (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (name != ''),
            description TEXT NOT NULL DEFAULT '',
            pass_mark REAL NOT NULL CHECK (pass_mark > 0 AND pass_mark <= 1),
            time_limit_seconds INTEGER CHECK (time_limit_seconds IS NULL OR time_limit_seconds > 0),
            taxonomy_version INTEGER NOT NULL CHECK (taxonomy_version >= 1),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            changed_at TEXT NOT NULL
        );
        CREATE TABLE training_course_items (
            course_id INTEGER NOT NULL REFERENCES training_courses(id),
            position INTEGER NOT NULL CHECK (position >= 1),
            item_id INTEGER NOT NULL REFERENCES items(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL,
            explanation TEXT NOT NULL,
            PRIMARY KEY (course_id, position)
        );
        CREATE TABLE training_attempts (
            id INTEGER PRIMARY KEY,
            course_id INTEGER NOT NULL REFERENCES training_courses(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            number INTEGER NOT NULL CHECK (number >= 1),
            taxonomy_version INTEGER NOT NULL,
            items INTEGER NOT NULL CHECK (items >= 1),
            pass_mark REAL NOT NULL,
            plan TEXT NOT NULL,
            started_at TEXT NOT NULL,
            deadline_at TEXT,
            finished_at TEXT,
            correct INTEGER,
            score REAL,
            passed INTEGER CHECK (passed IS NULL OR passed IN (0, 1)),
            timed_out INTEGER NOT NULL DEFAULT 0 CHECK (timed_out IN (0, 1)),
            UNIQUE (course_id, user_id, number)
        );
        CREATE INDEX training_attempts_user ON training_attempts (user_id, course_id, number);
        CREATE TABLE training_answers (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES training_attempts(id),
            position INTEGER NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL,
            expected_action TEXT NOT NULL,
            expected_labels TEXT NOT NULL,
            matched INTEGER NOT NULL CHECK (matched IN (0, 1)),
            answered_at TEXT NOT NULL,
            UNIQUE (attempt_id, position)
        );
        CREATE TABLE calibration_agreed (
            set_id INTEGER NOT NULL REFERENCES calibration_sets(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            agreed_by TEXT NOT NULL,
            agreed_at TEXT NOT NULL,
            PRIMARY KEY (set_id, item_id)
        );
        """
    )
    _append_only(db, "training_answers")
    refuse_replace(db, "training_answers")


#: (id, name, description, pass mark, time limit s, taxonomy version, created by, created at, changed at, items)
_COURSE = """SELECT c.id, c.name, c.description, c.pass_mark, c.time_limit_seconds, c.taxonomy_version, c.created_by,
                    c.created_at, c.changed_at,
                    (SELECT COUNT(*) FROM training_course_items t WHERE t.course_id = c.id)
             FROM training_courses c"""


def courses(store: Store) -> list[tuple[Any, ...]]:
    """Every course (see :data:`_COURSE`), by name."""
    return [tuple(r) for r in store.db.execute(_COURSE + " ORDER BY c.name, c.id")]


def course(store: Store, name: str) -> tuple[Any, ...] | None:
    row = store.db.execute(_COURSE + " WHERE c.name = ?", [name]).fetchone()
    return tuple(row) if row else None


def course_by_id(store: Store, course_id: int) -> tuple[Any, ...] | None:
    row = store.db.execute(_COURSE + " WHERE c.id = ?", [course_id]).fetchone()
    return tuple(row) if row else None


def course_items(store: Store, course_id: int) -> list[tuple[Any, ...]]:
    """(position, item id, external id, kind, action, labels JSON, explanation) of a course, in order."""
    return [tuple(r) for r in store.db.execute(
        """SELECT t.position, t.item_id, i.external_id, i.kind, t.action, t.labels, t.explanation
           FROM training_course_items t JOIN items i ON i.id = t.item_id
           WHERE t.course_id = ? ORDER BY t.position""", [course_id])]


def gold_answers(store: Store, item_ids: Sequence[int]) -> dict[int, tuple[str, str, str, str | None, bool, int]]:
    """{item id: (action, labels JSON, explanation, retired at, is a planted copy, copies planted of it)} of those
    items that are gold."""
    found: dict[int, tuple[str, str, str, str | None, bool, int]] = {}
    for item_id in item_ids:
        row = store.db.execute(
            """SELECT g.action, g.labels, g.explanation, g.retired_at, g.source_item_id IS NOT NULL,
                      (SELECT COUNT(*) FROM gold_items c WHERE c.source_item_id = g.item_id)
               FROM gold_items g WHERE g.item_id = ?""", [item_id]).fetchone()
        if row is not None:
            found[item_id] = (row[0], row[1], row[2] or "", row[3], bool(row[4]), int(row[5]))
    return found


def courses_holding(store: Store, item_id: int) -> list[str]:
    """The names of the courses that hold *item_id*, by name (a course item is never planted as gold)."""
    return [str(r[0]) for r in store.db.execute(
        """SELECT c.name FROM training_courses c WHERE EXISTS (SELECT 1 FROM training_course_items t
           WHERE t.course_id = c.id AND t.item_id = ?) ORDER BY c.name, c.id""", [item_id])]


def _facts(store: Store, course_id: int) -> dict[str, Any]:
    row = course_by_id(store, course_id)
    assert row is not None
    return {"name": row[1], "description": row[2], "pass_mark": row[3], "time_limit_seconds": row[4],
            "taxonomy_version": row[5],
            "items": [[r[1], r[4], json.loads(r[5]), r[6]] for r in course_items(store, course_id)]}


def save_course(store: Store, actor: str, course_id: int | None, name: str, description: str, pass_mark: float,
                time_limit_seconds: int | None, taxonomy_version: int,
                items: Sequence[tuple[int, str, list[str], str]]) -> int:
    """Create (*course_id* None) or change a course, with its items, in one transaction with its event; its id.

    *items*: (item id, action, labels, explanation) in order. One
    ``training.course_created`` or ``training.course_changed`` event with
    the old and new course. Refused ``"taken"`` (another course has the
    name), ``"no_course"``.
    """
    with store.transaction():
        other = store.db.execute("SELECT id FROM training_courses WHERE name = ?", [name]).fetchone()
        if other is not None and other[0] != course_id:
            raise Refused("taken", name)
        now = store.now()
        if course_id is None:
            old = None
            course_id = insert_returning_id(
                store, "INSERT INTO training_courses (name, description, pass_mark, time_limit_seconds,"
                " taxonomy_version, created_by, created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                [name, description, pass_mark, time_limit_seconds, taxonomy_version, actor, now, now])
        else:
            if course_by_id(store, course_id) is None:
                raise Refused("no_course", str(course_id))
            old = _facts(store, course_id)
            store.db.execute(
                "UPDATE training_courses SET name = ?, description = ?, pass_mark = ?, time_limit_seconds = ?,"
                " taxonomy_version = ?, changed_at = ? WHERE id = ?",
                [name, description, pass_mark, time_limit_seconds, taxonomy_version, now, course_id])
            store.db.execute("DELETE FROM training_course_items WHERE course_id = ?", [course_id])
        for position, (item_id, action, labels, explanation) in enumerate(items, start=1):
            store.db.execute("INSERT INTO training_course_items (course_id, position, item_id, action, labels,"
                             " explanation) VALUES (?, ?, ?, ?, ?, ?)",
                             [course_id, position, item_id, action, json.dumps(sorted(labels)), explanation])
        new = _facts(store, course_id)
        if old != new:
            store.log(actor, "training.course_created" if old is None else "training.course_changed",
                      f"course:{name}", {"course_id": course_id, "old": old, "new": new})
    return course_id
