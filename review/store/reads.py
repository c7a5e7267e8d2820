"""Look-ups written as their statements and what they make of the rows, so that several go in one round trip.

What the desk shows beside a claimed item — its list matches, case, a rule's
suggestion, where it may be escalated, what it complains of, its latest
escalation, its author's account — is a handful of small independent reads.
On a server each read was a round trip of its own, twelve after a claim's
transaction, and at a site of 200 desks on loaded cores each trip is a wait
for a core (issue 15). A look-up written as a :class:`Read` is its
statements and a function of their rows; :func:`together` sends the
statements of many in one round trip (:func:`~review.store.dialect.rows_together`:
on a file one after another, there being no trip to save) and gives each
look-up its answer. A look-up that needs one answer before its next
statement (an account lists what the viewer may see only once their roles
are read) answers with a further :class:`Read`: the next round, again
shared by every look-up still going.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from review.store import dialect

S = TypeVar("S")
T = TypeVar("T")
Rows = list[Any]


@dataclass(frozen=True)
class Read(Generic[T]):
    """A look-up: its *statements* (SQL and parameters, independent of one another) and *answer*, which makes the
    answer of their rows (one list per statement) — or a further :class:`Read` when it needs another round."""

    statements: tuple[tuple[str, Any], ...]
    answer: Callable[[list[Rows]], T | Read[T]]


def one(sql: str, params: Any, answer: Callable[[Rows], T | Read[T]]) -> Read[T]:
    """A look-up of one statement; *answer* makes its answer of that statement's rows."""
    return Read(((sql, params),), lambda rows: answer(rows[0]))


def known(value: T) -> Read[T]:
    """A look-up whose answer is known without reading (a person who may not see it; nothing to look up)."""
    return Read((), lambda _rows: value)


def gathered(parts: Sequence[Read[Any]], make: Callable[[list[Any]], T | Read[T]]) -> Read[T]:
    """One look-up of several *parts*: each round the statements of every part still going, and *make* of their
    answers (in their order) once every part has one (a further :class:`Read` if it needs another round)."""
    def answer(rows: list[Rows]) -> T | Read[T]:
        answers, at = [], 0
        for part in parts:
            answers.append(part.answer(rows[at:at + len(part.statements)]))
            at += len(part.statements)
        if any(isinstance(a, Read) for a in answers):
            return gathered([a if isinstance(a, Read) else known(a) for a in answers], make)
        return make(answers)

    return Read(tuple(statement for part in parts for statement in part.statements), answer)


def then(read: Read[S], make: Callable[[S], T | Read[T]]) -> Read[T]:
    """*read*, its answer made into another by *make* (a further :class:`Read` if that needs another round)."""
    return gathered([read], lambda answers: make(answers[0]))


def run(db: Any, read: Read[T]) -> T:
    """The answer of *read*: each round's statements sent in one round trip (a round with none sends nothing)."""
    while True:
        rows = dialect.rows_together(db, read.statements) if read.statements else []
        answer = read.answer(rows)
        if not isinstance(answer, Read):
            return answer
        read = answer


def together(db: Any, reads: Sequence[Read[Any]]) -> list[Any]:
    """The answers of *reads*, in their order, every round of them all in one round trip."""
    return run(db, gathered(reads, list))
