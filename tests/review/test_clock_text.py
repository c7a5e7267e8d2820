"""Veil's time text read back: the fast reading of stored times gives what the general one gives."""

from __future__ import annotations

import pytest

from review.clock import parse, parse_stored


@pytest.mark.parametrize("text", ["2026-01-05T09:00:00.000Z", "2026-12-31T23:59:59.999Z", "2026-03-29T01:30:00Z",
                                  "2026-01-05T10:00:00+01:00", "2026-01-05T09:00:00", "2026-01-05"])
def test_a_stored_time_reads_as_parse_reads_it(text):
    fast, general = parse_stored(text), parse(text)
    assert fast == general and fast.utcoffset() == general.utcoffset() and fast.date() == general.date()


def test_a_broken_time_is_refused_as_parse_refuses_it():
    with pytest.raises(ValueError):
        parse_stored("yesterday")
