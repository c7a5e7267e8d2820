"""Media files as Veil handles them: identified by their bytes, capped, fingerprinted, previewed.

One module per job:

* :mod:`review.media.identify` — what a file really is (magic numbers, never the name);
* :mod:`review.media.limits` — the pixel, frame and duration caps and the decode memory budget every decoder honours;
* :mod:`review.media.images` — opening images through Pillow with our cap, not Pillow's, and decoding them shrunk;
* :mod:`review.media.jpeg` — whether a JPEG's data can hold the size its header claims;
* :mod:`review.media.video` — the one safe way to open a video (:func:`~review.media.video.open_video`);
* :mod:`review.media.fingerprint` — content and perceptual hashes;
* :mod:`review.media.intake` — the importer's check of one file (:func:`~review.media.intake.inspect`);
* :mod:`review.media.preview` — the small blurred picture a reviewer first sees;
* :mod:`review.media.frames` — storyboards and frames of videos and animations;
* :mod:`review.media.viewing` — the blur/grayscale settings people choose.

:class:`MediaError` lives here because every one of them raises it.
"""

from __future__ import annotations

from review.errors import VeilError


class MediaError(VeilError):
    """A file that cannot be shown, with a one-line reason a person can act on.

    ``reason`` is the same text as ``str(exc)``; it is what the UI shows on an
    "unviewable" item and what the importer writes in its report.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
