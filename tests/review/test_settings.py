"""The settings registry: declared once, read with their default, written with rights, checks and an event."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from review import settings
from review.errors import NotAllowed
from review.settings import ORGANISATION, PERSON, SELF, SYSTEM, SettingError
from review.store import SYSTEM_ACTOR

ROOT = Path(__file__).resolve().parents[2]


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be above zero")
    return value


LIMIT = settings.declare("test.limit", ORGANISATION, int, 5, changed_by="lead", describe="A test limit.",
                         check=_positive)
TASTE = settings.declare("test.taste", PERSON, str, "calm", changed_by=SELF, describe="A test preference.")
TOKEN = settings.declare("test.token", ORGANISATION, str, "", changed_by=SYSTEM, describe="A test secret.",
                         secret=True)


@pytest.fixture
def people(store):
    return {name: store.add_user(name, roles) for name, roles in
            {"ana": ["moderator"], "ben": ["moderator"], "lee": ["lead"]}.items()}


def _setting_events(store):
    rows = store.db.execute("SELECT actor, subject, payload FROM events WHERE kind = 'setting.changed' ORDER BY id")
    return [(actor, subject, json.loads(payload)) for actor, subject, payload in rows]


def test_a_setting_reads_its_default_until_written(store, people):
    assert settings.read(store, LIMIT) == 5
    assert settings.read(store, TASTE, user=people["ana"]) == "calm"


def test_a_lead_changes_an_organisation_setting_and_the_event_keeps_old_and_new(store, people):
    settings.write(store, people["lee"], LIMIT, 8)
    settings.write(store, people["lee"], LIMIT, 9)
    assert settings.read(store, LIMIT) == 9
    assert _setting_events(store) == [
        ("lee", "setting:0:test.limit", {"old": None, "value": 8}),
        ("lee", "setting:0:test.limit", {"old": 8, "value": 9}),
    ]


def test_a_moderator_cannot_change_an_organisation_setting(store, people):
    with pytest.raises(NotAllowed, match="ana is not a lead"):
        settings.write(store, people["ana"], LIMIT, 8)
    assert settings.read(store, LIMIT) == 5
    assert _setting_events(store) == []


def test_a_value_of_the_wrong_type_or_failing_its_check_is_refused(store, people):
    with pytest.raises(SettingError, match="takes a int"):
        settings.write(store, people["lee"], LIMIT, "8")
    with pytest.raises(SettingError, match="must be above zero"):
        settings.write(store, people["lee"], LIMIT, 0)
    assert settings.read(store, LIMIT) == 5


def test_a_personal_setting_is_each_persons_own(store, people):
    settings.write(store, people["ana"], TASTE, "bright")
    assert settings.read(store, TASTE, user=people["ana"]) == "bright"
    assert settings.read(store, TASTE, user=people["ben"]) == "calm"
    with pytest.raises(NotAllowed, match="another person"):
        settings.write(store, people["ben"], TASTE, "loud", user=people["ana"])


def test_a_system_setting_is_written_only_by_veil_and_a_secret_is_never_logged(store, people):
    with pytest.raises(NotAllowed):
        settings.write(store, people["lee"], TOKEN, "abc")
    settings.write(store, SYSTEM_ACTOR, TOKEN, "abc")
    assert settings.read(store, TOKEN) == "abc"
    assert _setting_events(store) == [("system", "setting:0:test.token", {"secret": True})]


def test_declaring_a_setting_twice_is_refused():
    with pytest.raises(RuntimeError, match="declared twice"):
        settings.declare("test.limit", ORGANISATION, int, 1, changed_by="lead", describe="again")


def test_the_registry_lists_every_setting_the_product_uses():
    """No key is read or written behind the registry's back: every ``store.setting`` call is in the registry."""
    callers = sorted(
        str(path.relative_to(ROOT))
        for package in ("desktop", "ui", "review", "audit")
        for path in (ROOT / package).rglob("*.py")
        if str(path.relative_to(ROOT)) not in {"review/settings.py", "review/store/__init__.py"}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"setting", "set_setting"}
    )
    assert callers == []
    from desktop.commands.settings import declare_all

    declare_all(personal=True)  # the CLI's list of declaring modules: a module missing there fails here

    keys = {(s.scope, s.key) for s in settings.declared() if not s.key.startswith("test.")}
    assert keys == {
        ("organisation", "view"), ("person", "view"), ("person", "theme"), ("organisation", "view.severity"),
        ("organisation", "wellbeing"), ("person", "keys"), ("organisation", "exports.pseudonym_secret"),
        ("organisation", "workspace.demo"), ("organisation", "workspace.demo.info"), ("organisation", "taxonomy"),
        ("organisation", "report.accuracy_target"),
        ("organisation", "rotation"), ("organisation", "shrinkage"), ("organisation", "targets"),
        ("organisation", "cost.per_hour"), ("organisation", "statements.mapping"),
        ("organisation", "training.success_attempts"), ("organisation", "pdq_threshold"),
        ("organisation", "automation_floor"), ("organisation", "automation_min_audits"),
    }


def test_who_changed_a_setting_is_read_from_its_changes_alone(store):
    """Opening a settings page read who last changed each setting by scanning every event (2.8 s at 500,000
    events: claims and decisions); the settings' changes have an index of their own (step m035)."""
    from review.store import setting_changes

    lee = store.add_user("lee", ["lead"])
    settings.write(store, lee, LIMIT, 8)
    with store.transaction():
        for n in range(30):  # every other event: claims and decisions
            store.log("lee", "item.claimed", f"item:{n}", {})
    subject = settings.subject(LIMIT)
    assert settings.last_changes(store, [subject])[subject].actor == "lee"
    query = ("SELECT MAX(id) FROM events WHERE " + setting_changes.CHANGED + " AND subject IN (?) GROUP BY subject")
    if store.path is None:  # a server reads a table this small whole unless told not to
        store.db.execute("SET enable_seqscan = off")
        plan = store.db.execute("EXPLAIN " + query, [subject]).fetchall()
        store.db.execute("RESET enable_seqscan")
    else:
        plan = store.db.execute("EXPLAIN QUERY PLAN " + query, [subject]).fetchall()
    assert any("events_setting_changes" in str(row) for row in plan), plan
