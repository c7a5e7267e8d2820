"""A throwaway PostgreSQL server for the tests: started per test process, a fresh database per test.

``make test`` runs the domain suite (the tests under tests/review and
tests/audit that use the ``store`` fixture) on both stores; this module is
the server half. :func:`start` runs ``initdb`` and ``pg_ctl start`` in a
temporary folder, listening only on a Unix socket in that folder (no TCP
port to clash between xdist workers or with a real server), trusting local
connections, with durability off (a test database is thrown away). When
run as root it runs them as the ``postgres`` user (or ``nobody``) through
``runuser``: PostgreSQL refuses to run as root. :meth:`Server.stop` stops it
and removes the folder; the session fixture calls it even when tests fail.

Each test gets ``CREATE DATABASE t_N TEMPLATE veil_template``: the
template is migrated once per server, so a fresh store costs a file copy,
not thirty schema steps.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

INSTALL = ("PostgreSQL's server programs (initdb, pg_ctl) were not found: the domain tests run on PostgreSQL too. "
           "Install them with `make postgres-server` (Debian's postgresql package, with no system cluster), or "
           "narrow the run with VEIL_TEST_STORES=sqlite (the tests of the server itself are then skipped, saying so)")
TEMPLATE = "veil_template"
_SETTINGS = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
             " -c max_connections=200 -c shared_buffers=32MB")


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


@dataclass
class Server:
    folder: Path
    bin: Path
    user: str | None
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str) -> str:
        return f"postgresql://veil@/{database}?host={self.folder}"

    def admin(self, sql: str) -> None:
        """Run *sql* on the maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        name = f"t_{os.getpid()}_{next(self._numbers)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return name

    def drop(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        try:
            _run(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w",
                             "stop"])
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Server:
    """initdb + pg_ctl start in a new temporary folder; RuntimeError (:data:`INSTALL`) when there is no server."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(INSTALL)
    user = _unprivileged_user() if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="veil-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = Server(folder, bin_dir, user)
    try:
        _run(user, [str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "veil", "-A", "trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"])
        _run(user, [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-o",
                    f"-k {folder} {_SETTINGS}", "start"])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("PostgreSQL refuses to run as root, and there is no postgres or nobody account to run it as")


def _run(user: str | None, command: list[str]) -> None:
    prefix = ["runuser", "-u", user, "--"] if user else []
    done = subprocess.run(prefix + command, capture_output=True, text=True, check=False, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
