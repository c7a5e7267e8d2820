"""The account and policy keys are keymap commands, and a taxonomy cannot take a desk's own key (issue 14 §2).

Ctrl+I (the author's account) and Ctrl+P (the policy text) were shortcuts
fixed inside their panels: not on the cheat sheet, not re-bindable, and
never checked against the person's own keys, so a binding could silently
give Ctrl+P two meanings (Qt then runs neither). A taxonomy whose action
took a desk's default key (S for Skip, N for Note, …) was stored, and the
review page could then not be built for anyone.
"""

from __future__ import annotations

import json

import pytest
from builders import people, text_item
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

import resources
from desktop import app as desktop_app
from desktop import pages as desktop_pages
from desktop import wiring
from desktop.main import main
from review import taxonomy
from review.desk import ReviewDesk
from review.media.viewing import ViewSettings
from review.taxonomy import TaxonomyError, stored
from review.wellbeing.policy import WellbeingPolicy
from ui import keymap
from ui.operations import Operations
from ui.pages.review import ReviewPage, ReviewServices
from ui.pages.review_context import AccountDialog, PolicyDialog
from ui.wellbeing.controller import WellbeingController


def test_account_and_policy_are_listed_commands_on_the_cheat_sheet(qtbot):
    policy = taxonomy.load()
    commands = {b.command: b.key for b in keymap.build(policy)}
    assert commands["account"] == "Ctrl+I" and commands["policy"] == "Ctrl+P"
    sheet = keymap.CheatSheet(keymap.build(policy))
    qtbot.addWidget(sheet)
    text = sheet.area.widget().text()
    assert "Ctrl+I" in text and "Ctrl+P" in text and "policy text" in text


def test_a_binding_that_takes_the_policy_key_is_refused_naming_both():
    policy = taxonomy.load()
    with pytest.raises(keymap.KeymapError, match="Ctrl\\+P is bound to both") as refused:
        keymap.build(policy, {"note": "Ctrl+P"})
    assert "policy text" in str(refused.value)
    assert {b.command: b.key for b in keymap.build(policy, {"policy": "Ctrl+Shift+Y"})}["policy"] == "Ctrl+Shift+Y"


def test_the_desks_single_keys_are_the_ones_a_taxonomy_may_not_take():
    single = {keymap.normalise(key) for key, _, _ in keymap.FIXED.values() if len(keymap.normalise(key)) == 1}
    assert single == set(taxonomy.DESK_KEYS)


def _with_action_key(key: str) -> str:
    text = resources.path("taxonomy.toml").read_text(encoding="utf-8")
    assert 'key = "L"' in text
    return text.replace('key = "L"', f'key = "{key}"', 1)


def test_a_taxonomy_giving_an_action_a_desk_key_is_refused_at_save_with_its_line(store):
    people(store, lee="lead")
    text = _with_action_key("S")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip() == 'key = "S"')
    with pytest.raises(TaxonomyError) as refused:
        stored.save(store, "lee", {"file": "policy.toml", "text": text})
    assert str(refused.value).startswith(f"policy.toml:{line}: action key 'S' of 'Label only' is Veil's key for 'Skip'")
    assert stored.organisation(store).source.endswith("taxonomy.toml")  # nothing stored: the bundled one applies
    taxonomy.loads(text, source="policy.toml")  # a file in use still loads: refused only when it is stored


@pytest.fixture
def page(qtbot, store):
    ana = people(store, ana="moderator")["ana"]
    store.add_queue("spam")
    text_item(store, "spam", external_id="p1", text="buy followers", metadata={"author": "mallory"})
    policy = taxonomy.load()
    bindings = keymap.build(policy, {"policy": "Ctrl+Shift+Y", "account": "Ctrl+Shift+U"})
    services = ReviewServices(Operations(store), ReviewDesk(policy), ana, ViewSettings(), bindings, store.clock,
                              WellbeingController(store, ana, store.clock, WellbeingPolicy()))
    shown = ReviewPage(services)
    qtbot.addWidget(shown)
    shown.resize(1280, 720)
    shown.show()
    qtbot.waitExposed(shown)
    shown.activateWindow()
    qtbot.waitUntil(shown.isActiveWindow)
    shown.setFocus()
    yield shown
    shown.close_page()
    services.ops.close()
    services.wellbeing.close()


