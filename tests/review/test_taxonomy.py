"""The policy taxonomy: the bundled default, decision rules, and errors a lead can act on."""

from __future__ import annotations

import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review import taxonomy
from review.taxonomy import (
    SEVERITIES,
    Action,
    Label,
    Taxonomy,
    TaxonomyError,
    load,
    loads,
)

# A small valid file. Tests below edit single lines of it, so the expected
# line of each error is simply the line that was edited.
VALID = """\
version = 1

[[actions]]
id = "remove"
name = "Remove"
key = "R"
requires_label = true

[[actions]]
id = "escalate"
name = "Escalate"
key = "E"
requires_note = true
escalates = true

[[labels]]
id = "spam"
name = "Spam"
severity = "low"

[[labels]]
id = "hate"
name = "Hate speech"
severity = "high"
"""


def edited(line: int, text: str, base: str = VALID) -> str:
    """``base`` with its 1-based ``line`` replaced by ``text``."""
    lines = base.split("\n")
    lines[line - 1] = text
    return "\n".join(lines)


def LABEL_TABLE(ident: str, severity: str = "low") -> str:
    return f'\n[[labels]]\nid = "{ident}"\nname = "{ident.title()}"\nseverity = "{severity}"\n'


def error_of(text: str) -> TaxonomyError:
    with pytest.raises(TaxonomyError) as caught:
        loads(text, source="policy.toml")
    return caught.value


# ----------------------------------------------------------------- default
def test_bundled_default_loads_with_five_actions_and_nine_keyed_labels():
    tax = load()
    assert tax.version == 1
    assert tax.source.endswith("taxonomy.toml")
    assert [a.id for a in tax.actions] == [
        "no_violation", "remove", "age_restrict", "label_only", "escalate",
    ]
    assert [lb.key for lb in tax.labels] == list("123456789")
    assert {lb.severity for lb in tax.labels} <= set(SEVERITIES)
    remove, escalate = tax.action("remove"), tax.action("escalate")
    assert remove.requires_label and remove.key == "R" and not remove.requires_note
    assert escalate.requires_note and escalate.escalates and escalate.key == "E"
    assert tax.escalation == escalate
    assert not tax.action("no_violation").requires_label
    assert tax.label("child_safety").severity == "severe"


def test_bundled_default_keys_do_not_collide():
    tax = load()
    keys = [a.key for a in tax.actions] + [lb.key for lb in tax.labels]
    assert len(keys) == len(set(keys))


def test_load_reads_a_file_and_names_it_in_errors(tmp_path):
    good = tmp_path / "policy.toml"
    good.write_text(VALID, encoding="utf-8")
    assert load(good).source == str(good)
    bad = tmp_path / "bad.toml"
    bad.write_text(edited(18, 'name = ""'), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=rf"^{re.escape(str(bad))}:18: name is empty"):
        load(bad)


