"""What history rows (past decisions, past QA audits) share: field checks, finding items and decisions, users.

History rows bring a team's past from another tool: decision rows
(:mod:`review.imports.decision_rows`) and, through ``audit.past_audits``,
audit rows. They share the field checks here (so a misspelt field or a bad
timestamp reads the same in both), :class:`ItemIndex` (finding the item a
row names, in the store or among the manifest's item rows),
:class:`DecisionIndex` (finding the decision an audit row scores) and the
user planning (users a row names are created with the role it implies; an
existing user lacking it gets it added). ``audit.past_audits`` builds on
them, never the other way round; their SQL is :mod:`review.store.imports`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from review import taxonomy as taxonomy_module
from review.auth import require
from review.clock import normalise, parse
from review.errors import StoreError
from review.imports.handlers import (
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    ImportContext,
    ImportRun,
    _given,
    as_integer,
    json_type,
    name_problem,
    text_problem,
)
from review.store import Store
from review.store import imports as import_store
from review.store.schema import ROLES
from review.taxonomy import Taxonomy

if TYPE_CHECKING:
    from review.imports.decision_rows import PastDecision

#: Where the shared per-import state lives in ``ctx.state``.
STATE_KEY = "history"

TaxonomySource = Taxonomy | Callable[[], Taxonomy] | None

#: The longest time a past decision may have taken: a day (longer is a unit mistake, seconds for ms, say).
MAX_HANDLE_MS = 86_400_000


# ------------------------------------------------------------------ fields
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
    if ctx.now and parse(moment) > parse(ctx.now):
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
        if action not in {a.id for a in tax.actions}:
            reasons.append(f"unknown {action_key} {action!r} (actions: {', '.join(a.id for a in tax.actions)})")
            action = None
    labels = label_ids(row, labels_key, reasons)
    if labels is not None:
        known = {lb.id for lb in tax.labels}
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


# ------------------------------------------------------------------- items
@dataclass
class ItemRef:
    """The item a history row is about: in the store (``item_id``) or an item row of this file."""

    queue: str
    external_id: str
    item_id: int | None  # None until the file's item rows are written (then filled in)
    line: int | None = None  # the item row of this file naming it, if any

    @property
    def key(self) -> tuple[str, str]:
        return (self.queue, self.external_id)

    def __str__(self) -> str:
        return f"{self.external_id!r} in queue {self.queue!r}"


class ItemIndex:
    """Finds the item a history row names, among the store's items and the manifest's item rows.

    Store look-ups are in bulk (:meth:`prefetch`): by queue where the row
    names one (indexed), by id across queues where it does not; the
    manifest's item rows are looked up by id in the import's scratch file.
    """

    def __init__(self, run: ImportRun):
        self.run = run
        self.in_store: dict[str, dict[str, int]] = {}  # external id -> {queue: item id}
        self.in_file: dict[str, dict[str, int]] = {}  # external id -> {queue: line}, for the ids prefetched
        self._everywhere: set[str] = set()  # ids looked up in every queue
        self._in_queue: set[tuple[str, str]] = set()  # (queue, id) looked up
        self._refs: dict[tuple[str, str], ItemRef] = {}

    def prefetch(self, wanted: Iterable[tuple[str, str | None]]) -> None:
        """Look up (external id, queue or None) pairs in the store, in bulk."""
        by_queue: dict[str, set[str]] = {}
        anywhere: set[str] = set()
        wanted = list(wanted)
        for ext, filed_in, line in self.run.ctx.seen.lines_of({ext for ext, _ in wanted} - set(self.in_file)):
            self.in_file.setdefault(ext, {})[filed_in] = line
        for ext, queue in wanted:
            if ext in self._everywhere:
                continue
            if queue is None:
                anywhere.add(ext)
            elif (queue, ext) not in self._in_queue:
                by_queue.setdefault(queue, set()).add(ext)
        store = self.run.store
        queue_ids = {q.name: q.id for q in store.queues()}
        for queue, ids in by_queue.items():
            self._in_queue.update((queue, ext) for ext in ids)
            if queue not in queue_ids:
                continue
            for ext, item_id in import_store.item_ids_in_queue(store, queue_ids[queue], ids).items():
                self.in_store.setdefault(ext, {})[queue] = item_id
        self._everywhere |= anywhere
        for item_id, ext, queue in import_store.items_in_any_queue(store, anywhere):
            self.in_store.setdefault(ext, {})[queue] = item_id

    def find(self, ext: str, queue: str | None) -> tuple[ItemRef | None, str | None]:
        """(the item, None) or (None, why it cannot be used); call :meth:`prefetch` first."""
        stored = self.in_store.get(ext, {})
        filed = self.in_file.get(ext, {})
        if queue is None:
            queues = sorted(set(stored) | set(filed))
            if not queues:
                return None, f"no item {ext!r} (neither in the store nor an item row of this file)"
            if len(queues) > 1:
                return None, f"item {ext!r} is in several queues ({', '.join(queues)}): add \"queue\" to say which"
            queue = queues[0]
        key = (queue, ext)
        if key in self._refs:
            return self._refs[key], None
        if queue in stored:
            ref = ItemRef(queue, ext, stored[queue], filed.get(queue))
        else:
            line = filed.get(queue)
            if line is None:
                return None, f"no item {ext!r} in queue {queue!r} (neither in the store nor an item row of this file)"
            if self.run.rejected(line):
                return None, f"item {ext!r} in queue {queue!r} is not imported: its row (line {line}) has problems"
            ref = ItemRef(queue, ext, None, line)
        self._refs[key] = ref
        return ref, None

    def fill_ids(self, store: Store, refs: Iterable[ItemRef]) -> None:
        """Set the ids of items written by this import (inside its transaction, after the item rows)."""
        missing: dict[str, set[str]] = {}
        for ref in refs:
            if ref.item_id is None:
                missing.setdefault(ref.queue, set()).add(ref.external_id)
        for queue, ids in missing.items():
            found = import_store.item_ids_in_queue_named(store, queue, ids)
            for ext in ids:
                if ext not in found:
                    raise StoreError(f"item {ext!r} in queue {queue!r} was not written")
                self._refs[(queue, ext)].item_id = found[ext]


# --------------------------------------------------------------- decisions

@dataclass(eq=False)
class KnownDecision:
    """A decision an audit row may score: stored before this import, or a decision row of this file."""

    position: int  # 0 = in the store before this file; else the line of the file's row naming it
    store_id: int | None  # the stored decision's id (None: a new row of this file, until written)
    live: bool  # not revoked
    decided_at: str
    row: PastDecision | None = None

    @property
    def decision_id(self) -> int | None:
        if self.store_id is not None:
            return self.store_id
        return self.row.decision_id if self.row is not None else None


class DecisionIndex:
    """Each (item, moderator)'s decisions in order, so an audit row finds the one it scores.

    The decision an audit row scores is the moderator's latest decision on
    the item (not revoked) *as of that line*: stored decisions count as
    before the file, except those a decision row of the file names (already
    present), which count at that row's line, so a re-import resolves every
    audit row to the same decision as the first import did.
    """

    def __init__(self) -> None:
        self.by_key: dict[tuple[tuple[str, str], str], list[KnownDecision]] = {}
        self.identity: dict[tuple[int, str, str, str], KnownDecision] = {}  # (item id, moderator, action, at)
        self._loaded: set[int] = set()

    def load_store(self, store: Store, refs: Iterable[ItemRef]) -> None:
        """Read the stored decisions (not undo rows) of these items, in bulk."""
        wanted = {ref.item_id: ref for ref in refs if ref.item_id is not None and ref.item_id not in self._loaded}
        self._loaded |= set(wanted)
        for decision_id, item_id, moderator, action, decided_at, live in import_store.decisions_on(store, wanted):
            known = KnownDecision(0, decision_id, live, decided_at)
            self.by_key.setdefault((wanted[item_id].key, moderator), []).append(known)
            self.identity[(item_id, moderator, action, decided_at)] = known

    def stored(self, record: PastDecision) -> KnownDecision | None:
        """The stored decision identical to *record* (same item, moderator, action and time), if any."""
        if record.item is None or record.item.item_id is None:
            return None
        return self.identity.get((record.item.item_id, record.moderator, record.action, record.decided_at))

    def add(self, record: PastDecision, item: ItemRef) -> None:
        """A decision row of this file (about *item*) that will be written."""
        self.by_key.setdefault((item.key, record.moderator), []).append(
            KnownDecision(record.line, None, True, record.decided_at, record))

    def find(self, item: ItemRef, moderator: str, before_line: int) -> KnownDecision | None:
        """The moderator's latest live decision on the item as of *before_line*."""
        candidates = [k for k in self.by_key.get((item.key, moderator), ()) if k.live and k.position < before_line]
        return max(candidates, key=lambda k: (k.position, k.store_id or 0), default=None)

    def why_missing(self, run: ImportRun, item: ItemRef, moderator: str, line: int) -> str:
        """Why an audit row on *line* finds no decision, as helpfully as the file allows."""
        later = sorted(k.position for k in self.by_key.get((item.key, moderator), ()) if k.position >= line)
        if later:
            return (f"the decision by {moderator!r} on item {item} is on line {later[0]}: "
                    "a decision row must come before the audit that scores it")
        for bad_line, raw in run.ctx.seen.problem_rows("decision", before=line):
            if (isinstance(raw, dict) and str(raw.get("item")) == item.external_id
                    and str(raw.get("moderator", "")).strip() == moderator):
                return f"the decision it scores (line {bad_line}) has problems"
        others = sorted({m for (key, m), known in self.by_key.items()
                         if key == item.key and m != moderator and any(k.position < line for k in known)})
        decided_by = f" (it was decided by: {', '.join(others)})" if others else ""
        return (f"no decision by {moderator!r} on item {item} to audit{decided_by}: neither in the store "
                "nor a decision row earlier in this file")


