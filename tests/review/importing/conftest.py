"""Import tests run as the lead who imports (importing is a lead's), named the way cron would name them."""

from __future__ import annotations

import pytest
from builders import IMPORTER


@pytest.fixture(autouse=True)
def _signed_in_as_the_importer(monkeypatch):
    """``veil import`` here runs as the importing lead, through ``VEIL_USER``."""
    monkeypatch.setenv("VEIL_USER", IMPORTER)
    monkeypatch.delenv("VEIL_PASSPHRASE", raising=False)


@pytest.fixture
def store(store):
    """The shared fresh store, with the importing lead in it."""
    store.add_user(IMPORTER, ["lead"])
    return store
