"""Who a ``veil`` command acts as: a named person, signed in as the GUI signs them in.

Every command but ``demo`` (which fills a store that must be empty) and
``verify`` acts as somebody, and the event log names them, so the command
line must not be a way round the sign-in page. The person is ``--user``
(``veil --user NAME …`` or the command's own ``--user``), else
``$VEIL_USER``; a name the store does not know, or one Veil writes as an
actor of its own (``system``, ``anonymous``, ``cli``), is refused, never
written as an actor. An account with a passphrase is entered only with it:
``$VEIL_PASSPHRASE`` (read once and removed from the environment, as the
GUI's ``--user`` does, so no child process inherits it), else a prompt when
stdin is a terminal, else refused (cron must say it). A wrong one is
refused and logged (``auth.failed``, via ``cli``) by
:func:`review.auth.check_passphrase`. A deactivated person (``veil users
deactivate``) is refused before any passphrase, in the app's words
(:func:`review.auth.sign_in_refusal`). Then the role:
:func:`review.auth.require`.

On a server store opened with a person's own database role
(``postgresql://ana@host/db``, :mod:`review.store.server_roles`) the server
has already checked who they are (the role's password is their
passphrase, or the site's certificates): the command acts as that person,
``--user`` (or ``$VEIL_USER``) may be left out and, when given, must name
them (a mismatch is refused, never acted on), and Veil asks no passphrase
again.

A refusal is :class:`SignInRefused` (a ``NotAllowed``); ``desktop.main``
turns it into exit 2 and its message.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from review import auth
from review.errors import NotAllowed
from review.store import Store, User, reserved_name, server_roles

USER_ENV = "VEIL_USER"
PASSPHRASE_ENV = "VEIL_PASSPHRASE"
_COMMAND_USER = "command_user"  # where a command's own --user lands, apart from the global one


class SignInRefused(NotAllowed):
    """Nobody named, an unknown name, no or a wrong passphrase, or not the role the command needs."""


def add_user_option(parser: argparse.ArgumentParser, *aliases: str, who: str = "who you are") -> None:
    """The command's own ``--user NAME`` (same as ``veil --user NAME``), plus *aliases* such as ``--lead``."""
    parser.add_argument("--user", *aliases, dest=_COMMAND_USER, metavar="NAME", default=argparse.SUPPRESS,
                        help=f"{who} (default: veil --user, else ${USER_ENV}; ${PASSPHRASE_ENV} or a prompt "
                        "when the account has a passphrase)")


def named(args: argparse.Namespace) -> str:
    """The name the person gave: ``--user`` (global or the command's), else ``$VEIL_USER``.

    Checked before the store is opened, so a command that would create a
    store leaves none behind when nobody said who they are.
    """
    global_name = getattr(args, "user", None)
    own_name = getattr(args, _COMMAND_USER, None)
    if global_name and own_name and global_name != own_name:
        raise SignInRefused(f"--user {global_name} and --user {own_name} name two people; say one")
    name = (own_name or global_name or os.environ.get(USER_ENV) or "").strip()
    if not name:
        raise SignInRefused(f"say who you are: --user NAME or {USER_ENV}")
    if (why := reserved_name(name)) is not None:  # Veil's own actors are nobody to sign in as, or found a store as
        raise SignInRefused(why)
    return name


def signed_in(store: Store, args: argparse.Namespace, *, roles: tuple[str, ...] = (), to: str = "") -> User:
    """The person the command acts as, signed in and holding one of *roles* (any role when empty).

    *to* completes the refusal ("ana is not a lead: only a lead can *to*").
    """
    phrase = os.environ.pop(PASSPHRASE_ENV, None)  # read once, whoever signs in: no child process inherits it
    person = server_person(store, _given(args))
    name = person or named(args)
    try:
        user = auth.resolve(store, name)
    except NotAllowed as exc:
        raise SignInRefused(str(exc)) from None
    if (refusal := auth.sign_in_refusal(store, user.name)) is not None:  # before any passphrase is asked
        raise SignInRefused(refusal)
    if person is None and auth.has_passphrase(store, user.name):
        _check_passphrase(store, user.name, phrase)
    if roles:
        try:
            user = auth.require(store, user, *roles, to=to)
        except NotAllowed as exc:
            raise SignInRefused(str(exc)) from None
    return user


def server_person(store: Store, given: str | None) -> str | None:
    """The person whose own database role the store's connection is (None on a file, or for the store's owner);
    SignInRefused when *given* (``--user``) names someone else."""
    person = server_roles.connected_person(store)
    if person is not None and given and given != person:
        raise SignInRefused(f"the store's URL signs in to the server as {person}'s database role, but --user names "
                            f"{given}: a command acts only as the person the server let in (leave --user out, or "
                            f"name {person}; to act as {given}, use {given}'s URL and passphrase)")
    return person


def _given(args: argparse.Namespace) -> str | None:
    """The name given by ``--user`` (global or the command's) or ``$VEIL_USER``, if any (unchecked)."""
    name = getattr(args, _COMMAND_USER, None) or getattr(args, "user", None) or os.environ.get(USER_ENV)
    return name.strip() if name else None


def _check_passphrase(store: Store, name: str, phrase: str | None) -> None:
    """*phrase* is what $VEIL_PASSPHRASE held; without it, asked for on a terminal, else refused."""
    where = f"in {PASSPHRASE_ENV} " if phrase is not None else ""
    if phrase is None:
        if not sys.stdin.isatty():
            raise SignInRefused(f"{name} has a passphrase: set {PASSPHRASE_ENV}, or run the command in a terminal "
                                "to be asked for it")
        try:
            phrase = getpass.getpass(f"Passphrase for {name}: ")
        except (EOFError, KeyboardInterrupt):
            raise SignInRefused(f"no passphrase given for {name}") from None
    if not auth.check_passphrase(store, name, phrase, via="cli"):
        raise SignInRefused(f"the passphrase {where}is not right for {name}")
