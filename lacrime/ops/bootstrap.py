"""First start: a fresh machine gets a dataset and trained models before any page is served.

The app has to show something useful with no real data, and it must say so (the manifest is
marked synthetic, and every page shows a banner). Two sessions opening a fresh app at once
must not both generate the demo and race to install it: the first takes a file lock and
builds, the second waits on the lock and then finds the dataset in place.
"""

import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lacrime.data.dataset import has_dataset, ingest, read_manifest
from lacrime.data.demo import write_demo_csv
from lacrime.data.demo_nibrs import write_switch_demo
from lacrime.errors import LacrimeError
from lacrime.ops.registry import current_version_id
from lacrime.ops.train import train
from lacrime.paths import data_dir

# The CLI's default size: a year of reports, enough for weekly and seasonal patterns.
DEFAULT_DEMO_ROWS = 200_000
DEMO_SEED = 0
# Tests and small machines ask for a smaller first-start demo through this variable.
DEMO_ROWS_ENV = "LACRIME_DEMO_ROWS"
LOCK_FILE = ".bootstrap.lock"
# What the first start is doing, one line per step, appended by whichever process prepares
# (`lacrime prepare`, which `make run` starts with the server, or the app itself), so a page
# can show the progress of work done in another process.
STATUS_FILE = "first-start.log"
STATUS_LINES = 12


def demo_rows() -> int:
    """Rows of the first-start demo: LACRIME_DEMO_ROWS if set, else the CLI's default."""
    value = os.environ.get(DEMO_ROWS_ENV, "").strip()
    if not value:
        return DEFAULT_DEMO_ROWS
    try:
        rows = int(value)
    except ValueError:
        raise LacrimeError(f"{DEMO_ROWS_ENV}={value!r} is not a whole number of rows") from None
    if rows < 1:
        raise LacrimeError(f"{DEMO_ROWS_ENV} must be positive, got {rows}")
    return rows


def install_demo(
    rows: int,
    seed: int = DEMO_SEED,
    days: int = 365,
    progress: Callable[[str], None] = lambda _: None,
    *,
    nibrs: bool = False,
    switch: str | None = None,
) -> dict:
    """Generate the demo in the portal's CSV format and ingest it as the current dataset;
    with `nibrs`, as legacy reports until each area's switch day and NIBRS offences from it
    (`demo_nibrs.write_switch_demo`), stitched like real data.

    Going through the real ingest (not writing Parquet directly) means the demo is validated,
    cleaned, stitched and reported exactly like a real export.
    """
    data_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir(), prefix=".demo-") as tmp:
        progress(f"Generating {rows:,} synthetic reports in the portal's CSV format")
        label = f"synthetic demo (rows={rows}, seed={seed}, days={days}"
        if nibrs:
            paths = write_switch_demo(Path(tmp), rows, seed=seed, days=days, switch=switch)
            label += f", NIBRS from {switch or 'the default switch day'})"
        else:
            paths = [write_demo_csv(Path(tmp) / "lapd_demo.csv", rows=rows, seed=seed, days=days)]
            label += ")"
        progress("Validating, cleaning and storing them as the current dataset")
        return ingest(paths, synthetic=True, label=label)


@contextmanager
def _first_start_lock(progress: Callable[[str], None]) -> Iterator[None]:
    """One session prepares; the others wait for it instead of doing the same work again."""
    data_dir().mkdir(parents=True, exist_ok=True)
    with (data_dir() / LOCK_FILE).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("Another session is preparing the app; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_dataset(progress: Callable[[str], None]) -> dict:
    """The current dataset's manifest, installing the demo first if there is no dataset."""
    if has_dataset():
        return read_manifest()
    with _first_start_lock(progress):
        if has_dataset():
            return read_manifest()
        manifest = install_demo(demo_rows(), progress=progress)
    progress(f"Ready: {manifest['rows']:,} reports after cleaning")
    return manifest


def ensure_models(progress: Callable[[str], None]) -> str:
    """The current model version's id, training the first version if there is none.

    Later starts find the version in the registry and load it: models are trained once,
    not per start.
    """
    if (version := current_version_id()) is not None:
        return version
    with _first_start_lock(progress):
        if (version := current_version_id()) is not None:
            return version
        return train(lambda step: progress(step[:1].upper() + step[1:])).version


def ready() -> bool:
    """Whether the app has a dataset and a model version: nothing left for a first start."""
    return has_dataset() and current_version_id() is not None


def prepare(progress: Callable[[str], None] = lambda _: None) -> str:
    """Everything a first start needs (the demo dataset if there is none, then the first
    training), each step reported to `progress` and to the status file; the version id.

    Safe to run from several processes at once (the first-start lock), and quick once done.
    """
    started = time.monotonic()

    def report(message: str) -> None:
        line = f"{time.monotonic() - started:5.0f} s  {message}"
        progress(line)
        with status_path().open("a") as handle:
            handle.write(line + "\n")

    if ready():
        return current_version_id()
    data_dir().mkdir(parents=True, exist_ok=True)
    report("First start: preparing the synthetic demo dataset and training the models once")
    ensure_dataset(report)
    version = ensure_models(report)
    report(f"Ready: model version {version}")
    return version


def status_path() -> Path:
    return data_dir() / STATUS_FILE


def status_lines() -> list[str]:
    """The latest lines of the first start's progress, oldest first."""
    path = status_path()
    lines = path.read_text().splitlines() if path.is_file() else []
    return lines[-STATUS_LINES:]
