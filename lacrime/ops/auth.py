"""Administrator sign-in: scrypt password hashes, a lockout after failures, expiry when idle.

The hash is looked up in three places, the first found wins:

1. the environment variable `LACRIME_ADMIN_PASSWORD_HASH`, for deployments that inject secrets
   as variables;
2. `admin_password_hash` in `secrets.toml` in `paths.config_dir()` (`LACRIME_HOME`, else
   `~/.config/lacrime`), the file `lacrime set-admin-password` writes, read afresh on every
   check so a new password applies at once. It is never inside the checkout, so neither a
   `git add .` nor the test suite picks it up, and Streamlit itself does not read it;
3. `st.secrets["admin_password_hash"]`: Streamlit's secrets from wherever else it finds them
   (`~/.streamlit/secrets.toml`, or a hosting service's secrets settings).

With no hash anywhere the admin actions are off: there is no default password.

A session's sign-in state lives in a dict (`st.session_state` in the app), so all of this runs
and is tested without Streamlit. An entry in that dict never signs anyone in by itself: signing
in issues a random token that the server process records (`TokenStore`), and only a token the
store knows, used within the idle timeout, counts. Failures are counted per session and per
client address; behind a proxy that hides addresses only the per-session count applies.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
import tomllib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from lacrime import paths
from lacrime.errors import LacrimeError
from lacrime.files import atomic_write

HASH_ENV = "LACRIME_ADMIN_PASSWORD_HASH"
SECRET_KEY = "admin_password_hash"
MIN_PASSWORD_LENGTH = 12
MAX_FAILURES = 5
LOCKOUT_S = 5 * 60
IDLE_TIMEOUT_S = 30 * 60
# scrypt cost: 16 MiB and about 50 ms per check, cheap for one sign-in, slow for guessing.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
# Refuse hashes whose parameters would need more memory than this to check.
SCRYPT_MAXMEM = 256 * 1024 * 1024
SET_PASSWORD_HINT = "run `lacrime set-admin-password` on the server"

# Keys in the session's state dict; all under one prefix so they cannot collide with a page's.
_TOKEN = "_lacrime_admin_token"
_SESSION = "_lacrime_admin_session"
_FAILURES = "_lacrime_admin_failures"
_LOCKED_UNTIL = "_lacrime_admin_locked_until"
_NOTICE = "_lacrime_admin_notice"
_HASH_RE = re.compile(r"^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """`scrypt$n$r$p$salt$hash` (base64) with a fresh random salt: one string to store anywhere."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded`, compared in constant time."""
    n, r, p, salt, expected = _parse(encoded)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


def check_new_password(password: str) -> None:
    """Refuse a password too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LacrimeError(
            f"the admin password must have at least {MIN_PASSWORD_LENGTH} characters "
            f"(this one has {len(password)})"
        )


def _parse(encoded: str, where: str = "the admin password hash") -> tuple:
    match = _HASH_RE.match(encoded.strip())
    problem = f"{where} is not a valid `scrypt$n$r$p$salt$hash` string; {SET_PASSWORD_HINT}"
    if not match:
        raise LacrimeError(problem)
    n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    try:
        salt, digest = (base64.b64decode(match.group(i), validate=True) for i in (4, 5))
    except binascii.Error:
        raise LacrimeError(problem) from None
    if n < 2 or n & (n - 1) or not 0 < r * p < 2**30 or 128 * r * n > SCRYPT_MAXMEM or not digest:
        raise LacrimeError(problem)
    return n, r, p, salt, digest


def secrets_file() -> Path:
    """Where `lacrime set-admin-password` stores the hash."""
    return paths.secrets_file()


def configured_hash(streamlit_secrets: Mapping | None = None) -> tuple[str, str] | None:
    """The hash in use and where it came from, or None when no password is set.

    A hash that is present but malformed is an error naming its source, rather than "no
    password", so that a typo cannot silently turn the admin page off or on.
    """
    candidates: list[tuple[str, Callable[[], object]]] = [
        (f"the environment variable {HASH_ENV}", lambda: os.environ.get(HASH_ENV)),
        (str(secrets_file()), _home_secret),
        (f"st.secrets[{SECRET_KEY!r}]", lambda: _secret(streamlit_secrets)),
    ]
    for where, read in candidates:
        value = read()
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str):
            raise LacrimeError(f"{where} is not a string; {SET_PASSWORD_HINT}")
        _parse(value, where)
        return value.strip(), where
    return None


def _secret(streamlit_secrets: Mapping | None) -> object:
    if streamlit_secrets is None:
        return None
    try:
        return streamlit_secrets.get(SECRET_KEY)
    except FileNotFoundError:  # Streamlit's way of saying there is no secrets.toml at all
        return None


def _home_secret() -> object:
    path = secrets_file()
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get(SECRET_KEY)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LacrimeError(f"{path}: not a readable TOML file ({exc})") from None


def save_password_hash(encoded: str, path: Path | None = None) -> Path:
    """Write `admin_password_hash = "..."` into a secrets.toml, keeping every other line.

    The file may hold other secrets, so the key's line is replaced (or added at the top, where
    a TOML key is always outside any table), the result is checked to parse to the new value,
    and it replaces the file atomically, readable by its owner only.
    """
    _parse(encoded)
    path = path or secrets_file()
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    line = f'{SECRET_KEY} = "{encoded}"'
    pattern = re.compile(rf"^{SECRET_KEY}\s*=.*$", re.MULTILINE)
    new = pattern.sub(line, old, count=1) if pattern.search(old) else f"{line}\n{old}"
    try:
        parsed = tomllib.loads(new).get(SECRET_KEY)
    except tomllib.TOMLDecodeError as exc:
        raise LacrimeError(f"{path}: not a valid TOML file, so it was left alone ({exc})") from None
    if parsed != encoded:
        raise LacrimeError(f"{path}: could not set {SECRET_KEY} at the top level; edit it by hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, new.encode())
    return path


class TokenStore:
    """Tokens of signed-in sessions and when each was last used, held by the server process."""

    def __init__(self) -> None:
        self._last_used: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, now: float) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._last_used[token] = now
        return token

    def check(self, token: object, now: float, idle_s: float) -> str:
        """ "active", "expired" (issued here but idle too long: now revoked) or "unknown"."""
        if not isinstance(token, str):
            return "unknown"
        with self._lock:
            last = self._last_used.get(token)
            if last is None:
                return "unknown"
            if now - last > idle_s:
                del self._last_used[token]
                return "expired"
            return "active"

    def touch(self, token: str, now: float) -> None:
        with self._lock:
            if token in self._last_used:
                self._last_used[token] = now

    def revoke(self, token: object) -> None:
        with self._lock:
            self._last_used.pop(token, None)  # type: ignore[arg-type]


class ClientFailures:
    """Failed sign-ins per client address, so that opening new sessions does not reset them."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def locked_until(self, client: str | None) -> float:
        with self._lock:
            return self._failures.get(client, (0, 0.0))[1] if client else 0.0

    def fail(self, client: str | None, now: float, max_failures: int, lockout_s: float) -> None:
        if not client:
            return
        with self._lock:
            count, until = self._failures.get(client, (0, 0.0))
            count = 0 if until and until <= now else count
            count += 1
            self._failures[client] = (0, now + lockout_s) if count >= max_failures else (count, 0)

    def clear(self, client: str | None) -> None:
        with self._lock:
            self._failures.pop(client, None)  # type: ignore[arg-type]


