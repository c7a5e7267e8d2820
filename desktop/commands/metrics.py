"""``veil metrics``: QA accuracy and agreement per moderator, queue, label or auditor.

The figures come from ``audit.metrics.assembly.build`` (formulas in docs/metrics.md)
as the signed-in person may see them (a moderator: their own results only;
by auditor, anyone but a lead: the audits they scored themselves); this
module only parses options and prints, as a table or as JSON. By auditor,
a second table is each auditor's work (``audit.metrics.auditors``).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from desktop.commands.common import add_store_option, fail, open_store, shown
from desktop.commands.signin import add_user_option, signed_in

if TYPE_CHECKING:
    from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "metrics", help="QA accuracy (with 95%% interval), agreement and gold results",
        description="Accuracy of audited decisions (final verdicts, Wilson 95% interval, n), Cohen's kappa "
        "between moderator and blind auditor, gold-item accuracy, per moderator, queue or label; "
        "calibration agreement (Fleiss, Krippendorff). Dates are UTC: YYYY-MM-DD (whole day, inclusive) "
        "or a full ISO 8601 time; the period is when the decisions were made (auditors' work: when the audits "
        "were scored). A moderator sees only their own results, an auditor grouping by auditor only their own "
        "audits. Exit 2 on a bad option or when not signed in.",
    )
    add_store_option(parser)
    add_user_option(parser)
    parser.add_argument("--by", choices=("moderator", "queue", "label", "auditor"), default="moderator",
                        help="how to group (default: moderator); auditor adds each auditor's throughput, "
                        "time per audit and overturn rates")
    parser.add_argument("--since", metavar="DATE", help="first day or time (inclusive)")
    parser.add_argument("--until", metavar="DATE", help="last day or time (inclusive)")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON (schema: docs/metrics.md)")
    parser.add_argument("--targets", action="store_true", help="throughput, accuracy and timeliness against their "
                        "targets per person and queue, and cost per decision (docs/operations.md); a moderator: "
                        "their own row")
    parser.add_argument("--transparency", action="store_true", help="DSA transparency counts of the period: notices, "
                        "actions by type, ground and category, automated share, time to act, complaints, statements "
                        "(docs/statements.md); a lead's")
    parser.set_defaults(run=run)


def figures(store: Store, viewer: User, *, by: str = "moderator", since: str | None = None,
            until: str | None = None) -> dict[str, Any]:
    """Everything ``veil metrics --json`` prints: the QA report and automation's figures per rule over its period
    (``benchmarks/bench_dashboard.py`` times this, the command's whole computation)."""
    from audit import automation
    from audit.metrics import assembly as report

    data = report.build(store, viewer, by=by, since=since, until=until)
    data["automation"] = automation.for_metrics(store, viewer, *report.date_range(since, until))
    return data


def run(args: argparse.Namespace) -> int:
    from audit.metrics import assembly as report

    try:
        report.date_range(args.since, args.until)
    except report.PeriodError as exc:
        return fail(str(exc))
    if args.transparency:
        from desktop.commands.metrics_transparency import run_transparency

        return run_transparency(args)
    if args.targets:
        from desktop.commands.metrics_targets import run_targets

        return run_targets(args)
    with open_store(args, must_exist=True) as store:
        data = figures(store, signed_in(store, args), by=args.by, since=args.since, until=args.until)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(table(data))
    return 0


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _ci(ci: list[float] | None) -> str:
    return "—" if ci is None else f"{100 * ci[0]:.1f}–{100 * ci[1]:.1f}%"


def table(data: dict) -> str:
    """A readable table: one line per group, then overall and calibration."""
    header = (data["by"], "n", "accuracy", "95% CI", "kappa", "score", "gold n", "gold acc", "disputes")
    rows = []
    for group in [*data["groups"], data["overall"]]:
        rows.append((shown(group["key"]), str(group["n"]), _pct(group["accuracy"]), _ci(group["accuracy_ci95"]),
                     _num(group["cohen_kappa"]), _num(group["mean_score"], 1), str(group["gold"]["n"]),
                     _pct(group["gold"]["accuracy"]), str(group["disputes"]["opened"])))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    span = f"{data['since'] or 'start'} … {data['until'] or 'now'}"
    out = [f"QA metrics by {data['by']}, decisions made {span} (UTC)", line(header),
           line(["-" * w for w in widths])]
    out += [line(r) for r in rows[:-1]]
    out += [line(["-" * w for w in widths]), line(rows[-1])]
    if data["calibration"]:
        out += ["", "calibration set  items  raters  answers  Fleiss κ  Krippendorff α"]
        for c in data["calibration"]:
            out.append(f"{shown(c['set']):<15}  {c['items']:>5}  {c['raters']:>6}  {c['answers']:>7}  "
                       f"{_num(c['fleiss_kappa'], 3):>8}  {_num(c['krippendorff_alpha'], 3):>14}")
    if "auditors" in data:
        out += ["", *auditor_table(data["auditors"])]
    if not data["overall"]["n"] and not data["overall"]["gold"]["n"]:
        out += ["", "No audited decisions or gold results in this period."]
    return "\n".join(out)


def _share(figure: dict) -> str:
    """"22.2% (2 of 9)": a rate with its k and n, so a small n is seen."""
    return f"{_pct(figure['rate'])} ({figure['k']} of {figure['n']})" if figure["n"] else "—"


def auditor_table(rows: list[dict]) -> list[str]:
    """Each auditor's work: audits and per day, median minutes per audit, judged wrong, overturned on dispute."""
    if not rows:
        return ["No auditors' work in this period."]
    header = ("auditor", "audits", "per day", "min/audit", "judged wrong", "overturned", "disputes", "holding")
    cells = [(shown(r["auditor"]), str(r["audits"]), f"{r['per_day']:.1f}", _num(r["minutes_median"], 1),
              _share(r["judged_wrong"]), _share(r["overturned"]),
              f"{r['disputes']['opened']} ({r['disputes']['upheld']} upheld, {r['disputes']['overturned']} overturned)",
              str(r["holding"])) for r in rows]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(len(header))]
    return ["Auditors' work (audits scored in the period; judged wrong = scored incorrect; "
            "overturned = share of the disputes a lead resolved in which they overturned the verdict)",
            *("  ".join(c.ljust(w) if i in (0, 6) else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
              .rstrip() for line in [header, *cells])]
