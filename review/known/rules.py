"""The routing rule set's format: parsing a lead's TOML, checking every rule, and which rule an item matches.

A rule set is a TOML file a lead writes by hand (or in the app's Rules page): ``[[rule]]`` tables in order,
the first whose conditions all hold routes the item. Each rule has a ``name``, a ``when`` table of conditions
(none: it matches every item) and a ``then`` table of effects (none: matched items stay as they are, which keeps
them from the rules below)::

    [[rule]]
    name = "spam classifier, sure"
    when = { category = "spam", score.classifier_score = 0.97 }
    then = { action = "remove", labels = ["spam"], automated = true }

Checking reports every problem at once as ``FILE:LINE: reason`` (the line of the field, else of its rule's
``[[rule]]`` header: :class:`review.taxonomy.layout.Layout` finds them, as for a taxonomy), and nothing is applied
while any remains: unknown fields, queues, actions, labels and lists, duplicate names, wrong types, and a rule
that can never match because a catch-all above it takes every item. Stdlib only; the store is read by the caller
(:class:`Context`).
"""

from __future__ import annotations

import math
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from review.imports.handlers import MAX_PRIORITY
from review.known.facts import ListMatch
from review.store.schema import ITEM_KINDS
from review.taxonomy import SEVERITIES, Taxonomy, TaxonomyError
from review.taxonomy.layout import Layout, syntax_problem
from review.taxonomy.validation import _show, _unknown, too_deep

MAX_NAME_CHARS = 100
MAX_BYTES = 512 * 1024  # hundreds of rules are tens of kB; more is the wrong file
MAX_DISTANCE = 256  # PDQ's bits

#: Conditions: each field of ``when`` and what it holds.
CONDITIONS = ("category", "report_reason", "reporters_min", "reporters_max", "language", "severity", "kind",
              "score", "list", "list_distance")
#: Effects: each field of ``then``.
EFFECTS = ("queue", "priority", "severity", "action", "labels", "automated")
RULE_FIELDS = ("name", "when", "then")


class RulesError(TaxonomyError):
    """A rule set that cannot be applied: one ``FILE:LINE: reason`` per problem (``problems``), earliest first."""


@dataclass(frozen=True)
class QueueFacts:
    """A queue a rule may name: its id, kind, and the name of the queue it was merged into (None if active)."""

    id: int
    kind: str
    merged_into: str | None = None


@dataclass(frozen=True)
class Context:
    """What checking reads from the store: its queues by name, the policy taxonomy, the hash lists' names.

    None leaves that part unchecked: intake re-reads a version that was checked when it was applied
    (:data:`UNCHECKED`), and its queues are the ids they meant then, whatever has been renamed since.
    """

    queues: Mapping[str, QueueFacts] | None
    taxonomy: Taxonomy | None
    lists: frozenset[str] | None = None


#: For re-reading a version that was checked when it was applied.
UNCHECKED = Context(None, None, None)


@dataclass(frozen=True)
class Item:
    """What a rule reads of an item: its kind, severity hint, metadata and list matches (nearest first)."""

    kind: str
    severity: str | None
    metadata: Mapping[str, Any]
    list_matches: Sequence[ListMatch] = ()


@dataclass(frozen=True)
class Rule:
    """One checked rule. A condition left out (None, or empty ``scores``) holds for every item."""

    name: str
    line: int
    categories: frozenset[str] | None = None
    report_reasons: frozenset[str] | None = None  # case-folded
    reporters_min: int | None = None
    reporters_max: int | None = None
    languages: frozenset[str] | None = None
    severities: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    scores: tuple[tuple[str, float], ...] = ()  # (name, at least)
    lists: frozenset[str] | None = None
    list_distance: int | None = None
    queue: str | None = None
    priority: int | None = None
    severity: str | None = None
    action: str | None = None
    labels: tuple[str, ...] = ()
    automated: bool = False

    @property
    def catch_all(self) -> bool:
        """True when the rule has no condition, so every item matches it."""
        given = (self.categories, self.report_reasons, self.languages, self.severities, self.kinds, self.lists,
                 self.reporters_min, self.reporters_max, self.list_distance)
        return all(condition is None for condition in given) and not self.scores

    @property
    def uses_lists(self) -> bool:
        return self.lists is not None or self.list_distance is not None

    def matches(self, item: Item) -> bool:
        """Whether every condition holds for *item* (a field the item lacks fails its condition)."""
        meta = item.metadata
        if self.categories is not None and _text(meta.get("category")) not in self.categories:
            return False
        if self.report_reasons is not None and _text(meta.get("report_reason"), fold=True) not in self.report_reasons:
            return False
        if self.languages is not None and _text(meta.get("language")) not in self.languages:
            return False
        if self.severities is not None and item.severity not in self.severities:
            return False
        if self.kinds is not None and item.kind not in self.kinds:
            return False
        if self.reporters_min is not None or self.reporters_max is not None:
            count = _number(meta.get("reporter_count"))
            if count is None or (self.reporters_min is not None and count < self.reporters_min) or (
                    self.reporters_max is not None and count > self.reporters_max):
                return False
        for name, least in self.scores:
            value = score(meta, name)
            if value is None or value < least:
                return False
        if self.uses_lists:
            return any((self.lists is None or m.list in self.lists)
                       and (self.list_distance is None or m.distance <= self.list_distance)
                       for m in item.list_matches)
        return True


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str = "<string>"

    @property
    def uses_lists(self) -> bool:
        return any(rule.uses_lists for rule in self.rules)

    @property
    def queues(self) -> frozenset[str]:
        return frozenset(rule.queue for rule in self.rules if rule.queue is not None)

    def first_match(self, item: Item) -> Rule | None:
        """The first rule whose conditions all hold for *item* (first match wins), or None."""
        return next((rule for rule in self.rules if rule.matches(item)), None)


