"""Helpers the benchmarks share: a big synthetic store, timing, and recording figures.

Benchmarks print figures; they never assert on time (a slow CI machine is
not a bug). Each writes its figures to ``benchmarks/results.json`` as well
(``VEIL_BENCH_RESULTS`` names another file), in two kinds:

* :func:`figure` — one measured value of Veil beside the *floor* (the same
  work done the barest way, on the same store in the same run: a bare
  ``UPDATE … RETURNING`` for a claim, a bare ``SELECT`` written with the
  ``csv`` module for an export) and their ratio. Ratios compare across
  machines and noisy shared hosts where absolute times do not: the CI guard
  (``benchmarks/guard.py``) compares them with a committed baseline.
* :func:`record` — free-form details of a run (sizes, memory, counts), kept
  under ``details``.
"""

from __future__ import annotations

import atexit
import functools
import inspect
import json
import multiprocessing
import os
import platform
import queue
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from pathlib import Path

import machine_speed

RESULTS = Path(os.environ.get("VEIL_BENCH_RESULTS", Path(__file__).resolve().parent / "results.json"))

if "VEIL_HOME" not in os.environ:  # the stores' saved indexes (and any other file Veil keeps) go with the run
    os.environ["VEIL_HOME"] = tempfile.mkdtemp(prefix="veil-bench-home-")
    atexit.register(shutil.rmtree, os.environ["VEIL_HOME"], ignore_errors=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2), "n": len(ms)}


def fill_text_items(store, queue_id: int, count: int, *, batch: int = 100_000) -> None:
    """Insert *count* pending text items quickly (bulk, no media)."""
    start = time.perf_counter()
    for offset in range(0, count, batch):
        rows = [
            {"external_id": f"bulk-{queue_id}-{n}", "queue_id": queue_id, "kind": "text", "text": f"post {n}",
             "received_at": f"2026-01-0{1 + n % 4}T{n % 24:02d}:{n % 60:02d}:00.000Z"}
            for n in range(offset, min(count, offset + batch))
        ]
        store.add_items(rows)
    print(f"  (filled {count:,} items in {time.perf_counter() - start:.1f} s)")


def record(name: str, figures: dict) -> None:
    """Print one benchmark's details and merge them into the results file (under ``details``)."""
    print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    _merge(lambda data: data.setdefault("details", {}).__setitem__(name, figures))


def figure(name: str, value: float, unit: str, *, floor: float | None = None, target: str = "", n: int = 1,
           scale: str = "") -> dict:
    """Print and keep one figure: Veil's *value* beside its *floor* (same unit, same run), their ratio.

    *unit* says what the number is ("ms p95", "rows/s"); for a rate (a unit
    ending in "/s") the ratio is floor / value, for a time value / floor, so
    a ratio above 1 always means "Veil is that many times slower than the
    floor". *target* is the issue's goal in words ("<= 17 ms"), *n* how many
    samples the value summarises, *scale* the store it ran on ("1m items").
    """
    ratio = None
    if floor:
        ratio = round(floor / value if unit.endswith("/s") else value / floor, 2)
    entry = {"value": value, "unit": unit, "floor": floor, "ratio": ratio, "target": target, "n": n,
             "scale": scale}
    shown_floor = f"  floor {floor} {unit}  ratio {ratio}" if floor else ""
    print(f"{name}: {value} {unit}{shown_floor}" + (f"  (target {target})" if target else ""))
    _merge(lambda data: data.setdefault("figures", {}).__setitem__(name, entry))
    return entry


def record_machine_speed() -> dict:
    """Time the machine's three fixed pieces of work (``machine_speed.py``) and keep them beside the figures."""
    speed = machine_speed.measure()
    print("machine_speed: " + ", ".join(f"{k}={v}" for k, v in speed.items()))
    _merge(lambda data: data.__setitem__("machine_speed", speed))
    return speed


def _merge(change) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    data["date"] = time.strftime("%Y-%m-%d")
    change(data)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")


def median_of(runs: int, measure) -> float:
    """The median of *runs* calls of *measure()* (each returns one figure): one noisy run moves nothing."""
    return statistics.median(measure() for _ in range(runs))


