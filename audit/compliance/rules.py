"""The DSA Transparency Database's validation of one statement, ported rule by rule.

One job: say what the database would refuse in a statement, before anything
leaves Veil. The rules are those of ``multi_rules`` in
``app/Services/GroupedSubmissionsService.php`` (the batch endpoint
``POST /api/v1/statements`` validates each statement with them; they equal
``app/Http/Requests/StatementStoreRequest.php``'s except that
``source_identity`` is only ``max:500|nullable``), read at commit
69e80a0bc8eb3cbfbe8246e898194c3bdf490a4b of digital-services-act/transparency-database.
Each check below names the rule it ports. Laravel semantics kept: ``required``
refuses a missing value, null, a blank string and an empty array; a
``nullable`` field that is null is not checked further; a field that is
absent is only checked by its ``required*`` rules; ``exclude_*`` drops the
field (nothing about it is checked); ``max`` counts characters of a string
and elements of an array; ``in`` on an array checks every element.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from audit.compliance import enums

#: Batch size bounds: ``'statements' => 'required|array|between:1,100'`` (StatementMultipleAPIController::store).
BATCH_MIN, BATCH_MAX = 1, 100

_PUID = re.compile(r"[a-zA-Z0-9\-_]+")  # 'regex:/^[a-zA-Z0-9-_]+$/D': D, so no trailing newline (fullmatch)
_EAN13 = re.compile(r"[0-9]{13}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

_OTHER_VISIBILITY = "DECISION_VISIBILITY_OTHER"
_OTHER_MONETARY = "DECISION_MONETARY_OTHER"
_OTHER_CONTENT = "CONTENT_TYPE_OTHER"
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
RESTRICTIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")


@dataclass(frozen=True)
class Problem:
    """One refusal: the statement's field and why, in the database's words where it has them."""

    field: str
    reason: str


def problems(statement: Mapping[str, Any]) -> list[Problem]:
    """Every rule *statement* breaks; an empty list means the database accepts it."""
    s = statement
    found: list[Problem] = []

    def say(name: str, reason: str) -> None:
        found.append(Problem(name, reason))

    # decision_visibility / _monetary / _provision / _account: 'required_without_all:<the other three>'
    if not any(_filled(s, name) for name in RESTRICTIONS):
        say("decision_visibility", "one of decision_visibility, decision_monetary, decision_provision and "
            "decision_account is required (required_without_all)")
    _array_in(s, "decision_visibility", enums.DECISION_VISIBILITIES, nullable=True, say=say)
    visibility = s.get("decision_visibility")
    # decision_visibility_other: Rule::requiredIf / excludeIf (DECISION_VISIBILITY_OTHER in decision_visibility)
    if isinstance(visibility, list) and _OTHER_VISIBILITY in visibility:
        _required(s, "decision_visibility_other", say, "when decision_visibility holds DECISION_VISIBILITY_OTHER")
        _max(s, "decision_visibility_other", 500, say)
    _scalar_in(s, "decision_monetary", enums.DECISION_MONETARIES, nullable=True, say=say)
    # decision_monetary_other: 'required_if:decision_monetary,DECISION_MONETARY_OTHER', 'exclude_unless:…', 'max:500'
    if s.get("decision_monetary") == _OTHER_MONETARY:
        _required(s, "decision_monetary_other", say, "when decision_monetary is DECISION_MONETARY_OTHER")
        _max(s, "decision_monetary_other", 500, say)
    _scalar_in(s, "decision_provision", enums.DECISION_PROVISIONS, nullable=True, say=say)
    _scalar_in(s, "decision_account", enums.DECISION_ACCOUNTS, nullable=True, say=say)
    _scalar_in(s, "account_type", enums.ACCOUNT_TYPES, nullable=True, say=say)  # 'in:null,…', 'nullable'
    _array_in(s, "category_specification", enums.KEYWORDS, nullable=True, say=say)
    _max(s, "category_specification_other", 500, say)

    # decision_ground: 'required', 'in:…'
    if _required(s, "decision_ground", say):
        _scalar_in(s, "decision_ground", enums.DECISION_GROUNDS, nullable=False, say=say, null_word=False)
    _url(s, "decision_ground_reference_url", say)  # 'url', 'nullable', 'max:500'
    ground = s.get("decision_ground")
    if ground == ILLEGAL:  # 'required_if:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT', 'exclude_unless:…'
        for name, limit in (("illegal_content_legal_ground", 500), ("illegal_content_explanation", 2000)):
            _required(s, name, say, "when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT")
            _max(s, name, limit, say)
    if ground == INCOMPATIBLE:  # 'required_if:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT', 'exclude_unless:…'
        for name, limit in (("incompatible_content_ground", 500), ("incompatible_content_explanation", 2000)):
            _required(s, name, say, "when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT")
            _max(s, name, limit, say)
        # incompatible_content_illegal: 'in:Yes,No' (not nullable: a null present is refused)
        _scalar_in(s, "incompatible_content_illegal", enums.INCOMPATIBLE_CONTENT_ILLEGALS, nullable=False, say=say,
                   null_word=False)

    # content_type: 'array', 'required', 'in:…'
    if _required(s, "content_type", say):
        _array_in(s, "content_type", enums.CONTENT_TYPES, nullable=False, say=say, null_word=False)
    content = s.get("content_type")
    if isinstance(content, list) and _OTHER_CONTENT in content:  # content_type_other: requiredIf / excludeIf
        _required(s, "content_type_other", say, "when content_type holds CONTENT_TYPE_OTHER")
        _max(s, "content_type_other", 500, say)

    # category: 'required', 'in:…'; category_addition: 'array', 'in:…' (not nullable)
    if _required(s, "category", say):
        _scalar_in(s, "category", enums.STATEMENT_CATEGORIES, nullable=False, say=say, null_word=False)
    _array_in(s, "category_addition", enums.STATEMENT_CATEGORIES, nullable=False, say=say, null_word=False)
    # territorial_scope: 'array', 'nullable', 'in:<EUROPEAN_COUNTRY_CODES>'
    _array_in(s, "territorial_scope", enums.EUROPEAN_COUNTRY_CODES, nullable=True, say=say, null_word=False)
    # content_language: 'in:<ALL_LANGUAGES keys>', 'nullable'
    _scalar_in(s, "content_language", enums.ALL_LANGUAGES, nullable=True, say=say, null_word=False)

    # content_date: 'required', 'date_format:Y-m-d', 'after_or_equal:2000-01-01', 'before_or_equal:2038-01-01'
    _date(s, "content_date", say, required=True, earliest="2000-01-01")
    # application_date: the same from 2020-01-01
    _date(s, "application_date", say, required=True, earliest="2020-01-01")
    for name in ("end_date_account_restriction", "end_date_monetary_restriction", "end_date_service_restriction",
                 "end_date_visibility_restriction"):  # 'date_format:Y-m-d', 'nullable', 'before_or_equal:2038-01-01'
        _date(s, name, say, required=False, earliest=None)

    if _required(s, "decision_facts", say):  # 'required', 'max:5000'
        _max(s, "decision_facts", 5000, say)
    if _required(s, "source_type", say):  # 'required', 'in:…'
        _scalar_in(s, "source_type", enums.SOURCE_TYPES, nullable=False, say=say, null_word=False)
    _max(s, "source_identity", 500, say)  # 'max:500', 'nullable'
    if _required(s, "automated_detection", say):  # 'required', 'in:Yes,No'
        _scalar_in(s, "automated_detection", enums.AUTOMATED_DETECTIONS, nullable=False, say=say, null_word=False)
    if _required(s, "automated_decision", say):  # 'required', 'in:…'
        _scalar_in(s, "automated_decision", enums.AUTOMATED_DECISIONS, nullable=False, say=say, null_word=False)
    if _required(s, "puid", say):  # 'required', 'max:500', 'regex:/^[a-zA-Z0-9-_]+$/D'
        _max(s, "puid", 500, say)
        if not isinstance(s["puid"], str) or not _PUID.fullmatch(s["puid"]):
            say("puid", "The puid format is invalid.")
    _content_id(s, say)
    return found


def batch_problems(statements: list[Any]) -> list[Problem]:
    """What the batch endpoint refuses before looking at any statement: 'required|array|between:1,100'."""
    if not BATCH_MIN <= len(statements) <= BATCH_MAX:
        return [Problem("statements", f"a batch holds {BATCH_MIN} to {BATCH_MAX} statements, not {len(statements)}")]
    return []


# ----------------------------------------------------------------- the rules
def _filled(s: Mapping[str, Any], name: str) -> bool:
    """Laravel's "required" test: present, not null, not a blank string, not an empty array."""
    value = s.get(name)
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list | dict):
        return len(value) > 0
    return True


