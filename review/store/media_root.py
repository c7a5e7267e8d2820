"""Where a store's media files live, how an item names one, and the SQL that moves items' names into that place.

A store file ``veil.db`` keeps its media in ``veil.db.media/`` beside it
(:func:`beside`), so copying the folder that holds both copies a working
store. Inside, a file is named by its content, ``<sha[:2]>/<sha>.<ext>``
(:func:`content_name`): two items showing the same bytes share one file,
and the name proves the bytes (``veil verify``, :mod:`.media_check`). The
same idea as a server store's media (issue 15: content-addressed by
SHA-256), so both stores share one model.

An item's ``media_path`` is that name, relative to the root; an absolute
path (a store older than m016, or a file left outside until ``veil media
collect``; absolute on any kind of machine, :func:`absolute`) still works.
:func:`resolve` is the one place a stored name becomes a file: every reader
of an item goes through :func:`review.store.items.item_row`, which calls it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.store import dialect
from review.store.connection import executemany

if TYPE_CHECKING:
    from review.store import Store

#: What follows the store file's name to name its media folder.
SUFFIX = ".media"

#: A content name: the first two hex digits of the SHA-256 as a folder, the whole digest and a known extension.
CONTENT_NAME = re.compile(r"([0-9a-f]{2})/(\1[0-9a-f]{62})\.[a-z0-9]{2,4}")

#: The extension a file of each recognised type is stored under (the type comes from its bytes, never its name).
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/bmp": "bmp",
    "image/tiff": "tif", "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
    "video/x-matroska": "mkv", "video/x-msvideo": "avi", "video/3gpp": "3gp",
}


def beside(store_file: Path) -> Path:
    """The media root of the store file at *store_file*: ``<store file name>.media/`` in the same folder."""
    store_file = Path(store_file).absolute()
    return store_file.with_name(store_file.name + SUFFIX)


def content_name(sha256: str, mime: str) -> str:
    """The name, relative to the root, of the file with this SHA-256 (lowercase hex) and type.

    Built only from the digest and a fixed table of extensions, so nothing a manifest says (a file name
    with ``..`` in it, a symlink) can take part in where Veil writes.
    """
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
    return f"{sha256[:2]}/{sha256}.{EXTENSIONS.get(mime, 'bin')}"


def named_sha256(name: str) -> str | None:
    """The digest a content name carries, or None for any other relative name (an older layout)."""
    found = CONTENT_NAME.fullmatch(name)
    return found.group(2) if found else None


def absolute(media_path: str) -> PurePath | None:
    """A stored ``media_path`` parsed as the absolute path it is, or None when it is a name relative to the root.

    Absolute on ANY kind of machine, not only this one: a store moved between Windows and Linux keeps rows
    written on the other (``C:\\Users\\…``, ``\\\\server\\share\\…``, ``/home/…``), and such a row is a path
    on that machine, never a name inside this root. Parsed with the matching flavour, so its parts are right.
    """
    if PurePosixPath(media_path).is_absolute():
        return PurePosixPath(media_path)
    windows = PureWindowsPath(media_path)
    return windows if windows.anchor else None  # a drive, a UNC share or a leading backslash


def is_relative(media_path: str) -> bool:
    """Whether a stored ``media_path`` is relative to the root (not an absolute path on any kind of machine)."""
    return absolute(media_path) is None


def resolve(root: Path | None, media_path: str) -> str:
    """The file a stored ``media_path`` names: an absolute path as it is, a relative one inside *root*.

    Pure (no file is touched), so it runs wherever an item is read. A relative name that would step out
    of the root (``..``) names nothing inside it and is returned as it is, which no file open finds; with
    no root (a server store, issue 15) a relative name is returned as it is too.
    """
    if not is_relative(media_path) or root is None:
        return media_path
    parts = PurePosixPath(media_path.replace("\\", "/")).parts
    if ".." in parts:
        return media_path
    return str(Path(root, *parts))


def inside(root: Path, path: str, sha256: str | None) -> str | None:
    """*path* (absolute) as a name relative to *root* (``/``-separated), or None when it lies outside.

    A store copied elsewhere before m016 still names its old root: a path through a folder of the root's
    own name (``…/veil.db.media/x.png``, on this or another kind of machine) is taken to be the file of that
    name in *root* only when the old path no longer holds a file AND the file in *root* hashes to *sha256*
    (the item's ``content_sha256``): a file that merely shares the name must never become the item's picture.
    """
    name = under(root, path)
    return name if name is not None else _copied_here(root, path, sha256)


def under(root: Path, path: str) -> str | None:
    """*path* as a name relative to *root* when it is a path on this machine that lies inside it, else None."""
    local = Path(path)
    if not local.is_absolute():  # another kind of machine's path names nothing here
        return None
    for form in {root, root.resolve()}:
        try:
            relative = local.relative_to(form)
        except ValueError:
            continue
        if relative.parts and ".." not in relative.parts:
            return relative.as_posix()
    return None


def _copied_here(root: Path, path: str, sha256: str | None) -> str | None:
    """The name in *root* of the file an old root's *path* named, when it is provably that file; else None."""
    name = _old_root_name(root, path)
    if name is None or sha256 is None or (Path(path).is_absolute() and os.path.lexists(path)):
        return None  # the original is still there (or unprovable): it stays the item's file
    candidate = root.joinpath(*name.split("/"))
    try:
        if not stat.S_ISREG(candidate.lstat().st_mode):
            return None  # a link is never followed
        with open(candidate, "rb") as reading:  # streamed; stdlib, so the store's import stays light (no cv2)
            if hashlib.file_digest(reading, "sha256").hexdigest() != sha256:
                return None  # other bytes are another picture
    except OSError:
        return None
    return name


def _old_root_name(root: Path, path: str) -> str | None:
    """What follows the last folder of *root*'s name in the absolute *path* (``/``-separated), else None.

    Parsed as the kind of machine the path is from; on Windows paths the folder's name is matched in any case.
    """
    parsed = absolute(path)
    if parsed is None:
        return None
    windows = isinstance(parsed, PureWindowsPath)
    fold: Callable[[str], str] = str.casefold if windows else (lambda part: part)  # Windows names ignore case
    parts = [fold(part) for part in parsed.parts]
    if fold(root.name) not in parts:
        return None
    rest = parsed.parts[len(parts) - parts[::-1].index(fold(root.name)):]
    return "/".join(rest) if rest and ".." not in rest else None


def store_file(db: sqlite_utils.Database) -> Path | None:
    """The file this connection's store lives in (None in memory, or on a server). Migrations get no Store."""
    if dialect.is_server(db):
        return None
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def m016(db: sqlite_utils.Database) -> None:
    """The schema step: absolute media paths inside the store's media root become relative; others stay absolute.

    Only names change (no file moves), so an old demo store keeps its flat ``name.png`` files, now found
    wherever the store goes; ``veil media collect`` brings in the files that lie outside. A store copied
    elsewhere before upgrading has each file of its old root hashed once here (:func:`inside`).
    """
    file = store_file(db)
    if file is None:  # a server store keeps no media folder (issue 15, phase 3)
        return
    root = beside(file)
    moves = []
    found: dict[tuple[str, str | None], str | None] = {}  # items showing one file: it is looked at once
    for item_id, path, sha in db.execute(
            "SELECT id, media_path, content_sha256 FROM items WHERE media_path IS NOT NULL ORDER BY id"):
        if is_relative(path):
            continue
        if (path, sha) not in found:
            found[path, sha] = inside(root, path, sha)
        if (name := found[path, sha]) is not None:
            moves.append((name, item_id))
    db.conn.executemany("UPDATE items SET media_path = ? WHERE id = ?", moves)


def absolute_paths(store: Store) -> list[tuple[str, str | None, str | None]]:
    """(path, content SHA-256, media type) of each distinct absolute ``media_path``: what collecting looks at."""
    rows = store.db.execute(
        "SELECT media_path, MIN(content_sha256), MIN(media_type) FROM items"
        " WHERE media_path IS NOT NULL GROUP BY media_path ORDER BY media_path"
    ).fetchall()
    return [(path, sha, mime) for path, sha, mime in rows if not is_relative(path)]


def rename(store: Store, names: dict[str, str], *, actor: str, payload: dict[str, Any],
           guard: Callable[[], object] = lambda: None) -> int:
    """Give every item naming a key of *names* its value instead, and log ``media.collected``: one transaction.

    The items are read inside the transaction, so only those still naming an old path change (another
    client may have collected them meanwhile), each by its id; *guard* runs first, inside the transaction
    (the person is still a lead). Returns how many items changed.
    """
    with store.transaction():
        guard()
        moves = [(names[path], item_id) for item_id, path in store.db.execute(
            "SELECT id, media_path FROM items WHERE media_path IS NOT NULL ORDER BY id") if path in names]
        executemany(store.db, "UPDATE items SET media_path = ? WHERE id = ?", moves)  # on a server too
        store.log(actor, "media.collected", store.location, {**payload, "items": len(moves)})
    return len(moves)


#: Items one page of :func:`relative_paths` reads: memory stays one page, whatever the store's size.
PAGE_ROWS = 10_000


def relative_paths(db: sqlite_utils.Database) -> Iterator[tuple[str, list[str], list[int]]]:
    """(relative name, content SHA-256s its items carry, ids of those items) per distinct relative name.

    Read a page at a time in (media_path, id) order, each page starting after the last row of the one
    before (the ``items_media`` index), so a store of a million items is never held at once.
    """
    current: str | None = None
    shas: list[str] = []
    ids: list[int] = []
    after: tuple[str, int] | None = None
    while True:
        rows = db.execute(
            "SELECT media_path, content_sha256, id FROM items WHERE media_path IS NOT NULL"
            + ("" if after is None else " AND (media_path, id) > (?, ?)")
            + " ORDER BY media_path, id LIMIT ?", [*(after or ()), PAGE_ROWS]).fetchall()
        for path, sha, item_id in rows:
            if is_relative(path):
                if path != current:
                    if current is not None:
                        yield current, shas, ids
                    current, shas, ids = path, [], []
                if sha and sha not in shas:
                    shas.append(sha)
                ids.append(item_id)
        if len(rows) < PAGE_ROWS:
            break
        after = (rows[-1][0], rows[-1][2])
    if current is not None:
        yield current, shas, ids


def named_by(db: sqlite_utils.Database, sha256: str) -> list[tuple[str, str]]:
    """(relative name, media type) of each distinct name items showing these bytes give their media."""
    rows = db.execute("SELECT DISTINCT media_path, media_type FROM items WHERE content_sha256 = ?"
                      " AND media_path IS NOT NULL AND media_type IS NOT NULL ORDER BY media_path, media_type",
                      [sha256]).fetchall()
    return [(name, mime) for name, mime in rows if is_relative(name)]


#: The prefix and suffix of the temporary file a copy is written to before its rename (:func:`review.media.root.place`).
INCOMING = (".incoming-", ".part")


def is_unfinished(path: Path) -> bool:
    """Whether *path* is a copy's temporary file: never named by an item, left behind only by a killed process."""
    return path.name.startswith(INCOMING[0]) and path.name.endswith(INCOMING[1])


def named_files(db: sqlite_utils.Database, root: Path) -> set[str]:
    """Every name in *root* an item names or may mean (``/``-separated): what pruning must never remove.

    Relative names, absolute paths inside *root*, and for an absolute path through a folder of the root's
    name (a store moved before m016) the file of that name here even unproven: it may be the item's only copy.
    """
    names = set()
    for (path,) in db.execute("SELECT DISTINCT media_path FROM items WHERE media_path IS NOT NULL"):
        if is_relative(path):
            names.add(PurePosixPath(path.replace("\\", "/")).as_posix())
        else:
            names.update(name for name in (under(root, path), _old_root_name(root, path)) if name is not None)
    return names


@contextlib.contextmanager
def unnamed_while_held(store: Store, root: Path, check: Callable[[], object]) -> Iterator[Iterator[Path]]:
    """The files under *root* no item names, inside one write transaction (*check* runs first, under it).

    Nothing an import commits can name a file while the transaction is held, so the caller may remove what
    it is given, and log what it did (``store.log``) before the transaction ends.
    """
    with store.transaction():
        check()
        yield unnamed_files(root, named_files(store.db, root))


def log_checked(store: Store, check: Callable[[], object], actor: str, kind: str, data: dict[str, Any]) -> None:
    """Log *kind* about the store's media (subject: the store's shown location) in a write transaction of its
    own, *check* first under it (the actor's right, re-read where it cannot change before the event)."""
    with store.transaction():
        check()
        store.log(actor, kind, store.location, data)


def unnamed_files(root: Path, named: set[str]) -> Iterator[Path]:
    """Files (and links) under *root* whose name is not in *named*, in name order: orphans, and unfinished copies.

    A failed import leaves whole files no item names (unblurred pictures nobody reviews), a killed one its
    temporary ``.incoming-*.part`` file. A linked folder is listed as one entry, never entered.
    """
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        folders.sort()
        linked = [name for name in folders if (here / name).is_symlink()]
        for entry in sorted([*files, *linked]):
            path = here / entry
            if path.relative_to(root).as_posix() not in named:
                yield path
