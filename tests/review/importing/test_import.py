"""Importing manifests: every valid form lands, every invalid form is named, nothing half-imported.

Media is generated here (shapes and words), never real harmful content.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import struct
import tempfile
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from builders import IMPORTER
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from desktop.commands.import_cmd import ProgressBar
from desktop.main import main
from review.clock import FakeClock
from review.imports import manifest as importer
from review.imports.handlers import ImportResult, Problem
from review.media import intake
from review.store import Store


# ------------------------------------------------------------------ helpers
def png(path: Path, size=(64, 48), word="ok") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (230, 235, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, size[0] // 2, size[1] // 2), fill=(40, 120, 200))
    draw.text((4, size[1] - 14), word, fill=(0, 0, 0))
    image.save(path)
    return path


def noisy_png(path: Path, size=(256, 256)) -> Path:
    """A PNG with incompressible pixels, so cutting it in half surely truncates the image data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(7).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def video(path: Path, frames=10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    assert writer.isOpened()
    for i in range(frames):
        frame = np.full((48, 64, 3), 200, np.uint8)
        cv2.circle(frame, (8 + i * 4, 24), 6, (200, 80, 40), -1)
        writer.write(frame)
    writer.release()
    return path


def bomb_png(path: Path, width=50_000, height=50_000) -> Path:
    """A tiny PNG whose header claims a huge image (IHDR patched, CRC fixed); nothing big is allocated."""
    png(path, size=(8, 8))
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def write_jsonl(path: Path, rows) -> Path:
    """Rows are dicts (dumped) or raw strings (written as they are, for malformed lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
    return path


def write_csv(path: Path, header, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def items(store: Store) -> dict[str, dict]:
    cursor = store.db.execute(
        "SELECT i.*, q.name AS queue FROM items i JOIN queues q ON q.id = i.queue_id ORDER BY i.id"
    )
    names = [c[0] for c in cursor.description]
    return {row["external_id"]: row for row in (dict(zip(names, r)) for r in cursor)}


def snapshot(store: Store):
    """Everything an import could change: item rows, queues, the event log."""
    return (
        store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0],
        [q.name for q in store.queues()],
        store.db.execute("SELECT COUNT(*), MAX(hash) FROM events").fetchone(),
    )


def run(store, manifest, **options) -> ImportResult:
    options.setdefault("create_queues", True)
    options.setdefault("actor", IMPORTER)
    return importer.import_manifest(store, manifest, **options)


def only_problem(result: ImportResult) -> Problem:
    assert len(result.rejected) == 1, result.problems
    return result.problems[0]


@pytest.fixture
def drop(tmp_path) -> Path:
    """The folder manifests are dropped in (the store lives beside it, not in it)."""
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


# ------------------------------------------------------------ valid forms
def test_jsonl_text_rows_keep_every_field(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [
        {"id": 17, "queue": "spam", "text": "buy now", "severity": "High", "priority": "3",
         "received_at": "2026-01-02T10:00:00+02:00", "reporter": "u9", "tags": ["a", "b"]},
        "",
        {"id": "b-2", "queue": "spam", "text": "hello"},
    ])
    result = run(store, manifest)
    assert (result.rows, result.added, result.already_present, result.rejected) == (2, 2, 0, [])
    assert result.committed and result.queues == ["spam"] and result.queues_created == ["spam"]
    got = items(store)
    first = got["17"]
    assert first["kind"] == "text" and first["text"] == "buy now" and first["queue"] == "spam"
    assert first["severity"] == "high" and first["priority"] == 3
    assert first["received_at"] == "2026-01-02T08:00:00.000Z"  # normalised to UTC
    assert first["due_at"] == "2026-01-03T08:00:00.000Z"  # + the queue's default SLA
    assert json.loads(first["metadata"]) == {"reporter": "u9", "tags": ["a", "b"]}
    assert first["content_sha256"] == hashlib.sha256(b"buy now").hexdigest()  # its normal form: the same here
    assert first["media_path"] is None and first["pdq"] is None and first["content_md5"] is None
    second = got["b-2"]
    assert second["received_at"] == "2026-01-05T09:00:00.000Z"  # default: now (the fake clock)
    assert second["severity"] is None and second["priority"] == 0 and json.loads(second["metadata"]) == {}


def test_ndjson_suffix_is_json_lines(store, drop):
    manifest = write_jsonl(drop / "m.NDJSON", [{"id": "1", "queue": "q", "text": "x"}])
    assert run(store, manifest).added == 1


def test_csv_rows_with_empty_cells_omitted_and_multiline_text(store, drop):
    png(drop / "media" / "a.png")
    manifest = write_csv(drop / "m.csv", ["id", "queue", "media", "text", "severity", "reporter", "lang"], [
        ["1", "csvq", "", "line one\nline two", "low", "u1", ""],
        ["2", "csvq", "media/a.png", "", "", "", "de"],
        ["3", "csvq", "missing.png", "", "", "", ""],
    ])
    result = run(store, manifest, skip_invalid=True)
    got = items(store)
    assert got["1"]["text"] == "line one\nline two" and got["1"]["kind"] == "text"
    assert json.loads(got["1"]["metadata"]) == {"reporter": "u1"}
    assert got["2"]["kind"] == "image" and json.loads(got["2"]["metadata"]) == {"lang": "de"}
    # Row 3 starts on physical line 5: the header, then row 1 spans lines 2-3, row 2 is line 4.
    assert only_problem(result).line == 5


def test_relative_and_absolute_media_store_resolved_paths(store, drop):
    picture = png(drop / "media" / "a.png")
    clip = video(drop / "clips" / "c.mp4")
    manifest = write_jsonl(drop / "m.jsonl", [
        {"id": "rel", "queue": "q", "media": "media/a.png"},
        {"id": "abs", "queue": "q", "media": str(picture), "text": "caption"},
        {"id": "dotted", "queue": "q", "media": "./clips/../media/a.png"},
        {"id": "vid", "queue": "q", "media": "clips/c.mp4"},
    ])
    result = run(store, manifest)
    assert result.added == 4, result.problems
    got = items(store)
    sha = hashlib.sha256(picture.read_bytes()).hexdigest()  # copied into the media root or uploaded (issue 15 §4)
    stored = f"{sha[:2]}/{sha}.png"  # the content name, on both kinds of store
    assert got["rel"]["media_path"] == stored == got["dotted"]["media_path"]
    assert got["rel"]["kind"] == "image" and got["rel"]["media_type"] == "image/png"
    assert got["rel"]["content_sha256"] == hashlib.sha256(picture.read_bytes()).hexdigest()
    assert got["rel"]["content_md5"] == hashlib.md5(picture.read_bytes()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}:\d+", got["rel"]["pdq"]) and 0 <= got["rel"]["pdq_quality"] <= 100
    assert got["abs"]["kind"] == "mixed" and got["abs"]["text"] == "caption"
    assert got["vid"]["kind"] == "video" and got["vid"]["media_type"] == "video/mp4"
    clip_sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    assert got["vid"]["media_path"] == f"{clip_sha[:2]}/{clip_sha}.mp4"


def test_media_root_allows_a_folder_outside_the_manifests(store, drop, tmp_path):
    library = tmp_path / "library"
    picture = png(library / "x.png")
    manifest = write_jsonl(drop / "m.jsonl", [
        {"id": "abs", "queue": "q", "media": str(picture)},
        {"id": "rel", "queue": "q", "media": "../library/x.png"},
    ])
    refused = run(store, manifest)
    assert not refused.committed and len(refused.rejected) == 2
    assert all("outside" in p.reason for p in refused.problems)
    accepted = run(store, manifest, media_roots=[library])
    assert accepted.added == 2 and set(items(store)) == {"abs", "rel"}


def test_default_queue_applies_only_to_rows_without_one(store, drop):
    store.add_queue("main")
    store.add_queue("other")
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "text": "a"}, {"id": "2", "text": "b", "queue": "other"}])
    result = run(store, manifest, default_queue="main", create_queues=False)
    assert result.added == 2 and result.queues == ["main", "other"] and result.queues_created == []
    assert {k: v["queue"] for k, v in items(store).items()} == {"1": "main", "2": "other"}


def test_created_queues_are_review_queues(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "fresh", "text": "a"}])
    run(store, manifest)
    assert store.queue("fresh").kind == "review"


def test_same_id_in_two_queues_is_two_items(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "a", "text": "x"},
                                              {"id": "1", "queue": "b", "text": "x"}])
    assert run(store, manifest).added == 2


def test_one_event_per_import_names_manifest_and_actor(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [{"id": str(i), "queue": "q", "text": "t"} for i in range(5)])
    before = store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    store.add_user("lead7", ["lead"])
    run(store, manifest, actor="lead7")
    events = store.db.execute("SELECT actor, kind, subject, payload FROM events WHERE id > ?", [before]).fetchall()
    imported = [e for e in events if e[1] == "items.imported"]
    assert len(imported) == 1
    actor, _, subject, payload = imported[0]
    assert actor == "lead7" and subject == str(manifest.resolve()) and json.loads(payload)["added"] == 5


def test_a_file_used_by_many_rows_is_checked_once(store, drop, monkeypatch):
    png(drop / "a.png")
    calls = []
    real = intake.inspect
    monkeypatch.setattr(intake, "inspect", lambda path, **kw: calls.append(path) or real(path, **kw))
    manifest = write_jsonl(drop / "m.jsonl", [{"id": str(i), "queue": "q", "media": "a.png"} for i in range(20)])
    assert run(store, manifest).added == 20
    assert len(calls) == 1


def test_progress_reports_every_row_ending_at_total(store, drop):
    png(drop / "a.png")
    png(drop / "b.png", word="b")
    rows = [{"id": str(i), "queue": "q", "text": "t"} for i in range(5000)]
    rows += [{"id": "img-a", "queue": "q", "media": "a.png"}, {"id": "img-b", "queue": "q", "media": "b.png"}]
    seen = []
    run(store, write_jsonl(drop / "m.jsonl", rows), progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 5002) and seen[-1] == (5002, 5002)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# ---------------------------------------------------------- invalid forms
def _one_bad_media(store, drop, reference: str, fragment: str) -> None:
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "good", "queue": "q", "text": "fine"},
                                              {"id": "bad", "queue": "q", "media": reference}])
    before = snapshot(store)
    result = run(store, manifest)
    problem = only_problem(result)
    assert (problem.file, problem.line) == (str(manifest), 2)
    assert fragment in problem.reason and reference in problem.reason
    assert not result.committed and snapshot(store) == before


def test_missing_media_file(store, drop):
    _one_bad_media(store, drop, "nowhere/x.png", "not found")


def test_media_outside_the_manifest_folder_via_dotdot(store, drop, tmp_path):
    png(tmp_path / "elsewhere" / "x.png")
    _one_bad_media(store, drop, "../elsewhere/x.png", "outside")


def test_media_symlink_pointing_outside(store, drop, tmp_path):
    target = png(tmp_path / "elsewhere" / "x.png")
    try:
        (drop / "link.png").symlink_to(target)
    except OSError:
        pytest.skip("no symlinks here")
    _one_bad_media(store, drop, "link.png", "outside")


def test_text_saved_as_jpg(store, drop):
    (drop / "note.jpg").write_text("this is only a note, not a picture\n")
    _one_bad_media(store, drop, "note.jpg", "not an image or video")


def test_truncated_image(store, drop):
    path = noisy_png(drop / "cut.png")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _one_bad_media(store, drop, "cut.png", "truncated")


def test_zero_byte_file(store, drop):
    (drop / "empty.png").write_bytes(b"")
    _one_bad_media(store, drop, "empty.png", "zero-byte")


def test_folder_instead_of_file(store, drop):
    (drop / "folder.png").mkdir()
    _one_bad_media(store, drop, "folder.png", "folder")


def test_decompression_bomb(store, drop):
    bomb_png(drop / "bomb.png")
    _one_bad_media(store, drop, "bomb.png", "50000x50000")


def test_pixel_cap_is_configurable(store, drop):
    png(drop / "a.png", size=(100, 100))
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])
    assert "cap" in only_problem(run(store, manifest, max_pixels=5_000)).reason
    assert run(store, manifest).added == 1


BAD_ROWS = [
    pytest.param('{"id": "1", "queue": "q", "text": ', "malformed JSON", id="malformed-json"),
    pytest.param('["a", "list"]', "not a JSON object", id="not-an-object"),
    pytest.param({"queue": "q", "text": "x"}, "missing id", id="missing-id"),
    pytest.param({"id": "  ", "queue": "q", "text": "x"}, "id is blank", id="blank-id"),
    pytest.param({"id": {"a": 1}, "queue": "q", "text": "x"}, "id must be", id="object-id"),
    pytest.param({"id": "1", "text": "x"}, "no queue", id="no-queue"),
    pytest.param({"id": "1", "queue": "nope", "text": "x"}, "queue 'nope' does not exist", id="unknown-queue"),
    pytest.param({"id": "1", "queue": "q", "text": "x", "severity": "catastrophic"}, "severity 'catastrophic'",
                 id="bad-severity"),
    pytest.param({"id": "1", "queue": "q", "text": "x", "received_at": "yesterday"}, "received_at 'yesterday'",
                 id="bad-timestamp"),
    pytest.param({"id": "1", "queue": "q", "text": "x", "received_at": "2026-02-30"}, "not an ISO 8601",
                 id="impossible-date"),
    pytest.param({"id": "1", "queue": "q", "text": "x", "priority": "high"}, "priority 'high'", id="bad-priority"),
    pytest.param({"id": "1", "queue": "q", "text": 5}, "text must be a string", id="text-not-string"),
    pytest.param({"id": "1", "queue": "q"}, "neither media nor text", id="nothing-to-review"),
    pytest.param({"id": "1", "queue": "q", "text": "x", "type": "decision"}, "unsupported row type 'decision'",
                 id="history-row"),
]


@pytest.mark.parametrize("row, fragment", BAD_ROWS)
def test_each_bad_row_is_named_with_its_line(store, drop, row, fragment):
    store.add_queue("q")
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "ok", "queue": "q", "text": "fine"}, "", row])
    before = snapshot(store)
    result = run(store, manifest, create_queues=False)
    problem = only_problem(result)
    assert problem.line == 3 and fragment in problem.reason
    assert str(problem).startswith(f"{manifest}:3: ")
    assert not result.committed and snapshot(store) == before


def test_duplicate_id_names_the_first_line(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [
        {"id": "x", "queue": "q", "text": "first"},
        {"id": "y", "queue": "q", "text": "other"},
        {"id": "x", "queue": "q", "text": "again"},
    ])
    problem = only_problem(run(store, manifest))
    assert problem.line == 3 and "duplicate id 'x'" in problem.reason and "line 1" in problem.reason


def test_csv_row_with_wrong_column_count(store, drop):
    manifest = drop / "m.csv"
    manifest.write_text("id,queue,text\n1,q,hello\n2,q,too,many\n3,q\n", encoding="utf-8")
    result = run(store, manifest)
    assert [(p.line, "fields" in p.reason) for p in result.problems] == [(3, True), (4, True)]


def test_csv_header_repeating_a_column_stops_the_import(store, drop):
    manifest = drop / "m.csv"
    manifest.write_text("id,text,text\n1,a,b\n", encoding="utf-8")
    with pytest.raises(importer.ManifestError, match="repeats column 'text'"):
        run(store, manifest)


def test_a_row_with_several_problems_lists_them_all(store, drop):
    manifest = write_jsonl(drop / "m.jsonl",
                           [{"id": "1", "queue": "q", "text": "x", "severity": "bad", "received_at": "never"}])
    reason = only_problem(run(store, manifest)).reason
    assert "severity" in reason and "received_at" in reason


def test_a_rejected_rows_media_is_still_checked(store, drop):
    """One run reports every problem: a field error does not hide a bad file on the same row."""
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "media": "gone.png", "severity": "bad"}])
    reason = only_problem(run(store, manifest)).reason
    assert "severity" in reason and "media 'gone.png': file not found" in reason


def test_encoding_problems(store, drop):
    """A stray non-UTF-8 JSON line is one bad line; a CSV that is not UTF-8 cannot be read at all."""
    jsonl = drop / "m.jsonl"
    jsonl.write_bytes(b'\xef\xbb\xbf{"id": "1", "queue": "q", "text": "bom is fine"}\n{"id": "2", "text": "caf\xe9"}\n')
    problem = only_problem(run(store, jsonl))
    assert problem.line == 2 and "not UTF-8" in problem.reason
    latin = drop / "m.csv"
    latin.write_bytes(b"id,queue,text\n" + b"1,q,fine\n" * 5000 + b"2,q,caf\xe9\n")
    with pytest.raises(importer.ManifestError, match=r"m\.csv:5002: the manifest is not UTF-8"):
        run(store, latin)


@pytest.mark.parametrize("name, fragment",
                         [("absent.jsonl", "not found"), ("m.txt", "unsupported"), ("dir.csv", "not a file")])
def test_unusable_manifest_raises(store, drop, name, fragment):
    (drop / "m.txt").write_text("{}")
    (drop / "dir.csv").mkdir()
    with pytest.raises(importer.ManifestError, match=fragment):
        run(store, drop / name)


# ------------------------------------------------------ all or nothing
def test_one_bad_row_means_nothing_is_written_and_every_problem_is_reported(store, drop):
    store.add_queue("existing")
    png(drop / "a.png")
    (drop / "fake.jpg").write_text("words")
    rows = [{"id": str(i), "queue": "new-queue" if i % 2 else "existing", "text": f"t{i}"} for i in range(50)]
    rows += [{"id": "img", "queue": "new-queue", "media": "a.png"},
             {"id": "fake", "queue": "existing", "media": "fake.jpg"},
             "{oops", {"id": "s", "queue": "existing", "text": "x", "severity": "nah"}]
    manifest = write_jsonl(drop / "m.jsonl", rows)
    before = snapshot(store)
    result = run(store, manifest)
    assert not result.committed and result.added == 0
    assert [p.line for p in result.problems] == [52, 53, 54]
    assert snapshot(store) == before  # no items, no new queue, no event
    with pytest.raises(KeyError):
        store.queue("new-queue")


def test_skip_invalid_imports_the_rest_and_returns_rejects(store, drop):
    manifest = write_jsonl(drop / "m.jsonl", [
        {"id": "1", "queue": "q", "text": "good"},
        {"id": "2", "queue": "q", "text": "bad", "severity": "nah"},
        "not json",
        {"id": "3", "queue": "only-bad", "media": "missing.png"},
        {"id": "4", "queue": "q", "text": "good too"},
    ])
    result = run(store, manifest, skip_invalid=True)
    assert result.committed and result.added == 2 and len(result.rejected) == 3
    assert set(items(store)) == {"1", "4"}
    assert [(p.line, excerpt) for p, excerpt in result.rejected] == [  # the start of each row, for the report
        (2, json.dumps({"id": "2", "queue": "q", "text": "bad", "severity": "nah"})),
        (3, "not json"),
        (4, json.dumps({"id": "3", "queue": "only-bad", "media": "missing.png"})),
    ]
    assert result.queues_created == ["q"]  # a queue whose every row was rejected is not created
    with pytest.raises(KeyError):
        store.queue("only-bad")


def test_dry_run_writes_nothing_but_says_what_would_happen(store, drop):
    store.add_queue("q")
    store.add_items([{"external_id": "old", "queue_id": store.queue("q").id, "kind": "text",
                      "text": "x", "received_at": store.now()}])
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "old", "queue": "q", "text": "x"},
                                              {"id": "new", "queue": "q", "text": "y"},
                                              {"id": "n2", "queue": "brand-new", "text": "z"}])
    before = snapshot(store)
    result = run(store, manifest, dry_run=True)
    assert (result.added, result.already_present, result.queues_created) == (2, 1, ["brand-new"])
    assert result.dry_run and not result.committed and snapshot(store) == before


def test_reimport_adds_nothing(store, drop):
    png(drop / "a.png")
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "text": "a"},
                                              {"id": "2", "queue": "q", "media": "a.png"}])
    first = run(store, manifest)
    count = len(items(store))
    second = run(store, manifest)
    assert (first.added, first.already_present) == (2, 0)
    assert (second.added, second.already_present, second.rejected) == (0, 2, [])
    assert len(items(store)) == count == 2


def test_reimport_does_not_recheck_media_of_present_rows(store, drop, monkeypatch):
    png(drop / "a.png")
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "media": "a.png"}])
    run(store, manifest)
    monkeypatch.setattr(intake, "inspect", lambda *a, **k: pytest.fail("media re-checked"))
    assert run(store, manifest).already_present == 1


# ------------------------------------------------------------------ CLI
def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def open_store(path: Path) -> Store:
    return Store.open(path, clock=FakeClock())


SUMMARY = re.compile(
    r"imported (\d+) items? into (\d+) queues? \((\d+) already present, (\d+) rejected\) from (\S+) "
    r"in \d+\.\d s \(\d+ rows/s\)"
)


def test_cli_imports_and_prints_one_summary_line(capsys, drop, tmp_path, monkeypatch):
    monkeypatch.chdir(drop)
    db = tmp_path / "s.db"
    write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "a", "text": "x"}, {"id": "2", "queue": "b", "text": "y"}])
    code, out, err = cli(capsys, "--user", "lead1", "import", "m.jsonl", "--store", db, "--create-queues")
    assert code == 0, err
    assert SUMMARY.fullmatch(out.splitlines()[-1]).groups() == ("2", "2", "0", "0", "m.jsonl")
    code, out, _ = cli(capsys, "import", "m.jsonl", "--store", db)
    assert code == 0 and SUMMARY.fullmatch(out.splitlines()[-1]).groups()[:4] == ("0", "2", "2", "0")
    with open_store(db) as store:
        assert len(items(store)) == 2
        actors = {a for (a,) in store.db.execute("SELECT actor FROM events WHERE kind = 'items.imported'")}
        assert "lead1" in actors


def test_cli_bad_rows_exit_1_with_file_line_report_and_nothing_written(capsys, drop, tmp_path):
    db = tmp_path / "s.db"
    manifest = write_jsonl(drop / "m.jsonl", [
        {"id": "1", "queue": "q", "text": "x"},
        "{broken",
        {"id": "1", "queue": "q", "text": "again"},
    ])
    code, out, err = cli(capsys, "import", manifest, "--store", db, "--create-queues")
    assert code == 1
    assert err.splitlines() == [
        f"{manifest}:2: malformed JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{manifest}:3: duplicate id '1' in queue 'q' (first on line 1)",
    ]
    assert "imported nothing" in out and "--skip-invalid" in out
    with open_store(db) as store:
        assert snapshot(store)[:2] == (0, [])
        assert store.db.execute("SELECT COUNT(*) FROM events WHERE kind = 'items.imported'").fetchone()[0] == 0


def test_cli_skip_invalid_writes_rejects_and_exits_0(capsys, drop, tmp_path):
    db, rejects = tmp_path / "s.db", tmp_path / "rejects.jsonl"
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "text": "x"},
                                              {"id": "2", "queue": "q", "text": "y", "severity": "nah"}])
    code, out, err = cli(capsys, "import", manifest, "--store", db, "--create-queues", "--skip-invalid", rejects)
    assert code == 0, err
    assert f"1 rejected row written to {rejects}" in out
    assert SUMMARY.fullmatch(out.splitlines()[-1]).groups()[:4] == ("1", "1", "0", "1")
    [record] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert record["file"] == str(manifest) and record["line"] == 2 and "severity" in record["reason"]
    assert record["row"] == {"id": "2", "queue": "q", "text": "y", "severity": "nah"}


def test_cli_dry_run_writes_nothing(capsys, drop, tmp_path):
    db = tmp_path / "s.db"
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "text": "x"}])
    code, out, _ = cli(capsys, "import", manifest, "--store", db, "--create-queues", "--dry-run")
    assert code == 0
    assert "would create 1 queue: q" in out
    assert out.splitlines()[-1].startswith("dry run: would import 1 item into 1 queue")
    with open_store(db) as store:
        assert snapshot(store)[:2] == (0, [])


def test_cli_unusable_manifest_exits_2(capsys, drop, tmp_path):
    (drop / "m.xml").write_text("<x/>")
    for target, fragment in [(drop / "absent.jsonl", "manifest not found"),
                             (drop / "m.xml", "unsupported manifest type")]:
        code, _, err = cli(capsys, "import", target, "--store", tmp_path / "s.db")
        assert code == 2 and fragment in err
    assert not (tmp_path / "s.db").exists()  # a typo never creates a store


def test_cli_bad_media_root_or_rejects_path_exits_2(capsys, drop, tmp_path):
    manifest = write_jsonl(drop / "m.jsonl", [{"id": "1", "queue": "q", "text": "x"}])
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "s.db", "--media-root", tmp_path / "nope")
    assert code == 2 and "not a folder" in err
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "s.db", "--skip-invalid", manifest)
    assert code == 2 and manifest.read_text().strip()  # the manifest was not overwritten
    (tmp_path / "s.db").write_bytes(b"precious")
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "s.db", "--skip-invalid", tmp_path / "s.db")
    assert code == 2 and (tmp_path / "s.db").read_bytes() == b"precious"
    code, _, err = cli(capsys, "import", manifest, "--store", tmp_path / "s.db",
                       "--skip-invalid", tmp_path / "no" / "dir" / "r.jsonl")
    assert code == 2 and "cannot write rejects" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr(ProgressBar, "DELAY_S", 0.0)
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar(stream)
        bar.update(50, 100)
        bar.update(100, 100)
        bar.clear()
    assert pipe.getvalue() == ""
    assert "\r[" in terminal.getvalue() and "100/100 rows checked" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")


# ---------------------------------------------------------------- property
@pytest.fixture(scope="module")
def shared_media(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shared-media")
    png(folder / "good.png")
    (folder / "fake.jpg").write_text("just words")
    return folder


KINDS = ["text", "image", "mixed", "bad_severity", "bad_time", "missing_media", "fake_media", "duplicate",
         "no_id", "bad_json", "unknown_queue", "history"]
VALID = {"text", "image", "mixed"}


def _row(kind: str, index: int, media_dir: Path):
    base = {"id": f"r{index}", "queue": "q", "text": f"text {index}"}
    return {
        "text": base,
        "image": {"id": f"r{index}", "queue": "q", "media": str(media_dir / "good.png")},
        "mixed": {**base, "media": str(media_dir / "good.png")},
        "bad_severity": {**base, "severity": "extreme"},
        "bad_time": {**base, "received_at": "not a time"},
        "missing_media": {**base, "media": str(media_dir / "absent.png")},
        "fake_media": {**base, "media": str(media_dir / "fake.jpg")},
        "duplicate": {**base, "id": "r0"},
        "no_id": {"queue": "q", "text": "anonymous"},
        "bad_json": f'{{"id": "r{index}", ',
        "unknown_queue": {**base, "queue": "nowhere"},
        "history": {**base, "type": "audit"},
    }[kind]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(KINDS), max_size=25), skip=st.booleans())
def test_property_exactly_the_valid_rows_land(shared_media, kinds, skip):
    # Row 0 is always valid so "duplicate" rows have a first occurrence to collide with.
    kinds = ["text", *kinds]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = write_jsonl(folder / "m.jsonl", [_row(k, i, shared_media) for i, k in enumerate(kinds)])
        with Store.open(folder / "s.db", clock=FakeClock()) as store:
            store.add_user(IMPORTER, ["lead"])  # a store that holds a queue is founded by no import
            store.add_queue("q")
            result = importer.import_manifest(store, manifest, skip_invalid=skip, media_roots=[shared_media], workers=2,
                                              actor=IMPORTER)
            valid = {f"r{i}" for i, k in enumerate(kinds) if k in VALID}
            bad_lines = [i + 1 for i, k in enumerate(kinds) if k not in VALID]
            assert result.rows == len(kinds)
            assert [p.line for p in result.problems] == bad_lines
            if skip or not bad_lines:
                assert result.committed
                assert result.added + len(result.rejected) == result.rows
                assert set(items(store)) == valid
            else:
                assert not result.committed and items(store) == {}
