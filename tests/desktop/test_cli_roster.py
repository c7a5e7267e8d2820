"""``veil roster``: import with FILE:LINE problems (all or nothing, hostile files too), list, export, rules."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from builders import people

from desktop import wiring
from desktop.main import main
from review.clock import FakeClock
from review.planning import roster

HEADER = "person,date,start,end,queues\n"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def floor(tmp_path) -> Path:
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", ben="moderator", lee="lead")
        store.add_queue("spam")
        store.add_queue("=HYPERLINK(\"http://x\")")
    return path


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _file(tmp_path: Path, text: str, name: str = "shifts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_list_and_export(capsys, floor, tmp_path):
    path = _file(tmp_path, HEADER + "ana,2026-01-20,08:00,12:00,spam\nben,2026-01-20,10:00,14:00,"
                 "spam;=HYPERLINK(\"http://x\")\n")
    code, out, err = cli(capsys, "roster", "import", path, "--dry-run", "--store", floor, "--user", "lee")
    assert (code, err) == (0, "") and "would import (dry run) 2 shifts" in out
    code, out, _ = cli(capsys, "roster", "list", "--date", "2026-01-20", "--json", "--store", floor, "--user", "lee")
    assert json.loads(out) == []
    code, out, _ = cli(capsys, "roster", "import", path, "--store", floor, "--user", "lee")
    assert code == 0 and "imported 2 shifts for 2 person-days, replacing 0" in out
    code, out, _ = cli(capsys, "roster", "list", "--date", "2026-01-20", "--json", "--store", floor, "--user", "lee")
    assert [(s["person"], s["start"], s["queues"]) for s in json.loads(out)] == [
        ("ana", "08:00", ["spam"]), ("ben", "10:00", ["spam", "=HYPERLINK(\"http://x\")"])]
    code, out, _ = cli(capsys, "roster", "export", "--store", floor, "--user", "lee")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["person", "date", "start", "end", "queues"]
    assert rows[2][4] == "spam;=HYPERLINK(\"http://x\")"  # starts with "spam": a spreadsheet shows it as text
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_export_neutralises_a_cell_that_starts_a_formula(capsys, floor, tmp_path):
    with wiring.open_store(floor) as store:
        roster.add_shift(store, "lee", "ana", "2026-01-20", "08:00", "09:00", ["=HYPERLINK(\"http://x\")"])
    out_file = tmp_path / "out.csv"
    code, _, _ = cli(capsys, "roster", "export", "--output", out_file, "--store", floor, "--user", "lee")
    assert code == 0
    assert list(csv.reader(out_file.open(encoding="utf-8")))[1][4] == "'=HYPERLINK(\"http://x\")"


def test_every_problem_says_file_and_line_and_nothing_is_imported(capsys, floor, tmp_path):
    path = _file(tmp_path, HEADER + "ana,2026-01-20,08:00,12:00,spam\nzed,2026-01-20,08:00,12:00,spam\n"
                 "ben,20/01/2026,08:00,12:00,spam\nben,2026-01-20,13:00,12:00,spam\nben,2026-01-20,08:00,12:00,eggs\n"
                 "ben,2026-01-20,08:00\n\x1b[2J,2026-01-20,08:00,12:00,spam\n")
    code, out, err = cli(capsys, "roster", "import", path, "--store", floor, "--user", "lee")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "shifts.csv:3: there is nobody called “zed”",
        "shifts.csv:4: the date “20/01/2026” is not a date such as 2026-03-31",
        "shifts.csv:5: the shift ends (12:00) before it starts (13:00): split a night shift at 24:00",
        "shifts.csv:6: there is no queue called “eggs”",
        "shifts.csv:7: expected 5 columns (person, date, start, end, queues), found 3",
        "shifts.csv:8: there is nobody called “\\x1b[2J”",  # a hostile name is shown, never run
        "veil: shifts.csv has problems: nothing was imported",
    ]
    with wiring.open_store(floor) as store:
        assert roster.shifts(store, "lee", "2026-01-20") == []


def test_a_wrong_header_and_a_moderator_are_refused(capsys, floor, tmp_path):
    path = _file(tmp_path, "name,day\nana,2026-01-20\n")
    code, _, err = cli(capsys, "roster", "import", path, "--store", floor, "--user", "lee")
    assert code == 1 and "shifts.csv:1: the header must be person,date,start,end,queues" in err
    code, _, err = cli(capsys, "roster", "import", path, "--store", floor, "--user", "ana")
    assert code == 2 and "only a lead" in err


def test_huge_fields_and_lines_are_problems_not_memory(capsys, floor, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        out.write("ana," + "x" * 50_000_000 + ",08:00,12:00,spam\n")  # 50 MB on one line
        out.write("ben,2026-01-20,08:00,12:00,spam\n")
        out.write('"' + "y" * 1000 + "\n" + "y" * 1000 + "\n")  # an unclosed quote
    tracemalloc.start()
    try:
        code, _, err = cli(capsys, "roster", "import", path, "--store", floor, "--user", "lee")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1
    assert "huge.csv:2: the line is longer than 4096 characters" in err
    assert peak < 20_000_000


def _peak_kib(store: Path, path: Path) -> tuple[int, str, int]:
    """``veil roster import`` run in a fresh process: (exit code, stderr, its peak resident memory in KiB)."""
    script = ("import resource, sys\nfrom desktop.main import main\ncode = main(sys.argv[1:])\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stdout)\nsys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "roster", "import", str(path), "--store", str(store),
                           "--user", "lee"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    return done.returncode, done.stderr, int(done.stdout.split()[-1])


def test_a_million_rows_are_checked_in_bounded_memory(floor, tmp_path):
    """Every row is read and checked (each problem counted) while memory stays what a ten-row file takes."""
    small, big = tmp_path / "small.csv", tmp_path / "million.csv"
    row = "nobody,2026-01-20,08:00,09:00,spam\n"
    small.write_text(HEADER + row * 10, encoding="utf-8")
    big.write_text(HEADER + row * 1_000_000, encoding="utf-8")  # 35 MB
    _, _, baseline = _peak_kib(floor, small)
    code, err, peak = _peak_kib(floor, big)
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "million.csv:2: there is nobody called “nobody”"
    assert lines[-2] == f"… and {1_000_000 - roster.MAX_PROBLEMS} more problems"
    assert peak - baseline < 16 * 1024


def test_rules_are_shown_and_set(capsys, floor):
    code, out, _ = cli(capsys, "roster", "rules", "--severe", "spam", "--max-minutes", "90", "--max-days", "off",
                       "--store", floor, "--user", "lee")
    assert code == 0 and "severe queues: spam" in out and "at most 90 minutes" in out and "any days" in out
    code, _, err = cli(capsys, "roster", "rules", "--max-minutes", "0", "--store", floor, "--user", "lee")
    assert code == 2 and "whole number" in err


def test_a_file_that_is_not_utf8_is_a_problem_with_its_line(capsys, floor, tmp_path):
    """Finding 3: a non-UTF-8 byte crashed the import with a traceback."""
    path = tmp_path / "shifts.csv"
    path.write_bytes(HEADER.encode() + b"ana,2026-01-20,08:00,12:00,spam\n\xff\xfeben,2026-01-20,08:00,12:00,spam\n")
    code, out, err = cli(capsys, "roster", "import", path, "--store", floor, "--user", "lee")
    assert code == 1 and out == ""
    assert err.splitlines()[0].startswith("shifts.csv:3: ") and "UTF-8" in err
    assert "Traceback" not in err


def test_export_then_import_round_trips_after_a_merge(capsys, floor, tmp_path):
    """Finding 11: a merged queue's old name was exported, and the ' formula prefix was not stripped on import."""
    from review import admin

    with wiring.open_store(floor) as store:
        store.add_queue("junk")
        roster.add_shift(store, "lee", "ana", "2026-01-20", "08:00", "09:00", ["=HYPERLINK(\"http://x\")"])
        roster.add_shift(store, "lee", "ben", "2026-01-20", "08:00", "09:00", ["junk"])
        admin.merge(store, "lee", "junk", "spam")
    out_file = tmp_path / "out.csv"
    assert cli(capsys, "roster", "export", "--output", out_file, "--store", floor, "--user", "lee")[0] == 0
    code, out, err = cli(capsys, "roster", "import", out_file, "--store", floor, "--user", "lee")
    assert (code, err) == (0, "") and "imported 2 shifts for 2 person-days, replacing 2" in out
    with wiring.open_store(floor) as store:
        assert [(s.person, s.queues) for s in roster.shifts(store, "lee", "2026-01-20")] == [
            ("ana", ("=HYPERLINK(\"http://x\")",)), ("ben", ("spam",))]