def _required(s: Mapping[str, Any], name: str, say: Any, when: str = "") -> bool:
    if _filled(s, name):
        return True
    say(name, f"The {name.replace('_', ' ')} field is required{' ' + when if when else ''}.")
    return False


def _checked(s: Mapping[str, Any], name: str, nullable: bool) -> bool:
    """Whether the field's non-required rules run: present, and not a null the field allows."""
    return name in s and not (nullable and s[name] is None)


def _scalar_in(s: Mapping[str, Any], name: str, allowed: Collection[str], *, nullable: bool, say: Any,
               null_word: bool = True) -> None:
    """'in:…' ('in:null,…' when *null_word*: the string "null" is one of the allowed values)."""
    if not _checked(s, name, nullable):
        return
    value = s[name]
    if isinstance(value, list | dict) or not (_text(value) in allowed or (null_word and _text(value) == "null")):
        say(name, f"The selected {name.replace('_', ' ')} is invalid ({value!r}).")


def _array_in(s: Mapping[str, Any], name: str, allowed: Collection[str], *, nullable: bool, say: Any,
              null_word: bool = True) -> None:
    """'array' and 'in:…' on every element."""
    if not _checked(s, name, nullable):
        return
    value = s[name]
    if not isinstance(value, list):
        say(name, f"The {name.replace('_', ' ')} field must be an array.")
        return
    wrong = [v for v in value if isinstance(v, list | dict)
             or not (_text(v) in allowed or (null_word and _text(v) == "null"))]
    if wrong:
        say(name, f"The selected {name.replace('_', ' ')} is invalid ({', '.join(map(repr, wrong))}).")


