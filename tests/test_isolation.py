"""The suite never reads the developer's own settings: with a password hash in the checkout's
`.streamlit/secrets.toml`, in `~/.streamlit/secrets.toml`, in `~/.config/lacrime/secrets.toml`
(where `lacrime set-admin-password` writes without LACRIME_HOME), in the developer's own
LACRIME_HOME and in LACRIME_ADMIN_PASSWORD_HASH, the tests that expect no password still pass.
"""

import os
import subprocess
import sys
from pathlib import Path

from lacrime.ops import auth

ROOT = Path(__file__).resolve().parents[1]
# An AppTest of the Admin page and a real server's Admin page opened in Chromium, both
# expecting "no administrator password is set".
EXPECTING = [
    "tests/test_admin.py::test_no_password_turns_admin_off",
    "tests/test_browser.py::test_page_renders_without_errors[demo-Admin]",
]


def secrets_with(encoded: str) -> str:
    return f'{auth.SECRET_KEY} = "{encoded}"\n'


def test_tests_ignore_the_developers_secrets_and_variables(tmp_path: Path, admin_hash: str):
    user = tmp_path / "user"
    for where in (user / ".streamlit", user / ".config" / "lacrime", tmp_path / "dev-home"):
        where.mkdir(parents=True)
        (where / "secrets.toml").write_text(secrets_with(admin_hash))
    checkout_secrets = ROOT / ".streamlit" / "secrets.toml"
    created = not checkout_secrets.exists()
    if created:
        checkout_secrets.write_text(secrets_with(admin_hash))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "PYTEST_"))},
        "HOME": str(user),
        "LACRIME_HOME": str(tmp_path / "dev-home"),
        auth.HASH_ENV: admin_hash,
    }
    env.pop("LACRIME_REAL_DATA", None)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *EXPECTING],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        if created:
            checkout_secrets.unlink()
    assert run.returncode == 0, run.stdout[-3000:]
    assert "2 passed" in run.stdout, run.stdout[-3000:]