# A child says its own high-water mark (VmHWM) as it exits. Not ru_maxrss: at exec Linux keeps the
# forking process's peak as the child's, so a benchmark that built a big store first would be measured.
_SAY_PEAK = ("import atexit, sys; atexit.register(lambda: print('VmHWM', open('/proc/self/status').read()"
             ".split('VmHWM:')[1].split()[0], file=sys.__stderr__))\n")


def run_python(code: str, *args: str, cwd: str | Path | None = None) -> tuple[int, str, str, float, float]:
    """``python -c code *args`` in a child: (exit code, stdout, stderr, wall seconds, peak RSS in MB).

    stdout and stderr go through files, not pipes (a refused import may say a lot). Run from
    *cwd* so "-c" finds the code measured first on the path.
    """
    import subprocess
    import tempfile

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        child = subprocess.run([sys.executable, "-c", _SAY_PEAK + code, *args], cwd=cwd, stdout=out, stderr=err,
                               check=False)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        said, complaints = out.read(), err.read()
    peaks = [line.split()[1] for line in complaints.splitlines() if line.startswith("VmHWM ")]
    kept = "\n".join(line for line in complaints.splitlines() if not line.startswith("VmHWM "))
    return child.returncode, said, kept, seconds, int(peaks[-1]) / 1024 if peaks else float("nan")


VEIL = "import sys; from desktop.main import main; sys.exit(main())"  # run_python(VEIL, "verify", …) is `veil verify …`


