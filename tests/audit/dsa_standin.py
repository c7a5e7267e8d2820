"""A stand-in for the DSA Transparency Database's ``POST /api/v1/statements``, on 127.0.0.1, with injected faults.

It answers as ``StatementMultipleAPIController::store`` does (201 with each
statement and its uuid; 422 ``statement_<i>`` validation errors; 422
``existing_puids`` when a puid is already stored or repeated; 401 without
the token) and, before answering, plays the next of its scripted *faults*:
``"500"``, ``"429"``, ``"drop"`` (close without an answer), ``"slow"``
(answer after the client's time-out), ``"lost"`` (store the batch, then
drop the answer), ``"redirect"`` (302 to ``/moved``, whose GET answers 200
HTML and records the ``Authorization`` it got in *redirected*). A puid in
*locked* is refused as an ``existing_puids`` 422 without being stored, as
the database does when it cannot take the puid's lock
(``PlatformUniqueIdService::acquirePuidLocks``); ``GET
/api/v1/statement/existing-puid/{puid}`` answers 302 when it is stored,
404 when not. Nothing here reaches the internet.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-token-not-a-secret"


class StandIn:
    def __init__(self, *, faults=(), invalid=(), locked=(), slow_s: float = 0.6):
        self.faults = list(faults)
        self.invalid = set(invalid)  # puids the stand-in's validation refuses
        self.locked = set(locked)  # puids another request holds the lock of: refused as existing, not stored
        self.redirected: list[str | None] = []  # the Authorization header of each GET /moved
        self.lookups: list[str] = []  # the puids asked about with GET existing-puid
        self.slow_s = slow_s
        self.stored: dict[str, str] = {}  # puid -> uuid
        self.requests: list[list[str]] = []  # the puids of each request that reached the handler
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                prefix = "/api/v1/statement/existing-puid/"
                if self.path == "/moved":
                    standin.redirected.append(self.headers.get("Authorization"))
                    return self._text(200, "<html>Welcome</html>", {"Content-Type": "text/html"})
                if not self.path.startswith(prefix):
                    return self._json(404, {"message": "not found"})
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._json(401, {"message": "Unauthenticated."})
                puid = self.path[len(prefix):]
                standin.lookups.append(puid)
                if puid in standin.stored:
                    return self._json(302, {"message": "statement of reason found", "puid": puid})
                return self._json(404, {"message": "statement of reason not found", "puid": puid})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                statements = body.get("statements", [])
                with standin.lock:
                    standin.requests.append([s.get("puid") for s in statements])
                    fault = standin.faults.pop(0) if standin.faults else None
                if self.path != "/api/v1/statements":
                    return self._json(404, {"message": "not found"})
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._json(401, {"message": "Unauthenticated."})
                if fault == "500":
                    return self._json(500, {"message": "Server Error"})
                if fault == "429":
                    return self._text(429, "Limit Reached. Please do not overload the API", {"Retry-After": "2"})
                if fault == "drop":
                    return self._drop()
                if fault == "redirect":
                    return self._text(302, "", {"Location": "/moved"})
                if fault == "slow":
                    time.sleep(standin.slow_s)
                if not 1 <= len(statements) <= 100:
                    return self._json(422, {"message": "The statements field must have between 1 and 100 items.",
                                            "errors": {"statements": ["between 1 and 100"]}})
                errors = {f"statement_{i}": {"puid": ["The puid format is invalid."]}
                          for i, s in enumerate(statements) if s.get("puid") in standin.invalid}
                if errors:
                    return self._json(422, {"errors": errors})
                puids = [s["puid"] for s in statements]
                with standin.lock:
                    existing = sorted({p for p in puids
                                       if p in standin.stored or p in standin.locked or puids.count(p) > 1})
                    if existing:
                        message = "The platform identifier(s) are not all unique within this call."
                        answer = (422, {"message": message, "errors": {"puid": [message], "existing_puids": existing}})
                    else:
                        out = []
                        for s in statements:
                            standin.stored[s["puid"]] = str(uuid.uuid4())
                            out.append({**s, "uuid": standin.stored[s["puid"]], "platform_name": "Veil test"})
                        answer = (201, {"statements": out})
                if fault == "lost":
                    return self._drop()
                return self._json(*answer)

            def _json(self, status: int, body: dict) -> None:
                self._text(status, json.dumps(body), {"Content-Type": "application/json"})

            def _text(self, status: int, text: str, headers: dict) -> None:
                data = text.encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (a "slow" fault)
                    pass

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        return Handler