def test_load_tolerates_a_byte_order_mark(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load(path) == loads(VALID, source=str(path))


def test_load_reports_a_missing_file_without_a_line(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(TaxonomyError) as caught:
        load(missing)
    assert caught.value.line is None
    assert str(caught.value).startswith(f"{missing}: cannot read the taxonomy")


def test_load_reports_the_line_of_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(edited(18, 'name = "Späm"').encode("latin-1"))
    with pytest.raises(TaxonomyError) as caught:
        load(path)
    assert caught.value.line == 18
    assert "UTF-8" in caught.value.reason


# ------------------------------------------------------------------- check
@pytest.fixture
def tax() -> Taxonomy:
    return load()


@pytest.mark.parametrize(
    ("action", "labels", "note"),
    [
        ("no_violation", [], ""),
        ("remove", ["spam"], ""),
        ("remove", ["spam", "hate_speech"], ""),
        ("age_restrict", ["adult_nudity"], ""),
        ("escalate", [], "Looks like a coordinated campaign"),
        ("escalate", ["child_safety"], "needs a lead"),
    ],
)
def test_check_allows_complete_decisions(tax, action, labels, note):
    assert tax.check(action, labels, note) is None


@pytest.mark.parametrize(
    ("action", "labels", "note", "reason"),
    [
        ("remove", [], "", "Remove needs at least one policy label (press 1-9)"),
        ("label_only", (), "a note", "Label only needs at least one policy label (press 1-9)"),
        ("escalate", [], "", "Escalate needs a note saying why"),
        ("escalate", ["spam"], "  \n\t", "Escalate needs a note saying why"),
        ("delete", ["spam"], "", "Unknown action 'delete'"),
        ("remove", ["spam", "nudity"], "", "Unknown policy label 'nudity'"),
    ],
)
def test_check_explains_what_is_missing(tax, action, labels, note, reason):
    assert tax.check(action, labels, note) == reason


def test_check_hint_counts_the_labels_that_have_keys():
    three = loads(VALID + LABEL_TABLE("third"))
    assert three.check("remove", [], "") == "Remove needs at least one policy label (press 1-3)"
    one = loads(VALID.split("\n[[labels]]\nid = \"hate\"")[0])
    assert [lb.id for lb in one.labels] == ["spam"]
    assert one.check("remove", [], "") == "Remove needs at least one policy label (press 1)"


def test_check_rejects_a_bare_string_of_labels(tax):
    with pytest.raises(TypeError):
        tax.check("remove", "spam", "")


# ------------------------------------------------------ lookup & severity
def test_lookups_fail_with_a_message_naming_the_id(tax):
    with pytest.raises(KeyError, match="no action 'delete'.*remove"):
        tax.action("delete")
    with pytest.raises(KeyError, match="no label 'nudity'.*adult_nudity"):
        tax.label("nudity")


def test_keys_map_back_to_actions_and_labels(tax):
    assert tax.action_for_key("r") == tax.action("remove")
    assert tax.action_for_key("E").id == "escalate"
    assert tax.action_for_key("Z") is None
    assert tax.label_for_key("1") == tax.labels[0]
    assert tax.label_for_key("0") is None


def test_severity_rank_follows_severities_order(tax):
    assert [tax.severity_rank(s) for s in SEVERITIES] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="critical"):
        tax.severity_rank("critical")


def test_max_severity_is_the_worst_of_the_labels(tax):
    assert tax.max_severity([]) is None
    assert tax.max_severity(["spam"]) == "low"
    assert tax.max_severity(["spam", "hate_speech", "scam_fraud"]) == "high"
    assert tax.max_severity(iter(["counterfeit_ip", "self_harm"])) == "severe"
    with pytest.raises(KeyError):
        tax.max_severity(["nudity"])


def test_labels_after_the_ninth_have_no_key():
    text = VALID + "".join(LABEL_TABLE(f"extra_{n}") for n in range(9))
    tax = loads(text)
    assert len(tax.labels) == 11
    assert [lb.key for lb in tax.labels] == [*"123456789", None, None]
    assert tax.label_for_key("9").id == "extra_6"


def test_loaded_values_are_normalised():
    tax = loads(edited(6, 'key = "r"', edited(5, 'name = "  Remove "')))
    remove = tax.action("remove")
    assert remove.key == "R" and remove.name == "Remove"
    assert remove.description == "" and not remove.escalates
    assert tax.action("escalate").escalates
    assert tax.label("hate") == Label("hate", "Hate speech", "high", "", "2")


def test_version_is_optional_and_defaults_to_one():
    assert loads(edited(1, "")).version == 1
    assert loads(edited(1, "version = 7")).version == 7


# ------------------------------------------------------ errors name lines
@pytest.mark.parametrize(
    ("line", "text", "reason"),
    [
        # TOML syntax, with tomllib's position and a hint
        (5, "name = Remove",
         ('not valid TOML: invalid value at column 8; text needs quotes, like "Remove", '
         "and yes/no are written true/false")),
        (5, 'name = "Remove',
         "not valid TOML: illegal character '\\n' at column 15; a closing quote is missing"),
        # unknown fields, with a suggestion when one is close
        (8, "requires_lable = true",
         "unknown field 'requires_lable' (did you mean 'requires_label'?)"),
        (8, 'colour = "red"',
         ("unknown field 'colour' (an action has: id, name, key, description, "
         "requires_label, requires_note, escalates)")),
        (20, 'key = "1"',
         "labels have no 'key': labels get keys 1-9 from the order of the [[labels]] tables"),
        (20, 'descripton = "x"', "unknown field 'descripton' (did you mean 'description'?)"),
        (1, "versoin = 1", "unknown field 'versoin' (did you mean 'version'?)"),
        (21, "[[label]]", "unknown table 'label' (did you mean 'labels'?)"),
        (8, "[actions.extra]",
         ("unknown field 'extra' (an action has: id, name, key, description, "
         "requires_label, requires_note, escalates)")),
        # wrong types and empty values
        (7, 'requires_label = "yes"', 'requires_label must be true or false, not "yes"'),
        (5, "name = 3", 'name must be text in quotes, like "this", not 3'),
        (1, 'version = "1"', 'version must be a whole number from 1 up, not "1"'),
        (1, "version = 0", "version must be a whole number from 1 up, not 0"),
        (18, 'name = "   "', "name is empty (write something)"),
        (18, 'name = "Spam\\nand more"', "name must be one line of plain text"),
        (6, 'key = "\\t"', "key is empty (delete the line for no key)"),
        (6, 'key = "\\u0007"', "key must be one line of plain text"),
        (6, 'key = ""', "key is empty (delete the line for no key)"),
        (4, 'id = "Remove It"',
         "id 'Remove It' may only use lower-case letters, digits, '_' and '-' (e.g. 'remove_it')"),
        # severities
        (24, 'severity = "critical"',
         "unknown severity 'critical' (use one of: low, medium, high, severe)"),
        (24, 'severity = "High"',
         "unknown severity 'High' (did you mean 'high'? use one of: low, medium, high, severe)"),
        # duplicates and key rules
        (22, 'id = "spam"', "label 'spam' is defined twice (first on line 17)"),
        (10, 'id = "remove"', "action 'remove' is defined twice (first on line 4)"),
        (12, 'key = "r"', "action key 'R' is already used by 'remove' (line 6)"),
        (6, 'key = "1"', "action key '1' is a digit; digits pick policy labels, so use a letter"),
        (6, 'key = "Ctrl+R"', "action key 'Ctrl+R' must be one character, like 'R'"),
    ],
)
def test_each_problem_names_its_line(line, text, reason):
    error = error_of(edited(line, text))
    assert (error.line, error.reason) == (line, reason)
    assert str(error) == f"policy.toml:{line}: {reason}"


@pytest.mark.parametrize(
    ("removed", "header", "reason"),
    [
        (17, 16, 'label has no id (add id = "some_id")'),
        (11, 9, "action 'escalate' has no name (add name = \"Some name\")"),
        (24, 21,
         ("label 'hate' has no severity "
          '(add severity = "low", "medium", "high" or "severe")')),
    ],
)
def test_a_missing_field_points_at_its_table_header(removed, header, reason):
    error = error_of(edited(removed, "# gone"))
    assert str(error) == f"policy.toml:{header}: {reason}"


def test_a_second_escalating_action_points_at_its_escalates_line():
    error = error_of(edited(8, "escalates = true"))
    assert str(error) == (
        "policy.toml:14: only one action may escalate, and 'remove' (line 8) already does"
    )


def test_an_unterminated_multiline_string_points_where_it_starts():
    error = error_of(edited(19, 'description = """Unsolicited,'))
    assert error.line == 19
    assert error.reason.endswith("(it starts here); a closing quote is missing")


def test_a_taxonomy_without_actions_or_labels_is_refused():
    labels_only = "version = 1\n" + VALID[VALID.index("[[labels]]"):]
    assert str(error_of(labels_only)) == (
        "policy.toml:1: no actions: add at least one [[actions]] table"
    )
    actions_only = VALID[: VALID.index("[[labels]]")]
    assert str(error_of(actions_only)) == (
        "policy.toml:1: no labels: add at least one [[labels]] table"
    )
    empty_list = edited(2, "labels = []", actions_only)
    assert str(error_of(empty_list)) == (
        "policy.toml:2: no labels: add at least one [[labels]] table"
    )


def test_single_bracket_tables_get_a_two_bracket_hint():
    text = "version = 1\n\n[labels]\nid = \"spam\"\n" + VALID[VALID.index("[[actions]]"):
                                                             VALID.index("[[labels]]")]
    assert str(error_of(text)) == (
        "policy.toml:3: write [[labels]] with two brackets: each label is its own table"
    )


def test_every_problem_is_reported_in_file_order():
    text = edited(7, "requires_label = 1")
    text = edited(24, 'severity = "extreme"', edited(12, 'key = "R"', text))
    error = error_of(text)
    assert [line for line, _ in error.problems] == [7, 12, 24]
    assert str(error).splitlines() == [
        "policy.toml:7: requires_label must be true or false, not 1",
        "policy.toml:12: action key 'R' is already used by 'remove' (line 6)",
        "policy.toml:24: unknown severity 'extreme' (use one of: low, medium, high, severe)",
    ]
    assert (error.line, error.source) == (7, "policy.toml")


def test_text_inside_multiline_strings_does_not_confuse_line_finding():
    tricky = (
        'description = """\n'
        "[[labels]]\n"
        'key = "X"\n'
        'id = "fake"\n'
        '"""'
    )
    text = edited(20, tricky)  # a description for 'spam' that looks like a table
    assert loads(text).label("spam").description.startswith("[[labels]]")
    error = error_of(edited(28, 'severity = "nope"', text))  # 'hate' moved down by 4 lines
    assert error.line == 28


def test_inline_tables_point_at_the_array_line():
    text = (
        "version = 1\n"
        'actions = [{ id = "remove", name = "Remove", key = "1" }]\n'
        'labels = [{ id = "spam", name = "Spam", severity = "low" }]\n'
    )
    assert error_of(text).line == 2


def test_comments_and_quoted_keys_are_understood():
    commented_out = error_of(edited(5, "# name = 'x'"))
    assert str(commented_out) == (
        "policy.toml:3: action 'remove' has no name (add name = \"Some name\")"
    )
    text = edited(12, '"key" = "x"', edited(6, '"key" = "X"  # [[labels]] in a comment'))
    assert str(error_of(text)) == (
        "policy.toml:12: action key 'X' is already used by 'remove' (line 6)"
    )


def test_errors_survive_pickling():
    error = error_of(edited(12, 'key = "R"', edited(7, "requires_label = 1")))
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.problems == error.problems


# ------------------------------------------------------------- properties
def toml_string(text: str) -> str:
    """A TOML basic string; a test-local writer, independent of the loader."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_multiline(text: str) -> str:
    """A TOML multi-line basic string, keeping real newlines in the file."""
    body = "\n".join(toml_string(part)[1:-1] for part in text.split("\n"))
    return '"""' + body + '"""'


def dump(tax: Taxonomy) -> str:
    lines = [f"version = {tax.version}"]
    for action in tax.actions:
        lines += ["", "[[actions]]", f"id = {toml_string(action.id)}",
                  f"name = {toml_string(action.name)}"]
        if action.key is not None:
            lines.append(f"key = {toml_string(action.key)}")
        if action.description:
            lines.append(f"description = {toml_multiline(action.description)}")
        for flag in ("requires_label", "requires_note", "escalates"):
            if getattr(action, flag):
                lines.append(f"{flag} = true")
    for label in tax.labels:
        lines += ["", "[[labels]]", f"id = {toml_string(label.id)}",
                  f"name = {toml_string(label.name)}", f"severity = {toml_string(label.severity)}"]
        if label.description:
            lines.append(f"description = {toml_multiline(label.description)}")
    return "\n".join(lines) + "\n"


ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,12}", fullmatch=True)
# Names are one line of plain text (no control characters or line separators).
names = (
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=24)
    .map(str.strip)
    .filter(bool)
)
# Descriptions may hold newlines and text that looks like TOML tables or keys.
descriptions = st.lists(
    st.one_of(st.text(max_size=12), st.sampled_from(['[[labels]]', '\nkey = "1"\n', '"""x', "#"])),
    max_size=4,
).map("".join).map(str.strip)


