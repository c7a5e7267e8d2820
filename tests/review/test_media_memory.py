"""Hostile images cannot take a process's memory: the import and the review worker stay bounded (issue 12).

The bombs (10000x10000 solid PNGs and TIFFs, a few hundred KB each) are
made by code in ``tmp_path`` (``media_bombs``), never committed. Peak
memory is the child process's ``ru_maxrss``: whole processes, measured the
way ``benchmarks/bench_import_media.py`` measures them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from media_bombs import png_bomb, tiff_bomb
from PIL import Image

from review.media import MediaError, images, intake, limits, preview

ROOT = Path(__file__).resolve().parents[2]
MB = 2**20


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bombs")
    png_bomb(folder / "a.png")
    png_bomb(folder / "b.png", value=90)
    png_bomb(folder / "c.png", mode="RGBA")
    tiff_bomb(folder / "d.tif")  # one strip: the decoder's buffer is a second full copy
    return folder


# The child's own high-water mark, said as it exits. Not ru_maxrss: Linux carries the forking
# process's peak into the child's, so a pytest worker that grew large would be measured instead.
_SAY_PEAK = ("import atexit, sys; atexit.register(lambda: print('VmHWM', open('/proc/self/status').read()"
             ".split('VmHWM:')[1].split()[0], file=sys.__stderr__))\n")


def _peak(code: str, *args: str) -> tuple[int, str, float]:
    """Run ``python -c code *args`` in a child from the checkout; its exit code, output and peak RSS in MB."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as said:  # a file, not a pipe: it may say a lot
        child = subprocess.run([sys.executable, "-c", _SAY_PEAK + code, *args], cwd=ROOT, stdout=said,
                               stderr=subprocess.STDOUT, check=False)
        said.seek(0)
        text = said.read()
    peaks = [line.split()[1] for line in text.splitlines() if line.startswith("VmHWM ")]
    return child.returncode, text, int(peaks[-1]) / 1024 if peaks else float("inf")


def test_importing_eight_workers_of_bombs_stays_under_a_gigabyte(bombs, tmp_path):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(
        json.dumps({"id": path.stem, "queue": "bombs", "media": str(path)}) + "\n" for path in sorted(bombs.iterdir())
    ))
    code, said, peak_mb = _peak(
        "import sys; from desktop.main import main; sys.exit(main())", "import", str(manifest),
        "--store", str(tmp_path / "s.db"), "--user", "lead", "--create-queues", "--media-root", str(bombs),
        "--workers", "8",
    )
    assert code == 0, said
    assert peak_mb < 1024, f"veil import peaked at {peak_mb:.0f} MB"


def test_preparing_a_bomb_for_review_stays_small(bombs):
    code, said, peak_mb = _peak(
        "import sys; from review.media import preview; "
        "print(preview.decode_for_display(sys.argv[1], 1280, 960).shape)", str(bombs / "c.png"),
    )
    assert code == 0, said
    assert "(960, 960, 3)" in said
    assert peak_mb < 600, f"preparing a 100 MP PNG peaked at {peak_mb:.0f} MB"


def test_the_decode_budget_runs_big_reservations_one_at_a_time():
    budget = limits.MemoryBudget(100)
    inside, most = [], []
    lock = threading.Lock()

    def work(nbytes: int) -> None:
        with budget.reserve(nbytes):
            with lock:
                inside.append(nbytes)
                most.append(sum(inside))
            time.sleep(0.02)  # hold the reservation while the others try (a real thread race, no Qt)
            with budget.reserve(nbytes):  # nested: the same thread's animation frames never wait for themselves
                pass
            with lock:
                inside.remove(nbytes)

    threads = [threading.Thread(target=work, args=(n,)) for n in (60, 60, 250, 30, 30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert max(most) <= 250  # the oversized one ran alone; the others never passed the budget together
    assert all(total <= 100 for total in most if total != 250)
    assert budget.used == 0


def test_an_image_too_big_to_decode_is_refused_with_its_cost(tmp_path, monkeypatch):
    path = tmp_path / "wide.png"
    Image.new("RGB", (2000, 1000), (10, 20, 30)).save(path)
    monkeypatch.setattr(images, "MAX_DECODE_BYTES", 4 * MB)
    # 24 MB of pixels and PDQ's planes for hashing it whole (2 MP x 20 bytes: review.media.intake), held together
    with pytest.raises(MediaError, match=r"2000x1000 .*needs about 62 MB to decode, over the 4 MB a file may use"):
        intake.inspect(path)


@pytest.mark.parametrize("turn", [1, 3, 6, 8])
def test_reduced_decode_shows_the_same_picture(tmp_path, turn):
    rng = np.random.default_rng(turn)
    base = np.kron(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), np.ones((100, 100, 1), np.uint8))
    picture = Image.fromarray(base)
    exif = Image.Exif()
    exif[0x0112] = turn
    path = tmp_path / "big.png"
    picture.save(path, exif=exif)
    shown = preview.decode_for_display(path, 300, 300)
    upright = np.asarray(Image.fromarray(base).transpose(images._UPRIGHT[turn]) if turn > 1 else picture)
    expected = preview.fit_to_box(upright, 300, 300)
    assert shown.shape == expected.shape
    assert np.abs(shown.astype(int) - expected.astype(int)).mean() < 4


def test_reduced_decode_scales_sixteen_bits_as_a_whole(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 1200).astype(np.uint16), (900, 1))
    path = tmp_path / "deep.png"
    Image.fromarray(ramp).save(path)
    shown = preview.decode_for_display(path, 120, 90)
    assert shown[:, 0].max() < 10 and shown[:, -1].min() > 245  # black to white, one scale for every band


def test_a_progressive_jpeg_is_budgeted_for_its_full_size_coefficients(tmp_path):
    path = tmp_path / "p.jpg"
    Image.new("RGB", (640, 480), (200, 100, 50)).save(path, progressive=True, subsampling=2)  # 4:2:0
    with Image.open(path) as image:
        assert images.progressive_jpeg_cost(image) == 2 * (640 * 480 + 2 * 320 * 240)
        image.draft("RGB", (80, 60))  # the output shrinks; libjpeg's coefficient buffers do not
        assert image.size == (80, 60)
    Image.new("RGB", (640, 480)).save(path)
    with Image.open(path) as image:
        assert images.progressive_jpeg_cost(image) == 0  # a sequential JPEG decodes reduced, row by row
