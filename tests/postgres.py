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
    settings: str = _SETTINGS
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

    def person_url(self, database: str, role: str, password: str) -> str:
        """The URL a person signs in with: their own role and password (:meth:`people_use_passwords` first)."""
        from urllib.parse import quote

        return f"postgresql://{quote(role)}:{quote(password)}@/{database}?host={self.folder}"

    def role_of(self, database: str, person: str) -> str:
        """The database role Veil made for *person* in *database*: their name, or numbered when the cluster
        already had a role of that name (an earlier test's person: roles are the cluster's)."""
        import psycopg

        with psycopg.connect(self.url(database)) as conn:
            return str(conn.execute("SELECT r.role FROM people_roles r JOIN users u ON u.id = r.user_id"
                                    " WHERE u.name = %s", [person]).fetchone()[0])

    def people_use_passwords(self) -> None:
        """Make every role but the owner (``veil``) sign in with its password (SCRAM) on the socket, as a site's
        people do: the tests of the server's roles log in for real, never ``SET ROLE``. Idempotent."""
        hba = self.folder / "data" / "pg_hba.conf"
        wanted = "local all veil trust\nlocal all all scram-sha-256\n"
        if hba.read_text() != wanted:
            hba.write_text(wanted)
            _run(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "reload"])
        import time

        import psycopg

        for _ in range(500):  # the reload is asynchronous: wait until the server asks a person for a password
            try:
                psycopg.connect(f"postgresql://nobody_at_all@/postgres?host={self.folder}").close()
            except psycopg.OperationalError as exc:
                if "password" in str(exc):
                    return
            time.sleep(0.01)
        raise RuntimeError("the test server did not start asking for passwords")

    def drop(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def restart(self) -> None:
        """Stop the server as an administrator's restart does (every connection is cut, every open transaction
        rolled back; ``fast``, not ``immediate``: with the test server's durability off a crash would lose
        committed rows) and start it again in the same folder; the databases stay."""
        _run(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"])
        _start(self.user, self.bin, self.folder, self.settings)

    def stop(self) -> None:
        try:
            _run(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w",
                             "stop"])
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(settings: str = _SETTINGS) -> Server:
    """initdb + pg_ctl start in a new temporary folder; RuntimeError (:data:`INSTALL`) when there is no server.

    *settings*: the server's options (``-c name=value …``; a benchmark raises ``max_connections``)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(INSTALL)
    user = _unprivileged_user() if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="veil-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = Server(folder, bin_dir, user, settings)
    try:
        _run(user, [str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "veil", "-A", "trust", "-E", "UTF8",
                    "--locale=C", "--no-sync"])
        _start(user, bin_dir, folder, settings)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server


def _start(user: str | None, bin_dir: Path, folder: Path, settings: str) -> None:
    _run(user, [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-o",
                f"-k {folder} {settings}", "start"])


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


def silent_url(database: str, port: int) -> str:
    """The URL of *database* on a "server" at 127.0.0.1:*port* that accepts connections and never answers."""
    return f"postgresql://veil@127.0.0.1:{port}/{database}"


class SilentHost:
    """A host gone silent (a dead switch, a frozen server): TCP connections to its port are accepted by the
    kernel's backlog and never answered. Without a connect timeout and keepalives a client waits on it forever.
    Use as a context manager; ``port`` is where it listens."""

    def __enter__(self) -> SilentHost:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = int(self._socket.getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
