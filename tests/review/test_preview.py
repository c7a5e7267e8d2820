"""review.preview: display-size decoding, blur, grayscale and storyboards.

All media is generated here (gradients, shapes, words, flat grey frames);
no real-world content is ever used.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFile, JpegImagePlugin

from review.media import MediaError, preview, video
from review.media.frames import Frame, iter_frames, storyboard, video_frame_at
from review.media.preview import BLUR_LEVELS, DEFAULT_BLUR_LEVEL


# ---------------------------------------------------------------- fixtures
def scene(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """A harmless picture with fine detail: gradient, shapes, thin lines, words."""
    rng = np.random.default_rng(seed)
    base = np.empty((height, width, 3), np.uint8)
    base[:, :, 0] = (np.arange(width) * 255 // max(1, width - 1)).astype(np.uint8)[None, :]
    base[:, :, 1] = (np.arange(height) * 255 // max(1, height - 1)).astype(np.uint8)[:, None]
    base[:, :, 2] = 90
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x0, y0 = int(rng.integers(0, width - 10)), int(rng.integers(0, height - 10))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse([x0, y0, x0 + width // 5, y0 + height // 5], fill=colour)
    for i in range(0, width, max(4, width // 60)):
        draw.line([(i, 0), (i, height // 6)], fill=(255, 255, 255), width=1)
    draw.text((width // 10, height // 2), "REVIEW ME", fill=(0, 0, 0), font_size=max(10, height // 8))
    return image


def write_video(path: Path, fourcc: str = "mp4v", frames: int = 60, fps: float = 10.0, size=(96, 64)) -> Path:
    """Frame i is a flat grey of level 4*i, so its brightness names its index."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened()
    width, height = size
    for i in range(frames):
        writer.write(np.full((height, width, 3), min(255, 4 * i), np.uint8))
    writer.release()
    return path


def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame as a plain sequential decode sees it: the reference a
    seek must land on (some encoders shift content by a frame; seeking
    must agree with the decoder, not with what we asked the writer for)."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def same_frame(image: np.ndarray, reference: np.ndarray) -> bool:
    fitted = cv2.resize(reference, image.shape[1::-1], interpolation=cv2.INTER_AREA)
    return np.abs(image.astype(int) - fitted.astype(int)).mean() < 1


