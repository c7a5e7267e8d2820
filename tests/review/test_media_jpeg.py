"""A JPEG whose header claims more picture than its data holds is refused, and real JPEGs never are (issue 12).

Everything is generated here: a small random picture whose frame header is
then edited to claim 9000x9000, and flat pictures (the cheapest possible
data per block) in every encoding Pillow and OpenCV offer.
"""

from __future__ import annotations

import io
import itertools
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from review.media import MediaError, intake
from review.media.jpeg import check_data_fills_frame

_FRAMES = (0xC0, 0xC1, 0xC2)


def claiming(path: Path, claimed: tuple[int, int], *, real: tuple[int, int] = (100, 100),
             progressive: bool = False) -> Path:
    """A ``real``-sized random JPEG whose frame header says ``claimed``."""
    pixels = np.random.default_rng(7).integers(0, 256, (real[1], real[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=progressive)
    data = bytearray(buffer.getvalue())
    position = 2
    while data[position + 1] not in _FRAMES:
        position += 2 + struct.unpack_from(">H", data, position + 2)[0]
    struct.pack_into(">HH", data, position + 5, claimed[1], claimed[0])
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("progressive", [False, True])
def test_a_header_claiming_9000x9000_over_100x100_of_data_is_refused(tmp_path, progressive):
    path = claiming(tmp_path / "liar.jpg", (9000, 9000), progressive=progressive)
    with Image.open(path) as image:  # what made it pass before: libjpeg greys out the rest, quietly
        image.draft("L", (1125, 1125))
        image.load()
    with pytest.raises(MediaError, match=r"header says 9000x9000 but the file holds picture data for far fewer"):
        intake.inspect(path)


def test_an_honest_header_over_the_same_data_is_accepted(tmp_path):
    info = intake.inspect(claiming(tmp_path / "honest.jpg", (100, 100)))
    assert (info.width, info.height) == (100, 100)


def test_a_jpeg_cut_short_is_still_refused_by_the_decode(tmp_path):
    whole = claiming(tmp_path / "whole.jpg", (100, 100), real=(100, 100)).read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(MediaError, match="truncated or corrupt image"):
        intake.inspect(cut)


def test_flat_pictures_at_the_floor_are_never_refused(tmp_path):
    """A flat picture costs exactly the floor's bits per block with optimised tables; every encoding passes."""
    sizes, modes = [(4000, 3000), (17, 9), (1, 1), (1024, 8)], ["RGB", "L", "CMYK"]
    for number, (size, mode, optimize, progressive, subsampling) in enumerate(
        itertools.product(sizes, modes, [False, True], [False, True], [0, 2])
    ):
        path = tmp_path / f"flat{number}.jpg"
        options = {"optimize": optimize, "progressive": progressive, "quality": 5}
        if mode != "L":
            options["subsampling"] = subsampling
        Image.new(mode, size, 0 if mode == "L" else (128,) * len(mode)).save(path, "JPEG", **options)
        check_data_fills_frame(path)
    black = np.zeros((3000, 4000, 3), np.uint8)
    for restart, progressive in itertools.product((0, 1, 4), (0, 1)):
        ok, encoded = cv2.imencode(".jpg", black, [cv2.IMWRITE_JPEG_QUALITY, 1, cv2.IMWRITE_JPEG_OPTIMIZE, 1,
                                                  cv2.IMWRITE_JPEG_RST_INTERVAL, restart,
                                                  cv2.IMWRITE_JPEG_PROGRESSIVE, progressive])
        path = tmp_path / f"cv{restart}{progressive}.jpg"
        path.write_bytes(encoded.tobytes())
        check_data_fills_frame(path)
