"""Turn a media file into the small, blurred picture a reviewer first sees.

The review UI calls these functions from a worker thread and hands the
resulting RGB array to Qt. The rule from the design notes drives every
choice here: *decode once, at display size, then blur the small image*.

* Images: JPEGs are decoded through Pillow's ``draft()``, which lets libjpeg
  scale by 1/2, 1/4 or 1/8 inside the inverse DCT, so a 12-megapixel photo is
  never materialised at full size. Other formats are decoded, then shrunk with
  area averaging. EXIF orientation is honoured so nobody reviews a sideways
  photo.
* Blur strength is a fraction of the *displayed* width, so a level means the
  same thing on a thumbnail and on a full-screen view. The default hides
  words: an OCR engine reads no caption on the demo's images at it, nor at
  the level below (docs/wellbeing.md, "Blur strength").
* Videos show their middle frame, read through the one safe opener
  (:func:`review.media.video.open_video`); storyboards and playback frames
  are :mod:`review.media.frames`' job.
* Everything raises :class:`review.media.MediaError` for files that cannot be
  shown, with the same one-line reasons as the importer.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from review.media import MediaError
from review.media.identify import VIDEO_MIMES, identify
from review.media.images import DECODE_ERRORS, decode_fitted, describe_error, open_image
from review.media.limits import DEFAULT_MAX_PIXELS, require_strict_pillow
from review.media.video import VideoClip, open_video

BLUR_LEVELS: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.045, 0.06, 0.08)
"""Gaussian sigma as a fraction of the displayed width, by level (0 = off).

Level 2 is CSS ``blur(10px)`` on a 1000 px image. The default, level 4
(σ = 4.5 % of the width), is chosen so that tesseract reads no caption word
on the demo's images at it or at level 3 (2 %, the old default), while
tesseract still reads words up to about 1.7 %: big shapes and tones
survive, words do not (tests/ui/test_item_words.py; the numbers in
docs/wellbeing.md).
"""

DEFAULT_BLUR_LEVEL: int = 4

_SMALL_SIGMA = 3.0
"""Blur in a shrunken copy once sigma exceeds twice this (see _gaussian)."""

_STYLISE_WORK_SIDE = 480


def blur_sigma(level: int, width: int) -> float:
    """Gaussian sigma in pixels for a blur level on an image ``width`` wide."""
    if not 0 <= level < len(BLUR_LEVELS):
        raise ValueError(f"blur level must be 0..{len(BLUR_LEVELS) - 1}, got {level}")
    return BLUR_LEVELS[level] * max(0, width)


def fit_size(width: int, height: int, max_w: int, max_h: int) -> tuple[int, int]:
    """The largest size with the same aspect that fits the box; never upscales."""
    if max_w < 1 or max_h < 1:
        raise ValueError(f"display box must be at least 1x1, got {max_w}x{max_h}")
    if width < 1 or height < 1:
        raise ValueError(f"image size must be at least 1x1, got {width}x{height}")
    scale = min(max_w / width, max_h / height, 1.0)
    return (
        min(max_w, max(1, round(width * scale))),
        min(max_h, max(1, round(height * scale))),
    )


def fit_to_box(rgb: np.ndarray, max_w: int, max_h: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    target = fit_size(width, height, max_w, max_h)
    if target == (width, height):
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, target, interpolation=cv2.INTER_AREA)


def read_fitted(clip: VideoClip, max_w: int, max_h: int) -> np.ndarray | None:
    """The clip's next frame fitted inside the box, or None at the end (or a damaged frame)."""
    frame = clip.read()
    return None if frame is None else fit_to_box(frame, max_w, max_h)


def frame_at_index(clip: VideoClip, index: int, max_w: int, max_h: int) -> np.ndarray:
    """The frame at ``index``, fitted, or the first one if a damaged file fails there."""
    for candidate in dict.fromkeys((index, 0)):
        clip.seek(candidate)
        frame = read_fitted(clip, max_w, max_h)
        if frame is not None:
            return frame
    raise MediaError("video has no frames")


