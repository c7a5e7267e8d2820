"""The organisation's taxonomy kept in the store, so every desk on it decides under the same policy.

A lead chooses a TOML file on the Settings page (or ``veil settings set
taxonomy --file``); its text is validated like any taxonomy file
(``FILE:LINE: reason`` for each problem) before it is stored, so a broken
file is refused and nothing changes. Veil reads it at start
(``desktop.app.run_gui``): a change applies to each desk from its next
start. Without one, the team's file (``$VEIL_HOME/taxonomy.toml``) or the
bundled default applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from review import settings, taxonomy
from review.store import Store, User
from review.taxonomy.layout import Layout


def _check(value: dict[str, Any]) -> dict[str, Any]:
    """``{"file": name, "text": TOML}``, stored only once it loads (TaxonomyError with its lines otherwise)."""
    if set(value) != {"file", "text"} or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('the taxonomy setting is {"file": NAME, "text": TOML}')
    if len(value["text"].encode("utf-8")) > taxonomy.MAX_BYTES:
        raise ValueError(f"{value['file']} is larger than {taxonomy.MAX_BYTES // 1024} kB; is it the right file?")
    taxonomy.loads(value["text"], source=value["file"])
    return value


def _refuse_desk_keys(_store: Store, value: dict[str, Any]) -> None:
    """An action key that is a desk's own key (Skip's S, Note's N, …) is refused with its line, naming both.

    The setting's store rule, so it runs when a taxonomy is stored and never when one is read: a policy stored
    before Veil took a key (T became the thread's), or a team file, keeps loading on every desk and in
    ``veil verify`` (its action wins the key: ``ui.keymap.default_bindings``), while a lead saving a new one
    learns of it before anyone's keys change."""
    text, source = value["text"], value["file"]
    policy = taxonomy.loads(text, source=source)
    layout = Layout(text)
    problems = [(layout.line("actions", index, "key"),
                 f"action key '{action.key}' of '{action.name}' is Veil's key for '{taxonomy.DESK_KEYS[action.key]}' "
                 "on every desk; choose another key") for index, action in enumerate(policy.actions)
                if action.key in taxonomy.DESK_KEYS]
    if problems:
        (line, reason), *more = problems
        raise taxonomy.TaxonomyError(source, line, reason, more)


TAXONOMY = settings.declare(
    "taxonomy", settings.ORGANISATION, dict, None, changed_by="lead", check=_check, check_store=_refuse_desk_keys,
    describe="The organisation's policy taxonomy (TOML text and its file name); each desk uses it from its next start.",
)


def read_file(path: Path | str) -> dict[str, Any]:
    """The setting's value for the file at *path*: its name and text (TaxonomyError if it cannot be read)."""
    return {"file": Path(path).name, "text": taxonomy.read_text(path)}


def save(store: Store, lead: User | str, value: dict[str, Any]) -> taxonomy.Taxonomy:
    """Store *value* (:func:`read_file`) as the organisation's taxonomy; the taxonomy it holds."""
    stored = settings.write(store, lead, TAXONOMY, value)
    return taxonomy.loads(stored["text"], source=stored["file"])


def organisation(store: Store, team_file: Path | None = None) -> taxonomy.Taxonomy:
    """The taxonomy this store's desks decide under: the stored one, else *team_file*, else the bundled default."""
    value = settings.read(store, TAXONOMY)
    if value is None:
        return taxonomy.load(team_file)
    return taxonomy.loads(value["text"], source=value["file"])