# ------------------------------------------------------------------- users
class UserPlan:
    """Which users history rows need created, or need a role added to.

    *founder*: the importer who founds a store with nobody in it (already a lead by the time rows are written).
    """

    def __init__(self, store: Store, founder: str | None = None):
        self.roles = {u.name: set(u.roles) for u in store.users()}
        if founder is not None:
            self.roles.setdefault(founder, {"lead"})
        self.created: dict[str, list[str]] = {}
        self.added: dict[str, list[str]] = {}

    def need(self, name: str, role: str) -> None:
        if name not in self.roles:
            roles = self.created.setdefault(name, [])
        elif role not in self.roles[name]:
            roles = self.added.setdefault(name, [])
        else:
            return
        if role not in roles:
            roles.append(role)


def ensure_role(store: Store, name: str, role: str, *, actor: str) -> str | None:
    """Create *name* with *role*, or add the role if missing; "created", "role added" or None.

    Called inside the import's transaction (the commit of a history handler); each change logs its event
    (``user.created`` / ``user.roles_changed``). Creating people and granting roles is a lead's: *actor*
    is checked here too, not only by the import that calls this (NotAllowed).
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    require(store, actor, "lead", to="create people or grant roles")
    held = import_store.user_roles(store, name)
    if held is None:
        store.add_user(name, [role], actor=actor)
        return "created"
    if role in held:
        return None
    roles = [r for r in ROLES if r in held or r == role] + [r for r in held if r not in ROLES]
    import_store.change_roles(store, name, roles, added=role, actor=actor)
    return "role added"


# ------------------------------------------------------------------- state
@dataclass
class HistoryState:
    """What the history handlers of one import share (``ctx.state[STATE_KEY]``)."""

    items: ItemIndex
    decisions: DecisionIndex
    users: UserPlan
    extra: dict[str, Any] = field(default_factory=dict)


def state(run: ImportRun) -> HistoryState:
    """The history state of this import, made on first use."""
    found = run.state.get(STATE_KEY)
    if found is None:
        found = run.state[STATE_KEY] = HistoryState(ItemIndex(run), DecisionIndex(),
                                                     UserPlan(run.store, run.result.founder))
    return found


def plan_users(run: ImportRun, needs: Iterable[tuple[str, str]]) -> None:
    """Note the users (and roles) these records need on the result (``users_created``, ``roles_added``)."""
    plan = state(run).users
    for name, role in needs:
        plan.need(name, role)
    run.result.users_created = plan.created
    run.result.roles_added = plan.added


def before(a: str, b: str) -> bool:
    """Whether canonical time *a* is earlier than *b*."""
    return parse(a) < parse(b)
