"""The counts every figure of a QA report is computed from, per group, gathered from counts SQL grouped.

``veil metrics`` shows, per group and overall, accuracy, kappa, the
confusion matrix, precision and recall per label, errors, disputes, the
mean score and a weekly trend over the audited decisions of its period
(30,000 at a site's scale). Each of those is a function of a few counts:
how many times each (blind action, moderator action) pair occurs, each
(blind labels, labels) pair, each (week, verdict) pair, each error type,
dispute state and score. The store counts them per group in SQL
(``audit.store.reports.audited_counts``: a few thousand rows where the
decisions are tens of thousands), :func:`count` adds them up per group here,
and the formulas take counts (``audit.metrics.cohen_kappa_of`` and the
like), so every figure is the number the per-item formulas give. The mean
score is the correctly rounded sum (``math.fsum``) over n: the same whatever
order the scores are added in.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Counts", "count"]


@dataclass
class Counts:
    """One group's audited decisions, counted: how many of each pair, verdict, error, dispute state and score."""

    scores: Counter[float] = field(default_factory=Counter)  # final score -> how many
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (blind action, moderator's action)
    label_sets: Counter[tuple[str | None, str | None]] = field(default_factory=Counter)  # (blind, moderator's) JSON
    weeks: Counter[tuple[str, bool]] = field(default_factory=Counter)  # (ISO week of the decision, correct)
    errors: Counter[str | None] = field(default_factory=Counter)  # final error type
    disputes: Counter[str | None] = field(default_factory=Counter)  # None, open, upheld, overturned

    @property
    def n(self) -> int:
        return sum(self.scores.values())

    @property
    def correct(self) -> int:
        return sum(times for (_, right), times in self.weeks.items() if right)

    @property
    def score_sum(self) -> float:
        """The scores' sum, correctly rounded (``math.fsum``), so it does not depend on the order of the rows."""
        return math.fsum(itertools.chain.from_iterable(itertools.repeat(score, times)
                                                       for score, times in self.scores.items()))

    def add(self, other: Counts) -> None:
        """Count *other*'s decisions in this group too."""
        self.scores.update(other.scores)
        self.actions.update(other.actions)
        self.label_sets.update(other.label_sets)
        self.weeks.update(other.weeks)
        self.errors.update(other.errors)
        self.disputes.update(other.disputes)

    @classmethod
    def merged(cls, parts: Iterable[Counts]) -> Counts:
        """The counts of groups that split the decisions between them, together."""
        whole = cls()
        for part in parts:
            whole.add(part)
        return whole


def count(decided: Iterable[Sequence[Any]], judged: Iterable[Sequence[Any]], week_of: Callable[[str], str]
          ) -> dict[Any, Counts]:
    """Per group key, the counts of the grouped rows of ``audit.store.reports.audited_counts``.

    *decided* rows are (key, action, labels JSON, blind action, blind labels JSON, times), *judged* rows (key,
    day or time, final verdict, final error type, dispute state, final score, times); *week_of* turns a day
    or time into its ISO week (asked once per distinct day: the rows come per group and day).
    """
    judged = list(judged)
    week = {day: week_of(day) for day in {row[1] for row in judged}}
    groups: defaultdict[Any, Counts] = defaultdict(Counts)
    for key, action, labels, blind_action, blind_labels, times in decided:
        counted = groups[key]
        counted.actions[blind_action, action] += times
        counted.label_sets[blind_labels, labels] += times
    for key, day, verdict, error, state, score, times in judged:
        counted = groups[key]
        counted.weeks[week[day], verdict == "correct"] += times
        counted.errors[error] += times
        counted.disputes[state] += times
        counted.scores[score] += times
    return dict(groups)
