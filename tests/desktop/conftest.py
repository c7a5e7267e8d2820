"""Shared fixtures of the desktop tests (the CLI and the app's start)."""

from __future__ import annotations

import io

import pytest


@pytest.fixture(autouse=True)
def _nobody_in_the_environment(monkeypatch):
    """Whoever runs the tests may have VEIL_USER or VEIL_PASSPHRASE set; these tests name people themselves, and
    stdin is not a terminal: nothing may be prompted for."""
    monkeypatch.delenv("VEIL_USER", raising=False)
    monkeypatch.delenv("VEIL_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