@st.composite
def taxonomies(draw) -> Taxonomy:
    action_ids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    keys = draw(st.lists(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ?/-"), unique=True,
                         min_size=len(action_ids), max_size=len(action_ids)))
    escalating = draw(st.one_of(st.none(), st.sampled_from(action_ids)))
    actions = tuple(
        Action(
            id=ident,
            name=draw(names),
            key=draw(st.one_of(st.just(key), st.none())),
            description=draw(descriptions),
            requires_label=draw(st.booleans()),
            requires_note=draw(st.booleans()),
            escalates=ident == escalating,
        )
        for ident, key in zip(action_ids, keys)
    )
    label_ids = draw(st.lists(ids, min_size=1, max_size=12, unique=True))
    labels = tuple(
        Label(
            id=ident,
            name=draw(names),
            severity=draw(st.sampled_from(SEVERITIES)),
            description=draw(descriptions),
            key=taxonomy.LABEL_KEYS[n] if n < 9 else None,
        )
        for n, ident in enumerate(label_ids)
    )
    return Taxonomy(draw(st.integers(1, 10_000)), actions, labels, "generated.toml")


@settings(max_examples=200, deadline=None)
@given(taxonomies())
def test_any_valid_taxonomy_round_trips_through_toml(tax):
    assert loads(dump(tax), source="generated.toml") == tax


