"""Sign-in rules without Streamlit: hashing, lockout, idle expiry, sign-out, hash sources."""

import io
import tomllib
from pathlib import Path

import pytest

from lacrime.cli import main
from lacrime.errors import LacrimeError
from lacrime.ops import auth

PASSWORD = "correct horse battery staple"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def encoded() -> str:
    return auth.hash_password(PASSWORD)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def gate(state: dict, clock: Clock, **kwargs) -> auth.Gate:
    kwargs.setdefault("tokens", auth.TokenStore())
    kwargs.setdefault("clients", auth.ClientFailures())
    return auth.Gate(state, clock=clock, **kwargs)


def test_hash_round_trip(encoded: str) -> None:
    assert encoded.startswith("scrypt$16384$8$1$")
    assert auth.verify_password(PASSWORD, encoded)
    assert not auth.verify_password(PASSWORD + " ", encoded)
    assert not auth.verify_password("", encoded)
    again = auth.hash_password(PASSWORD)
    assert again != encoded, "each hash has its own random salt"
    assert auth.verify_password(PASSWORD, again)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hunter2",
        "scrypt$16384$8$1$c2FsdA==",
        "scrypt$1000$8$1$c2FsdA==$aGFzaA==",  # n not a power of two
        "scrypt$16384$8$1$not base64!$aGFzaA==",
        "pbkdf2$16384$8$1$c2FsdA==$aGFzaA==",
        "scrypt$1073741824$8$1$c2FsdA==$aGFzaA==",  # would need 1 TiB to check
    ],
)
def test_malformed_hash_is_an_error(bad: str) -> None:
    with pytest.raises(LacrimeError, match="not a valid"):
        auth.verify_password(PASSWORD, bad)


def test_right_password_signs_in_and_sign_out_ends_it(encoded: str, clock: Clock) -> None:
    state: dict = {}
    g = gate(state, clock)
    assert not g.signed_in()
    with pytest.raises(LacrimeError, match="sign in"):
        g.require()
    attempt = g.sign_in(PASSWORD, encoded)
    assert attempt.ok and not attempt.locked
    assert g.signed_in()
    g.require()
    token = state["_lacrime_admin_token"]
    g.sign_out()
    assert not g.signed_in()
    state["_lacrime_admin_token"] = token
    assert not g.signed_in(), "a revoked token, put back in the state, does not sign in"


def test_wrong_password_is_refused(encoded: str, clock: Clock) -> None:
    g = gate({}, clock)
    attempt = g.sign_in("correct horse battery stapler", encoded)
    assert not attempt.ok and not attempt.locked
    assert "Wrong password" in attempt.message and "4 more" in attempt.message
    assert not g.signed_in()


def test_state_entries_alone_never_sign_in(clock: Clock) -> None:
    for forged in ("x", "", None, True, 1, {"token": "x"}):
        state = {"_lacrime_admin_token": forged, "admin": True, "authenticated": True}
        assert not gate(state, clock).signed_in()


def test_five_failures_lock_out_until_the_period_ends(encoded: str, clock: Clock) -> None:
    g = gate({}, clock)
    for _ in range(auth.MAX_FAILURES - 1):
        assert not g.sign_in("wrong", encoded).locked
    fifth = g.sign_in("wrong", encoded)
    assert fifth.locked and "locked" in fifth.message and "5 min 0 s" in fifth.message
    assert g.locked_for() == auth.LOCKOUT_S
    locked = g.sign_in(PASSWORD, encoded)
    assert not locked.ok and locked.locked, "even the right password is refused while locked"
    clock.now += auth.LOCKOUT_S - 1
    assert not g.sign_in(PASSWORD, encoded).ok
    clock.now += 1
    assert g.locked_for() == 0
    assert g.sign_in(PASSWORD, encoded).ok


