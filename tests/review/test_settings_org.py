"""Issue 13 §1: the settings the Settings pages edit — one event per change with old and new, leads only,
stricter-only personal viewing, a checked taxonomy (key bindings need Qt's key parser: tests/ui)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import events, people

from audit import audits
from review import settings, taxonomy
from review.errors import NotAllowed, StoreConflict
from review.media import viewing
from review.media.viewing import ViewSettings
from review.settings import SettingError
from review.store.connection import in_transaction
from review.taxonomy import stored
from review.wellbeing import policy as wellbeing

BROKEN_TOML = """version = 2

[[actions]]
id = "remove"
name = "Remove"
key = "R"

[[labels]]
id = "spam"
name = "Spam"
severity = "awful"
"""


@pytest.fixture
def team(store):
    return people(store, ana="moderator", lee="lead")


def _changes(store):
    return [(e.actor, e.subject, e.payload) for e in events(store) if e.kind in ("setting.changed",
                                                                             "audit.rubric_changed")]


def test_each_organisation_change_is_one_event_with_old_and_new(store, team):
    lee = team["lee"]
    viewing.save_organisation(store, lee, ViewSettings(blur_level=5))
    viewing.save_severity_presets(store, lee, {"high": {"blur_level": 6}})
    wellbeing.save_policy(store, lee, wellbeing.WellbeingPolicy(severe_budget_min=180))
    stored.save(store, lee, stored.read_file(taxonomy_file := _bundled()))
    assert [(actor, subject, payload["old"]) for actor, subject, payload in _changes(store)] == [
        ("lee", "setting:0:view", None), ("lee", "setting:0:view.severity", None),
        ("lee", "setting:0:wellbeing", None), ("lee", "setting:0:taxonomy", None)]
    assert _changes(store)[2][2]["value"]["severe_budget_min"] == 180
    assert _changes(store)[3][2]["value"]["file"] == taxonomy_file.name
    wellbeing.save_policy(store, lee, wellbeing.WellbeingPolicy(severe_budget_min=200))
    last = _changes(store)[-1][2]
    assert (last["old"]["severe_budget_min"], last["value"]["severe_budget_min"]) == (180, 200)


def test_a_rubric_change_is_one_event_with_the_whole_rubric_before_and_after(store, team):
    """Before: the event held only the rows named, never what they replaced."""
    audits.set_rubric(store, "lee", {"error_types": {"wrong_label": 35}, "severity": {"major": 2}})
    (change,) = [e for e in events(store) if e.kind == "audit.rubric_changed"]
    assert change.payload["old"]["error_types"]["wrong_label"] == 20.0
    assert change.payload["value"]["error_types"]["wrong_label"] == 35.0
    assert (change.payload["old"]["severity"]["major"], change.payload["value"]["severity"]["major"]) == (1.0, 2.0)
    assert change.payload["value"]["error_types"]["missed_violation"] == 60.0  # the whole rubric, not only the rows


def test_a_moderator_cannot_write_organisation_settings(store, team):
    ana = team["ana"]
    with pytest.raises(NotAllowed):
        viewing.save_organisation(store, ana, ViewSettings(blur_level=0))
    with pytest.raises(NotAllowed):
        wellbeing.save_policy(store, ana, wellbeing.WellbeingPolicy(severe_budget_min=480))
    with pytest.raises(NotAllowed):
        stored.save(store, ana, stored.read_file(_bundled()))
    with pytest.raises(NotAllowed):
        audits.set_rubric(store, ana, {"error_types": {"wrong_label": 0}})
    assert _changes(store) == []


def test_a_weaker_personal_view_is_refused_and_nothing_is_stored(store, team):
    """Before: a weaker wish was stored as given and only clamped when read."""
    viewing.save_organisation(store, team["lee"], ViewSettings(blur_level=4, grayscale=True, auto_reblur_s=10))
    with pytest.raises(SettingError, match="blur level 2 is below the organisation's 4"):
        viewing.save_personal(store, team["ana"], ViewSettings(blur_level=2))
    with pytest.raises(SettingError, match="greyscale"):
        settings.write(store, team["ana"], viewing.PERSONAL_VIEW, {"grayscale": False})
    with pytest.raises(SettingError, match="re-blur after 30 s is longer"):
        viewing.save_personal(store, team["ana"], ViewSettings(blur_level=5, auto_reblur_s=30))
    assert settings.read(store, viewing.PERSONAL_VIEW, user=team["ana"]) == {}
    applied = viewing.save_personal(store, team["ana"], ViewSettings(blur_level=6, reduced_detail=True,
                                                                     auto_reblur_s=4))
    assert applied == ViewSettings(blur_level=6, grayscale=True, reduced_detail=True, auto_reblur_s=4)
    assert _changes(store)[-1][:2] == ("ana", f"setting:{team['ana'].id}:view")


def test_a_taxonomy_with_an_error_is_refused_with_its_line_and_nothing_is_stored(store, team, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(BROKEN_TOML, encoding="utf-8")
    with pytest.raises(taxonomy.TaxonomyError) as refused:
        stored.save(store, team["lee"], stored.read_file(path))
    assert "policy.toml:11:" in str(refused.value) and "awful" in str(refused.value)
    assert settings.read(store, stored.TAXONOMY) is None and _changes(store) == []


def test_the_stored_taxonomy_is_the_one_every_desk_uses(store, team, tmp_path):
    team_file = tmp_path / "team.toml"
    team_file.write_text(_bundled().read_text(encoding="utf-8").replace("version = 1", "version = 7"),
                         encoding="utf-8")
    assert stored.organisation(store, None).version == 1  # nothing chosen: the bundled default
    assert stored.organisation(store, team_file).version == 7  # the team's file
    chosen = tmp_path / "chosen.toml"
    chosen.write_text(_bundled().read_text(encoding="utf-8").replace("version = 1", "version = 9"),
                      encoding="utf-8")
    stored.save(store, team["lee"], stored.read_file(chosen))
    in_use = stored.organisation(store, team_file)
    assert (in_use.version, in_use.source) == (9, "chosen.toml")


def test_last_changes_say_who_changed_a_setting_and_when(store, team, clock):
    assert settings.last_changes(store, [settings.subject(wellbeing.POLICY), "rubric"]) == {}
    wellbeing.save_policy(store, team["lee"], wellbeing.WellbeingPolicy(severe_budget_min=180))
    clock.advance(60)
    audits.set_rubric(store, "lee", {"severity": {"minor": 0.4}})
    changes = settings.last_changes(store, [settings.subject(wellbeing.POLICY), "rubric"])
    assert changes[settings.subject(wellbeing.POLICY)] == settings.Change("lee", "2026-01-05T09:00:00.000Z")
    assert "rubric" not in changes  # not a setting's change (``setting.changed``): the rubric's rows say who
    assert audits.last_rubric_change(store) == settings.Change("lee", "2026-01-05T09:01:00.000Z")  # from its rows


def _bundled():
    import resources

    return resources.path("taxonomy.toml")


BAD_VIEWS = [
    ({"blur_level": 4.5}, "blur level"),  # broke every image: "list indices must be integers" in preview.blur_sigma
    ({"blur_level": True}, "blur level"),
    ({"blur_level": 99}, "blur level"),
    ({"grayscale": "no"}, "grayscale"),  # was stored, then crashed the page
    ({"reduced_detail": 1}, "reduced_detail"),
    ({"auto_reblur_s": float("nan")}, "re-blur"),  # a reveal that never re-blurs
    ({"auto_reblur_s": float("inf")}, "re-blur"),
    ({"auto_reblur_s": 86400}, "re-blur"),
    ({"auto_reblur_s": "10"}, "re-blur"),
]


@pytest.mark.parametrize(("value", "named"), BAD_VIEWS)
def test_a_viewing_value_of_the_wrong_type_or_out_of_range_is_refused_everywhere(store, team, value, named):
    """Before: only the range of blur_level and the sign of auto_reblur_s were checked."""
    for setting, user, stored_value in ((viewing.ORGANISATION_VIEW, None, value),
                                        (viewing.PERSONAL_VIEW, team["ana"], value),
                                        (viewing.SEVERITY_PRESETS, None, {"severe": value})):
        who = team["lee"] if user is None else user
        with pytest.raises(SettingError, match=named):
            settings.write(store, who, setting, stored_value, user=user)
    assert _changes(store) == []


def test_the_longest_re_blur_is_the_domains(store, team):
    assert viewing.MAX_REBLUR_S == 120
    settings.write(store, team["lee"], viewing.ORGANISATION_VIEW, {"auto_reblur_s": viewing.MAX_REBLUR_S})
    with pytest.raises(SettingError, match="re-blur"):
        settings.write(store, team["lee"], viewing.ORGANISATION_VIEW, {"auto_reblur_s": viewing.MAX_REBLUR_S + 1})


def test_a_huge_taxonomy_file_is_refused_quickly_without_reading_it(tmp_path):
    """Before: read_bytes() read a 2 GB file (or a 4 GB video) whole before any size check."""
    import time
    import tracemalloc

    huge = tmp_path / "huge.toml"
    with huge.open("wb") as file:
        file.truncate(2 * 1024**3)  # sparse: no disk used
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(taxonomy.TaxonomyError, match="larger than 512 kB"):
            stored.read_file(huge)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * taxonomy.MAX_BYTES and time.monotonic() - started < 5


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_taxonomy_path_that_is_not_a_file_is_refused_without_blocking(tmp_path, kind):
    """Before: a FIFO blocked the reader forever, /dev/zero filled the memory."""
    import os
    import threading

    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            stored.read_file(path)
        except BaseException as exc:  # noqa: BLE001  (handed to the test's thread)
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive() and kind == "fifo":  # unblock it, so the test fails instead of hanging
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
    assert not reader.is_alive(), "reading blocked"
    assert len(outcome) == 1 and isinstance(outcome[0], taxonomy.TaxonomyError), outcome
    assert "not a regular file" in str(outcome[0])


def test_a_change_made_since_the_form_was_read_is_refused_and_nothing_is_lost(store, team, clock):
    """Before: Save wrote the whole value over another lead's change, silently."""
    started_from = settings.read(store, wellbeing.POLICY)
    clock.advance(60)
    wellbeing.save_policy(store, "lee", wellbeing.WellbeingPolicy(severe_budget_min=200))  # another window
    with pytest.raises(StoreConflict, match="changed by lee at 2026-01-05 09:01"):
        settings.write(store, team["lee"], wellbeing.POLICY, {"severe_budget_min": 180}, expected=started_from)
    assert wellbeing.load_policy(store).severe_budget_min == 200 and len(_changes(store)) == 1
    settings.write(store, team["lee"], wellbeing.POLICY, {"severe_budget_min": 180},
                   expected=settings.read(store, wellbeing.POLICY))
    assert wellbeing.load_policy(store).severe_budget_min == 180


