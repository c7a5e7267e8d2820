"""Every setting declared once: key, scope, type, default and who may change it.

Modelled on Picard's ``options.py``: the module that uses a setting declares
it next to the code that reads it, with one call::

    VIEW = settings.declare("view", ORGANISATION, dict, {}, changed_by="lead",
                            describe="The organisation's viewing floor: blur, grey, detail, re-blur.")

and from then on reads and writes go through the declaration, never
through a bare key::

    floor = settings.read(store, VIEW)
    settings.write(store, lead, VIEW, {...})

A write checks the declared type and the writer's right (a lead for an
organisation setting; the person themself for a personal one; nobody but
Veil itself for a ``system`` setting), runs the declaration's ``check``
(and ``check_store``, for a rule that needs other settings, such as a
personal wish that may not be weaker than the organisation's floor), and
appends one event with the old and the new value (a ``secret`` setting
logs neither). :func:`declared` lists them all, for the settings pages, the
``veil settings`` command and the test that no key is used without a
declaration; :func:`last_changes` says who changed one last and when.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from review import auth
from review.errors import NotAllowed, StoreConflict, VeilError
from review.store import SYSTEM_ACTOR, Store, User, reads, setting_changes, setting_read

log = logging.getLogger(__name__)

Scope = Literal["organisation", "person"]
ORGANISATION: Scope = "organisation"
PERSON: Scope = "person"

SELF = "self"  # changed_by for a personal setting: the person it belongs to
SYSTEM = "system"  # changed_by for a setting only Veil itself writes


class SettingError(VeilError, ValueError):
    """A value that does not fit its setting's declaration."""


@dataclass(frozen=True)
class Setting:
    """One declared setting. ``default`` is returned when nothing is stored."""

    key: str
    scope: Scope
    type: type
    default: Any
    changed_by: str  # "lead", SELF or SYSTEM
    describe: str
    check: Callable[[Any], Any] | None = None  # returns the value to store, or raises SettingError/ValueError
    secret: bool = False
    check_store: Callable[[Store, Any], None] | None = None  # a rule against the store; raises SettingError


@dataclass(frozen=True)
class Change:
    """Who last changed a setting, and when (ISO time), from the event log."""

    actor: str
    at: str


_DECLARED: dict[tuple[Scope, str], Setting] = {}


def declare(
    key: str,
    scope: Scope,
    type_: type,
    default: Any,
    *,
    changed_by: str,
    describe: str,
    check: Callable[[Any], Any] | None = None,
    secret: bool = False,
    check_store: Callable[[Store, Any], None] | None = None,
) -> Setting:
    """Declare a setting; declaring the same (scope, key) twice is a programming error."""
    if (scope, key) in _DECLARED:
        raise RuntimeError(f"the {scope} setting {key!r} is declared twice")
    setting = Setting(key, scope, type_, default, changed_by, describe, check, secret, check_store)
    _DECLARED[(scope, key)] = setting
    return setting


def declared() -> list[Setting]:
    """Every setting declared by the modules imported so far, by scope then key."""
    return sorted(_DECLARED.values(), key=lambda s: (s.scope, s.key))


def read(store: Store, setting: Setting, *, user: User | None = None) -> Any:
    """The stored value of *setting* (for *user* when personal), else its default.

    A stored value its declaration now refuses (written before a rule was
    tightened, or by hand) reads as the default, with a warning: the
    defaults are the protective values, and one bad row must not stop
    every desk from showing items.
    """
    return reads.run(store.db, value_read(setting, user=user))


def value_read(setting: Setting, *, user: User | None = None) -> reads.Read[Any]:
    """:func:`read` as a look-up that may share a round trip."""
    return reads.then(setting_read(setting.key, setting.default, user_id=_owner_id(setting, user)),
                      lambda value: _valid(setting, value))


