"""Identify, validate and fingerprint one media file before it becomes an item.

The importer calls :func:`inspect` for every media path in a manifest, from a
thread pool, before anything is written to the store. A file either comes
back as a :class:`MediaInfo` (kind, real type, size, frame count, content and
perceptual hashes) or raises :class:`MediaError` with one short sentence a
moderator or lead can act on. Nothing here crashes on bad input, and nothing
here ever shows a pixel: it only decodes to prove the file is whole.

Why it is built the way it is:

* **The bytes decide the type, never the name.** :func:`sniff` reads magic
  numbers. A text file called ``x.jpg`` is text; PNG bytes called ``x.mp4``
  are a PNG. Only recognised image and video containers ever reach a decoder,
  which also keeps playlists and other "fetch this URL" formats away from
  FFmpeg.
* **Pixel counts are checked from the header, before decoding.** Pillow opens
  lazily, so the size is known for the price of a header read. We call the
  format's registered opener ourselves (:func:`open_image`) rather than
  ``Image.open`` so that *our* cap is the only one: Pillow's global
  ``MAX_IMAGE_PIXELS`` would otherwise warn or raise at its own threshold,
  and changing a module global (or the warnings filters) from worker threads
  is not safe. ``DecompressionBombError`` raised deeper inside Pillow (GIF
  frames) is still caught and reported the same way.
* **Validation is a real decode.** Images are fully loaded, with Pillow's
  ``LOAD_TRUNCATED_IMAGES`` required to be off, so a truncated JPEG or PNG is
  refused here instead of showing grey bars to a reviewer later. JPEGs are
  decoded through ``draft()`` at 1/8 scale: libjpeg still walks every
  entropy-coded byte (so truncation is caught) but skips most of the
  inverse DCT, which keeps a 12-megapixel photo well under a second.
* **Thread safety.** Every call opens its own file handles and decoder
  objects; no module state is written after import. Pillow's plugin registry
  is filled once at import, not lazily from racing threads.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps

DEFAULT_MAX_PIXELS: int = 100_000_000
"""Largest single frame (width x height) we agree to decode."""

ANIMATION_PIXEL_BUDGET_FRAMES = 10
"""An animated image may hold at most this many cap's worth of pixels in all.

GIF frames are deltas on the previous frame, so reading any frame means
decoding every frame before it; a small GIF with a huge frame count is the
animated form of a decompression bomb.
"""

IMAGE_MIMES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
}
"""Image types we decode, and the Pillow format that decodes each."""

VIDEO_MIMES: frozenset[str] = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "video/x-matroska",
        "video/x-msvideo",
        "video/3gpp",
    }
)

_ANIMATED_FORMATS = frozenset({"GIF", "WEBP", "PNG"})  # PNG: APNG
_HASH_CHUNK = 1 << 20

# Fill Pillow's format registry now, on the importing thread, so workers
# never race each other through Image.init().
Image.init()


class MediaError(Exception):
    """A file that cannot be shown, with a one-line reason a person can act on.

    ``reason`` is the same text as ``str(exc)``; it is what the UI shows on an
    "unviewable" item and what the importer writes in its report.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # "image" or "video"
    mime: str  # from the bytes, never the extension
    width: int  # as displayed (EXIF orientation applied)
    height: int
    frame_count: int  # 1 for still images; frames for animations and video
    duration_s: float | None
    sha256: str  # hex of the file bytes
    phash: str | None  # 16 hex chars; video/animation: a middle frame


# ------------------------------------------------------------------ sniffing
_ISO_IMAGE_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"hevc": "image/heic",
    b"hevx": "image/heic",
    b"heim": "image/heic",
    b"heis": "image/heic",
    b"avif": "image/avif",
    b"avis": "image/avif",
}
_ISO_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}


