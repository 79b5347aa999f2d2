"""What the benchmarks share: preparing a LACRIME_HOME with the package's own command line."""

import os
import subprocess
import sys
from pathlib import Path


def run_lacrime(home: Path, *args: str) -> None:
    """`lacrime ARGS` in its own process with LACRIME_HOME=home, as an administrator runs it."""
    subprocess.run(
        [sys.executable, "-m", "lacrime", *args],
        check=True,
        capture_output=True,
        env={**os.environ, "LACRIME_HOME": str(home)},
    )
