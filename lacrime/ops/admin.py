"""What the Admin page runs: new data previewed then ingested, trainings and downloads started,
promotion, discard and rollback of model versions, the exclusion list edited.

Every action takes the session's `auth.Gate` and checks the sign-in itself, whatever the page
did before calling it, and writes an audit entry with its outcome.
"""

import os
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from lacrime.data.dataset import dataset_id, install, prepare, read_manifest, store
from lacrime.data.exclusions import (
    Exclusions,
    load_exclusions,
    rules_for_selection,
    save_exclusions,
)
from lacrime.data.fetch import download_path
from lacrime.data.sync import commit_staged, discard_staged
from lacrime.errors import LacrimeError
from lacrime.files import sha256_of
from lacrime.ops import audit, jobs, registry, serving
from lacrime.ops.auth import Attempt, Gate
from lacrime.paths import data_dir

_INCOMING = ".incoming-"


# Incoming uploads abandoned before "Accept" are removed after this long.
STALE_UPLOAD_S = 24 * 3600


def uploads_dir() -> Path:
    return data_dir() / "uploads"


@contextmanager
def _audited(gate: Gate, action: str, detail: str = "") -> Iterator[dict]:
    """Check the sign-in, run the action, and record what came of it.

    The body may change `note["detail"]` or `note["outcome"]` to record more than the start.
    """
    try:
        gate.require()
    except LacrimeError as exc:
        _record(gate, action, "refused", str(exc), who="anonymous")
        raise
    note = {"detail": detail, "outcome": "ok"}
    try:
        yield note
    except LacrimeError as exc:
        _record(gate, action, "refused", " ".join(filter(None, [note["detail"], str(exc)])))
        raise
    except Exception as exc:
        _record(gate, action, "failed", f"{note['detail']} unexpected {type(exc).__name__}")
        raise
    _record(gate, action, note["outcome"], note["detail"])


def _record(gate: Gate, action: str, outcome: str, detail: str, who: str = "admin") -> None:
    audit.record(
        action, outcome, who=who, session=gate.session, client=gate.client, detail=detail.strip()
    )


def sign_in(gate: Gate, password: str, encoded: str) -> Attempt:
    """Try a password, auditing the attempt (never the password)."""
    attempt = gate.sign_in(password, encoded)
    outcome = "ok" if attempt.ok else "refused"
    _record(gate, "sign in", outcome, attempt.message, who="admin" if attempt.ok else "anonymous")
    return attempt


def sign_out(gate: Gate) -> None:
    if gate.signed_in():
        _record(gate, "sign out", "ok", "")
    gate.sign_out()


@dataclass(frozen=True)
class Preview:
    """A file read and cleaned exactly as `lacrime ingest` would, not yet in use; accepting it
    installs this very frame."""

    path: Path
    name: str
    keep_as: Path | None
    frame: pd.DataFrame
    manifest: dict
    job_id: str | None = None
    # A download's NIBRS files, staged: each takes the place of the one it replaces on accept.
    staged: dict[str, str] | None = None

    @property
    def report(self) -> dict:
        return self.manifest["report"]


def check_upload(gate: Gate, name: str, data: BinaryIO, *, max_bytes: int) -> Preview:
    """Save an uploaded export under data/ and preview it; a bad file leaves nothing behind."""
    with _audited(gate, "upload", name) as note:
        size = data.seek(0, os.SEEK_END)
        data.seek(0)
        note["detail"] = f"{name} ({size:,} bytes)"
        if size > max_bytes:
            raise LacrimeError(
                f"{name}: {size / 2**20:,.0f} MB is over the upload limit of "
                f"{max_bytes / 2**20:,.0f} MB; put the file on the server and run "
                "`lacrime ingest FILE` there"
            )
        safe = _safe_name(name)
        folder = uploads_dir()
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_uploads(folder)
        path = folder / f"{_INCOMING}{secrets.token_hex(4)}-{safe}"
        try:
            with path.open("wb") as out:
                shutil.copyfileobj(data, out, 1 << 20)
            keep_as = folder / safe
            return Preview(path, name, keep_as, *_prepare(path, name, str(keep_as)))
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def check_download(gate: Gate, job: dict) -> Preview:
    """Preview the files a finished download job brought up to date, as they would be ingested."""
    with _audited(gate, "preview download", job.get("label", "")):
        if job.get("kind") != jobs.FETCH or job.get("state") != "done":
            raise LacrimeError("no finished download to preview")
        sources = [Path(p) for p in job["sources"]]
        frame, manifest = prepare(sources, label=job["label"])
        staged = job.get("staged") or {}
        for entry, path in zip(manifest["sources"], sources, strict=True):
            entry["path"] = str(Path(staged.get(str(path), str(path))).resolve())
        return Preview(
            sources[0], job["label"], None, frame, manifest, job["job_id"], staged=staged
        )


def _prepare(path: Path, name: str, label: str) -> tuple[pd.DataFrame, dict]:
    """`dataset.prepare`, with messages naming the file as the admin knows it."""
    try:
        return prepare(path, label=label)
    except LacrimeError as exc:
        raise LacrimeError(str(exc).replace(str(path), name)) from None


def cancel(gate: Gate, preview: Preview) -> None:
    """Drop a previewed file without using it; an uploaded copy is removed, a download kept."""
    with _audited(gate, "cancel ingest", preview.name):
        if preview.keep_as is not None:
            preview.path.unlink(missing_ok=True)
        if preview.staged:
            discard_staged(preview.staged)
        if preview.job_id:
            jobs.update(preview.job_id, resolution="cancelled")


