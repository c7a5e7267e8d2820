"""The lead's mapping from what Veil records to the fields of a DSA statement of reasons.

One job: hold, check, store and move (import/export) the mapping. It is one
organisation setting (:data:`MAPPING`, changed by a lead, one
``setting.changed`` event with the old and the new mapping), shaped::

    platform  territorial_scope (country codes), content_language (a language code)
    labels    label id  -> category, category_addition, category_specification,
                           category_specification_other, decision_ground, ground, reference_url,
                           content_illegal (incompatible ground only), facts, explanation
    actions   action id -> decision_visibility (list), decision_visibility_other, decision_monetary,
                           decision_monetary_other, decision_provision, decision_account
                           ({} = the action restricts nothing: no statement)
    kinds     item kind -> content_type (list), content_type_other
    sources   report source (the item's metadata "source"; "default" for any other) ->
                           source_type, automated_detection
    deciders  "person" / "rule" -> automated_decision

Values are the database's keys (``audit.compliance.enums``). ``facts`` and
``explanation`` are templates with only :data:`PLACEHOLDERS`, so nothing a
reviewer wrote (names, notes) can reach a statement: public reasons come
from these templates, which a lead writes once per label.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from audit.compliance import enums
from review import settings
from review.errors import VeilError
from review.store import Store, User

#: What a facts or explanation template may say besides its own words: none of it is about a person.
PLACEHOLDERS = ("label", "action", "content", "date", "ground")
SECTIONS = ("platform", "labels", "actions", "kinds", "sources", "deciders")
DECIDERS = ("person", "rule")
#: The source entry used for a report source the mapping does not name.
DEFAULT_SOURCE = "default"
MAX_BYTES = 512 * 1024

_LABEL_FIELDS = ("category", "category_addition", "category_specification", "category_specification_other",
                 "decision_ground", "ground", "reference_url", "content_illegal", "facts", "explanation")
ACTION_FIELDS = ("decision_visibility", "decision_visibility_other", "decision_monetary", "decision_monetary_other",
                  "decision_provision", "decision_account")
_LISTS = {"category_addition": enums.STATEMENT_CATEGORIES, "category_specification": enums.KEYWORDS,
          "decision_visibility": enums.DECISION_VISIBILITIES, "content_type": enums.CONTENT_TYPES,
          "territorial_scope": enums.EUROPEAN_COUNTRY_CODES}
_ONE_OF: dict[str, Any] = {
    "category": enums.STATEMENT_CATEGORIES, "decision_ground": enums.DECISION_GROUNDS,
    "content_illegal": enums.INCOMPATIBLE_CONTENT_ILLEGALS, "decision_monetary": enums.DECISION_MONETARIES,
    "decision_provision": enums.DECISION_PROVISIONS, "decision_account": enums.DECISION_ACCOUNTS,
    "source_type": enums.SOURCE_TYPES, "automated_detection": enums.AUTOMATED_DETECTIONS,
    "automated_decision": enums.AUTOMATED_DECISIONS, "content_language": enums.ALL_LANGUAGES,
}
_TEXT_LIMITS = {"ground": 500, "reference_url": 500, "facts": 5000, "explanation": 2000,
                "category_specification_other": 500, "decision_visibility_other": 500,
                "decision_monetary_other": 500, "content_type_other": 500}


class MappingError(VeilError, ValueError):
    """A mapping that cannot be stored: every problem, one per line (``FILE:LINE: entry: reason`` from a file)."""


def empty() -> dict[str, Any]:
    """The mapping before a lead sets one: every statement is refused, naming the entry to fill in."""
    return {"platform": {"territorial_scope": list(enums.EUROPEAN_COUNTRY_CODES)}, "labels": {}, "actions": {},
            "kinds": {}, "sources": {}, "deciders": {"person": "AUTOMATED_DECISION_NOT_AUTOMATED",
                                                    "rule": "AUTOMATED_DECISION_FULLY"}}


def problems(value: Any) -> list[tuple[str, str]]:
    """Every (entry, reason) wrong in *value*: unknown sections and fields, values outside the database's lists,
    a ground without its text, templates with placeholders other than :data:`PLACEHOLDERS`."""
    if not isinstance(value, dict):
        return [("", "the mapping is a table of sections")]
    found = [(name, f"unknown section (use {', '.join(SECTIONS)})") for name in value if name not in SECTIONS]
    for section in SECTIONS:
        if not isinstance(value.get(section, {}), dict):
            found.append((section, "must be a table"))
    if found:
        return found
    found += _fields("platform", value.get("platform", {}), ("territorial_scope", "content_language"))
    for label, entry in value.get("labels", {}).items():
        where = f"labels.{label}"
        found += _fields(where, entry, _LABEL_FIELDS)
        if not isinstance(entry, dict):
            continue
        for needed in ("category", "decision_ground", "ground", "facts", "explanation"):
            if not entry.get(needed):
                found.append((f"{where}.{needed}", "is required"))
        if entry.get("content_illegal") and entry.get("decision_ground") != "DECISION_GROUND_INCOMPATIBLE_CONTENT":
            found.append((f"{where}.content_illegal", "applies only to DECISION_GROUND_INCOMPATIBLE_CONTENT"))
        if "KEYWORD_OTHER" in entry.get("category_specification", []) and not entry.get("category_specification_other"):
            found.append((f"{where}.category_specification_other", "is required with KEYWORD_OTHER"))
    for action, entry in value.get("actions", {}).items():
        found += _fields(f"actions.{action}", entry, ACTION_FIELDS)
        if isinstance(entry, dict):
            if "DECISION_VISIBILITY_OTHER" in entry.get("decision_visibility", []) \
                    and not entry.get("decision_visibility_other"):
                found.append((f"actions.{action}.decision_visibility_other",
                              "is required with DECISION_VISIBILITY_OTHER"))
            if entry.get("decision_monetary") == "DECISION_MONETARY_OTHER" and not entry.get("decision_monetary_other"):
                found.append((f"actions.{action}.decision_monetary_other", "is required with DECISION_MONETARY_OTHER"))
    for kind, entry in value.get("kinds", {}).items():
        found += _fields(f"kinds.{kind}", entry, ("content_type", "content_type_other"), required=("content_type",))
        if isinstance(entry, dict) and "CONTENT_TYPE_OTHER" in entry.get("content_type", []) \
                and not entry.get("content_type_other"):
            found.append((f"kinds.{kind}.content_type_other", "is required with CONTENT_TYPE_OTHER"))
    for source, entry in value.get("sources", {}).items():
        found += _fields(f"sources.{source}", entry, ("source_type", "automated_detection"),
                         required=("source_type", "automated_detection"))
    for decider, entry in value.get("deciders", {}).items():
        if decider not in DECIDERS:
            found.append((f"deciders.{decider}", f"is one of {', '.join(DECIDERS)}"))
        elif entry not in enums.AUTOMATED_DECISIONS:
            found.append((f"deciders.{decider}", f"is one of {', '.join(enums.AUTOMATED_DECISIONS)}"))
    return found


def _fields(where: str, entry: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    if not isinstance(entry, dict):
        return [(where, "must be a table")]
    found = [(f"{where}.{name}", f"unknown field (use {', '.join(allowed)})") for name in entry if name not in allowed]
    found += [(f"{where}.{name}", "is required") for name in required if not entry.get(name)]
    for name, value in entry.items():
        if name in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                found.append((f"{where}.{name}", "must be a list of the database's keys"))
            else:
                found += [(f"{where}.{name}", f"{v!r} is not one of the database's values") for v in value
                          if v not in _LISTS[name]]
        elif name in _ONE_OF and value is not None and value not in _ONE_OF[name]:
            found.append((f"{where}.{name}", f"{value!r} is not one of the database's values"))
        elif name in _TEXT_LIMITS:
            if not isinstance(value, str):
                found.append((f"{where}.{name}", "must be text"))
            elif len(value) > _TEXT_LIMITS[name]:
                found.append((f"{where}.{name}", f"is longer than {_TEXT_LIMITS[name]} characters"))
            elif name in ("facts", "explanation"):
                found += [(f"{where}.{name}", reason) for reason in _template_problems(value)]
    return found


def _template_problems(text: str) -> Iterator[str]:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        yield f"is not a template ({exc}; write {{{{ and }}}} for braces)"
        return
    for name in fields:
        if name not in PLACEHOLDERS:
            yield f"{{{name}}} is not a placeholder (use {', '.join('{' + p + '}' for p in PLACEHOLDERS)})"


def _check(value: dict[str, Any]) -> dict[str, Any]:
    found = problems(value)
    if found:
        raise ValueError("; ".join(f"{where}: {reason}" for where, reason in found))
    return value


MAPPING = settings.declare(
    "statements.mapping", settings.ORGANISATION, dict, None, changed_by="lead", check=_check,
    describe="How decisions become DSA statements of reasons: label, action, item kind, report source and "
             "decider to the Transparency Database's fields (Statements page, veil statements mapping).",
)


def current(store: Store) -> dict[str, Any]:
    """The organisation's mapping, or :func:`empty` when no lead has set one."""
    value = settings.read(store, MAPPING)
    return value if value is not None else empty()


