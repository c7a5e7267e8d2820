"""``veil metrics`` counts pairs, never items, and still gives the numbers of the per-item formulas, on both stores.

``audit.metrics.assembly.summarise`` hands the formulas the count of each
distinct (blind action, moderator action), (blind labels, labels) and
(week, verdict) pair, counted per group in SQL
(``audit.store.reports.audited_counts``), instead of reading every audited
decision into Python (most of the report's time at 30,000 audits). The check
here is the plain computation: every audited decision read as it is stored,
its label sets parsed, each figure computed by the per-item formula
(``cohen_kappa``, ``confusion_matrix``, ``precision_recall``,
``weekly_trend``, each checked against scikit-learn and statsmodels in
``test_metrics.py``), and compared for equality, floats included, for every
grouping, after a random history of label sets in either order, disputes
upheld and overturned, and a rubric whose scores are not whole numbers
(the mean score is the exact sum, correctly rounded, over n).
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict

import pytest
from builders import people, store_arg

from audit import audits, disputes, metrics
from audit.metrics import assembly
from audit.store import reports
from audit.store.schema import ERROR_TYPES
from desktop.main import main

LABEL_SETS = (["spam"], ["hate_speech"], ["spam", "hate_speech"], ["hate_speech", "spam"], ["harassment"])
ANSWERS = [("no_violation", [])] + [(action, labels) for action in ("remove", "label_only", "age_restrict")
                                     for labels in LABEL_SETS]


def _history(path, pick: random.Random) -> None:
    rows = []
    for n in range(160):
        ext, moderator = f"h{n:03d}", pick.choice(["ana", "ben", "chidi"])
        action, labels = pick.choice(ANSWERS)
        at = f"2025-{pick.randint(10, 12):02d}-{pick.randint(1, 28):02d}T{pick.randint(0, 23):02d}:{n % 60:02d}:00Z"
        decision = {"type": "decision", "item": ext, "moderator": moderator, "action": action, "decided_at": at,
                    "labels": labels}
        rows += [{"id": ext, "queue": pick.choice(["spam", "hate"]), "text": f"post {n}"}, decision]
        if pick.random() < 0.7:
            right = pick.random() < 0.6
            blind_action, blind_labels = (action, labels) if right and pick.random() < 0.8 else pick.choice(ANSWERS)
            audit = {"type": "audit", "item": ext, "moderator": moderator, "auditor": pick.choice(["dana", "eli"]),
                     "blind_action": blind_action, "blind_labels": blind_labels,
                     "verdict": "correct" if right else "incorrect", "audited_at": at}
            if not right:
                audit |= {"error_type": pick.choice(ERROR_TYPES), "severity": pick.choice(["minor", "major"])}
            rows.append(audit)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _plain(store, by: str, auditor_of: dict[int, str]) -> dict:
    """The groups and overall figures computed item by item, as the report did before it counted pairs."""
    records = []
    for (decision_id, moderator, queue, decided_at, action, labels, blind_action, blind_labels, verdict, score,
         error_type, dispute) in reports.audited(store, None, None):
        records.append({"id": decision_id, "moderator": moderator, "queue": queue, "at": decided_at,
                        "action": action, "labels": tuple(json.loads(labels or "[]")), "blind": blind_action,
                        "blind_labels": tuple(json.loads(blind_labels or "[]")), "correct": verdict == "correct",
                        "score": score, "error": error_type, "dispute": dispute})
    grouped = defaultdict(list)
    for r in records:
        if by == "label":
            keys = sorted(set(r["labels"]) | set(r["blind_labels"])) or [assembly.NO_LABEL]
        elif by == "auditor":
            keys = [auditor_of[r["id"]]]
        else:
            keys = [r[by]]
        for key in keys:
            grouped[key].append(r)

    def figures(group: list[dict]) -> dict:
        blind, given = [r["blind"] for r in group], [r["action"] for r in group]
        accuracy = metrics.accuracy([r["correct"] for r in group])
        labels, matrix = metrics.confusion_matrix(blind, given)
        return {
            "n": accuracy.n, "correct": accuracy.k, "accuracy": accuracy.value,
            "accuracy_ci95": list(accuracy.ci95) if accuracy.ci95 else None,
            "mean_score": math.fsum(r["score"] for r in group) / len(group),  # the exact sum, correctly rounded
            "cohen_kappa": metrics.cohen_kappa(blind, given),
            "action_agreement": sum(b == g for b, g in zip(blind, given)) / len(group),
            "labels": labels, "matrix": matrix,
            "precision_recall": [(p.label, p.tp, p.fp, p.fn, p.precision, p.recall, p.f1, p.support) for p in
                                 metrics.precision_recall([r["blind_labels"] for r in group],
                                                          [r["labels"] for r in group])],
            "errors": {e: n for e in ERROR_TYPES if (n := sum(r["error"] == e for r in group))},
            "disputes": [sum(r["dispute"] == state for r in group) for state in ("open", "upheld", "overturned")],
            "trend": [(week, p.k, p.n, p.value) for week, p in
                      metrics.weekly_trend((r["at"], r["correct"]) for r in group)],
        }

    return {"groups": {key: figures(group) for key, group in grouped.items()}, "overall": figures(records)}


def _reported(group: dict) -> dict:
    """The same figures as the report gives them."""
    return {
        "n": group["n"], "correct": group["correct"], "accuracy": group["accuracy"],
        "accuracy_ci95": group["accuracy_ci95"], "mean_score": group["mean_score"],
        "cohen_kappa": group["cohen_kappa"], "action_agreement": group["action_agreement"],
        "labels": group["confusion"]["labels"], "matrix": group["confusion"]["matrix"],
        "precision_recall": [(p["label"], p["tp"], p["fp"], p["fn"], p["precision"], p["recall"], p["f1"],
                              p["support"]) for p in group["precision_recall"]],
        "errors": group["errors"],
        "disputes": [group["disputes"][state] for state in ("open", "upheld", "overturned")],
        "trend": [(t["week"], t["correct"], t["n"], t["accuracy"]) for t in group["trend"]],
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_the_report_from_counted_pairs_equals_the_plain_computation(store, tmp_path, capsys, seed):
    pick = random.Random(seed)
    manifest = tmp_path / "history.jsonl"
    _history(manifest, pick)
    people(store, lee="lead")
    audits.set_rubric(store, "lee", {"error_types": {"wrong_label": 33.3, "procedural": 7.7},
                                     "severity": {"minor": 0.35}})  # scores that are not whole numbers
    assert main(["import", str(manifest), "--store", store_arg(store), "--user", "lee", "--create-queues"]) == 0
    capsys.readouterr()
    wrong = store.db.execute(
        "SELECT a.id, u.name FROM audits a JOIN decisions d ON d.id = a.decision_id JOIN users u ON u.id = d.user_id"
        " WHERE a.verdict = 'incorrect' ORDER BY a.id").fetchall()
    for n, (audit_id, moderator) in enumerate(wrong[:12]):
        dispute_id = disputes.open_dispute(store, moderator, audit_id, "I followed the policy")
        if n % 3:
            disputes.resolve_dispute(store, "lee", dispute_id, ("upheld", "overturned")[n % 2])
    assert any(score % 1 for (score,) in store.db.execute("SELECT score FROM audits"))
    auditor_of = dict(store.db.execute(
        "SELECT a.decision_id, u.name FROM audits a JOIN users u ON u.id = a.auditor_id"))
    for by in assembly.BY:
        report = assembly.build(store, "lee", by=by)
        plain = _plain(store, by, auditor_of)
        assert {g["key"]: _reported(g) for g in report["groups"]} == plain["groups"], by
        assert _reported(report["overall"]) == plain["overall"], by
