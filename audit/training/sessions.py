"""Calibration sessions: a lead picks items and people, each decides blind, then the session shows the spread of
answers per item, Fleiss' kappa and Krippendorff's alpha with their usual words, and the lead records the
agreed answer (which can become a gold item).

A session *is* a calibration set (``audit.calibration``): its items, its
people, their blind answers (``calibration.next_item`` / ``answer``: a
person sees only the item, never another's answer) and its agreement are
that module's. This one adds what a session shows and decides after:

- :func:`report` (a lead's): per item the spread of answers (action and
  labels), the agreed answer if recorded; the set's agreement with words —
  Landis & Koch (1977) for kappa, Krippendorff (2004) for alpha (≥ 0.800
  reliable, ≥ 0.667 tentative conclusions only, below that unreliable);
- :func:`agree`: the agreed answer for an item (``calibration.agreed``,
  old and new), optionally made a gold item with it (``audit.gold``'s
  ``gold.defined``) in the same transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from audit import calibration, gold, roles
from audit.store import atomically
from audit.store import calibration as calibration_rows
from audit.store import training_sessions as session_rows
from audit.training.courses import TrainingError
from review.serving import Item
from review.store import Refused, Store, User
from review.taxonomy import Taxonomy

#: Landis & Koch's bands for kappa: (upper bound inclusive, words), after "poor" below 0.
KAPPA_WORDS = ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"), (1.0, "almost perfect"))


#: What kappa and alpha are when every answer is the same action: chance agreement is total, so both are 0/0.
UNDEFINED = "undefined: everyone answered the same"


class NotYetAnswered(TrainingError):
    """A lead who answers a session asked for its report before answering every item (it would sway them)."""


def kappa_words(kappa: float | None) -> str:
    """Landis & Koch's words for a kappa: poor (< 0), slight, fair, moderate, substantial, almost perfect."""
    if kappa is None:
        return "not enough answers"
    if kappa < 0:
        return "poor agreement (below chance)"
    return next(f"{words} agreement" for bound, words in KAPPA_WORDS if kappa <= bound + 1e-12)


def alpha_words(alpha: float | None) -> str:
    """Krippendorff's reading of alpha: ≥ 0.800 reliable; ≥ 0.667 tentative conclusions only; else unreliable."""
    if alpha is None:
        return "not enough answers"
    if alpha >= 0.8:
        return "reliable (α ≥ 0.800)"
    if alpha >= 0.667:
        return "tentative conclusions only (0.667 ≤ α < 0.800)"
    return "unreliable (α < 0.667)"


@dataclass(frozen=True)
class ItemSpread:
    item_id: int
    external_id: str
    kind: str
    answers: int
    spread: tuple[tuple[tuple[str, tuple[str, ...]], int], ...]  # (("remove", ("spam",)), 2), most given first
    agreed_action: str | None
    agreed_labels: tuple[str, ...]
    agreed_note: str
    gold: bool


@dataclass(frozen=True)
class SessionReport:
    name: str
    closed: bool
    people: tuple[str, ...]
    agreement: calibration.Agreement
    kappa_words: str
    alpha_words: str
    items: tuple[ItemSpread, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "closed": self.closed, "people": list(self.people),
                **self.agreement.as_json(), "kappa_words": self.kappa_words, "alpha_words": self.alpha_words,
                "items": [{"item_id": i.item_id, "external_id": i.external_id, "answers": i.answers,
                           "spread": [[answer_text(*answer), n] for answer, n in i.spread],
                           "agreed_action": i.agreed_action, "agreed_labels": list(i.agreed_labels),
                           "gold": i.gold} for i in self.items]}


def answer_text(action: str, labels: Sequence[str]) -> str:
    """One answer in a line: the action, then its labels (``remove · spam, scam``)."""
    return f"{action} · {', '.join(labels)}" if labels else action


def create_session(store: Store, lead: User | str, name: str, item_ids: Sequence[int], people: Sequence[str],
                   description: str = "") -> int:
    """A session: a calibration set naming at least two people, who answer it blind. Its id."""
    if len(set(people)) < 2:
        raise TrainingError("a calibration session needs at least two people: agreement is between people")
    try:
        return calibration.create_set(store, lead, name, item_ids, description, people=people)
    except calibration.CalibrationError as refused:
        raise TrainingError(str(refused)) from None
    except KeyError as missing:
        raise TrainingError(str(missing.args[0])) from None


