"""``veil statements export``: a period's statements of reasons as the database's batch files, checked first.

One job: the export. A lead's (NotAllowed otherwise). Every live decision
of the period whose action restricts something gets a statement; each is
checked with the database's rules (``audit.compliance.rules``) and a refused
one is listed with its field, the reason and the mapping entry to fix, and
written nowhere. Accepted ones go into files of at most 100 statements
(``{"statements": [...]}``, the body of ``POST /api/v1/statements``),
staged under temporary names and renamed into place only once
``dsa_statements`` and the ``statements.exported`` event are stored, so a
file never appears half written and never without its record. A decision
already exported is left out unless *again*.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import roles
from audit.compliance import mapping, puid, rules
from audit.compliance.statements import compose, content_date, decided_by, entry_for, report_source
from audit.exports import Staged
from audit.store import statements as statement_rows
from audit.store.statements import DecisionFacts
from review.errors import VeilError
from review.store import Store, User
from review.taxonomy import Taxonomy, stored


class StatementsError(VeilError, ValueError):
    """An export that cannot run as asked (a bad period, an output that is not a folder)."""


@dataclass(frozen=True)
class Refusal:
    """A statement the database would refuse: whose decision, which field, why, and the mapping entry to fix."""

    decision_id: int
    external_id: str
    field: str
    reason: str
    entry: str

    def as_json(self) -> dict[str, Any]:
        return {"decision": self.decision_id, "item": self.external_id, "field": self.field, "reason": self.reason,
                "fix": self.entry}


@dataclass
class Checked:
    """A period's statements, built and checked: (decision id, puid, statement) accepted, and the refusals."""

    accepted: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    restricting: int = 0  # decisions of the period that restrict something
    decisions: int = 0
    accepted_count: int = 0  # len(accepted), also when the check kept none (``keep_accepted=False``)


@dataclass(frozen=True)
class ExportSummary:
    files: list[str]
    statements: int
    refused: list[Refusal]
    already_exported: int

    @property
    def refused_statements(self) -> int:
        """How many statements were refused (each may have several refusals, one per field)."""
        return len({r.decision_id for r in self.refused})

    def as_json(self) -> dict[str, Any]:
        return {"files": self.files, "statements": self.statements, "refused": self.refused_statements,
                "already_exported": self.already_exported, "refusals": [r.as_json() for r in self.refused]}


BATCH = rules.BATCH_MAX


def period(start: str, end: str) -> tuple[str, str]:
    """[start, end) ISO times of the days *start* to *end* (both YYYY-MM-DD, inclusive)."""
    try:
        first, last = _dt.date.fromisoformat(start), _dt.date.fromisoformat(end)
    except ValueError:
        raise StatementsError(f"write the period's days as YYYY-MM-DD (got {start!r} and {end!r})") from None
    if last < first:
        raise StatementsError(f"the period ends ({end}) before it starts ({start})")
    return f"{first.isoformat()}T00:00:00", f"{(last + _dt.timedelta(days=1)).isoformat()}T00:00:00"


#: Decisions a check reads, composes and checks between two looks at *cancelled* (and reports of progress).
CHECK_CHUNK = 2000


class CheckCancelled(VeilError):
    """The period check was cancelled (the page was left, or the period changed) before it finished."""


class _Composed:
    """:func:`compose` and :func:`rules.problems` once per distinct set of facts a statement is built from.

    A period's decisions share a handful of actions, labels, kinds, days and
    sources, and composing and checking is most of a check's time. A
    statement differs from another with the same facts only in its puid,
    which :func:`puid.make` always makes valid (letters, digits and dashes),
    so the cached problems hold for every decision with those facts.
    """

    def __init__(self, the_mapping: dict[str, Any], workspace: str, policy: Taxonomy) -> None:
        self.the_mapping, self.workspace, self.policy = the_mapping, workspace, policy
        self.seen: dict[tuple[Any, ...], tuple[dict[str, Any] | None, list[rules.Problem]]] = {}

    def of(self, facts: DecisionFacts) -> tuple[dict[str, Any] | None, list[rules.Problem]]:
        """*facts*' statement (its own dict, with its puid) and what the database would refuse in it."""
        key = (facts.action, facts.labels, facts.decided_at[:10], facts.kind,
               str(facts.metadata.get("language", "")).upper(), content_date(facts), report_source(facts),
               decided_by(facts))
        known = self.seen.get(key)
        if known is None:
            statement = compose(self.the_mapping, facts, self.workspace, self.policy)
            known = self.seen[key] = (statement, rules.problems(statement) if statement is not None else [])
        template, found = known
        if template is None:
            return None, []
        return {**template, "puid": puid.make(self.workspace, facts.id)}, found


