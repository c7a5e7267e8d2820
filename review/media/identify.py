"""What a file really is: its type from its first bytes, never from its name.

A text file called ``x.jpg`` is text; PNG bytes called ``x.mp4`` are a PNG.
Only recognised image and video containers ever reach a decoder, which also
keeps playlists and other "fetch this URL" formats away from FFmpeg.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from review.media import MediaError

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