def test_lockout_follows_the_client_into_a_new_session(encoded: str, clock: Clock) -> None:
    clients, tokens = auth.ClientFailures(), auth.TokenStore()
    first = gate({}, clock, client="203.0.113.9", clients=clients, tokens=tokens)
    for _ in range(auth.MAX_FAILURES):
        first.sign_in("wrong", encoded)
    fresh = gate({}, clock, client="203.0.113.9", clients=clients, tokens=tokens)
    assert fresh.sign_in(PASSWORD, encoded).locked
    other = gate({}, clock, client="198.51.100.4", clients=clients, tokens=tokens)
    assert other.sign_in(PASSWORD, encoded).ok
    clock.now += auth.LOCKOUT_S
    assert fresh.sign_in(PASSWORD, encoded).ok


def test_sign_in_expires_after_inactivity(encoded: str, clock: Clock) -> None:
    g = gate({}, clock)
    assert g.sign_in(PASSWORD, encoded).ok
    clock.now += auth.IDLE_TIMEOUT_S - 10
    g.touch()
    clock.now += auth.IDLE_TIMEOUT_S - 10
    assert g.signed_in(), "activity restarts the idle timeout"
    clock.now += 11
    assert not g.signed_in()
    assert "30 minutes" in (g.notice() or "")
    assert g.notice() is None, "the notice shows once"
    clock.now -= 100
    assert not g.signed_in(), "an expired token is revoked, not just hidden"


def test_session_tag_is_stable_and_not_the_secret(clock: Clock) -> None:
    state: dict = {}
    g = gate(state, clock)
    assert g.session == g.session and len(g.session) == 12
    assert g.session not in state.values()
    assert gate({}, clock).session != g.session


def test_no_configured_hash_means_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    assert auth.configured_hash() is None
    assert auth.configured_hash({"other": "x"}) is None
    monkeypatch.setenv(auth.HASH_ENV, "  ")
    assert auth.configured_hash() is None


class NoSecretsFile(dict):
    def get(self, key, default=None):
        raise FileNotFoundError("No secrets found")


def test_hash_sources_in_order(encoded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    other = auth.hash_password("another long password")
    assert auth.configured_hash(NoSecretsFile()) is None
    assert auth.configured_hash({auth.SECRET_KEY: encoded}) == (
        encoded,
        f"st.secrets[{auth.SECRET_KEY!r}]",
    )
    auth.save_password_hash(other)
    assert auth.configured_hash(NoSecretsFile()) == (other, str(auth.secrets_file()))
    assert auth.configured_hash({auth.SECRET_KEY: encoded})[0] == other
    monkeypatch.setenv(auth.HASH_ENV, encoded)
    assert auth.configured_hash({auth.SECRET_KEY: other}) == (
        encoded,
        f"the environment variable {auth.HASH_ENV}",
    )
    monkeypatch.setenv(auth.HASH_ENV, "letmein")
    with pytest.raises(LacrimeError, match=auth.HASH_ENV):
        auth.configured_hash()


def test_saving_the_hash_keeps_other_secrets(encoded: str, lacrime_home: Path) -> None:
    path = auth.secrets_file()
    path.parent.mkdir(exist_ok=True)
    path.write_text('api_key = "abc"\n\n[database]\nurl = "postgres://x"\n')
    auth.save_password_hash(encoded)
    replaced = auth.hash_password("yet another password")
    auth.save_password_hash(replaced)
    secrets = tomllib.loads(path.read_text())
    assert secrets == {
        auth.SECRET_KEY: replaced,
        "api_key": "abc",
        "database": {"url": "postgres://x"},
    }
    assert path.stat().st_mode & 0o077 == 0, "readable by its owner only"
    path.write_text("not [toml")
    with pytest.raises(LacrimeError, match="not a valid TOML"):
        auth.save_password_hash(encoded)
    assert path.read_text() == "not [toml"


def test_cli_sets_the_password(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["set-admin-password", "--stdin"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert auth.configured_hash() is None

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["set-admin-password", "--stdin"]) == 0
    encoded, where = auth.configured_hash()
    assert where == str(auth.secrets_file())
    assert auth.verify_password(PASSWORD, encoded)

    answers = iter(["a long enough password", "a different password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert main(["set-admin-password"]) == 2
    assert "differ" in capsys.readouterr().err
    assert auth.configured_hash()[0] == encoded, "a mistyped confirmation changes nothing"


class _Lines:
    def __init__(self, text: str) -> None:
        self.text = text

    def readline(self) -> str:
        return self.text
