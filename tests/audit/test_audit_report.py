"""Metrics assembly and the ``veil metrics`` / ``veil sample`` commands.

Values are checked against the ``audit.metrics`` functions applied by hand
to the same hand-built data, so the report can only differ by how it
gathers and groups, which is what is under test here.
"""

from __future__ import annotations

import json
import random

import pytest
from builders import audited, decided_item, people, text_item, text_items

from audit import automation, calibration, gold, metrics, plans
from audit.metrics import assembly as report
from desktop import wiring
from desktop.main import main
from review import decisions, taxonomy
from review.clock import FakeClock

ACTIONS = ("remove", "no_violation", "age_restrict")
LABELS = ("harassment", "hate_speech", "spam")


@pytest.fixture
def team(store):
    people(store, ana="moderator", ben="moderator", eve="moderator", cat="auditor", dan="auditor", lee="lead")
    store.add_queue("spam")
    store.add_queue("hate")


def _audit(store, *, moderator="ana", queue="spam", action="remove", labels=("harassment",), blind="remove",
           blind_labels=("harassment",), correct=True, at="2026-01-07T10:00:00Z", auditor="cat"):
    """One decision audited by *auditor* for lee; this module's grading: incorrect is a minor wrong action."""
    decision_id = decided_item(store, queue, moderator, action=action, labels=labels, decided_at=at)
    audited(store, decision_id, lead="lee", auditor=auditor, blind_action=blind, blind_labels=blind_labels,
            verdict="correct" if correct else "incorrect", error=None if correct else ("wrong_action", "minor"))
    return decision_id


def _random_audits(store, n=60, seed=3):
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        row = {"moderator": rng.choice(["ana", "ben", "eve"]), "queue": rng.choice(["spam", "hate"]),
               "action": rng.choice(ACTIONS), "labels": tuple(rng.sample(LABELS, rng.randint(0, 2))),
               "blind": rng.choice(ACTIONS), "blind_labels": tuple(rng.sample(LABELS, rng.randint(0, 2))),
               "correct": rng.random() < 0.7, "at": f"2026-01-{5 + k % 20:02d}T{k % 24:02d}:00:00Z",
               "auditor": rng.choice(["cat", "dan"])}
        _audit(store, **row)
        rows.append(row)
    return rows


def _expected(rows):
    """What every group figure must be, from audit.metrics directly."""
    acc = metrics.accuracy([r["correct"] for r in rows])
    blind, mod = [r["blind"] for r in rows], [r["action"] for r in rows]
    labels, matrix = metrics.confusion_matrix(blind, mod)
    return {
        "n": len(rows), "correct": acc.k, "accuracy": acc.value, "accuracy_ci95": list(acc.ci95) if acc.ci95 else None,
        "cohen_kappa": metrics.cohen_kappa(blind, mod),
        "confusion": {"labels": labels, "matrix": matrix},
        "precision_recall": [(p.label, p.tp, p.fp, p.fn, p.precision, p.recall, p.f1, p.support) for p in
                             metrics.precision_recall([r["blind_labels"] for r in rows], [r["labels"] for r in rows])],
        "trend": [(w, p.n, p.k, p.value) for w, p in metrics.weekly_trend((r["at"], r["correct"]) for r in rows)],
    }


def _actual(group):
    return {
        "n": group["n"], "correct": group["correct"], "accuracy": group["accuracy"],
        "accuracy_ci95": group["accuracy_ci95"], "cohen_kappa": group["cohen_kappa"],
        "confusion": {"labels": group["confusion"]["labels"], "matrix": group["confusion"]["matrix"]},
        "precision_recall": [(p["label"], p["tp"], p["fp"], p["fn"], p["precision"], p["recall"], p["f1"],
                              p["support"]) for p in group["precision_recall"]],
        "trend": [(t["week"], t["n"], t["correct"], t["accuracy"]) for t in group["trend"]],
    }


# ----------------------------------------------------------------- values
@pytest.mark.parametrize("by", ["moderator", "queue", "label"])
def test_group_values_equal_the_metric_functions(store, team, by):
    rows = _random_audits(store)
    built = report.build(store, "lee", by=by)

    def keys(r):
        if by == "label":
            return sorted(set(r["labels"]) | set(r["blind_labels"])) or ["(none)"]
        return [r[by]]

    expected_keys = sorted({k for r in rows for k in keys(r)})
    assert [g["key"] for g in built["groups"]] == expected_keys
    for group in built["groups"]:
        assert _actual(group) == _expected([r for r in rows if group["key"] in keys(r)]), group["key"]
    assert _actual(built["overall"]) == _expected(rows)


