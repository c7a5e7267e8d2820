"""Decompression bombs made by code: huge pictures in tiny files, never committed.

A 10000x10000 solid-colour PNG or deflate TIFF is about 100 KB on disk and
300-400 MB once decoded. These writers stream the rows through zlib, so
making a bomb costs a few megabytes, not the bomb's own size. Used by the
media tests and by ``benchmarks/bench_import_media.py``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

_CHANNELS = {"L": 1, "RGB": 3, "RGBA": 4}
_PNG_COLOUR_TYPE = {"L": 0, "RGB": 2, "RGBA": 6}


def _deflated_rows(row: bytes, rows: int) -> bytes:
    packer = zlib.compressobj(9)
    return b"".join(packer.compress(row) for _ in range(rows)) + packer.flush()


def png_bomb(path: Path, width: int = 10_000, height: int = 10_000, mode: str = "RGB", value: int = 200) -> Path:
    """A solid ``value`` PNG of ``width`` x ``height`` (8 bits per channel)."""
    channels = _CHANNELS[mode]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOUR_TYPE[mode], 0, 0, 0)
    pixels = _deflated_rows(b"\x00" + bytes([value]) * (width * channels), height)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


def tiff_bomb(path: Path, width: int = 10_000, height: int = 10_000, *, rows_per_strip: int | None = None,
              value: int = 200) -> Path:
    """A solid ``value`` RGB TIFF, Adobe-deflate compressed, in strips of ``rows_per_strip`` (default: one strip)."""
    rows_per_strip = rows_per_strip or height
    row = bytes([value]) * (width * 3)
    strips = []
    for top in range(0, height, rows_per_strip):
        strips.append(_deflated_rows(row, min(rows_per_strip, height - top)))
    count = len(strips)
    entries = 11
    ifd_at = 8
    ifd_size = 2 + entries * 12 + 4
    bits_at = ifd_at + ifd_size
    offsets_at = bits_at + 6
    counts_at = offsets_at + 4 * count
    data_at = counts_at + 4 * count
    offsets, position = [], data_at
    for strip in strips:
        offsets.append(position)
        position += len(strip)

    def entry(tag: int, kind: int, number: int, value_or_offset: int) -> bytes:
        if kind == 3 and number == 1:
            return struct.pack("<HHIHH", tag, kind, number, value_or_offset, 0)
        return struct.pack("<HHII", tag, kind, number, value_or_offset)

    one_strip = count == 1
    ifd = struct.pack("<H", entries) + b"".join([
        entry(256, 4, 1, width),
        entry(257, 4, 1, height),
        entry(258, 3, 3, bits_at),  # BitsPerSample 8,8,8
        entry(259, 3, 1, 8),  # Adobe deflate
        entry(262, 3, 1, 2),  # RGB
        entry(273, 4, count, offsets[0] if one_strip else offsets_at),
        entry(277, 3, 1, 3),  # SamplesPerPixel
        entry(278, 4, 1, rows_per_strip),
        entry(279, 4, count, len(strips[0]) if one_strip else counts_at),
        entry(284, 3, 1, 1),  # PlanarConfiguration: chunky
        entry(339, 3, 1, 1),  # SampleFormat: unsigned
    ]) + struct.pack("<I", 0)
    with open(path, "wb") as out:
        out.write(b"II*\x00" + struct.pack("<I", ifd_at) + ifd + struct.pack("<HHH", 8, 8, 8))
        out.write(struct.pack(f"<{count}I", *offsets) + struct.pack(f"<{count}I", *(len(s) for s in strips)))
        for strip in strips:
            out.write(strip)
    return path
