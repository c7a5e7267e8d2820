"""A decision's DSA statement of reasons: built from the mapping, checked, and said to the person it concerns.

One job: turn one decision (``audit.store.statements.DecisionFacts``) into
the database's JSON shape (:func:`compose`, :func:`build`), name the mapping
entry behind each refused field (:func:`entry_for`), and write the Art. 17
text the person receives (:func:`text_for_user`, :func:`statement_preview`
for the decision summary before a restricting decision is committed).

Where each field comes from is in docs/statements.md. Nothing personal is
read: no reviewer, no note, no reporter; the facts and explanation are the
label's templates filled with the label's and action's names, the kind of
content, the date and the ground.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from audit.compliance import enums, mapping, puid, rules
from audit.store import statements as statement_rows
from audit.store.statements import DecisionFacts
from review import auth
from review.store import Store, User
from review.store import automation as automation_rows
from review.taxonomy import Taxonomy, stored

#: Decisions with these sources were taken by a rule, not a person (``deciders.rule``): an imported rule's, and
#: Veil's own automation's (``review.store.automation.SOURCE``: a routing rule's or a hash list's decision).
RULE_SOURCES = ("rule", automation_rows.SOURCE)
_CONTENT_WORDS = {"image": "image", "video": "video", "text": "text post", "mixed": "post with media"}


def compose(the_mapping: dict[str, Any], facts: DecisionFacts, workspace: str,
            policy: Taxonomy | None = None) -> dict[str, Any] | None:
    """The statement of *facts* under *the_mapping*, or None when its action restricts nothing.

    What the mapping lacks is left out, so :func:`rules.problems` names the
    field and :func:`entry_for` the entry to fill in.
    """
    actions = the_mapping.get("actions", {})
    action = actions.get(facts.action)
    if action is not None and not any(action.get(k) for k in rules.RESTRICTIONS):
        return None
    statement: dict[str, Any] = {}
    for name in mapping.ACTION_FIELDS:
        if action and action.get(name):
            statement[name] = action[name]
    labels = [the_mapping.get("labels", {}).get(label) for label in facts.labels]
    first = labels[0] if labels else None
    application = facts.decided_at[:10]
    if first:
        statement["category"] = first["category"]
        additions = list(dict.fromkeys(
            [*first.get("category_addition", []), *(e["category"] for e in labels[1:] if e)]))
        additions = [c for c in additions if c != first["category"]]
        if additions:
            statement["category_addition"] = additions
        keywords = list(dict.fromkeys(k for e in labels if e for k in e.get("category_specification", [])))
        if keywords:
            statement["category_specification"] = keywords
        if first.get("category_specification_other"):
            statement["category_specification_other"] = first["category_specification_other"]
        ground = first["decision_ground"]
        statement["decision_ground"] = ground
        if first.get("reference_url"):
            statement["decision_ground_reference_url"] = first["reference_url"]
        words = {"label": _label_name(policy, facts.labels[0]), "action": _action_name(policy, facts.action),
                 "content": _CONTENT_WORDS.get(facts.kind, "content"), "date": application, "ground": first["ground"]}
        explanation = first["explanation"].format(**words)
        if ground == rules.ILLEGAL:
            statement["illegal_content_legal_ground"] = first["ground"]
            statement["illegal_content_explanation"] = explanation
        else:
            statement["incompatible_content_ground"] = first["ground"]
            statement["incompatible_content_explanation"] = explanation
            if first.get("content_illegal"):
                statement["incompatible_content_illegal"] = first["content_illegal"]
        statement["decision_facts"] = first["facts"].format(**words)
    kind = the_mapping.get("kinds", {}).get(facts.kind)
    if kind:
        statement["content_type"] = kind["content_type"]
        if kind.get("content_type_other"):
            statement["content_type_other"] = kind["content_type_other"]
    platform = the_mapping.get("platform", {})
    if platform.get("territorial_scope"):
        statement["territorial_scope"] = platform["territorial_scope"]
    language = str(facts.metadata.get("language", "")).upper()
    language = language if language in enums.ALL_LANGUAGES else platform.get("content_language")
    if language:
        statement["content_language"] = language
    statement["content_date"] = content_date(facts)
    statement["application_date"] = application
    source = _source_entry(the_mapping, facts)
    if source:
        statement["source_type"] = source["source_type"]
        statement["automated_detection"] = source["automated_detection"]
    decider = the_mapping.get("deciders", {}).get(decided_by(facts))
    if decider:
        statement["automated_decision"] = decider
    statement["puid"] = puid.make(workspace, facts.id)
    return statement


def build(store: Store, decision: DecisionFacts | int) -> dict[str, Any] | None:
    """The statement of *decision* (its facts, or its id) under the organisation's mapping; None if it restricts
    nothing (KeyError for an unknown decision id)."""
    facts = statement_rows.decision(store, decision) if isinstance(decision, int) else decision
    if facts is None:
        raise KeyError(f"no decision with id {decision}")
    return compose(mapping.current(store), facts, statement_rows.workspace_token(store), stored.organisation(store))


def content_date(facts: DecisionFacts) -> str:
    """When the content was posted: the item's ``posted_at`` when it is a date, else when it was reported
    (the latest the content can have been posted)."""
    posted = str(facts.metadata.get("posted_at", ""))[:10]
    try:
        _dt.date.fromisoformat(posted)
        return posted
    except ValueError:
        return facts.received_at[:10]


def decided_by(facts: DecisionFacts) -> str:
    return "rule" if facts.decided_by in RULE_SOURCES else "person"


def report_source(facts: DecisionFacts) -> str:
    """The item's report source as the mapping names it (its metadata ``source``)."""
    return str(facts.metadata.get("source", "")).strip() or mapping.DEFAULT_SOURCE


