"""The cleaned dataset on disk: ingest, atomic swap, and reading it back.

Each ingest writes a new directory under `data/datasets/` (Parquet + manifest) and only then
points the `data/current` symlink at it with one atomic rename. A failed or killed ingest
therefore leaves the dataset in use exactly as it was; the previous few stay for rollback.
"""

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from lacrime import __version__
from lacrime.data.clean import clean
from lacrime.data.exclusions import load_exclusions
from lacrime.data.load import read_reports
from lacrime.errors import LacrimeError
from lacrime.files import fsync, sha256_of
from lacrime.paths import data_dir

REPORTS_FILE = "reports.parquet"
MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 1
KEEP_DATASETS = 3


def current_dir() -> Path:
    return data_dir() / "current"


def ingest(
    source: Path,
    *,
    synthetic: bool = False,
    label: str | None = None,
    today: pd.Timestamp | None = None,
) -> dict:
    """Read, validate and clean `source`, then make it the current dataset; return its manifest."""
    return store(*prepare(source, synthetic=synthetic, label=label, today=today))


def prepare(
    source: Path,
    *,
    synthetic: bool = False,
    label: str | None = None,
    today: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The cleaned dataset of `source` and its manifest, not yet installed: what an admin
    previews, then installs with `store` without reading the file again."""
    source = Path(source)
    loaded = read_reports(source)
    exclusions = load_exclusions()
    # Hash while cleaning, which runs on one core; the CSV reader above uses both.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_of, source)
        frame, report = clean(loaded, exclusions, today=today)
        source_sha256 = digest.result()
    if frame.empty:
        raise LacrimeError(f"{source}: no rows left after cleaning; the dataset was not replaced")
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "source": label or str(source.resolve()),
        "source_sha256": source_sha256,
        "synthetic": synthetic,
        "lacrime_version": __version__,
        "rows": len(frame),
        "date_range": report["date_range"],
        "areas": report["areas"],
        "exclusions": exclusions.to_dict(),
        "report": report,
    }
    return frame, manifest


def store(frame: pd.DataFrame, manifest: dict) -> dict:
    """Write the dataset beside the current one, then swap the `current` link atomically;
    return the manifest as stored, with the dataset's id and time of installation."""
    now = datetime.now(UTC)
    manifest = {
        "dataset_id": f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}",
        "ingested_at": now.isoformat(timespec="seconds"),
        **manifest,
    }
    root = data_dir()
    datasets = root / "datasets"
    datasets.mkdir(parents=True, exist_ok=True)
    with _lock(root):
        staging = datasets / f".tmp-{manifest['dataset_id']}"
        try:
            staging.mkdir()
            frame.to_parquet(staging / REPORTS_FILE, index=False)
            (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, default=str))
            for name in (REPORTS_FILE, MANIFEST_FILE):
                fsync(staging / name)
            final = datasets / manifest["dataset_id"]
            staging.rename(final)
            link = root / f".current-{uuid.uuid4().hex[:6]}"
            link.symlink_to(Path("datasets") / final.name)
            os.replace(link, current_dir())
            fsync(root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _prune(datasets, keep=final.name)
    return manifest


def _prune(datasets: Path, keep: str) -> None:
    """Remove half-written ingests and all but the newest few complete ones."""
    for leftover in datasets.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    complete = sorted(p for p in datasets.iterdir() if not p.name.startswith("."))
    for old in complete[:-KEEP_DATASETS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _lock(root: Path) -> Iterator[None]:
    """Serialise writers: two ingests at once would race for the `current` link."""
    with (root / ".ingest.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def data_key(manifest: dict) -> str:
    """What identifies a dataset's content, whatever ingest produced it: the source file's
    hash, the exclusions applied, the cleaning's schema version, and the rows and dates that
    came out. Ingesting the same file again with the same list gives the same key, so models
    trained on the first copy still serve the second; any other dataset gets another key."""
    content = {
        "schema_version": manifest["schema_version"],
        "source_sha256": manifest["source_sha256"],
        "exclusions": {
            "columns": manifest["exclusions"]["columns"],
            "patterns": [rule["pattern"] for rule in manifest["exclusions"]["crime_types"]],
        },
        "rows": manifest["rows"],
        "date_range": manifest["date_range"],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def has_dataset() -> bool:
    return (current_dir() / MANIFEST_FILE).is_file()


def _directory(dataset_id: str | None) -> Path:
    """The named dataset's directory, or the current one's: a reader that names its dataset
    keeps reading that one even if an ingest swaps `current` meanwhile."""
    return current_dir().resolve() if dataset_id is None else data_dir() / "datasets" / dataset_id


def read_manifest(dataset_id: str | None = None) -> dict:
    path = _directory(dataset_id) / MANIFEST_FILE
    if not path.is_file():
        raise LacrimeError(
            "no dataset yet: run `lacrime ingest FILE`, `lacrime fetch` or `lacrime demo`"
            if dataset_id is None
            else f"dataset {dataset_id} is no longer stored; reload the page"
        )
    return json.loads(path.read_text())


def dataset_id() -> str | None:
    """Cheap identity of the current dataset, for invalidating caches when it changes."""
    link = current_dir()
    return os.readlink(link).rsplit("/", 1)[-1] if link.is_symlink() else None


def load_dataset(columns: list[str] | None = None, dataset_id: str | None = None) -> pd.DataFrame:
    """The cleaned dataset (schema.CLEAN_COLUMNS): the current one, or the one named."""
    read_manifest(dataset_id)
    path = _directory(dataset_id) / REPORTS_FILE
    if not path.is_file():
        raise LacrimeError(f"{path} is missing: ingest the data again (`lacrime ingest FILE`)")
    return pd.read_parquet(path, columns=columns)
