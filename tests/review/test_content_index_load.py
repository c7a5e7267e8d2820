"""Loading the content index of a big store (issue 22): the columns are read in batches straight into NumPy
arrays, with no Python call per hash, and the result is exactly the old per-row reading's: the same content
keys, the same hashes under the same items in the same order, the same outcomes and the same matches."""

from __future__ import annotations

import numpy as np
import pytest
from builders import people

from review import content_columns, content_index
from review.media import pdq
from review.media.pdq_index import words
from review.store import hashes
from review.store.connection import executemany


def _per_row(ids: list[int], shas: list[str | None], columns: list[str | None]) -> tuple:
    """The old reading, one row and one hash at a time: what the batched reading must equal."""
    keys, hexes = [], []
    for item_id, column in zip(ids, columns, strict=True):
        for hex_hash in pdq.matchable(column):
            keys.append(item_id)
            hexes.append(hex_hash)
    contents = np.array([content_key for content_key in map(content_columns.content_key, shas)], dtype=np.uint64)
    return contents, np.array(keys, dtype=np.int64), words(hexes)


def _random_hex(rng: np.random.Generator) -> str:
    return rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()


def _as_written(rng: np.random.Generator) -> str | None:
    """A ``pdq`` column as Veil writes it: none, a picture's one entry, a video's two; bare hex (older rows)."""
    shape = rng.integers(0, 5)
    if shape == 0:
        return None
    if shape == 1:
        return _random_hex(rng)
    return " ".join(f"{_random_hex(rng)}:{rng.integers(0, 101)}" for _ in range(shape - 1))


ODD_COLUMNS = ["", "  ", f"{'ab' * 32}:0050", f"{'AB' * 32}:90", f"{'ab' * 32}\t{'cd' * 32}:60",
               f"{'ab' * 32}:", f"{'ab' * 32}:x9", "ab" * 31, f" {'ef' * 32}:70", f"{'ab' * 32}:٩٩",
               f"{'ab' * 32}  {'cd' * 32}", f"{'a b' * 21}a:80", f"{'0' * 64}:100", f"{'ab' * 32}:5"]
ODD_SHAS = [None, "", "made-up", "short", "A" * 64, "0" * 64, "0x" + "1" * 62, " " + "a" * 63, "é" * 64,
            "1_2" * 20, "-" + "f" * 63, "+" + "1" * 63]  # a negative key stopped the whole load


@pytest.mark.parametrize("odd", [False, True], ids=["as-written", "odd-text"])
@pytest.mark.parametrize("seed", range(4))
def test_the_batched_reading_equals_the_per_row_reading_on_random_columns(seed, odd):
    rng = np.random.default_rng(seed)
    columns = [_as_written(rng) for _ in range(3000)]
    shas = [_random_hex(rng) if rng.random() > 0.1 else None for _ in range(3000)]
    if odd:  # one odd column or digest sends its batch down the per-row path; the answer must not change
        columns[int(rng.integers(0, 3000))] = ODD_COLUMNS[seed * 3 % len(ODD_COLUMNS)]
        shas[int(rng.integers(0, 3000))] = ODD_SHAS[seed * 3 % len(ODD_SHAS)]
    ids = np.arange(1, 3001, dtype=np.int64) * 3
    contents, keys, hash_words = _per_row(ids.tolist(), shas, columns)
    found_keys, found_words = content_columns.matchable_words(ids, columns)
    assert np.array_equal(content_columns.content_keys(shas), contents)
    assert np.array_equal(found_keys, keys)
    assert np.array_equal(found_words, hash_words)


@pytest.mark.parametrize("column", ODD_COLUMNS)
def test_each_odd_column_is_read_as_matchable_reads_it(column):
    ids = np.array([7, 8, 9], dtype=np.int64)
    columns = [f"{'12' * 32}:99", column, f"{'34' * 32}:51"]
    _, keys, hash_words = _per_row(ids.tolist(), [None] * 3, columns)
    found_keys, found_words = content_columns.matchable_words(ids, columns)
    assert np.array_equal(found_keys, keys) and np.array_equal(found_words, hash_words)


