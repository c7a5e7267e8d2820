"""The one piece of Veil that speaks HTTP: posting a JSON body to the DSA Transparency Database and reading the answer.

Why its own module: the submission's rules (what to resend, what counts as
accepted) are :mod:`audit.compliance.submit`'s; this module only turns one
request into an :class:`Answer` or a :class:`Transient` failure, so the
rules are tested against a stand-in server and nothing else opens sockets.
Standard library only (``urllib``): one POST with a bearer token needs no
dependency.

The token is handed in per call and goes into the ``Authorization`` header
only: never into a message, an exception or a log line. Redirects are not
followed: urllib would turn a POST answered 301/302/303 into a GET to the
new place *keeping* that header, and that GET's 200 page would look like
success; a 3xx comes back as an :class:`Answer` for the caller to stop on.
For the same reason the endpoint must be ``https`` (plain ``http`` only to
this machine, for a local stand-in).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

#: Seconds to wait for the server to connect and to answer: a batch of 100 statements is small.
TIMEOUT_S = 30.0
#: Where the multi-store endpoint lives below the API's base URL (``routes/api_v1.php``: ``statements``).
STATEMENTS_PATH = "/api/v1/statements"
#: Where the database says whether it holds a puid (``statement/existing-puid/{puid}``: 302 found, 404 not).
EXISTING_PUID_PATH = "/api/v1/statement/existing-puid/"
#: Hosts a plain-``http`` endpoint may name: this machine only (a stand-in); anything else must be ``https``.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
#: How much of a non-JSON answer is kept, to say what came back.
EXCERPT_CHARS = 300


class Transient(Exception):
    """The request may or may not have reached the server and no answer came: time-out, dropped connection,
    refused connection. Trying again is right; the submission's rules make a repeat harmless."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: its status, its JSON body (None when the body is not JSON), the start of its text,
    and the seconds its ``Retry-After`` header asks for (None without one)."""

    status: int
    body: Any
    text: str
    retry_after: float | None = None


def api_base(endpoint: str) -> str:
    """The API base *endpoint* without its trailing slash; ValueError unless it is ``https`` (or ``http`` to
    this machine): the token goes with every request, and must not cross a network in the clear."""
    base = endpoint.strip().rstrip("/")
    parts = urllib.parse.urlsplit(base)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise ValueError(f"the endpoint must be an https URL (http only to 127.0.0.1 or localhost), not {endpoint!r}")
    return base


def statements_url(endpoint: str) -> str:
    """The multi-store endpoint under the API base *endpoint* (a trailing slash or none)."""
    return api_base(endpoint) + STATEMENTS_PATH


def existing_puid_url(endpoint: str, puid: str) -> str:
    """Where the database answers whether it holds *puid* (of the token's platform)."""
    return api_base(endpoint) + EXISTING_PUID_PATH + urllib.parse.quote(puid, safe="")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand a 3xx back as it is: following it would resend the token somewhere else (see the module's note)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, body: Any, *, token: str, timeout: float = TIMEOUT_S) -> Answer:
    """POST *body* as JSON to *url* with the bearer *token*; the answer, whatever its status (a 3xx included:
    it is not followed).

    :class:`Transient` when no answer came (time-out, connection refused,
    reset or dropped mid-answer): the caller decides whether to retry.
    """
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return _send(urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}",
    }), timeout)


def get_json(url: str, *, token: str, timeout: float = TIMEOUT_S) -> Answer:
    """GET *url* with the bearer *token*; the answer whatever its status, as :func:`post_json`."""
    return _send(urllib.request.Request(url, method="GET", headers={
        "Accept": "application/json", "Authorization": f"Bearer {token}"}), timeout)


def _send(request: urllib.request.Request, timeout: float) -> Answer:
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return _answer(response.status, response.read(), response.headers.get("Retry-After"))
    except urllib.error.HTTPError as error:
        try:
            raw = error.read()
        except (OSError, http.client.HTTPException) as exc:
            raise Transient(f"the answer ({error.code}) was cut off: {type(exc).__name__}") from None
        return _answer(error.code, raw, error.headers.get("Retry-After") if error.headers else None)
    except TimeoutError:
        raise Transient(f"no answer within {timeout:g} s") from None
    except urllib.error.URLError as error:
        raise Transient(f"could not reach the server: {error.reason}") from None
    except (ConnectionError, http.client.HTTPException, OSError) as exc:
        raise Transient(f"the connection dropped: {type(exc).__name__}") from None


def _answer(status: int, raw: bytes, retry_after: str | None) -> Answer:
    text = raw.decode("utf-8", "replace")
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    try:
        wait = float(retry_after) if retry_after is not None else None
    except ValueError:
        wait = None
    return Answer(status, body, text[:EXCERPT_CHARS], wait)
