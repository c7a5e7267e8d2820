"""Harmless synthetic pictures, animations and videos for demos, screenshots and tests.

Everything here is *obviously fake*: images and videos are gradients and
geometric shapes with a large overlaid caption such as ``SIMULATED GRAPHIC
CONTENT``. Nothing produced here depicts anything harmful; it only has the
*shape* of the work (sizes, formats, animations, near-duplicates) so that
Veil can be exercised end to end. Text posts are :mod:`desktop.demo.posts`.

Determinism: every function takes a seed (or a ``random.Random``) and the
same seed gives the same bytes. The encoders used are deterministic: Pillow's
JPEG/PNG/GIF writers add no timestamps, and OpenCV's ``mp4v`` (FFmpeg MPEG-4
part 2, single-threaded) writes identical files for identical frames.

Speed: backgrounds are drawn at a tiny size and scaled up (one resize, no
per-pixel Python), and video frames are drawn with OpenCV primitives, so a
12-megapixel JPEG takes a fraction of a second and a 30-second 320x240 clip
well under one.

Only Pillow, OpenCV, NumPy and the standard library; no Qt.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

# ------------------------------------------------------------------ themes
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Theme:
    """Colours for one kind of content: background and shape palettes."""

    background: tuple[RGB, ...]
    shapes: tuple[RGB, ...]
    text: RGB = (255, 255, 255)
    banner: RGB = (0, 0, 0)


THEMES: dict[str, Theme] = {
    "violent_graphic": Theme(((40, 0, 0), (110, 10, 15), (70, 20, 20), (20, 10, 10)),
                             ((170, 20, 30), (120, 0, 0), (200, 60, 40), (60, 0, 10))),
    "self_harm": Theme(((60, 50, 80), (90, 80, 110), (40, 40, 60)),
                       ((140, 120, 170), (100, 90, 130), (180, 170, 200))),
    "adult_nudity": Theme(((230, 180, 160), (240, 200, 180), (200, 150, 140)),
                          ((250, 210, 190), (210, 160, 150), (190, 130, 120)), banner=(90, 30, 40)),
    "harassment": Theme(((235, 235, 235), (200, 200, 210), (250, 250, 250)),
                        ((40, 40, 40), (90, 90, 200), (200, 90, 90)), text=(255, 255, 255)),
    "hate_speech": Theme(((90, 90, 90), (50, 50, 50), (130, 130, 130)),
                         ((20, 20, 20), (160, 160, 160), (200, 200, 200))),
    "child_safety": Theme(((150, 150, 160), (170, 170, 180)), ((120, 120, 130), (190, 190, 200)), banner=(40, 40, 60)),
    "spam": Theme(((255, 240, 0), (255, 0, 200), (0, 240, 255)),
                  ((255, 60, 0), (0, 0, 0), (120, 0, 255), (0, 200, 0))),
    "scam_fraud": Theme(((0, 90, 40), (200, 170, 40), (0, 60, 30)),
                        ((255, 215, 0), (255, 255, 255), (0, 140, 60))),
    "counterfeit_ip": Theme(((245, 245, 245), (225, 225, 230), (255, 255, 255)),
                            ((120, 70, 30), (30, 30, 30), (180, 140, 90), (200, 30, 40))),
    "neutral": Theme(((30, 70, 140), (70, 140, 200), (20, 40, 80)),
                     ((250, 200, 60), (240, 240, 240), (60, 180, 120))),
}


def theme(name: str) -> Theme:
    return THEMES.get(name, THEMES["neutral"])


# ---------------------------------------------------------- image captions
#: Overlaid words for images and videos: (violating, benign) caption pools.
CAPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "violent_graphic": (("SIMULATED GRAPHIC CONTENT", "SIMULATED GORE PLACEHOLDER", "SIMULATED INJURY SCENE"),
                        ("SIMULATED FILM SPECIAL EFFECTS", "SIMULATED VIDEO GAME SCREENSHOT",
                         "SIMULATED HALLOWEEN MAKEUP")),
    "self_harm": (("SIMULATED SENSITIVE CONTENT", "SIMULATED SELF-HARM PLACEHOLDER"),
                  ("SIMULATED RECOVERY SUPPORT POST", "SIMULATED HELPLINE POSTER")),
    "adult_nudity": (("SIMULATED ADULT CONTENT", "SIMULATED EXPLICIT PLACEHOLDER"),
                     ("SIMULATED SWIMWEAR ADVERT", "SIMULATED CLASSICAL PAINTING")),
    "harassment": (("SIMULATED HARASSMENT MEME", "SIMULATED MOCKING EDIT"),
                   ("SIMULATED FRIENDLY MEME", "SIMULATED INSIDE JOKE")),
    "hate_speech": (("SIMULATED HATE MEME", "SIMULATED HATEFUL SYMBOL"),
                    ("SIMULATED NEWS REPORT", "SIMULATED HISTORY LESSON")),
    "child_safety": (("SIMULATED MINOR-SAFETY PLACEHOLDER",), ("SIMULATED SCHOOL EVENT PLACEHOLDER",)),
    "spam": (("SIMULATED SPAM", "SIMULATED SPAM - BUY FOLLOWERS", "SIMULATED SPAM - CLICK HERE"),
             ("SIMULATED BAKERY ADVERT", "SIMULATED CONCERT POSTER")),
    "scam_fraud": (("SIMULATED SCAM - YOU WON!", "SIMULATED PHISHING PAGE", "SIMULATED CRYPTO GIVEAWAY"),
                   ("SIMULATED CHARITY APPEAL", "SIMULATED BANK SAFETY NOTICE")),
    "counterfeit_ip": (("SIMULATED COUNTERFEIT LISTING", "SIMULATED REPLICA HANDBAG", "SIMULATED FAKE SNEAKERS"),
                       ("SIMULATED VINTAGE RESALE", "SIMULATED HANDMADE ITEM")),
}

FOOTER = "synthetic demo media - not real content"


def caption_for(category: str, violating: bool, rng: random.Random) -> str:
    pool = CAPTIONS.get(category, (("SIMULATED CONTENT",), ("SIMULATED CONTENT",)))
    return rng.choice(pool[0] if violating else pool[1])


# ------------------------------------------------------------------ images
_FONTS = threading.local()


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font at *size*, cached per thread.

    Per thread because a FreeType face must not be used by two threads at
    once, and media is generated from a thread pool.
    """
    size = max(8, int(size))
    cache = getattr(_FONTS, "by_size", None)
    if cache is None:
        cache = _FONTS.by_size = {}
    cached = cache.get(size)
    if cached is None:
        cached = cache[size] = ImageFont.load_default(size=size)
    return cached