def test_label_groups_hold_each_label_either_side_used(store, team):
    _audit(store, labels=("harassment",), blind_labels=("hate_speech",), correct=False)
    _audit(store, action="no_violation", labels=(), blind="no_violation", blind_labels=())
    groups = {g["key"]: g["n"] for g in report.build(store, "lee", by="label")["groups"]}
    assert groups == {"harassment": 1, "hate_speech": 1, "(none)": 1}


def test_json_schema(store, team):
    _random_audits(store, n=12)
    built = json.loads(json.dumps(report.build(store, "lee", by="queue", since="2026-01-01", until="2026-01-31")))
    assert set(built) >= {"by", "since", "until", "groups", "overall", "calibration"}
    assert (built["by"], built["since"], built["until"]) == (
        "queue", "2026-01-01T00:00:00.000Z", "2026-01-31T23:59:59.999Z")
    for group in [*built["groups"], built["overall"]]:
        assert isinstance(group["key"], str) and isinstance(group["n"], int) and isinstance(group["correct"], int)
        assert isinstance(group["accuracy"], float) and 0 <= group["accuracy"] <= 1
        lo, hi = group["accuracy_ci95"]
        assert 0 <= lo <= group["accuracy"] <= hi <= 1
        assert group["cohen_kappa"] is None or isinstance(group["cohen_kappa"], float)
        assert isinstance(group["mean_score"], float)
        assert set(group["gold"]) == {"n", "correct", "accuracy", "accuracy_ci95"}
        assert set(group["disputes"]) == {"opened", "open", "upheld", "overturned"}
        assert isinstance(group["errors"], dict)
        size = len(group["confusion"]["labels"])
        assert len(group["confusion"]["matrix"]) == size and all(len(r) == size for r in group["confusion"]["matrix"])
        assert sum(map(sum, group["confusion"]["matrix"])) == group["n"]
        for p in group["precision_recall"]:
            assert set(p) == {"label", "tp", "fp", "fn", "precision", "recall", "f1", "support"}
        for week in group["trend"]:
            assert set(week) == {"week", "n", "correct", "accuracy", "accuracy_ci95"}


def test_an_empty_store_reports_undefined_not_zero(store, team):
    built = report.build(store, "lee")
    assert built["groups"] == []
    overall = built["overall"]
    assert (overall["n"], overall["accuracy"], overall["accuracy_ci95"], overall["cohen_kappa"]) == (
        0, None, None, None)
    assert overall["mean_score"] is None and overall["trend"] == []


# ------------------------------------------------------------------ dates
def test_since_and_until_select_decision_times_inclusively(store, team):
    _audit(store, at="2026-01-04T23:59:59.999Z")
    _audit(store, at="2026-01-05T00:00:00.000Z")
    _audit(store, at="2026-01-06T23:59:59.999Z", correct=False)
    _audit(store, at="2026-01-07T00:00:00.000Z")

    def n(**kw):
        return report.build(store, "lee", **kw)["overall"]["n"]

    assert n(since="2026-01-05", until="2026-01-06") == 2
    assert n(since="2026-01-05T00:00:00.001Z") == 2
    assert n(until="2026-01-05T00:00:00Z") == 2
    assert n(since="2026-01-07") == 1
    with pytest.raises(ValueError, match="after"):
        report.date_range("2026-01-07", "2026-01-06")
    with pytest.raises(ValueError, match="not a date"):
        report.date_range("last week", None)