def score(metadata: Mapping[str, Any], name: str) -> float | None:
    """The classifier score *name* an item's metadata carries: ``scores.NAME``, else the field ``NAME``; a number
    (or a number written as text, as a CSV manifest has it), else None."""
    scores = metadata.get("scores")
    value = scores.get(name) if isinstance(scores, dict) and name in scores else metadata.get(name)
    return _number(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text(value: Any, *, fold: bool = False) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip().casefold() if fold else value.strip()


# ------------------------------------------------------------------ parsing
def read_file(path: Path) -> str:
    """The text of a rule file; RulesError (FILE: reason) unless it is a regular UTF-8 file of at most
    :data:`MAX_BYTES` (a chosen video or a device is refused before it is read)."""
    try:
        if not path.is_file():
            raise RulesError(str(path), None, "not a file; name the rule set's .toml file")
        if path.stat().st_size > MAX_BYTES:
            raise RulesError(str(path), None, f"larger than {MAX_BYTES // 1024} kB; is it the right file?")
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise RulesError(str(path), None, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RulesError(str(path), None, "not UTF-8 text; save the file as UTF-8") from None


def parse(text: str, source: str, context: Context) -> RuleSet:
    """Parse and check a rule set; :class:`RulesError` with every problem, in file order."""
    text = text.removeprefix("\ufeff")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise RulesError(source, None, f"larger than {MAX_BYTES // 1024} kB; is it the right file?")
    if (line := too_deep(text)) is not None:
        raise RulesError(source, line, "arrays and tables nested too deeply")
    try:
        data = tomllib.loads(text)
        layout = Layout(text)
    except tomllib.TOMLDecodeError as exc:
        line, reason = syntax_problem(text, str(exc))
        raise RulesError(source, line, reason) from None
    except RecursionError:
        raise RulesError(source, 1, "nested too deeply to read") from None
    checker = _Checker(layout, context)
    rules = checker.run(data)
    if checker.problems:
        (line, reason), *more = sorted(checker.problems, key=lambda p: p[0])
        raise RulesError(source, line, reason, more)
    return RuleSet(tuple(rules), source)


class _Checker:
    """Turns parsed TOML into rules, collecting every problem with its line."""

    def __init__(self, layout: Layout, context: Context):
        self.layout, self.context = layout, context
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, reason: str) -> None:
        self.problems.append((line, reason))

    def line(self, index: int, part: str | None = None, key: str | None = None) -> int:
        """The line of *key* in rule *index*'s ``part`` table (``when``/``then``), else of the nearest thing written."""
        header = self.layout.table("rule", index)
        if header is None:
            return self.layout.top_line("rule")
        if part is None:
            return header.keys.get(key, header.line) if key else header.line
        after = next(n for n, table in enumerate(self.layout.tables) if table is header) + 1
        for table in self.layout.tables[after:]:
            if table.name == ("rule",):
                break
            if table.name == ("rule", part):
                return table.keys.get(key, table.line) if key else table.line
        return header.keys.get(part, header.line)

    def run(self, data: dict[str, Any]) -> list[Rule]:
        for name in data:
            if name != "rule":
                what = "table" if isinstance(data[name], (dict, list)) else "field"
                self.problem(self.layout.top_line(name), _unknown(name, ["rule"], what, "a rule set has"))
        raw = data.get("rule", [])
        if isinstance(raw, dict) or not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            self.problem(self.layout.top_line("rule"), "write each rule as a [[rule]] table, with two brackets")
            return []
        rules: list[Rule] = []
        names: dict[str, int] = {}
        catch_all: Rule | None = None
        for index, entry in enumerate(raw):
            rule = self.rule(index, entry)
            if rule is None:
                continue
            if rule.name in names:
                self.problem(rule.line, f"rule '{rule.name}' is named twice (first on line {names[rule.name]})")
            names.setdefault(rule.name, rule.line)
            if catch_all is not None:
                self.problem(rule.line, f"rule '{rule.name}' can never match: rule '{catch_all.name}' (line "
                             f"{catch_all.line}) has no conditions and takes every item first; move it to the end")
            elif rule.catch_all:
                catch_all = rule
            rules.append(rule)
        return rules

    def rule(self, index: int, entry: dict[str, Any]) -> Rule | None:
        line = self.line(index)
        for key in entry:
            if key not in RULE_FIELDS:
                self.problem(self.line(index, None, key), _unknown(key, RULE_FIELDS, "field", "a rule has"))
        name = entry.get("name")
        if name is None:
            self.problem(line, "the rule has no name: add name = \"…\"")
            return None
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS or any(
                unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
            self.problem(self.line(index, None, "name"), f"name must be text of 1 to {MAX_NAME_CHARS} characters "
                         f"on one line, not {_show(name)}")
            return None
        name = name.strip()
        when, then = (self.table(index, part, entry.get(part, {})) for part in ("when", "then"))
        found: dict[str, Any] = {"name": name, "line": line}
        found.update(self.conditions(index, name, when))
        found.update(self.effects(index, name, then))
        return Rule(**found)

    def table(self, index: int, part: str, value: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            known = CONDITIONS if part == "when" else EFFECTS
            for key in value:
                if key not in known:
                    what = "condition" if part == "when" else "effect"
                    self.problem(self.line(index, part, key), _unknown(key, known, what, f"a rule's {part} has"))
            return value
        self.problem(self.line(index, None, part), f"{part} must be a table, like {part} = {{ … }}, not {_show(value)}")
        return {}

    def conditions(self, index: int, name: str, when: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def where(key: str) -> int:
            return self.line(index, "when", key)

        for key, field, fold in (("category", "categories", False), ("report_reason", "report_reasons", True),
                                 ("language", "languages", False)):
            if key in when and (values := self.texts(where(key), key, when[key])) is not None:
                found[field] = frozenset(v.casefold() if fold else v for v in values)
        for key, field, allowed in (("severity", "severities", SEVERITIES), ("kind", "kinds", ITEM_KINDS)):
            if key in when and (values := self.texts(where(key), key, when[key])) is not None:
                wrong = [v for v in values if v not in allowed]
                if wrong:
                    self.problem(where(key), f"{key} {_show(wrong[0])} is not one of {', '.join(allowed)}")
                else:
                    found[field] = frozenset(values)
        for key in ("reporters_min", "reporters_max"):
            if key in when:
                found[key] = self.whole(where(key), key, when[key], 0, 10**9)
        if found.get("reporters_min") is not None and found.get("reporters_max") is not None \
                and found["reporters_min"] > found["reporters_max"]:
            self.problem(where("reporters_max"), f"reporters_max {found['reporters_max']} is below reporters_min "
                         f"{found['reporters_min']}: rule '{name}' could never match")
        if "score" in when:
            found["scores"] = self.scores(where("score"), when["score"])
        if "list" in when and (values := self.texts(where("list"), "list", when["list"])) is not None:
            unknown = sorted(set(values) - self.context.lists) if self.context.lists is not None else []
            if unknown:
                self.problem(where("list"), _unknown(unknown[0], sorted(self.context.lists), "hash list",
                                                     "lists") if self.context.lists
                             else f"there is no hash list '{unknown[0]}' (import one first: veil hashlist import)")
            found["lists"] = frozenset(values)
        if "list_distance" in when:
            found["list_distance"] = self.whole(where("list_distance"), "list_distance", when["list_distance"], 0,
                                                MAX_DISTANCE)
        return {k: v for k, v in found.items() if v is not None}

    def effects(self, index: int, name: str, then: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        policy = self.context.taxonomy

        def where(key: str) -> int:
            return self.line(index, "then", key)

        if "queue" in then:
            queue = then["queue"]
            queues = self.context.queues
            facts = queues.get(queue, None) if isinstance(queue, str) and queues is not None else None
            if not isinstance(queue, str):
                self.problem(where("queue"), f"queue must be a queue's name in quotes, not {_show(queue)}")
            elif queues is None:
                found["queue"] = queue
            elif facts is None:
                self.problem(where("queue"), _unknown(queue, sorted(queues), "queue", "queues"))
            elif facts.merged_into is not None:
                self.problem(where("queue"), f"queue '{queue}' was merged into '{facts.merged_into}': name that one")
            elif facts.kind != "review":
                self.problem(where("queue"), f"queue '{queue}' is not a review queue ({facts.kind}): rules route "
                             "to review queues, and moderators escalate from there")
            else:
                found["queue"] = queue
        if "priority" in then:
            found["priority"] = self.whole(where("priority"), "priority", then["priority"], -MAX_PRIORITY,
                                           MAX_PRIORITY)
        if "severity" in then:
            severity = then["severity"]
            if severity in SEVERITIES:
                found["severity"] = severity
            else:
                self.problem(where("severity"), f"severity {_show(severity)} is not one of {', '.join(SEVERITIES)}")
        action = then.get("action")
        labels = then.get("labels", [])
        automated = then.get("automated", False)
        if not isinstance(automated, bool):
            self.problem(where("automated"), f"automated must be true or false, not {_show(automated)}")
            automated = False
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            self.problem(where("labels"), f"labels must be a list of label ids, not {_show(labels)}")
            labels = []
        for label in labels:
            if policy is not None and (unknown := label_problem(label, policy)) is not None:
                self.problem(where("labels"), unknown)
        if action is None:
            if labels or "labels" in then:
                self.problem(where("labels"), "labels need an action: add action = \"…\"")
            if automated:
                self.problem(where("automated"), "automated = true needs an action to decide: add action = \"…\"")
            return found
        if not isinstance(action, str):
            self.problem(where("action"), f"action must be an action's id, not {_show(action)}")
        elif policy is not None and (wrong := action_problem(action, bool(labels), automated, policy)) is not None:
            self.problem(where(wrong[0]), wrong[1])
        else:
            found.update(action=action, labels=tuple(dict.fromkeys(labels)), automated=automated)
        return found

    def texts(self, line: int, key: str, value: Any) -> list[str] | None:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            self.problem(line, f"{key} must be text or a list of texts, like {key} = [\"a\", \"b\"], not "
                         f"{_show(value)}")
            return None
        return [v.strip() for v in values]

    def whole(self, line: int, key: str, value: Any, low: int, high: int) -> int | None:
        if type(value) is not int or not low <= value <= high:
            self.problem(line, f"{key} must be a whole number from {low:,} to {high:,}, not {_show(value)}")
            return None
        return value

    def scores(self, line: int, value: Any) -> tuple[tuple[str, float], ...]:
        if not isinstance(value, dict) or not value:
            self.problem(line, f"score must name classifier scores with their least value, like "
                         f"score.classifier_score = 0.9, not {_show(value)}")
            return ()
        found = []
        for name, least in value.items():
            if isinstance(least, bool) or not isinstance(least, (int, float)) or not math.isfinite(least):
                self.problem(line, f"score.{name} must be a number (the least score that matches), not {_show(least)}")
            else:
                found.append((name, float(least)))
        return tuple(found)


def label_problem(label: str, policy: Taxonomy) -> str | None:
    """Why *policy* has no label *label* (with the nearest or every label id), or None when it has."""
    label_ids = [lb.id for lb in policy.labels]
    return None if label in label_ids else _unknown(label, label_ids, "label", "labels")


def action_problem(action: str, labelled: bool, automated: bool, policy: Taxonomy) -> tuple[str, str] | None:
    """Why *policy* refuses a rule's decision by *action* (the field to blame, the reason), or None when it fits.

    Checked when a version is applied, and again by intake against the taxonomy of the day (:func:`stale`): an
    action removed since, or changed to escalate or to need a label or a note, must not be decided blindly.
    """
    known = {a.id: a for a in policy.actions}
    chosen = known.get(action)
    if chosen is None:
        return "action", _unknown(action, list(known), "action", "actions")
    if chosen.escalates:
        return "action", f"action '{action}' sends the item to a lead: route it with queue = \"…\" instead"
    if chosen.requires_label and not labelled:
        return "action", f"action '{action}' needs at least one label: add labels = [\"…\"]"
    if chosen.requires_note and automated:
        return "automated", (f"action '{action}' needs a note, which automation cannot write: make it a "
                             "suggestion (automated = false)")
    return None


def stale(rule: Rule, policy: Taxonomy) -> str | None:
    """Why *rule*'s decision no longer fits *policy* (its first problem), or None: no decision, or one that fits."""
    if rule.action is None:
        return None
    unknown = [found for label in rule.labels if (found := label_problem(label, policy)) is not None]
    if unknown:
        return unknown[0]
    wrong = action_problem(rule.action, bool(rule.labels), rule.automated, policy)
    return None if wrong is None else wrong[1]


def describe(rule: Rule) -> str:
    """What a rule does, in words (the page's and the CLI's one-line summary)."""
    effects = [f"to {rule.queue}"] if rule.queue else []
    effects += [f"priority {rule.priority}"] if rule.priority is not None else []
    effects += [f"severity {rule.severity}"] if rule.severity else []
    if rule.action:
        labelled = f" ({', '.join(rule.labels)})" if rule.labels else ""
        effects.append(f"{'decides' if rule.automated else 'suggests'} {rule.action}{labelled}")
    return ", ".join(effects) or "leaves the item as it is"
