"""The model registry keeps the dashboard on a loadable, untampered model through crashes,
edits and library upgrades."""

import hashlib
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LinearRegression

from lacrime.errors import LacrimeError
from lacrime.ops import registry

X = np.array([[0.0], [1.0], [2.0], [3.0]])


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LACRIME_HOME", str(tmp_path))
    return tmp_path


def _model(slope: float) -> LinearRegression:
    return LinearRegression().fit(X, slope * X.ravel() + 1.0)


def _metadata(label: str) -> dict:
    return {
        "data_source": {"path": "data/clean.parquet", "sha256": hashlib.sha256(b"x").hexdigest()},
        "date_range": [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-24 23:59")],
        "parameters": {"alpha": np.float64(0.5), "n_estimators": np.int64(3)},
        "features": {"linear": ["hour", "area"]},
        "evaluation": {"mae": np.float64(0.25), "undefined": float("nan")},
        "summary": label,
    }


def _write(slope: float) -> registry.ModelVersion:
    return registry.write_version({"linear": _model(slope)}, _metadata(f"slope {slope}"))


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _resign(version_dir: Path) -> None:
    """Rewrite the manifest so it matches the files again, as if lacrime had written them."""
    manifest = version_dir / registry.MANIFEST
    hashes = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in version_dir.iterdir()
        if p.name != registry.MANIFEST
    }
    manifest.write_text(json.dumps({"sha256": hashes}))


def _predict(version: registry.ModelVersion) -> np.ndarray:
    return registry.load_artifact(version, "linear").predict(X)


def test_write_promote_load_round_trip(home):
    written = _write(2.0)

    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{6}", written.version)
    assert written.path == home / "models" / "versions" / written.version
    assert registry.current_version() is None, "write_version must not promote"
    assert registry.current_version_id() is None

    registry.promote(written.version)

    assert registry.current_version_id() == written.version
    current = registry.current_version()
    assert current.version == written.version
    np.testing.assert_allclose(_predict(current), _model(2.0).predict(X))
    assert sorted(p.name for p in current.path.iterdir()) == [
        "MANIFEST.json",
        "linear.joblib",
        "metadata.json",
    ]
    manifest = json.loads((current.path / "MANIFEST.json").read_text())["sha256"]
    for name, digest in manifest.items():
        assert hashlib.sha256((current.path / name).read_bytes()).hexdigest() == digest
    assert not list((home / "models" / "versions").glob(".tmp-*"))


def test_metadata_is_plain_json_with_library_versions():
    version = _write(1.0)

    stored = json.loads((version.path / "metadata.json").read_text())
    assert stored == version.metadata
    assert stored["date_range"] == ["2024-02-01T00:00:00", "2024-03-24T23:59:00"]
    assert stored["parameters"] == {"alpha": 0.5, "n_estimators": 3}
    assert stored["evaluation"] == {"mae": 0.25, "undefined": None}
    assert stored["features"] == {"linear": ["hour", "area"]}
    assert stored["artifacts"] == ["linear"]
    assert stored["libraries"]["sklearn"] == sklearn.__version__
    assert stored["libraries"]["numpy"] == np.__version__
    assert stored["libraries"]["pandas"] == pd.__version__
    assert stored["libraries"]["python"] == sys.version.split()[0]
    assert set(stored["libraries"]) >= {"imblearn", "joblib", "lacrime"}
    assert stored["created_at"].startswith(version.version[:4])


def test_caller_cannot_set_registry_keys_or_odd_artifact_names():
    with pytest.raises(ValueError, match="created_at"):
        registry.write_version({"linear": _model(1.0)}, {"created_at": "yesterday"})
    with pytest.raises(ValueError, match="artifact name"):
        registry.write_version({"../escape": _model(1.0)}, {})


