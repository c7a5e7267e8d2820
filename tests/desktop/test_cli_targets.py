"""``veil metrics --targets``: the same figures as ``audit.targets.report``, a lead's view and a moderator's own."""

from __future__ import annotations

import json

from audit import targets
from desktop.main import main
from review import settings
from tests.audit.test_costs import floor  # noqa: F401  (ana 0.75 h, ben 1 h of work on 2026-01-05)


def _veil(capsys, store, user, *args):
    code = main(["--store", str(store.path), "--user", user, "metrics", "--targets", *args])
    return code, capsys.readouterr().out


def test_a_lead_gets_every_row_as_json(capsys, store, floor):  # noqa: F811
    settings.write(store, "lee", targets.TARGETS, {"everyone": {"throughput_per_hour": 6}})
    code, out = _veil(capsys, store, "lee", "--since", "2026-01-05", "--until", "2026-01-05", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == targets.report(store, "lee", "2026-01-05", "2026-01-05").as_dict()
    ben = next(p for p in data["people"] if p["key"] == "ben")
    assert (ben["throughput_per_hour"]["value"], ben["throughput_per_hour"]["status"]) == (2.0, "clearly below")


def test_a_moderator_gets_their_own_row_as_text(capsys, store, floor):  # noqa: F811
    code, out = _veil(capsys, store, "ana")
    assert code == 0 and "ana" in out and "ben" not in out and "Queues" not in out
