"""``veil users``: a lead adds and manages people from the command line, as the app's People page does.

Every subcommand signs in (``--user``, a lead) and calls :mod:`review.people`
(or :func:`review.wellbeing.budget.lift_budget`), so the refusals are the
domain's, in its words, and each change is one event. A new passphrase is
never an argument (argv is visible to every process on the machine): it
comes from ``$VEIL_NEW_PASSPHRASE`` (read once and removed from the
environment) or is asked for, twice, on a terminal. On a server store that
enforces roles (team mode) each person has a database role of their own,
kept in step by the store itself; ``add`` says its name (derived from the
person's, so it may differ), which is what their URL names.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from desktop.commands.common import add_store_option, fail, open_store, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError
from review.store import Store, User, server_roles
from review.store.schema import ROLES

NEW_PASSPHRASE_ENV = "VEIL_NEW_PASSPHRASE"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "users", help="add and manage people (lead only)",
        description="Add people, set their roles and the queues they work, deactivate and reactivate them, set "
        f"their passphrases and lift their severe-content budget, as a signed-in lead. A new passphrase comes "
        f"from ${NEW_PASSPHRASE_ENV} or a prompt, never from the command line. Exit 2 when refused.",
    )
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        command = actions.add_parser(name, help=help_text, description=help_text)
        add_store_option(command)
        add_user_option(command, "--lead", who="the lead making the change")
        return command

    add = action("add", "add a person (with a passphrase when --passphrase is given or the variable is set)")
    add.add_argument("name", help="the name they sign in with (--user, the sign-in list)")
    add.add_argument("--role", action="append", required=True, choices=ROLES, help="a role (repeatable)")
    add.add_argument("--display-name", metavar="TEXT", help="how they are shown (default: the name)")
    add.add_argument("--queue", action="append", default=[], metavar="QUEUE",
                     help="limit them to this queue (repeatable; default: every queue their roles work)")
    add.add_argument("--passphrase", action="store_true",
                     help=f"give them a passphrase (from ${NEW_PASSPHRASE_ENV}, else asked for)")
    add.set_defaults(run=run_add)

    listing = action("list", "list everyone, deactivated people too")
    listing.add_argument("--json", action="store_true", help="print the people as JSON")
    listing.set_defaults(run=run_list)

    roles = action("set-roles", "give a person exactly these roles")
    roles.add_argument("name")
    roles.add_argument("roles", nargs="+", choices=ROLES, metavar="ROLE", help=f"one or more of {', '.join(ROLES)}")
    roles.set_defaults(run=run_set_roles)

    queues = action("set-queues", "limit the queues a person is served from")
    queues.add_argument("name")
    queues.add_argument("queues", nargs="*", metavar="QUEUE", help="the queues they may work")
    queues.add_argument("--every", action="store_true", help="no limit: every queue their roles work")
    queues.set_defaults(run=run_set_queues)

    for name, help_text, run in (
        ("deactivate", "stop a person signing in and being served; their items go back to their queues",
         run_deactivate),
        ("reactivate", "let a deactivated person sign in again", run_reactivate),
        ("passphrase", f"set or reset a person's passphrase (from ${NEW_PASSPHRASE_ENV}, else asked for)",
         run_passphrase),
    ):
        command = action(name, help_text)
        command.add_argument("name")
        command.set_defaults(run=run)

    lift = action("lift-budget", "lift a person's severe-content budget for today, with a reason")
    lift.add_argument("name")
    lift.add_argument("--reason", required=True, help="why (recorded, shown on the dashboard)")
    lift.add_argument("--minutes", type=float, help="how many minutes more (default: the wellbeing policy's)")
    lift.set_defaults(run=run_lift)


# ------------------------------------------------------------------ actions
def run_add(args: argparse.Namespace) -> int:
    from review import people

    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="add people")
        try:
            phrase = _new_passphrase(args.name) if args.passphrase or NEW_PASSPHRASE_ENV in os.environ else None
            user = people.add_person(store, lead, args.name, args.role, display_name=args.display_name,
                                     queues=args.queue, passphrase=phrase)
        except VeilError as exc:
            return fail(str(exc))
        role = server_roles.login_role(store, user.id)  # a server store that enforces roles: their own login
    limit = f", limited to {', '.join(args.queue)}" if args.queue else ""
    print(f"added {shown(user.name)} ({', '.join(user.roles)}{shown(limit)})"
          + (" with a passphrase" if phrase is not None else "")
          + (f"; they sign in to the server as the database role {shown(role)}"
             + ("" if phrase is not None else ", which can log in once a passphrase is set") if role else ""))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from review import people

    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="manage people")
        try:
            rows = people.people(store, lead)
        except VeilError as exc:
            return fail(str(exc))
    if args.json:
        print(json.dumps([{"name": p.name, "display_name": p.user.display_name, "roles": list(p.user.roles),
                           "queues": list(p.queues), "active": p.user.active, "passphrase": p.has_passphrase,
                           "severe_today_ms": p.severe_ms, "severe_budget_ms": p.severe_budget_ms,
                           "budget_lifts_today": p.lifts} for p in rows], indent=2))  # ASCII: no name runs as text
        return 0
    for p in rows:
        state = "active" if p.user.active else "DEACTIVATED"
        print(f"{shown(p.name)}  ({shown(p.user.display_name)})  {', '.join(p.user.roles)}  {state}"
              f"  queues: {shown(p.works)}  passphrase: {'yes' if p.has_passphrase else 'no'}"
              f"  severe today: {p.severe_ms // 60_000} of {p.severe_budget_ms // 60_000} min"
              + (f"  lifts today: {p.lifts}" if p.lifts else ""))
    return 0


def run_set_roles(args: argparse.Namespace) -> int:
    from review import people

    return _change(args, "change people's roles", lambda store, lead: people.set_roles(store, lead, args.name,
                                                                                         args.roles),
                   lambda user: f"{shown(user.name)} is now {', '.join(user.roles)}")


def run_set_queues(args: argparse.Namespace) -> int:
    from review import people

    if args.every == bool(args.queues):
        return fail("name the queues, or say --every for every queue their roles work")
    return _change(args, "set the queues people work",
                   lambda store, lead: people.set_queues(store, lead, args.name, args.queues),
                   lambda user: f"{shown(user.name)} now works "
                                + (shown(", ".join(args.queues)) if args.queues else "every queue their roles work"))


def run_deactivate(args: argparse.Namespace) -> int:
    from review import people

    return _change(args, "deactivate people", lambda store, lead: people.deactivate(store, lead, args.name),
                   lambda released: f"deactivated {shown(args.name)}"
                                    + (f"; {released} item(s) they held went back to their queues" if released
                                       else ""))


def run_reactivate(args: argparse.Namespace) -> int:
    from review import people

    return _change(args, "reactivate people", lambda store, lead: people.reactivate(store, lead, args.name),
                   lambda user: f"reactivated {shown(user.name)}")


def run_passphrase(args: argparse.Namespace) -> int:
    from review import auth, people

    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="set people's passphrases")
        try:
            current = None
            if auth.needs_current(store, lead, args.name):  # your own: the current one first, as in the app
                current = _ask(f"Current passphrase for {args.name}: ", "changing your own passphrase asks for the "
                               "current one: run the command in a terminal")
            phrase = _new_passphrase(args.name)
            people.set_passphrase(store, lead, args.name, phrase, current=current)
        except VeilError as exc:
            return fail(str(exc))
    print(f"passphrase set for {shown(args.name)}")
    return 0


def run_lift(args: argparse.Namespace) -> int:
    from review.wellbeing.budget import lift_budget
    from review.wellbeing.durations import format_duration

    return _change(args, "lift a severe-content budget",
                   lambda store, lead: lift_budget(store, lead, args.name, args.reason, args.minutes),
                   lambda budget: f"lifted {shown(args.name)}'s severe budget for today: "
                                  f"{format_duration(budget.used_ms)} used of {format_duration(budget.budget_ms)}")


# ------------------------------------------------------------------ helpers
def _change(args: argparse.Namespace, to: str, change: Callable[[Store, User], Any],
            said: Callable[[Any], str]) -> int:
    """Sign in as a lead, make one change, print what it did; a refusal is exit 2 with the domain's words."""
    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to=to)
        try:
            result = change(store, lead)
        except VeilError as exc:
            return fail(str(exc))
    print(said(result))
    return 0


def _new_passphrase(name: str) -> str:
    """The new passphrase: ``$VEIL_NEW_PASSPHRASE`` (read once), else asked for twice on a terminal."""
    phrase = os.environ.pop(NEW_PASSPHRASE_ENV, None)
    if phrase is not None:
        return phrase
    first = _ask(f"New passphrase for {name}: ", f"set {NEW_PASSPHRASE_ENV}, or run the command in a terminal to "
                 "be asked for the new passphrase")
    if _ask("Repeat it: ", "no passphrase given") != first:
        raise NewPassphraseError("the two passphrases differ; nothing was changed")
    return first


def _ask(prompt: str, otherwise: str) -> str:
    if not sys.stdin.isatty():
        raise NewPassphraseError(otherwise)
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        raise NewPassphraseError("no passphrase given; nothing was changed") from None


class NewPassphraseError(VeilError):
    """No new passphrase could be read, or the two typed differ."""