def _sniff_bytes(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and len(head) >= 12:
        form = head[8:12]
        if form == b"WEBP":
            return "image/webp"
        if form == b"AVI ":
            return "video/x-msvideo"
        if form == b"WAVE":
            return "audio/wav"
        return None
    if head[:2] == b"BM" and len(head) >= 18:
        # "BM" alone is too weak (any text starting "BM..."): also require a
        # known DIB header size.
        if int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES:
            return "image/bmp"
        return None
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska family
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        box = int.from_bytes(head[0:4], "big")
        major = head[8:12]
        brands = [major] + [
            head[i : i + 4] for i in range(16, min(box, len(head)) - 3, 4)
        ]
        if major == b"qt  ":
            return "video/quicktime"
        for brand in brands:
            if brand in _ISO_IMAGE_BRANDS:
                return _ISO_IMAGE_BRANDS[brand]
        if major in _ISO_AUDIO_BRANDS:
            return "audio/mp4"
        if major.startswith(b"3g"):
            return "video/3gpp"
        return "video/mp4"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    return None


def sniff(path: Path) -> str | None:
    """The MIME type from the file's first bytes, or None if unrecognised.

    The extension is never consulted. Types we recognise but do not decode
    (HEIC, audio) are still named, so the error can say what the file is.
    """
    with open(path, "rb") as handle:
        head = handle.read(64)
    return _sniff_bytes(head)


def _looks_like(head: bytes) -> str:
    """A few words for what a non-media file seems to be, for the error."""
    lowered = head[:512].lstrip().lower()
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    if head.startswith((b"\x7fELF", b"MZ")):
        return "a program"
    if head.startswith((b"ID3", b"fLaC", b"OggS")):
        return "audio"
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return "an SVG drawing"
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut off by our read is still text.
        if exc.start < len(head) - 3:
            return "unrecognised binary data"
        text = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    if text and printable / len(text) >= 0.95:
        return "text"
    return "unrecognised binary data"


# ------------------------------------------------------------------- hashing
def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the file, read in 1 MiB chunks (never whole in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def perceptual_hash(image: np.ndarray) -> str:
    """64-bit DCT perceptual hash of an RGB (HxWx3) or gray (HxW) image.

    The classic pHash: shrink to 32x32 gray (area averaging, so the result
    does not depend much on the source size), take the 2-D DCT, keep the 8x8
    lowest frequencies and set each bit where a coefficient is above their
    median. Re-encoding or resizing moves a few bits; different pictures
    differ in about half. Returned as 16 hex characters, row-major, first
    coefficient in the most significant bit.
    """
    array = np.asarray(image)
    if array.ndim == 3:
        if array.shape[2] == 4:
            array = array[:, :, :3]
        if array.shape[2] == 3:
            array = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_RGB2GRAY)
        elif array.shape[2] == 1:
            array = array[:, :, 0]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"perceptual_hash needs a gray or RGB image, got shape {array.shape}")
    small = cv2.resize(
        array.astype(np.float32, copy=False), (32, 32), interpolation=cv2.INTER_AREA
    )
    low = cv2.dct(small)[:8, :8]
    bits = (low > np.median(low)).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def phash_distance(a: str, b: str) -> int:
    """Hamming distance between two perceptual hashes (0 = same picture)."""
    if len(a) != 16 or len(b) != 16:
        raise ValueError("perceptual hashes are 16 hex characters")
    return (int(a, 16) ^ int(b, 16)).bit_count()


# ------------------------------------------------------------------- opening
def _megapixels(pixels: int) -> str:
    mp = pixels / 1_000_000
    if mp >= 10:
        return f"{mp:.0f} MP"
    if mp >= 0.1:
        return f"{mp:.1f} MP"
    return f"{pixels:,} pixels"


def over_cap(noun: str, width: int, height: int, max_pixels: int) -> MediaError:
    return MediaError(
        f"{noun} is {width}x{height} ({_megapixels(width * height)}), "
        f"over the {_megapixels(max_pixels)} cap"
    )


