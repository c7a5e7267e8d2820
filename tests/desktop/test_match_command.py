"""``veil match``: a file's or text's hashes and the store's decided copies, as JSON; and how the review
screen words "Seen before" (counts and a distance, never the copy's pixels)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from builders import people
from PIL import Image, ImageDraw

from desktop import wiring
from desktop.main import main
from review import decisions, taxonomy
from review.clock import FakeClock
from review.media import fingerprint, intake
from review.near_copies import SeenBefore
from ui.pages.review_panels import seen_before_text


def _picture(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(np.repeat(np.linspace(0, 255, 320, dtype=np.uint8)[None, :], 240, axis=0)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = (int(v) for v in rng.integers(0, 260, 2))
        draw.ellipse((x, y, x + 60, y + 50), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw.text((20, 20), f"SAMPLE {seed}", fill="white")
    return image


@pytest.fixture
def floor(tmp_path) -> tuple[Path, dict[str, Path]]:
    files = {}
    for name, seed in (("removed", 1), ("allowed", 2)):
        files[name] = tmp_path / f"{name}.png"
        _picture(seed).save(files[name])
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee="lead")
        queue = store.add_queue("images")
        rows = []
        for name, file in files.items():
            info = intake.inspect(file)
            rows.append({"external_id": name, "queue_id": queue.id, "kind": "image", "media_path": str(file),
                         "media_type": info.mime, "content_sha256": info.sha256, "content_md5": info.md5,
                         "pdq": info.pdq, "pdq_quality": info.pdq_quality,
                         "received_at": "2026-01-20T08:00:00Z"})
        rows.append({"external_id": "text", "queue_id": queue.id, "kind": "text", "text": "Buy cheap pills",
                     "content_sha256": fingerprint.text_sha256("Buy cheap pills"),
                     "received_at": "2026-01-20T08:00:00Z"})
        store.add_items(rows)
        for item_id, action in ((1, "remove"), (2, "no_violation"), (3, "remove")):
            decisions.record_past_decision(store, item_id=item_id, user="ana", action=action, labels=["spam"],
                                           decided_at="2026-01-20T08:30:00Z")
    return path, files


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_match_prints_each_inputs_hashes_and_the_decided_copies(capsys, floor, tmp_path):
    store, files = floor
    reupload = tmp_path / "reupload.jpg"
    Image.open(files["removed"]).resize((200, 150)).save(reupload, quality=40)
    mirrored = tmp_path / "mirrored.png"
    Image.open(files["removed"]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored)
    code, out, err = cli(capsys, "match", files["removed"], reupload, mirrored, "--text", "  BUY cheap   pills ",
                         "--json", "--store", store, "--user", "ana")
    assert (code, err) == (0, "")
    exact, near, flipped, text = json.loads(out)
    info = intake.inspect(files["removed"])
    assert {k: exact[k] for k in ("path", "pdq", "quality", "md5", "sha256")} == {
        "path": str(files["removed"]), "pdq": info.pdq.split(":")[0], "quality": info.pdq_quality, "md5": info.md5,
        "sha256": info.sha256}
    assert exact["matches"] == [{"source": "store", "list": None, "tag": None, "item_id": 1, "distance": 0,
                                 "action": "remove"}]
    assert [(m["item_id"], m["action"]) for m in near["matches"]] == [(1, "remove")]
    assert 0 < near["matches"][0]["distance"] <= 31
    assert flipped["matches"] == []  # a mirror is another picture unless asked for
    assert text["text"] == "  BUY cheap   pills " and text["pdq"] is None
    assert [(m["item_id"], m["distance"]) for m in text["matches"]] == [(3, 0)]


def test_dihedral_finds_mirrored_copies(capsys, floor, tmp_path):
    store, files = floor
    mirrored = tmp_path / "mirrored.png"
    Image.open(files["allowed"]).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored)
    code, out, _ = cli(capsys, "match", mirrored, "--dihedral", "--json", "--store", store, "--user", "ana")
    assert code == 0
    assert [(m["item_id"], m["action"]) for m in json.loads(out)[0]["matches"]] == [(2, "no_violation")]


def test_an_unreadable_file_is_said_and_the_rest_still_answered(capsys, floor, tmp_path):
    store, files = floor
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    code, out, err = cli(capsys, "match", broken, files["allowed"], "--store", store, "--user", "ana")
    assert code == 1 and "broken.png" in err
    assert "seen: item 2, no_violation, 0 bits" in out
    code, _, err = cli(capsys, "match", "--store", store, "--user", "ana")
    assert code == 2 and "give at least one PATH" in err


def test_the_review_screen_says_the_outcomes_and_the_nearest_distance():
    words = taxonomy.load()
    assert seen_before_text(SeenBefore({"remove": 3}, bits=4), words) == "Seen before: remove ×3, 4 bits"
    assert seen_before_text(SeenBefore({"remove": 1, "no_violation": 1}, bits=0), words) == (
        "Seen before: no violation ×1, remove ×1, identical")  # most first, then by name
    assert seen_before_text(SeenBefore({}, bits=None), words) == "Not seen before"
    assert seen_before_text({"remove": 2}, words) == "Seen before: remove ×2"


def test_only_moderators_and_leads_may_match_and_a_moderator_is_not_told_of_an_open_qa_sample(capsys, floor):
    """Review 6 #5: an auditor learnt the decision of the sample it was to audit blind."""
    from audit import sampling

    path, _ = floor
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, dana="auditor", ben="moderator")
        decision_id = store.db.execute("SELECT id FROM decisions WHERE item_id = 3").fetchone()[0]
        sampling.add_sample(store, "lee", decision_id)
    code, out, err = cli(capsys, "match", "--text", "buy cheap pills", "--json", "--store", path, "--user", "dana")
    assert code == 2 and "dana is not a moderator or a lead" in err and out == ""
    code, out, _ = cli(capsys, "match", "--text", "buy cheap pills", "--json", "--store", path, "--user", "ben")
    assert code == 0 and json.loads(out)[0]["matches"] == []  # item 3's decision is being audited
    code, out, _ = cli(capsys, "match", "--text", "buy cheap pills", "--json", "--store", path, "--user", "lee")
    assert code == 0 and [m["item_id"] for m in json.loads(out)[0]["matches"]] == [3]


def test_dihedral_on_a_picture_too_small_to_hash_says_so_instead_of_crashing(capsys, floor, tmp_path):
    """Review 6 #9: a 3x3 PNG raised ValueError from the dihedral hashes."""
    path, _ = floor
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (3, 3), "red").save(tiny)
    code, out, err = cli(capsys, "match", tiny, "--dihedral", "--json", "--store", path, "--user", "ana")
    assert (code, err) == (0, "")
    assert json.loads(out)[0]["pdq"] is None and json.loads(out)[0]["matches"] == []
    with pytest.raises(Exception, match="too small to hash"):
        intake.turned_hashes(tiny, "image/png")
