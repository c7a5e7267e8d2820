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
Veil itself for a ``system`` setting), runs the declaration's ``check``,
and appends one event with the old and the new value (a ``secret`` setting
logs neither). :func:`declared` lists them all, for the settings pages and
for the test that no key is used without a declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from review import auth
from review.errors import NotAllowed, VeilError
from review.store import SYSTEM_ACTOR, Store, User

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
) -> Setting:
    """Declare a setting; declaring the same (scope, key) twice is a programming error."""
    if (scope, key) in _DECLARED:
        raise RuntimeError(f"the {scope} setting {key!r} is declared twice")
    setting = Setting(key, scope, type_, default, changed_by, describe, check, secret)
    _DECLARED[(scope, key)] = setting
    return setting


def declared() -> list[Setting]:
    """Every setting declared by the modules imported so far, by scope then key."""
    return sorted(_DECLARED.values(), key=lambda s: (s.scope, s.key))


def read(store: Store, setting: Setting, *, user: User | None = None) -> Any:
    """The stored value of *setting* (for *user* when personal), else its default."""
    return store.setting(setting.key, setting.default, user_id=_owner_id(setting, user))


def write(store: Store, who: User | str, setting: Setting, value: Any, *, user: User | None = None) -> Any:
    """Store *value* for *setting* as *who*, after the rights and the checks; returns what was stored.

    *user* is whose personal setting it is (defaults to *who*). One event
    records the old and the new value, except for a secret setting.
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
    name = actor.name if isinstance(actor, User) else actor
    store.set_setting(setting.key, value, user_id=_owner_id(setting, target), actor=name, secret=setting.secret)
    return value


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
    person = auth.resolve(store, who)
    if setting.changed_by == SELF:
        if user is not None and user.id != person.id:
            raise NotAllowed(f"{person.name} cannot change another person's {setting.key!r}")
        return person
    return auth.require(store, person, setting.changed_by, to=f"change the setting {setting.key!r}")
