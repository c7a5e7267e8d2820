"""review.media: every way a file can be refused, and what a good file yields.

All media here is generated on the spot (gradients, shapes, words) in
``tmp_path``; no real-world content is ever used.
"""

from __future__ import annotations

import hashlib
import os
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFile

from review.media import MediaError, fingerprint, identify, intake, pdq, video


# ---------------------------------------------------------------- fixtures
def scene(width: int = 320, height: int = 240, seed: int = 0, word: str = "VEIL") -> Image.Image:
    """A harmless test picture: a gradient, a few shapes and a word."""
    rng = np.random.default_rng(seed)
    base = np.empty((height, width, 3), np.uint8)
    base[:, :, 0] = (np.arange(width) * 255 // max(1, width - 1)).astype(np.uint8)[None, :]
    base[:, :, 1] = (np.arange(height) * 255 // max(1, height - 1)).astype(np.uint8)[:, None]
    base[:, :, 2] = 60 * (seed % 4)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 20)), int(rng.integers(0, height - 20))
        x1, y1 = x0 + int(rng.integers(10, width // 2)), y0 + int(rng.integers(10, height // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.rectangle([x0, y0, x1, y1], outline=colour, width=4)
    draw.text((width // 8, height // 3), word, fill=(255, 255, 255), font_size=max(10, height // 6))
    return image


def write_video(path: Path, fourcc: str = "mp4v", frames: int = 30, fps: float = 10.0, size=(64, 48)) -> Path:
    """Frame i is a flat grey of level 4*i with a moving white bar."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"cannot write {fourcc} video"
    width, height = size
    for i in range(frames):
        frame = np.full((height, width, 3), min(255, 4 * i), np.uint8)
        bar = (i * 3) % max(1, width - 4)
        frame[:, bar : bar + 3] = 255
        writer.write(frame)
    writer.release()
    return path


def write_gif(path: Path, frames: int = 12, duration_ms: int = 50, size=(60, 40)) -> Path:
    """Frame i is a flat grey of level 8*i (distinct up to 32 frames)."""
    images = [Image.new("L", size, 8 * i) for i in range(frames)]
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return path


def bomb_png(path: Path, width: int, height: int) -> Path:
    """A tiny valid PNG whose header claims ``width`` x ``height`` pixels."""
    Image.new("1", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:20] = struct.pack(">I", width)
    data[20:24] = struct.pack(">I", height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def reason(path: Path, **kwargs) -> str:
    with pytest.raises(MediaError) as caught:
        intake.inspect(path, **kwargs)
    assert caught.value.reason == str(caught.value)
    return caught.value.reason


# -------------------------------------------------------------- refusals
def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert reason(path) == "zero-byte file"


def test_missing_file(tmp_path):
    assert reason(tmp_path / "nope.png") == "file not found"


def test_folder_is_refused(tmp_path):
    (tmp_path / "pics.jpg").mkdir()
    assert "not a file" in reason(tmp_path / "pics.jpg")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)  # opening it for reading would block forever
    assert reason(fifo) == "not a regular file"


def test_text_named_jpg_says_it_looks_like_text(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_text("Dear moderator,\nthis is only a letter.\n", encoding="utf-8")
    assert reason(path) == "not an image or video (looks like text)"


@pytest.mark.parametrize(
    "content, looks_like",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "a ZIP archive"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG drawing"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
        (bytes(range(256)) * 4, "unrecognised binary data"),
        ("Grüße, 世界 — text with accents\n".encode() * 3, "text"),
    ],
)
def test_non_media_says_what_it_looks_like(tmp_path, content, looks_like):
    path = tmp_path / "item.png"
    path.write_bytes(content)
    assert reason(path) == f"not an image or video (looks like {looks_like})"


def test_text_starting_with_bm_is_not_a_bitmap(tmp_path):
    path = tmp_path / "notes.bmp"
    path.write_text("BMW service notes: oil, tyres, brakes.\n" * 4)
    assert reason(path) == "not an image or video (looks like text)"


def test_png_bytes_named_mp4_are_sniffed_as_png(tmp_path):
    path = tmp_path / "clip.mp4"
    scene().save(path, format="PNG")
    assert identify.sniff(path) == "image/png"
    info = intake.inspect(path)
    assert (info.kind, info.mime, info.width, info.height) == ("image", "image/png", 320, 240)


def test_truncated_jpeg_is_refused(tmp_path):
    good = tmp_path / "good.jpg"
    scene(640, 480).save(good, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert reason(cut).startswith("truncated or corrupt image: ")


def test_truncated_png_is_refused(tmp_path):
    good = tmp_path / "good.png"
    scene(640, 480).save(good)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert reason(cut).startswith("truncated or corrupt image: ")


def test_jpeg_with_only_a_header_is_refused(tmp_path):
    good = tmp_path / "good.jpg"
    scene().save(good)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:300])
    assert reason(cut).startswith("truncated or corrupt image: ")


def test_truncated_mp4_is_refused(tmp_path):
    good = write_video(tmp_path / "good.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert reason(cut) == "cannot open video: no decoder could read this video/mp4 file"


def test_garbage_after_an_mp4_header_is_refused(tmp_path):
    path = tmp_path / "garbage.mp4"
    rng = np.random.default_rng(7)
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + rng.bytes(4096))
    assert identify.sniff(path) == "video/mp4"
    message = reason(path)
    assert message.startswith("cannot open video") or message == "video has no frames"


def test_decompression_bomb_is_refused_from_the_header(tmp_path):
    path = bomb_png(tmp_path / "bomb.png", 30000, 30000)
    assert path.stat().st_size < 200
    assert reason(path) == "image is 30000x30000 (900 MP), over the 100 MP cap"


def test_pixel_cap_boundary_is_inclusive(tmp_path):
    path = tmp_path / "square.png"
    scene(1000, 1000).save(path)
    assert intake.inspect(path, max_pixels=1_000_000).width == 1000
    assert reason(path, max_pixels=999_999) == "image is 1000x1000 (1.0 MP), over the 1.0 MP cap"


def test_our_cap_not_pillows_global_decides(tmp_path, monkeypatch):
    """Pillow's process-wide limit neither warns nor refuses; ours rules, and
    inspect never changes Pillow's setting."""
    path = tmp_path / "ok.png"
    scene(200, 100).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = intake.inspect(path)
    assert (info.width, info.height) == (200, 100)
    assert Image.MAX_IMAGE_PIXELS == 1000


def test_video_over_the_cap_is_refused(tmp_path):
    path = write_video(tmp_path / "v.mp4", size=(64, 48))
    assert reason(path, max_pixels=64 * 48 - 1) == "video is 64x48 (3,072 pixels), over the 3,071 pixels cap"


def test_the_shared_video_opener_refuses_a_video_over_the_pixel_cap(tmp_path):
    path = write_video(tmp_path / "clip.mp4")
    with pytest.raises(MediaError, match=r"video is 64x48 \(3,072 pixels\), over the 3,071 pixels cap"):
        video.open_video(path, max_pixels=64 * 48 - 1)
    with video.open_video(path, max_pixels=64 * 48) as clip:  # the cap is inclusive
        assert (clip.width, clip.height, clip.frame_count) == (64, 48, 30)
        assert clip.duration_s == pytest.approx(3.0)


def test_the_shared_video_opener_refuses_what_is_not_a_video(tmp_path):
    path = tmp_path / "still.png"
    Image.new("RGB", (8, 8)).save(path)
    with pytest.raises(MediaError, match=r"not a video \(image/png\)"):
        video.open_video(path)


def test_animation_with_too_many_pixels_in_all_is_refused(tmp_path):
    path = write_gif(tmp_path / "long.gif", frames=30, size=(100, 100))
    # each frame is under the cap, thirty of them are not
    assert reason(path, max_pixels=2_000).startswith("image is 100x100")
    message = reason(path, max_pixels=10_000)
    assert message.startswith("animation is 100x100 with 30 frames")


def test_heic_is_named_but_unsupported(tmp_path):
    path = tmp_path / "phone.heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    assert reason(path) == "unsupported format (image/heic)"


def test_truncation_tolerance_switched_on_elsewhere_is_a_loud_error(tmp_path, monkeypatch):
    path = tmp_path / "good.jpg"
    scene().save(path)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        intake.inspect(path)


def test_importing_the_app_leaves_truncated_images_refused():
    """No module of Veil may switch Pillow into accepting truncated files."""
    import contextlib
    import importlib
    import pkgutil

    for package_name in ("review", "audit", "ui", "desktop"):
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            # other modules' import problems are their own tests' business
            with contextlib.suppress(Exception):
                importlib.import_module(module.name)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# ------------------------------------------------------------ good files
@pytest.mark.parametrize(
    "fmt, mime, mode",
    [
        ("JPEG", "image/jpeg", "RGB"),
        ("PNG", "image/png", "RGB"),
        ("PNG", "image/png", "RGBA"),
        ("PNG", "image/png", "I;16"),
        ("GIF", "image/gif", "P"),
        ("WEBP", "image/webp", "RGB"),
        ("BMP", "image/bmp", "RGB"),
        ("TIFF", "image/tiff", "RGB"),
        ("TIFF", "image/tiff", "L"),
    ],
)
def test_good_images_of_each_format(tmp_path, fmt, mime, mode):
    path = tmp_path / "item.bin"  # the name says nothing; the bytes decide
    picture = scene(300, 200)
    if mode == "I;16":
        picture = Image.fromarray(np.asarray(picture.convert("L"), np.uint16) * 257)
    else:
        picture = picture.convert(mode)
    picture.save(path, format=fmt)
    info = intake.inspect(path)
    assert info == intake.MediaInfo(
        kind="image",
        mime=mime,
        width=300,
        height=200,
        frame_count=1,
        duration_s=None,
        md5=hashlib.md5(path.read_bytes()).hexdigest(),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        pdq=info.pdq,
        pdq_quality=info.pdq_quality,
    )
    [stored] = pdq.column_hashes(info.pdq)  # "HEX:QUALITY"
    assert pdq.is_pdq(stored.hex) and stored.quality == info.pdq_quality and 0 <= info.pdq_quality <= 100


def test_exif_rotated_jpeg_reports_displayed_size(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    scene(400, 200).save(path, exif=exif)
    info = intake.inspect(path)
    assert (info.width, info.height) == (200, 400)


@pytest.mark.parametrize(
    "suffix, fourcc, mime",
    [
        ("mp4", "mp4v", "video/mp4"),
        ("mov", "mp4v", "video/quicktime"),
        ("avi", "MJPG", "video/x-msvideo"),
        ("mkv", "mp4v", "video/x-matroska"),
        ("webm", "VP80", "video/webm"),
    ],
)
def test_good_videos(tmp_path, suffix, fourcc, mime):
    path = write_video(tmp_path / f"clip.{suffix}", fourcc, frames=30, fps=10.0, size=(64, 48))
    info = intake.inspect(path)
    assert (info.kind, info.mime, info.width, info.height) == ("video", mime, 64, 48)
    assert info.frame_count == 30
    assert info.duration_s == pytest.approx(3.0, abs=0.15)
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.md5 == hashlib.md5(path.read_bytes()).hexdigest()
    keyframes = [h.hex for h in pdq.column_hashes(info.pdq)]  # the first frame's and the middle one's
    assert len(keyframes) == 2 and all(pdq.is_pdq(k) for k in keyframes)


def test_video_keyframes_are_the_first_and_the_middle_frame(tmp_path):
    path = write_video(tmp_path / "clip.avi", "MJPG", frames=30)
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    info = intake.inspect(path)
    first, middle = (h.hex for h in pdq.column_hashes(info.pdq))
    assert pdq.distance(first, pdq.pdq_hash(frames[0]).hex) <= 2
    assert pdq.distance(middle, pdq.pdq_hash(frames[15]).hex) <= 2
    assert pdq.distance(middle, pdq.pdq_hash(frames[2]).hex) > 2


def test_animated_gif(tmp_path):
    path = write_gif(tmp_path / "anim.gif", frames=12, duration_ms=50)
    info = intake.inspect(path)
    assert (info.kind, info.mime, info.width, info.height) == ("image", "image/gif", 60, 40)
    assert info.frame_count == 12
    assert info.duration_s == pytest.approx(0.6)


def test_gif_zero_delays_count_as_browsers_show_them(tmp_path):
    path = write_gif(tmp_path / "fast.gif", frames=5, duration_ms=0)
    assert intake.inspect(path).duration_s == pytest.approx(0.5)


# --------------------------------------------------------------- sniffing
@pytest.mark.parametrize(
    "head, mime",
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo"),
        (b"BM" + b"\x00" * 12 + (40).to_bytes(4, "little"), "image/bmp"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video/quicktime"),
        (b"\x00\x00\x00\x14ftyp3gp4\x00\x00\x02\x003gp4", "video/3gpp"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "image/avif"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom", "audio/mp4"),
        (b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\x82\x84webmB\x87", "video/webm"),
        (b"\x1aE\xdf\xa3\xa3B\x86\x81\x01B\x82\x88matroska", "video/x-matroska"),
        (b"hello world", None),
        (b"BMW is a car maker, not a bitmap", None),
    ],
)
def test_sniff_reads_magic_bytes(tmp_path, head, mime):
    path = tmp_path / "x.txt"
    path.write_bytes(head + b"\x00" * 32)
    assert identify.sniff(path) == mime


# ---------------------------------------------------------------- hashing
def test_sha256_streams_large_files(tmp_path):
    data = np.random.default_rng(1).bytes(3 * 1024 * 1024 + 17)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert fingerprint.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_md5_and_sha256_come_from_one_read(tmp_path):
    data = np.random.default_rng(2).bytes(2 * 1024 * 1024 + 5)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert fingerprint.file_digests(path) == (hashlib.md5(data).hexdigest(), hashlib.sha256(data).hexdigest())


def test_texts_hash_by_their_normal_form():
    same = ["Buy ＣＨＥＡＰ pills  now", "buy cheap pills now", "  BUY cheap\tpills\nnow "]
    assert len({fingerprint.text_sha256(t) for t in same}) == 1
    assert fingerprint.text_sha256("buy cheap pills now") == hashlib.sha256(b"buy cheap pills now").hexdigest()
    assert fingerprint.text_sha256("buy cheap pills later") != fingerprint.text_sha256(same[0])


def test_pdq_identical_images_distance_zero(tmp_path):
    a = np.asarray(scene(seed=3))
    assert pdq.distance(pdq.pdq_hash(a).hex, pdq.pdq_hash(a.copy()).hex) == 0


def test_pdq_survives_reencoding_and_resizing(tmp_path):
    original = scene(640, 480, seed=3)
    reencoded = tmp_path / "small.jpg"
    original.resize((320, 240), Image.LANCZOS).save(reencoded, quality=55)
    a = pdq.pdq_hash(np.asarray(original)).hex
    b = pdq.column_hashes(intake.inspect(reencoded).pdq)[0].hex
    assert pdq.distance(a, b) <= 16


def test_pdq_tells_different_images_apart():
    hashes = [pdq.pdq_hash(np.asarray(scene(seed=s, word=w))).hex for s, w in [(1, "ONE"), (2, "TWO"), (5, "SIX")]]
    gradient = np.repeat(np.linspace(0, 255, 320, dtype=np.uint8)[None, :], 240, axis=0)
    checker = (np.indices((240, 320)).sum(axis=0) // 40 % 2 * 255).astype(np.uint8)
    hashes += [pdq.pdq_hash(gradient).hex, pdq.pdq_hash(checker).hex]
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            assert pdq.distance(hashes[i], hashes[j]) > pdq.DEFAULT_THRESHOLD, (i, j)


def test_pdq_of_gray_and_rgb_versions_agree():
    rgb = np.asarray(scene(seed=4))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert pdq.distance(pdq.pdq_hash(rgb).hex, pdq.pdq_hash(gray).hex) <= 4  # OpenCV rounds its luma to whole levels


def test_pdq_rejects_non_images():
    with pytest.raises(ValueError):
        pdq.pdq_hash(np.zeros((0, 5), np.uint8))
    with pytest.raises(ValueError):
        pdq.pdq_hash(np.zeros((4, 40), np.uint8))  # the reference hashes nothing under 5 pixels a side
    with pytest.raises(ValueError):
        pdq.distance("abc", "0" * 64)


hex256 = st.integers(min_value=0, max_value=2**256 - 1).map(lambda v: f"{v:064x}")


@given(hex256, hex256, hex256)
def test_pdq_distance_is_a_metric(a, b, c):
    assert pdq.distance(a, a) == 0
    assert pdq.distance(a, b) == pdq.distance(b, a)
    assert 0 <= pdq.distance(a, b) <= 256
    assert pdq.distance(a, c) <= pdq.distance(a, b) + pdq.distance(b, c)


@given(st.integers(0, 2**256 - 1), st.integers(0, 255))
def test_flipping_one_bit_is_distance_one(value, bit):
    assert pdq.distance(f"{value:064x}", f"{value ^ (1 << bit):064x}") == 1


# ------------------------------------------------------------- threading
def test_inspect_is_safe_from_a_thread_pool(tmp_path):
    paths = []
    for i in range(6):
        path = tmp_path / f"img{i}.{['jpg', 'png', 'webp'][i % 3]}"
        scene(400, 300, seed=i).save(path)
        paths.append(path)
    paths.append(write_video(tmp_path / "clip.mp4"))
    paths.append(write_gif(tmp_path / "anim.gif"))
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a picture")
    paths.append(bad)

    def outcome(path):
        try:
            return intake.inspect(path)
        except MediaError as exc:
            return exc.reason

    expected = [outcome(p) for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(outcome, paths)) == expected
    assert expected[-1] == "not an image or video (looks like text)"


def test_large_jpeg_is_validated_without_a_full_size_decode(tmp_path, monkeypatch):
    """A 12 MP JPEG, over the 8 MP hashing cap, is decoded at 1/2 scale (not the 1/8 grayscale draft that made
    the stored PDQ differ from the reference's: review 6 #6), yet still reports its true size."""
    from PIL import JpegImagePlugin

    path = tmp_path / "big.jpg"
    scene(4000, 3000).save(path, quality=85)
    decoded_sizes = []
    original_load = ImageFile.ImageFile.load

    def spy(self):
        decoded_sizes.append(self.size)
        return original_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy, raising=False)
    info = intake.inspect(path)
    assert (info.width, info.height) == (4000, 3000)
    assert decoded_sizes and max(w * h for w, h in decoded_sizes) <= 2000 * 1500

