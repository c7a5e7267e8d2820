"""Shared fixtures: offscreen Qt, a fake clock and a fresh store per test."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from desktop import wiring  # noqa: E402
from review.clock import FakeClock  # noqa: E402

# No per-example deadline (a busy CI machine is not a bug); in CI, fixed
# examples so a run is reproducible (HYPOTHESIS_PROFILE=ci, set by .ci/run).
settings.register_profile("veil", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "veil"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test ever touches the real user data folder."""
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "veil-home"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock("2026-01-05T09:00:00.000Z")


#: The domain suite runs on both stores: tests under these folders that use ``store`` run once per kind.
DOMAIN_SUITES = ("tests/review/", "tests/audit/")


def _each(module: str, why: str, *tests: str) -> dict[str, str]:
    return {f"{module}::{test}": why for test in tests}


#: Not yet on PostgreSQL (issue 15, team mode): these tests (node ids, without parameters) run on SQLite only,
#: each with why, until the test's own SQLite-only steps (or the code it needs) move to the shared dialect; every
#: other test of their modules runs on both stores. Shrinks; never grows. tests/review/test_server_harness.py
#: fails on an entry that names no test. Most here speak SQLite themselves: sqlite3's exceptions, PRAGMA,
#: EXPLAIN QUERY PLAN, iterdump, set_trace_callback, DROP TRIGGER without ON, INSERT OR REPLACE, store.path;
#: their server counterparts are in tests/review/test_server_*.py.
NOT_YET_ON_POSTGRESQL: dict[str, str] = {
    **_each("tests/audit/test_audit_audits.py",
           "expects sqlite3.IntegrityError from the audit triggers (a server says StoreConflict)",
            "test_a_scored_audit_is_final",
            "test_blind_without_start_is_refused_and_a_blind_decision_is_final",
            "test_gold_decisions_are_scored_automatically"),
    **_each("tests/audit/test_audit_disputes.py", "expects sqlite3.IntegrityError from the append-only trigger",
            "test_dispute_rows_are_append_only"),
    **_each("tests/audit/test_export_events.py", "makes the event fail with SQLite's PRAGMA query_only",
            "test_a_report_whose_event_cannot_be_written_leaves_no_pdf",
            "test_an_export_whose_event_cannot_be_written_leaves_no_file",
            "test_cli_says_cleanly_that_nothing_was_exported_when_the_event_fails",
            "test_the_dialog_says_nothing_was_exported_when_the_event_fails"),
    **_each("tests/audit/test_exports.py", "gives the command line --store store.path (None on a server)",
            "test_a_csv_or_jsonl_export_carries_its_anchor_in_a_file_beside_it",
            "test_an_export_never_replaces_the_store",
            "test_cli_refuses_with_exit_2_and_a_message",
            "test_cli_uses_veil_user_and_never_guesses_the_lead",
            "test_cli_writes_each_format_and_infers_it_from_the_suffix",
            "test_the_anchor_an_export_records_is_what_veil_verify_expects",
            "test_the_cli_refuses_to_export_over_the_store",
            "test_the_cli_says_the_anchor_to_keep"),
    **_each("tests/audit/test_exports_readable.py", "gives the command line --store store.path (None on a server)",
            "test_the_verify_command_a_file_prints_names_a_store_but_not_this_one"),
    **_each("tests/audit/test_exports_transparency.py", "gives the command line --store store.path (None on a server)",
            "test_veil_export_transparency_on_the_command_line"),
    **_each("tests/review/importing/test_import.py",
           "imports media: a server store has no media folder until media move into the server",
            "test_a_file_used_by_many_rows_is_checked_once",
            "test_a_rejected_rows_media_is_still_checked",
            "test_csv_rows_with_empty_cells_omitted_and_multiline_text",
            "test_decompression_bomb",
            "test_folder_instead_of_file",
            "test_media_outside_the_manifest_folder_via_dotdot",
            "test_media_root_allows_a_folder_outside_the_manifests",
            "test_media_symlink_pointing_outside",
            "test_missing_media_file",
            "test_one_bad_row_means_nothing_is_written_and_every_problem_is_reported",
            "test_pixel_cap_is_configurable",
            "test_progress_reports_every_row_ending_at_total",
            "test_reimport_adds_nothing",
            "test_reimport_does_not_recheck_media_of_present_rows",
            "test_relative_and_absolute_media_store_resolved_paths",
            "test_skip_invalid_imports_the_rest_and_returns_rejects",
            "test_text_saved_as_jpg",
            "test_truncated_image",
            "test_zero_byte_file"),
    **_each("tests/review/test_accounts.py", "reads SQLite's EXPLAIN QUERY PLAN",
            "test_the_authors_items_are_read_through_the_index"),
    **_each("tests/review/test_auth.py",
           "reads the whole file with sqlite3's iterdump() to prove no passphrase is kept",
            "test_a_person_sets_their_own_and_only_the_hash_is_stored",
            "test_wrong_attempts_are_events_that_say_nothing_about_who_exists"),
    **_each("tests/review/test_complaints.py", "tampers with SQLite's DROP TRIGGER (no ON table)",
            "test_verify_reports_a_complaint_ended_or_reopened_behind_veils_back"),
    **_each("tests/review/test_corrections.py", "tampers with SQLite's DROP TRIGGER (no ON table)",
            "test_a_correction_that_does_not_replace_its_decision_is_found"),
    **_each("tests/review/test_decisions.py", "expects sqlite3.IntegrityError from the append-only triggers",
            "test_decisions_cannot_be_edited_or_deleted"),
    **_each("tests/review/test_import_stress.py", "sets PRAGMA busy_timeout on a second connection",
            "test_a_long_import_leaves_the_write_lock_free_between_chunks"),
    **_each("tests/review/test_people.py", "runs veil verify with --store store.path (None on a server)",
            "test_a_deactivated_person_cannot_act_anywhere",
            "test_an_unreadable_queue_limit_serves_nothing_and_verify_says_so",
            "test_verify_names_an_active_flag_or_a_limit_changed_behind_veils_back"),
    **_each("tests/review/test_reconcile_escalations.py", "tampers with INSERT OR REPLACE",
            "test_insert_or_replace_is_refused_and_without_its_guards_a_problem"),
    **_each("tests/review/test_rotation.py", "counts statements with sqlite3's set_trace_callback",
            "test_a_claim_without_roster_or_rules_costs_at_most_two_more_statements",
            "test_the_rule_is_rechecked_inside_the_claims_transaction"),
    **_each("tests/review/test_settings_org.py", "asks db.conn.in_transaction (sqlite3's)",
            "test_a_store_rule_is_checked_inside_the_writes_transaction"),
    **_each("tests/review/test_store.py", "deletes with the append-only trigger dropped by SQLite's DROP TRIGGER",
            "test_a_deleted_event_breaks_the_chain_at_the_next_row"),
    **_each("tests/review/test_store.py", "expects sqlite3.IntegrityError as the cause",
            "test_a_failed_action_rolls_back_data_and_event_together"),
    **_each("tests/review/test_store.py", "fails COMMIT with a deferred SQLite foreign key",
            "test_a_failed_commit_leaves_no_transaction_open"),
    **_each("tests/review/test_store.py", "holds SQLite's write lock on a second sqlite3 connection",
            "test_a_writer_held_too_long_is_store_busy"),
    **_each("tests/review/test_store.py", "edits with the append-only trigger dropped by SQLite's DROP TRIGGER",
            "test_an_edited_event_is_named_by_row"),
    **_each("tests/review/test_store.py", "expects sqlite3.IntegrityError from the append-only triggers",
            "test_decisions_and_events_refuse_update_and_delete"),
    **_each("tests/review/test_store.py", "reads sqlite-utils' table_names() and PRAGMAs",
            "test_fresh_store_has_every_table_and_pragma"),
    **_each("tests/review/test_store.py", "reads SQLite's EXPLAIN QUERY PLAN",
            "test_revoked_checks_use_an_index"),
    **_each("tests/review/test_store_faults.py", "makes a full disk or a read-only file with SQLite's own switches",
            "test_a_full_disk_is_a_store_full_error_that_says_what_to_do",
            "test_a_write_to_a_store_that_became_read_only_says_what_to_do"),
    **_each("tests/review/test_verify_guards.py", "tampers through a plain sqlite3 connection to store.path",
            "test_gold_results_refuse_replace",
            "test_replace_of_an_existing_row_is_refused",
            "test_replace_on_another_unique_key_is_refused",
            "test_upsert_on_decisions_is_refused"),
    **_each("tests/review/test_verify_integrity.py", "tampers through sqlite3 on store.path and reads sqlite_master",
            "test_a_changed_role_is_named",
            "test_a_decision_event_without_its_row_is_named",
            "test_a_recomputed_chain_passes_alone_and_fails_against_an_anchor",
            "test_a_replace_through_a_plain_connection_is_refused",
            "test_a_user_added_behind_veils_back_is_named",
            "test_a_weakened_or_foreign_trigger_is_named",
            "test_an_anchor_on_a_deleted_event_names_it",
            "test_an_edited_event_without_recomputing_is_named_with_every_break",
            "test_an_escalated_or_undone_item_marked_decided_is_named",
            "test_an_inserted_decision_without_its_event_is_named",
            "test_anchors_hold_through_growth_and_name_truncation",
            "test_back_dated_or_edited_decisions_are_named",
            "test_decided_items_flipped_back_to_pending_are_named",
            "test_decisions_moved_to_another_queue_are_named",
            "test_deleting_every_event_and_decision_is_named",
            "test_deleting_the_last_events_and_their_decisions_is_named",
            "test_dropped_triggers_are_named",
            "test_flipped_decisions_behind_a_dropped_and_recreated_trigger_are_named",
            "test_many_problems_are_bounded_and_counted",
            "test_values_of_the_wrong_type_are_named_not_a_crash"),
}