# ------------------------------------------------------------------- images
def decode_for_display(
    path: Path,
    max_w: int,
    max_h: int,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """RGB uint8 (HxWx3) fitted inside ``max_w`` x ``max_h``, never upscaled.

    Images: the picture as displayed (EXIF orientation applied); animations:
    their first frame. Videos: the middle frame (first frames are often
    black), the same frame the importer hashed.
    """
    path = Path(path)
    fit_size(1, 1, max_w, max_h)  # validate the box before touching the file
    mime = identify(path)
    if mime in VIDEO_MIMES:
        with open_video(path, mime, max_pixels=max_pixels) as clip:
            return frame_at_index(clip, clip.frame_count // 2, max_w, max_h)
    require_strict_pillow()
    with open_image(path, mime, max_pixels=max_pixels) as image:
        try:
            rgb = decode_fitted(image, max_w, max_h)  # reduced decode, bounded memory
        except Image.DecompressionBombError:
            raise MediaError(f"image is over the pixel cap ({image.size[0]}x{image.size[1]})") from None
        except DECODE_ERRORS as exc:
            raise MediaError(f"truncated or corrupt image: {describe_error(exc)}") from None
    return fit_to_box(rgb, max_w, max_h)


# --------------------------------------------------------------------- view
def _as_rgb(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {array.dtype}")
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array)
    if array.ndim == 3 and array.shape[2] == 4:
        return np.ascontiguousarray(array[:, :, :3])
    raise ValueError(f"expected an RGB image, got shape {array.shape}")


def _gaussian(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; large sigmas run on a shrunken copy for speed.

    Shrinking by area averaging, blurring with the proportionally smaller
    sigma and enlarging again with bilinear interpolation is at least as
    blurred as the exact filter (both resampling steps are low-pass too),
    and costs a few milliseconds instead of a 6-sigma-wide kernel per pixel.
    """
    height, width = image.shape[:2]
    factor = sigma / _SMALL_SIGMA
    if factor < 2 or min(width, height) / factor < 4:
        return cv2.GaussianBlur(image, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    small_w, small_h = max(1, round(width / factor)), max(1, round(height / factor))
    small = cv2.resize(image, (small_w, small_h), interpolation=cv2.INTER_AREA)
    small_sigma = sigma * min(small_w / width, small_h / height)
    small = cv2.GaussianBlur(small, (0, 0), small_sigma, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def apply_view(image: np.ndarray, *, blur_level: int, grayscale: bool) -> np.ndarray:
    """A new RGB uint8 array: the image grayed and/or blurred as asked.

    Grayscale is converted first so the blur runs on one channel, and is
    returned as three equal channels so the caller has one pixel format.
    """
    rgb = _as_rgb(image)
    sigma = blur_sigma(blur_level, rgb.shape[1])
    if grayscale:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if sigma > 0:
            gray = _gaussian(gray, sigma)
        return cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    if sigma > 0:
        return _gaussian(rgb, sigma)
    return rgb.copy()


def stylise(image: np.ndarray) -> np.ndarray:
    """A "reduced detail" rendering: flat colour regions with soft edges.

    OpenCV's stylization filter smooths texture while keeping the main
    edges, so a reviewer can judge composition without fine detail. It runs
    on a copy no larger than 480 px a side (speed, and even less detail),
    then is enlarged back to the input size.
    """
    rgb = _as_rgb(image)
    height, width = rgb.shape[:2]
    work_w, work_h = fit_size(width, height, _STYLISE_WORK_SIDE, _STYLISE_WORK_SIDE)
    shrink = (work_w, work_h) != (width, height)
    work = cv2.resize(rgb, (work_w, work_h), interpolation=cv2.INTER_AREA) if shrink else rgb
    if min(work_w, work_h) < 3:
        out = cv2.GaussianBlur(work, (0, 0), 2.0)
    else:
        out = cv2.stylization(work, sigma_s=40, sigma_r=0.35)
    if (work_w, work_h) != (width, height):
        out = cv2.resize(out, (width, height), interpolation=cv2.INTER_LINEAR)
    return out


# ---------------------------------------------------------------- baseline
def naive_full_decode(
    path: Path, blur_level: int, *, max_w: int = 1280, max_h: int = 960
) -> np.ndarray:
    """The slow way, kept only so a benchmark can show what the fast path saves.

    Full-resolution ``cv2.imread``, blur and grayscale at full size, then
    shrink to the box. Never use it in the app.
    """
    bgr = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MediaError(f"cannot decode image: {Path(path).name}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    sigma = blur_sigma(blur_level, rgb.shape[1])
    if sigma > 0:
        rgb = cv2.GaussianBlur(rgb, (0, 0), sigma)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return fit_to_box(cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB), max_w, max_h)