# ------------------------------------------------------------------- gold
def test_gold_accuracy_per_group_and_undone_decisions_left_out(store, team, clock):
    from review import serving

    policy = taxonomy.load()
    text_items(store, "spam", [f"g{n}" for n in range(4)], received_at="2026-01-05T08:00:00Z")
    for item_id, in store.db.execute("SELECT id FROM items").fetchall():
        gold.add_gold(store, "lee", item_id, "remove", ["harassment"])
    users = {u.name: u for u in store.users()}

    def decide(who, **kw):
        lease = serving.claim_next(store, users[who])
        made = decisions.decide(store, policy, users[who], lease.item.id, claim=lease.claim, **kw)
        gold.after_decision(store, made)
        return made

    decide("ana", action="remove", labels=["harassment"])
    decide("ana", action="no_violation")
    undone = decide("ben", action="no_violation")
    back = decisions.undo(store, users["ben"], undone.id)
    serving.release(store, users["ben"], back.item.id, claim=back.claim)  # to the queue: a claim takes a new item
    decide("ben", action="remove", labels=["harassment"])
    decide("ben", action="remove", labels=["harassment"])
    groups = {g["key"]: g["gold"] for g in report.build(store, "lee")["groups"]}
    assert groups["ana"]["n"] == 2 and groups["ana"]["correct"] == 1
    assert groups["ben"]["n"] == 2 and groups["ben"]["correct"] == 2  # the undone miss does not count
    assert groups["ana"]["accuracy_ci95"] == list(metrics.wilson_interval(1, 2))
    by_label = {g["key"]: g["gold"]["n"] for g in report.build(store, "lee", by="label")["groups"]}
    assert by_label == {"harassment": 4}  # expected labels count too
    assert report.build(store, "lee")["overall"]["gold"]["n"] == 4


# ------------------------------------------------------------ calibration
def test_calibration_agreement_equals_the_metric_functions(store, team):
    items = [text_item(store, "spam") for _ in range(5)]
    calibration.create_set(store, "lee", "jan", items)
    answers = {"ana": ["remove", "remove", "no_violation", "remove", "age_restrict"],
               "ben": ["remove", "no_violation", "no_violation", "remove", "age_restrict"],
               "cat": ["remove", "remove", "no_violation", "age_restrict", "age_restrict"]}
    for who, chosen in answers.items():
        for item_id, action in zip(items, chosen):
            assert calibration.next_item(store, who, "jan").id == item_id
            calibration.answer(store, who, "jan", item_id, action, ["harassment"] if action != "no_violation" else [])
        assert calibration.next_item(store, who, "jan") is None
    ratings = [[answers[w][i] for w in sorted(answers)] for i in range(5)]
    result = report.build(store, "lee")["calibration"][0]
    assert (result["set"], result["items"], result["rated_items"], result["raters"], result["answers"]) == (
        "jan", 5, 5, 3, 15)
    assert result["fleiss_kappa"] == pytest.approx(metrics.fleiss_kappa(ratings))
    assert result["krippendorff_alpha"] == pytest.approx(metrics.krippendorff_alpha_nominal(ratings))
    # a fourth rater on one item only: Fleiss no longer applies, alpha still does
    calibration.answer(store, "dan", "jan", items[0], "remove")
    uneven = calibration.agreement(store, "jan")
    assert uneven.fleiss_kappa is None and "different numbers" in uneven.fleiss_note
    assert uneven.krippendorff_alpha == pytest.approx(
        metrics.krippendorff_alpha_nominal([ratings[0] + ["remove"], *ratings[1:]]))
    with pytest.raises(ValueError, match="already answered"):
        calibration.answer(store, "dan", "jan", items[0], "remove")
    with pytest.raises(PermissionError):
        calibration.create_set(store, "ana", "feb", items)
    with pytest.raises(KeyError):
        calibration.answer(store, "ana", "jan", text_item(store, "spam"), "remove")


# -------------------------------------------------------------------- CLI
@pytest.fixture
def store_file(tmp_path):
    path = tmp_path / "cli.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", ben="moderator", cat="auditor", lee="lead")
        store.add_queue("spam")
        store.add_queue("hate")
        _audit(store, correct=False)
        _audit(store, moderator="ben", queue="hate")
        _audit(store, moderator="ben", at="2026-01-14T09:00:00Z")
    return path


