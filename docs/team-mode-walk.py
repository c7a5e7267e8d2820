"""Issue 15's walk: two GUI clients of different people on one server store decide items at the same time.

Starts a throwaway PostgreSQL server (tests/postgres.py), fills it with
`veil demo --items 200` (media uploaded into the server), opens ana's and
ben's windows on virtual screens with the screenshot tool, each pressing
Enter and then A twelve times, and prints how many decisions each made,
how many items hold two live decisions (must be 0) and `veil verify`.

    .venv/bin/python docs/team-mode-walk.py     # screenshots: /tmp/walk-ana-after.png, /tmp/walk-ben-after.png
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import postgres  # noqa: E402

SHOT = Path("/work/shared/tools/shot")
TWICE = """SELECT COUNT(*) FROM (SELECT d.item_id FROM decisions d WHERE d.revokes_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
           GROUP BY d.item_id HAVING COUNT(*) > 1) twice"""


def main() -> None:
    server = postgres.start()
    try:
        server.admin("CREATE DATABASE walk")
        url = server.url("walk")
        env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"}
        subprocess.run(["veil", "demo", "--store", url, "--items", "200"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        with psycopg.connect(url) as conn:
            before = conn.execute("SELECT MAX(id) FROM events").fetchone()[0]
        keys = "ctrl+2 Return " + " ".join(["a"] * 12)
        shots = []
        for who in ("ana", "ben"):  # a few seconds apart: each takes the next free virtual screen
            shots.append(subprocess.Popen([str(SHOT), f"/tmp/walk-{who}.png", "--size", "1280x720", "--wait", "12",
                                           "--after", "3", "--keys", keys, "--", "veil", "--store", url,
                                           "--user", who], env=env))
            time.sleep(4)
        for shot in shots:
            shot.wait(timeout=300)
        with psycopg.connect(url) as conn:
            made = conn.execute("SELECT actor, COUNT(*) FROM events WHERE kind = 'decision.made' AND id > %s"
                                " GROUP BY actor ORDER BY actor", [before]).fetchall()
            twice = conn.execute(TWICE).fetchone()[0]
        print(f"decisions made: {dict(made)}; items with two live decisions: {twice}")
        verified = subprocess.run(["veil", "verify", "--store", url], env=env, capture_output=True, text=True)
        print((verified.stdout or verified.stderr).strip().splitlines()[-1])
    finally:
        server.stop()


if __name__ == "__main__":
    main()
