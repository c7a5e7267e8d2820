"""Varied generated pictures and the copies a re-upload makes of them, for the PDQ tests and benchmark.

Everything is drawn by code from a seed (shapes, gradients, words, noise,
photo-like textures): no real media, nothing harmful. ``picture(seed)`` is a
composite (a background, shapes, a few words), so two seeds are two
unrelated pictures; ``plain(seed)`` covers the single kinds at odd sizes for
comparing with the reference implementation.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

_WORDS = ("SAMPLE", "HELLO", "SALE", "NEWS", "MEME", "TEST", "VEIL", "PDQ", "CAT", "MAP", "WOW", "LOOK")


def picture(seed: int, size: tuple[int, int] | None = None) -> Image.Image:
    """An RGB composite: a background of one of four kinds, 3-9 shapes, 1-3 words."""
    rng = np.random.default_rng(seed)
    width, height = size or (int(rng.integers(200, 640)), int(rng.integers(200, 640)))
    kind = seed % 4
    if kind == 0:
        base = _gradient(rng, width, height)
    elif kind == 1:
        base = _texture(rng, width, height)
    elif kind == 2:
        base = _texture(rng, width, height) // 2 + _gradient(rng, width, height) // 2
    else:
        base = np.full((height, width, 3), rng.integers(0, 256, 3), dtype=np.uint8)
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 10))):
        _shape(draw, rng, width, height)
    for _ in range(int(rng.integers(1, 4))):
        word = _WORDS[int(rng.integers(len(_WORDS)))]
        font = ImageFont.load_default(size=float(rng.integers(max(12, height // 14), max(13, height // 5))))
        where = (int(rng.integers(0, width * 3 // 4)), int(rng.integers(0, height * 3 // 4)))
        draw.text(where, word, font=font, fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return image


def plain(seed: int) -> np.ndarray:
    """One kind alone (shapes, gradient, words, noise, texture, composite) at a size that may be odd or thin."""
    rng = np.random.default_rng(10_000 + seed)
    sizes = [(int(rng.integers(40, 900)), int(rng.integers(40, 900))), (int(rng.integers(5, 30)), 300),
             (1000, int(rng.integers(5, 40))), (64, 64), (127, 129)]
    width, height = sizes[seed % len(sizes)] if seed % 3 == 0 else sizes[0]
    kind = seed % 6
    if kind == 0:
        image = Image.new("RGB", (width, height), tuple(int(c) for c in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(image)
        for _ in range(6):
            _shape(draw, rng, width, height)
        return np.asarray(image)
    if kind == 1:
        return _gradient(rng, width, height)
    if kind == 2:
        image = Image.new("RGB", (width, height), "white")
        ImageDraw.Draw(image).text((2, 2), " ".join(_WORDS[: 1 + seed % 6]), fill="black",
                                   font=ImageFont.load_default(size=max(8.0, min(width, height) / 3)))
        return np.asarray(image)
    if kind == 3:
        return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if kind == 4:
        return _texture(rng, width, height)
    return np.asarray(picture(seed, (width, height)))


#: The copies the issue's "Done means" names, each a function of the original.
def half_size(image: Image.Image) -> Image.Image:
    return image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.LANCZOS)


def jpeg_q40(image: Image.Image) -> Image.Image:
    return _reencoded(image, "JPEG", quality=40)


def cropped(share: float) -> Callable[[Image.Image], Image.Image]:
    def crop(image: Image.Image) -> Image.Image:
        dx, dy = round(image.width * share), round(image.height * share)
        return image.crop((dx, dy, image.width - dx, image.height - dy))

    crop.__name__ = f"cropped {share:.1%} a side"
    return crop


def brighter(image: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(1.2)


def png(image: Image.Image) -> Image.Image:
    return _reencoded(image, "PNG")


def mirrored(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "half size": half_size, "JPEG q40": jpeg_q40, "cropped 0.5% a side": cropped(0.005), "20% brighter": brighter,
    "re-encoded PNG": png,
}


def _reencoded(image: Image.Image, fmt: str, **options: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _gradient(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * np.pi)
        t = (x * np.cos(angle) + y * np.sin(angle))
    else:
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        t = np.hypot(x - cx, y - cy)
    t = (t - t.min()) / max(np.ptp(t), 1e-9)
    start, end = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    return (start + (end - start) * t[..., None]).clip(0, 255).astype(np.uint8)


def _texture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Photo-like: noise summed over octaves (coarse blobs, fine grain), tinted."""
    field = np.zeros((height, width))
    for octave in range(1, 6):
        cells = 2 ** octave
        coarse = Image.fromarray(rng.random((cells + 1, cells + 1)).astype(np.float32), mode="F")
        field += np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC)) / octave
    field = (field - field.min()) / max(np.ptp(field), 1e-9)
    tint = rng.uniform(0.3, 1.0, 3)
    return (field[..., None] * tint * 255).clip(0, 255).astype(np.uint8)


def _shape(draw: ImageDraw.ImageDraw, rng: np.random.Generator, width: int, height: int) -> None:
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    x0, y0 = int(rng.integers(0, max(1, width))), int(rng.integers(0, max(1, height)))
    x1, y1 = x0 + int(rng.integers(4, max(5, width // 2))), y0 + int(rng.integers(4, max(5, height // 2)))
    kind = int(rng.integers(3))
    if kind == 0:
        draw.ellipse((x0, y0, x1, y1), fill=colour)
    elif kind == 1:
        draw.rectangle((x0, y0, x1, y1), fill=colour)
    else:
        points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(3)]
        draw.polygon(points, fill=colour)
