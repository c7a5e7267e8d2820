"""Issue 22: a period check of a million decisions is exact, cheap, chunked, cancellable and says how far it is."""

from __future__ import annotations

import json
import random

import pytest

from audit.compliance import export, mapping, rules
from audit.compliance.statements import compose, entry_for
from audit.store import statements as statement_rows
from desktop import demo as demo_workspace
from desktop.demo import statements as demo_statements
from review.taxonomy import stored

WHOLE = ("2020-01-01", "2037-12-31")


def _old_check(store, start, end):
    """The check as it was before issue 22: every decision of the period composed and checked one by one."""
    the_mapping, policy = mapping.current(store), stored.organisation(store)
    workspace = statement_rows.workspace_token(store)
    checked = export.Checked()
    for facts in statement_rows.decisions_between(store, *export.period(start, end)):
        checked.decisions += 1
        statement = compose(the_mapping, facts, workspace, policy)
        if statement is None:
            continue
        checked.restricting += 1
        found = rules.problems(statement)
        if found:
            checked.refused += [export.Refusal(facts.id, facts.external_id, p.field, p.reason,
                                               entry_for(p.field, facts, the_mapping)) for p in found]
        else:
            checked.accepted.append((facts.id, statement))
    return checked


def _randomly_mapped(seed):
    """The demo mapping with random holes: labels, kinds and sources left out, actions that restrict nothing."""
    chance = random.Random(seed)
    value = json.loads(json.dumps(demo_statements.DEMO_MAPPING))
    for part in ("labels", "kinds", "sources"):
        for key in list(value[part]):
            if chance.random() < 0.3:
                del value[part][key]
    for key in [k for k in value["actions"] if k != "remove"]:  # removing always restricts: something to check
        if chance.random() < 0.3:
            value["actions"][key] = {}
    if chance.random() < 0.5:
        value["platform"].pop("content_language", None)
    return value


@pytest.fixture
def demo(store, tmp_path):
    demo_workspace.create(store, tmp_path / "media", items=150, seed=11)
    demo_statements.install(store)
    return store


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_check_gives_exactly_what_checking_each_decision_gave(demo, seed):
    mapping.save(demo, "lee", _randomly_mapped(seed))
    chance = random.Random(seed)
    days = sorted(chance.sample(range(1, 28), 2))
    for start, end in (WHOLE, (f"2026-{chance.randint(1, 12):02d}-{days[0]:02d}",
                               f"2026-{chance.randint(1, 12):02d}-{days[1]:02d}")):
        if end < start:
            start, end = end, start
        old, new = _old_check(demo, start, end), export.check_period(demo, "lee", start, end)
        assert (new.accepted, new.refused, new.restricting, new.decisions) == (
            old.accepted, old.refused, old.restricting, old.decisions)
        counted = export.check_period(demo, "lee", start, end, keep_accepted=False)
        assert counted.accepted == [] and counted.accepted_count == len(old.accepted)
        assert counted.refused == old.refused
    whole = _old_check(demo, *WHOLE)
    assert whole.restricting > 0 and (whole.refused or seed != 1)


def test_decisions_whose_action_restricts_nothing_are_never_read(demo, monkeypatch):
    read = []
    real = statement_rows._facts
    monkeypatch.setattr(statement_rows, "_facts", lambda row: read.append(real(row)) or read[-1])
    checked = export.check_period(demo, "lee", *WHOLE)
    assert checked.decisions > len(read) == checked.restricting
    assert not {f.action for f in read} & {"no_violation", "escalate"}


def test_the_check_reports_progress_a_chunk_at_a_time(demo, monkeypatch):
    monkeypatch.setattr(export, "CHECK_CHUNK", 7)
    seen: list[tuple[int, int]] = []
    checked = export.check_period(demo, "lee", *WHOLE, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 3 and seen[-1] == (checked.restricting, checked.restricting)
    assert all(b[0] - a[0] == 7 for a, b in zip(seen, seen[1:-1], strict=False)) and seen[0][0] == 7
    assert {total for _, total in seen} == {checked.restricting}


def test_a_cancelled_check_stops_within_one_chunk(demo, monkeypatch):
    monkeypatch.setattr(export, "CHECK_CHUNK", 5)
    seen: list[int] = []
    stop = {"now": False}

    def progress(done, total):
        seen.append(done)
        stop["now"] = len(seen) == 2

    with pytest.raises(export.CheckCancelled):
        export.check_period(demo, "lee", *WHOLE, progress=progress, cancelled=lambda: stop["now"])
    assert seen == [5, 10]
    with pytest.raises(export.CheckCancelled):
        export.check_period(demo, "lee", *WHOLE, progress=seen.append, cancelled=lambda: True)