def accept(gate: Gate, preview: Preview) -> dict:
    """Ingest a previewed file as the current dataset (atomic swap); return its manifest."""
    with _audited(gate, "ingest", preview.name) as note:
        if preview.staged:
            commit_staged(preview.staged)
        manifest = store(preview.frame, preview.manifest)
        if preview.keep_as is not None:
            os.replace(preview.path, preview.keep_as)
            for other in preview.keep_as.parent.iterdir():
                if other != preview.keep_as and not other.name.startswith(_INCOMING):
                    other.unlink()
        if preview.job_id:
            jobs.update(preview.job_id, resolution="ingested")
        note["detail"] = (
            f"{preview.name}: dataset {manifest['dataset_id']}, {manifest['rows']:,} rows"
        )
        return manifest


def _safe_name(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name).lstrip(".")
    return safe[:100] or "upload.csv"


def _remove_stale_uploads(folder: Path) -> None:
    cutoff = time.time() - STALE_UPLOAD_S
    for path in folder.glob(f"{_INCOMING}*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def start_training(gate: Gate) -> str:
    """Start a training of the current dataset in its own process; return the job id."""
    with _audited(gate, "retrain") as note:
        note["outcome"] = "started"
        _refuse_second_training()
        job_id = jobs.spawn(jobs.TRAIN)
        note["detail"] = f"job {job_id}"
        return job_id


def start_reingest(gate: Gate, sources: list[Path], label: str | None) -> str:
    """Re-ingest the current dataset's sources (to apply an edited exclusion list), then train."""
    names = ", ".join(map(str, sources))
    with _audited(gate, "re-ingest and retrain", names) as note:
        note["outcome"] = "started"
        _refuse_second_training()
        job_id = jobs.spawn(jobs.REINGEST, sources=[str(p) for p in sources], label=label)
        note["detail"] = f"{names} (job {job_id})"
        return job_id


def start_fetch(gate: Gate, base_url: str | None = None) -> str:
    """Start bringing the data up to date from the portal (as `lacrime fetch` does) in its own
    process; return the job id. Nothing in use changes until the admin accepts its preview."""
    with _audited(gate, "fetch", base_url or "the portal of portal.toml") as note:
        note["outcome"] = "started"
        running = jobs.active_jobs(jobs.FETCH)
        if running:
            raise LacrimeError(f"a download is already running (job {running[0]['job_id']})")
        job_id = jobs.spawn(jobs.FETCH, base_url=base_url)
        note["detail"] = f"{base_url or 'portal.toml'} (job {job_id})"
        return job_id


def _refuse_second_training() -> None:
    """Tell the admin at once rather than through a job that waits and fails.

    A job just started may not hold the registry's lock yet, hence the check of our own jobs;
    a training started from the command line is found by trying the lock itself.
    """
    running = jobs.active_jobs(jobs.TRAIN, jobs.REINGEST)
    if running:
        raise LacrimeError(
            f"another training is running (job {running[0]['job_id']}); wait for it to finish "
            "and try again"
        )
    with registry.training_lock(timeout=0):
        pass


def promote(gate: Gate, version_id: str, job_id: str | None = None) -> None:
    """Make a trained version the one users see (the registry verifies, then switches).

    A candidate a refresh kept was trained on data not yet in use: promoting it installs that
    dataset first, once the version is known to have been trained on it.
    """
    with _audited(gate, "promote", version_id):
        job = jobs.job_status(job_id) if job_id else {}
        if job.get("kind") == jobs.REFRESH and job["dataset_id"] != dataset_id():
            serving.check(version_id, read_manifest(job["dataset_id"]))
            install(job["dataset_id"])
        serving.promote(version_id)
        if job_id:
            jobs.update(job_id, resolution="promoted")


def discard(gate: Gate, version_id: str, job_id: str | None = None) -> None:
    """Delete a version that is not in use, for a training the admin does not want."""
    with _audited(gate, "discard", version_id):
        registry.discard(version_id)
        if job_id:
            jobs.update(job_id, resolution="discarded")


def rollback(gate: Gate, version_id: str) -> None:
    with _audited(gate, "roll back", version_id):
        serving.rollback(version_id)


def save_excluded_types(
    gate: Gate, options: Iterable[str], selected: Iterable[str], reason: str = ""
) -> Exclusions:
    """Save the edited list; it applies from the next ingest and training."""
    selected = list(selected)
    with _audited(gate, "edit exclusions", f"{len(selected)} crime types selected") as note:
        rules = rules_for_selection(load_exclusions(), options, selected, reason)
        saved = save_exclusions(rules)
        note["detail"] = f"{len(rules)} rules saved to {saved.source}"
        return saved


def reingest_source(manifest: dict) -> tuple[list[Path], str | None] | None:
    """The files the current dataset came from, if they are all still on this server unchanged,
    and the label to give the new dataset (its source's address, for a download).

    An upload or `lacrime ingest` records each file's path; a download records the portal's
    address, and its files are kept under data/downloads/ and used if they are the same ones.
    """
    source = manifest.get("source") or ""
    files = manifest.get("sources") or [{"path": source, "sha256": manifest.get("source_sha256")}]
    paths = [Path(f["path"]) for f in files]
    label = source if source.startswith(("http://", "https://")) else None
    if all(p.is_absolute() and p.is_file() for p in paths) and all(
        f.get("sha256") in (None, sha256_of(p)) for f, p in zip(files, paths, strict=True)
    ):
        return paths, label
    download = download_path()
    if label and download.is_file() and manifest.get("source_sha256") == sha256_of(download):
        return [download], label
    return None