def _max(s: Mapping[str, Any], name: str, limit: int, say: Any) -> None:
    """'max:N': characters of a string (mb_strlen), elements of an array."""
    value = s.get(name)
    if value is None:
        return
    size = len(value) if isinstance(value, list | dict | str) else len(_text(value))
    if size > limit:
        unit = "items" if isinstance(value, list | dict) else "characters"
        say(name, f"The {name.replace('_', ' ')} field must not be greater than {limit} {unit} (it has {size}).")


def _url(s: Mapping[str, Any], name: str, say: Any) -> None:
    """'url', 'nullable', 'max:500'. Laravel's url rule accepts any well-formed URL; this accepts http(s) ones
    with a host and no spaces, a subset of it, so nothing refused there passes here."""
    if not _checked(s, name, True):
        return
    value = s[name]
    _max(s, name, 500, say)
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        say(name, f"The {name.replace('_', ' ')} field must be a valid URL.")


def _date(s: Mapping[str, Any], name: str, say: Any, *, required: bool, earliest: str | None) -> None:
    """'date_format:Y-m-d' (a real date, four-digit year), 'after_or_equal', 'before_or_equal:2038-01-01'."""
    if required and not _required(s, name, say):
        return
    if not _checked(s, name, not required):
        return
    value = s[name]
    words = name.replace("_", " ")
    try:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise ValueError
        day = _dt.date.fromisoformat(value)
    except ValueError:
        say(name, f"The {words} does not match the format YYYY-MM-DD.")
        return
    if earliest is not None and day < _dt.date.fromisoformat(earliest):
        say(name, f"The {words} field must be a date after or equal to {earliest}.")
    if day > _dt.date(2038, 1, 1):
        say(name, f"The {words} field must be a date before or equal to 2038-01-01.")


def _content_id(s: Mapping[str, Any], say: Any) -> None:
    """'content_id' => ['array', 'nullable'], 'content_id.EAN-13' => ['string', 'regex:/^[0-9]{13}$/']."""
    if not _checked(s, "content_id", True):
        return
    value = s["content_id"]
    if not isinstance(value, dict | list):
        say("content_id", "The content id field must be an array.")
        return
    if isinstance(value, dict) and "EAN-13" in value:
        ean = value["EAN-13"]
        if not isinstance(ean, str) or not _EAN13.fullmatch(ean):
            say("content_id.EAN-13", "The content id.EAN-13 field format is invalid.")


def _text(value: Any) -> str:
    """PHP's string cast of a scalar, as ``in:`` compares it (true is "1", false and null are "")."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)