def timed(fn, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


# ------------------------------------------------------------ many processes on one store
# The multi-process benchmarks (bench_claim_race, bench_kill_workers) run on the code
# on the path, so the same script measures the code before a change
# (PYTHONPATH=<worktree of the old code>) and after it.


def code_under_test() -> str:
    """Which Veil the workers run: the folder the review package came from."""
    import review

    return str(Path(review.__file__).resolve().parent.parent)


def worker_processes(module: str) -> BaseContext:
    """Processes forked from a clean server that imported the workers' modules once, from the parent's path.

    *module* is where the worker function lives. Restarting a killed worker
    then costs milliseconds, not an interpreter's start; nothing is forked
    from the parent, which may run threads (pytest, Qt). The server is
    started with the parent's ``sys.path`` and without the current folder in
    front of it, so its workers run the same Veil as the parent (Python
    3.11's forkserver would otherwise import from the folder it was started
    in, and cannot preload ``__main__``, hence the modules named here).
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["desktop.wiring", "review.desk", "review.taxonomy", module])
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "PYTHONSAFEPATH")}
    os.environ.update(PYTHONPATH=os.pathsep.join(p for p in sys.path if p), PYTHONSAFEPATH="1")
    try:
        forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return context


def gather(results, workers: list) -> list:
    """One result from each worker process, from the *results* queue.

    A worker that dies without sending its result ends the benchmark (its
    traceback is printed above) instead of leaving it waiting forever.
    """
    got: list = []
    while len(got) < len(workers):
        try:
            got.append(results.get(timeout=1))
        except queue.Empty:
            failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if failed:
                raise SystemExit(f"{len(failed)} worker process(es) failed (exit codes {failed})") from None
    return got


def short_leases(seconds: float) -> None:
    """Make every lease the review desk takes or renews last *seconds* of real time.

    The clock stays real; only the length changes, on whichever serving
    functions take a ``lease_seconds`` (the code before and after the
    lease-claim change name different ones).
    """
    from review import serving

    serving.LEASE_SECONDS = seconds
    for function in vars(serving).values():
        defaults = getattr(function, "__kwdefaults__", None)
        if defaults and "lease_seconds" in defaults:
            defaults["lease_seconds"] = seconds


def claim_of(shown: object) -> dict[str, int]:
    """The claim to pass to decide/renew/release: ``{"claim": id}``, or ``{}`` on a desk without claim ids."""
    return {"claim": shown.claim} if _desk_names_claims() else {}


@functools.cache
def _desk_names_claims() -> bool:
    """Whether the review desk under test takes a claim id (``decide(..., *, claim)``; issue 11) or not (before)."""
    from review.desk import ReviewDesk

    return "claim" in inspect.signature(ReviewDesk.decide).parameters


def decision_report(store, reported: Mapping[int, int], escalate: str) -> dict[str, int]:
    """What the store holds against what the workers said they committed.

    *reported* maps each decision id a worker was told is stored to its
    item. ``lost``: reported but not stored (or stored for another item).
    ``duplicated``: items with two current closing decisions (or two current
    escalations), decision events without their row and rows without their
    event. ``bad_items``: an item neither pending nor decided, decided without
    a current closing decision, or pending with one.
    """
    db = store.db
    rows = {d: (item, action) for d, item, action in db.execute("SELECT id, item_id, action FROM decisions")}
    lost = sum(1 for d, item in reported.items() if rows.get(d, (None,))[0] != item)
    current = list(db.execute(
        "SELECT d.item_id, d.action FROM decisions d WHERE d.revokes_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)"))
    closing = Counter(item for item, action in current if action != escalate)
    escalated = Counter(item for item, action in current if action == escalate)
    twice = {item for item, n in closing.items() if n > 1} | {item for item, n in escalated.items() if n > 1}
    logged: set[int] = set()
    for kind, payload in db.execute(
        "SELECT kind, payload FROM events WHERE kind IN ('decision.made', 'decision.recorded', 'decision.revoked')"
    ):
        body = json.loads(payload)
        logged.add(body["revocation"] if kind == "decision.revoked" else body["decision"])
    states = dict(db.execute("SELECT id, state FROM items"))
    bad_items = sum(
        1 for item, state in states.items()
        if state not in ("pending", "decided") or (state == "decided") != (closing[item] > 0)
    )
    return {"lost": lost, "duplicated": len(twice) + len(logged - rows.keys()) + len(rows.keys() - logged),
            "bad_items": bad_items}


def verify_report(store) -> dict[str, object]:
    """``veil verify``'s checks on the store: the event chain, SQLite's own check, and the whole-store
    check where the code has one; ``verified`` is True when all of them pass."""
    from review.store import events

    checked, broken = events.verify_chain(store.db)
    sqlite_says = store.db.execute("PRAGMA integrity_check").fetchone()[0]
    whole = store_check(store)
    return {
        "chain": f"BROKEN at event {broken.row_id}" if broken else f"intact ({checked} events)",
        "sqlite_integrity": sqlite_says, "store_check": whole,
        "verified": broken is None and sqlite_says == "ok" and whole in ("ok", "none in this code"),
    }


def store_check(store) -> str:
    """``veil verify``'s whole-store check (``review.store.integrity``), where the code under test has one:
    "ok", or how many problems and the first of them."""
    try:
        from review.store import integrity
    except ImportError:  # the code before issue 11 checks only the chain
        return "none in this code"
    from desktop import wiring
    from review import taxonomy

    escalating = {action.id for action in taxonomy.load().actions if action.escalates}
    report = integrity.check(store.db, wiring.schema_sets(), escalating=escalating)
    return "ok" if report.ok else f"{len(report.problems)} problems, first: {report.problems[0]}"


# ------------------------------------------------------------ both stores (issue 22 §5)
#: A PostgreSQL server the caller runs (its maintenance database, as its owner, e.g.
#: ``postgresql://veil@/postgres?host=/tmp/veil-pg-x``): the benchmarks that take a store run on a fresh
#: database there too, and print that figure beside SQLite's under the same name with :data:`PG_SUFFIX`.
DATABASE_URL = "VEIL_BENCH_DATABASE_URL"
PG_SUFFIX = "_pg"


def bench_stores(folder: Path | str) -> list[tuple[str, object]]:
    """Where a benchmark builds its store: ``("sqlite", new)`` always, and ``("postgresql", new)`` when
    ``$VEIL_BENCH_DATABASE_URL`` names a server. ``new(name)`` gives the location of a fresh, empty store
    (a file in *folder*; a new database on the server, dropped when the benchmark exits) to pass to
    ``wiring.open_store``. Name a figure measured on the server ``name + suffix(kind)``."""
    stores: list[tuple[str, object]] = [("sqlite", lambda name: str(Path(folder) / f"{name}.db"))]
    if os.environ.get(DATABASE_URL):
        stores.append(("postgresql", fresh_database))
    return stores


def suffix(kind: str) -> str:
    """What a figure's name gets for the store it ran on: nothing for SQLite, :data:`PG_SUFFIX` for a server."""
    return PG_SUFFIX if kind == "postgresql" else ""


def fresh_database(name: str) -> str:
    """The URL of a new empty database ``bench_<name>_<pid>`` on ``$VEIL_BENCH_DATABASE_URL``'s server, dropped
    when this process exits."""
    import atexit
    import re
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    server = os.environ[DATABASE_URL]
    database = re.sub(r"[^a-z0-9_]", "_", f"bench_{name}_{os.getpid()}".lower())[:60]

    def admin(statement: str) -> None:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(statement)

    admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    admin(f"CREATE DATABASE {database}")
    atexit.register(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    return urlunsplit(urlsplit(server)._replace(path=f"/{database}"))


def person_url(store, url: str, name: str) -> str:
    """*url* signed in as *name*'s own database role, so the server's row-level security is what a desk meets
    (the store's owner meets none of it). The role gets LOGIN here; the throwaway servers trust local
    connections, so no password is needed."""
    from urllib.parse import quote, urlsplit, urlunsplit

    role = str(store.db.execute("SELECT r.role FROM people_roles r JOIN users u ON u.id = r.user_id"
                                " WHERE u.name = ?", [name]).fetchone()[0])
    store.db.execute(f'ALTER ROLE "{role}" LOGIN')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{quote(role)}@{parts.netloc.rsplit('@', 1)[-1]}"))


# ------------------------------------------------------------ big stores, built once (issue 22 §1)
#: What ``--scale`` names: items in the store the fast demo builds.
SCALES = {"100k": 100_000, "1m": 1_000_000, "5m": 5_000_000}


def scale_items(scale: str) -> int:
    """The item count of a ``--scale`` (``100k``, ``1m``, ``5m``, or a plain number)."""
    return SCALES[scale] if scale in SCALES else int(scale.replace("_", ""))


def schema_digest() -> str:
    """A short digest of every schema step the code under test applies: a cached store built by other code
    (another step, or one step fewer) is built again."""
    import hashlib

    from desktop import wiring

    steps = sorted((s.name, m.name) for s in wiring.schema_sets() for m in s._migrations)
    return hashlib.sha256(json.dumps(steps).encode()).hexdigest()[:12]


def big_store(scale: str, *, folder: Path | str | None = None, seed: int = 7) -> Path:
    """A demo store of *scale*'s items (``veil demo --items N``), built once and kept in *folder*
    (``$VEIL_BENCH_CACHE``, else the system's temporary folder) as ``veil-bench-<scale>-<schema>.db``: the
    benchmarks of one ``make bench SCALE=…`` share it, and a new schema step builds a new one (older
    ones of that scale are removed). Treat it as read-only; copy it (with :func:`copy_store`) to write."""
    import shutil
    import subprocess
    import tempfile

    folder = Path(folder or os.environ.get("VEIL_BENCH_CACHE") or tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"veil-bench-{scale}-{schema_digest()}.db"
    done = path.with_name(path.name + ".built")  # written last: a build that was stopped is not reused
    if done.exists():
        return path
    for stale in folder.glob(f"veil-bench-{scale}-*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    print(f"  (building the {scale} store with veil demo: {path})", flush=True)
    subprocess.run([sys.executable, "-c", VEIL, "demo", "--store", str(path), "--items", str(scale_items(scale)),
                    "--seed", str(seed)], check=True, cwd=Path(__file__).resolve().parent.parent)
    done.write_text(json.dumps({"items": scale_items(scale), "seed": seed, "schema": schema_digest()}))
    return path


def copy_store(source: Path, target: Path) -> Path:
    """A writable copy of a store file (SQLite's backup: consistent even with its WAL) beside its media name;
    the media folder is shared through an absolute link, never copied."""
    import sqlite3

    with sqlite3.connect(source) as old, sqlite3.connect(target) as new:
        old.backup(new)
    media = Path(str(source) + ".media")
    if media.exists() and not Path(str(target) + ".media").exists():
        Path(str(target) + ".media").symlink_to(media.resolve())
    return target
