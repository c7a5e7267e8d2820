"""``veil export``: a lead's exports from the command line (cron-friendly).

``decisions``, ``audits``, ``metrics`` and ``transparency`` (the DSA
transparency counts) are tables: CSV, JSON Lines or XLSX (:mod:`audit.exports`).
``report`` is the PDF report with charts (:mod:`ui.reports.pdf`), and PDF is only the report. Qt is imported only for
the report; without a display (a server, cron) it paints offscreen.

Who exports: the signed-in person (:mod:`desktop.commands.signin`), who
must be a lead; nobody named is refused, never guessed.

Exit codes: 0 written; 1 the export started but did not finish (interrupted,
disk full, cannot write) and no file was left; 2 refused before anything was
written (bad option, unknown store, user, queue or moderator, not a lead).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from desktop.commands.common import add_store_option, fail, open_store, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError

TABLES = ("decisions", "audits", "metrics", "transparency")
WHAT = (*TABLES, "report")
FORMATS = ("csv", "jsonl", "xlsx", "pdf")
_SUFFIX_FORMAT = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx", ".pdf": "pdf"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export", help="export decisions, audits, metrics or transparency counts (CSV, JSON Lines, XLSX) or the PDF "
        "report (leads)",
        description="Export as a lead. decisions, audits, metrics and transparency (the DSA transparency counts: "
        "notices, actions, automated means, complaints, statements) are tables: --format csv, jsonl or xlsx. "
        "report is the PDF report with charts and is --format pdf only. Dates are UTC: YYYY-MM-DD (whole day, "
        "inclusive) or an ISO 8601 time, and select by when the decision was made. --queue and --moderator "
        "narrow decisions and audits. Exports never contain media or media paths. The file is written under a "
        "temporary name and renamed when complete. Exit 0 written, 1 not finished (no file left), 2 refused.",
    )
    parser.add_argument("what", choices=WHAT, help="what to export")
    parser.add_argument("--format", choices=FORMATS, help="file format (default: from the suffix of --out)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write (replaced if it exists)")
    add_store_option(parser)
    add_user_option(parser, who="the lead exporting")
    parser.add_argument("--since", metavar="DATE", help="first day or time (inclusive)")
    parser.add_argument("--until", metavar="DATE", help="last day or time (inclusive)")
    parser.add_argument("--queue", metavar="NAME", help="only decisions made in this queue (decisions, audits)")
    parser.add_argument("--moderator", metavar="NAME", help="only this moderator's decisions (decisions, audits)")
    parser.add_argument("--pseudonymise", "--pseudonymize", action="store_true",
                        help="replace people's names with stable pseudonyms (e.g. mod-3f9a2c); names inside "
                        "notes and comments are replaced where spelled as in Veil")
    parser.set_defaults(run=run)


def resolve_format(what: str, fmt: str | None, out: str) -> str:
    """The format to write; ValueError saying what to do instead."""
    fmt = fmt or _SUFFIX_FORMAT.get(Path(out).suffix.lower())
    if fmt is None:
        raise ValueError(f"say --format ({', '.join(FORMATS)}): the suffix of {out} does not tell")
    if what == "report" and fmt != "pdf":
        raise ValueError("the report is a PDF only: use --format pdf (decisions, audits, metrics and transparency "
                         "export as csv, jsonl or xlsx)")
    if what != "report" and fmt == "pdf":
        raise ValueError(f"only the report is a PDF: export {what} as csv, jsonl or xlsx")
    return fmt


def run(args: argparse.Namespace) -> int:
    from audit import exports
    from audit.exports.writers import anchor_words

    try:
        fmt = resolve_format(args.what, args.format, args.out)
    except ValueError as exc:
        return fail(str(exc))
    out = Path(args.out).expanduser()
    if not out.parent.is_dir():
        return fail(f"--out {args.out}: the folder {out.parent} does not exist")
    filters = exports.Filters(args.since, args.until, args.queue, args.moderator)
    if args.what == "report" and (args.queue or args.moderator):
        return fail("the report covers the whole team; --queue and --moderator filter decisions and audits")
    started = time.perf_counter()
    with open_store(args, must_exist=True) as store:
        lead = signed_in(store, args, roles=("lead",), to="export audit results")
        try:
            filters.window()
            exports.check_output(store, out)
            exports.check_filters(store, filters)
        except ValueError as exc:
            return fail(str(exc))
        progress = ProgressLine(sys.stderr, "pages" if args.what == "report" else "rows")
        try:
            if args.what == "report":
                _gui_app()
                from ui.reports import pdf as report_pdf

                result = report_pdf.export_report(store, lead, out, since=args.since, until=args.until,
                                                   pseudonymise=args.pseudonymise, progress=progress)
            else:
                result = exports.export(store, lead, args.what, fmt, out, filters=filters,
                                        pseudonymise=args.pseudonymise, progress=progress)
        except ValueError as exc:  # refused before writing: a bad kind, format or filter (ExportError)
            progress.clear()
            return fail(str(exc))
        except VeilError as exc:  # the store failed half-way (busy, unavailable): no file was left
            progress.clear()
            return fail(f"{exc}; {out} was not written", 1)
        except KeyboardInterrupt:
            progress.clear()
            return fail(f"interrupted; {out} was not written", 1)
        except OSError as exc:
            progress.clear()
            return fail(f"could not write {out}: {exc}", 1)
    progress.clear()
    seconds = time.perf_counter() - started
    size = f"{result.rows} page{'s' if result.rows != 1 else ''}" if args.what == "report" else \
        f"{result.rows:,} {'row' if result.rows == 1 else 'rows'}"
    note = ", names pseudonymised" if args.pseudonymise else ""
    print(f"exported {args.what} ({size}{note}) to {shown(out)} as {fmt.upper()} in {seconds:.1f} s")
    print(anchor_words(result.head))  # keep it: it proves later that the history behind the file stands
    return 0


def _gui_app():
    """A QGuiApplication for fonts; offscreen when there is no display to talk to (servers, cron)."""
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(["veil"])


class ProgressLine:
    """Progress on stderr for long exports: a ``\\r`` line on a terminal, a line per 10 % otherwise.

    Silent for the first half second, so quick exports print only their result.
    """

    DELAY_S = 0.5

    def __init__(self, stream, unit: str):
        self.stream, self.unit = stream, unit
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.last = -1
        self.drawn = 0

    def __call__(self, done: int, total: int) -> None:
        if time.perf_counter() - self.started < self.DELAY_S or total <= 0:
            return
        percent = min(100, 100 * done // total)
        step = percent if self.tty else percent - percent % 10
        if step == self.last:
            return
        self.last = step
        text = f"export: {done:,}/{total:,} {self.unit} ({percent}%)"
        if self.tty:
            self.stream.write("\r" + text)
            self.drawn = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0
