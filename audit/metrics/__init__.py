"""Accuracy and agreement metrics for QA audits — pure functions, stdlib only.

Every figure here is a standard statistic computed the standard way; the
formulas are in each docstring and, for auditors, in ``docs/metrics.md``.
``tests/test_metrics.py`` checks each one against a reference implementation
(statsmodels, scikit-learn, krippendorff) on randomised data.

Conventions shared by all functions:

* "Undefined" is ``None``, never ``nan`` and never a silent 0: a share of
  nothing (n == 0), an agreement statistic over no items.
* Agreement statistics (Cohen, Fleiss, Krippendorff) return ``1.0`` when every
  rating falls in one single category. Chance agreement is then 1 and the
  textbook formula is 0/0; the raters did agree perfectly, so we report 1.0
  (the references return nan or raise). Always show n next to it.
* Mismatched input (sequences of different lengths, k > n, …) raises
  ``ValueError`` with a message that says what is wrong.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

Z95 = 1.959963984540054  # standard normal quantile 0.975 (two-sided 95 %)


@dataclass(frozen=True)
class Proportion:
    """k successes out of n, with the Wilson 95 % interval; value None when n == 0."""

    k: int
    n: int
    value: float | None
    ci95: tuple[float, float] | None


@dataclass(frozen=True)
class PrecisionRecall:
    """Per-label counts and scores; a score is None where its denominator is 0."""

    label: str
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


def _same_length(a: Sequence[object], b: Sequence[object], what: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{what}: both sequences need one entry per item ({len(a)} != {len(b)})")


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion p = k / n.

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z / (1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²)
    interval = [centre − half, centre + half], clipped to [0, 1]
    (exactly 0 when k == 0, exactly 1 when k == n). None when n == 0.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"wilson_interval needs 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return None
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


def proportion(k: int, n: int) -> Proportion:
    """k / n with its Wilson 95 % interval; value and ci95 are None when n == 0."""
    return Proportion(k, n, k / n if n else None, wilson_interval(k, n))


def accuracy(verdicts: Sequence[bool]) -> Proportion:
    """Share of audited decisions judged correct: k = #True, n = len(verdicts)."""
    return proportion(sum(1 for v in verdicts if v), len(verdicts))


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa for two raters who each labelled the same N items.

    p_o = (1/N) Σ_i [a_i == b_i]            observed agreement
    p_e = Σ_c (n_a(c)/N) · (n_b(c)/N)        agreement expected by chance
    κ   = (p_o − p_e) / (1 − p_e)
    None when N == 0; 1.0 when p_e == 1 (both raters used one same category).
    """
    _same_length(a, b, "cohen_kappa")
    return cohen_kappa_of(Counter(zip(a, b)))


def cohen_kappa_of(pairs: Mapping[tuple[str, str], int]) -> float | None:
    """:func:`cohen_kappa` from the count of each (a_i, b_i) pair: the same integers, so the same float.

    A report counts its pairs in C (``Counter(zip(…))``) and needs no per-item loop here.
    """
    n = sum(pairs.values())
    if n == 0:
        return None
    count_a: Counter[str] = Counter()
    count_b: Counter[str] = Counter()
    for (x, y), times in pairs.items():
        count_a[x] += times
        count_b[y] += times
    if len(count_a | count_b) == 1:
        return 1.0
    p_o = sum(times for (x, y), times in pairs.items() if x == y) / n
    p_e = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    return (p_o - p_e) / (1 - p_e)


def confusion_matrix(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None
) -> tuple[list[str], list[list[int]]]:
    """Counts M[i][j] = #items whose truth is labels[i] and prediction labels[j].

    Rows are the truth (auditor), columns the prediction (moderator).
    labels defaults to the sorted union of both sequences; when given, it fixes
    the order and items with a value outside it are left out (as scikit-learn).
    """
    _same_length(truth, predicted, "confusion_matrix")
    return confusion_matrix_of(Counter(zip(truth, predicted)), labels)


def confusion_matrix_of(
    pairs: Mapping[tuple[str, str], int], labels: Sequence[str] | None = None
) -> tuple[list[str], list[list[int]]]:
    """:func:`confusion_matrix` from the count of each (truth, prediction) pair."""
    if labels is None:
        labels = sorted({t for t, _ in pairs} | {p for _, p in pairs})
    labels = list(labels)
    if len(set(labels)) != len(labels):
        raise ValueError(f"confusion_matrix: labels must be unique, got {labels!r}")
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for (t, p), times in pairs.items():
        if t in index and p in index and times:
            matrix[index[t]][index[p]] += times
    return labels, matrix


def precision_recall(
    truth_sets: Sequence[Collection[str]],
    predicted_sets: Sequence[Collection[str]],
    labels: Sequence[str] | None = None,
) -> list[PrecisionRecall]:
    """Per-label precision, recall and F1 for multi-label items.

    Each label is scored as its own yes/no question over the N items; the
    auditor's blind labels are the truth, the moderator's the prediction:
      tp = #items with the label in both, fp = only predicted, fn = only in truth
      precision = tp / (tp + fp)   None when the label was never predicted
      recall    = tp / (tp + fn)   None when the label never occurs in the truth
      F1        = 2tp / (2tp + fp + fn)   None when tp + fp + fn == 0
      support   = tp + fn
    F1 equals the harmonic mean of precision and recall wherever both are
    defined; it is 0 when one is undefined and the other counts errors.
    labels defaults to the sorted union of every label seen.
    """
    _same_length(truth_sets, predicted_sets, "precision_recall")
    return precision_recall_of(Counter((tuple(t), tuple(p)) for t, p in zip(truth_sets, predicted_sets)), labels)


def precision_recall_of(
    pairs: Mapping[tuple[tuple[str, ...], tuple[str, ...]], int], labels: Sequence[str] | None = None
) -> list[PrecisionRecall]:
    """:func:`precision_recall` from the count of each (truth set, predicted set) pair.

    A team uses a few hundred label sets, so a report of tens of thousands of items has a few hundred pairs.
    """
    kinds = [(set(t), set(p), times) for (t, p), times in pairs.items() if times]
    if labels is None:
        labels = sorted(set().union(*(t | p for t, p, _ in kinds)))
    result = []
    for label in labels:
        tp = sum(times for t, p, times in kinds if label in t and label in p)
        fp = sum(times for t, p, times in kinds if label not in t and label in p)
        fn = sum(times for t, p, times in kinds if label in t and label not in p)
        result.append(PrecisionRecall(
            label=label, tp=tp, fp=fp, fn=fn,
            precision=tp / (tp + fp) if tp + fp else None,
            recall=tp / (tp + fn) if tp + fn else None,
            f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
            support=tp + fn,
        ))
    return result


def fleiss_kappa(ratings: Sequence[Sequence[str]]) -> float | None:
    """Fleiss' kappa: N items, each rated by the same number m of raters.

    n_ic = #raters who put item i in category c
    P_i  = (Σ_c n_ic² − m) / (m(m − 1))     agreement on item i
    P̄    = (1/N) Σ_i P_i
    p_c  = Σ_i n_ic / (N·m),  P̄_e = Σ_c p_c²
    κ    = (P̄ − P̄_e) / (1 − P̄_e)
    None when there are no items or m < 2; 1.0 when every rating is the same
    category (P̄_e == 1). Raises ValueError when items have different m.
    """
    if len(ratings) == 0:
        return None
    m = len(ratings[0])
    if any(len(item) != m for item in ratings):
        counts = sorted({len(item) for item in ratings})
        raise ValueError(f"fleiss_kappa needs the same number of raters per item, got {counts}")
    if m < 2:
        return None
    n_items = len(ratings)
    totals: Counter[str] = Counter()
    agreement = []
    for item in ratings:
        item_counts = Counter(item)
        totals.update(item_counts)
        agreement.append((sum(c * c for c in item_counts.values()) - m) / (m * (m - 1)))
    if len(totals) == 1:
        return 1.0
    p_bar = math.fsum(agreement) / n_items
    p_e = math.fsum((c / (n_items * m)) ** 2 for c in totals.values())
    return (p_bar - p_e) / (1 - p_e)


def krippendorff_alpha_nominal(ratings: Sequence[Sequence[str | None]]) -> float | None:
    """Krippendorff's alpha for nominal data; rows are units, columns raters.

    None marks a missing rating; units with fewer than two ratings are
    ignored (they cannot be paired). With m_u ratings in unit u:
      o_ck = Σ_u (#ordered pairs (c, k) of ratings in u) / (m_u − 1)
      n_c  = Σ_k o_ck,  n = Σ_c n_c   (pairable ratings)
      α    = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k
           = 1 − (n − 1)(n − Σ_c o_cc) / (n² − Σ_c n_c²)
    None when no unit has two ratings; 1.0 when every pairable rating is the
    same category (expected disagreement 0). Rows may differ in length.
    """
    n = 0
    totals: Counter[str] = Counter()
    diagonal = 0.0  # Σ_c o_cc
    for unit in ratings:
        counts = Counter(v for v in unit if v is not None)
        m_u = sum(counts.values())
        if m_u < 2:
            continue
        n += m_u
        totals.update(counts)
        diagonal += sum(c * (c - 1) for c in counts.values()) / (m_u - 1)
    if n == 0:
        return None
    if len(totals) == 1:
        return 1.0
    expected = n * n - sum(c * c for c in totals.values())
    return 1 - (n - 1) * (n - diagonal) / expected


_UTC_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?Z", re.ASCII)


@functools.lru_cache(maxsize=4096)
def _week_of_day(day: str) -> str:
    """The ISO week of a UTC day "YYYY-MM-DD" (ValueError for a day that does not exist)."""
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def iso_week(timestamp: str) -> str:
    """ISO 8601 week 'YYYY-Www' of an ISO timestamp; offsets are converted to UTC first.

    Naive timestamps are taken as UTC. Raises ValueError naming the bad value.
    Veil's own UTC text ("2026-01-05T09:40:00.000Z") is recognised without
    parsing the time, its day's week computed once per day: a report of
    30,000 audits asks for the week of each of them twice.
    """
    own = _UTC_TEXT.fullmatch(timestamp) if isinstance(timestamp, str) else None
    try:
        if own:
            return _week_of_day(own.group(1))
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO 8601 timestamp: {timestamp!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(week: str) -> date:
    year, w = week.split("-W")
    return date.fromisocalendar(int(year), int(w), 1)


def week_of_day_or_time(value: str) -> str:
    """The ISO week of a UTC day "YYYY-MM-DD" or, as :func:`iso_week`, of any ISO time.

    A report counts Veil's own times by their UTC day in SQL (``audit.store.reports.audited_counts``) and asks
    for the week of each day once; a time in any other form comes whole. ValueError names a bad value.
    """
    return iso_week(value + "T00:00:00Z" if isinstance(value, str) and len(value) == 10 else value)


def weekly_trend(rows: Iterable[tuple[str, bool]]) -> list[tuple[str, Proportion]]:
    """Accuracy per ISO week: (timestamp, correct) rows -> [('YYYY-Www', Proportion)].

    Weeks run Monday to Sunday in UTC (see iso_week). The list is ascending and
    has no holes: every week from the first to the last one with data appears,
    a week without audits as Proportion(0, 0, None, None) so a chart shows a
    gap, never a made-up value. No rows -> [].
    """
    return weekly_trend_of(Counter((iso_week(timestamp), bool(correct)) for timestamp, correct in rows))


def weekly_trend_of(counts: Mapping[tuple[str, bool], int]) -> list[tuple[str, Proportion]]:
    """:func:`weekly_trend` from the count of each (ISO week, correct) pair (weeks as :func:`iso_week` gives them)."""
    tally: dict[str, list[int]] = {}
    for (found, correct), times in counts.items():
        if times:
            k_n = tally.setdefault(found, [0, 0])
            k_n[0] += times if correct else 0
            k_n[1] += times
    if not tally:
        return []
    day, last = _monday(min(tally)), _monday(max(tally))
    trend = []
    while day <= last:
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}"
        trend.append((key, proportion(*tally.get(key, (0, 0)))))
        day += timedelta(weeks=1)
    return trend
