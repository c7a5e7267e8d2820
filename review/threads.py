"""Thread context: the parent post and the posts around an item, as a manifest row gives them — text only.

A row may carry ``thread``: a JSON array (a JSON Lines value, or the text
of a CSV cell) of posts, each ``{"author": …, "text": …, "at": …,
"relation": "parent" | "before" | "after"}``; only ``text`` is required
(``relation`` defaults to ``before``). :func:`checked` is the import's
check, every problem a sentence of the row's line: at most
:data:`MAX_POSTS` posts of at most :data:`MAX_POST_CHARS` characters each,
text only — a post carrying media is refused, because media is shown only
veiled, and a thread is shown as text. The checked posts are kept in the
item's metadata under ``thread`` (one shape, whatever the manifest
wrote), so the item keeps them as it arrived — the audit's blind step
included — and no migration was needed; the metadata panel leaves the
field to the thread panel (``ui.item.thread``), which shows it collapsed.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from review.clock import normalise

FIELD = "thread"
MAX_POSTS = 20
MAX_POST_CHARS = 2_000  # a parent post or a reply: context, not a document
MAX_AUTHOR_CHARS = 200
RELATIONS = ("parent", "before", "after")
#: Fields of a post; the media ones are named so a refusal says what to do rather than "unknown field".
POST_FIELDS = ("author", "text", "at", "relation")
MEDIA_FIELDS = frozenset({"media", "media_path", "image", "images", "video", "videos", "attachment", "attachments",
                          "photo", "photos", "gif", "url", "urls"})


@dataclass(frozen=True)
class Post:
    """One post around the item: who wrote it (may be ""), its text, when ("" when not given), and where it sits."""

    author: str
    text: str
    at: str
    relation: str


def _kind(value: Any) -> str:
    return {list: "an array", dict: "an object", str: "text", bool: "true or false", type(None): "null"}.get(
        type(value), "a number")


def checked(value: Any) -> tuple[list[dict[str, str]] | None, str | None]:
    """(the posts as stored, None) or (None, why the row's ``thread`` cannot be kept).

    A JSON ``null`` (or a blank cell) is no thread, as every other field reads null as not given: kept as an
    empty array, the shape an item without posts has.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return [], None
    if isinstance(value, str):  # a CSV cell (or a JSON string): the array as JSON text
        try:
            value = json.loads(value)
        except ValueError as exc:
            return None, f"thread is not JSON ({exc}): write an array of posts, e.g. [{{\"text\": \"…\"}}]"
    if not isinstance(value, list):
        return None, f"thread must be an array of posts, not {_kind(value)}"
    if len(value) > MAX_POSTS:
        return None, f"thread has {len(value)} posts (at most {MAX_POSTS}: the closest ones are enough)"
    posts = []
    for n, post in enumerate(value, start=1):
        shaped, why = _post(post)
        if why is not None:
            return None, f"thread post {n} {why}"
        posts.append(shaped)
    return posts, None


def _post(post: Any) -> tuple[dict[str, str], str | None]:
    if not isinstance(post, dict):
        return {}, f"must be an object with its text, not {_kind(post)}"
    media = sorted(k for k in post if str(k).lower() in MEDIA_FIELDS)
    if media:
        return {}, (f"carries media ({', '.join(media)}): a thread is text only, shown unveiled — "
                    "import a post with media as an item of its own")
    unknown = sorted(k for k in post if k not in POST_FIELDS)
    if unknown:
        return {}, f"has unknown field(s) {', '.join(map(repr, unknown))} (a post has {', '.join(POST_FIELDS)})"
    text = post.get("text")
    if text is not None and not isinstance(text, str):
        return {}, f"text must be text, not {_kind(text)}"
    if not text or not text.strip():
        return {}, "has no text (a post's text is required)"
    if len(text) > MAX_POST_CHARS:
        return {}, f"is {len(text):,} characters long (at most {MAX_POST_CHARS:,})"
    if "\0" in text:
        return {}, "contains a NUL character (U+0000)"
    author = post.get("author", "")
    if not isinstance(author, str | int) or isinstance(author, bool) or len(str(author)) > MAX_AUTHOR_CHARS:
        return {}, f"author must be a name of at most {MAX_AUTHOR_CHARS} characters"
    relation = post.get("relation") or "before"
    if relation not in RELATIONS:
        return {}, f"relation {relation!r} is not one of {', '.join(RELATIONS)}"
    at = post.get("at") or ""
    if at:
        try:
            at = normalise(at)
        except (ValueError, TypeError, AttributeError, OverflowError):
            return {}, f"at {post.get('at')!r} is not an ISO 8601 time"
    return {"author": str(author).strip(), "text": text, "at": at, "relation": relation}, None


def posts(metadata: dict[str, Any]) -> tuple[Post, ...]:
    """The item's thread in reading order — parent, posts before, posts after — or () when it has none.

    Stored rows were checked on import; a row written otherwise is read
    leniently (what is not a post's text is left out), never raised on.
    """
    stored = metadata.get(FIELD)
    if not isinstance(stored, list):
        return ()
    found = [Post(str(p.get("author") or ""), p["text"], str(p.get("at") or ""), str(p.get("relation") or "before"))
             for p in stored if isinstance(p, dict) and isinstance(p.get("text"), str) and p["text"].strip()]
    order = {relation: n for n, relation in enumerate(RELATIONS)}
    return tuple(sorted(found, key=lambda p: order.get(p.relation, 1)))  # stable: the manifest's order within each


def direction(text: str) -> str:
    """ "rtl" when the text's first strong character is right-to-left (Arabic, Hebrew …), else "ltr"."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"
