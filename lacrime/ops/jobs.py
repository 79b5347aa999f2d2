"""Background jobs: trainings and downloads, each in a process of its own.

A training or a download runs as `python -m lacrime.ops.jobs JOB_ID`, started in a new
session, so the Streamlit server keeps serving the version in use while it runs, survives its
crash, and may even restart meanwhile. The worker writes its status to
`logs_dir()/jobs/JOB_ID.json` (replaced atomically, so a reader never sees half of it) and its
output to `JOB_ID.log` beside it. A killed worker changes nothing users see: the dataset and
the model pointer only ever switch with one atomic rename, and the next training removes a
half-written version.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from lacrime.data.dataset import ingest
from lacrime.data.sync import fetch_sources, load_portal
from lacrime.errors import LacrimeError
from lacrime.files import atomic_write
from lacrime.ops import registry
from lacrime.ops.train import STEPS, train
from lacrime.paths import home, logs_dir

TRAIN = "train"
FETCH = "fetch"
REINGEST = "reingest and train"
# A `lacrime refresh` whose candidate was kept for the Admin page (it runs in the CLI).
REFRESH = "refresh"
REINGEST_STEP = "re-ingesting the data with the new exclusion list"
DOWNLOAD_STEP = "bringing the data up to date from the portal"
# A download's progress is written to its status at most this often.
PROGRESS_EVERY_S = 0.5
RUNNING = ("starting", "running")
# The jobs whose result is a model version to promote or discard.
TRAININGS = (TRAIN, REINGEST, REFRESH)
# A job whose worker never reported its PID within this long did not start.
START_GRACE_S = 60.0
KEEP_JOBS = 50

# Workers started by this server process, so that their exit is noticed (and reaped) at once.
_children: dict[str, subprocess.Popen] = {}


def jobs_dir() -> Path:
    return logs_dir() / "jobs"


def spawn(kind: str, **spec: object) -> str:
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
            [sys.executable, "-m", "lacrime.ops.jobs", job_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "LACRIME_HOME": str(home())},
        )
    return job_id


def record_done(kind: str, **spec: object) -> str:
    """Record a job that ran in a process of its own (a `lacrime refresh`), finished, so that
    the Admin page finds its result like a training's; return its id."""
    job_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    jobs_dir().mkdir(parents=True, exist_ok=True)
    _prune_jobs(jobs_dir())
    now = _now()
    _write_status(
        job_id,
        {
            "job_id": job_id,
            "kind": kind,
            "state": "done",
            "created_at": now,
            "created": time.time(),
            "finished_at": now,
            **spec,
        },
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
            status = update(
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


def pending_version(job: dict | None) -> registry.ModelVersion | None:
    """The version a finished training produced, while it is neither promoted nor discarded."""
    if not job or job.get("kind") not in TRAININGS or job.get("state") != "done":
        return None
    version_id = job.get("version")
    if job.get("resolution") or not version_id or version_id == registry.current_version_id():
        return None
    try:
        return registry.open_version(version_id)
    except LacrimeError:
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


def update(job_id: str, **changes: object) -> dict:
    return _write_status(job_id, {**_read_status(job_id), **changes})


def work(job_id: str) -> int:
    """The worker: run one job, reporting each step to its status file; the exit status is
    0 when done, 2 when refused with a message (a LacrimeError)."""
    job = update(job_id, state="running", pid=os.getpid(), started_at=_now())
    steps = [*([REINGEST_STEP] if job["kind"] == REINGEST else []), *STEPS]

    def progress(step: str) -> None:
        print(f"{_now()} {step}", flush=True)
        update(job_id, step=step, step_number=steps.index(step) + 1, step_count=len(steps))

    try:
        if job["kind"] == FETCH:
            _fetch(job_id, job)
            return 0
        if job["kind"] == REINGEST:
            progress(REINGEST_STEP)
            manifest = ingest([Path(p) for p in job["sources"]], label=job.get("label"))
            update(job_id, dataset_id=manifest["dataset_id"])
        version = train(progress, promote=False)
    except LacrimeError as exc:
        print(f"{_now()} refused: {exc}", flush=True)
        update(job_id, state="failed", error=str(exc), finished_at=_now())
        return 2
    except BaseException as exc:
        log = jobs_dir() / f"{job_id}.log"
        update(
            job_id,
            state="failed",
            error=f"unexpected problem ({type(exc).__name__}); the details are in {log}",
            finished_at=_now(),
        )
        raise
    update(
        job_id,
        state="done",
        version=version.version,
        summary=version.metadata.get("summary"),
        finished_at=_now(),
    )
    print(f"{_now()} registered version {version.version}", flush=True)
    return 0


def _fetch(job_id: str, job: dict) -> None:
    """Bring the portal's files up to date (staged, nothing in use changes), reporting each
    page in the job's status; the Admin page then previews them and the admin accepts or not."""
    portal = load_portal(job.get("base_url"))
    update(job_id, step=DOWNLOAD_STEP, step_number=1, step_count=1, detail="starting")
    last = 0.0

    def progress(text: str) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            last = time.monotonic()
            update(job_id, detail=text)

    fetched = fetch_sources(portal, progress)
    update(
        job_id,
        state="done",
        finished_at=_now(),
        detail=f"{fetched.added:,} new and {fetched.updated:,} changed offences",
        sources=[str(p) for p in fetched.sources],
        staged=fetched.staged,
        label=portal.label,
    )


if __name__ == "__main__":
    raise SystemExit(work(sys.argv[1]))
