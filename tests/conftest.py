"""Shared fixtures: offscreen Qt, a fake clock and a fresh store per test."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("VEIL_CHECK_THREADS", "1")  # review.store.thread_check: every file store's connection checked

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from desktop import wiring  # noqa: E402
from review.clock import FakeClock  # noqa: E402
from review.store import thread_check  # noqa: E402

# No per-example deadline (a busy CI machine is not a bug); in CI, fixed
# examples so a run is reproducible (HYPOTHESIS_PROFILE=ci, set by .ci/run).
settings.register_profile("veil", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "veil"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test ever touches the real user data folder."""
    monkeypatch.setenv("VEIL_HOME", str(tmp_path / "veil-home"))


@pytest.fixture(autouse=True)
def _one_thread_at_a_time_per_connection():
    """A test fails if a statement began on a file store's connection while another thread's ran on it: CPython's
    sqlite3 can crash then (``review.store.thread_check``), rarely, in whichever test runs at that moment."""
    thread_check.OVERLAPS.clear()
    yield
    found = list(thread_check.OVERLAPS)
    thread_check.OVERLAPS.clear()
    assert not found, f"{len(found)} statements overlapped another thread's; the first:\n{found[0]}"


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
#: fails on an entry that names no test. Those left need SQLite's own features (PRAGMA, REPLACE, WAL files, a
#: loose column type, a plain connection without foreign keys) or a product step a server store does not take yet
#: (media, said in the entry); their server counterparts are in tests/review/test_server_*.py.
#: Steps both stores can take go through tests/builders.py, which speaks each dialect: ``store_arg`` (``--store``),
#: ``sql_as_veil`` (a refusal is StoreConflict), ``behind_veils_back``/``trigger_sql``/``refusal`` (tampering),
#: ``dump`` (everything stored, as text), ``statements_run`` (counting statements).
NOT_YET_ON_POSTGRESQL: dict[str, str] = {
    **_each("tests/audit/test_exports.py", "exports over the store's own file and its -wal (a server store has none)",
            "test_an_export_never_replaces_the_store",
            "test_the_cli_refuses_to_export_over_the_store"),
    **_each("tests/review/test_reconcile_escalations.py", "tampers with INSERT OR REPLACE",
            "test_insert_or_replace_is_refused_and_without_its_guards_a_problem"),
    **_each("tests/review/test_store.py", "fails COMMIT with a deferred SQLite foreign key",
            "test_a_failed_commit_leaves_no_transaction_open"),
    **_each("tests/review/test_store.py", "reads sqlite-utils' table_names() and PRAGMAs",
            "test_fresh_store_has_every_table_and_pragma"),
    **_each("tests/review/test_store_faults.py", "fills the disk with SQLite's own max_page_count",
            "test_a_full_disk_is_a_store_full_error_that_says_what_to_do"),
    **_each("tests/review/test_verify_guards.py", "INSERT OR REPLACE and REPLACE are SQLite's own verbs (a server "
            "has neither; its upsert is test_upsert_on_decisions_is_refused)",
            "test_gold_results_refuse_replace",
            "test_replace_of_an_existing_row_is_refused",
            "test_replace_on_another_unique_key_is_refused"),
    **_each("tests/review/test_verify_integrity.py", "INSERT OR REPLACE is SQLite's own (a server's upsert is "
            "test_verify_guards' ON CONFLICT)", "test_a_replace_through_a_plain_connection_is_refused"),
    **_each("tests/review/test_verify_integrity.py", "stores a BLOB in a TEXT column, which only SQLite's loose "
            "types allow", "test_values_of_the_wrong_type_are_named_not_a_crash"),
    **_each("tests/review/test_verify_integrity.py", "deletes decisions escalations refer to: a plain sqlite3 "
            "connection enforces no foreign keys, a server always does",
            "test_deleting_every_event_and_decision_is_named"),
}


def store_kinds() -> list[str]:
    """The kinds of store the domain suite runs on: ``VEIL_TEST_STORES`` (default both) narrows it."""
    kinds = [k.strip() for k in os.environ.get("VEIL_TEST_STORES", "sqlite,postgresql").split(",") if k.strip()]
    unknown = set(kinds) - {"sqlite", "postgresql"}
    if unknown:
        raise pytest.UsageError(f"VEIL_TEST_STORES: unknown store kinds {sorted(unknown)} (sqlite, postgresql)")
    return kinds


def pytest_generate_tests(metafunc):
    """Parametrize ``store`` of the domain suite by kind (ids ``sqlite``, ``postgresql``); a test marked
    ``server_only`` runs on the server alone, one marked ``file_only`` on SQLite alone."""
    if "store" not in metafunc.fixturenames:
        return
    path = metafunc.definition.path.relative_to(metafunc.config.rootpath).as_posix()
    if not path.startswith(DOMAIN_SUITES):
        return
    kinds = store_kinds()
    if metafunc.definition.nodeid.split("[")[0] in NOT_YET_ON_POSTGRESQL:
        kinds = [k for k in kinds if k == "sqlite"] or ["sqlite"]
    if metafunc.definition.get_closest_marker("server_only"):  # what only a server store does
        kinds = [k for k in kinds if k == "postgresql"]
    if metafunc.definition.get_closest_marker("file_only"):  # what only a file store does (SQLite's plans)
        kinds = ["sqlite"]
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
def file_store(tmp_path, clock):
    """A SQLite file store whatever ``VEIL_TEST_STORES`` says: for what only SQLite has (``EXPLAIN QUERY PLAN``
    checks; a server plans with statistics of its own), never a parametrized test that skips one leg."""
    with wiring.open_store(tmp_path / "veil.db", clock=clock) as opened:
        yield opened


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
    gc.collect()  # this test's cycles freed here, on the GUI thread, not by a later worker thread (ui/garbage.py)
    leftovers = [f"a running {t.interval()} ms timer of {type(t.parent()).__name__}"
                 for t in timers if shiboken6.isValid(t) and t.isActive()]
    leftovers += [f"task runner {r.objectName()!r} left open ({r.pending()} pending)"
                  for r in runners if shiboken6.isValid(r) and not r.closed]
    assert not leftovers, leftovers
