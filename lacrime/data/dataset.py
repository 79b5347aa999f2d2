"""The cleaned dataset on disk: ingest of one or more source files, atomic swap, reading back.

Each ingest writes a new directory under `data/datasets/` (Parquet + manifest) and only then
points the `data/current` symlink at it with one atomic rename. A failed or killed ingest
therefore leaves the dataset in use exactly as it was; the previous few stay for rollback.
"""

import copy
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from lacrime import __version__
from lacrime.data.clean import clean_rows, extent, quality_flags
from lacrime.data.exclusions import load_exclusions
from lacrime.data.load import read_reports
from lacrime.data.stitch import STEP_REASONS as STITCH_REASONS
from lacrime.data.stitch import History, combine, stitch
from lacrime.errors import LacrimeError
from lacrime.files import fsync, sha256_of
from lacrime.paths import data_dir
from lacrime.records import to_json

REPORTS_FILE = "reports.parquet"
MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 2
KEEP_DATASETS = 3


def current_dir() -> Path:
    return data_dir() / "current"


def ingest(
    sources: Path | Sequence[Path],
    *,
    synthetic: bool = False,
    label: str | None = None,
    today: pd.Timestamp | None = None,
) -> dict:
    """Read, validate, clean and stitch `sources`, then make them the current dataset; return
    its manifest."""
    return store(*prepare(sources, synthetic=synthetic, label=label, today=today))


