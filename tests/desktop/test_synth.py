"""Synthetic media and text: right sizes and formats, valid files, deterministic bytes."""

from __future__ import annotations

import hashlib
import random
import time

import pytest
from builders import has_arabic, has_cjk, has_emoji

from desktop.demo import posts, synth
from review.media import intake, pdq


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix, mime", [(".jpg", "image/jpeg"), (".png", "image/png")])
def test_still_images_are_valid_and_deterministic(tmp_path, suffix, mime):
    a = synth.make_image(tmp_path / f"a{suffix}", seed=3, width=320, height=240, caption="SIMULATED SPAM",
                         category="spam")
    b = synth.make_image(tmp_path / f"b{suffix}", seed=3, width=320, height=240, caption="SIMULATED SPAM",
                         category="spam")
    c = synth.make_image(tmp_path / f"c{suffix}", seed=4, width=320, height=240, caption="SIMULATED SPAM",
                         category="spam")
    info = intake.inspect(a)
    assert (info.kind, info.mime, info.width, info.height) == ("image", mime, 320, 240)
    assert _sha(a) == _sha(b)
    assert _sha(a) != _sha(c)


def test_twelve_megapixel_jpeg_is_quick(tmp_path):
    started = time.perf_counter()
    path = synth.make_image(tmp_path / "big.jpg", seed=1, width=4000, height=3000,
                            caption="SIMULATED GRAPHIC CONTENT", category="violent_graphic")
    elapsed = time.perf_counter() - started
    info = intake.inspect(path)
    assert (info.mime, info.width, info.height) == ("image/jpeg", 4000, 3000)
    # About 0.2 s on one core; the bound only catches an accidental per-pixel Python loop.
    assert elapsed < 15


def test_every_category_has_a_theme_and_captions(tmp_path):
    for n, category in enumerate(synth.CAPTIONS):
        for violating in (True, False):
            caption = synth.caption_for(category, violating, random.Random(n))
            assert caption.startswith("SIMULATED")
        path = synth.make_image(tmp_path / f"{category}.jpg", seed=n, width=200, height=150,
                                caption=caption, category=category)
        assert intake.inspect(path).width == 200


def test_near_duplicate_has_new_bytes_but_a_close_pdq(tmp_path):
    original = synth.make_image(tmp_path / "o.jpg", seed=11, width=800, height=600,
                                caption="SIMULATED HATE MEME", category="hate_speech")
    other = synth.make_image(tmp_path / "x.jpg", seed=12, width=800, height=600,
                             caption="SIMULATED HATE MEME", category="hate_speech")
    dup = synth.make_near_duplicate(original, tmp_path / "d.jpg", seed=5)
    a, d, x = intake.inspect(original), intake.inspect(dup), intake.inspect(other)
    assert a.sha256 != d.sha256
    assert (d.width, d.height) != (a.width, a.height)
    # synth crops up to 3 % a side, beyond what PDQ matches at 31 bits (docs/automation.md): near, not within it
    a_hex, d_hex, x_hex = (pdq.column_hashes(info.pdq)[0].hex for info in (a, d, x))  # "HEX:QUALITY" stored
    assert pdq.distance(a_hex, d_hex) <= 2 * pdq.DEFAULT_THRESHOLD
    assert pdq.distance(a_hex, x_hex) > pdq.distance(a_hex, d_hex)
    again = synth.make_near_duplicate(original, tmp_path / "d2.jpg", seed=5)
    assert _sha(again) == _sha(dup)


def test_animated_gif(tmp_path):
    path = synth.make_gif(tmp_path / "a.gif", seed=2, frames=9, caption="SIMULATED SPAM", category="spam")
    info = intake.inspect(path)
    assert (info.kind, info.mime, info.frame_count) == ("image", "image/gif", 9)
    assert info.duration_s == pytest.approx(0.9)
    assert _sha(path) == _sha(synth.make_gif(tmp_path / "b.gif", seed=2, frames=9, caption="SIMULATED SPAM",
                                             category="spam"))


def test_video_is_a_valid_deterministic_mp4(tmp_path):
    a = synth.make_video(tmp_path / "a.mp4", seed=5, seconds=6, fps=10, caption="SIMULATED GRAPHIC CONTENT",
                         category="violent_graphic")
    b = synth.make_video(tmp_path / "b.mp4", seed=5, seconds=6, fps=10, caption="SIMULATED GRAPHIC CONTENT",
                         category="violent_graphic")
    c = synth.make_video(tmp_path / "c.mp4", seed=6, seconds=6, fps=10, caption="SIMULATED GRAPHIC CONTENT",
                         category="violent_graphic")
    info = intake.inspect(a)
    assert (info.kind, info.mime, info.width, info.height, info.frame_count) == ("video", "video/mp4", 320, 240, 60)
    assert info.duration_s == pytest.approx(6.0, abs=0.2)
    assert _sha(a) == _sha(b) != _sha(c)


def test_portrait_video(tmp_path):
    info = intake.inspect(synth.make_video(tmp_path / "p.mp4", seed=1, seconds=5, width=240, height=320))
    assert (info.width, info.height) == (240, 320)


def test_text_in_every_language_is_marked_simulated():
    rng = random.Random(1)
    for language in posts.LANGUAGES:
        for category in synth.CAPTIONS:
            for violating in (True, False):
                text = posts.post_text(category, language, violating, rng)
                marker = posts.MARKER["en" if language == "emoji" else language]
                assert text.startswith(marker), text
                assert "{" not in text and "}" not in text, text  # every placeholder filled


def test_text_scripts():
    rng = random.Random(2)
    assert has_arabic(posts.post_text("harassment", "ar", True, rng))
    assert has_cjk(posts.post_text("spam", "zh", True, rng))
    assert has_cjk(posts.post_text("spam", "ja", False, rng))
    assert has_emoji(posts.post_text("spam", "emoji", True, rng))
    latin = posts.post_text("spam", "en", True, random.Random(3))
    assert not has_arabic(latin) and not has_cjk(latin)


def test_text_is_deterministic_and_links_are_reserved_names():
    first = [posts.post_text("scam_fraud", "en", True, random.Random(9)) for _ in range(3)]
    assert len(set(first)) == 1
    texts = [posts.post_text("spam", "en", True, random.Random(n)) for n in range(30)]
    for text in texts:
        for word in text.split():
            if "/" in word and "." in word:
                assert word.startswith("example.invalid/"), text


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language"):
        posts.post_text("spam", "xx", True, random.Random(0))


def test_listing_has_title_and_description():
    title, description = posts.listing(True, random.Random(0))
    assert title.startswith("[simulated listing]")
    assert description.startswith(posts.MARKER["en"])