def report(store: Store, lead: User | str, name: str) -> SessionReport:
    """The session as the lead reviews it: the spread per item, the agreement and its words, agreed answers.

    A lead who is one of the session's people sees it only once they have
    answered every item (or it is closed): the spread would sway their
    blind answers. Agreement is over the chosen action; when every answer
    is the same action, kappa and alpha are undefined (chance agreement is
    total: statsmodels gives NaN and krippendorff refuses), never "almost
    perfect".
    """
    user = roles.require(store, lead, "lead", to="see a calibration session")
    set_id = _set_id(store, name)
    given = session_rows.answers(store, set_id)
    members = session_rows.members(store, set_id)
    people = calibration_rows.invited(store, [set_id]).get(set_id, [])
    closed = calibration_rows.is_closed(store, set_id)
    mine = sum(1 for _item, person, _a, _l in given if person == user.name)
    if user.name in people and not closed and mine < len(members):
        raise NotYetAnswered(f"you answer “{name}” too: answer all its items first (Training page, "
                             f"{mine} of {len(members)} done), so nobody's answers sway yours")
    by_item: dict[int, Counter[tuple[str, tuple[str, ...]]]] = {}  # ids: the pages and the CLI name them
    for item_id, _person, action, labels in given:
        by_item.setdefault(item_id, Counter())[(action, tuple(json.loads(labels)))] += 1
    agreed = session_rows.agreed(store, set_id)
    items = []
    for item_id, external_id, kind in members:
        counts = by_item.get(item_id, Counter())
        spread = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], answer_text(*kv[0]))))
        chosen = agreed.get(item_id)
        items.append(ItemSpread(item_id, external_id, kind, sum(counts.values()), spread,
                                chosen[0] if chosen else None, tuple(chosen[1]) if chosen else (),
                                chosen[2] if chosen else "", gold.is_gold(store, item_id)))
    found = calibration.agreement(store, name)
    if found.rated_items and len({action for _item, _person, action, _labels in given}) == 1:
        found = replace(found, fleiss_kappa=None, krippendorff_alpha=None)
        return SessionReport(name, closed, tuple(people), found, UNDEFINED, UNDEFINED, tuple(items))
    kappa = kappa_words(found.fleiss_kappa) if found.fleiss_kappa is not None or not found.fleiss_note else (
        f"not computed: {found.fleiss_note}")  # Fleiss needs as many answers on every item
    return SessionReport(name, closed, tuple(people), found, kappa, alpha_words(found.krippendorff_alpha),
                         tuple(items))


def agree(store: Store, lead: User | str, name: str, item_id: int, action: str, labels: Sequence[str] = (),
          note: str = "", *, make_gold: bool = False, taxonomy: Taxonomy | None = None) -> None:
    """Record the session's agreed answer for an item; with *make_gold*, the item becomes gold with that answer."""
    user = roles.require(store, lead, "lead", to="record a calibration session's agreed answer")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    chosen = sorted(set(labels))
    if not (action or "").strip():
        raise TrainingError("an agreed answer needs an action")
    if taxonomy is not None and (problem := taxonomy.check(action, chosen, "-")):
        raise TrainingError(problem)
    set_id = _set_id(store, name)

    def work() -> None:
        session_rows.record_agreed(store, user.name, set_id, name, item_id, action, chosen, (note or "").strip())
        if make_gold:
            gold.add_gold(store, user, item_id, action, chosen, explanation=(note or "").strip(), taxonomy=taxonomy)

    try:
        atomically(store, work)
    except Refused:
        raise TrainingError(f"item {item_id} is not in the session {name!r}") from None
    except gold.GoldError as refused:
        raise TrainingError(f"not made gold: {refused}") from None


def answer_blind(store: Store, who: User | str, name: str, item_id: int, action: str,
                 labels: Sequence[str] = ()) -> Item | None:
    """Store one person's blind answer (``audit.calibration.answer``) and give their next item (None: done)."""
    try:
        calibration.answer(store, who, name, item_id, action, labels)
    except KeyError as missing:
        raise TrainingError(str(missing.args[0])) from None
    return calibration.next_item(store, who, name)


def asked_of(store: Store, who: User | str) -> list[tuple[str, int, int]]:
    """(session, items, answered) of every open session this person is asked to answer."""
    user = roles.require(store, who, *calibration.ANSWER_ROLES, to="answer calibration sessions")
    return [(r[0], r[1], r[2]) for r in session_rows.asked_of(store, user.id)]


def _set_id(store: Store, name: str) -> int:
    found = calibration_rows.set_id(store, name)
    if found is None:
        raise TrainingError(f"there is no calibration session named {name!r}")
    return found
