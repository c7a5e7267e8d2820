"""Issue 21 §1, §2, §5: statements of reasons built from the mapping, checked twice, and nothing personal in them.

The second check is independent of ``audit.compliance.rules``: it interprets the
database's own Laravel rule strings, copied again by hand from
``GroupedSubmissionsService::multi_rules`` (digital-services-act/transparency-database
at 69e80a0bc8eb3cbfbe8246e898194c3bdf490a4b), with the enumerations spelled out
from ``app/Models/Statement.php`` and the two services. A statement passes only
when both agree it passes.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from builders import decided_item, events, people

from audit.compliance import export, mapping, puid, rules, statements
from audit.store import statements as statement_rows
from desktop import demo as demo_workspace
from desktop.demo import statements as demo_statements
from review.errors import NotAllowed

# ------------------------------------------------------------ the independent validator
CATEGORIES = ("ANIMAL_WELFARE CONSUMER_INFORMATION CYBER_VIOLENCE CYBER_VIOLENCE_AGAINST_WOMEN "
              "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS ILLEGAL_OR_HARMFUL_SPEECH INTELLECTUAL_PROPERTY_INFRINGEMENTS "
              "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS NOT_SPECIFIED_NOTICE OTHER_VIOLATION_TC "
              "PROTECTION_OF_MINORS RISK_FOR_PUBLIC_SECURITY SCAMS_AND_FRAUD SELF_HARM UNSAFE_AND_PROHIBITED_PRODUCTS "
              "VIOLENCE")
KEYWORDS = (
    "ADULT_SEXUAL_MATERIAL AGE_SPECIFIC_RESTRICTIONS AGE_SPECIFIC_RESTRICTIONS_MINORS ANIMAL_HARM "
    "BIOMETRIC_DATA_BREACH BULLYING_AGAINST_GIRLS CHILD_SEXUAL_ABUSE_MATERIAL "
    "CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE CONTENT_PROMOTING_EATING_DISORDERS COORDINATED_HARM "
    "COPYRIGHT_INFRINGEMENT CYBER_BULLYING_INTIMIDATION CYBER_HARASSMENT CYBER_HARASSMENT_AGAINST_WOMEN "
    "CYBER_INCITEMENT CYBER_STALKING CYBER_STALKING_AGAINST_WOMEN DATA_FALSIFICATION DEFAMATION "
    "DESIGN_INFRINGEMENT DISCRIMINATION FEMALE_GENDERED_DISINFORMATION "
    "GEOGRAPHIC_INDICATIONS_INFRINGEMENT GEOGRAPHICAL_REQUIREMENTS GOODS_SERVICES_NOT_PERMITTED "
    "GROOMING_SEXUAL_ENTICEMENT_MINORS HATE_SPEECH HIDDEN_ADVERTISEMENT HUMAN_EXPLOITATION "
    "HUMAN_TRAFFICKING ILLEGAL_ORGANIZATIONS IMPERSONATION_ACCOUNT_HIJACKING INAUTHENTIC_ACCOUNTS "
    "INAUTHENTIC_LISTINGS INAUTHENTIC_USER_REVIEWS INCITEMENT_AGAINST_WOMEN INCITEMENT_VIOLENCE_HATRED "
    "INSUFFICIENT_INFORMATION_ON_TRADERS LANGUAGE_REQUIREMENTS MISINFORMATION_DISINFORMATION "
    "MISLEADING_INFO_CONSUMER_RIGHTS MISLEADING_INFO_GOODS_SERVICES MISSING_PROCESSING_GROUND "
    "NON_CONSENSUAL_IMAGE_SHARING NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN "
    "NON_CONSENSUAL_MATERIAL_DEEPFAKE NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN "
    "NONCOMPLIANCE_PRICING NUDITY PATENT_INFRINGEMENT PHISHING PROHIBITED_PRODUCTS PYRAMID_SCHEMES "
    "RIGHT_TO_BE_FORGOTTEN RISK_ENVIRONMENTAL_DAMAGE RISK_PUBLIC_HEALTH SELF_MUTILATION STALKING SUICIDE "
    "TERRORIST_CONTENT TRADE_SECRET_INFRINGEMENT TRADEMARK_INFRINGEMENT TRAFFICKING_WOMEN_GIRLS "
    "UNLAWFUL_SALE_ANIMALS UNSAFE_CHALLENGES UNSAFE_PRODUCTS VIOLATION_EU_LAW VIOLATION_NATIONAL_LAW "
    "OTHER ")
LANGUAGES = (
    "AB AA AF AK SQ AM AR AN HY AS AV AE AY AZ BM BA EU BE BN BH BI BS BR BG MY CA KM CH CE NY ZH CU CV "
    "KW CO CR HR CS DA DV NL DZ EN EO ET EE FO FJ FI FR FF GD GL LG KA DE KI EL KL GN GU HT HA HE HZ HI "
    "HO HU IS IO IG ID IA IE IU IK GA IT JA JV KN KR KS KK RW KV KG KO KJ KU KY LO LA LV LB LI LN LT LU "
    "MK MG MS ML MT GV MI MR MH RO MN NA NV ND NG NE SE NO NB NN II OC OJ OR OM OS PI PA PS FA PL PT QU "
    "RM RN RU SM SG SA SC SR SN SD SI SK SL SO ST NR ES SU SW SS SV TL TY TG TA TT TE TH BO TI TO TS TN "
    "TR TK TW UG UK UR UZ VE VI VO WA CY FY WO XH YI YO ZA ZU ")
COUNTRIES = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"


def _in(prefix: str, words: str, null: bool = False) -> str:
    return ("in:null," if null else "in:") + ",".join(prefix + w for w in words.split())


VIS = _in("DECISION_VISIBILITY_", "CONTENT_REMOVED CONTENT_DISABLED CONTENT_DEMOTED CONTENT_AGE_RESTRICTED "
          "CONTENT_INTERACTION_RESTRICTED CONTENT_LABELLED OTHER", null=True)
#: multi_rules(), rule strings as the PHP writes them (Rule::requiredIf/excludeIf written as their conditions).
MULTI_RULES: dict[str, str] = {
    "decision_visibility": f"array|{VIS}|required_without_all:decision_monetary,decision_provision,decision_account"
                           "|nullable",
    "decision_visibility_other": "max:500|required_if_in:decision_visibility,DECISION_VISIBILITY_OTHER"
                                 "|exclude_unless_in:decision_visibility,DECISION_VISIBILITY_OTHER",
    "decision_monetary": _in("DECISION_MONETARY_", "SUSPENSION TERMINATION OTHER", null=True)
                         + "|required_without_all:decision_visibility,decision_provision,decision_account|nullable",
    "decision_monetary_other": "required_if:decision_monetary,DECISION_MONETARY_OTHER"
                               "|exclude_unless:decision_monetary,DECISION_MONETARY_OTHER|max:500",
    "decision_provision": _in("DECISION_PROVISION_", "PARTIAL_SUSPENSION TOTAL_SUSPENSION PARTIAL_TERMINATION "
                              "TOTAL_TERMINATION", null=True)
                          + "|required_without_all:decision_visibility,decision_monetary,decision_account|nullable",
    "decision_account": _in("DECISION_ACCOUNT_", "SUSPENDED TERMINATED", null=True)
                        + "|required_without_all:decision_visibility,decision_monetary,decision_provision|nullable",
    "account_type": _in("ACCOUNT_TYPE_", "BUSINESS PRIVATE", null=True) + "|nullable",
    "category_specification": "array|" + _in("KEYWORD_", KEYWORDS, null=True) + "|nullable",
    "category_specification_other": "max:500",
    "decision_ground": "required|" + _in("DECISION_GROUND_", "ILLEGAL_CONTENT INCOMPATIBLE_CONTENT"),
    "decision_ground_reference_url": "url|nullable|max:500",
    "illegal_content_legal_ground": "required_if:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT"
                                    "|exclude_unless:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT|max:500",
    "illegal_content_explanation": "required_if:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT"
                                   "|exclude_unless:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT|max:2000",
    "incompatible_content_ground": "required_if:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT"
                                   "|exclude_unless:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT|max:500",
    "incompatible_content_explanation": "required_if:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT"
                                        "|exclude_unless:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT|max:2000",
    "incompatible_content_illegal": "in:Yes,No|exclude_unless:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "content_type": "array|required|"
                    + _in("CONTENT_TYPE_", "APP AUDIO IMAGE PRODUCT SYNTHETIC_MEDIA TEXT VIDEO OTHER"),
    "content_type_other": "max:500|required_if_in:content_type,CONTENT_TYPE_OTHER"
                          "|exclude_unless_in:content_type,CONTENT_TYPE_OTHER",
    "category": "required|" + _in("STATEMENT_CATEGORY_", CATEGORIES),
    "category_addition": "array|" + _in("STATEMENT_CATEGORY_", CATEGORIES),
    "territorial_scope": "array|nullable|" + _in("", COUNTRIES),
    "content_language": _in("", LANGUAGES) + "|nullable",
    "content_date": "required|date_format:Y-m-d|after_or_equal:2000-01-01|before_or_equal:2038-01-01",
    "application_date": "required|date_format:Y-m-d|after_or_equal:2020-01-01|before_or_equal:2038-01-01",
    "end_date_account_restriction": "date_format:Y-m-d|nullable|before_or_equal:2038-01-01",
    "end_date_monetary_restriction": "date_format:Y-m-d|nullable|before_or_equal:2038-01-01",
    "end_date_service_restriction": "date_format:Y-m-d|nullable|before_or_equal:2038-01-01",
    "end_date_visibility_restriction": "date_format:Y-m-d|nullable|before_or_equal:2038-01-01",
    "decision_facts": "required|max:5000",
    "source_type": "required|" + _in("SOURCE_", "ARTICLE_16 TRUSTED_FLAGGER TYPE_OTHER_NOTIFICATION VOLUNTARY"),
    "source_identity": "max:500|nullable",
    "automated_detection": "required|in:Yes,No",
    "automated_decision": "required|" + _in("AUTOMATED_DECISION_", "FULLY PARTIALLY NOT_AUTOMATED"),
    "puid": "required|max:500|regex:^[a-zA-Z0-9-_]+$",
    "content_id": "array|nullable",
}


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def laravel_errors(statement: dict) -> list[str]:
    """The fields Laravel's validator would reject in *statement* under :data:`MULTI_RULES`."""
    bad: list[str] = []
    unknown = set(statement) - set(MULTI_RULES)
    bad += sorted(f"{name} (not a field)" for name in unknown)
    for name, spec in MULTI_RULES.items():
        parts = [p.partition(":") for p in spec.split("|")]
        value, present = statement.get(name), name in statement
        skip = False
        for rule, _, arg in parts:
            other, _, want = arg.partition(",")
            if rule == "exclude_unless" and statement.get(other) != want:
                skip = True
            if rule == "exclude_unless_in" and want not in (statement.get(other) or []):
                skip = True
        if skip:
            continue
        required = False
        for rule, _, arg in parts:
            other, _, want = arg.partition(",")
            required |= rule == "required"
            required |= rule == "required_if" and statement.get(other) == want
            required |= rule == "required_if_in" and want in (statement.get(other) or [])
            required |= rule == "required_without_all" and all(_blank(statement.get(o)) for o in arg.split(","))
        if required and _blank(value):
            bad.append(f"{name} (required)")
            continue
        if not present or (value is None and "nullable" in spec.split("|")):
            continue
        for rule, _, arg in parts:
            if rule == "array" and not isinstance(value, (list, dict)):
                bad.append(f"{name} (array)")
            elif rule == "in":
                allowed = set(arg.split(","))
                values = value if isinstance(value, list) else [value]
                if any(not isinstance(v, str) or v not in allowed for v in values):
                    bad.append(f"{name} (in)")
            elif rule == "max" and len(value) > int(arg):
                bad.append(f"{name} (max)")
            elif rule == "regex" and not (isinstance(value, str) and re.fullmatch(arg[1:-1], value)):
                bad.append(f"{name} (regex)")
            elif rule == "url" and not re.fullmatch(r"https?://[^\s/]+\.[^\s/]+(/\S*)?", str(value)):
                bad.append(f"{name} (url)")
            elif rule == "date_format":
                try:
                    day = dt.datetime.strptime(value, "%Y-%m-%d").date()
                    assert len(value) == 10
                except (TypeError, ValueError, AssertionError):
                    bad.append(f"{name} (date_format)")
                    break
            elif rule in ("after_or_equal", "before_or_equal"):
                limit = dt.date.fromisoformat(arg)
                if (day < limit) if rule == "after_or_equal" else (day > limit):
                    bad.append(f"{name} ({rule})")
    return bad


