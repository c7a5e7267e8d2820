"""A history import's memory does not grow with its rows, and what an import result keeps of bad rows is bounded.

Issue 12, "hostile input and memory": items streamed through the import's
scratch file, but past decisions and audits were held in memory for their
one transaction (200,000 items and decisions peaked at 628 MB), and an
import result kept the first 1,000 rejected rows whole (up to 4 MiB each).
Peak memory is the child process's high-water mark (VmHWM), measured the way
``benchmarks/bench_import.py --history-rows`` measures it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import IMPORTER

from desktop.commands.import_cmd import row_handlers
from review.imports import manifest as importer
from review.store import imports as import_store

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
WORDS = "a long note about why this was removed " * 100  # ~4,000 characters: rows held in memory show


def history_manifest(path: Path, items: int) -> Path:
    """*items* items, a decision with a long note on each, then audits with long comments of half of them."""
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(items):
            handle.write(json.dumps({"id": f"p{i}", "queue": f"q{i % 3}", "text": f"post {i}"}) + "\n")
        for i in range(items):
            handle.write(json.dumps({
                "type": "decision", "item": f"p{i}", "queue": f"q{i % 3}", "moderator": f"mod{i % 7}",
                "action": "remove", "labels": ["spam"], "note": f"{i} {WORDS}",
                "decided_at": f"2025-06-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"}) + "\n")
        for i in range(0, items, 2):
            handle.write(json.dumps({
                "type": "audit", "item": f"p{i}", "queue": f"q{i % 3}", "moderator": f"mod{i % 7}",
                "auditor": f"aud{i % 3}", "blind_action": "remove", "blind_labels": ["spam"], "verdict": "correct",
                "comment": f"{i} {WORDS}", "audited_at": f"2025-07-{1 + i % 28:02d}T00:00:00Z"}) + "\n")
    return path


@pytest.fixture
def run_python(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import common

    return common.run_python


def test_a_history_import_peaks_the_same_for_four_times_the_rows(run_python, tmp_path):
    """2,000 and 8,000 items with a decision each and 1,000 / 4,000 audits: the same peak, within a few MB.

    Held in memory, the 7,500 more history rows (~4 KB each) used to add ~40 MB.
    """
    code = "import sys; from desktop.main import main; sys.exit(main())"
    peaks = []
    for items in (2_000, 8_000):
        manifest = history_manifest(tmp_path / f"h{items}.jsonl", items)
        exit_code, out, err, _, peak_mb = run_python(
            code, "import", str(manifest), "--store", str(tmp_path / f"s{items}.db"), "--user", IMPORTER,
            "--create-queues", cwd=BENCHMARKS.parent)
        assert exit_code == 0, err
        assert f"imported {items} items, {items} decisions and {items // 2} audits" in out
        peaks.append(peak_mb)
    small, large = peaks
    assert large - small < 12, f"peak {small:.0f} MB for 2,000 items with history, {large:.0f} MB for 8,000"


def test_an_import_result_keeps_a_short_excerpt_of_each_rejected_row(store, tmp_path):
    """Rejected rows of 400,000 characters: the result keeps their line, reason and start, not the rows."""
    manifest = tmp_path / "m.jsonl"
    with open(manifest, "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "p0", "queue": "q", "text": "fine"}) + "\n")
        for _ in range(20):
            handle.write(json.dumps({"type": "decision", "item": "p0", "queue": "q", "moderator": "ana",
                                     "action": "remove", "labels": ["spam"], "decided_at": "2025-01-01T00:00:00Z",
                                     "note": "x" * 400_000}) + "\n")
    seen: list[object] = []
    result = importer.import_manifest(store, manifest, create_queues=True, actor=IMPORTER, handlers=row_handlers(),
                                      skip_invalid=True, on_rejected=lambda problem, row: seen.append(row))
    assert result.committed and result.rejected_rows == 20 and result.added == 1
    assert [p.line for p in result.problems] == list(range(2, 22))
    assert all("note is 400,000 characters long" in p.reason for p in result.problems)
    kept = sum(len(p.reason) + len(json.dumps(excerpt)) for p, excerpt in result.rejected)
    assert kept < 20 * 2_000, f"{kept:,} characters kept of 20 rejected rows"
    assert all(excerpt.startswith('{"type": "decision", "item": "p0"') and excerpt.endswith("…")
               and len(excerpt) == import_store.MAX_EXCERPT_CHARS + 1 for _, excerpt in result.rejected)
    assert all(isinstance(row, dict) and len(row["note"]) == 400_000 for row in seen)  # the rejects file: whole rows


def test_a_reason_quoting_a_huge_value_is_kept_cut(store, tmp_path):
    """A reason may quote the value it refuses: the result keeps its start, the rejects file the whole reason."""
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "p0", "queue": "q", "text": "t", "severity": "s" * 1_000_000}) + "\n")
    whole: list[str] = []
    result = importer.import_manifest(store, manifest, create_queues=True, actor=IMPORTER,
                                      on_rejected=lambda problem, row: whole.append(problem.reason))
    [problem] = result.problems
    assert len(problem.reason) < 2_000 and problem.reason.startswith("severity 'sss")
    assert len(problem.reason) == import_store.MAX_REASON_CHARS + 1 and problem.reason.endswith("…")
    assert len(whole[0]) > 1_000_000
