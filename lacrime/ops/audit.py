"""The audit log of admin actions: who, from which session, did what, when, with what outcome.

One JSON object per line in `logs_dir()/audit.jsonl`, appended under a file lock so that entries
from concurrent sessions and processes never interleave. Append-only: nothing here rewrites it.
"""

import fcntl
import json
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from lacrime.paths import logs_dir

AUDIT_FILE = "audit.jsonl"


def audit_path() -> Path:
    return logs_dir() / AUDIT_FILE


def record(
    action: str,
    outcome: str,
    *,
    who: str = "admin",
    session: str | None = None,
    client: str | None = None,
    detail: str = "",
) -> dict:
    """Append one entry and return it; `outcome` is "ok", "started", "refused" or "failed"."""
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "who": who,
        "session": session,
        "client": client,
        "action": action,
        "outcome": outcome,
        "detail": detail,
    }
    path = audit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(json.dumps(entry) + "\n")
            f.flush()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return entry


def latest(n: int = 50) -> list[dict]:
    """The last `n` entries, newest first; a damaged line is skipped rather than hiding the rest."""
    try:
        with audit_path().open(encoding="utf-8") as f:
            lines = deque(f, maxlen=n)
    except FileNotFoundError:
        return []
    entries = []
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries
