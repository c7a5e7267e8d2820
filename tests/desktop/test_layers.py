"""The layers hold: the domain never imports Qt, ui or desktop; ui never imports desktop.

Checked two ways: statically over the source (every import statement) and
dynamically (importing every domain module pulls in no Qt).
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "review": {"PySide6", "shiboken6", "ui", "desktop", "audit"},
    "audit": {"PySide6", "shiboken6", "ui", "desktop"},
    "ui": {"desktop"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_upward(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_whole_domain_loads_no_qt():
    modules = [
        m.name
        for pkg in ("review", "audit")
        for m in pkgutil.walk_packages([str(ROOT / pkg)], prefix=f"{pkg}.")
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui', 'desktop'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


DRIVERS = {"sqlite3", "sqlite_utils", "psycopg", "psycopg_pool"}


def test_only_the_store_packages_import_a_database_driver():
    """SQLite's and PostgreSQL's drivers alike (issue 15): the dialect lives in review/store and audit/store."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & DRIVERS)
        for package in ("review", "audit", "ui", "desktop") for path in (ROOT / package).rglob("*.py")
        if not str(path.relative_to(ROOT)).startswith(("review/store/", "audit/store/"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_a_file_store_never_loads_the_server_driver():
    """psycopg is imported only when a server store is opened: a SQLite store starts as fast as before."""
    code = ("import sys, tempfile, pathlib\nfrom desktop import wiring\n"
            "wiring.open_store(pathlib.Path(tempfile.mkdtemp()) / 'v.db').close()\n"
            "assert 'psycopg' not in sys.modules, 'psycopg loaded'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport desktop.paths\n")
    assert _imports(bad) == {"PySide6", "desktop"}


# ------------------------------------------------------------ the house
STORE_PACKAGES = ("review/store/", "audit/store/")
SQL_CALLS = {"execute", "executemany", "executescript"}
TRANSACTION_CALLS = {"transaction", "write_transaction", "atomic"}
SOURCE = [p for pkg in ("desktop", "ui", "review", "audit") for p in sorted((ROOT / pkg).rglob("*.py"))]


def _receiver_is_db(node: ast.Attribute) -> bool:
    value = node.value
    return (isinstance(value, ast.Attribute) and value.attr in {"db", "conn"}) or (
        isinstance(value, ast.Name) and value.id in {"db", "conn", "connection", "cursor"})


def _calls(path: Path) -> list[str]:
    """SQL (``x.execute(…)``, ``db.query(…)``, ``db["table"]``) and transactions opened in *path*."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in SQL_CALLS or name in TRANSACTION_CALLS or (name == "query" and _receiver_is_db(node.func)):
                found.append(f"{node.lineno}: .{name}()")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "db":
            found.append(f"{node.lineno}: .db[…]")
    return sorted(found, key=lambda call: int(call.split(":")[0]))


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_sql_runs_only_in_the_store_packages():
    """The store packages hold every statement; the rest of Veil calls them."""
    offenders = {
        _where(path): [c for c in _calls(path) if not c.endswith(tuple(f".{t}()" for t in TRANSACTION_CALLS))]
        for path in SOURCE if not _where(path).startswith(STORE_PACKAGES)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_transactions_are_opened_only_in_the_store_packages():
    """A guarded write is one store function; a desk asks its store package for one unit of work.

    So the one place that opens transactions is the one place team mode
    changes (retries on serialization failures); pages and commands call desks.
    """
    offenders = {
        _where(path): [c for c in _calls(path) if c.endswith(tuple(f".{t}()" for t in TRANSACTION_CALLS))]
        for path in SOURCE if not _where(path).startswith(STORE_PACKAGES)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_a_query_and_a_transaction_but_not_a_runner_query(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("with store.transaction():\n    store.db.execute('DELETE FROM items')\nstore.db['items']\n"
                   "ops.query(load)\nstore.db.query('SELECT 1')\n")
    assert [call.split(": ")[1] for call in _calls(bad)] == [".transaction()", ".execute()", ".db[…]", ".query()"]


def test_no_module_is_over_500_lines_and_each_says_its_job():
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in SOURCE}
    too_long = {name: n for name, text in texts.items() if (n := len(text.splitlines())) > 500}
    silent = [name for name, text in texts.items() if not ast.get_docstring(ast.parse(text))]
    assert too_long == {}
    assert silent == []


def test_the_ui_creates_one_thread_pool():
    creators = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "ui").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) in {"TaskRunner", "QThreadPool"}
    }
    assert creators == {"ui/operations.py", "ui/tasks.py"}