def _background(rng: random.Random, size: tuple[int, int], palette: Sequence[RGB]) -> Image.Image:
    """A smooth random colour field: a tiny random grid scaled up (fast at any size)."""
    width, height = size
    gw, gh = rng.randint(2, 6), rng.randint(2, 5)
    grid = np.array([[palette[rng.randrange(len(palette))] for _ in range(gw)] for _ in range(gh)], dtype=np.uint8)
    # OpenCV's resize is several times faster than Pillow's here and releases the GIL.
    return Image.fromarray(cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC), "RGB")


def _shapes(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], palette: Sequence[RGB], count: int
) -> None:
    width, height = size
    scale = min(width, height)
    for _ in range(count):
        colour = palette[rng.randrange(len(palette))]
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.05, 0.3) * scale
        kind = rng.random()
        if kind < 0.4:
            draw.ellipse((cx - r, cy - r * rng.uniform(0.5, 1.5), cx + r, cy + r), fill=colour)
        elif kind < 0.7:
            draw.rectangle((cx - r, cy - r / 2, cx + r, cy + r / 2), fill=colour)
        else:
            points = [
                (cx + r * math.cos(a) * rng.uniform(0.6, 1.0), cy + r * math.sin(a) * rng.uniform(0.6, 1.0))
                for a in sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(3, 6)))
            ]
            draw.polygon(points, fill=colour)