def test_cli_metrics_json_is_the_report(store_file, capsys):
    assert main(["--user", "lee", "metrics", "--store", str(store_file), "--by", "queue", "--since", "2026-01-01",
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with wiring.open_store(store_file) as store:
        expected = json.loads(json.dumps(report.build(store, "lee", by="queue", since="2026-01-01")))
        period = report.date_range("2026-01-01", None)
        expected["automation"] = automation.for_metrics(store, store.user("lee"), *period)
    printed.pop("generated_at"), expected.pop("generated_at")
    assert printed == expected  # the report, and what each automated rule did in the same window
    assert [(g["key"], g["n"]) for g in printed["groups"]] == [("hate", 1), ("spam", 2)]


def test_cli_metrics_table(store_file, capsys):
    assert main(["--user", "lee", "metrics", "--store", str(store_file)]) == 0
    out = capsys.readouterr().out
    assert "QA metrics by moderator" in out and "95% CI" in out
    lines = {line.split()[0]: line for line in out.splitlines()
             if line.split() and line.split()[0] in ("ana", "ben", "all")}
    assert "0.0%" in lines["ana"] and "100.0%" in lines["ben"] and "66.7%" in lines["all"]
    assert main(["--user", "lee", "metrics", "--store", str(store_file), "--until", "2026-01-01"]) == 0
    assert "No audited decisions" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--since", "yesterday"], ["--since", "2026-02-01", "--until", "2026-01-01"]])
def test_cli_metrics_bad_dates_exit_2(store_file, capsys, argv):
    assert main(["--user", "lee", "metrics", "--store", str(store_file), *argv]) == 2
    assert "veil:" in capsys.readouterr().err


def test_cli_metrics_unknown_grouping_is_a_usage_error(store_file):
    with pytest.raises(SystemExit) as exit_:
        main(["--user", "lee", "metrics", "--store", str(store_file), "--by", "colour"])
    assert exit_.value.code == 2


def test_cli_sample(tmp_path, capsys):
    path = tmp_path / "s.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", cat="auditor", lee="lead")
        store.add_queue("spam")
        for _ in range(10):
            decided_item(store, "spam", "ana", action="remove", labels=["harassment"],
                         decided_at="2026-01-19T10:00:00Z")
        plans.save_plan(store, "lee", "all", rate=1.0, seed="s", starts_at="2026-01-01")
    assert main(["sample", "--lead", "lee", "--store", str(path), "--plan", "nope"]) == 2
    assert "no sampling plan" in capsys.readouterr().err
    assert main(["sample", "--store", str(path), "--lead", "ana"]) == 2
    assert "not a lead" in capsys.readouterr().err
    assert main(["sample", "--store", str(path)]) == 2  # nobody named: not "the only lead" any more
    assert "say who you are" in capsys.readouterr().err
    assert main(["sample", "--lead", "lee", "--store", str(path)]) == 0
    out = capsys.readouterr().out
    assert "plan all: 10 sampled (rate 10)" in out and out.count("auditor cat") == 10
    assert main(["--user", "lee", "sample", "--store", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"plan": "all", "by_reason": {}, "samples": []}]
    assert main(["sample", "--user", "lee", "--store", str(path), "--due"]) == 0
    assert "plan all: 0 sampled" in capsys.readouterr().out
    assert main(["sample", "--lead", "lee", "--store", str(path), "--due"]) == 0
    assert "already ran this period" in capsys.readouterr().out


def test_cli_sample_needs_a_lead_when_there_are_several(tmp_path, capsys):
    path = tmp_path / "s.db"
    with wiring.open_store(path) as store:
        store.add_user("lee", ["lead"])
        store.add_user("lou", ["lead"])
    assert main(["sample", "--store", str(path)]) == 2
    assert "--user NAME" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--until", "9999-12-31"], ["--since", "0001-01-01T00:00:00+01:00"]])
def test_cli_metrics_dates_at_the_edge_of_the_calendar_do_not_crash(store_file, capsys, argv):
    """Regression: an OverflowError traceback (exit 1) instead of a figure or a clear message."""
    code = main(["--user", "lee", "metrics", "--store", str(store_file), *argv])
    assert code in (0, 2)
    if code == 2:
        assert "veil:" in capsys.readouterr().err


def test_a_year_before_1000_still_compares_with_stored_times():
    start, end = report.date_range("0999-01-01", "9999-12-31")
    assert start == "0999-01-01T00:00:00.000Z" and start < "2026-01-01T00:00:00.000Z" and end is None


@pytest.mark.parametrize("command", [["metrics"], ["sample"], ["verify"],
                                     ["export", "audits", "--format", "csv", "--out", "OUT", "--user", "lee"]])
def test_cli_commands_refuse_a_store_that_is_not_there(tmp_path, capsys, command):
    """Regression: a mistyped --store created an empty store there and reported on it with exit 0."""
    missing = tmp_path / "typo.db"
    argv = [str(tmp_path / "out.csv") if a == "OUT" else a for a in command]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--store", str(missing)])
    assert exit_.value.code == 2
    assert "no Veil store" in capsys.readouterr().err
    assert not missing.exists() and not (tmp_path / "out.csv").exists()
