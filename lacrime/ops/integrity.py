"""Whether a stored model version can be trusted and loaded: every file against the sha256 of
its manifest, the metadata's format, and the scikit-learn it was pickled with.

A pickle is code, so nothing is unpickled before these checks pass.
"""

import hashlib
import json
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path

from lacrime.errors import LacrimeError
from lacrime.files import sha256_of

# Bumped when metadata.json changes meaning; versions of another format are refused.
METADATA_FORMAT = 2


MANIFEST = "MANIFEST.json"


METADATA = "metadata.json"


# Distribution names recorded in metadata; scikit-learn's must match to load.
_LIBRARIES = {
    "sklearn": "scikit-learn",
    "imblearn": "imbalanced-learn",
    "pandas": "pandas",
    "numpy": "numpy",
    "joblib": "joblib",
    "lacrime": "lacrime",
}


RETRAIN = "retrain with `lacrime train`"


def verify(path: Path, version_id: str) -> dict:
    """Check every file against the manifest, then the metadata's compatibility; no unpickling."""
    if not path.is_dir():
        raise LacrimeError(f"model version {version_id} does not exist (no directory {path})")
    manifest = read_manifest(path, version_id)
    check_listing(path, version_id, manifest)
    for filename, expected in manifest.items():
        if sha256_of(path / filename) != expected:
            raise tampered(path, version_id, filename)
    metadata = parse_metadata((path / METADATA).read_bytes(), version_id)
    check_compatible(metadata, version_id)
    return metadata


def read_manifest(path: Path, version_id: str) -> dict[str, str]:
    manifest_path = path / MANIFEST
    try:
        hashes = json.loads(manifest_path.read_bytes())["sha256"]
    except FileNotFoundError:
        raise LacrimeError(
            f"model version {version_id}: {manifest_path} is missing, so its files cannot be "
            f"trusted; {RETRAIN}"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise LacrimeError(
            f"model version {version_id}: {manifest_path} is not a valid manifest"
        ) from None
    if not isinstance(hashes, dict) or METADATA not in hashes:
        raise LacrimeError(f"model version {version_id}: {manifest_path} does not list {METADATA}")
    for filename in hashes:
        if Path(filename).name != filename or filename in (MANIFEST, "", ".", ".."):
            raise LacrimeError(
                f"model version {version_id}: {manifest_path} lists an invalid name {filename!r}"
            )
    return hashes


def check_listing(path: Path, version_id: str, manifest: dict[str, str]) -> None:
    present = {p.name for p in path.iterdir()} - {MANIFEST}
    extra = sorted(present - set(manifest))
    if extra:
        raise LacrimeError(
            f"model version {version_id}: {path / extra[0]} is not in its manifest; "
            "refusing to load files that were not written by lacrime"
        )
    missing = sorted(set(manifest) - present)
    if missing:
        raise LacrimeError(f"model version {version_id}: {path / missing[0]} is missing")


def verified_bytes(path: Path, version_id: str, manifest: dict[str, str], filename: str) -> bytes:
    try:
        data = (path / filename).read_bytes()
    except FileNotFoundError:
        raise LacrimeError(f"model version {version_id}: {path / filename} is missing") from None
    if hashlib.sha256(data).hexdigest() != manifest[filename]:
        raise tampered(path, version_id, filename)
    return data


def tampered(path: Path, version_id: str, filename: str) -> LacrimeError:
    return LacrimeError(
        f"model version {version_id}: {path / filename} does not match the sha256 in its "
        f"manifest (changed or corrupt); refusing to load it"
    )


def parse_metadata(data: bytes, version_id: str) -> dict:
    try:
        metadata = json.loads(data)
    except ValueError:
        raise LacrimeError(f"model version {version_id}: {METADATA} is not valid JSON") from None
    if not isinstance(metadata, dict):
        raise LacrimeError(f"model version {version_id}: {METADATA} is not a JSON object")
    return metadata


def check_compatible(metadata: dict, version_id: str) -> None:
    """Refuse what this install cannot load faithfully, before unpickling it."""
    fmt = metadata.get("format_version")
    if fmt != METADATA_FORMAT:
        raise LacrimeError(
            f"model version {version_id} has metadata format {fmt}, this lacrime reads format "
            f"{METADATA_FORMAT}; {RETRAIN}"
        )
    libraries = metadata.get("libraries")
    trained = libraries.get("sklearn") if isinstance(libraries, dict) else None
    installed = installed_libraries()["sklearn"]
    if trained != installed:
        raise LacrimeError(
            f"model version {version_id} was trained with scikit-learn {trained}, but "
            f"scikit-learn {installed} is installed; {RETRAIN}"
        )


def read_unverified_metadata(path: Path) -> dict:
    """Best-effort metadata of a version that failed verification, for listing only."""
    try:
        metadata = json.loads((path / METADATA).read_bytes())
    except (OSError, ValueError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def installed_libraries() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": sys.version.split()[0]}
    for key, distribution in _LIBRARIES.items():
        try:
            versions[key] = importlib_metadata.version(distribution)
        except importlib_metadata.PackageNotFoundError:
            versions[key] = None
    return versions