def _product(draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int], palette: Sequence[RGB]) -> None:
    """A crude handbag or shoe silhouette on a plain backdrop: a marketplace photo."""
    width, height = size
    s = min(width, height)
    cx, cy = width / 2, height * 0.55
    colour = palette[rng.randrange(len(palette))]
    if rng.random() < 0.5:  # handbag
        w, h = s * 0.45, s * 0.32
        draw.arc((cx - w * 0.3, cy - h * 0.95, cx + w * 0.3, cy - h * 0.05), 180, 360,
                 fill=colour, width=max(2, int(s * 0.02)))
        draw.rounded_rectangle((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), radius=int(s * 0.03), fill=colour)
        draw.rectangle((cx - s * 0.03, cy - h * 0.2, cx + s * 0.03, cy - h * 0.05), fill=(230, 200, 80))
    else:  # sneaker
        w, h = s * 0.5, s * 0.16
        draw.rounded_rectangle((cx - w / 2, cy, cx + w / 2, cy + h * 0.4), radius=int(s * 0.02), fill=(240, 240, 240))
        draw.polygon([(cx - w / 2, cy), (cx - w * 0.3, cy - h), (cx + w * 0.05, cy - h * 0.9),
                      (cx + w / 2, cy - h * 0.1), (cx + w / 2, cy)], fill=colour)
        draw.line((cx - w * 0.3, cy - h * 0.5, cx + w * 0.2, cy - h * 0.3), fill=(255, 255, 255),
                  width=max(2, int(s * 0.012)))


def _fit_font(draw: ImageDraw.ImageDraw, text: str, max_width: float, max_size: int) -> ImageFont.FreeTypeFont:
    size = max(10, max_size)
    f = font(size)
    width = draw.textlength(text, font=f)
    if width > max_width:
        f = font(size * max_width / width)
    return f


