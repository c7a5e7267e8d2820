"""NumPy pixels to ``QImage``, safely, on any thread.

Every picture Veil shows is decoded and blurred in a worker as a NumPy
array (see :mod:`review.media.preview`) and handed to a view as a ready
``QImage``.  :func:`to_qimage` is that hand-over.  ``QImage`` (unlike
``QPixmap``) may be built on any thread, so call it in the worker too and
the GUI thread only paints.

The returned image owns a copy of the pixels: a ``QImage`` built straight on
a NumPy buffer points into memory Python may free or reuse as soon as the
array goes away, which shows as garbage or crashes much later.  Copying a
display-sized frame costs well under a millisecond.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

__all__ = ["to_array", "to_qimage"]

_FORMATS = {
    1: QImage.Format.Format_Grayscale8,
    3: QImage.Format.Format_RGB888,
    4: QImage.Format.Format_RGBA8888,
}


def to_qimage(array: np.ndarray) -> QImage:
    """A ``QImage`` owning a copy of ``array``'s pixels.

    ``array`` is uint8: ``HxW`` (gray), ``HxWx1`` (gray), ``HxWx3`` (RGB) or
    ``HxWx4`` (RGBA).  Any strides are accepted (slices, views); the result
    never shares memory with the array.  Raises ``ValueError`` for anything
    else, including an empty image.
    """
    pixels = np.asarray(array)
    if pixels.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {pixels.dtype}")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        channels = 1
    elif pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        channels = pixels.shape[2]
    else:
        raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    if height < 1 or width < 1:
        raise ValueError(f"image is empty ({width}x{height})")
    # PySide wants a C-contiguous buffer (a no-op for the usual case).
    pixels = np.ascontiguousarray(pixels)
    view = QImage(pixels.data, width, height, pixels.strides[0], _FORMATS[channels])
    # copy() detaches from the NumPy buffer: the QImage owns its pixels now.
    return view.copy()


def to_array(image: QImage) -> np.ndarray:
    """The pixels of ``image`` as a new RGB uint8 ``HxWx3`` array.

    The inverse of :func:`to_qimage` for RGB images; for tests, checks and
    anything that must measure what is on screen.
    """
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    if width < 1 or height < 1:
        return np.zeros((0, 0, 3), dtype=np.uint8)
    stride = rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()