def check_period(store: Store, who: User | str, start: str, end: str, *, keep_accepted: bool = True,
                 progress: Callable[[int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Checked:
    """Build and check every statement of the days *start* to *end* (a lead's).

    Read CHECK_CHUNK decisions at a time, so a check of a million decisions
    reports *progress* (decisions done, of how many), stops with
    CheckCancelled within a chunk of *cancelled* turning true, and gives the
    interpreter up between chunks (the GUI thread waits on it). Decisions
    whose mapped action restricts nothing are counted in SQL and never read:
    :func:`compose` gives them no statement. Without *keep_accepted* (the
    page, which shows counts and refusals) accepted statements are counted,
    not kept.
    """
    roles.require(store, who, "lead", to="see statements of reasons")
    the_mapping, policy = mapping.current(store), stored.organisation(store)
    workspace = statement_rows.workspace_token(store)
    first, last = period(start, end)
    restricting_nothing = [name for name, entry in the_mapping.get("actions", {}).items()
                           if not any(entry.get(k) for k in rules.RESTRICTIONS)]
    checked = Checked(decisions=statement_rows.count_between(store, first, last))
    to_read = statement_rows.count_between(store, first, last, leaving_out=restricting_nothing)
    composed = _Composed(the_mapping, workspace, policy)
    done = 0
    if cancelled is not None and cancelled():
        raise CheckCancelled("the period check was cancelled")
    for chunk in statement_rows.decision_chunks(store, first, last, leaving_out=restricting_nothing,
                                                size=CHECK_CHUNK):
        for facts in chunk:
            statement, found = composed.of(facts)
            if statement is None:
                continue
            checked.restricting += 1
            if found:
                checked.refused += [Refusal(facts.id, facts.external_id, p.field, p.reason,
                                            entry_for(p.field, facts, the_mapping)) for p in found]
            else:
                checked.accepted_count += 1
                if keep_accepted:
                    checked.accepted.append((facts.id, statement))
        done += len(chunk)
        if progress is not None:
            progress(done, max(done, to_read))
        if cancelled is not None and cancelled():
            raise CheckCancelled("the period check was cancelled")
        time.sleep(0)  # let a waiting thread (the GUI's) take the interpreter between chunks
    return checked


def export(store: Store, who: User | str, start: str, end: str, out: str | Path, *, again: bool = False,
           progress: Callable[[int, int], None] | None = None) -> ExportSummary:
    """Write the period's accepted statements not exported yet (all with *again*) into *out*, a folder, made
    (readable by its owner alone: statements describe people's content) when missing."""
    lead = roles.require(store, who, "lead", to="export statements of reasons")
    folder = Path(out).expanduser()
    checked = check_period(store, lead, start, end)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise StatementsError(f"{out} is not a folder (the export writes one file per 100 statements)") from None
    except OSError as exc:
        raise StatementsError(f"cannot make the folder {out}: {exc.strerror}") from None
    done = statement_rows.exported(store, [d for d, _ in checked.accepted])
    todo = checked.accepted if again else [(d, s) for d, s in checked.accepted if d not in done]
    already = 0 if again else len(checked.accepted) - len(todo)
    stamp = store.now()[:19].replace(":", "").replace("-", "")
    staged: list[Staged] = []
    written: list[tuple[int, str, str, str]] = []
    try:
        for number, begin in enumerate(range(0, len(todo), BATCH), start=1):
            batch = todo[begin:begin + BATCH]
            name = f"statements-{start}-{end}-{stamp}-{number:03d}.json"
            files = Staged(folder / name)
            staged.append(files)
            with open(files.path, "w", encoding="utf-8") as handle:
                json.dump({"statements": [s for _, s in batch]}, handle, ensure_ascii=False, indent=1)
            written += [(d, s["puid"], json.dumps(s, ensure_ascii=False, sort_keys=True), name) for d, s in batch]
            if progress is not None:
                progress(begin + len(batch), len(todo))
        names = [folder.joinpath(f"statements-{start}-{end}-{stamp}-{n:03d}.json").name
                 for n in range(1, len(staged) + 1)]
        statement_rows.record_export(store, lead.name, written, {
            "from": start, "to": end, "files": names, "statements": len(written), "refused": len(checked.refused),
            "already_exported": already, "again": again})
    except BaseException:
        for files in staged:
            files.discard()
        raise
    for files in staged:
        files.publish()
    return ExportSummary([str(folder / n) for n in names], len(written), checked.refused, already)