def store_kinds() -> list[str]:
    """The kinds of store the domain suite runs on: ``VEIL_TEST_STORES`` (default both) narrows it."""
    kinds = [k.strip() for k in os.environ.get("VEIL_TEST_STORES", "sqlite,postgresql").split(",") if k.strip()]
    unknown = set(kinds) - {"sqlite", "postgresql"}
    if unknown:
        raise pytest.UsageError(f"VEIL_TEST_STORES: unknown store kinds {sorted(unknown)} (sqlite, postgresql)")
    return kinds


def pytest_generate_tests(metafunc):
    """Parametrize ``store`` of the domain suite by kind (ids ``sqlite``, ``postgresql``)."""
    if "store" not in metafunc.fixturenames:
        return
    path = metafunc.definition.path.relative_to(metafunc.config.rootpath).as_posix()
    if not path.startswith(DOMAIN_SUITES):
        return
    kinds = store_kinds()
    if metafunc.definition.nodeid.split("[")[0] in NOT_YET_ON_POSTGRESQL:
        kinds = [k for k in kinds if k == "sqlite"] or ["sqlite"]
    metafunc.parametrize("store_kind", kinds)


@pytest.fixture
def store_kind() -> str:
    """SQLite, for the tests outside the domain suite (the front ends test one store)."""
    return "sqlite"