def test_the_independent_validator_refuses_what_the_database_refuses():
    good = {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"], "decision_ground":
            "DECISION_GROUND_INCOMPATIBLE_CONTENT", "incompatible_content_ground": "ToS 3",
            "incompatible_content_explanation": "why", "content_type": ["CONTENT_TYPE_TEXT"],
            "category": "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "content_date": "2026-01-01",
            "application_date": "2026-01-02", "decision_facts": "facts", "source_type": "SOURCE_VOLUNTARY",
            "automated_detection": "No", "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED", "puid": "a-1_B"}
    assert laravel_errors(good) == [] and rules.problems(good) == []
    for change, field in [({"decision_visibility": None}, "decision_visibility"),
                          ({"puid": "a b"}, "puid"), ({"puid": "x\n"}, "puid"),
                          ({"application_date": "2019-12-31"}, "application_date"),
                          ({"content_date": "2026-02-30"}, "content_date"),
                          ({"content_date": "26-01-01"}, "content_date"),
                          ({"decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT"}, "illegal_content_legal_ground"),
                          ({"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other"),
                          ({"decision_visibility": ["DECISION_VISIBILITY_OTHER"]}, "decision_visibility_other"),
                          ({"category": "Scams and/or fraud"}, "category"),
                          ({"territorial_scope": ["UK"]}, "territorial_scope"),
                          ({"content_language": "en"}, "content_language"),
                          ({"decision_facts": "x" * 5001}, "decision_facts"),
                          ({"incompatible_content_illegal": "Maybe"}, "incompatible_content_illegal"),
                          ({"decision_ground_reference_url": "not a url"}, "decision_ground_reference_url")]:
        statement = {**good, **change}
        assert any(e.startswith(field) for e in laravel_errors(statement)), change
        assert field in {p.field for p in rules.problems(statement)}, change
    # the other-ground fields are excluded, not checked; a monetary restriction alone satisfies required_without_all
    fine = {**good, "illegal_content_legal_ground": "x" * 900, "decision_visibility": None,
            "decision_monetary": "DECISION_MONETARY_SUSPENSION"}
    assert laravel_errors(fine) == [] and rules.problems(fine) == []


# ------------------------------------------------------------ the demo's statements
@pytest.fixture
def demo(store, tmp_path):
    summary, _ = demo_workspace.create(store, tmp_path / "media", items=120, seed=7)
    demo_statements.install(store)
    return store


RESTRICTING = {"remove", "age_restrict", "label_only"}


def test_every_demo_statement_is_accepted_by_both_validators_one_per_restricting_decision(demo, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    summary = export.export(demo, "lee", "2020-01-01", "2037-12-31", out)
    assert summary.refused == [] and summary.already_exported == 0
    sent = [s for f in summary.files for s in json.loads(open(f, encoding="utf-8").read())["statements"]]
    assert all(len(json.loads(open(f, encoding="utf-8").read())["statements"]) <= rules.BATCH_MAX
               for f in summary.files)
    for statement in sent:
        assert laravel_errors(statement) == [], statement
        assert rules.problems(statement) == [], statement
    live = statement_rows.decisions_between(demo, "2000-01-01T00:00:00", "2100-01-01T00:00:00")
    restricting = {f.id for f in live if f.action in RESTRICTING}
    assert restricting and {int(s["puid"].rsplit("-", 1)[1]) for s in sent} == restricting
    assert len(sent) == summary.statements == len(restricting)
    assert any(f.action not in RESTRICTING for f in live)  # and those have none


def test_nothing_personal_reaches_a_statement(demo, tmp_path):
    demo.db.execute("SELECT 1")
    live = statement_rows.decisions_between(demo, "2000-01-01T00:00:00", "2100-01-01T00:00:00")
    names = {r[0] for r in demo.db.execute("SELECT name FROM users")} | {
        r[0] for r in demo.db.execute("SELECT display_name FROM users WHERE display_name IS NOT NULL")}
    notes = {r[0] for r in demo.db.execute("SELECT note FROM decisions WHERE note != ''")}
    authors = {json.loads(r[0]).get(k) for r in demo.db.execute("SELECT metadata FROM items")
               for k in ("author", "seller")} - {None}
    assert notes and authors
    for facts in live:
        statement = statements.build(demo, facts)
        if statement is None:
            continue
        text = json.dumps(statement, ensure_ascii=False) + statements.text_for_user(statement)
        for secret in names | notes | authors:
            assert not re.search(rf"\b{re.escape(secret)}\b", text), (secret, statement)
        assert "source_identity" not in statement


def test_a_second_export_adds_nothing_and_again_writes_it_all(demo, tmp_path):
    first = export.export(demo, "lee", "2020-01-01", "2037-12-31", tmp_path)
    second = export.export(demo, "lee", "2020-01-01", "2037-12-31", tmp_path)
    assert first.statements > 0 and second.files == [] and second.statements == 0
    assert second.already_exported == first.statements
    again = export.export(demo, "lee", "2020-01-01", "2037-12-31", tmp_path, again=True)
    assert again.statements == first.statements and again.already_exported == 0
    stored = demo.db.execute("SELECT COUNT(*), COUNT(DISTINCT puid) FROM dsa_statements").fetchone()
    assert tuple(stored) == (first.statements, first.statements)
    logged = events(demo, "statements.exported")
    assert [e.payload["statements"] for e in logged] == [first.statements, 0, first.statements]
    assert not list(tmp_path.glob("*.partial"))


def test_puids_are_stable_unique_and_of_the_database_pattern(demo, tmp_path):
    live = statement_rows.decisions_between(demo, "2000-01-01T00:00:00", "2100-01-01T00:00:00")
    made = [puid.make(statement_rows.workspace_token(demo), f.id) for f in live]
    assert made == [puid.make(statement_rows.workspace_token(demo), f.id) for f in live]  # stable
    assert len(set(made)) == len(made)  # unique
    assert all(re.fullmatch(r"[a-zA-Z0-9\-_]+", p) and len(p) <= 500 for p in made)
    other = puid.make("ffffffffffff" + "0" * 52, live[0].id)
    assert other != made[0]  # another workspace, another puid for the same decision id


def _one(store, action="remove", labels=("spam",), **metadata):
    people(store, ana="moderator", lee="lead")
    queue = store.add_queue("posts")
    return decided_item(store, queue, "ana", decided_at="2026-01-04T10:00:00Z", action=action, labels=labels,
                        note="ana thinks user_123 is a spammer", metadata={"source": "user report", **metadata})


def test_an_unmapped_label_is_refused_with_the_entry_to_fix(store, tmp_path):
    decision = _one(store, labels=("hate_speech",))
    value = json.loads(json.dumps(demo_statements.DEMO_MAPPING))
    del value["labels"]["hate_speech"]
    mapping.save(store, "lee", value)
    checked = export.check_period(store, "lee", "2026-01-04", "2026-01-04")
    assert checked.accepted == [] and checked.restricting == 1
    assert {(r.decision_id, r.field, r.entry) for r in checked.refused} >= {
        (decision, "category", "labels.hate_speech"), (decision, "decision_facts", "labels.hate_speech")}
    text = statements.statement_preview(store, "ana", store.db.execute(
        "SELECT item_id FROM decisions WHERE id = ?", [decision]).fetchone()[0], "remove", ["hate_speech"])
    assert text is not None and "fix labels.hate_speech" in text


def test_the_preview_says_what_the_person_receives_and_nothing_for_no_restriction(store):
    decision = _one(store)
    mapping.save(store, "lee", demo_statements.DEMO_MAPPING)
    item_id = store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [decision]).fetchone()[0]
    text = statements.statement_preview(store, "ana", item_id, "remove", ["spam"])
    assert text is not None and "Removal of content" in text and "Community Guidelines, Spam §9" in text
    assert "Art. 20" in text and "refuse" not in text and "ana" not in text
    assert statements.statement_preview(store, "ana", item_id, "no_violation", []) is None


def test_the_mapping_is_a_lead_setting_with_one_event_holding_old_and_new(store):
    people(store, ana="moderator", lee="lead")
    with pytest.raises(NotAllowed):
        mapping.save(store, "ana", demo_statements.DEMO_MAPPING)
    mapping.save(store, "lee", demo_statements.DEMO_MAPPING)
    changed = [e for e in events(store) if e.subject.endswith("statements.mapping")]
    assert len(changed) == 1 and changed[0].actor == "lee"
    assert changed[0].payload == {"old": None, "value": demo_statements.DEMO_MAPPING}
    assert mapping.current(store) == demo_statements.DEMO_MAPPING
    edited = json.loads(json.dumps(demo_statements.DEMO_MAPPING))
    edited["platform"]["content_language"] = "DE"
    mapping.save(store, "lee", edited)
    changed = [e for e in events(store) if e.subject.endswith("statements.mapping")]
    assert changed[-1].payload == {"old": demo_statements.DEMO_MAPPING, "value": edited}


def test_a_mapping_file_is_checked_with_file_and_line(tmp_path):
    good = tmp_path / "m.toml"
    mapping.write_file(demo_statements.DEMO_MAPPING, good)
    assert mapping.read_file(good) == demo_statements.DEMO_MAPPING
    as_json = tmp_path / "m.json"
    mapping.write_file(demo_statements.DEMO_MAPPING, as_json)
    assert mapping.read_file(as_json) == demo_statements.DEMO_MAPPING
    text = good.read_text(encoding="utf-8").replace('"STATEMENT_CATEGORY_VIOLENCE"', '"VIOLENCE"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    line = 1 + text.splitlines().index('category = "VIOLENCE"')
    with pytest.raises(mapping.MappingError, match=rf"bad.toml:{line}: labels.violent_graphic.category"):
        mapping.read_file(bad)
    bad.write_text("[labels.spam\n", encoding="utf-8")
    with pytest.raises(mapping.MappingError, match=r"bad.toml:1: "):
        mapping.read_file(bad)
    bad.write_text(text.replace("{content}", "{reviewer}", 1), encoding="utf-8")
    with pytest.raises(mapping.MappingError, match=r"\{reviewer\} is not a placeholder"):
        mapping.read_file(bad)


def test_refused_counts_statements_not_their_problems(store, tmp_path):
    """One decision whose label is unmapped has several refused fields: it is one refused statement."""
    decision = _one(store, labels=("hate_speech",))
    value = json.loads(json.dumps(demo_statements.DEMO_MAPPING))
    del value["labels"]["hate_speech"]
    mapping.save(store, "lee", value)
    summary = export.export(store, "lee", "2026-01-04", "2026-01-04", tmp_path)
    assert len(summary.refused) > 1 and {r.decision_id for r in summary.refused} == {decision}
    assert summary.as_json()["refused"] == 1 and len(summary.as_json()["refusals"]) == len(summary.refused)


def test_a_missing_out_folder_is_made_for_its_owner_alone(store, tmp_path):
    _one(store)
    mapping.save(store, "lee", demo_statements.DEMO_MAPPING)
    out = tmp_path / "new" / "statements"
    summary = export.export(store, "lee", "2026-01-04", "2026-01-04", out)
    assert summary.statements == 1 and len(list(out.glob("*.json"))) == 1
    assert out.stat().st_mode & 0o777 == 0o700
    afile = tmp_path / "a-file"
    afile.write_text("")
    with pytest.raises(export.StatementsError, match="not a folder"):
        export.export(store, "lee", "2026-01-04", "2026-01-04", afile)
