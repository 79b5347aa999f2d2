"""Where state lives: one directory for datasets, models and logs.

`LACRIME_HOME` if set (tests and deployments point it elsewhere), else the repository
root, so that a clone keeps its `data/` and `models/` beside the code.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def home() -> Path:
    return Path(os.environ.get("LACRIME_HOME") or REPO_ROOT)


def data_dir() -> Path:
    return home() / "data"


def models_dir() -> Path:
    return home() / "models"


def logs_dir() -> Path:
    return home() / "logs"


def secrets_file() -> Path:
    """The secrets file under LACRIME_HOME (the admin password's hash, a portal app token)."""
    return home() / ".streamlit" / "secrets.toml"