@pytest.fixture(scope="session")
def postgres_server():
    """This test process's throwaway PostgreSQL server (tests/postgres.py), with a migrated template database."""
    import postgres

    if "postgresql" not in store_kinds():  # said, never silent: -rs lists each test this leaves out
        pytest.skip("needs the PostgreSQL test server, which VEIL_TEST_STORES leaves out")
    try:
        server = postgres.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.admin(f"CREATE DATABASE {postgres.TEMPLATE}")
        wiring.open_store(server.url(postgres.TEMPLATE)).close()
        yield server
    finally:
        server.stop()


@pytest.fixture
def store_location(request, tmp_path, store_kind):
    """Where the test's fresh store is: a file, or a new database on the test server (dropped after the test)."""
    if store_kind == "sqlite":
        yield tmp_path / "veil.db"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.new_database()
    try:
        yield server.url(name)
    finally:
        server.drop(name)


@pytest.fixture
def store(store_location, clock):
    with wiring.open_store(store_location, clock=clock) as opened:
        yield opened


@pytest.fixture(autouse=True)
def _no_leftover_qt_work(request, monkeypatch):
    """Like napari's conftest: a Qt test fails if it leaves a timer running or background work behind.

    Every test that uses ``qapp`` or ``qtbot`` is checked, automatically:
    after it (and after its widgets were closed and deleted), no timer it
    started may still be running, and no task runner it created may still be
    open with work pending or its threads alive.
    """
    if not {"qapp", "qtbot"} & set(request.fixturenames):
        yield
        return
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QTimer

    from ui.tasks import TaskRunner

    timers: list = []
    runners: list = []
    start_timer, make_runner = QTimer.start, TaskRunner.__init__

    def start(timer, *args):
        timers.append(timer)
        return start_timer(timer, *args)

    def runner_init(runner, *args, **kwargs):
        make_runner(runner, *args, **kwargs)
        runners.append(runner)

    monkeypatch.setattr(QTimer, "start", start)
    monkeypatch.setattr(TaskRunner, "__init__", runner_init)
    yield
    QCoreApplication.sendPostedEvents(None, 0)
    QCoreApplication.processEvents()
    leftovers = [f"a running {t.interval()} ms timer of {type(t.parent()).__name__}"
                 for t in timers if shiboken6.isValid(t) and t.isActive()]
    leftovers += [f"task runner {r.objectName()!r} left open ({r.pending()} pending)"
                  for r in runners if shiboken6.isValid(r) and not r.closed]
    assert not leftovers, leftovers
