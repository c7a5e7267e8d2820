"""The PDQ Veil STORES is the reference's PDQ of the file (review 6 #6): intake hashed a grayscale, 1/8-scale JPEG
draft (0 % equal to ``pdqhash`` on 1.6-2.4 MP pictures, median 12-14 bits); now pictures up to
``intake.HASH_PIXELS`` are hashed whole, in colour. And frames above the cap are reduced first (#7)."""

from __future__ import annotations

import numpy as np
import pytest
from pdq_pictures import picture
from PIL import Image

from review.media import intake, pdq

pdqhash = pytest.importorskip("pdqhash", reason="the reference PDQ (pip install -e '.[test]')")


def _reference_hex(bits: np.ndarray) -> str:
    return f"{int(''.join(str(int(b)) for b in bits), 2):064x}"


def test_the_stored_hash_of_a_file_equals_the_references_hash_of_the_decoded_file(tmp_path):
    apart = []
    for seed in range(10):
        image = picture(seed, size=(1600 + 97 * seed, 1200 + 31 * seed))  # 1.9 to 3.7 MP
        for ext in ("jpg", "png"):
            path = tmp_path / f"{seed}.{ext}"
            image.save(path, **({"quality": 92} if ext == "jpg" else {}))
            info = intake.inspect(path)
            bits, quality = pdqhash.compute(np.asarray(Image.open(path).convert("RGB")))
            apart.append(pdq.distance(info.pdq.split(":")[0], _reference_hex(bits)))
            assert info.pdq_quality == quality
    assert sum(bits == 0 for bits in apart) >= 0.95 * len(apart), apart
    assert max(apart) <= 6, apart


def test_a_picture_over_the_cap_is_hashed_reduced_and_stays_near_the_full_hash():
    assert intake.hash_box(3840, 2160) == (1920, 1080)  # a 4K frame is halved
    assert intake.hash_box(2000, 1500) == (2000, 1500)
    assert intake.hash_box(7680, 4320) == (2560, 1440)  # 8K: a third
    frame = np.asarray(picture(4, size=(3840, 2160)))
    [reduced] = intake._hashed(frame)
    assert pdq.distance(reduced.hex, pdq.pdq_hash(frame).hex) <= 8