def write_gif(path: Path, frames: int = 20, duration_ms: int = 50, size=(60, 40)) -> Path:
    """Frame i is a flat grey of level 8*i."""
    images = [Image.new("L", size, 8 * i) for i in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return path


def laplacian_variance(image: np.ndarray) -> float:
    """High-frequency energy: what a blur is supposed to remove."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return float(cv2.Laplacian(gray.astype(np.float64), cv2.CV_64F).var())


def broad_strokes(image: np.ndarray) -> np.ndarray:
    """A 10x8 thumbnail in ints: where the colours are, without the detail."""
    return cv2.resize(image, (10, 8), interpolation=cv2.INTER_AREA).astype(int)


@pytest.fixture
def detailed() -> np.ndarray:
    return np.asarray(scene(1000, 750, seed=2)).copy()


# ------------------------------------------------------------------ blur
def test_seven_levels_with_zero_off():
    assert len(BLUR_LEVELS) == 7
    assert BLUR_LEVELS[0] == 0.0
    assert list(BLUR_LEVELS) == sorted(set(BLUR_LEVELS))


@pytest.mark.parametrize("width", [300, 1000, 3000])
def test_default_blur_is_at_least_css_8px_per_1000px(width):
    assert preview.blur_sigma(DEFAULT_BLUR_LEVEL, width) >= 8 * width / 1000
    # and clearly stronger, not just at the floor
    assert preview.blur_sigma(DEFAULT_BLUR_LEVEL, width) >= 1.5 * 8 * width / 1000


def test_blur_level_out_of_range_is_an_error():
    with pytest.raises(ValueError):
        preview.blur_sigma(len(BLUR_LEVELS), 1000)
    with pytest.raises(ValueError):
        preview.blur_sigma(-1, 1000)


@given(st.integers(1, 8000), st.integers(0, len(BLUR_LEVELS) - 2))
def test_blur_sigma_grows_with_level(width, level):
    assert preview.blur_sigma(level + 1, width) > preview.blur_sigma(level, width)


@given(st.integers(1, 4000), st.integers(0, len(BLUR_LEVELS) - 1))
def test_blur_sigma_is_a_fraction_of_width(width, level):
    assert preview.blur_sigma(level, 2 * width) == pytest.approx(2 * preview.blur_sigma(level, width))


def test_level_zero_without_grayscale_returns_an_equal_copy(detailed):
    out = preview.apply_view(detailed, blur_level=0, grayscale=False)
    assert np.array_equal(out, detailed)
    out[0, 0] = 255 - out[0, 0]
    assert not np.array_equal(out, detailed)  # a new array, the input is untouched


def test_default_blur_removes_fine_detail(detailed):
    out = preview.apply_view(detailed, blur_level=DEFAULT_BLUR_LEVEL, grayscale=False)
    assert out.shape == detailed.shape and out.dtype == np.uint8
    assert laplacian_variance(out) < 0.01 * laplacian_variance(detailed)
    # still the same picture in broad strokes: colours where they were
    assert np.abs(broad_strokes(out) - broad_strokes(detailed)).mean() < 25


@pytest.mark.parametrize("level", range(1, len(BLUR_LEVELS)))
def test_fast_blur_is_at_least_as_blurred_as_the_exact_one(detailed, level):
    sigma = preview.blur_sigma(level, detailed.shape[1])
    exact = cv2.GaussianBlur(detailed, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    fast = preview.apply_view(detailed, blur_level=level, grayscale=False)
    assert laplacian_variance(fast) <= laplacian_variance(exact) * 1.05
    assert np.abs(fast.astype(int) - exact.astype(int)).mean() < 4


@pytest.mark.parametrize("width", [300, 1000, 3000])
def test_every_level_departs_further_from_the_original(width):
    picture = np.asarray(scene(width, width * 3 // 4, seed=5)).copy()
    distances = [
        cv2.absdiff(preview.apply_view(picture, blur_level=level, grayscale=False), picture).mean()
        for level in range(len(BLUR_LEVELS))
    ]
    assert distances[0] == 0
    assert all(a < b for a, b in itertools.pairwise(distances)), distances


def test_grayscale_channels_are_equal(detailed):
    out = preview.apply_view(detailed, blur_level=0, grayscale=True)
    assert out.shape == detailed.shape
    assert np.array_equal(out[:, :, 0], out[:, :, 1]) and np.array_equal(out[:, :, 1], out[:, :, 2])
    expected = cv2.cvtColor(detailed, cv2.COLOR_RGB2GRAY)
    assert np.array_equal(out[:, :, 0], expected)


def test_grayscale_and_blur_together(detailed):
    out = preview.apply_view(detailed, blur_level=DEFAULT_BLUR_LEVEL, grayscale=True)
    assert np.array_equal(out[:, :, 0], out[:, :, 2])
    assert laplacian_variance(out) < 0.01 * laplacian_variance(detailed)


def test_apply_view_accepts_gray_and_rejects_nonsense():
    gray = np.full((20, 30), 77, np.uint8)
    out = preview.apply_view(gray, blur_level=0, grayscale=False)
    assert out.shape == (20, 30, 3) and (out == 77).all()
    with pytest.raises(ValueError):
        preview.apply_view(np.zeros((5, 5, 3), np.float32), blur_level=0, grayscale=False)
    with pytest.raises(ValueError):
        preview.apply_view(np.zeros((5, 5, 2), np.uint8), blur_level=0, grayscale=False)


def test_tiny_images_blur_without_error():
    tiny = np.zeros((1, 1, 3), np.uint8)
    for level in range(len(BLUR_LEVELS)):
        assert preview.apply_view(tiny, blur_level=level, grayscale=True).shape == (1, 1, 3)


def test_stylise_reduces_detail(detailed):
    out = preview.stylise(detailed)
    assert out.shape == detailed.shape and out.dtype == np.uint8
    assert laplacian_variance(out) < 0.5 * laplacian_variance(detailed)
    assert np.abs(broad_strokes(out) - broad_strokes(detailed)).mean() < 40


# ------------------------------------------------------------- fitting
@given(st.integers(1, 20000), st.integers(1, 20000), st.integers(1, 4000), st.integers(1, 4000))
def test_fit_size_fits_keeps_aspect_and_never_upscales(width, height, max_w, max_h):
    w, h = preview.fit_size(width, height, max_w, max_h)
    assert 1 <= w <= min(width, max_w) and 1 <= h <= min(height, max_h)
    if (w, h) != (width, height):
        # as large as possible: one side touches the box
        assert w == max_w or h == max_h
        # aspect kept to within rounding of one pixel on each side
        assert abs(w * height - h * width) <= max(width, height)


def test_fit_size_rejects_an_empty_box():
    with pytest.raises(ValueError):
        preview.fit_size(10, 10, 0, 10)


# ------------------------------------------------------ display decoding
def test_large_jpeg_is_decoded_reduced_and_fitted(tmp_path, monkeypatch):
    path = tmp_path / "big.jpg"
    scene(4000, 3000).save(path, quality=85)
    decoded = []
    original_load = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy, raising=False)
    out = preview.decode_for_display(path, 1280, 960)
    assert out.shape == (960, 1280, 3) and out.dtype == np.uint8
    assert decoded and all(w * h <= 2000 * 1500 for w, h in decoded)

    # and it is the same picture as a full decode shrunk the slow way
    full = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    reference = cv2.resize(full, (1280, 960), interpolation=cv2.INTER_AREA)
    assert np.abs(out.astype(int) - reference.astype(int)).mean() < 4


def test_small_images_are_never_upscaled(tmp_path):
    path = tmp_path / "small.png"
    scene(100, 50).save(path)
    out = preview.decode_for_display(path, 1280, 960)
    assert out.shape == (50, 100, 3)
    assert np.array_equal(out, np.asarray(scene(100, 50)))


def test_tall_png_fits_the_box(tmp_path):
    path = tmp_path / "tall.png"
    scene(600, 1800).save(path)
    assert preview.decode_for_display(path, 400, 400).shape == (400, 133, 3)


def test_exif_orientation_is_honoured(tmp_path):
    """Stored landscape, left half red; EXIF 6 turns it upright with red on top."""
    stored = np.zeros((200, 400, 3), np.uint8)
    stored[:, :200] = (255, 0, 0)
    stored[:, 200:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "phone.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    out = preview.decode_for_display(path, 100, 100)
    assert out.shape == (100, 50, 3)
    top, bottom = out[:40].reshape(-1, 3).mean(axis=0), out[60:].reshape(-1, 3).mean(axis=0)
    assert top[0] > 200 and top[2] < 50
    assert bottom[2] > 200 and bottom[0] < 50


def test_transparent_pixels_become_neutral_grey(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., :3] = 255  # white, but fully transparent
    path = tmp_path / "clear.png"
    Image.fromarray(rgba, "RGBA").save(path)
    out = preview.decode_for_display(path, 50, 50)
    assert (out == 128).all()


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    levels = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1024)
    path = tmp_path / "deep.png"
    Image.fromarray(levels).save(path)
    out = preview.decode_for_display(path, 8, 8)
    assert out[..., 0].max() > 240 and out[..., 0].min() == 0
    assert len(np.unique(out[..., 0])) > 32


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p.write_bytes(b""), "zero-byte file"),
        (lambda p: p.write_text("just words"), "not an image or video (looks like text)"),
        (lambda p: None, "file not found"),
    ],
)
def test_decode_for_display_refuses_bad_files(tmp_path, make, expected):
    path = tmp_path / "item.jpg"
    make(path)
    with pytest.raises(MediaError, match=f"^{expected}$".replace("(", r"\(").replace(")", r"\)")):
        preview.decode_for_display(path, 640, 480)


def test_decode_for_display_refuses_truncated_and_bombs(tmp_path):
    good = tmp_path / "good.jpg"
    scene(800, 600).save(good)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(MediaError, match="^truncated or corrupt image"):
        preview.decode_for_display(cut, 640, 480)

    bomb = tmp_path / "bomb.png"
    Image.new("1", (8, 8)).save(bomb)
    data = bytearray(bomb.read_bytes())
    data[16:24] = struct.pack(">II", 40000, 40000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    bomb.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="over the 100 MP cap"):
        preview.decode_for_display(bomb, 640, 480)
    with pytest.raises(MediaError, match="over the 100 MP cap"):
        storyboard(bomb)
    with pytest.raises(MediaError, match=r"over the 0\.5 MP cap"):
        preview.decode_for_display(good, 640, 480, max_pixels=479_999)


def test_animation_displays_its_first_frame(tmp_path):
    path = write_gif(tmp_path / "anim.gif")
    out = preview.decode_for_display(path, 600, 400)
    assert out.shape == (40, 60, 3) and (out == 0).all()


def test_video_displays_its_middle_frame(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=60)
    out = preview.decode_for_display(path, 48, 48)
    assert out.shape == (32, 48, 3)
    assert same_frame(out, decoded_frames(path)[30])


# ------------------------------------------------------------ storyboards
class CountingCapture:
    """Wraps cv2.VideoCapture to count how many frames are actually read."""

    reads = 0

    def __init__(self, *args):
        self._inner = _RealCapture(*args)

    def read(self, *args):
        CountingCapture.reads += 1
        return self._inner.read(*args)

    def grab(self, *args):
        CountingCapture.reads += 1
        return self._inner.grab(*args)

    def __getattr__(self, name):
        return getattr(self._inner, name)


_RealCapture = cv2.VideoCapture


def test_video_storyboard_seeks_instead_of_decoding_everything(tmp_path, monkeypatch):
    path = write_video(tmp_path / "clip.mp4", frames=60, fps=10.0, size=(96, 64))
    CountingCapture.reads = 0
    monkeypatch.setattr(video.cv2, "VideoCapture", CountingCapture)
    board = storyboard(path, count=9, max_w=48, max_h=48)
    assert CountingCapture.reads <= 9  # of 60 frames
    assert len(board) == 9
    assert all(isinstance(f, Frame) for f in board)
    indices = [f.index for f in board]
    assert indices[0] == 0 and indices == sorted(set(indices)) and indices[-1] >= 50
    assert [f.time_s for f in board] == pytest.approx([i / 10.0 for i in indices])
    reference = decoded_frames(path)
    for frame in board:
        assert frame.image.shape == (32, 48, 3)
        # the frame really is the one it claims to be
        assert same_frame(frame.image, reference[frame.index]), frame.index


def test_storyboard_frames_are_not_blurred(tmp_path):
    """Callers blur; a storyboard returns exactly what the decoder produced."""
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    stripes = np.zeros((48, 64, 3), np.uint8)
    stripes[:, ::4] = 255
    for _ in range(10):
        writer.write(stripes)
    writer.release()
    frame = storyboard(path, count=1, max_w=64, max_h=48)[0].image
    assert laplacian_variance(frame) > 0.5 * laplacian_variance(stripes)


def test_storyboard_of_a_short_video_returns_every_frame(tmp_path):
    path = write_video(tmp_path / "short.mp4", frames=4)
    board = storyboard(path, count=9)
    assert [f.index for f in board] == [0, 1, 2, 3]


def test_gif_storyboard(tmp_path):
    path = write_gif(tmp_path / "anim.gif", frames=20, duration_ms=50)
    board = storyboard(path, count=9, max_w=30, max_h=30)
    assert len(board) == 9
    indices = [f.index for f in board]
    assert indices[0] == 0 and indices == sorted(set(indices))
    assert [f.time_s for f in board] == pytest.approx([0.05 * i for i in indices])
    for frame in board:
        assert frame.image.shape == (20, 30, 3)
        assert abs(frame.image.mean() - 8 * frame.index) <= 1


def test_still_image_storyboard_is_one_frame(tmp_path):
    path = tmp_path / "still.webp"
    scene(640, 360).save(path)
    board = storyboard(path, count=9)
    assert len(board) == 1 and board[0].image.shape == (180, 320, 3)


def test_storyboard_of_a_broken_video_is_a_media_error(tmp_path):
    good = write_video(tmp_path / "good.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(MediaError, match="^cannot open video"):
        storyboard(cut)


# ------------------------------------------------------- frames on demand
def test_video_frame_at_a_time(tmp_path):
    path = write_video(tmp_path / "clip.mkv", frames=60, fps=10.0)
    reference = decoded_frames(path)
    assert same_frame(video_frame_at(path, 2.0, 96, 64), reference[20])
    assert same_frame(video_frame_at(path, 99.0, 96, 64), reference[59])  # clamped
    assert same_frame(video_frame_at(path, -3.0, 96, 64), reference[0])


def test_gif_frame_at_a_time(tmp_path):
    path = write_gif(tmp_path / "anim.gif", frames=20, duration_ms=50)
    assert abs(video_frame_at(path, 0.27, 60, 40).mean() - 8 * 5) <= 1
    assert abs(video_frame_at(path, 50.0, 60, 40).mean() - 8 * 19) <= 1


def test_iter_frames_plays_a_video_from_a_start_time(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=30, fps=10.0)
    frames = list(iter_frames(path, 48, 48, start_s=1.0))
    assert [f.index for f in frames] == list(range(10, 30))
    assert [f.time_s for f in frames] == pytest.approx([i / 10 for i in range(10, 30)])
    reference = decoded_frames(path)
    assert all(same_frame(f.image, reference[f.index]) for f in frames)


def test_iter_frames_plays_a_gif(tmp_path):
    path = write_gif(tmp_path / "anim.gif", frames=6, duration_ms=100)
    frames = list(iter_frames(path, 60, 40, start_s=0.25))
    assert [f.index for f in frames] == [2, 3, 4, 5]
    assert [f.time_s for f in frames] == pytest.approx([0.2, 0.3, 0.4, 0.5])


# ---------------------------------------------------------------- baseline
def test_naive_full_decode_matches_the_fast_path(tmp_path):
    path = tmp_path / "big.jpg"
    scene(1600, 1200, seed=9).save(path, quality=90)
    slow = preview.naive_full_decode(path, DEFAULT_BLUR_LEVEL, max_w=800, max_h=600)
    fast = preview.apply_view(
        preview.decode_for_display(path, 800, 600), blur_level=DEFAULT_BLUR_LEVEL, grayscale=True
    )
    assert slow.shape == fast.shape == (600, 800, 3)
    assert np.abs(slow.astype(int) - fast.astype(int)).mean() < 3


def test_naive_full_decode_refuses_undecodable_files(tmp_path):
    path = tmp_path / "x.jpg"
    path.write_text("nope")
    with pytest.raises(MediaError):
        preview.naive_full_decode(path, 0)


def test_review_domain_does_not_import_qt():
    import subprocess
    import sys

    code = "import sys, review.media, review.media.preview; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
