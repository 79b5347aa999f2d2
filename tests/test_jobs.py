"""Background jobs under fault injection: a training killed with SIGKILL midway changes nothing
users see and the next one cleans up after it; a tampered artifact falls back to the previous
version with a warning on every page; a download is previewed before it is used."""

import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nibrs_files import offences
from portal_server import Portal
from streamlit.testing.v1 import AppTest
from support import ADMIN_PASSWORD, tables
from test_malformed import csv_bytes, portal_frame, tree_digest

from lacrime.data import sync
from lacrime.data.dataset import read_manifest
from lacrime.errors import LacrimeError
from lacrime.ops import admin, audit, auth, jobs, registry
from lacrime.ops.train import HOURLY, STEPS

ROOT = Path(__file__).resolve().parents[1]
MODEL_PAGES = {
    "app_pages/overview.py": "Overview",
    "app_pages/hourly_forecast.py": "Hourly forecast",
    "app_pages/hotspot_map.py": "Hotspot map",
    "app_pages/model_comparison.py": "Model comparison",
}
JOB_TIMEOUT_S = 240


@pytest.fixture(autouse=True)
def home(admin_home: Path) -> Path:
    return admin_home


@pytest.fixture
def gate(admin_hash: str) -> auth.Gate:
    gate = auth.Gate({})
    assert gate.sign_in(ADMIN_PASSWORD, admin_hash).ok
    return gate


def wait_for(job_id: str, done: Callable[[dict], bool], timeout: float = JOB_TIMEOUT_S) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = jobs.job_status(job_id)
        if done(status):
            return status
        if status["state"] not in jobs.RUNNING:
            log = (jobs.jobs_dir() / f"{job_id}.log").read_text()
            pytest.fail(f"job ended as {status}:\n{log[-3000:]}")
        time.sleep(0.05)
    pytest.fail(f"job {job_id} did not get there within {timeout} s: {jobs.job_status(job_id)}")


def half_written_version(version: registry.ModelVersion) -> Path:
    """What a writer killed while saving leaves: a `.tmp-` copy without its manifest."""
    leftover = registry.versions_dir() / f".tmp-{version.version[:-6]}dead00"
    shutil.copytree(version.path, leftover)
    (leftover / registry.MANIFEST).unlink()
    return leftover


