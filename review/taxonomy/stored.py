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


def _check(value: dict[str, Any]) -> dict[str, Any]:
    """``{"file": name, "text": TOML}``, stored only once it loads (TaxonomyError with its lines otherwise)."""
    if set(value) != {"file", "text"} or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('the taxonomy setting is {"file": NAME, "text": TOML}')
    if len(value["text"].encode("utf-8")) > taxonomy.MAX_BYTES:
        raise ValueError(f"{value['file']} is larger than {taxonomy.MAX_BYTES // 1024} kB; is it the right file?")
    taxonomy.loads(value["text"], source=value["file"])
    return value


TAXONOMY = settings.declare(
    "taxonomy", settings.ORGANISATION, dict, None, changed_by="lead", check=_check,
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
