"""Metrics assembly: read audits, gold results and calibration answers, call ``audit.metrics``.

This module only gathers inputs (the audited decisions counted per group
in SQL: ``audit.store.reports.audited_counts``, ``audit.metrics.counts``)
and arranges the output of the pure functions in ``audit.metrics``; every formula lives there (and in
``docs/metrics.md``). :func:`build` returns the JSON-able structure that
``veil metrics --json`` prints and the GUI's dashboards read.

Definitions (per group and overall):

* An *audited decision* is a decision with a scored audit; its verdict is
  the *final* one (after any dispute, see ``audit.disputes``).
* The period filter and the weekly trend use the **decision's** time
  (``decided_at``): "accuracy in week 3" is about work done in week 3,
  whenever it was audited. Calibration answers use their answer time.
* ``accuracy`` = correct / n with the Wilson 95 % interval; ``mean_score``
  the final scores' correctly rounded sum (``math.fsum``) over n, so the
  same whatever order the store hands the scores over in.
* ``cohen_kappa``, ``confusion`` and ``action_agreement`` compare the
  moderator's action with the auditor's *blind* action over the same
  audited decisions (confusion rows: auditor, columns: moderator).
* ``precision_recall`` per label: the auditor's blind labels are the truth,
  the moderator's the prediction.
* ``gold``: share of scored gold decisions that matched the known answer
  (decisions later undone are left out).
* Grouping: ``moderator`` = who made the decision; ``queue`` = the queue it
  was decided in; ``label`` = each label the moderator's *or* the blind
  decision carries (so one decision can count in several label groups;
  decisions without any label form the group ``(none)``); ``auditor`` = who
  scored its audit (gold results have no auditor and are left out), and the
  report then carries ``auditors``: each auditor's work in the period
  (``audit.metrics.auditors``: audits, per day, time per audit, share judged
  wrong, share overturned on dispute), counted by when the audits were scored.

Who sees what (checked here, so every front end gets the same answer):
a lead sees the team (``scope`` "team"). An auditor who is not a lead sees
the audits they scored themselves, whatever the grouping (``scope``
"audited", no gold results): were their figures the team's, the team's n
less their own would be the other auditor's, and so on for every figure.
Anyone else — a moderator — sees only their own results (``scope``
"own"): every group and the overall figures are computed over their own
decisions alone, and calibration agreement, which pools everyone's
answers, is left out (auditors keep it). Grouped by auditor, a
non-lead sees the audits they scored (a moderator who never audited:
nothing), so no auditor is ever named to the moderators they audited.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

from audit import calibration, metrics, roles
from audit.metrics import auditors
from audit.metrics.counts import Counts, count
from audit.store import reports as report_rows
from audit.store.schema import ERROR_TYPES
from review.clock import iso, parse
from review.errors import VeilError
from review.store import Store, User
from review.store.automation import AUTOMATION

Row = tuple[Any, ...]

BY = ("moderator", "queue", "label", "auditor")
NO_LABEL = "(none)"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class GoldScored(NamedTuple):
    decision_id: int
    moderator: str
    queue: str
    decided_at: str
    labels: tuple[str, ...]  # given ∪ expected
    correct: bool


class PeriodError(VeilError, ValueError):
    """A report period or grouping that cannot be used; the message names the option and why."""


# ---------------------------------------------------------------- dates
def date_range(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """[start, end) in canonical UTC text from inclusive bounds.

    A bare date ``YYYY-MM-DD`` means the whole UTC day (``until`` includes
    it); a full ISO time is inclusive to the millisecond. PeriodError names a
    bad value or a reversed range.
    """
    start = end = None
    if since:
        start = _canonical(_bound(since, "since"))
    if until:
        moment = _bound(until, "until")
        try:
            step = _dt.timedelta(days=1) if _DATE.match(until.strip()) else _dt.timedelta(milliseconds=1)
            end = _canonical(moment + step)
        except OverflowError:  # the last day Python can represent: nothing lies after it anyway
            end = None
    if start and end and start >= end:
        raise PeriodError(f"--since {since} is after --until {until}")
    return start, end


def _canonical(moment: _dt.datetime) -> str:
    """Veil's UTC text with a four-digit year, so it compares as text with stored times (year 999 too)."""
    text = iso(moment)
    year = text.split("-", 1)[0]
    return f"{int(year):04d}" + text[len(year):]