def test_a_rubric_changed_since_the_form_was_read_is_refused(store, team, clock):
    started_from = audits.rubric(store).as_dict()
    clock.advance(60)
    audits.set_rubric(store, "lee", {"error_types": {"wrong_label": 25}})
    with pytest.raises(StoreConflict, match="changed by lee at 2026-01-05 09:01"):
        audits.set_rubric(store, "lee", {"error_types": {"procedural": 5}}, expected=started_from)
    assert audits.rubric(store).error_types["procedural"] == 10.0 and len(_changes(store)) == 1


def test_a_change_to_the_same_value_logs_nothing(store, team):
    """Before: each identical save logged an event with old == new."""
    wellbeing.save_policy(store, "lee", wellbeing.WellbeingPolicy(severe_budget_min=200))
    wellbeing.save_policy(store, "lee", wellbeing.WellbeingPolicy(severe_budget_min=200))
    audits.set_rubric(store, "lee", {"error_types": {"wrong_label": 35}})
    audits.set_rubric(store, "lee", {"error_types": {"wrong_label": 35}})
    audits.set_rubric(store, "lee", {"error_types": {"procedural": 10}})  # the default, as it is
    assert [kind_of(payload) for _, _, payload in _changes(store)] == ["wellbeing", "rubric"]


def kind_of(payload):
    return "rubric" if "weights" in payload else "wellbeing"


