"""The counts every figure of a QA report is computed from, gathered from its audited decisions in one pass.

``veil metrics`` reads every audited decision of its period (30,000 at a
site's scale) and shows, per group and overall, accuracy, kappa, the
confusion matrix, precision and recall per label, errors, disputes and a
weekly trend. Each of those is a function of a few counts: how many times
each (blind action, moderator action) pair occurs, each (blind labels,
labels) pair, each (week, verdict) pair, each error type and dispute state,
and the scores' sum. :func:`count` gathers them for every group at once with
``zip`` and ``Counter`` (C, not a Python loop per decision and figure), and
the formulas take counts (``audit.metrics.cohen_kappa_of`` and the like), so
every figure is the number the per-item formulas give (the integers are the
same; a group's scores are summed in the report's order, as before).
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Counts", "count", "select"]


@dataclass
class Counts:
    """One group's audited decisions, counted: *n*, the final verdicts judged correct, and the pairs."""

    scores: list[float] = field(default_factory=list)  # final scores, in the report's order
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (blind action, moderator's action)
    label_sets: Counter[tuple[str | None, str | None]] = field(default_factory=Counter)  # (blind, moderator's) JSON
    weeks: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (ISO week of the decision, correct)
    errors: Counter[str | None] = field(default_factory=Counter)  # final error type
    disputes: Counter[str | None] = field(default_factory=Counter)  # None, open, upheld, overturned

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def correct(self) -> int:
        return sum(times for (_, right), times in self.weeks.items() if right)

    @classmethod
    def merged(cls, parts: Iterable[Counts], scores: Sequence[float]) -> Counts:
        """The counts of groups that split the rows between them, together; *scores* every row's, in order (a
        sum of floats depends on its order: the whole's is summed as the rows come, not group by group)."""
        whole = cls(list(scores))
        for part in parts:
            whole.actions.update(part.actions)
            whole.label_sets.update(part.label_sets)
            whole.weeks.update(part.weeks)
            whole.errors.update(part.errors)
            whole.disputes.update(part.disputes)
        return whole


def select(column: Sequence[Any], rows: Sequence[int]) -> Sequence[Any]:
    """The values of *column* at *rows* (positions), in that order, picked in C."""
    if len(rows) == 1:
        return [column[rows[0]]]
    return operator.itemgetter(*rows)(column) if rows else ()


def count(keys: Sequence[str | None], columns: Mapping[str, Sequence[Any]]) -> dict[str | None, Counts]:
    """Per group key, the counts of the rows *columns* hold (a value per row each), *keys* giving each row's group.

    *columns* are ``blind_action``, ``action``, ``blind_labels_json``, ``labels_json``, ``week``, ``correct``,
    ``score``, ``error_type`` and ``dispute`` (the names of ``assembly.Audited``, plus the week and the verdict
    as a bool). Two ``Counter`` passes: what was decided, and what came of it; each distinct combination is then
    split into its pairs (a few thousand at most, where the rows are tens of thousands).
    """
    groups: defaultdict[str | None, Counts] = defaultdict(Counts)
    for key, score in zip(keys, columns["score"]):
        groups[key].scores.append(score)
    for (key, blind, given, blind_labels, labels), times in Counter(zip(
            keys, columns["blind_action"], columns["action"], columns["blind_labels_json"],
            columns["labels_json"])).items():
        counted = groups[key]
        counted.actions[blind, given] += times
        counted.label_sets[blind_labels, labels] += times
    for (key, week, right, error, state), times in Counter(zip(
            keys, columns["week"], columns["correct"], columns["error_type"], columns["dispute"])).items():
        counted = groups[key]
        counted.weeks[week, right] += times
        counted.errors[error] += times
        counted.disputes[state] += times
    return dict(groups)