def save(store: Store, lead: User | str, value: dict[str, Any], *,
         expected: Any = settings.UNCHECKED) -> dict[str, Any]:
    """Store *value* as the mapping (a lead's; MappingError listing every problem; StoreConflict when *expected*
    is no longer the stored mapping)."""
    found = problems(value)
    if found:
        raise MappingError("\n".join(f"{where}: {reason}" for where, reason in found))
    stored: dict[str, Any] = settings.write(store, lead, MAPPING, value, expected=expected)
    return stored


# ------------------------------------------------------------- files
def read_file(path: Path | str) -> dict[str, Any]:
    """The mapping in the TOML or JSON file at *path*, checked: MappingError with ``FILE:LINE: entry: reason``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MappingError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise MappingError(f"{path}: larger than {MAX_BYTES // 1024} kB; is it the right file?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return loads(text, source=str(path), as_json=path.suffix.lower() == ".json")


def loads(text: str, *, source: str, as_json: bool) -> dict[str, Any]:
    """*text* (TOML, or JSON when *as_json*) as a checked mapping; MappingError naming *source* and lines."""
    try:
        value = json.loads(text) if as_json else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(f"{source}:{exc.lineno}: {exc.msg}") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = match.group(1) if match else "1"
        raise MappingError(f"{source}:{line}: {str(exc).split(' (at line')[0]}") from None
    found = problems(value)
    if found:
        raise MappingError("\n".join(f"{source}:{_line_of(text, where)}: {where}: {reason}" for where, reason in found))
    return dict(value)


def _line_of(text: str, where: str) -> int:
    """The line of *where* (``labels.hate_speech.category``) in the file: its last key found after its table's."""
    lines = text.splitlines()
    start = 0
    for part in where.split("."):
        if not part:
            continue
        pattern = re.compile(r'(^|[\s."\[{,])"?' + re.escape(part) + r'"?\s*[=:\]."]')
        for number in range(start, len(lines)):
            if pattern.search(lines[number]):
                start = number
                break
    return start + 1