def test_list_and_rollback():
    first, second = _write(1.0), _write(3.0)
    registry.promote(second.version)

    rows = registry.list_versions()
    assert [r["id"] for r in rows] == [second.version, first.version]
    assert [r["is_current"] for r in rows] == [True, False]
    assert all(r["valid"] and r["problem"] is None for r in rows)
    assert [r["summary"] for r in rows] == ["slope 3.0", "slope 1.0"]
    assert rows[0]["created_at"] == second.metadata["created_at"]

    registry.rollback(first.version)

    assert registry.current_version_id() == first.version
    np.testing.assert_allclose(_predict(registry.current_version()), _model(1.0).predict(X))
    assert second.path.is_dir(), "newer versions stay after a rollback"

    with pytest.raises(LacrimeError, match="unknown model version"):
        registry.rollback("20990101T000000.000000Z-abcdef")
    with pytest.raises(LacrimeError, match="unknown model version"):
        registry.rollback("../../etc")
    assert registry.current_version_id() == first.version


def test_tampered_artifact_is_refused_naming_the_file():
    version = _write(1.0)
    registry.promote(version.version)
    _flip_byte(version.path / "linear.joblib")

    with pytest.raises(LacrimeError, match=r"linear\.joblib does not match the sha256"):
        registry.current_version()
    with pytest.raises(LacrimeError, match=r"linear\.joblib"):
        registry.load_artifact(version, "linear")
    with pytest.raises(LacrimeError, match=r"linear\.joblib"):
        registry.promote(version.version)
    listed = registry.list_versions()[0]
    assert not listed["valid"] and "linear.joblib" in listed["problem"]


class _Payload:
    """A pickle that runs code when loaded: creates a directory named by the test."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_replaced_pickle_is_never_unpickled(home):
    version = _write(1.0)
    marker = home / "payload-ran"
    (version.path / "linear.joblib").write_bytes(pickle.dumps(_Payload(marker)))

    with pytest.raises(LacrimeError, match=r"linear\.joblib"):
        registry.load_artifact(version, "linear")
    assert not marker.exists()


def test_extra_or_missing_files_are_refused():
    version = _write(1.0)
    (version.path / "notes.txt").write_text("hello")
    with pytest.raises(LacrimeError, match=r"notes\.txt is not in its manifest"):
        registry.open_version(version.version)
    with pytest.raises(LacrimeError, match=r"notes\.txt"):
        registry.load_artifact(version, "linear")

    (version.path / "notes.txt").unlink()
    (version.path / "linear.joblib").unlink()
    with pytest.raises(LacrimeError, match=r"linear\.joblib is missing"):
        registry.open_version(version.version)


def test_missing_manifest_is_refused():
    version = _write(1.0)
    registry.promote(version.version)
    (version.path / "MANIFEST.json").unlink()

    with pytest.raises(LacrimeError, match=r"MANIFEST\.json is missing"):
        registry.current_version()
    with pytest.raises(LacrimeError, match=r"MANIFEST\.json is missing"):
        registry.load_artifact(version, "linear")


def test_unknown_artifact_name_is_a_clear_error():
    version = _write(1.0)
    with pytest.raises(LacrimeError, match="has no artifact 'daily'.*linear"):
        registry.load_artifact(version, "daily")


def test_fallback_to_previous_version_when_current_is_tampered():
    assert registry.load_current_or_fallback() == (None, None)
    first, second = _write(1.0), _write(3.0)
    registry.promote(second.version)
    assert registry.load_current_or_fallback()[1] is None

    _flip_byte(second.path / "linear.joblib")
    version, warning = registry.load_current_or_fallback()

    assert version.version == first.version
    assert "linear.joblib" in warning and first.version in warning
    np.testing.assert_allclose(_predict(version), _model(1.0).predict(X))
    assert registry.current_version_id() == second.version, "falling back does not move CURRENT"

    _flip_byte(first.path / "linear.joblib")
    version, warning = registry.load_current_or_fallback()
    assert version is None
    assert "no earlier version verifies" in warning


def test_fallback_when_the_pointer_itself_is_garbage(home):
    version = _write(1.0)
    (home / "models" / "CURRENT").write_text("not-a-version\n")

    with pytest.raises(LacrimeError, match="not a model version id"):
        registry.current_version()
    fallback, warning = registry.load_current_or_fallback()
    assert fallback.version == version.version
    assert "not-a-version" in warning


def _edit_metadata(version: registry.ModelVersion, **changes) -> None:
    path = version.path / "metadata.json"
    metadata = json.loads(path.read_text())
    for key, value in changes.items():
        if key == "sklearn":
            metadata["libraries"]["sklearn"] = value
        else:
            metadata[key] = value
    path.write_text(json.dumps(metadata))
    _resign(version.path)


def test_other_sklearn_version_is_refused_with_retrain_message():
    old = _write(1.0)
    version = _write(3.0)
    registry.promote(version.version)
    _edit_metadata(version, sklearn="0.0.1")
    registry.open_version(old.version)

    pattern = (
        rf"scikit-learn 0\.0\.1, but scikit-learn {re.escape(sklearn.__version__)}.*lacrime train"
    )
    with pytest.raises(LacrimeError, match=pattern):
        registry.current_version()
    with pytest.raises(LacrimeError, match=pattern):
        registry.load_artifact(version, "linear")
    fallback, warning = registry.load_current_or_fallback()
    assert fallback.version == old.version and "lacrime train" in warning


def test_other_metadata_format_is_refused_with_retrain_message():
    version = _write(1.0)
    _edit_metadata(version, format_version=registry.METADATA_FORMAT + 1)

    with pytest.raises(LacrimeError, match="metadata format .*lacrime train"):
        registry.open_version(version.version)


def test_failed_write_leaves_nothing_behind(home):
    version = _write(1.0)
    registry.promote(version.version)

    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        registry.write_version({"linear": _model(2.0), "broken": lambda x: x}, _metadata("x"))

    assert [p.name for p in (home / "models" / "versions").iterdir()] == [version.version]
    np.testing.assert_allclose(_predict(registry.current_version()), _model(1.0).predict(X))


# A writer that stalls while pickling its second artifact, after its temporary directory and
# first artifact exist, and says so by creating the file named by its argument.
_STALLED_WRITER = """
import sys, time
from pathlib import Path
from sklearn.linear_model import LinearRegression
from lacrime.ops import registry

