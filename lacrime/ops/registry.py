"""Model versions on disk: written whole or not at all, verified before anything is unpickled.

A pickle is code, so a version is only loaded when every file in its directory matches the
sha256 recorded in its `MANIFEST.json`; anything changed, missing or added is refused by name.
Layout under `models_dir()`:

    versions/<version_id>/<name>.joblib   one artifact per named model
    versions/<version_id>/metadata.json   data source, parameters, features, evaluation, libraries
    versions/<version_id>/MANIFEST.json   sha256 of every other file in the directory
    versions/.tmp-<version_id>/           a version being written (or left by a crash)
    CURRENT                               the id of the version in use, replaced atomically
    .lock                                 flock held by whoever trains, holding its PID

A version is written in a temporary directory and renamed into place only once complete, and the
pointer is switched only afterwards, so a crash at any point leaves the previous version in use.
Older versions stay for rollback.
"""

import datetime as dt
import fcntl
import io
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import joblib

from lacrime.errors import LacrimeError
from lacrime.files import atomic_write, fsync, sha256_of
from lacrime.ops import integrity
from lacrime.ops.integrity import MANIFEST, METADATA, METADATA_FORMAT
from lacrime.paths import models_dir
from lacrime.records import dumps, to_json

# How long a writer waits for another training to finish before giving up.
LOCK_TIMEOUT_S = 10.0

ARTIFACT_SUFFIX = ".joblib"
_TMP_PREFIX = ".tmp-"
_VERSION_RE = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{6}$")
_ARTIFACT_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
# Filled in by write_version; a caller passing them is a bug rather than something to overwrite.
_RESERVED_KEYS = ("format_version", "version", "created_at", "libraries", "artifacts")


@dataclass(frozen=True)
class ModelVersion:
    """A version whose manifest and compatibility were checked when it was opened."""

    version: str
    path: Path
    metadata: dict


def versions_dir() -> Path:
    return models_dir() / "versions"


