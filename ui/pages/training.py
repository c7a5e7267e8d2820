"""The Training page, for everyone who decides items: their courses and sessions; for leads, building too.

"My training" lists every course with the person's standing (attempts,
best score, passed) and the queues that require it, and the calibration
sessions they are asked to answer. Enter (or a double-click) on a course
starts it, or continues the attempt left half-way; on a session, its next
item. The work happens on :class:`ui.pages.training_work.TrainingWork`:
the review desk's item view and keys, with feedback after each answer.
When the attempt or session ends the list comes back with the result.

Leads also get "Build a course", "Gates & waivers" and "Sessions"
(:mod:`ui.pages.training_lead`, :mod:`ui.pages.training_sessions`).
Every store call goes through the operations runner; refusals are said
in words on the page. The lead's tabs are built (and their modules
imported) when first shown, the work view when a course or session first
opens: most visits only read the lists, and building everything made the
page's first opening the slowest of the app (issue 22: ≤ 100 ms).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QLabel, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from audit import calibration
from audit.training import attempts, sessions, status
from review.store import Store, User
from ui.pages.my_decisions_view import DeskServices
from ui.pages.qa_common import ReadOnlyTable, text_label
from ui.pages.training_work import TrainingWork
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title
from ui.widgets.tabs import add_when_shown

COURSE_COLUMNS = ("Course", "Items", "Pass mark", "Time limit", "Required by", "Your attempts", "Best", "Status")
SESSION_COLUMNS = ("Calibration session", "Items", "You answered")
SHOWN_KINDS = {"training", "calibration", "gold"}


@dataclass(frozen=True)
class Home:
    courses: list[status.MyCourse]
    sessions: list[tuple[str, int, int]]


def load_home(store: Store, user: User) -> Home:
    return Home(status.my_courses(store, user), sessions.asked_of(store, user))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _standing(course: status.MyCourse) -> str:
    if course.passed:
        return "Passed"
    if course.in_progress:
        if course.needs_recertification:
            return f"Needs re-certification for v{course.taxonomy_version} — Enter continues"
        return "In progress — Enter continues"
    if course.needs_recertification:
        return f"Needs re-certification for v{course.taxonomy_version}"
    return "Not passed yet" if course.attempts else "Not started"


class TrainingPage(QWidget):
    def __init__(self, services: DeskServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingPage")
        self.services = services
        self.ops, self.user = services.ops, services.user
        self.closed = False
        self._courses: list[status.MyCourse] = []
        self._sessions: list[tuple[str, int, int]] = []
        self._in_session = False  # the work on screen is a session's: coming back, the keys go to the sessions
        self._work: TrainingWork | None = None  # built when a course or session first opens (:attr:`work`)
        user = self.user
        self._loads = SingleFlight(lambda reader: load_home(reader, user), self.ops, parent=self,
                                   reload_on=SHOWN_KINDS, when=lambda: self.stack.currentIndex() == 0)
        self._loads.loaded.connect(self._home_ready)
        self._loads.failed.connect(lambda exc: self.message.setText(f"Could not load your training: {exc}"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        services.wellbeing.enforce_break.connect(lambda *_: self._pause("On a break. Nothing is shown."))
        services.wellbeing.idle_pause.connect(lambda: self._pause("Paused after a while without input."))

    def _build(self) -> None:
        s = self.services
        self.courses = ReadOnlyTable(COURSE_COLUMNS, "trainingCourses", stretch=0)
        self.courses.setAccessibleName("Your courses")
        self.courses.doubleClicked.connect(lambda _index: self.open_course())
        self.sessions_table = ReadOnlyTable(SESSION_COLUMNS, "trainingSessions", stretch=0)
        self.sessions_table.setAccessibleName("Calibration sessions to answer")
        self.sessions_table.setMaximumHeight(150)
        self.sessions_table.doubleClicked.connect(lambda _index: self.open_session())
        for table in (self.courses, self.sessions_table):
            table.setTabKeyNavigation(False)  # Tab goes from the courses to the sessions, not across cells
        self.message = text_label("trainingMessage")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # names and reasons are stored text, never markup
        mine = QWidget()
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # on either list: open what is selected there
            shortcut = QShortcut(QKeySequence(key), mine)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda: self.open_session() if self.sessions_table.hasFocus()
                                       else self.open_course())
        layout = QVBoxLayout(mine)
        layout.addWidget(text_label("hint", "Courses teach on items with known answers: after each answer you see "
                                    "whether it matched, the expected answer and why. Some queues are served only "
                                    "after you pass their course. Items are shown blurred, as in review, and count "
                                    "as exposure. Enter starts the selected course or session."))
        layout.addWidget(self.courses, 3)
        layout.addWidget(QLabel("Calibration sessions you are asked to answer (blind)"))
        layout.addWidget(self.sessions_table, 1)
        layout.addWidget(self.message)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("trainingTabs")
        self.tabs.addTab(mine, "&My training")
        if s.user.has("lead"):
            add_when_shown(self.tabs, "&Build a course", self._course_builder)
            add_when_shown(self.tabs, "Gat&es && waivers", self._gates)
            add_when_shown(self.tabs, "Ca&libration sessions", self._sessions_panel)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        page = QVBoxLayout(self)
        page.setContentsMargins(16, 12, 16, 8)
        page.addWidget(page_title("Training"))
        page.addWidget(self.stack, 1)

    def _course_builder(self) -> QWidget:
        from ui.pages.training_lead import CourseBuilder

        return CourseBuilder(self.ops, self.user, self.services.taxonomy)

    def _gates(self) -> QWidget:
        from ui.pages.training_lead import GatesPanel

        return GatesPanel(self.ops, self.user)

    def _sessions_panel(self) -> QWidget:
        from ui.pages.training_sessions import SessionsPanel

        return SessionsPanel(self.ops, self.user, self.services.taxonomy)

    @property
    def work(self) -> TrainingWork:
        """Where a course or session is worked: the review desk's item view and keys, built the first time one
        opens."""
        if self._work is None:
            s = self.services
            self._work = TrainingWork(s.ops, s.user, s.taxonomy, s.view, s.bindings, s.clock, s.wellbeing)
            self._work.finished.connect(self._back_home)
            self.stack.addWidget(self._work)
        return self._work

    def _working(self) -> bool:
        return self._work is not None and self.stack.currentWidget() is self._work

    # ------------------------------------------------------------ the list
    def refresh(self) -> None:
        self._loads.request()

    def _home_ready(self, home: Home) -> None:
        self._courses, self._sessions = home.courses, home.sessions
        self.courses.set_rows([(
            (c.name, str(c.items), _percent(c.pass_mark),
             f"{c.time_limit_seconds // 60} min" if c.time_limit_seconds else "none",
             ", ".join(c.required_by) or "—", str(c.attempts), _percent(c.best_score), _standing(c)), n)
            for n, c in enumerate(home.courses)])
        self.sessions_table.set_rows([((name, str(items), f"{answered} of {items}"), n)
                                      for n, (name, items, answered) in enumerate(home.sessions)])
        if not home.courses and not self.message.text():
            self.message.setText("No courses yet: a lead builds them from gold items.")

    # ------------------------------------------------------------ working
    def open_course(self) -> None:
        chosen = self.courses.current_key()
        if chosen is None or not self._may_open():
            return
        name, user, severe = self._courses[chosen].name, self.user, self.services.wellbeing.serving_rule
        self.message.setText(f"Opening “{name}”…")
        self.ops.write(lambda store: attempts.open_course(store, user, name, severe=severe),
                       on_done=self._course_opened,
                       on_error=lambda exc: self.message.setText(str(exc)), owner=self)

    def _course_opened(self, step: attempts.Step | None) -> None:
        if self.closed or step is None:
            return
        self._in_session = False
        self.stack.setCurrentWidget(self.work)
        self.work.show_step(step)

    def open_session(self) -> None:
        chosen = self.sessions_table.current_key()
        if chosen is None or not self._may_open():
            return
        name, user = self._sessions[chosen][0], self.user
        self.ops.write(lambda store: calibration.next_item(store, user, name),
                       on_done=lambda item: self._session_opened(name, item),
                       on_error=lambda exc: self.message.setText(str(exc)), owner=self)

    def _session_opened(self, name: str, item: object) -> None:
        if self.closed:
            return
        if item is None:
            self.message.setText(f"Nothing left to answer in “{name}”.")
            return
        self._in_session = True
        self.stack.setCurrentWidget(self.work)
        self.work.show_blind(name, item)  # type: ignore[arg-type]

    def _may_open(self) -> bool:
        if not self.services.wellbeing.may_claim():
            self.message.setText("A break comes first: nothing opens until it is over.")
            return False
        return True

    def _back_home(self, text: str) -> None:
        """The list comes back with *text*; after a session the keys stay on the sessions (still on the one just
        answered): a session's last answer brings the list by itself, and an Enter meant for the work must not
        start a course attempt (which is exposure)."""
        self.stack.setCurrentIndex(0)
        self.tabs.setCurrentIndex(0)
        self.message.setText(text)
        self.refresh()
        (self.sessions_table if self._in_session else self.courses).setFocus()

    def _pause(self, text: str) -> None:
        if self._working():
            self.work.pause()
            self._back_home(text)

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.stack.currentIndex() == 0:
            self.refresh()

    def focusInEvent(self, event: QFocusEvent) -> None:
        """The page's focus goes where the keys work: the list last worked from, or the item being worked."""
        super().focusInEvent(event)
        if self._working():
            self.work.setFocus()
        elif self.tabs.currentIndex() == 0:
            (self.sessions_table if self._in_session else self.courses).setFocus()

    def close_page(self) -> None:
        self.closed = True
        self._loads.close()
        if self._work is not None:
            self._work.close_view()