def require_strict_pillow() -> None:
    """Refuse to validate anything if truncated images are being accepted.

    ``ImageFile.LOAD_TRUNCATED_IMAGES`` is a process-wide switch; if any code
    turns it on, a cut-off JPEG would decode "successfully" with grey bars.
    We cannot safely flip it back from a worker thread, so we stop loudly.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise RuntimeError(
            "PIL.ImageFile.LOAD_TRUNCATED_IMAGES is on; Veil cannot tell "
            "truncated images from whole ones. Find and remove the code that sets it."
        )


def check_file(path: Path) -> tuple[int, bytes]:
    """Size and first bytes of a regular, non-empty, readable file.

    Raises :class:`MediaError` for anything else, so decoders only ever see
    real files.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise MediaError("file not found") from None
    except OSError as exc:
        raise MediaError(f"cannot read file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaError("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise MediaError("not a regular file")
    if info.st_size == 0:
        raise MediaError("zero-byte file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise MediaError(f"cannot read file: {exc.strerror or exc}") from None
    return info.st_size, head


def identify(path: Path) -> str:
    """Check the file and return its decodable MIME type, or raise MediaError."""
    _, head = check_file(path)
    mime = _sniff_bytes(head)
    if mime is None:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        raise MediaError(f"not an image or video (looks like {_looks_like(head)})")
    if mime.startswith("audio/"):
        raise MediaError("not an image or video (looks like audio)")
    if mime not in IMAGE_MIMES and mime not in VIDEO_MIMES:
        raise MediaError(f"unsupported format ({mime})")
    return mime


DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
    MemoryError,
    Image.DecompressionBombError,
)


def open_image(path: Path, mime: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageFile.ImageFile:
    """Open an image lazily with its header size checked against ``max_pixels``.

    Uses the format's registered Pillow opener directly (see module notes) so
    Pillow's global bomb limit does not apply; ours does. The caller owns the
    returned image and should close it (it is a context manager).
    """
    format_name = IMAGE_MIMES[mime]
    factory, _accept = Image.OPEN[format_name]
    try:
        image = factory(os.fspath(path), os.fspath(path))
    except Image.DecompressionBombError as exc:
        raise MediaError(f"image is over the pixel cap: {describe_error(exc)}") from None
    except DECODE_ERRORS as exc:
        raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise over_cap("image", width, height, max_pixels)
    return image


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """Width and height as displayed, after the EXIF orientation tag."""
    width, height = image.size
    try:
        orientation = image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not make a good image unviewable
        orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Any Pillow mode to an RGB uint8 array, transparency over mid grey.

    Mid grey (not white or black) so a transparent region stands out as
    "nothing here" in both themes; 16-bit images are scaled, not clipped.
    """
    mode = image.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        gray = np.clip(array * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if (mode == "P" and "transparency" in image.info) or mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        image = Image.alpha_composite(base, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


# ---------------------------------------------------------------- inspection
def inspect(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> MediaInfo:
    """Identify, validate and hash one media file; raise MediaError if unusable."""
    path = Path(path)
    mime = identify(path)
    if mime in IMAGE_MIMES:
        kind, width, height, frames, duration, phash = _inspect_image(path, mime, max_pixels)
    else:
        kind, width, height, frames, duration, phash = _inspect_video(path, mime, max_pixels)
    return MediaInfo(
        kind=kind,
        mime=mime,
        width=width,
        height=height,
        frame_count=frames,
        duration_s=duration,
        sha256=sha256_file(path),
        phash=phash,
    )


def _inspect_image(path: Path, mime: str, max_pixels: int):
    require_strict_pillow()
    with open_image(path, mime, max_pixels=max_pixels) as image:
        width, height = oriented_size(image)
        try:
            if is_animated(image):
                return ("image", width, height, *_walk_animation(image, max_pixels))
            if image.format in ("JPEG", "MPO"):
                # 1/8-scale decode: every byte is still read and checked.
                image.draft("L", (32, 32))
            image.load()
            small = ImageOps.exif_transpose(image)
            return "image", width, height, 1, None, perceptual_hash(to_rgb_array(small))
        except MediaError:
            raise
        except Image.DecompressionBombError:
            raise over_cap("image", width, height, max_pixels) from None
        except DECODE_ERRORS as exc:
            raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None


def frame_delay_s(info: dict) -> float:
    """An animation frame's display time, with the browsers' rule that delays
    of 10 ms or less mean 100 ms (so GIF "duration 0" is not infinitely fast)."""
    delay = float(info.get("duration") or 0) / 1000
    return delay if delay > 0.01 else 0.1


def is_animated(image: Image.Image) -> bool:
    return image.format in _ANIMATED_FORMATS and bool(getattr(image, "is_animated", False))


def check_animation(image: Image.Image, max_pixels: int) -> None:
    """Refuse animations whose frames add up to too many pixels to decode."""
    frames = image.n_frames
    width, height = image.size
    budget = max_pixels * ANIMATION_PIXEL_BUDGET_FRAMES
    if frames * width * height > budget:
        raise MediaError(
            f"animation is {width}x{height} with {frames} frames "
            f"({_megapixels(frames * width * height)} in all), over the "
            f"{_megapixels(budget)} cap"
        )


def _walk_animation(image: ImageFile.ImageFile, max_pixels: int):
    """Decode every frame once (validating it); hash the middle one."""
    check_animation(image, max_pixels)
    frames = image.n_frames
    middle = frames // 2
    duration = 0.0
    phash = None
    for index in range(frames):
        image.seek(index)
        image.load()
        duration += frame_delay_s(image.info)
        if index == middle:
            phash = perceptual_hash(to_rgb_array(ImageOps.exif_transpose(image)))
    return frames, duration, phash


def _inspect_video(path: Path, mime: str, max_pixels: int):
    capture = cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise MediaError(f"cannot open video: no decoder could read this {mime} file")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width * height > max_pixels:
            raise over_cap("video", width, height, max_pixels)
        ok, first = capture.read()
        if not ok or first is None:
            raise MediaError("video has no frames")
        height, width = first.shape[:2]  # what the decoder really produces
        fps = capture.get(cv2.CAP_PROP_FPS)
        frames = max(1, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
        keyframe = first
        middle = frames // 2
        if middle > 0:
            capture.set(cv2.CAP_PROP_POS_FRAMES, middle)
            ok, frame = capture.read()
            if not ok or frame is None:
                raise MediaError(
                    f"truncated or corrupt video: cannot read frame {middle} of {frames}"
                )
            keyframe = frame
        duration = frames / fps if fps and fps > 0 else None
        phash = perceptual_hash(cv2.cvtColor(keyframe, cv2.COLOR_BGR2RGB))
        return "video", width, height, frames, duration, phash
    except cv2.error as exc:
        raise MediaError(f"cannot open video: {describe_error(exc)}") from None
    finally:
        capture.release()