def _opened(kind):
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_the_persons_own_keys_open_the_policy_text_and_the_account(qtbot, page):
    assert "Ctrl+Shift+Y" in page.decision.policy.text()  # the line names the person's key
    qtbot.keyClick(page, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not _opened(PolicyDialog)  # the default key is free again
    qtbot.keyClick(page, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(_opened(PolicyDialog)))
    _opened(PolicyDialog)[0].close()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.item is not None and page.item_view.context.account.isVisible())
    assert "Ctrl+Shift+U lists them" in page.item_view.context.account.text()
    qtbot.keyClick(page, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(_opened(AccountDialog)))
    _opened(AccountDialog)[0].close()



# ---------------------------------------------------- a policy that already had a desk key (FIX DESK-B 1)
def _team_file(tmp_path, key):
    path = tmp_path / "team.toml"
    path.write_text(_with_action_key(key), encoding="utf-8")
    return path


@pytest.mark.parametrize(("key", "text"), [("T", "Show / hide the thread"), ("P", "Video: play / pause")])
def test_signing_in_with_a_team_policy_on_a_desk_key_works_and_says_that_key_is_the_policys(
        qtbot, store, tmp_path, key, text):
    """Before: keymap.usable raised "T is bound to both …" at every sign-in, with no personal keys at all."""
    people(store, ana="moderator")
    policy = taxonomy.load(_team_file(tmp_path, key))
    _view, bindings = desktop_pages.personal_view(store, policy, store.user("ana"))
    keys = {b.command: b.key for b in bindings}
    assert keys["action:label_only"] == key and key not in {k for c, k in keys.items() if c != "action:label_only"}
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat), policy)
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("ana")
    said = window.statusBar().currentMessage()
    assert said == f"{key} is your policy's 'Label only': bind '{text}' on My settings"
    assert window.show_page("review") is not None
    mine = window.show_page("my-settings")
    qtbot.waitUntil(lambda: not mine.keys_form.edits["start"].keySequence().isEmpty(), timeout=5000)  # loaded
    command = next(c for c, (k, t, _) in keymap.FIXED.items() if t.startswith(text))
    assert mine.keys_form.edits[command].keySequence().isEmpty()  # no key yet: not a problem, not a clash
    assert f"{key} is 'Label only' in your organisation's policy" in mine.keys_form.edits[command].toolTip()
    mine.keys_form.edits[command].setKeySequence(QKeySequence("Ctrl+Shift+K"))
    assert mine.keys_form.value() == {command: "Ctrl+Shift+K"}
    assert mine.keys_form.problem(mine.keys_form.value()) is None
    mine.keys_form.edits[command].setKeySequence(QKeySequence(key))  # back on the policy's key: two meanings
    assert f"{key} is bound to both" in mine.keys_form.problem(mine.keys_form.value())
    window.close()


def test_a_person_binding_the_command_elsewhere_is_not_told_again(tmp_path):
    policy = taxonomy.load(_team_file(tmp_path, "T"))
    assert keymap.unbound_defaults(policy, None) == {"thread": "Label only"}
    assert keymap.unbound_defaults(policy, {"thread": "Ctrl+Shift+T"}) == {}
    assert keymap.unbound_said({"thread": "Remove", "play": "Hold"}) == (
        "T, P are your policy's actions: bind 2 commands on My settings")
    assert {b.command: b.key for b in keymap.build(policy, {"thread": "Ctrl+Shift+T"})}["thread"] == "Ctrl+Shift+T"
    with pytest.raises(keymap.KeymapError, match="T is bound to both"):
        keymap.build(policy, {"thread": "T"})


def test_verify_and_every_desk_read_a_stored_policy_that_has_a_desk_key(tmp_path, capsys):
    """Before: the desk-key rule ran on every read, so the stored policy raised and ``veil verify`` failed."""
    path = tmp_path / "v.db"
    with wiring.open_store(path) as kept:
        kept.add_user("lee", ["lead"])
        # stored before T was the thread's (set directly: today's save refuses it)
        kept.set_setting("taxonomy", {"file": "team.toml", "text": _with_action_key("T")}, actor="lee")
        assert stored.organisation(kept).action("label_only").key == "T"
        with pytest.raises(TaxonomyError, match="action key 'T' of 'Label only' is Veil's key"):  # a new save: no
            stored.save(kept, "lee", {"file": "again.toml", "text": _with_action_key("T")})
    assert main(["verify", "--store", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == []
