"""What the Admin page runs: new data previewed then ingested, trainings and downloads run in
their own process, promotion, discard and rollback of model versions, the exclusion list.

Every action takes the session's `auth.Gate` and checks the sign-in itself, whatever the page
did before calling it, and writes an audit entry with its outcome.

A training or a download runs as `python -m lacrime.jobs JOB_ID`, started in a new session, so
the Streamlit server keeps serving the version in use while it runs, survives its crash, and
may even restart meanwhile. The worker writes its status to `logs_dir()/jobs/JOB_ID.json`
(replaced atomically, so a reader never sees half of it) and its output to `JOB_ID.log`
beside it. A killed worker changes nothing users see: the dataset and the model pointer only
ever switch with one atomic rename, and the next training removes a half-written version.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from lacrime import audit, registry
from lacrime.auth import Attempt, Gate
from lacrime.dataset import ingest, prepare, store
from lacrime.errors import LacrimeError
from lacrime.exclusions import Exclusions, Rule, load_exclusions, save_exclusions
from lacrime.fetch import PORTAL_URL, download, download_path
from lacrime.files import atomic_write, sha256_of
from lacrime.paths import data_dir, home, logs_dir
from lacrime.summaries import utc_time
from lacrime.train import STEPS, train

TRAIN = "train"
FETCH = "fetch"
REINGEST = "reingest and train"
REINGEST_STEP = "re-ingesting the data with the new exclusion list"
DOWNLOAD_STEP = "downloading the export from the portal"
RUNNING = ("starting", "running")
# A job whose worker never reported its PID within this long did not start.
START_GRACE_S = 60.0
KEEP_JOBS = 50
# Incoming uploads abandoned before "Accept" are removed after this long.
STALE_UPLOAD_S = 24 * 3600
_INCOMING = ".incoming-"
_PLAIN_TEXT = re.compile(r"([.^$*+?{}\[\]\\|()])")

# Workers started by this server process, so that their exit is noticed (and reaped) at once.
_children: dict[str, subprocess.Popen] = {}


def jobs_dir() -> Path:
    return logs_dir() / "jobs"


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
    """Preview the file a finished download job fetched."""
    with _audited(gate, "preview download", job.get("url", "")):
        if job.get("kind") != FETCH or job.get("state") != "done":
            raise LacrimeError("no finished download to preview")
        path = Path(job["path"])
        return Preview(
            path, job["url"], None, *_prepare(path, job["url"], job["url"]), job["job_id"]
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
        if preview.job_id:
            _update(preview.job_id, resolution="cancelled")


def accept(gate: Gate, preview: Preview) -> dict:
    """Ingest a previewed file as the current dataset (atomic swap); return its manifest."""
    with _audited(gate, "ingest", preview.name) as note:
        manifest = store(preview.frame, preview.manifest)
        if preview.keep_as is not None:
            os.replace(preview.path, preview.keep_as)
            for other in preview.keep_as.parent.iterdir():
                if other != preview.keep_as and not other.name.startswith(_INCOMING):
                    other.unlink()
        if preview.job_id:
            _update(preview.job_id, resolution="ingested")
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
        job_id = _spawn(TRAIN)
        note["detail"] = f"job {job_id}"
        return job_id


def start_reingest(gate: Gate, source: Path, label: str | None) -> str:
    """Re-ingest the current dataset's source (to apply an edited exclusion list), then train."""
    with _audited(gate, "re-ingest and retrain", str(source)) as note:
        note["outcome"] = "started"
        _refuse_second_training()
        job_id = _spawn(REINGEST, source=str(source), label=label)
        note["detail"] = f"{source} (job {job_id})"
        return job_id


def start_fetch(gate: Gate, url: str = PORTAL_URL) -> str:
    """Start a download of the export from the portal in its own process; return the job id."""
    with _audited(gate, "fetch", url) as note:
        note["outcome"] = "started"
        running = active_jobs(FETCH)
        if running:
            raise LacrimeError(f"a download is already running (job {running[0]['job_id']})")
        job_id = _spawn(FETCH, url=url, path=str(download_path()))
        note["detail"] = f"{url} (job {job_id})"
        return job_id


def _refuse_second_training() -> None:
    """Tell the admin at once rather than through a job that waits and fails.

    A job just started may not hold the registry's lock yet, hence the check of our own jobs;
    a training started from the command line is found by trying the lock itself.
    """
    running = active_jobs(TRAIN, REINGEST)
    if running:
        raise LacrimeError(
            f"another training is running (job {running[0]['job_id']}); wait for it to finish "
            "and try again"
        )
    with registry.training_lock(timeout=0):
        pass


def _spawn(kind: str, **spec: object) -> str:
    job_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    folder = jobs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _prune_jobs(folder)
    _write_status(
        job_id,
        {
            "job_id": job_id,
            "kind": kind,
            "state": "starting",
            "created_at": _now(),
            "created": time.time(),
            **spec,
        },
    )
    with (folder / f"{job_id}.log").open("ab") as log:
        _children[job_id] = subprocess.Popen(
            [sys.executable, "-m", "lacrime.jobs", job_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "LACRIME_HOME": str(home())},
        )
    return job_id


def _prune_jobs(folder: Path) -> None:
    """Keep the status and output of the newest KEEP_JOBS jobs, and of any still running."""
    for path in sorted(folder.glob("*.json"), reverse=True)[KEEP_JOBS:]:
        try:
            running = _read_status(path.stem)["state"] in RUNNING
        except LacrimeError:
            running = False
        if not running:
            path.unlink(missing_ok=True)
            path.with_suffix(".log").unlink(missing_ok=True)


def job_status(job_id: str) -> dict:
    """The job's last status; one whose process is gone without finishing is marked failed."""
    status = _read_status(job_id)
    if status["state"] in RUNNING and not _alive(status):
        status = _read_status(job_id)  # it may have finished between the two looks
        if status["state"] in RUNNING:
            status = _update(
                job_id,
                state="failed",
                error=(
                    "the process ended before finishing (killed, or out of memory); nothing in "
                    f"use was changed. Its output is in {jobs_dir() / (job_id + '.log')}"
                ),
                finished_at=_now(),
            )
    return status


def latest_job(*kinds: str) -> dict | None:
    """The status of the newest job of these kinds, if any."""
    folder = jobs_dir()
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            status = job_status(path.stem)
        except LacrimeError:
            continue
        if status.get("kind") in kinds:
            return status
    return None


def active_jobs(*kinds: str) -> list[dict]:
    folder = jobs_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            status = _read_status(path.stem)
        except LacrimeError:
            continue
        if status.get("kind") in kinds and status["state"] in RUNNING:
            status = job_status(path.stem)
            if status["state"] in RUNNING:
                found.append(status)
    return found


def _alive(status: dict) -> bool:
    child = _children.get(status["job_id"])
    if child is not None:
        return child.poll() is None
    pid = status.get("pid")
    if pid is None:
        return time.time() - status.get("created", 0) < START_GRACE_S
    cmdline = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self/cmdline").exists():
        # Checks the PID is still this job's worker, not a reused one (nor a zombie: empty).
        try:
            return status["job_id"].encode() in cmdline.read_bytes()
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def downloaded_bytes(job: dict) -> int:
    """Bytes a running download has received so far: its partial file grows as they arrive."""
    part = Path(job["path"] + ".part")
    return part.stat().st_size if part.is_file() else 0


def pending_version(job: dict | None) -> registry.ModelVersion | None:
    """The version a finished training produced, while it is neither promoted nor discarded."""
    if not job or job.get("kind") not in (TRAIN, REINGEST) or job.get("state") != "done":
        return None
    version_id = job.get("version")
    if job.get("resolution") or not version_id or version_id == registry.current_version_id():
        return None
    try:
        return registry.open_version(version_id)
    except LacrimeError:
        return None


_SUMMARY_ROWS = {
    "Hourly default model": "hourly_default",
    "Hourly MAE on held-out weeks (crimes per hour)": "hourly_mae",
    "Hotspot default model": "hotspot_default",
    "Hotspot PAI at 5% of the area": "hotspot_pai_5",
    "Verdict": "verdict",
}


def comparison(current: registry.ModelVersion | None, new: registry.ModelVersion) -> pd.DataFrame:
    """The new version's evaluation summary beside the one in use: what promoting changes."""
    table = {"": [*_SUMMARY_ROWS, "Trained on"]}
    for title, version in ((f"In use ({_short(current)})", current), (f"New ({_short(new)})", new)):
        summary = version.metadata.get("summary") or {} if version else {}
        data = version.metadata.get("data") or {} if version else {}
        values = [_shown(summary.get(key)) for key in _SUMMARY_ROWS.values()]
        start, end = data.get("date_range") or ("?", "?")
        values.append(f"{data['rows']:,} reports, {start} to {end}" if data else "-")
        table[title] = values
    return pd.DataFrame(table)


def versions_table(rows: list[dict]) -> pd.DataFrame:
    """`registry.list_versions()` as the Admin page shows it: the caller lists once (each listing
    verifies every stored file) and also offers the valid rows for a rollback."""
    summaries = [r.get("summary") or {} for r in rows]
    return pd.DataFrame(
        {
            "Version": [r["id"] for r in rows],
            "Trained": [utc_time(r["created_at"]) for r in rows],
            "In use": ["yes" if r["is_current"] else "" for r in rows],
            "Checks": ["ok" if r["valid"] else r["problem"] for r in rows],
            "Hourly model (MAE)": [
                f"{s.get('hourly_default', '?')} ({_shown(s.get('hourly_mae'))})" for s in summaries
            ],
            "Hotspot model (PAI at 5%)": [
                f"{s.get('hotspot_default', '?')} ({_shown(s.get('hotspot_pai_5'))})"
                for s in summaries
            ],
        }
    )


def _short(version: registry.ModelVersion | None) -> str:
    return version.version if version else "none"


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "-" if value is None else str(value)


def promote(gate: Gate, version_id: str, job_id: str | None = None) -> None:
    """Make a trained version the one users see (the registry verifies, then switches)."""
    with _audited(gate, "promote", version_id):
        registry.promote(version_id)
        if job_id:
            _update(job_id, resolution="promoted")


def discard(gate: Gate, version_id: str, job_id: str | None = None) -> None:
    """Delete a version that is not in use, for a training the admin does not want."""
    with _audited(gate, "discard", version_id):
        registry.discard(version_id)
        if job_id:
            _update(job_id, resolution="discarded")


def rollback(gate: Gate, version_id: str) -> None:
    with _audited(gate, "roll back", version_id):
        registry.rollback(version_id)


def exclusion_choices(manifest: dict, present: Iterable[str]) -> tuple[list[str], list[str]]:
    """Crime types to offer, and those the list on disk excludes.

    The cleaned data no longer holds excluded types, so the offer is the types present plus
    those this dataset's ingest removed (from its cleaning report).
    """
    steps = manifest["report"]["steps"]
    removed = next((s.get("detail", {}) for s in steps if s["step"] == "excluded_crime_type"), {})
    options = sorted(set(present) | set(removed))
    current = load_exclusions()
    return options, [t for t in options if current.rule_for(t)]


def rules_for_selection(
    current: Exclusions, options: Iterable[str], selected: Iterable[str], reason: str
) -> tuple[Rule, ...]:
    """The rules that exclude exactly `selected` among `options`, keeping what can be kept.

    A rule whose matches are all still selected stays as written (with rules for types not in
    this data); one that matches a type now unselected is replaced by exact rules for the types
    it still should cover, with its reason. Newly selected types get exact rules and `reason`.
    """
    options, chosen = list(options), set(selected)
    rules: list[Rule] = []
    covered: set[str] = set()
    for rule in current.rules:
        matched = [t for t in options if re.search(rule.pattern, t, flags=re.IGNORECASE)]
        if all(t in chosen for t in matched):
            rules.append(rule)
            covered.update(matched)
            continue
        for kind in matched:
            if kind in chosen and kind not in covered:
                rules.append(Rule(_exactly(kind), rule.reason))
                covered.add(kind)
    added = sorted(chosen - covered)
    if added and not reason.strip():
        raise LacrimeError(
            f"say why {', '.join(added)} should be left out: every exclusion carries its reason"
        )
    rules.extend(Rule(_exactly(kind), reason.strip()) for kind in added)
    return tuple(rules)


def _exactly(text: str) -> str:
    escaped = _PLAIN_TEXT.sub(r"\\\1", text)
    return f"^{escaped}$"


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


def reingest_source(manifest: dict) -> tuple[Path, str | None] | None:
    """The file the current dataset came from, if it is still on this server unchanged.

    An upload or `lacrime ingest FILE` records the file's path; a download records the
    portal's address, but the downloaded file is kept, so it is used if it is the same one.
    """
    source = manifest.get("source") or ""
    path = Path(source)
    if path.is_absolute() and path.is_file():
        return path, None
    download = download_path()
    if (
        source.startswith(("http://", "https://"))
        and download.is_file()
        and manifest.get("source_sha256") == sha256_of(download)
    ):
        return download, source
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _status_path(job_id: str) -> Path:
    if not re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", job_id):
        raise LacrimeError(f"{job_id!r} is not a job id")
    return jobs_dir() / f"{job_id}.json"


def _read_status(job_id: str) -> dict:
    path = _status_path(job_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LacrimeError(f"no job {job_id} (no {path})") from None
    except ValueError:
        raise LacrimeError(f"{path}: not a valid job status") from None


def _write_status(job_id: str, status: dict) -> dict:
    atomic_write(_status_path(job_id), json.dumps(status, indent=1).encode())
    return status


def _update(job_id: str, **changes: object) -> dict:
    return _write_status(job_id, {**_read_status(job_id), **changes})


def work(job_id: str) -> int:
    """The worker: run one job, reporting each step to its status file; the exit status is
    0 when done, 2 when refused with a message (a LacrimeError)."""
    job = _update(job_id, state="running", pid=os.getpid(), started_at=_now())
    steps = [*([REINGEST_STEP] if job["kind"] == REINGEST else []), *STEPS]

    def progress(step: str) -> None:
        print(f"{_now()} {step}", flush=True)
        _update(job_id, step=step, step_number=steps.index(step) + 1, step_count=len(steps))

    try:
        if job["kind"] == FETCH:
            _update(job_id, step=DOWNLOAD_STEP, step_number=1, step_count=1)
            download(job["url"], Path(job["path"]), progress=False)
            _update(job_id, state="done", finished_at=_now())
            return 0
        if job["kind"] == REINGEST:
            progress(REINGEST_STEP)
            manifest = ingest(Path(job["source"]), label=job.get("label"))
            _update(job_id, dataset_id=manifest["dataset_id"])
        version = train(progress, promote=False)
    except LacrimeError as exc:
        print(f"{_now()} refused: {exc}", flush=True)
        _update(job_id, state="failed", error=str(exc), finished_at=_now())
        return 2
    except BaseException as exc:
        log = jobs_dir() / f"{job_id}.log"
        _update(
            job_id,
            state="failed",
            error=f"unexpected problem ({type(exc).__name__}); the details are in {log}",
            finished_at=_now(),
        )
        raise
    _update(
        job_id,
        state="done",
        version=version.version,
        summary=version.metadata.get("summary"),
        finished_at=_now(),
    )
    print(f"{_now()} registered version {version.version}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(work(sys.argv[1]))
