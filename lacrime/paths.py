"""Where state lives: one directory for datasets, models and logs.

`LACRIME_HOME` if set (tests and deployments point it elsewhere), else the repository
root, so that a clone keeps its `data/` and `models/` beside the code.
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """Where the administrator's secrets live: `LACRIME_HOME` if set, else the user's config
    folder (`$XDG_CONFIG_HOME/lacrime`, by default `~/.config/lacrime`): never inside the
    checkout, where a `git add .` or a test run could pick it up."""
    if os.environ.get("LACRIME_HOME"):
        return home()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "lacrime"


def home() -> Path:
    return Path(os.environ.get("LACRIME_HOME") or REPO_ROOT)


def data_dir() -> Path:
    return home() / "data"


def models_dir() -> Path:
    return home() / "models"


def logs_dir() -> Path:
    return home() / "logs"


def secrets_file() -> Path:
    """The secrets file (the admin password's hash, a portal app token), in `config_dir()`."""
    return config_dir() / "secrets.toml"
