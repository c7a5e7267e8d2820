"""The demo workspace's DSA statement mapping: every label, action, item kind and report source mapped.

So a new user sees statements of reasons at once (Statements page, ``veil
statements export``). The grounds name a fictional platform's terms; a real
team writes its own (docs/statements.md).
"""

from __future__ import annotations

from typing import Any

from audit.compliance import enums, mapping
from desktop.demo.team import LEAD
from review.store import Store

_TERMS = "https://example.org/community-guidelines"
_FACTS = ("The {content} was reported to us and reviewed against our rules. We found that it breaks our "
          "{label} rule and applied this measure: {action}, on {date}.")
_WHY = "The {content} falls under {label}, which {ground} does not allow on the service."


def _terms(category: str, keywords: list[str], section: str, *, illegal: str = "No") -> dict[str, Any]:
    return {"category": category, "category_specification": keywords,
            "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
            "ground": f"Community Guidelines, {section}", "reference_url": f"{_TERMS}#{section.split()[0].lower()}",
            "content_illegal": illegal, "facts": _FACTS, "explanation": _WHY}


DEMO_MAPPING: dict[str, Any] = {
    "platform": {"territorial_scope": list(enums.EUROPEAN_COUNTRY_CODES), "content_language": "EN"},
    "labels": {
        "harassment": _terms("STATEMENT_CATEGORY_CYBER_VIOLENCE", ["KEYWORD_CYBER_HARASSMENT"], "Harassment §3"),
        "hate_speech": _terms("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", ["KEYWORD_HATE_SPEECH"],
                              "Hate §4", illegal="Yes"),
        "violent_graphic": _terms("STATEMENT_CATEGORY_VIOLENCE", ["KEYWORD_INCITEMENT_VIOLENCE_HATRED"],
                                  "Violence §5"),
        "self_harm": _terms("STATEMENT_CATEGORY_SELF_HARM", ["KEYWORD_SELF_MUTILATION", "KEYWORD_SUICIDE"],
                            "Self-harm §6"),
        "adult_nudity": _terms("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", ["KEYWORD_ADULT_SEXUAL_MATERIAL"],
                               "Nudity §7"),
        "child_safety": {
            "category": "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
            "category_specification": ["KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL"],
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "ground": "Directive 2011/93/EU on combating the sexual abuse and sexual exploitation of children, "
                      "Art. 5, as transposed into national law",
            "reference_url": "https://eur-lex.europa.eu/eli/dir/2011/93/oj",
            "facts": _FACTS, "explanation": "The {content} is child sexual abuse material, illegal under {ground}.",
        },
        "spam": _terms("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", ["KEYWORD_INAUTHENTIC_ACCOUNTS"], "Spam §9"),
        "scam_fraud": _terms("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", ["KEYWORD_PHISHING"], "Fraud §10"),
        "counterfeit_ip": _terms("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
                                 ["KEYWORD_TRADEMARK_INFRINGEMENT"], "Counterfeits §11"),
    },
    "actions": {
        "no_violation": {}, "escalate": {},
        "remove": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
        "age_restrict": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"]},
        "label_only": {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"]},
    },
    "kinds": {"text": {"content_type": ["CONTENT_TYPE_TEXT"]}, "image": {"content_type": ["CONTENT_TYPE_IMAGE"]},
              "video": {"content_type": ["CONTENT_TYPE_VIDEO"]},
              "mixed": {"content_type": ["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_TEXT"]}},
    "sources": {
        "user report": {"source_type": "SOURCE_ARTICLE_16", "automated_detection": "No"},
        "trusted flagger": {"source_type": "SOURCE_TRUSTED_FLAGGER", "automated_detection": "No"},
        "classifier": {"source_type": "SOURCE_VOLUNTARY", "automated_detection": "Yes"},
        mapping.DEFAULT_SOURCE: {"source_type": "SOURCE_TYPE_OTHER_NOTIFICATION", "automated_detection": "No"},
    },
    "deciders": {"person": "AUTOMATED_DECISION_NOT_AUTOMATED", "rule": "AUTOMATED_DECISION_FULLY"},
}


def install(store: Store) -> None:
    """Store the demo mapping as set by the demo's lead (one ``setting.changed`` event, like a lead's)."""
    mapping.save(store, LEAD, DEMO_MAPPING)
