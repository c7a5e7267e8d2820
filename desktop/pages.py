"""Every page of the app, registered with its roles, and the services each is built from.

The composition of the signed-in window (:mod:`desktop.app` makes the
window and its one operations runner, then calls :func:`register_pages`):
which page each role sees, in which order, and which desk, viewing
settings, keys and wellbeing controller each page receives. Pages in
:mod:`ui` never build their own services.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from review import settings
from review.store import QueueHealth, Store, User
from review.taxonomy import Taxonomy
from review.wellbeing.policy import load_policy
from ui import keymap
from ui.main_window import MainWindow
from ui.wellbeing.controller import WellbeingController
from ui.wellbeing.widgets import WellbeingWidgets

# Each page's module (and the audit, media and desk modules behind it) is imported when the page is first built,
# in its factory or service function below, not at start: importing all of them, with NumPy and OpenCV behind the
# media ones, was most of a cold start that shows only the sign-in page (issue 22: cold start <= 1.5 s).
if TYPE_CHECKING:
    from desktop.app import SessionOperations
    from review.media import viewing
    from ui.operations import Operations
    from ui.pages.audit import AuditServices
    from ui.pages.disputes import DisputesServices
    from ui.pages.escalations import EscalationsServices
    from ui.pages.my_decisions_view import DeskServices
    from ui.pages.results import ResultsServices
    from ui.pages.review import ReviewServices

log = logging.getLogger(__name__)

#: The modules behind the pages whose first opening would otherwise wait for their imports (the item view's media
#: pipeline, the dashboards' metrics): imported by :func:`warm_page_imports` once the window is on screen.
WARMED_AFTER_START = ("ui.pages.queues", "audit.dashboard", "ui.pages.review", "review.desk", "review.content_index",
                      "review.known.list_index", "audit.gold", "audit.compliance.statements",
                      "ui.pages.my_decisions_view", "ui.pages.audit", "audit.desk", "ui.pages.dashboard",
                      "ui.pages.capacity")


def warm_page_imports(modules: tuple[str, ...] = WARMED_AFTER_START) -> threading.Thread:
    """Import *modules* on a background thread, so a page opened a moment after the start does not wait for them.

    Imports are thread-safe: a page built while its module is still being imported waits only for the rest of
    that import. The GUI thread keeps painting meanwhile (``desktop.app.GUI_SWITCH_INTERVAL_S``). A module that
    fails to import is logged here and fails again, said by its page, when that page is built.
    """

    def import_all() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - said when the page that needs it is built
                log.warning("warming the import of %s failed", name, exc_info=True)

    thread = threading.Thread(target=import_all, name="veil-warm-imports", daemon=True)
    thread.start()
    return thread


def offered_queue_health(store: Store, *, user: User) -> list[QueueHealth]:
    """The Queues page's rows for *user*: the queues they may work, so the page is where their work starts.

    A lead sees every queue (they oversee the floor); anyone else the kinds
    their roles work (``review.serving.worked_kinds``: moderators review
    queues), within a lead's limit on their queues, and an auditor the QA
    queues. Opening any other would only say it is not theirs.
    """
    from audit import dashboard as lead_dashboard
    from review import serving
    from review.store.people import allowed_queue_ids
    from ui.pages.queues import QA_KINDS

    rows = lead_dashboard.queue_health(store)
    current = store.user(user.name)
    if current.has("lead"):
        return rows
    kinds = serving.worked_kinds(current) | (set(QA_KINDS) if current.has("auditor") else set())
    allowed = allowed_queue_ids(store, current)
    return [health for health in rows if health.queue.kind in kinds
            and (allowed is None or health.queue.kind in QA_KINDS or health.queue.id in allowed)]


def register_pages(window: MainWindow, store: Store, policy: Taxonomy, operations: SessionOperations) -> None:
    """Every page of the app, in navigation order (Ctrl+1 is the first).

    This is where the Review (moderators), Audit (auditors) and Lead (leads)
    pages are added: ``window.register_page(key, title, factory, roles,
    shortcut)`` with a ``factory(user) -> QWidget`` that builds the page from
    services made here (never inside ``ui``).  Every page of a session gets
    the session's one runner, ``operations.current()``, its only way to the
    domain.  A page with ``close_page()`` has it called on sign-out and
    quit.  A page with ``open_queue(name)`` registered under the key
    ``"review"`` receives the queue chosen on the Queues page.
    """

    def queues_page(user: User) -> QWidget:
        from ui.pages.queues import QueueOverview, enter_starts

        # Review's queue health with QA's backlog (samples, calibration answers); an audit queue opens Audit.
        page = QueueOverview(partial(offered_queue_health, user=user), operations.current(), now=store.clock.now,
                             start=enter_starts(user.roles), user=user)  # an auditor's Enter opens Audit
        page.queue_chosen.connect(lambda name: open_queue(window, name))
        page.qa_queue_chosen.connect(open_qa_queue)
        return page

    def open_qa_queue(name: str, kind: str) -> None:
        """An auditor's audit queue opens the Audit page; anything else says where that work is done."""
        from ui.pages.queues import QA_WORK_PLACE

        if kind == "audit" and window.show_page("audit") is not None:
            return
        window.statusBar().showMessage(f"“{name}” was not opened: {QA_WORK_PLACE[kind]}.", 6000)

    current_wellbeing = attach_wellbeing(window, store, operations.current)

    def review_page(user: User) -> QWidget:
        from ui.pages.review import ReviewPage

        return ReviewPage(review_services(store, policy, user, current_wellbeing(), operations.current()))

    # Audit is for auditors only: audit.audits refuses anyone without the
    # auditor role, so a pure lead would see nothing but that refusal; leads
    # judge audits on Disputes (give a lead the auditor role to let them audit).
    window.register_page("queues", "Queues", queues_page, roles=None)
    window.register_page("review", "Review", review_page, roles={"moderator", "lead"})
    def audit_page(user: User) -> QWidget:
        from ui.pages.audit import AuditPage

        return AuditPage(audit_services(store, policy, user, current_wellbeing(), operations.current()))

    def results_page(user: User) -> QWidget:
        from ui.pages.results import ResultsPage

        return ResultsPage(results_services(policy, user, operations.current()))

    def training_page(user: User) -> QWidget:  # issue 17: courses, gates, sessions
        from ui.pages.my_decisions_view import DeskServices
        from ui.pages.training import TrainingPage

        return TrainingPage(DeskServices(operations.current(), user, policy, *personal_view(store, policy, user),
                                         store.clock, current_wellbeing()))

    def escalations_page(user: User) -> QWidget:
        from ui.pages.escalations import EscalationsPage

        return EscalationsPage(escalations_services(store, policy, user, current_wellbeing(), operations.current()))

    def disputes_page(user: User) -> QWidget:
        from ui.pages.disputes import DisputesPage

        return DisputesPage(disputes_services(policy, user, operations.current()))

    window.register_page("audit", "Audit", audit_page, roles={"auditor"})
    # Everyone QA touches: moderators, leads (their escalation decisions are audited), auditors (their own work).
    window.register_page("results", "My results", results_page, roles={"moderator", "lead", "auditor"})
    window.register_page("training", "Training", training_page, roles={"moderator", "lead", "auditor"})
    window.register_page("escalations", "Escalations", escalations_page, roles={"lead"})
    window.register_page("disputes", "Disputes", disputes_page, roles={"lead"})

    def dashboard_page(user: User) -> QWidget:
        from audit import dashboard as lead_dashboard
        from ui.pages.dashboard import DashboardPage

        return DashboardPage(lambda reader: lead_dashboard.load(reader, user), operations.current(), lead=user)

    window.register_page("dashboard", "Dashboard", dashboard_page, roles={"lead"})

    def queue_admin_page(user: User) -> QWidget:
        from ui.pages.queue_admin import QueueAdminPage

        return QueueAdminPage(user, operations.current(), labels=[label.id for label in policy.labels])

    def people_page(user: User) -> QWidget:
        from ui.pages.people import PeoplePage

        return PeoplePage(user, operations.current())

    def rules_page(user: User) -> QWidget:
        from ui.pages.rules import RulesPage

        return RulesPage(user, operations.current(), policy)

    def qa_setup_page(user: User) -> QWidget:
        from ui.pages.qa_setup import QaSetupPage

        return QaSetupPage(user, operations.current(), policy)

    def capacity_page(user: User) -> QWidget:
        from ui.pages.capacity import CapacityPage

        return CapacityPage(user, operations.current())

    def roster_page(user: User) -> QWidget:
        from ui.pages.roster import RosterPage

        return RosterPage(user, operations.current())

    def statements_page(user: User) -> QWidget:
        from ui.pages.statements import StatementsPage

        return StatementsPage(user, operations.current())

    def hash_lists_page(user: User) -> QWidget:
        from ui.pages.hash_lists import HashListsPage

        return HashListsPage(user, operations.current(), policy)

    def settings_page(user: User) -> QWidget:
        from ui.pages.settings_org import OrganisationSettingsPage

        return OrganisationSettingsPage(user, operations.current(), policy)

    def my_settings_page(user: User) -> QWidget:
        from ui.pages.settings_personal import PersonalSettingsPage

        return PersonalSettingsPage(user, operations.current(), policy,
                                    apply_view=lambda view: apply_personal_view(window, view))

    window.register_page("queue-admin", "Queues admin", queue_admin_page, roles={"lead"})
    window.register_page("people", "People", people_page, roles={"lead"})
    window.register_page("rules", "Rules", rules_page, roles={"lead"})
    window.register_page("qa-setup", "QA setup", qa_setup_page, roles={"lead"})
    window.register_page("capacity", "Capacity", capacity_page, roles={"lead"})
    window.register_page("roster", "Roster", roster_page, roles={"lead"})
    window.register_page("statements", "Statements", statements_page, roles={"lead"})
    window.register_page("hash-lists", "Hash lists", hash_lists_page, roles={"lead"})
    window.register_page("settings", "Settings", settings_page, roles={"lead"})
    window.register_page("my-settings", "My settings", my_settings_page, roles=None, shortcut=keymap.MY_SETTINGS_KEY)

    def decided_services(user: User) -> DeskServices:  # issue 14 §1: a decided item, veiled, read-only
        from desktop.commands.corrections import sample_states
        from ui.pages.my_decisions_view import DeskServices

        return DeskServices(operations.current(), user, policy, *personal_view(store, policy, user), store.clock,
                               current_wellbeing(), audit_states=sample_states)

    def my_decisions_page(user: User) -> QWidget:
        from ui.pages.my_decisions import MyDecisionsPage

        return MyDecisionsPage(decided_services(user))

    def corrections_page(user: User) -> QWidget:
        from ui.pages.corrections import CorrectionsPage

        return CorrectionsPage(decided_services(user))

    def cases_page(user: User) -> QWidget:
        from ui.pages.cases import CasesPage

        return CasesPage(user, operations.current())

    window.register_page("my-decisions", "My decisions", my_decisions_page, roles={"moderator", "lead"})
    window.register_page("corrections", "Corrections", corrections_page, roles={"lead"})
    window.register_page("cases", "Cases", cases_page, roles={"lead"})
    window.user_changed.connect(lambda user: user is not None and say_keys_left_out(window, store, policy, user))

    def say_suspended_rules(user: User | None) -> None:
        from ui.pages.dashboard_automation import say_suspended

        if user is not None:
            say_suspended(window, operations.current(), user)

    window.user_changed.connect(say_suspended_rules)


