"""The items table's secondary indexes, kept cheap to insert into (issue 22: import at 50,000 rows/s); step m032.

An item insert costs what its indexes cost: each is a B-tree insert per row,
and the JSON expression index on the author parsed every row's metadata
three times. Step m032 keeps every look-up the indexes served and drops what
a row pays for nothing:

* ``items.author``: the account a row names (its metadata's ``author``, as
  :func:`author_of` reads it), a plain column every item insert fills
  (:mod:`review.store.item_inserts` refuses a statement without it), with a
  partial index of the rows that name one; the author's account
  (:mod:`review.store.accounts`) reads ``WHERE author = ?``;
* ``items_media``, ``items_content_md5``, ``items_routed_from``: partial,
  ``WHERE … IS NOT NULL`` — a text item has no media path and no MD5, and
  only a routed item has a ``routed_from_id``, so most rows skip them. Every
  query on them compares the column with a value, which implies the index's
  condition on both stores, so their plans do not change.

``items_serving`` stays beside ``items_serving_alone`` (the same columns,
``WHERE case_of IS NULL``): the statements that do not say ``case_of IS
NULL`` — queue counts and their recount, the oldest pending item, planning,
the escalation workbench — would otherwise read the queue through the
unique key and sort (12 statement shapes, EXPLAIN QUERY PLAN on a 1 M-item
store). Each index costs 5–20 % of a bare insert (busy two-core machine,
100,000 text rows; docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AUTHOR = "author"
"""The manifest field (kept in the item's metadata) naming the account behind the content."""

#: An author from stored metadata, as :func:`author_of` reads it from a dict: trimmed text, NULL when blank or absent
#: (json_valid first: one malformed row written behind Veil's back must not stop the migration).
_AUTHOR_OF_METADATA = ("NULLIF(TRIM(CAST(CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.author') END"
                       " AS TEXT)), '')")

#: Indexes made partial: (name, columns, the condition most rows fail).
_PARTIAL = (
    ("items_media", "media_path, id", "media_path IS NOT NULL"),
    ("items_content_md5", "content_md5", "content_md5 IS NOT NULL"),
    ("items_routed_from", "routed_from_id, external_id", "routed_from_id IS NOT NULL"),
)


def author_of(metadata: Mapping[str, Any]) -> str | None:
    """The account *metadata* names as the content's author, as text (``12345`` and ``"12345"`` are one account);
    None when it names none. What the ``author`` column holds."""
    value = metadata.get(AUTHOR)
    text = str(value).strip() if value is not None else ""
    return text or None


def m032(db: Any) -> None:
    """The schema step: ``items.author`` filled from the metadata, its plain partial index in place of the JSON
    expression index, and the indexes most rows have NULL for made partial. The indexes are built after the
    column is filled: one sorted build, not a B-tree insert per row."""
    db.execute("DROP INDEX items_author")
    db.execute("ALTER TABLE items ADD COLUMN author TEXT")
    # Only rows whose metadata mentions an author are parsed (LIKE is a prefilter here, its case is irrelevant).
    db.execute(f"UPDATE items SET author = {_AUTHOR_OF_METADATA} WHERE metadata LIKE '%author%'")
    db.execute("CREATE INDEX items_author ON items (author) WHERE author IS NOT NULL")
    for name, columns, condition in _PARTIAL:
        db.execute(f"DROP INDEX {name}")
        db.execute(f"CREATE INDEX {name} ON items ({columns}) WHERE {condition}")