def prepare(
    sources: Path | Sequence[Path],
    *,
    synthetic: bool = False,
    label: str | None = None,
    today: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The cleaned dataset of `sources` (legacy and NIBRS files, in any mix) and its manifest,
    not yet installed: what an admin previews, then installs with `store` without reading the
    files again."""
    paths = [Path(sources)] if isinstance(sources, str | Path) else [Path(p) for p in sources]
    if not paths:
        raise LacrimeError("no source file given")
    exclusions = load_exclusions()
    cleaned: dict[str, list[pd.DataFrame]] = {"legacy": [], "nibrs": []}
    reports = []
    # Hash while reading and cleaning: hashing takes no GIL, the cleaning runs on one core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digests = [pool.submit(sha256_of, path) for path in paths if path.is_file()]
        for path in paths:
            frame, report = clean_rows(read_reports(path), exclusions, today=today)
            cleaned[report["format"]].append(frame)
            reports.append(report)
        hashes = [digest.result() for digest in digests]
    # A source without a file is an empty frame of the same columns.
    empty = next(f for frames in cleaned.values() for f in frames).iloc[:0]
    legacy, repeated_legacy = combine(cleaned["legacy"]) if cleaned["legacy"] else (empty, 0)
    nibrs, repeated_nibrs = combine(cleaned["nibrs"]) if cleaned["nibrs"] else (empty, 0)
    frame, steps, history = stitch(legacy, nibrs)
    if frame.empty:
        names = ", ".join(map(str, paths))
        raise LacrimeError(f"{names}: no rows left after cleaning; the dataset was not replaced")
    report = _joined_report(reports, [_repeats(repeated_legacy + repeated_nibrs), *steps], frame)
    report["flags"] = _flags(frame, history)
    files = [
        {"path": str(path.resolve()), "format": r["format"], "sha256": digest}
        for path, r, digest in zip(paths, reports, hashes, strict=True)
    ]
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "source": label or "; ".join(f["path"] for f in files),
        "source_sha256": hashes[0] if len(hashes) == 1 else _combined(hashes),
        "sources": files,
        "synthetic": synthetic,
        "lacrime_version": __version__,
        "rows": len(frame),
        "date_range": report["date_range"],
        "areas": report["areas"],
        "exclusions": exclusions.to_dict(),
        "report": report,
        "history": to_json(history),
    }
    return frame, manifest


def _repeats(count: int) -> dict:
    return {
        "step": "duplicate_across_files",
        "reason": STITCH_REASONS["duplicate_across_files"],
        "removed": count,
    }


def _combined(hashes: list[str]) -> str:
    """One digest for several files: the sha256 of their digests, in the order given."""
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def _joined_report(reports: list[dict], stitch_steps: list[dict], frame: pd.DataFrame) -> dict:
    """The files' cleaning reports as one: each step's rows summed over the files (in the
    order the steps run), then the steps of joining them; each file's own report kept."""
    steps: dict[str, dict] = {}
    for report in reports:
        for step in report["steps"]:
            if step["step"] not in steps:
                steps[step["step"]] = copy.deepcopy(step)
                continue
            merged = steps[step["step"]]
            merged["removed"] += step["removed"]
            if "detail" in step:
                merged["detail"] = _summed(merged.get("detail", {}), step["detail"])
            for total, rule in zip(merged.get("rules", []), step.get("rules", []), strict=True):
                total["removed"] += rule["removed"]
                total["types"] = _summed(total["types"], rule["types"])
    first = reports[0]
    return {
        "rows_in": sum(r["rows_in"] for r in reports),
        "steps": [*steps.values(), *stitch_steps],
        "rows_out": len(frame),
        "dropped_columns": sorted({c for r in reports for c in r["dropped_columns"]}),
        "null_policy": first["null_policy"],
        **extent(frame),
        "files": [
            {k: r[k] for k in ("file", "format", "rows_in", "rows_out", "steps")} for r in reports
        ],
    }


def _summed(a: dict, b: dict) -> dict:
    """Two count dictionaries (nested ones too) added key by key."""
    out = dict(a)
    for key, value in b.items():
        out[key] = (
            _summed(out.get(key, {}), value)
            if isinstance(value, dict)
            else (out.get(key, 0) + value)
        )
    return out


def _flags(frame: pd.DataFrame, history: History) -> dict:
    """Quality flags of the joined data, with the areas whose data the switch left incomplete
    told apart from the weeks reporting lag holds back."""
    flags = quality_flags(frame)
    gaps = [gap for area in history.areas.values() for gap in area.gaps]
    flags["switch_gaps"] = to_json(gaps)
    if gaps:
        listed = ", ".join(f"{g.area_name} {g.first_day} to {g.last_day}" for g in gaps)
        flags["warnings"].append(
            f"{len(gaps)} area(s) have days after their switch to NIBRS that neither source "
            f"reports completely ({listed}): the models leave these area-days out"
        )
    return flags


def store(frame: pd.DataFrame, manifest: dict, *, install: bool = True) -> dict:
    """Write the dataset beside the current one, then (with `install`) swap the `current` link
    atomically; return the manifest as stored, with the dataset's id and time of ingest.

    Without `install` the dataset waits beside the one in use: `lacrime refresh` trains a
    candidate on it and installs it (`install`) only with the candidate's promotion.
    """
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
            staging.rename(datasets / manifest["dataset_id"])
            fsync(datasets)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if install:
            _switch(root, manifest["dataset_id"])
        _prune(datasets, keep={manifest["dataset_id"], dataset_id()})
    return manifest


def install(dataset_id: str) -> dict:
    """Make a stored dataset the one in use (one atomic rename); return its manifest."""
    manifest = read_manifest(dataset_id)
    root = data_dir()
    with _lock(root):
        _switch(root, dataset_id)
    return manifest


def _switch(root: Path, dataset_id: str) -> None:
    link = root / f".current-{uuid.uuid4().hex[:6]}"
    link.symlink_to(Path("datasets") / dataset_id)
    os.replace(link, current_dir())
    fsync(root)


def _prune(datasets: Path, keep: set[str | None]) -> None:
    """Remove half-written ingests and all but the newest few complete ones, never those in
    `keep` (the one in use, and the one just written)."""
    for leftover in datasets.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    complete = sorted(p for p in datasets.iterdir() if not p.name.startswith("."))
    for old in complete[:-KEEP_DATASETS]:
        if old.name not in keep:
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