def attach_wellbeing(window: MainWindow, store: Store,
                     operations: Callable[[], Operations]) -> Callable[[], WellbeingController | None]:
    """One wellbeing controller per signed-in person, from sign-in to sign-out.

    The meter lives in the status bar (always in view), the break banner in
    a row of its own just above it; the break screen covers the whole
    window, pages and navigation alike. It reads and writes the store on
    the session's runner (*operations*), never on the GUI thread.
    Returns a function giving the current person's controller.
    """
    current: dict[str, tuple[WellbeingController, WellbeingWidgets]] = {}

    def user_changed(user: User | None) -> None:
        if "setup" in current:
            controller, widgets = current.pop("setup")
            window.remove_session_action(widgets.take_break_action)
            controller.close()
            widgets.close()
            controller.deleteLater()
        if user is None:
            return
        controller = WellbeingController(store, user, store.clock, load_policy(store), parent=window,
                                         ops=operations())
        widgets = WellbeingWidgets(controller, host=window.centralWidget(), dialog_parent=window)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, widgets.banner)  # a row of its own, full width
        window.add_session_action(widgets.take_break_action)  # Ctrl+B on any page; gone with the controller
        window.statusBar().addPermanentWidget(widgets.meter)
        controller.watch_input(QApplication.instance())
        controller.start()
        current["setup"] = (controller, widgets)

    window.user_changed.connect(user_changed)
    return lambda: current["setup"][0] if "setup" in current else None