def dumps(value: Mapping[str, Any], *, as_json: bool) -> str:
    """The mapping as a file's text: JSON, or TOML with one table per entry."""
    if as_json:
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    out = ["# Veil's DSA statement mapping (docs/statements.md); values are the Transparency Database's keys.", ""]
    platform = value.get("platform", {})
    out.append("[platform]")
    out += [f"{name} = {_toml(v)}" for name, v in platform.items()]
    out.append("")
    for section in SECTIONS[1:]:
        entries = value.get(section, {})
        if section == "deciders":
            out.append("[deciders]")
            out += [f"{_key(name)} = {_toml(v)}" for name, v in entries.items()]
            out.append("")
            continue
        for name, entry in entries.items():
            out.append(f"[{section}.{_key(name)}]")
            out += [f"{field} = {_toml(v)}" for field, v in entry.items() if v is not None]
            out.append("")
    return "\n".join(out)


def write_file(value: Mapping[str, Any], path: Path | str) -> None:
    path = Path(path)
    path.write_text(dumps(value, as_json=path.suffix.lower() == ".json"), encoding="utf-8")


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


def _toml(value: Any) -> str:
    """A string or a list of strings as TOML (JSON's escapes are TOML's for these)."""
    return json.dumps(value, ensure_ascii=False)