def current_version_id() -> str | None:
    """The id in the pointer, without any verification: cheap enough for a cache key."""
    try:
        text = (models_dir() / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def current_version() -> ModelVersion | None:
    """The version in use, verified; None when no version was ever promoted."""
    version_id = current_version_id()
    if version_id is None:
        return None
    return open_version(version_id)


def open_version(version_id: str) -> ModelVersion:
    """A stored version, verified file by file and checked to be loadable by this install."""
    path = _version_path(version_id)
    return ModelVersion(version=version_id, path=path, metadata=integrity.verify(path, version_id))


def load_artifact(version: ModelVersion, name: str) -> object:
    """Unpickle one artifact, from bytes whose hash was checked against the manifest.

    Hashing and unpickling the same in-memory bytes leaves no window for the file to change
    between the check and the load.
    """
    manifest = integrity.read_manifest(version.path, version.version)
    integrity.check_listing(version.path, version.version, manifest)
    metadata = integrity.parse_metadata(
        integrity.verified_bytes(version.path, version.version, manifest, METADATA), version.version
    )
    integrity.check_compatible(metadata, version.version)
    filename = _artifact_filename(name)
    if filename not in manifest:
        known = sorted(f.removesuffix(ARTIFACT_SUFFIX) for f in manifest if f != METADATA)
        raise LacrimeError(
            f"model version {version.version} has no artifact {name!r} (it has: {', '.join(known)})"
        )
    data = integrity.verified_bytes(version.path, version.version, manifest, filename)
    return joblib.load(io.BytesIO(data))


def write_version(artifacts: Mapping[str, object], metadata: Mapping) -> ModelVersion:
    """Write a complete, verified version beside the others; promoting it is a separate step.

    Registry-owned metadata keys (format_version, version, created_at, libraries, artifacts)
    are filled in here. Holds the training lock, so concurrent writers are serialised.
    """
    if not artifacts:
        raise ValueError("write_version needs at least one artifact")
    filenames = {name: _artifact_filename(name) for name in artifacts}
    reserved = sorted(set(metadata) & set(_RESERVED_KEYS))
    if reserved:
        raise ValueError(f"metadata keys {reserved} are filled in by the registry")
    with training_lock():
        cleanup_incomplete()
        now = dt.datetime.now(dt.UTC)
        version_id = f"{now:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}"
        tmp = versions_dir() / f"{_TMP_PREFIX}{version_id}"
        tmp.mkdir(parents=True)
        try:
            for name, artifact in artifacts.items():
                with open(tmp / filenames[name], "wb") as f:
                    joblib.dump(artifact, f)
                    f.flush()
                    os.fsync(f.fileno())
            full_metadata = {
                **to_json(dict(metadata)),
                "format_version": METADATA_FORMAT,
                "version": version_id,
                "created_at": now.isoformat(),
                "libraries": integrity.installed_libraries(),
                "artifacts": sorted(artifacts),
            }
            _write_synced(tmp / METADATA, dumps(full_metadata))
            hashes = {f.name: sha256_of(f) for f in sorted(tmp.iterdir())}
            _write_synced(tmp / MANIFEST, dumps({"sha256": hashes}))
            fsync(tmp)
            verified = integrity.verify(tmp, version_id)
            final = _version_path(version_id)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync(versions_dir())
    return ModelVersion(version=version_id, path=final, metadata=verified)


def promote(version_id: str) -> None:
    """Verify a version, then point CURRENT at it with one atomic rename."""
    open_version(version_id)
    root = models_dir()
    atomic_write(root / "CURRENT", f"{version_id}\n".encode())
    fsync(root)


def require_stored(version_id: str) -> None:
    """Refuse, in one line listing what is stored, an id that was never written."""
    known = _stored_ids()
    if version_id not in known:
        raise LacrimeError(
            f"unknown model version {version_id!r}; stored versions: {', '.join(known) or 'none'}"
        )


def rollback(version_id: str) -> None:
    """Promote an older (or any stored) version, refusing ids that were never written."""
    require_stored(version_id)
    promote(version_id)


def discard(version_id: str) -> None:
    """Delete a stored version that is not in use, refusing while a training runs.

    Renamed to a temporary name first, under the training lock, so it leaves the registry in
    one step; were the removal interrupted, the next training's cleanup finishes it. Only the
    id is checked, not the files: a version that fails verification is a fine thing to discard.
    """
    with training_lock(timeout=0):
        if version_id == current_version_id():
            raise LacrimeError(f"model version {version_id} is in use; roll back first")
        if version_id not in _stored_ids():
            raise LacrimeError(f"unknown model version {version_id!r}")
        doomed = versions_dir() / f"{_TMP_PREFIX}discarded-{version_id}"
        os.rename(versions_dir() / version_id, doomed)
        shutil.rmtree(doomed)


def load_current_or_fallback() -> tuple[ModelVersion | None, str | None]:
    """The current version, or the newest earlier one that verifies, with the reason as warning.

    Never raises for a broken current version, so the dashboard keeps working and can show why.
    (None, None) means no version was ever promoted.
    """
    return load_or_fallback(current_version_id())


def load_or_fallback(current_id: str | None) -> tuple[ModelVersion | None, str | None]:
    """`load_current_or_fallback` for a version id read earlier, so that a cache keyed on that
    id holds that version even if a promotion moves the pointer meanwhile."""
    if current_id is None:
        return None, None
    try:
        return open_version(current_id), None
    except LacrimeError as error:
        reason = str(error)
    earlier = [v for v in _stored_ids() if not _VERSION_RE.match(current_id) or v < current_id]
    for version_id in reversed(earlier):
        try:
            version = open_version(version_id)
        except LacrimeError:
            continue
        return version, (
            f"the current model cannot be used ({reason}); showing the earlier version "
            f"{version_id} instead: {integrity.RETRAIN} or roll back"
        )
    return (
        None,
        f"the current model cannot be used ({reason}) and no earlier version verifies; "
        + integrity.RETRAIN,
    )


def list_versions() -> list[dict]:
    """Every stored version, newest first, with whether it verifies and why not."""
    current_id = current_version_id()
    rows = []
    for version_id in reversed(_stored_ids()):
        path = versions_dir() / version_id
        try:
            metadata = integrity.verify(path, version_id)
            problem = None
        except LacrimeError as error:
            metadata = integrity.read_unverified_metadata(path)
            problem = str(error)
        rows.append(
            {
                "id": version_id,
                "created_at": metadata.get("created_at"),
                "is_current": version_id == current_id,
                "valid": problem is None,
                "problem": problem,
                "summary": metadata.get("summary"),
                "data": metadata.get("data"),
            }
        )
    return rows


def cleanup_incomplete() -> list[str]:
    """Remove the temporary directories of writes that died; returns their names.

    A live writer holds the training lock while its temporary directory exists, so when the
    lock can be had, every temporary directory left is a dead writer's. When another process
    holds it nothing is removed.
    """
    root = versions_dir()
    if not root.is_dir():
        return []
    try:
        with training_lock(timeout=0):
            leftovers = sorted(p for p in root.iterdir() if p.name.startswith(_TMP_PREFIX))
            for path in leftovers:
                shutil.rmtree(path)
            return [p.name for p in leftovers]
    except _LockBusy:
        return []


class _LockBusy(LacrimeError):
    """The training lock is held by another process or thread."""


_held = threading.local()


@contextmanager
def training_lock(timeout: float | None = None) -> Iterator[None]:
    """Hold `models/.lock` for the duration of a training; re-entrant within a thread.

    A second trainer waits up to `timeout` seconds (LOCK_TIMEOUT_S by default) and then gets a
    LacrimeError naming the PID that holds the lock. The kernel drops the lock when its holder
    dies, so a killed training never leaves it stuck.
    """
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    fd = _acquire_lock(LOCK_TIMEOUT_S if timeout is None else timeout)
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        os.close(fd)


def _acquire_lock(timeout: float) -> int:
    path = models_dir() / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                    raise _LockBusy(
                        f"another training is running (PID {holder} holds {path}); "
                        "wait for it to finish and try again"
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _stored_ids() -> list[str]:
    """Ids of the complete versions, oldest first (ids sort by creation time)."""
    root = versions_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if _VERSION_RE.match(p.name) and p.is_dir())


def _version_path(version_id: str) -> Path:
    if not _VERSION_RE.match(version_id):
        raise LacrimeError(
            f"{version_id!r} is not a model version id (like 20261123T234501.123456Z-a1b2c3)"
        )
    return versions_dir() / version_id


def _artifact_filename(name: str) -> str:
    if not isinstance(name, str) or not _ARTIFACT_NAME_RE.match(name):
        raise ValueError(f"artifact name {name!r} must be letters, digits, '_' or '-'")
    return f"{name}{ARTIFACT_SUFFIX}"


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