def review_services(
    store: Store, policy: Taxonomy, user: User, wellbeing_controller: WellbeingController | None, ops: Operations
) -> ReviewServices:
    """The review page's services for *user*: the session's runner, the review desk, their viewing settings and keys.

    Every decision made through the desk is gold-scored (``audit.gold``):
    the hook is the desk's, so no page can forget it. The statement of
    reasons a restricting decision sends (``audit.compliance``) is shown
    before it is committed.
    """
    from audit import gold
    from audit.compliance.statements import statement_preview
    from review import content_index
    from review.desk import ReviewDesk
    from review.known import list_index
    from ui.pages.review import ReviewServices

    if wellbeing_controller is None:
        raise RuntimeError("the review page needs the signed-in person's wellbeing controller")
    view, bindings = personal_view(store, policy, user)
    desk = ReviewDesk(policy, after_decision=(gold.after_decision,))
    ops.query(content_index.warm)  # "Seen before"'s index loads on a reader now, not on the writer at the first claim
    ops.query(list_index.warm)  # so do the hash lists' PDQ entries, not under an import's write lock
    return ReviewServices(ops, desk, user, view, bindings, store.clock, wellbeing_controller, statement_preview)


def personal_view(store: Store, policy: Taxonomy, user: User) -> tuple[viewing.ViewSettings, list[keymap.Binding]]:
    """*user*'s viewing settings and keys, for the pages that show items.

    A broken personal setting never locks anyone out: it is logged and the
    safe default (the organisation's floor) applies; a key that no longer
    fits the taxonomy is left out alone (:func:`say_keys_left_out` tells them).
    """
    from review.media import viewing  # its blur levels import the media pipeline (NumPy, OpenCV)

    try:
        view = viewing.effective(store, user)
    except (ValueError, TypeError) as exc:
        log.warning("personal viewing settings of %s ignored: %s", user.name, exc)
        view = viewing.organisation(store)
    return view, keymap.usable(policy, settings.read(store, keymap.KEYS, user=user))[0]


