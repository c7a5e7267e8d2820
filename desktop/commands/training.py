"""``veil training``: courses from gold items, queue gates, waivers, calibration sessions and who stands where.

Every action is one ``audit.training`` call, the same the Training page
makes. A lead builds, gates, waives and runs sessions; anyone who reviews
may read ``status`` (their own rows; a lead everyone's). A trainee works a
course in the app only: it shows the items, blurred, on the review desk's
view, and books their exposure.
"""

from __future__ import annotations

import argparse

from desktop.commands.common import add_action, add_store_option, as_lead, fail, open_store, print_json, shown
from desktop.commands.signin import add_user_option, signed_in
from review.errors import VeilError
from review.store import Store, User


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("training", help="training: courses, gates, waivers, sessions, status",
                            description="Training and certification: build courses from gold items, require one "
                            "to be served a queue, waive it with a reason, run calibration sessions, and see who "
                            "passed (trainees work courses in the app).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = add_action(actions, "courses", "List the courses and the queues that require them.", run_courses)
    listing.add_argument("--json", action="store_true")
    course = add_action(actions, "course", "Create, change, show or re-certify a course.", run_course)
    course.add_argument("verb", choices=("create", "edit", "show", "recertify"))
    course.add_argument("name")
    course.add_argument("--item", action="append", type=int, default=[], metavar="ID",
                        help="a gold item of the course, by id, in order (repeatable; create, edit)")
    course.add_argument("--rename", metavar="NEW", help="edit: the course's new name")
    course.add_argument("--explain", action="append", default=[], metavar="ID=TEXT",
                        help="the explanation shown after item ID (default: the gold item's own)")
    course.add_argument("--pass-mark", type=float, default=None, metavar="PERCENT",
                        help="per cent to pass (create: 80; edit: kept unless given)")
    course.add_argument("--time-limit", type=int, default=None, metavar="MINUTES",
                        help="optional time limit (edit: kept unless given; 0 removes it)")
    course.add_argument("--description", default=None, help="(edit: kept unless given)")
    course.add_argument("--taxonomy-version", type=int, default=None, metavar="N",
                        help="the taxonomy version it is for (create: the organisation's; edit: kept — a new one "
                        "is recertify; recertify: required)")
    course.add_argument("--json", action="store_true", help="show: print the course as JSON")
    gate = add_action(actions, "gate", "Require a course to be served a queue (--none lifts it).", run_gate)
    gate.add_argument("queue")
    gate.add_argument("course", nargs="?")
    gate.add_argument("--none", action="store_true", help="lift the queue's requirement")
    waive = add_action(actions, "waive", "Let a person work a gated queue without its course.", run_waive)
    waive.add_argument("person")
    waive.add_argument("queue")
    waive.add_argument("--reason", required=True)
    unwaive = add_action(actions, "unwaive", "Lift a person's waiver for a queue: it asks them for its course again.",
                         run_unwaive)
    unwaive.add_argument("person")
    unwaive.add_argument("queue")
    unwaive.add_argument("--reason", required=True)
    status = actions.add_parser("status", help="per person: course, attempts, best score, passed, certified queues",
                                description="Per person and course: attempts, best score, passed, certified queues "
                                "(a lead sees everyone, with per-course success rates and the labels trainees "
                                "miss most; anyone else their own).")
    add_store_option(status)
    add_user_option(status)
    status.set_defaults(run=run_status)
    status.add_argument("--json", action="store_true")
    session = add_action(actions, "session", "Calibration sessions: create, show (spread, kappa, alpha), agree, "
                         "close.", run_session)
    session.add_argument("verb", choices=("create", "show", "agree", "close"))
    session.add_argument("name")
    session.add_argument("--item", action="append", type=int, default=[], metavar="ID",
                         help="create: an item (repeatable); agree: the one item")
    session.add_argument("--person", action="append", default=[], metavar="NAME",
                         help="create: a person who answers blind (repeatable, two or more)")
    session.add_argument("--action", dest="answer_action", metavar="ACTION", help="agree: the agreed action")
    session.add_argument("--label", action="append", default=[], metavar="LABEL", help="agree: a label (repeatable)")
    session.add_argument("--note", default="", help="agree: why (it becomes the gold explanation)")
    session.add_argument("--gold", action="store_true", help="agree: make the item gold with the agreed answer")
    session.add_argument("--json", action="store_true", help="show: print the session as JSON")


def _policy(store: Store):  # noqa: ANN202 - a Taxonomy; imported late like every command's domain
    from desktop import paths
    from review.taxonomy import stored

    return stored.organisation(store, paths.taxonomy_path())


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def run_courses(args: argparse.Namespace) -> int:
    from audit.training import certification, courses

    def work(store: Store, lead: User) -> int:
        found = courses.courses(store, lead)
        gates = certification.gates(store, lead)
        if args.json:
            print_json({"courses": [c.as_json() for c in found],
                        "gates": [{"queue": g.queue, "course": g.course, "taxonomy_version": g.taxonomy_version}
                                  for g in gates]})
            return 0
        if not found:
            print("no courses (build one: veil training course create NAME --item ID ...)")
        for c in found:
            queues = ", ".join(shown(g.queue) for g in gates if g.course_id == c.id) or "no queue"
            limit = f"{c.time_limit_seconds // 60} min" if c.time_limit_seconds else "no time limit"
            print(f"{shown(c.name)}  {c.size} items  pass {_percent(c.pass_mark)}  {limit}  taxonomy v"
                  f"{c.taxonomy_version}  required by: {queues}")
        return 0

    return as_lead(args, "see training courses", work)


def run_course(args: argparse.Namespace) -> int:
    from audit.training import certification, courses

    def work(store: Store, lead: User) -> int:
        if args.verb == "show":
            found = courses.course(store, lead, args.name)
            if args.json:
                print_json(found.as_json())
                return 0
            print(f"{shown(found.name)}: {found.size} items, pass {_percent(found.pass_mark)}, taxonomy "
                  f"v{found.taxonomy_version}")
            for i in found.items:
                print(f"  {i.position}. item {i.item_id} ({shown(i.external_id)}, {i.kind}): {i.action} "
                      f"[{', '.join(i.labels) or 'no label'}] — {shown(i.explanation)}")
            return 0
        if args.verb == "recertify":
            if args.taxonomy_version is None:
                return fail("recertify needs --taxonomy-version N (the version passes must now be for)")
            changed = certification.require_recertification(store, lead, args.name, args.taxonomy_version,
                                                            _policy(store))
            print(f"{shown(args.name)} is now for taxonomy version {args.taxonomy_version}: {changed} queue(s) "
                  "require a new pass")
            return 0
        editing = args.verb == "edit"
        # edit: what is not given stays as stored (items, their explanations, pass mark, time limit, description)
        stored = courses.course(store, lead, args.name) if editing else None
        explanations = {i.item_id: i.explanation for i in stored.items} if stored else {}
        for entry in args.explain:
            item, _, text = entry.partition("=")
            if not item.strip().isdigit():
                return fail(f"--explain takes ID=TEXT, not {entry!r}")
            explanations[int(item)] = text
        if stored is None:
            version, mark, minutes = args.taxonomy_version or _policy(store).version, args.pass_mark or 80.0, \
                args.time_limit
        else:
            version = args.taxonomy_version  # None keeps it; another one is refused (a re-certification)
            mark = stored.pass_mark * 100 if args.pass_mark is None else args.pass_mark
            kept = stored.time_limit_seconds // 60 if stored.time_limit_seconds else None
            minutes = kept if args.time_limit is None else (args.time_limit or None)
        items = args.item or ([i.item_id for i in stored.items] if stored else [])
        description = args.description if args.description is not None else (stored.description if stored else "")
        made = courses.save_course(store, lead, (args.rename or args.name) if editing else args.name, items,
                                   taxonomy_version=version, pass_mark=mark / 100, time_limit_minutes=minutes,
                                   explanations=explanations, description=description,
                                   course=args.name if editing else None)
        print(f"course {shown(made.name)} {'changed' if editing else 'created'}: {made.size} items, pass "
              f"{_percent(made.pass_mark)}")
        return 0

    return as_lead(args, "build training courses", work)


def run_gate(args: argparse.Namespace) -> int:
    from audit.training import certification

    def work(store: Store, lead: User) -> int:
        if (args.course is None) == (not args.none):
            return fail("name the course the queue requires, or --none to lift the requirement")
        changed = certification.gate(store, lead, args.queue, None if args.none else args.course)
        what = "requires no course" if args.none else f"requires the course {shown(args.course)}"
        print(f"{shown(args.queue)} {what}" + ("" if changed else " (unchanged)"))
        return 0

    return as_lead(args, "gate queues with a course", work)


def run_waive(args: argparse.Namespace) -> int:
    from audit.training import certification

    def work(store: Store, lead: User) -> int:
        certification.waive(store, lead, args.person, args.queue, args.reason)
        print(f"{shown(args.person)} may work {shown(args.queue)} without its course (waived: {shown(args.reason)})")
        return 0

    return as_lead(args, "waive a training requirement", work)


def run_unwaive(args: argparse.Namespace) -> int:
    from audit.training import certification

    def work(store: Store, lead: User) -> int:
        certification.lift_waiver(store, lead, args.person, args.queue, args.reason)
        print(f"{shown(args.person)}'s waiver for {shown(args.queue)} is lifted: the queue asks them for its course "
              "again")
        return 0

    return as_lead(args, "lift a training waiver", work)


def run_status(args: argparse.Namespace) -> int:
    from audit.training import status
    from audit.training.courses import TRAINEE_ROLES

    with open_store(args, must_exist=True) as store:
        who = signed_in(store, args, roles=TRAINEE_ROLES, to="see training results")
        try:
            body = status.status_json(store, who)
        except VeilError as exc:
            return fail(str(exc))
        if args.json:
            print_json(body)
            return 0
        if not body["people"]:
            print("nobody has taken a course yet")
        for p in body["people"]:
            scores = ", ".join(_percent(s) for s in p["scores"])
            print(f"{shown(p['person'])}  {shown(p['course'])}  {p['attempts']} attempt(s) ({scores})  best "
                  f"{_percent(p['best_score'])}  {p['standing']}  certified for: "
                  f"{', '.join(shown(q) for q in p['certified_queues']) or 'no gated queue'}")
        for c in body.get("courses", []):
            print(f"course {shown(c['course'])}: {c['trainees']} trainee(s), success within {c['within_attempts']} "
                  f"attempt(s) {_percent(c['success_rate'])}")
        return 0


def run_session(args: argparse.Namespace) -> int:
    from audit import calibration
    from audit.training import sessions

    def work(store: Store, lead: User) -> int:
        if args.verb == "create":
            sessions.create_session(store, lead, args.name, args.item, args.person)
            print(f"session {shown(args.name)} created: {len(set(args.item))} items, {len(set(args.person))} "
                  "people answer it blind on the Training page")
        elif args.verb == "close":
            print(f"session {shown(args.name)} closed with {calibration.close_set(store, lead, args.name)} answers")
        elif args.verb == "agree":
            if len(args.item) != 1 or not args.answer_action:
                return fail("agree needs one --item ID and --action ACTION (and --label L for its labels)")
            sessions.agree(store, lead, args.name, args.item[0], args.answer_action, args.label, args.note,
                           make_gold=args.gold, taxonomy=_policy(store))
            print(f"agreed answer for item {args.item[0]} recorded" + (" and made gold" if args.gold else ""))
        else:
            found = sessions.report(store, lead, args.name)
            if args.json:
                print_json(found.as_json())
                return 0
            from ui.pages.qa_common import decision_words  # the taxonomy's names, as the Training page shows

            policy, a = _policy(store), found.agreement
            print(f"{shown(found.name)}: {a.answers} answers from {a.raters} of {len(found.people)} people on "
                  f"{a.items} items")
            kappa = "—" if a.fleiss_kappa is None else f"{a.fleiss_kappa:.3f}"
            alpha = "—" if a.krippendorff_alpha is None else f"{a.krippendorff_alpha:.3f}"
            print("  agreement over the chosen action only (labels are in the spread):")
            print(f"  Fleiss' kappa {kappa}: {found.kappa_words}")
            print(f"  Krippendorff's alpha {alpha}: {found.alpha_words}")
            for i in found.items:
                spread = "; ".join(f"{shown(decision_words(policy, *answer))} ×{n}" for answer, n in i.spread) \
                    or "no answers yet"
                agreed = f"  agreed: {shown(decision_words(policy, i.agreed_action, i.agreed_labels))}" \
                    if i.agreed_action else ""
                print(f"  item {i.item_id} ({shown(i.external_id)}): {spread}{agreed}")
        return 0

    return as_lead(args, "run calibration sessions", work)
