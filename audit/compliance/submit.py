"""Sending statements of reasons to the DSA Transparency Database, so that each ends accepted exactly once.

What the database answers (``StatementMultipleAPIController::store`` and
``PlatformUniqueIdService`` of digital-services-act/transparency-database):

- **201** ``{"statements": [...]}``: every statement stored, each echoed
  with its ``puid`` and the ``uuid`` the database gave it (kept in
  ``dsa_statements.db_uuid``);
- **422** ``{"errors": {"statement_<i>": {field: [message, …]}}}``: the
  statements at those indexes of the batch break a rule; *nothing* of
  the batch was stored. Those are held back (their errors kept in
  ``last_error``) and the rest is sent again at once;
- **422** ``{"message": …, "errors": {"puid": [...], "existing_puids": [...]}}``:
  the database already has those puids (or the batch repeats one) — *or*
  could not take their lock within 30 s (``acquirePuidLocks``: another
  request is storing them, and may yet fail) — and stored nothing. So each
  named puid is asked about (``GET statement/existing-puid/{puid}``): one
  the database confirms (302) is ours and was accepted before, usually a
  batch whose answer was lost, and counts as accepted (without a uuid:
  none is given); one it does not (404, or no answer) is held back for the
  next run. The rest is sent again. This is why a lost answer never makes
  a duplicate, and a lock never makes a lost statement count;
- **201** is success only when its ``statements`` echo every puid sent; a
  **3xx** is never followed (the token would go with it) and stops the run,
  as does any other answer;
- **401/403**: the token is wrong or may not create statements: stop;
- **429** (its rate limit), **5xx**, a time-out or a dropped connection:
  try the same batch again after a pause that doubles each time, with
  jitter, at most :data:`ATTEMPTS` times, then stop and say so.

A second run sends only what is not accepted yet (statements refused
before are tried again: the mapping may have been fixed meanwhile).
Submitting is a lead's work. The token is a parameter, read by the caller
from :data:`TOKEN_ENV` and never stored, logged or put in a message.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from audit.compliance import http, statements
from audit.store import statements as statement_rows
from audit.store import submissions
from review.auth import require
from review.errors import VeilError
from review.store import Store, User

#: Where the token comes from: never the command line (other people's ``ps`` shows it) and never the store.
TOKEN_ENV = "VEIL_DSA_TOKEN"
#: The database takes 1 to 100 statements a call (``'statements' => 'required|array|between:1,100'``).
MAX_BATCH = 100
#: Tries of one request before the run stops (the first and five more).
ATTEMPTS = 6
#: The first pause between tries, and the longest, in seconds.
FIRST_PAUSE_S = 1.0
LONGEST_PAUSE_S = 60.0

Progress = Callable[[int, int], None]
#: ``export_file`` of a corrected statement added by a submission rather than written by an export.
CORRECTION_FILE = "(corrected after a complaint)"
_INDEX = re.compile(r"statement_(\d+)")


class SubmitError(VeilError):
    """The submission cannot start or had to stop; the message says why and what was done."""


@dataclass
class Submitted:
    """What a run did: statements accepted (with a uuid, or already in the database), refused (puid → the
    database's words), still waiting, requests made and retried, and why it stopped early (None: it did not)."""

    waiting: int = 0
    corrections: int = 0
    accepted: int = 0
    already_there: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    unconfirmed: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    stopped: str | None = None

    @property
    def left(self) -> int:
        """Statements still not accepted after the run (refused ones included)."""
        return self.waiting - self.accepted - self.already_there

    def as_dict(self) -> dict[str, Any]:
        return {"waiting": self.waiting, "corrections": self.corrections, "accepted": self.accepted,
                "already_there": self.already_there,
                "refused": self.refused, "unconfirmed": self.unconfirmed,
                "left": self.left, "requests": self.requests, "retries": self.retries,
                "stopped": self.stopped}


@dataclass(frozen=True)
class Pacing:
    """How the run waits between tries: *sleep* and *jitter* (a number in [0, 1)) are the real ones unless a
    test hands in fakes; *post* and *get* are the HTTP calls (:mod:`audit.compliance.http`)."""

    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    post: Callable[..., http.Answer] = http.post_json
    get: Callable[..., http.Answer] = http.get_json
    attempts: int = ATTEMPTS
    timeout: float = http.TIMEOUT_S

    def pause(self, attempt: int, asked: float | None) -> float:
        """Seconds before try *attempt* + 1: the server's ``Retry-After`` if it gave one, else "full jitter"
        "equal jitter" backoff: half of a pause that doubles with each try (up to :data:`LONGEST_PAUSE_S`) and a
        random share of the other half, so many clients that failed together do not retry together."""
        if asked is not None:
            return min(max(asked, 0.0), LONGEST_PAUSE_S)
        ceiling = min(LONGEST_PAUSE_S, FIRST_PAUSE_S * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + self.jitter() / 2)


def submit(store: Store, who: User | str, endpoint: str, token: str, *, batch: int = MAX_BATCH,
           progress: Progress | None = None, pacing: Pacing | None = None) -> Submitted:
    """Send every statement not accepted yet to the database at *endpoint* (its API's base URL), *batch* a call.

    SubmitError before anything is sent (not a lead, a bad endpoint or
    batch size, no token); a run that stops later returns what it did with
    ``stopped`` saying why (what was accepted is kept). *progress* is
    called with (statements settled, statements waiting).
    """
    lead = require(store, who, "lead", to="submit statements of reasons")
    if not 1 <= batch <= MAX_BATCH:
        raise SubmitError(f"--batch must be 1 to {MAX_BATCH} (the database takes at most {MAX_BATCH} a call)")
    if not token.strip():
        raise SubmitError(f"no token: put the database's API token in {TOKEN_ENV}")
    try:
        base = http.api_base(endpoint)
    except ValueError as exc:
        raise SubmitError(str(exc)) from None
    pacing = pacing or Pacing()
    report = progress or (lambda done, total: None)
    corrected = add_corrections(store, lead)
    queue = submissions.waiting(store)
    done = Submitted(waiting=len(queue), corrections=corrected)
    report(0, done.waiting)
    run = _Run(store, lead.name, base, token, pacing, done)
    for start in range(0, len(queue), batch):
        if not run.send(queue[start:start + batch]):
            break
        report(done.accepted + done.already_there + len(done.refused), done.waiting)
    return done


def add_corrections(store: Store, lead: User) -> int:
    """Add the corrected statement of each complaint reversal or lead's correction whose original statement the
    database accepted (Art. 20 and 24(5): the database then holds the decision that now applies); how many were
    added.

    A replacement that restricts nothing (the content is back up) has no
    statement of its own: there is nothing to add for it.
    """
    written = []
    for decision_id in submissions.reversals_to_state(store):
        statement = statements.build(store, decision_id)
        if statement is not None:
            written.append((decision_id, statement["puid"], json.dumps(statement, ensure_ascii=False),
                            CORRECTION_FILE))
    if written:
        statement_rows.record_export(store, lead.name, written, {"corrections": [w[0] for w in written]})
    return len(written)


@dataclass
class _Run:
    store: Store
    actor: str
    endpoint: str  # the API's base URL
    token: str = field(repr=False)  # never in a repr, a message or a log
    pacing: Pacing
    done: Submitted

    def send(self, rows: Sequence[tuple[int, str]]) -> bool:
        """Settle one batch: send it until the database stores what is left of it; False when the run must stop."""
        by_puid = {puid: row_id for row_id, puid in rows}
        bodies = submissions.bodies(self.store, [row_id for row_id, _ in rows])
        left = list(rows)
        while left:
            body = {"statements": [bodies[row_id] for row_id, _ in left]}
            answer = self._retried(partial(self.pacing.post, self.endpoint + http.STATEMENTS_PATH, body,
                                           token=self.token, timeout=self.pacing.timeout))
            if answer is None:
                return False
            if 300 <= answer.status < 400:
                return self._stop(f"the database answered {answer.status} (a redirect), which Veil does not follow: "
                                  "the token would go with it; check --endpoint")
            if answer.status == 201:
                uuids = _echoed(answer.body, left)
                if uuids is None:
                    return self._stop(f"the database answered 201 without echoing every statement sent ({answer.text})")
                submissions.accept(self.store, self.actor, uuids, already=False)
                self.done.accepted += len(uuids)
                return True
            errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
            if answer.status == 422 and isinstance(errors, dict) and isinstance(errors.get("existing_puids"), list):
                named = {by_puid[p]: p for p in errors["existing_puids"] if p in by_puid}
                if not named:
                    return self._stop(f"the database refused a batch for puids it did not name ({answer.text})")
                there = {row_id: None for row_id, puid in named.items() if self._confirmed(puid)}
                submissions.accept(self.store, self.actor, there, already=True)
                self.done.already_there += len(there)
                self.done.unconfirmed += [puid for row_id, puid in named.items() if row_id not in there]
                left = [row for row in left if row[0] not in named]
                continue
            if answer.status == 422 and isinstance(errors, dict) and errors:
                refused = _refused(errors, left)
                if refused is None:
                    return self._stop(f"the database refused the batch: {answer.text}")
                submissions.refuse(self.store, self.actor, refused)
                self.done.refused.update({puid: refused[row_id] for row_id, puid in left if row_id in refused})
                left = [row for row in left if row[0] not in refused]
                continue
            if answer.status in (401, 403):
                return self._stop(f"the database refused the token ({answer.status}): check {TOKEN_ENV}, and that "
                                  "its account may create statements")
            return self._stop(f"the database answered {answer.status}: {answer.text}")
        return True

    def _confirmed(self, puid: str) -> bool:
        """Whether the database says it holds *puid* (302); not when it says 404, or gives no answer in time:
        the puid may only have been locked by another request, so it is sent again next run."""
        answer = self._retried(partial(self.pacing.get, http.existing_puid_url(self.endpoint, puid), token=self.token,
                                       timeout=self.pacing.timeout), stop=False)
        return answer is not None and answer.status == 302

    def _retried(self, call: Callable[[], http.Answer], *, stop: bool = True) -> http.Answer | None:
        """One request, tried again on 429, 5xx, a time-out or a dropped connection; None when every try failed
        (and the run stops, when *stop*)."""
        why = ""
        for attempt in range(1, self.pacing.attempts + 1):
            if attempt > 1:
                self.done.retries += 1
            self.done.requests += 1
            asked: float | None = None
            try:
                answer = call()
            except http.Transient as exc:
                why = str(exc)
            else:
                if answer.status != 429 and answer.status < 500:
                    return answer
                why, asked = f"the database answered {answer.status}", answer.retry_after
            if attempt < self.pacing.attempts:
                self.pacing.sleep(self.pacing.pause(attempt, asked))
        if stop:
            self._stop(f"gave up after {self.pacing.attempts} tries ({why}); run it again later: nothing is sent twice")
        return None

    def _stop(self, why: str) -> bool:
        self.done.stopped = why
        return False


def _echoed(body: Any, left: Sequence[tuple[int, str]]) -> dict[int, str | None] | None:
    """Row id → uuid of each statement of *left*, when the 201's ``statements`` echo every puid sent; else None
    (an answer that does not say each was stored is not taken as saying so)."""
    echoed = body.get("statements") if isinstance(body, dict) else None
    said = {s.get("puid"): s.get("uuid") for s in echoed if isinstance(s, dict)} if isinstance(echoed, list) else {}
    if any(puid not in said for _, puid in left):
        return None
    return {row_id: str(said[puid] or "") or None for row_id, puid in left}


def _refused(errors: dict[str, Any], left: Sequence[tuple[int, str]]) -> dict[int, str] | None:
    """Row id → the database's words, for each ``statement_<i>`` of a validation refusal of the batch *left*;
    None when the answer names no statement of it (then the batch as a whole was refused)."""
    refused: dict[int, str] = {}
    for key, fields in errors.items():
        match = _INDEX.fullmatch(str(key))
        if match is None or int(match.group(1)) >= len(left):
            return None
        words = ("; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                           for name, msgs in fields.items()) if isinstance(fields, dict) else str(fields))
        refused[left[int(match.group(1))][0]] = words
    return refused or None
