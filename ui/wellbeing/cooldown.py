"""The cool-down activity on the break screen: a calm falling-block puzzle.

Why falling blocks: the studies behind this (Holmes et al. 2009, 2010;
Iyadurai et al. 2018; see ``docs/wellbeing.md``) used Tetris, a
visuospatial game; a verbal game did not help and in one experiment made
things worse, and a replication found a different visuospatial task
(Corsi blocks) did not match Tetris. So Veil offers the closest simple
thing — blocks that fall, turn and fill rows — rather than a word or
number game. It is optional, never scored against anyone, and has no
"game over": when the stack reaches the top the board quietly empties.

Keys: ← → move, ↑ turns, ↓ drops one row (hold it to fall faster).
The model (:class:`BlockGame`) is plain Python, so it is tested without a
display; :class:`CooldownPuzzle` paints it and owns the slow gravity timer,
which runs only while the widget is visible.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QKeyEvent, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme


# Each shape as its four rotations, cells as (column, row) inside a 4x4 box.
def _rotations(cells: Iterable[tuple[int, int]], size: int) -> list[frozenset[tuple[int, int]]]:
    shape = frozenset(cells)
    out = []
    for _ in range(4):
        out.append(shape)
        shape = frozenset((size - 1 - y, x) for x, y in shape)  # a quarter turn clockwise
    return out


SHAPES: dict[str, list[frozenset[tuple[int, int]]]] = {
    "I": _rotations([(0, 1), (1, 1), (2, 1), (3, 1)], 4),
    "O": [frozenset([(1, 0), (2, 0), (1, 1), (2, 1)])] * 4,
    "T": _rotations([(1, 0), (0, 1), (1, 1), (2, 1)], 3),
    "S": _rotations([(1, 0), (2, 0), (0, 1), (1, 1)], 3),
    "Z": _rotations([(0, 0), (1, 0), (1, 1), (2, 1)], 3),
    "J": _rotations([(0, 0), (0, 1), (1, 1), (2, 1)], 3),
    "L": _rotations([(2, 0), (0, 1), (1, 1), (2, 1)], 3),
}

# Quiet blues, greens and greys: nothing red, nothing amber (those mean "trouble" elsewhere in Veil).
PIECE_COLOURS: dict[str, str] = {
    "I": "#6f9fb8", "O": "#8fae9b", "T": "#9a93bd", "S": "#7fa7a0",
    "Z": "#8796b3", "J": "#6d8aa8", "L": "#a3b49a",
}


def bag(seed: int | None = None) -> Iterator[str]:
    """The shapes in shuffled bags of seven: every shape comes round regularly, no long droughts."""
    rng = random.Random(seed)
    while True:
        shapes = list(SHAPES)
        rng.shuffle(shapes)
        yield from shapes


class BlockGame:
    """The falling-block board: no score to beat, no game over."""

    def __init__(
        self, width: int = 10, height: int = 16, pieces: Iterable[str] | None = None, *, seed: int | None = None
    ) -> None:
        if width < 4 or height < 4:
            raise ValueError("the board needs at least 4x4 cells")
        self.width, self.height = width, height
        self._pieces = iter(pieces) if pieces is not None else bag(seed)
        self.grid: list[list[str | None]] = [[None] * width for _ in range(height)]
        self.lines = 0
        self.resets = 0
        self.shape = ""
        self.turn = 0
        self.x = self.y = 0
        self.spawn()

    # ------------------------------------------------------------- state
    def cells(self, shape: str | None = None, turn: int | None = None, x: int | None = None,
              y: int | None = None) -> list[tuple[int, int]]:
        shape = self.shape if shape is None else shape
        turn = self.turn if turn is None else turn
        x, y = (self.x if x is None else x), (self.y if y is None else y)
        return [(x + cx, y + cy) for cx, cy in SHAPES[shape][turn % 4]]

    def fits(self, cells: Iterable[tuple[int, int]]) -> bool:
        return all(0 <= cx < self.width and 0 <= cy < self.height and self.grid[cy][cx] is None for cx, cy in cells)

    def spawn(self) -> None:
        self.shape = next(self._pieces)
        self.turn = 0
        self.y = 0
        self.x = (self.width - 4) // 2 + (1 if self.shape != "I" else 0)
        if not self.fits(self.cells()):
            # The stack reached the top: empty the board and carry on, without any fuss.
            self.grid = [[None] * self.width for _ in range(self.height)]
            self.resets += 1

    # ------------------------------------------------------------- moves
    def move(self, dx: int) -> bool:
        if self.fits(self.cells(x=self.x + dx)):
            self.x += dx
            return True
        return False

    def rotate(self) -> bool:
        """A quarter turn clockwise, nudged sideways if a wall is in the way."""
        for nudge in (0, -1, 1, -2, 2):
            if self.fits(self.cells(turn=self.turn + 1, x=self.x + nudge)):
                self.turn, self.x = (self.turn + 1) % 4, self.x + nudge
                return True
        return False

    def step(self) -> int:
        """One row down (gravity or ↓). When the piece lands it settles; returns rows cleared."""
        if self.fits(self.cells(y=self.y + 1)):
            self.y += 1
            return 0
        for cx, cy in self.cells():
            self.grid[cy][cx] = self.shape
        full = [row for row in range(self.height) if all(self.grid[row])]
        for row in full:
            del self.grid[row]
            self.grid.insert(0, [None] * self.width)
        self.lines += len(full)
        self.spawn()
        return len(full)

    def drop(self) -> int:
        """All the way down and settle (for scripts; the keys use ↓ one row at a time)."""
        while self.fits(self.cells(y=self.y + 1)):
            self.y += 1
        return self.step()


class CooldownPuzzle(QWidget):
    """Paints a :class:`BlockGame`; arrow keys play it; slow gravity while visible."""

    lines_cleared = Signal(int)  # total rows cleared so far

    GRAVITY_MS = 900  # slow on purpose: calm, not a reflex test

    def __init__(self, game: BlockGame | None = None, parent: QWidget | None = None, *, gravity_ms: int | None = None):
        super().__init__(parent)
        self.setObjectName("cooldownPuzzle")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.game = game or BlockGame()
        self.gravity = QTimer(self)
        self.gravity.setInterval(self.GRAVITY_MS if gravity_ms is None else gravity_ms)
        self.gravity.timeout.connect(self._fall)
        self.setAccessibleName("Falling blocks puzzle")
        self.setAccessibleDescription("Left and right arrows move the block, up turns it, down drops it one row.")

    def new_game(self, game: BlockGame | None = None) -> None:
        self.game = game or BlockGame()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(self.game.width * 22 + 2, self.game.height * 22 + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(self.game.width * 12 + 2, self.game.height * 12 + 2)

    # -------------------------------------------------------------- keys
    KEYS = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down}

    def event(self, event: QEvent) -> bool:
        # The arrows are ours while the puzzle has focus (no page shortcut may take them).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and event.key() in self.KEYS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Left:
            self.game.move(-1)
        elif key == Qt.Key.Key_Right:
            self.game.move(1)
        elif key == Qt.Key.Key_Up:
            self.game.rotate()
        elif key == Qt.Key.Key_Down:
            self._fall()
            return
        else:
            super().keyPressEvent(event)
            return
        self.update()

    def _fall(self) -> None:
        if self.game.step():
            self.lines_cleared.emit(self.game.lines)
        self.update()

    # ------------------------------------------------------------ timers
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.gravity.interval() > 0:
            self.gravity.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.gravity.stop()
        super().hideEvent(event)

    # ---------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        game = self.game
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = min((self.width() - 2) / game.width, (self.height() - 2) / game.height)
        left = (self.width() - cell * game.width) / 2
        top = (self.height() - cell * game.height) / 2
        board = QRectF(left, top, cell * game.width, cell * game.height)
        painter.fillRect(board, theme.color("base"))
        painter.setPen(QPen(theme.color("border"), 1))
        painter.drawRect(board.adjusted(-0.5, -0.5, 0.5, 0.5))
        active = {xy: game.shape for xy in game.cells()}
        for row in range(game.height):
            for col in range(game.width):
                shape = active.get((col, row)) or game.grid[row][col]
                if shape is None:
                    continue
                rect = QRectF(left + col * cell + 1, top + row * cell + 1, cell - 2, cell - 2)
                colour = QColor(PIECE_COLOURS[shape])
                if (col, row) not in active:
                    colour = colour.darker(115)  # settled blocks a shade quieter than the moving one
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawRoundedRect(rect, 2, 2)
        painter.end()


__all__ = ["BlockGame", "CooldownPuzzle", "SHAPES", "PIECE_COLOURS", "bag"]
