"""The thread under an item: the parent post and the posts around it, collapsed until asked for, text only.

``ThreadPanel`` is one line ("Thread: 3 posts — T to show") until the
thread key opens it; then the posts, in reading order (parent, before,
the reported post's place, after), each in its own direction: an Arabic
post reads right to left and stays right, a CJK or emoji post stays as
written (``review.threads.direction``). It keeps the item's own safety
rules (:class:`ui.item.view.ItemView` drives it): nothing of it shows
while media is hidden (Esc), a new item starts it collapsed, and the time
it is open is exposure (the view books it as text shown whole). A severe
item's thread says so while collapsed, and closes whenever a reveal ends
(the window losing focus, the decision) and, open on its own, at the auto
re-blur limit: the view's re-blur timer runs while it is open.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from review import threads
from review.serving import Item
from review.threads import Post

SEVERE = "severe"
BODY_HEIGHT = 200  # pixels of posts before the panel scrolls: the item keeps most of the height
WHERE = {"parent": "parent post", "before": "earlier in the thread", "after": "later reply"}


def posts_html(posts: tuple[Post, ...]) -> str:
    """The posts as rich text, each paragraph in its own direction, the reported post's place marked."""
    parts = []
    marked = False
    for post in posts:
        if post.relation == "after" and not marked:
            parts.append("<p><i>▲ the reported post is here ▼</i></p>")
            marked = True
        side = threads.direction(post.text)
        align = "right" if side == "rtl" else "left"
        byline = " · ".join(part for part in (post.author, WHERE.get(post.relation, post.relation),
                                               post.at[:16].replace("T", " ")) if part)
        parts.append(f"<p dir='{side}' align='{align}'><b>{html.escape(byline)}</b><br>"
                     f"{html.escape(post.text).replace(chr(10), '<br>')}</p>")
    return "".join(parts)


class ThreadPanel(QFrame):
    """One line when collapsed (a flat button: a click does what the key does); the posts when open. Hidden for an
    item without a thread."""

    asked = Signal()  # the line was clicked: the view toggles the thread as its key does

    def __init__(self, key: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("threadPanel")
        self.key = key
        self.posts: tuple[Post, ...] = ()
        self.severe = False
        self.media_hidden = False
        self.is_open = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.line = QPushButton()
        self.line.setObjectName("threadLine")
        self.line.setFlat(True)
        self.line.setStyleSheet("text-align: left")
        self.line.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # every key stays with the page
        self.line.clicked.connect(self.asked)
        self.body = QTextBrowser()
        self.body.setObjectName("threadPosts")
        self.body.setAccessibleName("Thread posts")
        self.body.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # every key stays with the page
        self.body.setOpenLinks(False)
        self.body.setMinimumHeight(4 * self.body.fontMetrics().lineSpacing())  # open: two posts stay in view
        self.body.setMaximumHeight(BODY_HEIGHT)
        self.body.setVisible(False)
        layout.addWidget(self.line)
        layout.addWidget(self.body)
        self.set_open(False)  # names the line (and the panel) before any item arrives
        self.setVisible(False)

    def show_item(self, item: Item | None, *, media_hidden: bool = False) -> None:
        """A new item (None: none): its thread, collapsed."""
        self.posts = threads.posts(item.metadata) if item is not None else ()
        self.severe = item is not None and item.severity == SEVERE
        self.media_hidden = media_hidden
        self.body.setHtml(posts_html(self.posts))
        self.set_open(False)
        self.setVisible(bool(self.posts))

    def set_media_hidden(self, hidden: bool) -> None:
        """Esc hid (or showed again) the item's media: a hidden item shows none of its thread either."""
        self.media_hidden = hidden
        self.set_open(False)

    @property
    def opener(self) -> str:
        """What opens the thread: the person's key, or a click when the thread command has no key (their
        organisation's policy gave the default one to an action)."""
        return self.key or "click"

    def toggle(self) -> bool:
        """The thread key: open or close it (nothing while media is hidden); whether it is open now."""
        self.set_open(not self.is_open and bool(self.posts) and not self.media_hidden)
        return self.is_open

    def set_open(self, on: bool) -> None:
        self.is_open = on
        self.body.setVisible(on)
        count = f"{len(self.posts)} post{'' if len(self.posts) == 1 else 's'}"
        if on:
            text = f"Thread: {count} — {self.opener} to hide"
        elif self.media_hidden:
            text = f"Thread: {count}, hidden with the media (Esc shows them again)"
        elif self.severe:
            text = f"Thread: {count} of a severe item, hidden until you show it — {self.opener} to show"
        else:
            text = f"Thread: {count} — {self.opener} to show"
        self.line.setText(text)
        self.line.setAccessibleName(text)
        self.setAccessibleName(f"Thread context, {count}, {'shown' if on else 'collapsed'}")
