"""The demo workspace: its shape, its data, its determinism, and ``veil demo``."""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
from pathlib import Path

import pytest
from builders import events as logged
from builders import has_arabic, has_cjk, has_emoji

from desktop import wiring
from desktop.demo import review_data as demo
from desktop.demo.plan import Planner, pool_of
from desktop.demo.team import LEAD_ESCALATIONS, MINOR_SAFETY
from desktop.main import main
from review import escalations
from review.clock import FakeClock, parse
from review.media import intake, pdq
from review.store import events

START = "2026-01-05T09:00:00.000Z"
ITEMS = 40


def _build(folder: Path, *, items: int = ITEMS, seed: int = 7, progress=None):
    folder.mkdir(parents=True, exist_ok=True)
    store = wiring.open_store(folder / "veil.db", clock=FakeClock(START))
    summary = demo.build_demo(store, folder / "veil.db.media", items=items, seed=seed, progress=progress)
    return store, summary


def _item_rows(store, media_dir: Path) -> list[tuple]:
    rows = []
    for row in store.db.execute(
        "SELECT i.external_id, q.name, i.kind, i.media_path, i.media_type, i.text, i.metadata, i.severity,"
        " i.priority, i.content_sha256, i.content_md5, i.pdq, i.pdq_quality, i.received_at, i.due_at, i.state"
        " FROM items i JOIN queues q ON q.id = i.queue_id ORDER BY i.external_id"
    ):
        row = list(row)
        if row[3]:  # named relative to the store's media root (issue 14 §3): the same in every copy
            assert (media_dir / row[3]).is_file() and not Path(row[3]).is_absolute()
        rows.append(tuple(row))
    return rows


def _decision_rows(store) -> list[tuple]:
    return store.db.execute(
        "SELECT i.external_id, u.name, d.action, d.labels, d.note, d.decided_at, d.handle_ms"
        " FROM decisions d JOIN items i ON i.id = d.item_id JOIN users u ON u.id = d.user_id ORDER BY d.id"
    ).fetchall()