def _valid(setting: Setting, value: Any) -> Any:
    if setting.check is None or value is setting.default:
        return value
    try:
        if not isinstance(value, setting.type):
            raise TypeError(f"it is not a {setting.type.__name__}")
        return setting.check(value)
    except (ValueError, TypeError) as exc:
        log.warning("the stored %s setting %r is not valid any more (%s): its default applies", setting.scope,
                    setting.key, exc)
        return setting.default


UNCHECKED: Any = object()  # write()'s *expected* when the writer read nothing first (a script, a default)


def write(store: Store, who: User | str, setting: Setting, value: Any, *, user: User | None = None,
          expected: Any = UNCHECKED) -> Any:
    """Store *value* for *setting* as *who*, after the rights and the checks; returns what was stored.

    *user* is whose personal setting it is (defaults to *who*). *expected*
    is the value the writer started from (:func:`read`'s): if the setting
    was changed since, StoreConflict names who changed it and when, and
    nothing is written, so a form never writes over another lead's change.
    The store rule (``check_store``) and that comparison run inside the
    write's transaction. One event records the old and the new value
    (neither for a secret setting); a value equal to the stored one logs
    nothing.
    """
    actor = _allowed(store, who, setting, user)
    target = user if user is not None else (actor if isinstance(actor, User) else None)
    if not isinstance(value, setting.type):
        raise SettingError(f"the setting {setting.key!r} takes a {setting.type.__name__}, not {type(value).__name__}")
    if setting.check is not None:
        try:
            value = setting.check(value)
        except (ValueError, TypeError) as exc:
            raise SettingError(f"{setting.key}: {exc}") from exc

    def guard(current: Any) -> None:
        if expected is not UNCHECKED and (setting.default if current is None else current) != expected:
            change = last_changes(store, [subject(setting, target)]).get(subject(setting, target))
            raise StoreConflict(f"the setting {setting.key!r} was changed {changed_by(change)} since you read it; "
                                "nothing was saved: read it again and make your change there")
        if setting.check_store is not None:
            setting.check_store(store, value)

    name, owner = (actor.name if isinstance(actor, User) else actor), _owner_id(setting, target)
    setting_changes.write_guarded(
        store, value, lambda: store.setting(setting.key, user_id=owner),
        lambda: store.set_setting(setting.key, value, user_id=owner, actor=name, secret=setting.secret), guard)
    return value


def changed_by(change: Change | None) -> str:
    """"by lee at 2026-01-05 09:01 UTC", for a conflict's message."""
    return f"by {change.actor} at {change.at[:16].replace('T', ' ')} UTC" if change else "by someone else"


def subject(setting: Setting, user: User | None = None) -> str:
    """The event subject of *setting*'s changes (*user*'s, for a personal one)."""
    return f"setting:{_owner_id(setting, user)}:{setting.key}"


def last_changes(store: Store, subjects: list[str]) -> dict[str, Change]:
    """Who last changed each of *subjects* (:func:`subject`), and when."""
    return {s: Change(actor, at) for s, (actor, at) in setting_changes.last_changes(store, subjects).items()}


def _owner_id(setting: Setting, user: User | None) -> int:
    if setting.scope == ORGANISATION:
        return 0
    if user is None:
        raise SettingError(f"the personal setting {setting.key!r} needs the person it belongs to")
    return user.id


def _allowed(store: Store, who: User | str, setting: Setting, user: User | None) -> User | str:
    """The writer, if they may change *setting* (for *user*); NotAllowed otherwise."""
    if setting.changed_by == SYSTEM:
        if who != SYSTEM_ACTOR:
            raise NotAllowed(f"the setting {setting.key!r} is kept by Veil itself")
        return who
    person = auth.active_person(store, who)
    if setting.changed_by == SELF:
        if user is not None and user.id != person.id:
            raise NotAllowed(f"{person.name} cannot change another person's {setting.key!r}")
        return person
    return auth.require(store, person, setting.changed_by, to=f"change the setting {setting.key!r}")
