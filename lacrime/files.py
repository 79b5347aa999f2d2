"""File primitives shared by the dataset store and the model registry."""

import hashlib
import os
from pathlib import Path


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks so a 250 MB export costs no memory."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def fsync(path: Path) -> None:
    """Flush a file, or a directory's entries, to disk: a rename is durable only after this."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
