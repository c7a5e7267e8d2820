"""The field checks history rows (past decisions, past QA audits) share, so a misspelt field or a bad time reads the
same in both: each check appends its reasons and returns the value checked (None, or empty, for a bad one).

Decision rows are :mod:`review.imports.decision_rows`, audit rows ``audit.past_audits``; what they share
beyond fields (items, decisions, users) is :mod:`review.imports.past_decisions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from review import taxonomy as taxonomy_module
from review.clock import normalise
from review.imports.handlers import (
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    ImportContext,
    _given,
    as_integer,
    json_type,
    name_problem,
    text_problem,
)
from review.taxonomy import Action, Label, Taxonomy

TaxonomySource = Taxonomy | Callable[[], Taxonomy] | None

#: The longest time a past decision may have taken: a day (longer is a unit mistake, seconds for ms, say).
MAX_HANDLE_MS = 86_400_000


def unknown_fields(row: dict[str, Any], known: Iterable[str], what: str, reasons: list[str]) -> None:
    known = tuple(known)
    extra = [k for k in row if k not in known]
    if extra:
        names = ", ".join(repr(k) for k in extra)
        reasons.append(f"unknown field{'s' if len(extra) > 1 else ''} {names} (a {what} row has: {', '.join(known)})")


def external_id(row: dict[str, Any], key: str, reasons: list[str]) -> str | None:
    """The item's external id (a string or a number), as item rows write it."""
    value = _given(row, key)
    if value is None:
        reasons.append(f"missing {key} (the item's id)")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        reasons.append(f"{key} must be a string or a number, not {json_type(value)}")
        return None
    value = str(value)
    if not value.strip():
        reasons.append(f"{key} is blank")
        return None
    if (why := name_problem(key, value, MAX_ID_CHARS)) is not None:
        reasons.append(why)
        return None
    return value


def queue_name(row: dict[str, Any], ctx: ImportContext, reasons: list[str]) -> str | None:
    """The queue named by the row, else the import's default queue, else None (found from the id)."""
    value = _given(row, "queue")
    if value is None:
        return ctx.default_queue
    if not isinstance(value, str) or not value.strip():
        reasons.append("queue must be a non-empty string")
        return None
    if (why := name_problem("queue", value.strip(), MAX_NAME_CHARS)) is not None:
        reasons.append(why)
        return None
    return value.strip()


def user_name(row: dict[str, Any], key: str, reasons: list[str]) -> str | None:
    value = _given(row, key)
    if value is None:
        reasons.append(f"missing {key} (a user name)")
        return None
    if not isinstance(value, str) or not value.strip():
        reasons.append(f"{key} must be a user name (a non-empty string)")
        return None
    if (why := name_problem(key, value.strip(), MAX_NAME_CHARS)) is not None:
        reasons.append(why)
        return None
    return value.strip()


def text(row: dict[str, Any], key: str, reasons: list[str]) -> str:
    value = _given(row, key)
    if value is None:
        return ""
    if not isinstance(value, str):
        reasons.append(f"{key} must be a string")
        return ""
    if (why := text_problem(key, value)) is not None:
        reasons.append(why)
        return ""
    return value


def choice(row: dict[str, Any], key: str, allowed: Iterable[str], reasons: list[str]) -> str | None:
    """An optional value from a fixed list (case-insensitive); None when not given or bad."""
    value = _given(row, key)
    if value is None:
        return None
    allowed = tuple(allowed)
    if isinstance(value, str) and value.strip().lower() in allowed:
        return value.strip().lower()
    reasons.append(f"{key} {value!r} is not one of {', '.join(allowed)}")
    return None


def milliseconds(row: dict[str, Any], key: str, reasons: list[str]) -> int | None:
    value = _given(row, key)
    if value is None:
        return None
    number = as_integer(value)
    if number is None or not 0 <= number <= MAX_HANDLE_MS:
        reasons.append(f"{key} {value!r} is not a whole number of milliseconds from 0 to {MAX_HANDLE_MS:,} (a day)")
        return None
    return number


