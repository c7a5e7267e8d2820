"""``veil settings list|get|set``: the settings registry on the command line, with the pages' rights.

Values are JSON (``veil settings set wellbeing '{"severe_budget_min": 180}'``).
Without ``--person`` a key names the organisation's setting (a lead's to
change), or, for a key only people have (``keys``), your own; with
``--person NAME`` it is that person's, and only NAME may read or change
theirs. The audit rubric is not a stored setting but is set here too
(``rubric``, through ``audit.audits.set_rubric``); the taxonomy is read
from a file (``set taxonomy --file policy.toml``) and refused, with its
lines, unless it is valid. Every change is one event with its old and new
value, exactly as from the pages. Settings Veil keeps itself are listed
but not set here, and a secret is never printed.

Key bindings are checked against the taxonomy with :mod:`ui.keymap`,
which needs Qt's key parser: only ``keys`` imports it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop import paths
from desktop.commands.common import add_store_option, fail, open_store, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import NotAllowed, VeilError
from review.store import Store, User

RUBRIC = "rubric"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "settings", help="list, read or change the organisation's and your own settings",
        description="The organisation's settings (viewing floor and severity presets, wellbeing policy, "
        "audit rubric, taxonomy: a lead's to change) and your own (viewing, keys). Values are JSON. "
        "Exit 2 on an unknown key, a bad value or a change you may not make.",
    )
    add_store_option(parser)
    add_user_option(parser)
    actions = parser.add_subparsers(dest="settings_action", required=True, metavar="list|get|set",
                                    parser_class=_Intermixed)
    listing = actions.add_parser("list", help="every setting with its value and who changed it last")
    getting = actions.add_parser("get", help="one setting's value, as JSON")
    getting.add_argument("key")
    setting = actions.add_parser("set", help="change one setting (one event with the old and new value)")
    setting.add_argument("key")
    setting.add_argument("value", nargs="?", help="the new value, as JSON")
    setting.add_argument("--file", metavar="PATH", help="for taxonomy: the TOML file to use")
    for each in (listing, getting, setting):
        each.add_argument("--person", metavar="NAME", help="a person's own setting (yours only)")
        add_store_option(each)
    parser.set_defaults(run=run)


class _Intermixed(argparse.ArgumentParser):
    """Options may stand between the positionals: ``veil settings set view --person ana '{…}'``.

    argparse fills ``key`` and the optional ``value`` from the first run of
    positionals, so a value after ``--person NAME`` was refused as unknown;
    intermixed parsing takes the positionals from anywhere.
    """

    _intermixing = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._intermixing:  # parse_known_intermixed_args calls back here
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


@dataclass(frozen=True)
class Entry:
    """One thing ``veil settings`` reads and writes: a declared setting, or the rubric."""

    key: str
    scope: str
    describe: str
    read: Callable[[Store, User], Any]
    write: Callable[[Store, User, Any], Any] | None  # None: Veil keeps it itself
    subject: Callable[[User], str] | None  # its events' subject; None: the rubric, whose rows say who changed it
    secret: bool = False


def run(args: argparse.Namespace) -> int:
    with open_store(args, must_exist=True) as store:
        me = signed_in(store, args)
        try:
            person = _person(store, me, args.person)
            if args.settings_action == "list":
                return _list(store, me, person)
            entry, owner = _entry(args.key, person, me)
            if args.settings_action == "get":
                if entry.secret:
                    return fail(f"{entry.key} is a secret Veil keeps; it is never shown")
                print(json.dumps(entry.read(store, owner or me), indent=2, ensure_ascii=False))
                return 0
            return _set(store, me, owner, entry, args)
        except VeilError as exc:
            return fail(str(exc))


def _person(store: Store, me: User, name: str | None) -> User | None:
    """The person whose own settings are meant (only the signed-in person themself), or None."""
    if name is None:
        return None
    if name != me.name:
        raise NotAllowed(f"{me.name} cannot read or change {name}'s own settings; only {name} can")
    return me


def _entries(person: User | None) -> list[Entry]:
    from review import settings

    declare_all(personal=person is not None)
    scope = settings.PERSON if person is not None else settings.ORGANISATION
    entries = [_declared(s) for s in settings.declared() if s.scope == scope]
    if person is None:
        from audit import audits

        entries.append(Entry(RUBRIC, settings.ORGANISATION, "Audit rubric: error-type weights and severity "
                             "multipliers (score = 100 − weight × multiplier).",
                             lambda store, _who: audits.rubric(store).as_dict(),
                             lambda store, who, value: audits.set_rubric(store, who, value).as_dict(), None))
    return sorted(entries, key=lambda e: e.key)


def declare_all(*, personal: bool) -> None:
    """Import every module that declares settings (a setting exists once its module is imported).

    The one list of them: ``tests/review/test_settings.py`` checks it names every setting the product has.
    """
    import audit.automation  # noqa: F401
    import audit.compliance.mapping  # noqa: F401
    import audit.costs  # noqa: F401
    import audit.exports  # noqa: F401
    import audit.exports.pseudonyms  # noqa: F401
    import audit.targets  # noqa: F401
    import audit.training.status  # noqa: F401
    import desktop.demo.review_data  # noqa: F401
    import review.media.viewing  # noqa: F401
    import review.near_copies  # noqa: F401
    import review.planning.forecast  # noqa: F401
    import review.planning.rotation  # noqa: F401
    import review.taxonomy.stored  # noqa: F401
    import review.wellbeing.policy  # noqa: F401

    if personal:
        import ui.keymap  # noqa: F401  (Qt's key parser; only for personal settings)
        import ui.theme  # noqa: F401  (a person's theme)


def _declared(setting: Any) -> Entry:
    from review import settings

    personal = setting.scope == settings.PERSON
    writable = setting.changed_by != settings.SYSTEM
    return Entry(
        setting.key, setting.scope, setting.describe,
        lambda store, who: settings.read(store, setting, user=who if personal else None),
        (lambda store, who, value: settings.write(store, who, setting, value)) if writable else None,
        lambda who: settings.subject(setting, who if personal else None),
        setting.secret,
    )


def _entry(key: str, person: User | None, me: User) -> tuple[Entry, User | None]:
    """The entry *key* names and whose it is (None: the organisation's); a personal-only key is yours."""
    entries = {e.key: e for e in _entries(person)}
    if key in entries:
        return entries[key], person
    if person is None:
        own = {e.key: e for e in _entries(me)}
        if key in own:
            return own[key], me
    where = "your own" if person is not None else "the organisation's"
    raise NotAllowed(f"there is no setting {key!r} among {where} (there are: {', '.join(entries)})")


def _set(store: Store, me: User, owner: User | None, entry: Entry, args: argparse.Namespace) -> int:
    if entry.write is None:
        return fail(f"{entry.key} is kept by Veil itself; it is not set by hand")
    value = _value(entry, args)
    if entry.key == "keys":
        _check_keys(store, value)
    before = entry.read(store, owner or me)
    entry.write(store, me, value)  # a value that changes nothing logs nothing
    if entry.read(store, owner or me) == before:
        print(f"{entry.key}: unchanged")
        return 0
    print(f"{entry.key}: changed" + (f" for {shown(me.name)}" if owner else "")
          + (" (each desk uses it from its next start)" if entry.key == "taxonomy" else ""))
    if entry.key == "taxonomy":
        _say_key_clashes(store, value)
    return 0


def _say_key_clashes(store: Store, value: dict[str, str]) -> None:
    """Name the people whose own keys the new taxonomy takes (the defaults replace them; they are told too)."""
    from review import taxonomy
    from ui import keymap

    policy = taxonomy.loads(value["text"], source=value["file"])
    for name, why in sorted(keymap.clashes(store, policy).items()):
        print(f"  keys of {shown(name)} that no longer apply (the defaults replace them): {shown('; '.join(why))}")


def _value(entry: Entry, args: argparse.Namespace) -> Any:
    if args.file is not None:
        if entry.key != "taxonomy":
            raise NotAllowed("--file is for the taxonomy; give other values as JSON")
        if args.value is not None:
            raise NotAllowed("give the taxonomy as --file PATH or as a JSON value, not both")
        from review.taxonomy import stored

        return stored.read_file(Path(args.file))
    if args.value is None:
        raise NotAllowed(f"give the new value of {entry.key} as JSON" +
                         (" (or --file PATH for the taxonomy)" if entry.key == "taxonomy" else ""))
    try:
        return json.loads(args.value)
    except json.JSONDecodeError as exc:
        raise NotAllowed(f"the value is not JSON ({exc.msg} at character {exc.pos + 1}); "
                         "text needs quotes: '\"text\"'") from None


def _check_keys(store: Store, overrides: Any) -> None:
    """Key bindings that clash with each other or the taxonomy's keys are refused, as on the page."""
    from review.taxonomy import stored
    from ui import keymap

    if isinstance(overrides, dict):
        keymap.build(stored.organisation(store, paths.taxonomy_path()), overrides)


def _list(store: Store, me: User, person: User | None) -> int:
    from review import settings

    entries = _entries(person)
    changes = settings.last_changes(store, [e.subject(person or me) for e in entries if e.subject is not None])
    whose = f"{shown(me.name)}'s own" if person else "organisation"
    print(f"{whose} settings" + ("" if person else f" (yours: veil settings list --person {shown(me.name)})"))
    for entry in entries:
        value = "(secret)" if entry.secret else _short(entry.read(store, person or me))
        change = changes.get(entry.subject(person or me)) if entry.subject is not None else _rubric_change(store)
        last = f"changed by {shown(change.actor)} at {change.at[:16].replace('T', ' ')}" if change else "not changed"
        kept = "  (kept by Veil)" if entry.write is None else ""
        print(f"  {entry.key}{kept}: {shown(value)}\n      {entry.describe}  [{last}]")
    return 0


def _rubric_change(store: Store) -> Any:
    from audit import audits

    return audits.last_rubric_change(store)


def _short(value: Any, width: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"
