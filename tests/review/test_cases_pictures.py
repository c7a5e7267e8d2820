"""Issue 20's "done means" for cases: ten reports of one picture become one case decided once.

A manifest names ten copies of one generated picture (the same bytes five times, then resized, re-encoded and
resaved copies within the PDQ threshold) and one unrelated picture; one case opens, one item is served, one
moderator decision gives all ten reports a decision row, and ``veil export decisions`` lists each. Pictures are
generated (shapes, gradients, words), never real content.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from builders import people
from pdq_pictures import half_size, jpeg_q40, picture

from desktop import wiring
from desktop.main import main
from review import taxonomy
from review.clock import FakeClock
from review.desk import ReviewDesk
from review.store import integrity
from review.store.schema import migrations


@pytest.fixture(autouse=True)
def _nobody_in_the_environment(monkeypatch):
    monkeypatch.delenv("VEIL_USER", raising=False)
    monkeypatch.delenv("VEIL_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def floor(tmp_path) -> Path:
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee="lead")
        store.add_queue("images")
    return path


def _sets():
    return [migrations, *wiring.migration_sets()]


def _copies(folder: Path) -> list[dict[str, object]]:
    """Ten reports of one picture: the same bytes four times, then resized, re-encoded and resaved copies;
    and one unrelated picture."""
    folder.mkdir()
    original = picture(3, (640, 480))
    original.save(folder / "original.png")
    variants = {"half.png": half_size(original), "q40.jpg": jpeg_q40(original), "resaved.png": original.copy(),
                "q40-half.jpg": jpeg_q40(half_size(original)), "small.png": original.resize((400, 300))}
    for name, image in variants.items():
        image.convert("RGB").save(folder / name)
    picture(99, (640, 480)).save(folder / "unrelated.png")
    names = ["original.png"] * 5 + list(variants)
    rows: list[dict[str, object]] = [{"id": f"report-{n}", "queue": "images", "media": name,
                                      "received_at": f"2026-01-20T08:{n:02d}:00Z"} for n, name in enumerate(names)]
    return [*rows, {"id": "unrelated", "queue": "images", "media": "unrelated.png",
                    "received_at": "2026-01-20T08:30:00Z"}]


def test_ten_reports_of_one_picture_become_one_case_decided_once(capsys, floor, tmp_path):
    rows = _copies(tmp_path / "media")
    manifest = tmp_path / "media" / "reports.jsonl"  # media named relative to the manifest
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, _, err = cli(capsys, "--user", "lee", "import", manifest, "--store", floor)
    assert code == 0, err

    code, out, err = cli(capsys, "--user", "lee", "cases", "--store", floor, "--json")
    assert code == 0, err
    (case,) = json.loads(out)
    assert (case["queue"], case["reports"], case["open_reports"]) == ("images", 10, 10)
    assert case["lead_item"]["external_id"] == "report-0"
    assert [i["external_id"] for i in case["items"]] == [f"report-{n}" for n in range(10)]
    assert set(case) >= {"id", "queue", "opened_at", "lead_item", "items", "reports"}

    desk = ReviewDesk(taxonomy.load())
    with wiring.open_store(floor, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        ana = store.user("ana")
        shown = desk.claim(store, ana, ["images"])
        assert shown.item.external_id == "report-0" and shown.known.case.reports == 10
        other = desk.claim(store, ana, ["images"])
        assert other.item.external_id == "unrelated"  # the nine other reports are not served
        assert desk.claim(store, ana, ["images"]) is None
        made, _ = desk.decide(store, ana, shown.item.id, "remove", labels=["spam"], claim=shown.claim)
        rows_by_source = store.db.execute(
            "SELECT source, COUNT(*) FROM decisions WHERE action = 'remove' GROUP BY source ORDER BY source").fetchall()
        assert rows_by_source == [("case", 9), ("review", 1)]
        assert store.db.execute("SELECT COUNT(*) FROM decisions WHERE applies_id = ?", [made.id]).fetchone() == (9,)
        assert integrity.check(store.db, _sets(), escalating={"escalate"}).problems == ()

    code, out, err = cli(capsys, "--user", "lee", "cases", "--store", floor, "--json")
    assert (code, json.loads(out)) == (0, [])
    exported = tmp_path / "decisions.jsonl"
    code, _, err = cli(capsys, "--user", "lee", "export", "decisions", "--out", exported, "--store", floor)
    assert code == 0, err
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines() if line.strip()]
    decided = [line for line in lines if line.get("action") == "remove"]
    assert len(decided) == 10
    assert sorted(str(line.get("source")) for line in decided) == ["case"] * 9 + ["review"]




def test_a_near_copy_in_a_later_import_joins_by_pdq_and_not_across_queues(capsys, floor, tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    original = picture(11, (640, 480))
    original.save(folder / "original.png")
    half_size(original).save(folder / "half.png")
    jpeg_q40(original).convert("RGB").save(folder / "q40.jpg")
    with wiring.open_store(floor) as store:
        store.add_queue("other images")
    first = folder / "first.jsonl"
    first.write_text(json.dumps({"id": "first", "queue": "images", "media": "original.png"}) + "\n", encoding="utf-8")
    assert cli(capsys, "--user", "lee", "import", first, "--store", floor)[0] == 0
    later = folder / "later.jsonl"
    later.write_text("".join(json.dumps(r) + "\n" for r in (
        {"id": "half", "queue": "images", "media": "half.png"},
        {"id": "elsewhere", "queue": "other images", "media": "q40.jpg"})), encoding="utf-8")
    assert cli(capsys, "--user", "lee", "import", later, "--store", floor)[0] == 0
    with wiring.open_store(floor) as store:
        rows = dict((ext, (case_id, case_of)) for ext, case_id, case_of in store.db.execute(
            "SELECT external_id, case_id, case_of FROM items"))
        assert store.db.execute("SELECT key FROM cases").fetchall() == [("pdq",)]
    first_id = rows["first"][0]
    assert rows == {"first": (first_id, None), "half": (first_id, first_id), "elsewhere": (None, None)}