TOKENS = TokenStore()
CLIENTS = ClientFailures()


@dataclass(frozen=True)
class Attempt:
    """The outcome of one sign-in attempt, with the line to show."""

    ok: bool
    locked: bool
    message: str


class Gate:
    """One session's sign-in, over its state dict; every admin action asks it first."""

    def __init__(
        self,
        state: MutableMapping,
        *,
        client: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        tokens: TokenStore = TOKENS,
        clients: ClientFailures = CLIENTS,
        max_failures: int = MAX_FAILURES,
        lockout_s: float = LOCKOUT_S,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        self.state = state
        self.client = client
        self.clock = clock
        self.tokens = tokens
        self.clients = clients
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.idle_timeout_s = idle_timeout_s

    @property
    def session(self) -> str:
        """A short hash of a random per-session id: tells sessions apart in the audit log
        without writing down anything that could be replayed."""
        if not isinstance(self.state.get(_SESSION), str):
            self.state[_SESSION] = secrets.token_hex(16)
        return hashlib.sha256(self.state[_SESSION].encode()).hexdigest()[:12]

    def signed_in(self) -> bool:
        token = self.state.get(_TOKEN)
        if token is None:
            return False
        state = self.tokens.check(token, self.clock(), self.idle_timeout_s)
        if state == "active":
            return True
        self.state.pop(_TOKEN, None)
        if state == "expired":
            minutes = round(self.idle_timeout_s / 60)
            self.state[_NOTICE] = f"Signed out after {minutes} minutes without activity."
        return False

    def touch(self) -> None:
        """Count a user action as activity, restarting the idle timeout."""
        if self.signed_in():
            self.tokens.touch(self.state[_TOKEN], self.clock())

    def notice(self) -> str | None:
        """A message about the last sign-out by expiry, shown once."""
        return self.state.pop(_NOTICE, None)

    def locked_for(self) -> float:
        """Seconds until sign-in is allowed again; 0 when it is allowed now."""
        until = max(
            float(self.state.get(_LOCKED_UNTIL) or 0), self.clients.locked_until(self.client)
        )
        return max(0.0, until - self.clock())

    def sign_in(self, password: str, encoded: str) -> Attempt:
        """Check a password unless locked out; the fifth failure in a row locks out."""
        if self.locked_for() > 0:
            return Attempt(False, True, self.locked_message())
        now = self.clock()
        if verify_password(password, encoded):
            self.state[_FAILURES] = 0
            self.clients.clear(self.client)
            self.tokens.revoke(self.state.get(_TOKEN))
            self.state[_TOKEN] = self.tokens.issue(now)
            self.state.pop(_NOTICE, None)
            return Attempt(True, False, "Signed in.")
        failures = int(self.state.get(_FAILURES) or 0) + 1
        self.clients.fail(self.client, now, self.max_failures, self.lockout_s)
        if failures >= self.max_failures:
            self.state[_FAILURES] = 0
            self.state[_LOCKED_UNTIL] = now + self.lockout_s
        else:
            self.state[_FAILURES] = failures
        if self.locked_for() > 0:
            return Attempt(False, True, self.locked_message())
        left = self.max_failures - failures
        return Attempt(
            False,
            False,
            f"Wrong password. {left} more failed attempt{'s' if left > 1 else ''} and sign-in "
            f"is locked for {round(self.lockout_s / 60)} minutes.",
        )

    def locked_message(self) -> str:
        minutes, seconds = divmod(int(self.locked_for() + 0.999), 60)
        return (
            f"Too many failed sign-ins: sign-in is locked. Try again in {minutes} min {seconds} s."
        )

    def sign_out(self) -> None:
        self.tokens.revoke(self.state.pop(_TOKEN, None))
        self.state.pop(_NOTICE, None)

    def require(self) -> None:
        """Refuse an admin action for a session that is not signed in."""
        if not self.signed_in():
            raise LacrimeError("admin action refused: sign in on the Admin page first")