def _bound(text: str, what: str) -> _dt.datetime:
    try:
        return parse(text)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00, which is before year 1 in UTC
        raise PeriodError(f"--{what} {text!r} is outside the dates Veil can represent (years 1 to 9999, UTC)") from None
    except ValueError:
        raise PeriodError(f"--{what} {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None


def _echo_end(end: str | None) -> str | None:
    """The inclusive last moment of [start, end), for the report header."""
    return _canonical(parse(end) - _dt.timedelta(milliseconds=1)) if end else None


# -------------------------------------------------------------- reading
@functools.lru_cache(maxsize=4096)
def parsed_labels(text: str | None) -> tuple[str, ...]:
    """A labels column's JSON (NULL: none), parsed once per distinct value: a team uses a few hundred label sets,
    and a report or export of 100,000 decisions parsed each row's two sets anew (``audit.exports`` uses it too)."""
    return tuple(json.loads(text or "[]"))


def _gold_scored(store: Store, start: str | None, end: str | None, moderator: str | None) -> list[GoldScored]:
    result = []
    for r in report_rows.gold_scored(store, start, end, moderator):
        labels = set(parsed_labels(r[4])) | set(json.loads(r[5])["labels"])
        result.append(GoldScored(r[0], r[1], r[2], r[3], tuple(sorted(labels)), bool(r[6])))
    return result


# ------------------------------------------------------------- grouping
def keys(record: GoldScored, by: str) -> list[str]:
    """The groups a gold result belongs to (several for ``label``; none by ``auditor``: nobody audited it)."""
    if by == "auditor":
        return []
    if by == "moderator":  # automation's results are its rules' (audit.automation), not a moderator's
        return [] if record.moderator == AUTOMATION else [record.moderator]
    if by == "queue":
        return [record.queue]
    return sorted(set(record.labels)) or [NO_LABEL]


def _grouped(rows: Sequence[Row], by: str, names: dict[int, str]) -> tuple[dict[str, Counts], Counts | None]:
    """The audited decisions counted per group, and all of them, from ``reports.audited_counts``' rows: by
    ``moderator`` who decided (automation: nobody), ``queue``, ``auditor`` who scored the audit (*names*: id ->
    name of a person or queue), or each ``label`` the moderator's or the blind decision carries (several groups,
    or ``(none)``; the rows come per pair of label sets). The whole is the rows counted once each. None: no
    audited decision at all.
    """
    decided = [(row[1:3], *row[3:7], row[8]) for row in rows if row[0] == report_rows.DECIDED]
    judged = [(row[1:3], *row[3:9]) for row in rows if row[0] == report_rows.JUDGED]
    counted = count(decided, judged, metrics.week_of_day_or_time)
    grouped: defaultdict[str, Counts] = defaultdict(Counts)
    for (key, key2), counts in counted.items():
        for group in _groups(by, key, key2, names):
            grouped[group].add(counts)
    return dict(grouped), Counts.merged(counted.values()) if counted else None


def _groups(by: str, key: Any, key2: Any, names: dict[int, str]) -> list[str]:
    """The groups of a row keyed (*key*, *key2*) by ``reports.GROUP_KEYS``."""
    if by == "label":
        return sorted(set(parsed_labels(key)) | set(parsed_labels(key2))) or [NO_LABEL]
    name = names[key]
    return [] if by == "moderator" and name == AUTOMATION else [name]


def _prop(p: metrics.Proportion) -> dict[str, Any]:
    return {"n": p.n, "correct": p.k, "accuracy": p.value, "accuracy_ci95": list(p.ci95) if p.ci95 else None}


def summarise(counted: Counts | None, gold: Sequence[GoldScored]) -> dict[str, Any]:
    """Every figure for one group: its audited decisions as counted (``audit.metrics.counts``; None: none) and
    its gold results."""
    counted = counted or Counts()
    label_sets: Counter[tuple[tuple[str, ...], tuple[str, ...]]] = Counter()
    for (blind, given), times in counted.label_sets.items():
        label_sets[parsed_labels(blind), parsed_labels(given)] += times  # '["a","b"]' and '["a", "b"]' alike
    labels, matrix = metrics.confusion_matrix_of(counted.actions)  # rows: auditor (blind), columns: moderator
    n, errors, disputes = counted.n, counted.errors, counted.disputes
    return {
        **_prop(metrics.proportion(counted.correct, n)),
        "mean_score": counted.score_sum / n if n else None,
        "cohen_kappa": metrics.cohen_kappa_of(counted.actions),
        "action_agreement": metrics.proportion(sum(times for (blind, given), times in counted.actions.items()
                                                   if blind == given), n).value,
        "confusion": {"rows": "auditor blind action", "columns": "moderator action", "labels": labels,
                      "matrix": matrix},
        "precision_recall": [
            {"label": p.label, "tp": p.tp, "fp": p.fp, "fn": p.fn, "precision": p.precision, "recall": p.recall,
             "f1": p.f1, "support": p.support}
            for p in metrics.precision_recall_of(label_sets)
        ],
        "errors": {e: errors[e] for e in ERROR_TYPES if errors[e]},
        "disputes": {"opened": sum(times for state, times in disputes.items() if state), "open": disputes["open"],
                     "upheld": disputes["upheld"], "overturned": disputes["overturned"]},
        "gold": _prop(metrics.accuracy([g.correct for g in gold])),
        "trend": [{"week": week, **_prop(p)} for week, p in metrics.weekly_trend_of(counted.weeks)],
    }


def build(store: Store, viewer: User | str, *, by: str = "moderator", since: str | None = None,
          until: str | None = None) -> dict[str, Any]:
    """The whole report as *viewer* may see it:
    ``{"by", "scope", "since", "until", "groups": [...], "overall": {...}, "calibration": [...]}``.

    ``scope`` is ``"team"`` for leads, ``"audited"`` for other auditors (the audits they scored) and
    ``"own"`` for anyone else (their own decisions only, no calibration; see the module docstring).
    NotAllowed for a viewer the store does not know.
    """
    who = roles.resolve(store, viewer)
    if by not in BY:
        raise PeriodError(f"--by is one of {', '.join(BY)} (got {by!r})")
    start, end = date_range(since, until)
    team = who.has("lead")
    scorer = not team and (by == "auditor" or who.has("auditor"))  # sees the audits they scored, nothing more
    if scorer:  # never the auditors of their own decisions, nor the other auditors' figures by subtraction
        rows = report_rows.audited_counts(store, start, end, by, auditor_id=who.id)
        gold: list[GoldScored] = []
    else:
        rows = report_rows.audited_counts(store, start, end, by, moderator_id=None if team else who.id)
        gold = _gold_scored(store, start, end, None if team else who.name)
    names = {q.id: q.name for q in store.queues()} if by == "queue" else {u.id: u.name for u in store.users()}
    grouped, whole = _grouped(rows, by, names)
    grouped_gold: dict[str, list[GoldScored]] = defaultdict(list)
    for g in gold:
        for key in keys(g, by):
            grouped_gold[key].append(g)
    groups = [{"key": key, **summarise(grouped.get(key), grouped_gold.get(key, []))}
              for key in sorted(set(grouped) | set(grouped_gold))]
    report = {
        "by": by,
        "scope": "team" if team else "audited" if scorer else "own",
        "since": start,
        "until": _echo_end(end),
        "generated_at": store.now(),
        "groups": groups,
        "overall": {"key": "all", **summarise(whole, gold)},
        "calibration": [calibration.agreement(store, name, start=start, end=end).as_json()
                        for name in calibration.sets(store)] if team or who.has("auditor") else [],
    }
    if by == "auditor":
        report["auditors"] = auditors.work_json(auditors.work(store, who, start, end))
    return report