def say_keys_left_out(window: MainWindow, store: Store, policy: Taxonomy, user: User) -> None:
    """At sign-in, tell *user* that some of their own keys no longer fit the taxonomy (My settings says which),
    or that a desk command has no key because the organisation's policy gives its default key to an action."""
    overrides = settings.read(store, keymap.KEYS, user=user)
    left_out, unbound = keymap.usable(policy, overrides)[1], keymap.unbound_defaults(policy, overrides)
    if left_out:
        log.warning("keys of %s left out: %s", user.name, "; ".join(left_out))
        window.statusBar().showMessage(f"{len(left_out)} of your keys no longer fit the taxonomy: see My settings "
                                       f"({keymap.MY_SETTINGS_KEY}).", 20_000)
    elif unbound:
        window.statusBar().showMessage(keymap.unbound_said(unbound), 20_000)


def apply_personal_view(window: MainWindow, view: viewing.ViewSettings) -> None:
    """A view saved on "My settings" reaches the pages showing items already open: their next item uses it."""
    for key in ("review", "audit", "escalations", "my-decisions", "corrections"):
        item_view = getattr(window.page(key), "item_view", None)
        if item_view is not None:
            item_view.view = view


def audit_services(
    store: Store, policy: Taxonomy, user: User, wellbeing_controller: WellbeingController | None, ops: Operations
) -> AuditServices:
    """The audit page's services: the session's runner, the audit desk, the review page's viewing settings,
    keys and break coach (what an auditor sees counts as what a moderator sees)."""
    from audit.desk import AuditDesk
    from ui.pages.audit import AuditServices

    if wellbeing_controller is None:
        raise RuntimeError("the audit page needs the signed-in person's wellbeing controller")
    view, bindings = personal_view(store, policy, user)
    return AuditServices(ops, AuditDesk(policy), user, view, bindings, store.clock, wellbeing_controller)


def escalations_services(
    store: Store, policy: Taxonomy, user: User, wellbeing_controller: WellbeingController | None, ops: Operations
) -> EscalationsServices:
    """The lead's Escalations page: the review page's services (its desk decides the escalations)."""
    from ui.pages.escalations import EscalationsServices

    review = review_services(store, policy, user, wellbeing_controller, ops)
    return EscalationsServices(ops, review.desk, user, review.view, review.bindings, store.clock, review.wellbeing)


def results_services(policy: Taxonomy, user: User, ops: Operations) -> ResultsServices:
    """"My results": the session's runner and the audit desk."""
    from audit.desk import AuditDesk
    from ui.pages.results import ResultsServices

    return ResultsServices(ops, AuditDesk(policy), user)


def disputes_services(policy: Taxonomy, user: User, ops: Operations) -> DisputesServices:
    """The lead's Disputes page: the session's runner and the audit desk."""
    from audit.desk import AuditDesk
    from ui.pages.disputes import DisputesServices

    return DisputesServices(ops, AuditDesk(policy), user)


def open_queue(window: MainWindow, name: str) -> None:
    """Hand the chosen queue to the review page, if this user has one."""
    page = window.show_page("review") if "review" in window.page_keys() else None
    opener = getattr(page, "open_queue", None)
    if callable(opener):
        opener(name)
        return
    if "review" in window.registered_pages():
        why = "your role does not include reviewing"
    else:
        why = "reviewing is not part of this version yet"
    window.statusBar().showMessage(f"“{name}” was not opened: {why}.", 6000)