def _source_entry(the_mapping: dict[str, Any], facts: DecisionFacts) -> dict[str, Any] | None:
    sources = the_mapping.get("sources", {})
    found: dict[str, Any] | None = sources.get(report_source(facts), sources.get(mapping.DEFAULT_SOURCE))
    return found


def entry_for(field: str, facts: DecisionFacts, the_mapping: dict[str, Any]) -> str:
    """The mapping entry a lead fixes for a refused *field* of *facts*' statement (``labels.hate_speech``)."""
    label = f"labels.{facts.labels[0]}" if facts.labels else "labels (the decision has no label)"
    if field.startswith(("decision_visibility", "decision_monetary", "decision_provision", "decision_account")):
        return f"actions.{facts.action}"
    if field.startswith(("category", "decision_ground", "illegal_content", "incompatible_content", "decision_facts")):
        return label
    if field.startswith("content_type"):
        return f"kinds.{facts.kind}"
    if field in ("source_type", "automated_detection"):
        name = report_source(facts)
        return f"sources.{name if name in the_mapping.get('sources', {}) else mapping.DEFAULT_SOURCE}"
    if field == "automated_decision":
        return f"deciders.{decided_by(facts)}"
    if field in ("territorial_scope", "content_language"):
        return "platform"
    return f"Veil ({field} comes from the decision itself)"


def _label_name(policy: Taxonomy | None, label: str) -> str:
    try:
        return policy.label(label).name if policy else label
    except KeyError:
        return label


def _action_name(policy: Taxonomy | None, action: str) -> str:
    try:
        return policy.action(action).name if policy else action
    except KeyError:
        return action


# ------------------------------------------------------------ for the person
_REDRESS = ("You can contest this decision: through our internal complaint-handling system (Art. 20 DSA), "
            "before a certified out-of-court dispute settlement body (Art. 21 DSA), or before a court.")


def text_for_user(statement: dict[str, Any]) -> str:
    """The statement of reasons as the person it concerns reads it (Art. 17(3) DSA): what was restricted and
    from when, on what facts, on which ground, whether automated means were used, and how to contest it."""
    restrictions = [enums.DECISION_VISIBILITIES[v] for v in statement.get("decision_visibility", [])
                    if v in enums.DECISION_VISIBILITIES]
    for name, values in (("decision_monetary", enums.DECISION_MONETARIES),
                         ("decision_provision", enums.DECISION_PROVISIONS),
                         ("decision_account", enums.DECISION_ACCOUNTS)):
        if statement.get(name) in values:
            restrictions.append(values[statement[name]])
    for other in ("decision_visibility_other", "decision_monetary_other"):
        if statement.get(other):
            restrictions.append(statement[other])
    lines = [f"Statement of reasons (reference {statement.get('puid', '-')})", "",
             f"What we decided on {statement.get('application_date', '-')}: "
             + ("; ".join(restrictions) if restrictions else "-") + ".",
             "", "The facts: " + str(statement.get("decision_facts", "-")), ""]
    if statement.get("decision_ground") == rules.ILLEGAL:
        lines += [f"Why: we consider the content illegal under {statement.get('illegal_content_legal_ground', '-')}.",
                  str(statement.get("illegal_content_explanation", ""))]
    else:
        illegal = " We also consider it illegal." if statement.get("incompatible_content_illegal") == "Yes" else ""
        lines += [f"Why: the content is incompatible with our terms and conditions "
                  f"({statement.get('incompatible_content_ground', '-')}).{illegal}",
                  str(statement.get("incompatible_content_explanation", ""))]
    if statement.get("decision_ground_reference_url"):
        lines.append(f"The rule we relied on: {statement['decision_ground_reference_url']}")
    category = enums.STATEMENT_CATEGORIES.get(statement.get("category", ""), "-")
    lines += ["", f"Category: {category}.",
              f"How it came to us: {enums.SOURCE_TYPES.get(statement.get('source_type', ''), '-')}.",
              "Automated means: detection " + ("used" if statement.get("automated_detection") == "Yes" else "not used")
              + "; decision " + enums.AUTOMATED_DECISIONS.get(statement.get("automated_decision", ""), "-").lower()
              + ".", "", _REDRESS]
    return "\n".join(lines)


def statement_preview(store: Store, user: User | str, item_id: int, action: str, labels: Sequence[str]) -> str | None:
    """The text the person would receive if *user* decided *action* with *labels* on *item_id* now; None when
    the action restricts nothing. A statement the database would refuse says so, with the entry to fix."""
    auth.active_person(store, user)
    found = statement_rows.item(store, item_id)
    if found is None:
        raise KeyError(f"no item with id {item_id}")
    external_id, kind, received_at, metadata = found
    facts = DecisionFacts(0, item_id, external_id, action, tuple(labels), store.now(), "review", kind, received_at,
                          metadata)
    the_mapping = mapping.current(store)
    statement = compose(the_mapping, facts, statement_rows.workspace_token(store), stored.organisation(store))
    if statement is None:
        return None
    statement["puid"] = "(given when the decision is recorded)"
    refused = [p for p in rules.problems(statement) if p.field != "puid"]
    text = text_for_user(statement)
    if refused:
        text += "\n\nThe Transparency Database would refuse this statement: " + "; ".join(
            f"{p.field}: {p.reason} (fix {entry_for(p.field, facts, the_mapping)})" for p in refused)
    return text
