"""People, run by a lead: add, set roles, limit queues, deactivate and reactivate, set passphrases.

Every change is a lead's (:func:`review.auth.require`, roles re-read, and
again under the write lock in :mod:`review.store.people`), one transaction
with one event that holds the old and the new value — never a passphrase.
The CLI (``veil users``) and the app's People page call these same
functions, so both get the same refusals in the same words.

Guard rails a lead expects:

- the last active lead can be neither deactivated nor lose the role
  (somebody must be able to add people tomorrow);
- a lead cannot deactivate themself from the window they are signed in to
  (``own_session``): the window would go on under a person who can no
  longer sign in; another lead, or ``veil users deactivate``, can;
- names follow the import's rules (printable, at most
  :data:`~review.imports.handlers.MAX_NAME_CHARS` characters), Veil's own
  actors (``system``, ``anonymous``, ``cli``) are refused, and so is every
  look-alike by the store's one name rule (:mod:`review.store.names`:
  invisible characters, another person's name or display name once
  normalised and casefolded), checked again under the write lock;
- a lead's passphrase is theirs alone (:func:`review.auth.set_passphrase`).

What deactivating does: the person cannot sign in (app or command line),
is served nothing, every item they hold goes back to its queue, and every
domain check refuses them (:func:`review.auth.require`). Nothing of their
history changes. A queue limit narrows what the roles allow; it never
widens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from review import auth
from review.errors import NotAllowed, VeilError
from review.imports.handlers import MAX_NAME_CHARS, name_problem
from review.serving import REVIEWERS, WORKED_BY
from review.store import Queue, Refused, Store, User, names, queue_admin, reserved_name
from review.store import automation as automation_rows
from review.store import people as people_store
from review.store import wellbeing as ws
from review.wellbeing.policy import load_policy


class PeopleError(VeilError, ValueError):
    """A change to a person that cannot be made; the message says why, as it is shown."""


@dataclass(frozen=True)
class Person:
    """One row of the People page and of ``veil users list``."""

    user: User
    queues: tuple[str, ...]  # the names of the queues their limit leads to now; empty: every queue their roles work
    has_passphrase: bool
    severe_ms: int  # time on severe items today
    severe_budget_ms: int  # today's severe budget, with today's lifts
    lifts: int  # how many times a lead lifted their budget today

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def works(self) -> str:
        """The queues they are served from, in words: the same on the People page and in ``veil users list``."""
        if self.user.limit_unreadable:
            return "no queue (its limit cannot be read: a lead sets their queues again; veil verify)"
        if self.queues:
            return ", ".join(self.queues)
        return "every queue" if any(self.user.has(r) for r in REVIEWERS) else "no queue"


def people(store: Store, lead: User | str) -> list[Person]:
    """Everyone, active or not, with what a lead needs to run the floor (exposure included: leads only)."""
    auth.require(store, lead, "lead", to="manage people")
    policy = load_policy(store)
    day = store.now()[:10]
    with_phrase = people_store.passphrase_set(store)
    sums = ws.exposure_sums(store, day)
    lifts: dict[int, list[ws.Lift]] = {}
    for lift in ws.lifts(store, day=day):
        lifts.setdefault(lift.user_id, []).append(lift)
    result = []
    for user in store.users():
        if automation_rows.is_system_person(user):
            continue  # automation decides by rules: it is nobody a lead manages
        theirs = lifts.get(user.id, [])
        result.append(Person(
            user, tuple(people_store.queue_name(store, q) for q in people_store.limit_now(store, user)),
            user.id in with_phrase,
            sums[user.id].severe_ms if user.id in sums else 0,
            policy.budget_ms + sum(lift.extra_ms for lift in theirs), len(theirs)))
    return result


def add_person(store: Store, lead: User | str, name: str, roles: Iterable[str], *, display_name: str | None = None,
               queues: Sequence[str] = (), passphrase: str | None = None) -> User:
    """Add *name* with *roles* (and a display name, a queue limit, a passphrase), as *lead*; the new person.

    One transaction: ``user.created``, then ``user.queues_changed`` and
    ``auth.passphrase_set`` when given, so a refused passphrase leaves no
    half-made person behind.
    """
    who = auth.require(store, lead, "lead", to="add people")
    name, display = _checked_names(store, name, display_name)
    chosen = _roles(roles)
    queue_ids, queue_names = _queue_ids(store, name, chosen, queues)
    stored_hash = None
    if passphrase is not None:  # given, even empty: checked, never silently dropped
        if (problem := auth.passphrase_problem(passphrase)) is not None:
            raise PeopleError(problem)
        stored_hash = auth.hash_passphrase(passphrase)  # slow on purpose: before the write lock is taken
    try:
        user = people_store.add(store, who, name, chosen, display, queue_ids, queue_names, stored_hash,
                                login=passphrase)  # on a server store: also their database role's password
    except Refused as refused:
        raise _said(refused, who) from None
    except names.NameRefused as refused:  # a look-alike added meanwhile, found under the write lock
        raise PeopleError(str(refused)) from None
    return user


def set_roles(store: Store, lead: User | str, name: str, roles: Iterable[str]) -> User:
    """Give *name* exactly *roles*, as *lead*; logged with the old roles. Their queue limit must still fit.

    The limit is checked as it stands now: a queue merged since is the
    queue it was merged into (:func:`review.store.people.limit_now`).
    """
    who = auth.require(store, lead, "lead", to="change people's roles")
    chosen = _roles(roles)
    target = _person(store, name)
    for queue_id in people_store.limit_now(store, target):  # a limit the new roles do not work leaves them nothing
        _fits(store, name, chosen, store.queue_by_id(queue_id))
    try:
        return people_store.set_roles(store, who, name, chosen)[1]
    except Refused as refused:
        raise _said(refused, who) from None


def set_queues(store: Store, lead: User | str, name: str, queues: Sequence[str]) -> User:
    """Limit *name* to *queues* (names; empty: every queue their roles work), as *lead*; logged with the old ones."""
    who = auth.require(store, lead, "lead", to="set the queues people work")
    target = _person(store, name)
    queue_ids, queue_names = _queue_ids(store, name, target.roles, queues)
    try:
        return people_store.set_queues(store, who, name, queue_ids, queue_names)[1]
    except Refused as refused:
        raise _said(refused, who) from None


def deactivate(store: Store, lead: User | str, name: str, *, own_session: bool = False) -> int:
    """Deactivate *name*, as *lead*; how many items they held went back to their queues.

    *own_session*: the lead acts from the window they are signed in to,
    where deactivating themself is refused (see the module's docstring).
    """
    who = auth.require(store, lead, "lead", to="deactivate people")
    target = _person(store, name)
    if own_session and target.id == who.id:
        raise PeopleError(f"You are signed in as {who.name} in this window, so you cannot deactivate yourself here. "
                          "Another lead can, or: veil users deactivate " + who.name)
    try:
        return people_store.set_active(store, who, name, False)[1]
    except Refused as refused:
        raise _said(refused, who) from None


def reactivate(store: Store, lead: User | str, name: str) -> User:
    """Let *name* sign in and be served again, as *lead*, with the roles and queue limit they had."""
    who = auth.require(store, lead, "lead", to="reactivate people")
    _person(store, name)
    try:
        return people_store.set_active(store, who, name, True)[0]
    except Refused as refused:
        raise _said(refused, who) from None


def set_passphrase(store: Store, lead: User | str, name: str, passphrase: str, *, current: str | None = None) -> None:
    """Set or reset *name*'s passphrase as *lead* (:func:`review.auth.set_passphrase`: your own takes *current*)."""
    who = auth.require(store, lead, "lead", to="set people's passphrases")
    _person(store, name)
    auth.set_passphrase(store, who, name, passphrase, current=current)


def queue_choices(store: Store, roles: Iterable[str]) -> list[str]:
    """The queues a person with *roles* could be limited to: active queues of the kinds those roles work."""
    kinds = {kind for kind, workers in WORKED_BY.items() if any(r in workers for r in roles)}
    merged = queue_admin.merged_into(store)
    return [q.name for q in store.queues() if q.kind in kinds and q.id not in merged]


# ------------------------------------------------------------------ checks
def _checked_names(store: Store, name: str, display_name: str | None) -> tuple[str, str]:
    """(name, display name) stripped, if a new person may have them; the store's rule is checked first here
    so the words come before a passphrase is hashed, and again under the write lock."""
    name = name.strip()
    if not name:
        raise PeopleError("A person needs a name (what they pick at sign-in and --user takes).")
    display = (display_name or "").strip() or name
    for what, text in (("name", name), ("display name", display)):
        if (why := name_problem(what, text, MAX_NAME_CHARS)) is not None:
            raise PeopleError(f"The {why}.")
    if (why := reserved_name(name)) is not None:
        raise PeopleError(why)
    try:
        names.check(store, name, display)
    except names.NameRefused as refused:
        raise PeopleError(str(refused)) from None
    return name, display


def _roles(roles: Iterable[str]) -> tuple[str, ...]:
    try:
        return names.checked_roles(roles)
    except names.RolesRefused as refused:
        raise PeopleError(str(refused)) from None


def _person(store: Store, name: str) -> User:
    """*name*'s row, if a lead may change it: not the system person automation decides as."""
    try:
        found = store.user(name)
    except KeyError:
        raise PeopleError(f"There is nobody called “{name}” in this store.") from None
    if automation_rows.is_system_person(found):
        raise PeopleError(_SYSTEM_PERSON)
    return found


_SYSTEM_PERSON = ("“automation” is a system person: Veil's automated decisions are made in its name by rules. It "
                  "holds no role, has no passphrase and never signs in; nobody can change that.")


def _queue_ids(store: Store, name: str, roles: Sequence[str], queues: Sequence[str]) -> tuple[list[int], list[str]]:
    """The ids (and names) of *queues*, each an active queue of a kind *roles* work; else PeopleError."""
    ids, queue_names = [], []
    for queue_name in dict.fromkeys(q.strip() for q in queues if q.strip()):
        try:
            queue = store.queue(queue_name)
        except KeyError:
            raise PeopleError(f"There is no queue called “{queue_name}”.") from None
        _fits(store, name, roles, queue)
        ids.append(queue.id)
        queue_names.append(queue.name)
    return ids, queue_names


def _fits(store: Store, name: str, roles: Sequence[str], queue: Queue) -> None:
    """PeopleError unless *queue* is one a person with *roles* can be limited to (:func:`queue_choices`)."""
    if queue.name in queue_choices(store, roles):
        return
    workers = WORKED_BY.get(queue.kind)
    why = (f"it is {auth.one_of([queue.kind])} queue, worked by {auth.one_of(workers)}" if workers
           else f"{queue.kind} queues are not worked from the queues")
    if queue.id in queue_admin.merged_into(store):
        why = "it was merged into another queue"
    raise PeopleError(f"{name} cannot be limited to “{queue.name}”: {why} ({name} is {', '.join(roles)}).")


def _said(refused: Refused, lead: User) -> VeilError:
    """The words for a guard that failed under the write lock (:mod:`review.store.people`)."""
    if refused.reason == "last_lead":
        return PeopleError(f"{refused.detail} is the last active lead: make someone else a lead first, "
                           "or nobody could add people or run the floor.")
    if refused.reason == "unchanged":
        return PeopleError(f"Nothing to change for {refused.detail}.")
    if refused.reason == "not_lead":
        return NotAllowed(f"{lead.name} is not a lead any more: only a lead can manage people")
    if refused.reason == "taken":
        return PeopleError(f"“{refused.detail}” was added meanwhile.")
    if refused.reason == "other_lead":
        return NotAllowed(auth.other_lead_refusal(refused.detail))
    if refused.reason == "system_person":
        return PeopleError(_SYSTEM_PERSON)
    return PeopleError(f"There is nobody called “{refused.detail}” in this store.")
