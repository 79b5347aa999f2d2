"""Shared fixtures: the real extract (when present), and an isolated LACRIME_HOME per test.

Tests never read the developer's own settings: the variables below are dropped before any test
runs, and Streamlit (here, and in every server a test starts) reads no secrets file, neither
the checkout's `.streamlit/secrets.toml` nor `~/.streamlit/secrets.toml`. A test that needs a
setting sets it itself. `tests/test_isolation.py` runs tests with all of them present.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit import config as streamlit_config
from support import ADMIN_PASSWORD

from lacrime.cli import main
from lacrime.data.clean import clean
from lacrime.data.exclusions import load_exclusions
from lacrime.data.load import read_reports
from lacrime.ops import auth

DEVELOPER_SETTINGS = (
    "LACRIME_HOME",
    "LACRIME_ADMIN_PASSWORD_HASH",
    "LACRIME_SOCRATA_APP_TOKEN",
    "LACRIME_DEMO_ROWS",
    "XDG_CONFIG_HOME",
)
for _name in DEVELOPER_SETTINGS:
    os.environ.pop(_name, None)
_NO_SECRETS = str(Path(tempfile.mkdtemp(prefix="lacrime-tests-")) / "no-secrets.toml")
os.environ["STREAMLIT_SECRETS_FILES"] = _NO_SECRETS  # `streamlit run` started by a test
streamlit_config.set_option("secrets.files", [_NO_SECRETS])  # AppTest, in this process


def _real_path() -> Path | None:
    value = os.environ.get("LACRIME_REAL_DATA")
    return Path(value) if value and Path(value).is_file() else None


@pytest.fixture(scope="session")
def real_data_path() -> Path:
    """The real LAPD extract; tests that need it skip when LACRIME_REAL_DATA is not set."""
    path = _real_path()
    if path is None:
        pytest.skip(
            "real LAPD extract not available: set LACRIME_REAL_DATA to its path "
            "(.ci/run does when ../shared/data/ has it)"
        )
    return path


@pytest.fixture(scope="session")
def real_clean(real_data_path: Path) -> pd.DataFrame:
    """The real extract, read and cleaned once per session (do not mutate)."""
    frame, _ = clean(read_reports(real_data_path), load_exclusions())
    return frame


@pytest.fixture(autouse=True)
def lacrime_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state directory, so none touches the repository's data/."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LACRIME_HOME", str(home))
    return home


def _prepared_home(factory: pytest.TempPathFactory, name: str, *commands: list[str]) -> Path:
    """A LACRIME_HOME made by CLI commands once per test run. Tests read it by pointing
    LACRIME_HOME at it; a test that changes state copies it into its own home first."""
    home = factory.getbasetemp() / name
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LACRIME_HOME", str(home))
        for argv in commands:
            assert main(argv) == 0, argv
    return home


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year of synthetic demo reports (20,000), trained."""
    return _prepared_home(tmp_path_factory, "demo-home", ["demo", "--rows", "20000"], ["train"])


@pytest.fixture(scope="session")
def real_home(tmp_path_factory: pytest.TempPathFactory, real_data_path: Path) -> Path:
    """The real extract, ingested and trained."""
    return _prepared_home(tmp_path_factory, "real-home", ["train", "--source", str(real_data_path)])


@pytest.fixture(scope="session")
def small_trained_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine weeks of demo reports (4,000), trained in seconds: for tests that train again."""
    return _prepared_home(
        tmp_path_factory, "small-home", ["demo", "--rows", "4000", "--days", "63"], ["train"]
    )


@pytest.fixture(params=["demo", "real"])
def home(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A page test runs twice: on the trained demo, then on the trained real extract."""
    path = request.getfixturevalue(f"{request.param}_home")
    monkeypatch.setenv("LACRIME_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def admin_hash() -> str:
    return auth.hash_password(ADMIN_PASSWORD)


@pytest.fixture
def admin_home(
    small_trained_home: Path, lacrime_home: Path, monkeypatch: pytest.MonkeyPatch, admin_hash: str
) -> Path:
    """A trained home of the test's own, with the admin password set: admin tests change it."""
    shutil.copytree(small_trained_home, lacrime_home, symlinks=True, dirs_exist_ok=True)
    monkeypatch.setenv(auth.HASH_ENV, admin_hash)
    return lacrime_home