def test_a_store_rule_is_checked_inside_the_writes_transaction(store, team, monkeypatch):
    seen: list[bool] = []
    rule = settings.Setting("probe", settings.ORGANISATION, dict, {}, "lead", "a test setting",
                            check_store=lambda s, _value: seen.append(in_transaction(s.db)))
    monkeypatch.setitem(settings._DECLARED, (settings.ORGANISATION, "probe"), rule)
    settings.write(store, team["lee"], rule, {"a": 1})
    assert seen == [True]


@pytest.mark.parametrize("weights", [{"error_types": {"wrong_label": 150}}, {"severity": {"minor": 0.125}},
                                     {"severity": {"major": 11}}])
def test_a_rubric_weight_beyond_what_the_form_can_show_is_refused(store, team, weights):
    with pytest.raises(audits.AuditError, match="from 0 to"):
        audits.set_rubric(store, "lee", weights)


@pytest.mark.parametrize(("field", "value"), [("micro_break_min", 2.55), ("budget_warning_pct", 75.5)])
def test_a_wellbeing_rule_with_more_decimals_than_the_form_shows_is_refused(field, value):
    with pytest.raises(wellbeing.WellbeingError, match=field):
        wellbeing.WellbeingPolicy(**{field: value})


def test_a_stored_value_a_tightened_rule_refuses_reads_as_the_protective_default(store, caplog):
    """A re-blur stored before the 120 s limit (or written by hand) must not stop every desk showing items."""
    store.set_setting(viewing.ORGANISATION_VIEW.key, {"auto_reblur_s": 86400.0}, user_id=0, actor="lee")
    assert viewing.organisation(store) == viewing.ViewSettings.from_dict({})
    assert "not valid any more" in caplog.text