def _media_hashes(media_dir: Path) -> dict[str, str]:
    return {p.relative_to(media_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(media_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    calls = []
    store, summary = _build(tmp_path_factory.mktemp("demo"), progress=lambda done, total: calls.append((done, total)))
    yield store, summary, calls
    store.close()


def test_summary_counts(built):
    store, summary, _ = built
    assert summary.items == ITEMS
    assert summary.users == len(store.users()) == 6  # with eve, the new hire (issue 17)
    assert summary.queues == len(store.queues())
    files = [p for p in summary.media_dir.rglob("*") if p.is_file()]
    assert summary.media_files == len(files)
    assert summary.media_bytes == sum(p.stat().st_size for p in files)
    assert "demo workspace: 7 queues, 6 users, 40 items" in summary.line("/x.db")


def test_queues_look_like_a_trust_and_safety_team(built):
    store, _, _ = built
    queues = store.queues()
    by_kind = {}
    for q in queues:
        by_kind.setdefault(q.kind, []).append(q)
    assert 4 <= len(by_kind["review"]) <= 6
    assert len(by_kind["audit"]) == 1
    assert len(by_kind["escalation"]) >= 1
    escalation_ids = {q.id for q in by_kind["escalation"]}
    assert all(q.escalation_queue_id in escalation_ids for q in by_kind["review"])
    top = max(queues, key=lambda q: q.priority)
    assert top.name == MINOR_SAFETY and top.kind == "escalation"
    graphic = store.queue("Violent & graphic")
    assert graphic.sla_seconds < store.queue("Spam & scams").sla_seconds


def test_users_of_every_role(built):
    store, _, _ = built
    users = store.users()
    assert sum(u.has("moderator") for u in users) == 4  # three with history and eve, the new hire (issue 17)
    assert sum(u.has("auditor") for u in users) >= 1
    assert sum(u.has("lead") for u in users) >= 1
    assert all(u.display_name != u.name for u in users)


def test_item_mix(built):
    store, _, _ = built
    rows = store.db.execute("SELECT kind, media_type, text, metadata, severity, queue_id FROM items").fetchall()
    assert len(rows) == ITEMS
    kinds = {r[0] for r in rows}
    assert {"image", "video", "text"} <= kinds
    types = {r[1] for r in rows}
    assert {"image/jpeg", "image/gif", "video/mp4"} <= types
    images = sum(r[0] in ("image", "mixed") for r in rows)
    assert 0.3 * ITEMS <= images <= 0.55 * ITEMS
    texts = [r[2] for r in rows if r[0] == "text"]
    assert any(has_arabic(t) for t in texts)
    assert any(has_cjk(t) for t in texts)
    assert any(has_emoji(t) for t in texts)


def test_metadata_and_severity_follow_the_taxonomy(built):
    store, _, _ = built
    severities = demo.label_severities()
    for _kind, metadata, severity, media_type in store.db.execute(
        "SELECT kind, metadata, severity, media_type FROM items"
    ):
        meta = json.loads(metadata)
        assert meta["category"] in severities
        assert severity == severities[meta["category"]]
        for key in ("description", "report_reason", "reporter_count", "surface"):
            assert meta[key] not in (None, ""), key
        if meta["surface"] == "listing":
            assert meta["listing_title"] and meta["price"]
        if media_type:
            assert meta["width"] > 0 and meta["height"] > 0


def test_waiting_items_arrived_in_the_last_three_days_decided_ones_over_five_weeks(built):
    store, _, _ = built
    now = parse(START)
    received = [parse(r[0]) for r in store.db.execute("SELECT received_at FROM items WHERE state = 'pending'")]
    assert all(now - _dt.timedelta(days=3, hours=1) <= t <= now for t in received)
    assert max(received) - min(received) > _dt.timedelta(days=1)
    decided = [parse(r[0]) for r in store.db.execute("SELECT received_at FROM items WHERE state = 'decided'")]
    assert all(now - _dt.timedelta(days=35) <= t <= now for t in decided)
    assert min(decided) < now - _dt.timedelta(days=14)  # last week's and last month's exports have data
    last_week = sum(t >= now - _dt.timedelta(days=7) for t in decided)
    fifth_week = sum(t < now - _dt.timedelta(days=28) for t in decided)
    assert last_week > fifth_week  # weighted to recent days
    priorities = [r[0] for r in store.db.execute("SELECT priority FROM items")]
    assert priorities.count(0) > len(priorities) / 2


def test_escalations_wait_with_who_why_and_where_from(built):
    """Escalated items are escalations a lead can work: sent up from a review queue, with a reason."""
    store, _, _ = built
    review_queues = [q for q in store.queues() if q.kind == "review"]
    assert all([r.name for r in escalations.routes(store, q)] == [LEAD_ESCALATIONS, MINOR_SAFETY]
               for q in review_queues)
    waiting = [w for w in escalations.waiting(store, "lee") if w.escalation is not None]
    assert waiting and all(w.escalation.reason and w.escalation.origin in {q.name for q in review_queues}
                           for w in waiting)


def test_some_authors_have_history_a_moderator_sees_beside_their_next_post(built):
    """Issue 14's account context needs repeat authors: a waiting post whose author has a decided one."""
    from review import accounts
    from review.serving import load_item

    store, _, _ = built
    ana = store.user("ana")
    waiting = [load_item(store, row[0]) for row in store.db.execute(
        "SELECT id FROM items WHERE state = 'pending' ORDER BY id")]
    with_history = [a for a in (accounts.for_item(store, ana, i) for i in waiting) if a and a.actions()]
    assert with_history


def test_past_decisions(built):
    store, summary, _ = built
    rows = store.db.execute(
        "SELECT i.state, i.received_at, d.decided_at, d.handle_ms, d.action, d.labels, u.roles, d.source, u.name"
        " FROM decisions d JOIN items i ON i.id = d.item_id JOIN users u ON u.id = d.user_id"
        " WHERE d.id NOT IN (SELECT decision_id FROM escalations)"  # escalations wait: test_escalations_wait
    ).fetchall()
    assert summary.decided == len(rows)
    assert 0.2 * ITEMS <= len(rows) <= 0.4 * ITEMS
    now = parse(START)
    labels = set(demo.label_severities())
    for state, received, decided, handle_ms, action, labels_json, roles, source, _ in rows:
        assert state == "decided"
        assert parse(received) < parse(decided) <= now
        assert now - parse(decided) <= _dt.timedelta(days=35)
        assert 5_000 <= handle_ms <= 90_000
        assert "moderator" in roles or "lead" in roles
        assert action in {"no_violation", "remove", "age_restrict", "label_only"}
        assert set(json.loads(labels_json)) <= labels
        assert (action == "no_violation") == (json.loads(labels_json) == [])
        assert source == "demo"
    assert len({r[8] for r in rows}) >= 2  # spread across people
    pending = store.db.execute("SELECT COUNT(*) FROM items WHERE state = 'pending'").fetchone()[0]
    assert pending == ITEMS - len(rows)


def test_every_media_file_is_valid_and_matches_its_row(built):
    store, summary, _ = built
    rows = store.db.execute(
        "SELECT media_path, media_type, content_sha256, content_md5, pdq, pdq_quality FROM items"
        " WHERE media_path IS NOT NULL"
    ).fetchall()
    assert rows
    for path, mime, sha, md5, hashes, quality in rows:
        assert path == f"{sha[:2]}/{sha}.{Path(path).suffix[1:]}"  # the content-addressed layout (issue 14 §3)
        path = summary.media_dir / path
        info = intake.inspect(path)
        assert (info.mime, info.sha256, info.md5, info.pdq, info.pdq_quality) == (mime, sha, md5, hashes, quality)


def test_media_is_reused_like_real_reports(built):
    store, _, _ = built
    shared = store.db.execute(
        "SELECT COUNT(*) FROM (SELECT content_sha256 FROM items WHERE content_sha256 IS NOT NULL"
        " GROUP BY content_sha256 HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    assert shared >= 1
    pictures = [(sha, stored[0].hex) for sha, hashes in store.db.execute(
        "SELECT DISTINCT content_sha256, pdq FROM items WHERE pdq IS NOT NULL").fetchall()
        if len(stored := pdq.column_hashes(hashes)) == 1]  # stills: one hash (videos hold a keyframe's each)
    reposts = [(a, b) for a, b in itertools.combinations(pictures, 2) if pdq.distance(a[1], b[1]) <= 31]
    assert reposts  # near-duplicates: new bytes, same picture


def test_demo_flag_and_clean_history(built, store):
    demo_store, _, _ = built
    assert demo.is_demo(demo_store)
    assert not demo.is_demo(store)
    checked, broken = events.verify_chain(demo_store.db)
    assert broken is None and checked > 0


def test_progress_is_reported_to_the_end(built):
    _, _, calls = built
    assert calls[0][0] == 0
    assert calls[-1][0] == calls[-1][1]
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_same_seed_same_workspace_other_seed_another(built, tmp_path):
    first, first_summary, _ = built
    second, second_summary = _build(tmp_path / "again")
    third, third_summary = _build(tmp_path / "other", seed=8)
    try:
        assert _item_rows(first, first_summary.media_dir) == _item_rows(second, second_summary.media_dir)
        assert _decision_rows(first) == _decision_rows(second)
        assert _media_hashes(first_summary.media_dir) == _media_hashes(second_summary.media_dir)
        assert _item_rows(third, third_summary.media_dir) != _item_rows(first, first_summary.media_dir)
        assert _media_hashes(third_summary.media_dir) != _media_hashes(first_summary.media_dir)
    finally:
        second.close()
        third.close()


def test_twelve_megapixel_photos_only_in_larger_demos():
    def big(items: int) -> int:
        planned = Planner(items, 7).plan()
        return sum(m.width * m.height == 12_000_000 for m in pool_of(planned))

    assert big(ITEMS) == 0
    assert big(200) == 2
    assert big(500) == 5


def test_refuses_a_store_that_already_has_data(store, tmp_path):
    store.add_user("someone", ["moderator"])
    with pytest.raises(ValueError, match="already holds a workspace"):
        demo.build_demo(store, tmp_path / "media", items=10)
    assert store.queues() == []
    assert not (tmp_path / "media").exists()
    assert not demo.is_demo(store)


def test_refuses_zero_items(store, tmp_path):
    with pytest.raises(ValueError):
        demo.build_demo(store, tmp_path / "media", items=0)


# ---------------------------------------------------------------------- CLI
def test_cli_builds_then_refuses(tmp_path, capsys):
    path = tmp_path / "cli.db"
    assert main(["demo", "--store", str(path), "--items", "12", "--seed", "3"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("demo workspace: 7 queues, 6 users, 12 items (")
    assert f"media in {path.resolve()}.media (" in out
    assert "demo:" in err  # the progress line
    assert len(list((tmp_path / "cli.db.media").iterdir())) > 0

    assert main(["demo", "--store", str(path), "--items", "12"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "already holds a workspace" in err


def test_cli_uses_the_default_store(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "home"))
    assert main(["demo", "--items", "10"]) == 0
    assert (tmp_path / "home" / "veil.db").exists()
    assert (tmp_path / "home" / "veil.db.media").is_dir()


def test_cli_rejects_a_bad_item_count(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--store", str(tmp_path / "x.db"), "--items", "0"])
    assert exit_.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_the_composed_demo_has_qa_data_from_the_first_minute(tmp_path, clock):
    from audit.metrics import assembly as report
    from desktop import demo as demo_workspace
    from desktop import wiring

    with wiring.open_store(tmp_path / "qa.db", clock=clock) as store:
        summary, qa = demo_workspace.create(store, tmp_path / "media", items=60, seed=3)
        assert qa.sampled > 0 and 0 < qa.audited <= qa.sampled and qa.disputed <= 3
        built = report.build(store, "lee")
        assert built["overall"]["n"] == qa.audited
        assert store.db.execute("SELECT COUNT(*) FROM audit_samples WHERE state = 'open'").fetchone()[0] == \
            qa.sampled - qa.audited


# ------------------------------------------------------- a working floor (history, roster, rules)
@pytest.fixture(scope="module")
def composed(tmp_path_factory):
    from desktop import demo as demo_workspace

    folder = tmp_path_factory.mktemp("composed")
    store = wiring.open_store(folder / "veil.db", clock=FakeClock(START))  # a Monday: last week is 29 Dec–4 Jan
    demo_workspace.create(store, folder / "media", items=60, seed=7)
    yield store
    store.close()


@pytest.mark.parametrize(("since", "until"), [("2025-12-29", "2026-01-04"), ("2025-12-01", "2025-12-31")],
                         ids=["last week", "last month"])
def test_last_weeks_and_last_months_report_has_figures_on_every_page(composed, since, until):
    from audit import exports

    figures = exports.report_figures(composed, "lee", since, until)
    assert figures.within_sla[1] > 0  # items decided in the period
    assert figures.overall["n"] > 0  # audited
    assert figures.by_moderator and figures.by_queue and figures.sla
    assert [w for w in figures.trend if w["week"] not in figures.trend_notes]  # the period's own weeks
    assert figures.exposure["items"] > 0 and figures.exposure["by_severity"]


def test_disputes_the_lead_resolved_all_but_the_latest_which_waits(composed):
    from audit.desk import AuditDesk
    from review import taxonomy

    opened, resolved = logged(composed, "dispute.opened"), logged(composed, "dispute.resolved")
    assert opened and len(resolved) == len(opened) - 1 and all(e.actor == "lee" for e in resolved)
    assert len(AuditDesk(taxonomy.load()).disputes_board(composed, composed.user("lee")).cases) == 1


def test_the_demo_has_a_roster_and_a_rotation_rule_nobody_breaks(composed):
    from review.planning import roster, rotation

    today = parse(START).date()
    week = roster.shifts(composed, "lee", today.isoformat(), (today + _dt.timedelta(days=6)).isoformat())
    assert {s.person for s in week} == {"ana", "ben", "chidi", "lee"}
    assert {s.day for s in week} == {(today + _dt.timedelta(days=n)).isoformat() for n in range(7)}
    rules = rotation.rules(composed)
    assert rules.severe_queue_ids == (composed.queue("Violent & graphic").id,)
    assert (rules.max_minutes, rules.max_days) == (120, 3)
    assert rotation.shift_warnings(composed, [s.row for s in week]) == {}
    covered = roster.coverage(composed, "lee", today.isoformat())
    forecast_hours = [(q, h) for q, _ in covered.queues for h in range(24) if covered.need[q][h]]
    assert covered.gaps() and len(covered.gaps()) < len(forecast_hours)  # some gaps, not every hour red


def test_escalation_queues_have_a_handle_time_to_plan_with(composed):
    from review.planning import forecast

    by_queue = {f.queue: f for f in forecast.forecast(composed, "lee")}
    for queue in (LEAD_ESCALATIONS, MINOR_SAFETY):
        assert by_queue[queue].handle_seconds_mean is not None
        assert by_queue[queue].people_needed is not None


def test_the_composed_demo_verifies_clean(composed, capsys):
    assert main(["verify", "--store", str(composed.path)]) == 0
    assert "problems: none" in capsys.readouterr().out


def test_the_new_hire_has_no_history_and_a_lead_has_gold_to_build_a_course_from(tmp_path):
    """Issue 17's walk: a lead builds a 10-item course from demo gold items; eve takes it from scratch."""
    from audit import gold
    from desktop.demo.training import seed_gold
    from review import taxonomy

    store, _ = _build(tmp_path, items=80)
    assert seed_gold(store, taxonomy.load(), items=80) >= 10
    eve = store.user("eve")
    assert eve.has("moderator")
    for table in ("decisions", "exposure", "leases"):
        assert store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", [eve.id]).fetchone()[0] == 0
    assert not store.db.execute("SELECT 1 FROM shifts WHERE user_id = ?", [eve.id]).fetchall()
    assert len([g for g in gold.gold_items(store, "lee") if g.retired_at is None]) >= 10
    store.close()