class Stall:
    def __reduce__(self):
        Path(sys.argv[1]).touch()
        time.sleep(60)
        return (int, ())

model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
registry.write_version({"early": model, "stall": Stall()}, {"summary": "never finished"})
"""


def _start_stalled_writer(home: Path) -> subprocess.Popen:
    signal_file = home / "writer-stalled"
    proc = subprocess.Popen(
        [sys.executable, "-c", _STALLED_WRITER, str(signal_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not signal_file.exists():
        if proc.poll() is not None:
            pytest.fail(f"writer exited early: {proc.stderr.read().decode()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("writer never reached its second artifact")
        time.sleep(0.02)
    return proc


def test_writer_killed_midway_leaves_current_loadable(home):
    old = _write(1.0)
    registry.promote(old.version)
    old_files = {p.name: p.read_bytes() for p in old.path.iterdir()}

    proc = _start_stalled_writer(home)
    try:
        leftovers = [p.name for p in (home / "models" / "versions").glob(".tmp-*")]
        assert len(leftovers) == 1
        assert (home / "models" / "versions" / leftovers[0] / "early.joblib").exists()
        assert registry.cleanup_incomplete() == [], "a live writer's directory must stay"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    current = registry.current_version()
    assert current.version == old.version
    np.testing.assert_allclose(_predict(current), _model(1.0).predict(X))
    assert {p.name: p.read_bytes() for p in old.path.iterdir()} == old_files
    assert [r["id"] for r in registry.list_versions()] == [old.version]

    assert registry.cleanup_incomplete() == leftovers
    assert not list((home / "models" / "versions").glob(".tmp-*"))


def test_second_writer_is_told_another_training_is_running(home, monkeypatch):
    monkeypatch.setattr(registry, "LOCK_TIMEOUT_S", 0.3)
    proc = _start_stalled_writer(home)
    try:
        with pytest.raises(LacrimeError, match=rf"another training is running \(PID {proc.pid}"):
            _write(2.0)
        with (
            pytest.raises(LacrimeError, match="another training is running"),
            registry.training_lock(),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()

    version = _write(2.0)
    assert [r["id"] for r in registry.list_versions()] == [version.version]
    assert not list((home / "models" / "versions").glob(".tmp-*")), "the dead writer's leftover"


def test_training_lock_is_reentrant_for_the_trainer():
    with registry.training_lock():
        version = _write(1.0)
        registry.promote(version.version)
    assert registry.current_version().version == version.version