@pytest.mark.parametrize("sha", ODD_SHAS)
def test_each_odd_digest_keys_as_content_key_does(sha):
    shas = ["ab" * 32, sha, "00" * 32]
    assert content_columns.content_keys(shas).tolist() == [content_columns.content_key(s) for s in shas]


def test_a_load_of_columns_as_written_makes_no_python_call_per_hash(store, monkeypatch):
    """The finding: 11 s of a 1 M-item load was Python per row (``matchable``, ``content_key``, a hex string
    per hash) holding the interpreter, so the first claim and the GUI waited."""
    queue = store.add_queue("images")
    rng = np.random.default_rng(3)
    store.add_items([{"external_id": f"i{n}", "queue_id": queue.id, "kind": "image", "pdq": _as_written(rng),
                      "content_sha256": _random_hex(rng), "received_at": "2026-01-05T08:00:00Z"}
                     for n in range(500)])

    def per_row(*_args: object) -> None:
        raise AssertionError("a Python call per row")
    monkeypatch.setattr(pdq, "matchable", per_row)
    monkeypatch.setattr(content_index, "content_key", per_row)
    content_index.warm(store)


def test_a_loaded_store_finds_what_the_per_row_reading_finds(store):
    """Random items and decisions (a correction, a revocation), loaded: every item's key, hashes in order and
    outcome equal the per-row reading, and a look-up finds the same copies at the same distances."""
    people(store, ana="moderator")
    queue = store.add_queue("images")
    rng = np.random.default_rng(11)
    picture = _random_hex(rng)
    columns = [_as_written(rng) if n % 7 else f"{picture}:90" for n in range(2000)]
    store.add_items([{"external_id": f"i{n}", "queue_id": queue.id, "kind": "image", "pdq": column,
                      "content_sha256": _random_hex(rng) if n % 5 else "cd" * 32,
                      "received_at": "2026-01-05T08:00:00Z"} for n, column in enumerate(columns)])
    user = store.db.execute("SELECT id FROM users WHERE name = 'ana'").fetchone()[0]
    with store.transaction():
        executemany(store.db,
                    "INSERT INTO decisions (item_id, user_id, queue_id, action, decided_at, client_version,"
                    " source) VALUES (?, ?, ?, ?, '2026-01-05T09:00:00.000Z', 'test', 'history')",
                    [(item_id, user, queue.id, ("remove", "no_violation", "restrict")[int(rng.integers(0, 3))])
                     for item_id in rng.integers(1, 2001, 3000).tolist()])
    rows = store.db.execute("SELECT id, content_sha256, pdq FROM items ORDER BY id").fetchall()
    contents, keys, hash_words = _per_row([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    with hashes.reading(store):
        loaded = content_index._load(store, hashes.token(store), hashes.followed_since(store, None).head)
        standing = hashes.current_actions(store, [r[0] for r in rows])
    assert np.array_equal(loaded.content[[r[0] for r in rows]], contents)
    indexed_keys, indexed_words = loaded.index.rows()
    assert (sorted(zip(indexed_keys.tolist(), map(tuple, indexed_words.tolist()), strict=True))
            == sorted(zip(keys.tolist(), map(tuple, hash_words.tolist()), strict=True)))
    outcomes = {item_id: loaded.names[code] for item_id, code in enumerate(loaded.outcome.tolist()) if code >= 0}
    assert outcomes == standing
    found = content_index.copies(store, "cd" * 32, [picture], 31)
    expected_near = {int(k) for k in keys[(np.bitwise_count(hash_words ^ words([picture])[0]).sum(axis=1)
                                           <= 31)]}
    expected_same = {r[0] for r in rows if r[1] == "cd" * 32}
    assert set(found.ids.tolist()) == expected_near | expected_same
    assert found.counts() == {a: n for a, n in _count(standing, expected_near | expected_same).items() if n}


def _count(standing: dict[int, str], ids: set[int]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for item_id in sorted(ids):
        if item_id in standing:
            counted[standing[item_id]] = counted.get(standing[item_id], 0) + 1
    return counted
