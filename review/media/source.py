"""The media source: an item's media bytes, by its ``media_path``, from whichever store holds them, in memory only.

Both kinds of store answer the same question — "the bytes of this item's
media" — so the viewing code has one way in (:func:`open_media`): a file
store reads the file in its media root (:mod:`review.store.media_root`); a
store that keeps its media inside it (a server store, issue 15 §4) reads
the blob's rows on demand, a chunk at a time, each checked before a decoder
sees it (:class:`review.store.server_media.BlobReader`). What comes back is
a :class:`Media`: a seekable binary stream that decoders read directly —
Pillow from the stream, OpenCV's FFmpeg capture from it
(``cv2.VideoCapture(stream, cv2.CAP_FFMPEG, [])``, OpenCV ≥ 4.11's stream
reader) — so nothing unblurred is ever written to the desk's disk: no
temporary file, no cache of pixels, and the desk's own media folder is never
looked at for a server store's media.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from PIL import ImageFile

from review.media import MediaError, images
from review.media.identify import IMAGE_MIMES, VIDEO_MIMES, _sniff_bytes, identify
from review.media.limits import DEFAULT_MAX_PIXELS
from review.media.root import check_present
from review.store import Store, server_media
from review.store import media_root as layout


@dataclass(eq=False)
class Media:
    """An item's media opened for decoding: a seekable stream of its bytes, its type and its stored name.

    Read it from one thread and close it (a context manager). ``reader`` is the blob reader of a store
    that keeps its media inside it (None for a file): a decoder that swallows read errors (OpenCV) is
    followed by :meth:`intact`, so a damaged blob is said, never shown in part.
    """

    stream: BinaryIO
    mime: str
    name: str
    reader: server_media.BlobReader | None = field(default=None, repr=False)

    def __enter__(self) -> Media:  # noqa: PYI034 - never subclassed
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stream.close()

    def rewound(self) -> BinaryIO:
        """The stream at its first byte, for the next decoder to open."""
        self.stream.seek(0)
        return self.stream

    def intact(self) -> None:
        """Raise what damaged the blob while a decoder read it (BlobDamaged), if anything did."""
        if self.reader is not None and self.reader.damage is not None:
            raise self.reader.damage


def open_media(store: Store, media_path: str) -> Media:
    """The media an item's *media_path* (as :func:`review.store.items.item_row` gives it) names, opened for reading.

    A file store's media (and an absolute path, a file on this desk) are read from their file; a relative
    name on a store without a media folder is its blob, read from the store. Raises MediaError (missing,
    damaged, not a picture) in words a moderator can pass on.
    """
    if store.media_root is not None or not layout.is_relative(media_path):
        path = layout.resolve(store.media_root, media_path)
        check_present(path)
        mime = identify(Path(path))
        try:
            return Media(open(path, "rb"), mime, media_path)  # noqa: SIM115 - the Media closes it
        except OSError as exc:
            raise MediaError(f"cannot read file: {exc.strerror or exc}") from None
    reader = server_media.open_blob(store.db, media_path)
    stream = io.BufferedReader(reader, buffer_size=server_media.CHUNK_BYTES)
    try:
        sniffed = _sniff_bytes(stream.peek(64)[:64])
    except BaseException:
        stream.close()
        raise
    if sniffed != reader.blob.mime or (sniffed not in IMAGE_MIMES and sniffed not in VIDEO_MIMES):
        stream.close()
        raise server_media.BlobDamaged(f"media {media_path} is damaged in the store (its bytes are not the "
                                       f"{reader.blob.mime} it was stored as)")
    return Media(stream, sniffed, media_path, reader)


def open_image(media: Media, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageFile.ImageFile:
    """Open an image from *media*'s stream lazily, its header size checked against ``max_pixels``.

    :func:`review.media.images.open_image` on the stream, never a file; a blob damaged under Pillow's read is
    said as damaged (:meth:`Media.intact`), not as a corrupt picture.
    """
    if media.mime not in IMAGE_MIMES:
        raise MediaError(f"not an image ({media.mime})")
    try:
        return images.open_image(media.rewound(), media.mime, max_pixels=max_pixels)
    except MediaError:
        media.intact()
        raise
