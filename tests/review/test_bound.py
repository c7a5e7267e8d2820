"""Lists of bound values (``review.store.bound``): cut so that no statement passes a driver's parameter limit."""

from __future__ import annotations

from review.store import bound


def test_slices_keep_the_order_and_never_pass_the_chunk():
    values = list(range(2 * bound.CHUNK + 7, 0, -1))
    cut = list(bound.slices(values))
    assert [len(c) for c in cut] == [bound.CHUNK, bound.CHUNK, 7]
    assert [v for c in cut for v in c] == values


def test_distinct_slices_give_each_value_once_in_order():
    values = [5, 3, 5, 3, 1] * (bound.CHUNK + 1)
    assert [v for c in bound.distinct_slices(values) for v in c] == [1, 3, 5]
    assert list(bound.distinct_slices([])) == [] and list(bound.slices([])) == []


def test_marks_bind_each_value():
    assert bound.marks(["a", "b", "c"]) == "?,?,?"
