"""The transparency counts (``audit.compliance.transparency.counts``) as export rows, and their names in words.

One job: flatten the counts' nested dict into rows of (section, breakdown,
key, count, median hours, share) that a spreadsheet lists and filters, with
machine names in the rows (JSON Lines keeps them: machines read it) and the
words a person reads for each (:func:`section_words`, :func:`breakdown_words`,
:func:`key_words`, which CSV and XLSX show). A row holds one figure: a count,
a median in hours or a share (0–1) with the count it is a share of.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from audit.compliance import enums

Row = tuple[str, str, str, int | None, float | None, float | None]

#: Between the two parts of a pair key (a source and a category, a ground and a category).
PAIR = " / "

SECTIONS = {"notices": "Notices", "own_initiative": "Own-initiative detections", "actions": "Actions",
            "automated_means": "Automated means", "time_to_action": "Time to action", "complaints": "Complaints",
            "statements": "Statements of reasons"}
BREAKDOWNS = {"total": "total", "by_source": "by source", "by_source_type": "by source type",
              "by_category": "by category", "by_source_and_category": "by source and category",
              "by_type": "by action", "restricting": "restricting", "by_ground": "by decision ground",
              "by_ground_and_category": "by decision ground and category",
              "reversals_after_complaints": "reversed after a complaint", "decided_by_a_rule": "decided by a rule",
              "median": "median", "by_outcome": "by outcome"}
#: Short words for the source types (the database's own are sentences); grounds and categories use the database's.
SOURCE_TYPE_WORDS = {"SOURCE_ARTICLE_16": "Art. 16 notice", "SOURCE_TRUSTED_FLAGGER": "trusted flagger",
                     "SOURCE_TYPE_OTHER_NOTIFICATION": "other notification", "SOURCE_VOLUNTARY": "own initiative"}
KEYS = {"all": "all", "notice_to_action": "notice to action", "time_to_decide": "time to decide a complaint",
        **SOURCE_TYPE_WORDS,
        **{key: words.lower() for key, words in enums.DECISION_GROUNDS.items()},
        **{key: words.lower() for key, words in enums.STATEMENT_CATEGORIES.items()}}


def section_words(value: str | None) -> str | None:
    return SECTIONS.get(value or "", value)


def breakdown_words(value: str | None) -> str | None:
    return BREAKDOWNS.get(value or "", value)


def key_words(value: str | None) -> str | None:
    """The database's values in words; a pair key part by part; anything else (a source, an action id, a
    reported category, "(none)") as Veil knows it."""
    if value is None:
        return None
    return PAIR.join(KEYS.get(part, part) for part in value.split(PAIR))


def rows(data: dict[str, Any]) -> Iterator[Row]:
    """Every figure of *data* (``counts()``'s dict) as one row, in the order a transparency report reads."""
    notices, own = data["notices"], data["own_initiative"]
    yield "notices", "total", "all", notices["total"], None, None
    for breakdown in ("by_source", "by_source_type", "by_category"):
        yield from _counted("notices", breakdown, notices[breakdown])
    for pair in notices["by_source_and_category"]:
        yield "notices", "by_source_and_category", pair["source"] + PAIR + pair["category"], pair["count"], None, None
    yield "own_initiative", "total", "all", own["total"], None, None
    for breakdown in ("by_source", "by_category"):
        yield from _counted("own_initiative", breakdown, own[breakdown])
    yield "actions", "total", "all", data["actions_total"], None, None
    yield from _counted("actions", "by_type", data["actions_by_type"])
    yield "actions", "restricting", "all", data["restricting"], None, None
    yield from _counted("actions", "by_ground", data["actions_by_ground"])
    yield from _counted("actions", "by_category", data["actions_by_category"])
    for pair in data["actions_by_ground_and_category"]:
        yield "actions", "by_ground_and_category", pair["ground"] + PAIR + pair["category"], pair["count"], None, None
    yield "actions", "reversals_after_complaints", "all", data["reversals_after_complaints"], None, None
    automated = data["automated"]
    yield "automated_means", "decided_by_a_rule", "all", automated["automated"], None, automated["share"]
    yield "time_to_action", "median", "notice_to_action", None, data["median_hours_notice_to_action"], None
    complaints = data["complaints"]
    yield "complaints", "total", "received", complaints["received"], None, None
    for outcome in ("upheld", "reversed", "open"):
        yield "complaints", "by_outcome", outcome, complaints[outcome], None, None
    yield "complaints", "median", "time_to_decide", None, complaints["median_hours_to_decide"], None
    for state, n in data["statements"].items():
        yield "statements", "total", state, n, None, None


def _counted(section: str, breakdown: str, counted: dict[str, int]) -> Iterator[Row]:
    for key, n in counted.items():
        yield section, breakdown, key, n, None, None
