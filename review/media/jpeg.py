"""Whether a JPEG's data can hold the picture its header claims.

libjpeg fills what is missing with grey and only warns (Pillow does not
pass warnings on), so a 100x100 photo whose header is edited to say
9000x9000 "decodes" as a 9000x9000 grey image. The size of the data gives
it away: every 8x8 block of a Huffman-coded JPEG costs at least 2 bits in a
sequential scan (a DC code and an end-of-block or a coefficient, each at
least 1 bit) and at least 1 bit in a progressive file's first DC scan.
Restart markers, byte stuffing and padding only add bytes, so a real file
is never below this floor. Arithmetic-coded and lossless JPEGs have no
such floor and are not checked here (the decode still checks them).

This is a floor, not a proof: a file with enough junk in its scans passes,
and then shows that junk, which is what its bytes really are.
"""

from __future__ import annotations

import math
import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from review.media import MediaError

_SEQUENTIAL_HUFFMAN = {0xC0, 0xC1}
_PROGRESSIVE_HUFFMAN = {0xC2}
_OTHER_FRAMES = {0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD9)}  # TEM, RSTn, SOI

_END_OF_SCAN = re.compile(rb"\xff+[^\x00\xd0-\xd7\xff]")
"""The first marker after a scan's data: 0xFF then anything but stuffing (00) or a restart (D0-D7)."""


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    progressive: bool
    sampling: dict[int, tuple[int, int]]  # component id -> (horizontal, vertical) sampling factors

    def blocks(self, component: int) -> int:
        """8x8 blocks of one component in a scan of it alone (interleaved scans code at least as many)."""
        h, v = self.sampling.get(component, (1, 1))
        most_h = max(s[0] for s in self.sampling.values())
        most_v = max(s[1] for s in self.sampling.values())
        columns = math.ceil(math.ceil(self.width * h / most_h) / 8)
        rows = math.ceil(math.ceil(self.height * v / most_v) / 8)
        return columns * rows


def check_data_fills_frame(path: Path) -> None:
    """Refuse a JPEG whose scans hold fewer bytes than its claimed size needs; anything odd is left to the decoder."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        needed, held, frame = _needed_and_held(data)
    if frame is not None and needed > held * 8:
        raise MediaError(
            f"truncated or corrupt image: the header says {frame.width}x{frame.height} but the file holds "
            f"picture data for far fewer pixels ({held:,} bytes; a picture that size needs at least "
            f"{math.ceil(needed / 8):,})"
        )


def _needed_and_held(data: mmap.mmap) -> tuple[int, int, _Frame | None]:
    """Bits the scans need at least, bytes they hold, and the frame (None: not a file this check applies to)."""
    position, frame, needed, held = 2, None, 0, 0
    size = len(data)
    while position + 4 <= size:
        if data[position] != 0xFF:
            return 0, 0, None  # not where a marker should be: the decoder will say what is wrong
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1  # fill byte
            continue
        if marker == 0xD9:  # end of image
            break
        if marker in _STANDALONE:
            position += 2
            continue
        length = struct.unpack_from(">H", data, position + 2)[0]
        segment = data[position + 4 : position + 2 + length]
        position += 2 + length
        if marker in _OTHER_FRAMES:
            return 0, 0, None
        if marker in _SEQUENTIAL_HUFFMAN or marker in _PROGRESSIVE_HUFFMAN:
            frame = _read_frame(segment, progressive=marker in _PROGRESSIVE_HUFFMAN)
            if frame is None:
                return 0, 0, None
        elif marker == 0xDA:
            if frame is None:
                return 0, 0, None
            needed += _scan_floor_bits(frame, segment)
            end = _END_OF_SCAN.search(data, position)
            stop = end.start() if end else size
            held += stop - position
            position = stop
    return needed, held, frame


def _read_frame(segment: bytes, *, progressive: bool) -> _Frame | None:
    if len(segment) < 6:
        return None
    height, width, count = struct.unpack_from(">HHB", segment, 1)
    if height == 0 or width == 0 or len(segment) < 6 + 3 * count or count == 0:
        return None  # a height given later (DNL) or a broken header: left to the decoder
    sampling = {}
    for index in range(count):
        component, factors = segment[6 + 3 * index], segment[7 + 3 * index]
        sampling[component] = (max(1, factors >> 4), max(1, factors & 0x0F))
    return _Frame(width, height, progressive, sampling)


def _scan_floor_bits(frame: _Frame, segment: bytes) -> int:
    """The fewest bits a scan's data can take: 2 a block (sequential), 1 (a progressive first DC scan), else 0."""
    if not segment:
        return 0
    count = segment[0]
    if len(segment) < 1 + 2 * count + 3:
        return 0
    components = [segment[1 + 2 * index] for index in range(count)]
    start, _end, approximation = segment[1 + 2 * count], segment[2 + 2 * count], segment[3 + 2 * count]
    if not frame.progressive:
        bits = 2
    elif start == 0 and approximation >> 4 == 0:
        bits = 1
    else:
        return 0
    return bits * sum(frame.blocks(component) for component in components)
