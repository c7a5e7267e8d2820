"""One history, two stores (issue 15's Done means): ``veil metrics --json`` gives the same numbers for the same
history imported into a SQLite file and into a server store."""

from __future__ import annotations

import json
import random

import pytest

from desktop.main import main

ACTIONS = [("remove", ["harassment"]), ("no_violation", []), ("remove", ["spam"]), ("label_only", ["spam"])]


def _history(path, seed=5):
    """120 items in two queues, a decision on each by one of three moderators, an audit of every third by one of
    two auditors (some judged wrong, with error types and severities): JSON Lines, as a team's export would be."""
    pick = random.Random(seed)
    rows = []
    for n in range(120):
        ext, queue = f"h{n:03d}", ("spam", "hate")[n % 2]
        action, labels = pick.choice(ACTIONS)
        moderator = pick.choice(["ana", "ben", "chidi"])
        at = f"2025-11-{1 + n % 20:02d}T{8 + n % 9:02d}:{n % 60:02d}:00Z"
        rows += [{"id": ext, "queue": queue, "text": f"post {n}"},
                 {"type": "decision", "item": ext, "moderator": moderator, "action": action, "labels": labels,
                  "decided_at": at, "handle_ms": 5_000 + 97 * n}]
        if n % 3 == 0:
            right = pick.random() < 0.7
            blind_action, blind_labels = (action, labels) if right else pick.choice(ACTIONS)
            audit = {"type": "audit", "item": ext, "moderator": moderator, "auditor": pick.choice(["dana", "eli"]),
                     "blind_action": blind_action, "blind_labels": blind_labels,
                     "verdict": "correct" if right else "incorrect", "audited_at": at}
            if not right:
                audit |= {"error_type": "wrong_label", "severity": pick.choice(["minor", "major"])}
            rows.append(audit)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _metrics(store: str, capsys, by: str) -> dict:
    """The figures (without the moment they were made)."""
    assert main(["metrics", "--store", store, "--user", "lee", "--by", by, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    del figures["generated_at"]
    return figures


@pytest.mark.parametrize("by", ["moderator", "queue", "label", "auditor"])
def test_the_same_history_gives_the_same_metrics_on_a_file_and_on_a_server(by, tmp_path, postgres_server, capsys):
    manifest = _history(tmp_path / "history.jsonl")
    name = postgres_server.new_database()
    try:
        stores = [str(tmp_path / "file.db"), postgres_server.url(name)]
        for store in stores:
            assert main(["import", str(manifest), "--store", store, "--user", "lee", "--create-queues"]) == 0
        capsys.readouterr()
        on_file, on_server = (_metrics(store, capsys, by) for store in stores)
        assert on_file == on_server
        assert sum(group["n"] for group in on_file["groups"]) >= 40  # the 40 audits counted, not two empty answers
    finally:
        postgres_server.drop(name)