def timestamp(row: dict[str, Any], key: str, ctx: ImportContext, reasons: list[str]) -> str | None:
    """A required ISO 8601 time, in Veil's canonical UTC form; history may not be in the future."""
    value = _given(row, key)
    if value is None:
        reasons.append(f"missing {key} (an ISO 8601 time)")
        return None
    if not isinstance(value, str):
        reasons.append(f"{key} must be an ISO 8601 time (a string), not {json_type(value)}")
        return None
    try:
        moment = normalise(value)
    except (ValueError, TypeError, OverflowError):
        reasons.append(f"{key} {value!r} is not an ISO 8601 time")
        return None
    if ctx.now and moment > ctx.now:  # canonical times compare as text: no second parse per row
        reasons.append(f"{key} {value!r} is in the future (the store's clock says {ctx.now})")
        return None
    return moment


def label_ids(row: dict[str, Any], key: str, reasons: list[str]) -> tuple[str, ...] | None:
    """A list of label ids, or (CSV) one cell of comma-separated ids; () when not given."""
    value = row.get(key)
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        reasons.append(f"{key} must be a list of label ids (in CSV: ids separated by commas)")
        return None
    return tuple(dict.fromkeys(v.strip() for v in value))


def policy(
    tax: Taxonomy, action_key: str, labels_key: str, row: dict[str, Any], reasons: list[str], *,
    note: str | None,
) -> tuple[str | None, tuple[str, ...] | None]:
    """The action and labels, checked against the taxonomy (*note* None: the note rule does not apply)."""
    action = _given(row, action_key)
    if action is None:
        reasons.append(f"missing {action_key}")
    elif not isinstance(action, str):
        reasons.append(f"{action_key} must be an action id (a string)")
        action = None
    else:
        action = action.strip()
        if action not in _ids(tax.actions):
            reasons.append(f"unknown {action_key} {action!r} (actions: {', '.join(a.id for a in tax.actions)})")
            action = None
    labels = label_ids(row, labels_key, reasons)
    if labels is not None:
        known = _ids(tax.labels)
        unknown = [lb for lb in labels if lb not in known]
        if unknown:
            reasons.append(f"unknown label{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)} "
                           f"in {labels_key} (labels: {', '.join(lb.id for lb in tax.labels)})")
            labels = None
    if action is not None and labels is not None:
        rules = tax.action(action)
        if rules.requires_label and not labels:
            reasons.append(f"{action_key} {action!r} needs at least one label in {labels_key}")
        if note is not None and rules.requires_note and not note.strip():
            reasons.append(f"{action_key} {action!r} needs a note saying why")
    return action, labels


#: id() of a taxonomy's actions or labels -> (them, their ids): kept by identity, since hashing the tuple would
#: hash every action's fields again on each row.
_IDS: dict[int, tuple[object, frozenset[str]]] = {}


def _ids(entries: tuple[Action, ...] | tuple[Label, ...]) -> frozenset[str]:
    """The ids of a taxonomy's actions or labels, made once per taxonomy, not once per row of a million."""
    found = _IDS.get(id(entries))
    if found is None or found[0] is not entries:
        if len(_IDS) > 16:  # a process loads a few taxonomies; never let reloads pile up
            _IDS.clear()
        found = _IDS[id(entries)] = (entries, frozenset(entry.id for entry in entries))
    return found[1]


def resolve_taxonomy(source: TaxonomySource) -> Callable[[], Taxonomy]:
    """A loader that reads the taxonomy once, on first use (the bundled one for None)."""
    cache: list[Taxonomy] = []

    def get() -> Taxonomy:
        if not cache:
            if isinstance(source, Taxonomy):
                cache.append(source)
            elif source is None:
                cache.append(taxonomy_module.load())
            else:
                cache.append(source())
        return cache[0]

    return get
