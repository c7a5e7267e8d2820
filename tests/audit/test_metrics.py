"""audit.metrics against reference implementations, on randomised data.

References (test-only dependencies): statsmodels (Wilson, Fleiss),
scikit-learn (Cohen, confusion matrix, precision/recall), krippendorff.
Where a reference is undefined (nan / raises) we assert our documented
convention instead; everywhere else the values must agree to 1e-9.
"""

from __future__ import annotations

import ast
import math
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from audit import metrics
from audit.metrics import (
    PrecisionRecall,
    Proportion,
    accuracy,
    cohen_kappa,
    confusion_matrix,
    fleiss_kappa,
    iso_week,
    krippendorff_alpha_nominal,
    precision_recall,
    proportion,
    weekly_trend,
    wilson_interval,
)

TOL = 1e-9
LABELS = ["allow", "remove", "restrict", "escalate"]
fuzz = settings(max_examples=200, deadline=None)


def close(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=0, abs_tol=TOL)


def quiet(fn, *args, **kwargs):
    """Call a reference implementation, silencing its divide-by-zero warnings."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


label_lists = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(LABELS), min_size=n, max_size=n),
        st.lists(st.sampled_from(LABELS), min_size=n, max_size=n),
    )
)


# --- Wilson interval and accuracy -------------------------------------------------


@fuzz
@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_statsmodels(kn):
    k, n = kn
    low, high = wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert close(low, ref_low) and close(high, ref_high)
    assert 0.0 <= low <= k / n <= high <= 1.0


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.2])
def test_wilson_other_levels_match_statsmodels(alpha):
    from scipy.stats import norm

    z = norm.isf(alpha / 2)
    for k, n in [(0, 1), (1, 1), (3, 7), (50, 100), (0, 500), (999, 1000)]:
        ref = proportion_confint(k, n, alpha=alpha, method="wilson")
        got = wilson_interval(k, n, z=z)
        assert close(got[0], ref[0]) and close(got[1], ref[1])


def test_wilson_edges():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    for k, n in [(-1, 5), (6, 5), (0, -1)]:
        with pytest.raises(ValueError):
            wilson_interval(k, n)


@fuzz
@given(st.lists(st.booleans(), max_size=300))
def test_accuracy(verdicts):
    result = accuracy(verdicts)
    assert result.k == sum(verdicts) and result.n == len(verdicts)
    if verdicts:
        assert result.value == sum(verdicts) / len(verdicts)
        assert result.ci95 == wilson_interval(result.k, result.n)
    else:
        assert result == Proportion(0, 0, None, None)


def test_accuracy_known_value():
    result = accuracy([True] * 81 + [False] * 19)
    assert (result.k, result.n, result.value) == (81, 100, 0.81)
    low, high = proportion_confint(81, 100, alpha=0.05, method="wilson")
    assert close(result.ci95[0], low) and close(result.ci95[1], high)
    assert round(result.ci95[0], 4) == 0.7222 and round(result.ci95[1], 4) == 0.8749
    assert proportion(0, 0).value is None


# --- Cohen's kappa ------------------------------------------------------------------


@fuzz
@given(label_lists)
def test_cohen_matches_sklearn(pair):
    a, b = pair
    ref = quiet(cohen_kappa_score, a, b)
    got = cohen_kappa(a, b)
    if math.isnan(ref):  # sklearn: undefined when both raters used one same label
        assert len(set(a) | set(b)) == 1 and got == 1.0
    else:
        assert close(got, ref)


def test_cohen_seeded_large():
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = rng.choice(LABELS, size=2000).tolist()
        b = [x if rng.random() < 0.7 else str(rng.choice(LABELS)) for x in a]
        assert close(cohen_kappa(a, b), cohen_kappa_score(a, b))


def test_cohen_edges():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["allow"] * 5, ["allow"] * 5) == 1.0  # one class, perfect: our convention
    assert cohen_kappa(["allow", "remove"], ["allow", "remove"]) == 1.0
    assert close(cohen_kappa(["allow", "remove"], ["remove", "allow"]), -1.0)
    # One rater constant, the other not: p_e < 1 and sklearn agrees (kappa 0).
    assert close(cohen_kappa(["allow"] * 4, ["allow", "allow", "remove", "allow"]), 0.0)
    with pytest.raises(ValueError):
        cohen_kappa(["allow"], [])


# --- Confusion matrix ---------------------------------------------------------------


@fuzz
@given(label_lists, st.permutations(LABELS), st.integers(1, len(LABELS)))
def test_confusion_matches_sklearn(pair, order, size):
    truth, pred = pair
    labels, matrix = confusion_matrix(truth, pred)
    assert labels == sorted(set(truth) | set(pred))
    assert matrix == quiet(sk_confusion_matrix, truth, pred, labels=labels).tolist()

    chosen = list(order[:size])
    if any(t in chosen for t in truth):  # sklearn refuses labels absent from y_true
        labels, matrix = confusion_matrix(truth, pred, labels=chosen)
        assert labels == chosen
        assert matrix == quiet(sk_confusion_matrix, truth, pred, labels=chosen).tolist()


def test_confusion_edges():
    assert confusion_matrix([], []) == ([], [])
    assert confusion_matrix([], [], labels=["a", "b"]) == (["a", "b"], [[0, 0], [0, 0]])
    assert confusion_matrix(["a", "a"], ["a", "b"]) == (["a", "b"], [[1, 1], [0, 0]])
    with pytest.raises(ValueError):
        confusion_matrix(["a"], ["a", "b"])
    with pytest.raises(ValueError):
        confusion_matrix(["a"], ["a"], labels=["a", "a"])


# --- Precision / recall -------------------------------------------------------------

label_sets = st.sets(st.sampled_from(LABELS), max_size=3)


@fuzz
@given(st.integers(0, 40).flatmap(lambda n: st.tuples(
    st.lists(label_sets, min_size=n, max_size=n),
    st.lists(label_sets, min_size=n, max_size=n),
)))
def test_precision_recall_matches_sklearn(pair):
    truth, pred = pair
    rows = precision_recall(truth, pred, labels=LABELS)
    assert [r.label for r in rows] == LABELS
    if not truth:
        assert all(r.precision is r.recall is r.f1 is None and r.support == 0 for r in rows)
        return
    y_true = np.array([[label in s for label in LABELS] for s in truth], dtype=int)
    y_pred = np.array([[label in s for label in LABELS] for s in pred], dtype=int)
    p, r, f, support = quiet(
        precision_recall_fscore_support, y_true, y_pred, average=None, zero_division=np.nan
    )
    for i, row in enumerate(rows):
        for ours, ref in [(row.precision, p[i]), (row.recall, r[i]), (row.f1, f[i])]:
            if math.isnan(ref):
                assert ours is None
            else:
                assert close(ours, ref)
        assert row.support == support[i] == row.tp + row.fn
        if row.precision is not None and row.recall is not None and row.precision + row.recall:
            harmonic = 2 * row.precision * row.recall / (row.precision + row.recall)
            assert close(row.f1, harmonic)


def test_precision_recall_edges():
    assert precision_recall([], []) == []
    assert precision_recall([set()], [set()]) == []
    (row,) = precision_recall([{"spam"}, {"spam"}], [set(), set()])
    assert row == PrecisionRecall("spam", 0, 0, 2, None, 0.0, 0.0, 2)  # never predicted
    (row,) = precision_recall([set()], [{"spam"}])
    assert row == PrecisionRecall("spam", 0, 1, 0, 0.0, None, 0.0, 0)  # never in truth
    (row,) = precision_recall([set()], [set()], labels=["spam"])
    assert row == PrecisionRecall("spam", 0, 0, 0, None, None, None, 0)
    rows = precision_recall([["b", "a"]], [("a",)])  # any collection; labels sorted
    assert [(r.label, r.tp, r.fn) for r in rows] == [("a", 1, 0), ("b", 0, 1)]
    with pytest.raises(ValueError):
        precision_recall([{"a"}], [])


# --- Fleiss' kappa ------------------------------------------------------------------


@fuzz
@given(st.integers(2, 8).flatmap(lambda m: st.lists(
    st.lists(st.sampled_from(LABELS), min_size=m, max_size=m), min_size=1, max_size=40
)))
def test_fleiss_matches_statsmodels(ratings):
    table, _ = aggregate_raters(np.array(ratings))
    ref = quiet(sm_fleiss_kappa, table, method="fleiss")
    got = fleiss_kappa(ratings)
    if math.isnan(ref):  # statsmodels: 0/0 when every rating is one category
        assert len({c for item in ratings for c in item}) == 1 and got == 1.0
    else:
        assert close(got, ref)


def test_fleiss_wikipedia_example():
    counts = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    ratings = [[c for c, k in zip("ABCDE", row) for _ in range(k)] for row in counts]
    got = fleiss_kappa(ratings)
    assert close(got, sm_fleiss_kappa(np.array(counts)))
    assert round(got, 3) == 0.210


def test_fleiss_edges():
    assert fleiss_kappa([]) is None
    assert fleiss_kappa([["allow"], ["remove"]]) is None  # single rater: no pairs
    assert fleiss_kappa([[], []]) is None
    assert fleiss_kappa([["allow"] * 3] * 4) == 1.0  # one category only: convention
    assert fleiss_kappa([["allow", "remove"], ["remove", "allow"]]) == -1.0  # all disagree
    assert fleiss_kappa([["a", "a"], ["b", "b"]]) == 1.0  # perfect agreement, 2 classes
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([["allow", "allow"], ["allow"]])


# --- Krippendorff's alpha -----------------------------------------------------------


def reference_alpha(units):
    """krippendorff.alpha on our units x raters data (it wants raters x units, nan = missing)."""
    codes = {label: float(i) for i, label in enumerate(LABELS)}
    width = max(len(u) for u in units)
    data = np.full((width, len(units)), np.nan)
    for j, unit in enumerate(units):
        for i, value in enumerate(unit):
            if value is not None:
                data[i, j] = codes[value]
    return quiet(krippendorff.alpha, reliability_data=data, level_of_measurement="nominal")


ratings_with_gaps = st.integers(1, 6).flatmap(lambda m: st.lists(
    st.lists(st.one_of(st.none(), st.sampled_from(LABELS)), min_size=m, max_size=m),
    min_size=1, max_size=40,
))


@fuzz
@given(ratings_with_gaps)
def test_krippendorff_matches_reference(units):
    got = krippendorff_alpha_nominal(units)
    pairable = [v for u in units if sum(x is not None for x in u) >= 2 for v in u if v is not None]
    try:
        ref = reference_alpha(units)
    except ValueError:  # reference refuses: no pairable unit, or a one-value domain
        ref = math.nan
    if not pairable:
        assert got is None
    elif len(set(pairable)) == 1:
        assert got == 1.0
    else:
        assert close(got, ref)


def _noisy(rng, truth: str) -> str:
    """*truth* four times in five, else a random label."""
    return truth if rng.random() < 0.8 else str(rng.choice(LABELS))


def test_krippendorff_seeded_large():
    rng = np.random.default_rng(11)
    for _ in range(10):
        units = []
        for _ in range(500):
            truth = str(rng.choice(LABELS))
            units.append([None if rng.random() < 0.3 else _noisy(rng, truth) for _ in range(5)])
        assert close(krippendorff_alpha_nominal(units), reference_alpha(units))


def test_krippendorff_published_example():
    # The nominal example from the krippendorff package docs (Krippendorff 2011): 0.691358.
    raw = [
        [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
        [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
        [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
    ]
    units = [[None if r[j] is None else str(r[j]) for r in raw] for j in range(15)]
    assert round(krippendorff_alpha_nominal(units), 6) == 0.691358


def test_krippendorff_edges():
    assert krippendorff_alpha_nominal([]) is None
    assert krippendorff_alpha_nominal([["a"], ["b"]]) is None  # single rater
    assert krippendorff_alpha_nominal([["a", None], [None, "b"]]) is None  # nothing pairable
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "a", None]]) == 1.0  # one value only
    assert krippendorff_alpha_nominal([["a", "a"], ["b", "b"]]) == 1.0
    # Lone ratings are ignored, so they cannot change alpha.
    base = [["a", "b"], ["a", "a"], ["b", "b"]]
    assert krippendorff_alpha_nominal(base) == krippendorff_alpha_nominal(base + [["c", None]])
    assert krippendorff_alpha_nominal([["a", "b"], ["b", "a"]]) < 0  # all disagree


# --- Weekly trend -------------------------------------------------------------------


def test_weekly_trend_boundaries_and_gaps():
    rows = [
        ("2025-12-28T23:59:59Z", True),        # Sunday -> 2025-W52
        ("2025-12-29T00:00:00Z", False),       # Monday -> 2026-W01 (ISO year!)
        ("2026-01-04T23:30:00-02:00", True),   # = Mon 2026-01-05 01:30 UTC -> 2026-W02
        ("2026-01-20T10:00:00.000Z", True),    # 2026-W04; W03 has no audits
        ("2026-01-21T10:00:00", False),        # naive = UTC
    ]
    trend = weekly_trend(rows)
    assert [w for w, _ in trend] == ["2025-W52", "2026-W01", "2026-W02", "2026-W03", "2026-W04"]
    by_week = dict(trend)
    assert by_week["2025-W52"] == proportion(1, 1)
    assert by_week["2026-W01"] == proportion(0, 1)
    assert by_week["2026-W03"] == Proportion(0, 0, None, None)
    assert (by_week["2026-W04"].k, by_week["2026-W04"].n, by_week["2026-W04"].value) == (1, 2, 0.5)


def test_weekly_trend_edges():
    assert weekly_trend([]) == []
    assert weekly_trend(iter([("2026-01-05T09:00:00Z", True)])) == [("2026-W02", proportion(1, 1))]
    with pytest.raises(ValueError, match="not-a-date"):
        weekly_trend([("not-a-date", True)])
    assert iso_week("2020-12-31T12:00:00Z") == "2020-W53"  # a 53-week year
    assert iso_week("2021-01-03") == "2020-W53"


@fuzz
@given(st.lists(st.tuples(
    st.datetimes(datetime(2019, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.booleans(),
), max_size=60))
def test_weekly_trend_counts_everything(rows):
    trend = weekly_trend((moment.isoformat(), ok) for moment, ok in rows)
    assert sum(p.n for _, p in trend) == len(rows)
    assert sum(p.k for _, p in trend) == sum(ok for _, ok in rows)
    weeks = [w for w, _ in trend]
    assert weeks == sorted(weeks) and len(set(weeks)) == len(weeks)
    for (w1, _), (w2, _) in zip(trend, trend[1:]):  # consecutive, no holes
        mon = datetime.fromisocalendar(int(w1[:4]), int(w1[6:]), 1) + timedelta(weeks=1)
        assert iso_week(mon.isoformat()) == w2
    for week, p in trend:
        expected = [ok for moment, ok in rows if "{}-W{:02d}".format(*moment.isocalendar()[:2]) == week]
        assert (p.k, p.n) == (sum(expected), len(expected))


@fuzz
@given(st.lists(st.tuples(
    st.datetimes(datetime(1999, 12, 20), datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["own", "offset", "naive"]),
), max_size=40))
def test_the_week_of_a_day_is_the_week_of_each_time_of_that_day(moments):
    """A report counts Veil's own times by their UTC day in SQL and asks ``week_of_day_or_time`` for the day's week;
    a time in another form comes whole: either way the week ``iso_week`` gives the time itself."""
    for moment, shape in moments:
        own = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        text = own[:10] if shape == "own" else moment.isoformat() if shape == "offset" \
            else moment.replace(tzinfo=None).isoformat()
        assert metrics.week_of_day_or_time(text) == iso_week(own)


def test_the_week_of_a_day_or_time_names_one_that_is_not():
    for bad in ("2026-02-30", "2026-02-30T10:00:00.000Z", "x", "yesterday!", None):
        with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
            metrics.week_of_day_or_time(bad)  # type: ignore[arg-type]


@fuzz
@given(st.lists(st.tuples(st.sampled_from(LABELS[:3]), st.sampled_from(LABELS[:3]),
                          st.frozensets(st.sampled_from(LABELS)), st.frozensets(st.sampled_from(LABELS))),
                max_size=40))
def test_the_formulas_over_counted_pairs_give_the_per_item_numbers(items):
    """A report counts each distinct pair once and hands the counts over: the same numbers, floats included."""
    blind, given = [a for a, *_ in items], [b for _, b, *_ in items]
    truth, predicted = [sorted(t) for *_, t, _ in items], [sorted(p) for *_, p in items]
    actions: dict[tuple[str, str], int] = {}
    for pair in zip(blind, given):
        actions[pair] = actions.get(pair, 0) + 1
    label_sets: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    for t, p in zip(truth, predicted):
        label_sets[tuple(t), tuple(p)] = label_sets.get((tuple(t), tuple(p)), 0) + 1
    assert metrics.cohen_kappa_of(actions) == cohen_kappa(blind, given)
    assert metrics.confusion_matrix_of(actions) == confusion_matrix(blind, given)
    assert metrics.precision_recall_of(label_sets) == precision_recall(truth, predicted)
    assert metrics.cohen_kappa_of({("a", "b"): 0}) is None  # a pair counted zero times is no item


# --- Boundaries ---------------------------------------------------------------------


def test_metrics_imports_only_stdlib():
    """The references are for tests only; the module must not depend on them or on Qt."""
    tree = ast.parse(Path(metrics.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    probe = (
        "import sys, audit.metrics; "
        "bad = {'sklearn', 'statsmodels', 'krippendorff', 'PySide6', 'ui', 'desktop'}; "
        "bad &= set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
