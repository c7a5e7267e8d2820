"""The preparing pipeline per media kind, against the naive full-resolution way.

- 12 MP JPEG and 4K PNG: ``decode_for_display`` + ``apply_view`` (what the
  worker does) vs ``naive_full_decode`` (full-size decode, full-size blur).
- 1080p video: ``storyboard`` (9 seeks, small frames) + blur vs decoding
  every frame at full size and blurring the 9 picked ones.

    .venv/bin/python benchmarks/bench_media.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record, summary_ms, timed  # noqa: E402

from desktop.demo import synth  # noqa: E402
from review.media import frames, preview  # noqa: E402

BOX = (1280, 960)


def fast_still(path: Path) -> None:
    preview.apply_view(preview.decode_for_display(path, *BOX), blur_level=preview.DEFAULT_BLUR_LEVEL, grayscale=True)


def naive_still(path: Path) -> None:
    preview.naive_full_decode(path, preview.DEFAULT_BLUR_LEVEL)


def fast_storyboard(path: Path) -> None:
    for frame in frames.storyboard(path, 9):
        preview.apply_view(frame.image, blur_level=preview.DEFAULT_BLUR_LEVEL, grayscale=True)


def naive_storyboard(path: Path) -> None:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    step = max(1, len(frames) // 9)
    for frame in frames[::step][:9]:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        preview.apply_view(rgb, blur_level=preview.DEFAULT_BLUR_LEVEL, grayscale=True)


def compare(name: str, path: Path, fast, naive, repeat: int) -> None:
    quick = summary_ms(timed(lambda: fast(path), repeat))
    slow = summary_ms(timed(lambda: naive(path), max(2, repeat // 2)))
    record(name, {**quick, "naive_p50_ms": slow["p50_ms"], "speedup_p50": round(slow["p50_ms"] / quick["p50_ms"], 1)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        jpeg = synth.make_image(root / "photo.jpg", seed=1, width=4000, height=3000, category="violent_graphic")
        png = synth.make_image(root / "screen.png", seed=2, width=3840, height=2160, category="hate_speech")
        video = synth.make_video(root / "clip.mp4", seed=3, seconds=20, fps=25, width=1920, height=1080)
        compare("prepare_12mp_jpeg", jpeg, fast_still, naive_still, args.repeat)
        compare("prepare_4k_png", png, fast_still, naive_still, args.repeat)
        compare("storyboard_1080p_video", video, fast_storyboard, naive_storyboard, args.repeat)


if __name__ == "__main__":
    main()