def _banner(draw: ImageDraw.ImageDraw, size: tuple[int, int], caption: str, th: Theme, *, meme: bool,
            y_frac: float = 0.42) -> None:
    width, height = size
    if meme:  # top/bottom outlined text, the classic meme layout
        top, _, bottom = caption.partition(" ")
        for text, y in ((top, 0.04), (bottom or top, 0.80)):
            f = _fit_font(draw, text, width * 0.9, int(height * 0.13))
            w = draw.textlength(text, font=f)
            draw.text(((width - w) / 2, height * y), text, font=f, fill=(255, 255, 255),
                      stroke_width=max(1, f.size // 14), stroke_fill=(0, 0, 0))
        return
    f = _fit_font(draw, caption, width * 0.86, int(height * 0.09))
    box = draw.textbbox((0, 0), caption, font=f)
    tw, tht = box[2] - box[0], box[3] - box[1]
    x, y = (width - tw) / 2, height * y_frac
    pad = max(4, f.size // 3)
    draw.rectangle((x - pad, y + box[1] - pad, x + tw + pad, y + box[1] + tht + pad), fill=th.banner)
    draw.text((x, y), caption, font=f, fill=th.text)


def _footer(draw: ImageDraw.ImageDraw, size: tuple[int, int], tag: str) -> None:
    width, height = size
    f = font(max(9, min(width, height) * 0.028))
    text = f"{FOOTER} - {tag}"
    draw.text((width * 0.02, height - f.size * 1.5), text, font=f, fill=(255, 255, 255),
              stroke_width=1, stroke_fill=(0, 0, 0))


def render_image(
    *,
    seed: int,
    width: int,
    height: int,
    caption: str,
    category: str = "neutral",
    style: str | None = None,
) -> Image.Image:
    """An RGB picture: colour field, shapes (or a product), caption banner, footer.

    *style* is ``"meme"``, ``"product"`` or ``None`` (plain banner); by
    default it follows the category.
    """
    rng = random.Random(seed)
    th = theme(category)
    size = (int(width), int(height))
    if style is None:
        style = {"harassment": "meme", "hate_speech": "meme", "counterfeit_ip": "product"}.get(category)
    image = _background(rng, size, th.background)
    draw = ImageDraw.Draw(image)
    _shapes(draw, rng, size, th.shapes, rng.randint(3, 9) if style != "product" else rng.randint(0, 2))
    if style == "product":
        _product(draw, rng, size, th.shapes)
    _banner(draw, size, caption, th, meme=style == "meme", y_frac=0.8 if style == "product" else 0.42)
    _footer(draw, size, f"#{seed % 100000:05d}")
    return image


def save_image(image: Image.Image, path: Path, *, quality: int = 88) -> Path:
    """Save by suffix (.jpg/.jpeg, .png, .gif, .webp) with deterministic settings."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        image.convert("RGB").save(path, "JPEG", quality=quality, optimize=False, progressive=False)
    elif suffix == ".png":
        image.save(path, "PNG", compress_level=6)
    elif suffix == ".webp":
        image.save(path, "WEBP", quality=quality, method=4)
    elif suffix == ".gif":
        image.convert("P", palette=Image.Palette.ADAPTIVE).save(path, "GIF")
    else:
        raise ValueError(f"unsupported image suffix {suffix!r}")
    return path


def make_image(
    path: Path,
    *,
    seed: int,
    width: int = 640,
    height: int = 480,
    caption: str = "SIMULATED CONTENT",
    category: str = "neutral",
    style: str | None = None,
    quality: int = 88,
) -> Path:
    """Write one synthetic still image; the format follows the suffix."""
    image = render_image(seed=seed, width=width, height=height, caption=caption, category=category, style=style)
    return save_image(image, path, quality=quality)


def make_near_duplicate(source: Path, path: Path, *, seed: int) -> Path:
    """A re-upload of *source*: slightly cropped, rescaled, re-toned, re-encoded.

    The bytes (and SHA-256) differ; the perceptual hash stays within a few
    bits, which is what "seen before" matching is for.
    """
    rng = random.Random(seed)
    with Image.open(source) as original:
        image = original.convert("RGB")
    width, height = image.size
    crop = rng.uniform(0.0, 0.03)
    image = image.crop((int(width * crop), int(height * crop), width - int(width * crop), height - int(height * crop)))
    scale = rng.uniform(0.75, 0.97)
    image = image.resize((max(16, int(image.width * scale)), max(16, int(image.height * scale))),
                         Image.Resampling.BILINEAR)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.92, 1.08))
    draw = ImageDraw.Draw(image)
    f = font(max(9, min(image.size) * 0.03))
    draw.text((image.width * 0.62, image.height * 0.03), f"reposted @user_{rng.randint(1000, 9999)}", font=f,
              fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0))
    return save_image(image, path.with_suffix(".jpg") if path.suffix.lower() not in (".jpg", ".jpeg") else path,
                      quality=rng.randint(70, 86))


def make_gif(
    path: Path,
    *,
    seed: int,
    width: int = 240,
    height: int = 180,
    frames: int = 12,
    caption: str = "SIMULATED CONTENT",
    category: str = "neutral",
    frame_ms: int = 100,
) -> Path:
    """An animated GIF: a shape moving over a colour field, blinking caption."""
    rng = random.Random(seed)
    th = theme(category)
    size = (int(width), int(height))
    base = _background(rng, size, th.background)
    _shapes(ImageDraw.Draw(base), rng, size, th.shapes, rng.randint(2, 5))
    colour = th.shapes[rng.randrange(len(th.shapes))]
    r = min(size) * 0.12
    out: list[Image.Image] = []
    palette: Image.Image | None = None
    for index in range(frames):
        frame = base.copy()
        draw = ImageDraw.Draw(frame)
        t = index / max(1, frames)
        cx = width * (0.15 + 0.7 * t)
        cy = height * (0.5 + 0.25 * math.sin(2 * math.pi * t))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        if index % 4 != 3:
            _banner(draw, size, caption, th, meme=False)
        _footer(draw, size, f"#{seed % 100000:05d}")
        # One palette for the whole animation (from the first frame): much faster
        # than an adaptive palette per frame, and no colour flicker.
        if palette is None:
            palette = frame.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
            out.append(palette)
        else:
            out.append(frame.quantize(palette=palette, dither=Image.Dither.NONE))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out[0].save(path, "GIF", save_all=True, append_images=out[1:], duration=frame_ms, loop=0, optimize=False)
    return path


# ------------------------------------------------------------------ videos
def make_video(
    path: Path,
    *,
    seed: int,
    seconds: float = 8.0,
    fps: int = 12,
    width: int = 320,
    height: int = 240,
    caption: str = "SIMULATED CONTENT",
    category: str = "neutral",
) -> Path:
    """A short MP4 (MPEG-4 part 2, ``mp4v``): moving shapes, scene cuts, caption, timecode.

    Scene cuts every few seconds give a storyboard something to show.
    """
    rng = random.Random(seed)
    th = theme(category)
    size = (int(width), int(height))
    total = max(1, round(seconds * fps))
    scene_len = max(fps, int(fps * rng.uniform(2.5, 6.0)))
    scenes: list[np.ndarray] = []
    for _ in range(total // scene_len + 1):
        bg = _background(rng, size, th.background)
        _shapes(ImageDraw.Draw(bg), rng, size, th.shapes, rng.randint(2, 5))
        scenes.append(cv2.cvtColor(np.asarray(bg), cv2.COLOR_RGB2BGR))
    movers = [
        (
            th.shapes[rng.randrange(len(th.shapes))][::-1],
            rng.uniform(0, width), rng.uniform(0, height),
            rng.uniform(-40, 40), rng.uniform(-30, 30),
            int(min(size) * rng.uniform(0.06, 0.16)),
        )
        for _ in range(rng.randint(2, 4))
    ]
    font_face = cv2.FONT_HERSHEY_SIMPLEX
    scale = 1.0
    (tw, th_px), _ = cv2.getTextSize(caption, font_face, scale, 2)
    scale = min(1.2, (width * 0.9) / max(1, tw))
    (tw, th_px), base_line = cv2.getTextSize(caption, font_face, scale, 2)
    tx, ty = (width - tw) // 2, int(height * 0.45)
    small = max(0.3, width / 900)

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(fps), size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write MP4 video to {path}")
    try:
        for index in range(total):
            frame = scenes[index // scene_len].copy()
            t = index / fps
            for colour, x0, y0, vx, vy, radius in movers:
                x = int((x0 + vx * t) % width)
                y = int((y0 + vy * t) % height)
                cv2.circle(frame, (x, y), radius, colour, -1, cv2.LINE_AA)
            cv2.rectangle(frame, (tx - 6, ty - th_px - 6), (tx + tw + 6, ty + base_line + 4), th.banner[::-1], -1)
            cv2.putText(frame, caption, (tx, ty), font_face, scale, th.text[::-1], 2, cv2.LINE_AA)
            cv2.putText(frame, f"{int(t // 60):02d}:{t % 60:04.1f}", (6, height - 8), font_face, small * 1.4,
                        (255, 255, 255), 1, cv2.LINE_AA)
            cv2.putText(frame, "synthetic demo video", (width - int(width * 0.48), 16), font_face, small * 1.2,
                        (255, 255, 255), 1, cv2.LINE_AA)
            writer.write(frame)
    finally:
        writer.release()
    return path