@settings(max_examples=150, deadline=None)
@given(taxonomies(), st.data())
def test_a_typo_anywhere_is_reported_on_the_line_it_was_written(tax, data):
    text = dump(tax)
    lines = text.split("\n")
    # Real table headers only: a description (a multi-line string) may hold a line that reads "[[labels]]".
    headers = [n for n, line in enumerate(lines) if line in ("[[actions]]", "[[labels]]")
               and lines[n - 1] == "" and lines[n + 1].startswith("id = ")]
    at = data.draw(st.sampled_from(headers)) + 1 + data.draw(st.integers(0, 2))
    lines.insert(at, "nmae = 1")  # after the header, before/between the first fields
    error = error_of("\n".join(lines))
    assert error.problems == ((at + 1, "unknown field 'nmae' (did you mean 'name'?)"),)


@settings(max_examples=150, deadline=None)
@given(taxonomies(), st.data())
def test_check_allows_exactly_the_decisions_the_rules_allow(tax, data):
    action = data.draw(st.sampled_from(tax.actions))
    labels = data.draw(st.lists(st.sampled_from([lb.id for lb in tax.labels]), max_size=3))
    note = data.draw(st.sampled_from(["", "  ", "why"]))
    allowed = (bool(labels) or not action.requires_label) and (
        bool(note.strip()) or not action.requires_note
    )
    reason = tax.check(action.id, labels, note)
    assert (reason is None) == allowed
    if reason is not None:
        assert reason.startswith(action.name) and "\n" not in reason


toml_ish = st.sampled_from(
    ["[[actions]]", "[[labels]]", "[actions]", "key = 1", 'id = "x"', "escalates = true",
     'severity = "low"', "labels = []", "version = -1", '"""', "'''", "x.y = 2", "= 1", "]]", "#"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 24), st.one_of(toml_ish, st.text(max_size=20))), max_size=4)
)
def test_any_edit_gives_a_taxonomy_or_a_clear_error_never_a_crash(edits):
    text = VALID
    for line, replacement in edits:
        text = edited(line, replacement, text)
    try:
        loads(text, source="policy.toml")
    except TaxonomyError as error:
        assert error.problems
        for line, reason in error.problems:
            assert 1 <= line <= text.count("\n") + 1 and reason
        assert str(error).count("policy.toml:") == len(error.problems)
