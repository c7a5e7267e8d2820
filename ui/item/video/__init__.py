"""One video (or animated GIF) for review: a blurred storyboard first, playback only on request.

What a reviewer sees, in order:

1. **"Preparing storyboard…"** — a calm placeholder while a worker seeks to
   nine evenly spaced keyframes (:func:`review.media.frames.storyboard`; the file
   is never decoded end to end to show it).
2. **A 3x3 grid of blurred keyframes** with their timestamps.  Arrow keys or
   a click select one; Enter or a double-click opens it large (still
   blurred); Escape or Backspace goes back to the grid.
3. **Playback, only when asked** (P, or the page calls :meth:`VideoView.play`).
   Nothing in this module starts playback by itself: not ``show_video``,
   not opening a frame, not a skip.  There is no audio path at all — OpenCV
   decodes pictures only — so playback is inherently muted, and the
   controls say so.

Every pixel passes :func:`review.media.preview.apply_view` with the page's current
blur level and grayscale flag *in a worker* before it becomes a ``QImage``.
Holding reveal (:meth:`VideoView.set_revealed`, the page's Space key) swaps
the large or playing frame for the unblurred rendering of that same frame;
releasing swaps it back at once (both renderings are prepared together, so
neither direction waits for a worker).  A rectangle dragged on the large
frame reveals only that region, as on a picture (the canvas is a
:class:`~ui.item.media.VeiledImage`); it stays while frames change and ends
with the storyboard, Esc, the item or the auto re-blur.  Reveal lifts the blur only:
grayscale stays as the view says.  Grid thumbnails are never revealed.
Unblurred pixels live only in memory, only for the frame on screen (and
the raw storyboard frames, kept so a change of blur level does not need a
second decode); nothing is written anywhere.

Threads (the GUI thread never decodes):

* The storyboard and single large frames are reads through the page's
  operations runner (``Operations.query``): the worker's reader connection
  opens the item's media (a file store's file or a server store's blob,
  :func:`review.media.source.open_media`, decoded in memory).
* Playback has its own ``QThread`` with one decoder object (one open
  capture, read sequentially, through a reader connection of its own).  A ``QTimer`` on the GUI thread ticks at the
  video's frame rate times the speed and asks for *the frame at the current
  wall-clock position*.  At most one request is in flight: a tick that finds
  the decoder still busy is dropped, so a slow machine shows fewer frames
  instead of falling ever further behind.  The decoder reads forward to the
  asked time (skipping frames it is late for) and re-seeks for jumps.
  A dedicated thread, rather than the shared pool, keeps playback from
  queueing behind the page's background prefetching.
* :meth:`VideoView.clear` (and deleting the widget) stops the timer and
  joins the decoder thread; nothing is left running.

Keys (only while this widget has focus; unmodified keys it does not use,
Space included, go to the page):

=================  ==========================================================
P                  play / pause
K                  pause
] / [              faster / slower (1x, 1.5x, 2x)
Right / Left       grid: next / previous keyframe; large view: +5 s / -5 s
L / J              +5 s / -5 s (from the grid: opens the large view there)
Up / Down          grid: keyframe above / below
Enter              grid: open the selected keyframe large
Escape, Backspace  large view: back to the grid (pauses)
=================  ==========================================================

One module per job: :mod:`~ui.item.video.frames` (worker-side reading and
veiling), :mod:`~ui.item.video.playback` (the decoder thread and its request
bookkeeping), :mod:`~ui.item.video.transport` (play, pause, speed, skip),
:mod:`~ui.item.video.parts` (the painted thumbnails, canvas and
control bar), :mod:`~ui.item.video.keys` (what a key does) and
:mod:`~ui.item.video.widget` (:class:`~ui.item.video.widget.VideoView`: storyboard, large frame, reveal).
"""