def test_killed_training_changes_nothing_and_the_next_one_cleans_up(
    home: Path, gate: auth.Gate
) -> None:
    before, warning = registry.load_current_or_fallback()
    assert before is not None and warning is None
    data_before = tree_digest(home / "data")

    job_id = admin.start_training(gate)
    later = STEPS.index("evaluating hotspot models week by week") + 1
    status = wait_for(job_id, lambda s: s.get("step_number", 0) >= later)
    assert status["step"] in STEPS[later - 1 :]
    with pytest.raises(LacrimeError, match="another training is running"):
        admin.start_training(gate)
    busy = rf"another training is running \(PID {status['pid']}"
    with pytest.raises(LacrimeError, match=busy), registry.training_lock(timeout=0):
        pass

    os.kill(status["pid"], signal.SIGKILL)
    killed = wait_for(job_id, lambda s: s["state"] == "failed")
    assert "ended before finishing" in killed["error"]
    assert registry.load_current_or_fallback() == (registry.open_version(before.version), None)
    assert [v["id"] for v in registry.list_versions()] == [before.version]
    assert tree_digest(home / "data") == data_before
    leftover = half_written_version(before)

    at = AppTest.from_file(ROOT / "app.py", default_timeout=60)
    at.secrets["unrelated"] = "keeps a developer's own secrets.toml out of the test"
    at.run().switch_page("app_pages/admin.py").run()
    at.text_input[0].input(ADMIN_PASSWORD)
    at.button[0].click().run()
    assert any("The last training failed" in e.value for e in at.error)
    next(b for b in at.button if b.label == "Retrain on the dataset in use").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = jobs.latest_job(jobs.TRAIN)
    assert job["job_id"] != job_id
    done = wait_for(job["job_id"], lambda s: s["state"] == "done")
    assert not leftover.exists(), "the next training removed the half-written version"
    assert registry.current_version_id() == before.version, "nothing is promoted by itself"

    at.run()
    assert any(f"New version `{done['version']}` is ready" in m.value for m in at.markdown)
    compared = tables(at)[0]
    assert compared.columns.tolist() == [
        "",
        f"In use ({before.version})",
        f"New ({done['version']})",
    ]
    assert compared.iloc[1, 2] == f"{done['summary']['hourly_mae']:.2f}"
    next(b for b in at.button if b.label.startswith("Promote")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert registry.load_current_or_fallback() == (registry.open_version(done["version"]), None)
    assert not any("is ready" in m.value for m in at.markdown)
    actions = [(e["action"], e["outcome"]) for e in audit.latest(3)]
    assert actions == [("promote", "ok"), ("retrain", "started"), ("sign in", "ok")]


def copy_as_new_version(version: registry.ModelVersion) -> registry.ModelVersion:
    """A second stored version without a second training: the same artifacts, registered anew."""
    artifacts = {
        name: registry.load_artifact(version, name) for name in version.metadata["artifacts"]
    }
    reserved = ("format_version", "version", "created_at", "libraries", "artifacts")
    metadata = {k: v for k, v in version.metadata.items() if k not in reserved}
    return registry.write_version(artifacts, metadata)


def test_tampered_artifact_falls_back_with_a_warning_on_every_page() -> None:
    previous = registry.current_version()
    newer = copy_as_new_version(previous)
    registry.promote(newer.version)
    with (newer.path / f"{HOURLY}{registry.ARTIFACT_SUFFIX}").open("ab") as f:
        f.write(b"\0")

    version, warning = registry.load_current_or_fallback()
    assert version.version == previous.version
    assert newer.version in warning and "does not match" in warning
    at = AppTest.from_file(ROOT / "app.py", default_timeout=60).run()
    for page, title in MODEL_PAGES.items():
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title[0].value == title
        assert any(w.value == warning for w in at.warning), page
        shown = " ".join(m.value for m in at.markdown)
        assert f"`{previous.version}`" in shown and f"`{newer.version}`" not in shown, page


def test_discard_removes_only_a_version_not_in_use(gate: auth.Gate) -> None:
    current = registry.current_version()
    extra = copy_as_new_version(current)
    with pytest.raises(LacrimeError, match="is in use"):
        admin.discard(gate, current.version)
    admin.discard(gate, extra.version)
    assert [v["id"] for v in registry.list_versions()] == [current.version]
    assert not any(p.name.startswith(".tmp-") for p in registry.versions_dir().iterdir())
    assert registry.load_current_or_fallback() == (registry.open_version(current.version), None)


@pytest.fixture
def portal(admin_home: Path) -> Iterator[Portal]:
    """A local stand-in for the open data portal: a small legacy export, NIBRS offences after."""
    server = Portal()
    server.exports["2nrs-mtv8"] = csv_bytes(portal_frame())
    server.resources["y8y3-fqfu"] = offences(500, seed=1, start="2024-03-01", days=14)
    server.thread.start()
    (admin_home / "portal.toml").write_text(
        f'base_url = "{server.base}"\npage_rows = 200\nbackoff_s = 0.01\n'
        '[legacy]\nid = "2nrs-mtv8"\n[[nibrs]]\nid = "y8y3-fqfu"\n'
    )
    yield server
    server.shutdown()
    server.server_close()


def test_download_runs_apart_and_is_previewed_before_use(gate: auth.Gate, portal: Portal) -> None:
    before = read_manifest()
    job_id = admin.start_fetch(gate)
    done = wait_for(job_id, lambda s: s["state"] == "done")
    assert len(done["sources"]) == 2 and done["staged"]
    assert read_manifest() == before, "a download changes nothing until accepted"
    held = sync.store_path("y8y3-fqfu")
    assert not held.exists(), "the offences are staged until accepted"

    preview = admin.check_download(gate, done)
    assert preview.report["rows_in"] == len(portal_frame()) + len(portal.resources["y8y3-fqfu"])
    manifest = admin.accept(gate, preview)
    assert read_manifest()["dataset_id"] == manifest["dataset_id"]
    assert held.is_file() and not any(held.parent.glob("*.new"))
    assert {s["format"] for s in manifest["sources"]} == {"legacy", "nibrs"}
    assert jobs.job_status(job_id)["resolution"] == "ingested"
    paths, _ = admin.reingest_source(manifest)
    assert paths == [sync.legacy_path(sync.load_portal()), held]
