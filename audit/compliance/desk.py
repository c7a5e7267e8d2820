"""The lead's Statements page, Qt-free: what it shows, each a read on a reader connection.

One job: gather the mapping with everything it maps (the policy's labels
and actions, the item kinds, the report sources items carry), the
decisions whose statement can be previewed, and one decision's statement
with its text for the person and what the database would refuse. The
page's writes are :func:`audit.compliance.mapping.save`; its period check
is :func:`audit.compliance.export.check_period`. A lead's (NotAllowed
otherwise), like the command.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.compliance import mapping, rules
from audit.compliance.statements import compose, entry_for, text_for_user
from audit.store import statements as statement_rows
from review.store import Store, User
from review.store.schema import ITEM_KINDS
from review.taxonomy import stored

#: How far back the preview's list of decisions reaches, and how many it shows.
PREVIEW_DAYS, PREVIEW_MAX = 30, 300


@dataclass(frozen=True)
class MappingView:
    mapping: dict[str, Any]
    labels: list[tuple[str, str]]  # (id, name) of the policy's labels
    actions: list[tuple[str, str]]  # (id, name) of the policy's actions
    kinds: list[str]
    sources: list[str]  # the report sources the mapping names or recent items carry, then "default"
    decisions: list[tuple[int, str]]  # (id, "#12 remove (spam) on 2026-01-04, item demo-00012"): restricting first


@dataclass(frozen=True)
class Preview:
    statement: dict[str, Any] | None  # None: the decision restricts nothing
    text: str
    refused: list[tuple[str, str, str]]  # (field, reason, mapping entry to fix)


def load(reader: Store, lead: User | str) -> MappingView:
    roles.require(reader, lead, "lead", to="see the statements mapping")
    policy = stored.organisation(reader)
    current = mapping.current(reader)
    since = _dt.datetime.fromisoformat(reader.now().replace("Z", "+00:00")) - _dt.timedelta(days=PREVIEW_DAYS)
    start = since.strftime("%Y-%m-%dT%H:%M:%S")
    carried = (source.strip() or mapping.DEFAULT_SOURCE for source in statement_rows.sources_between(reader, start,
                                                                                                    "9999"))
    sources = list(dict.fromkeys([*current.get("sources", {}), *carried]))
    sources = [s for s in sources if s != mapping.DEFAULT_SOURCE] + [mapping.DEFAULT_SOURCE]
    workspace = statement_rows.workspace_token(reader)
    latest = sorted(statement_rows.latest_between(reader, start, "9999", PREVIEW_MAX),
                    key=lambda f: (compose(current, f, workspace, policy) is None, -f.id))
    shown = [(f.id, f"#{f.id} {f.action}" + (f" ({', '.join(f.labels)})" if f.labels else "")
              + f" on {f.decided_at[:10]}, item {f.external_id}") for f in latest]
    return MappingView(current, [(lb.id, lb.name) for lb in policy.labels], [(a.id, a.name) for a in policy.actions],
                       list(ITEM_KINDS), sources, shown)


def preview(reader: Store, lead: User | str, decision_id: int, draft: dict[str, Any] | None = None) -> Preview:
    """Decision *decision_id*'s statement under *draft* (the page's unsaved mapping) or the stored mapping."""
    roles.require(reader, lead, "lead", to="preview statements of reasons")
    facts = statement_rows.decision(reader, decision_id)
    if facts is None:
        raise KeyError(f"no decision with id {decision_id}")
    the_mapping = draft if draft is not None else mapping.current(reader)
    statement = compose(the_mapping, facts, statement_rows.workspace_token(reader), stored.organisation(reader))
    if statement is None:
        return Preview(None, f"Decision #{decision_id} ({facts.action}) restricts nothing: no statement.", [])
    refused = [(p.field, p.reason, entry_for(p.field, facts, the_mapping)) for p in rules.problems(statement)]
    return Preview(statement, text_for_user(statement), refused)
