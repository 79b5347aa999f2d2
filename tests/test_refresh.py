"""`lacrime refresh` against a local portal: new rows promote a candidate, a worse candidate
is kept aside with exit 1, nothing new trains nothing, two refreshes at once and a refresh
killed mid-training leave the dataset and version in use as they were."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from portal_server import Portal
from support import ADMIN_PASSWORD

from lacrime.cli import main
from lacrime.data.dataset import dataset_id, read_manifest
from lacrime.data.demo_nibrs import write_switch_demo
from lacrime.ops import admin, audit, auth, jobs, registry
from lacrime.paths import data_dir, home

LEGACY, NIBRS = "2nrs-mtv8", "y8y3-fqfu"
# The frozen archive and the first publication end here; the refresh brings two weeks more.
FIRST_CUT = pd.Timestamp("2023-12-18")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict:
    """A 16-week synthetic history switching to NIBRS from 2023-10-16: the legacy archive (cut
    at FIRST_CUT, as a frozen archive is), the NIBRS offences up to it, and the offences of the
    two weeks after it that a refresh finds new."""
    folder = tmp_path_factory.mktemp("history")
    legacy, nibrs = write_switch_demo(folder, rows=20_000, seed=7, days=112, switch="2023-10-16")
    archive = pd.read_csv(legacy, dtype=str)
    reported = pd.to_datetime(archive["Date Rptd"], format="%m/%d/%Y %I:%M:%S %p")
    archive_bytes = archive[reported < FIRST_CUT].to_csv(index=False).encode()
    offences = pd.read_csv(nibrs, dtype=str)
    new = pd.to_datetime(offences["date_rptd"], format="ISO8601") >= FIRST_CUT
    return {
        "archive": archive_bytes,
        "first": offences[~new].reset_index(drop=True),
        "new": offences[new].reset_index(drop=True),
    }


def serve(published: dict, offences: pd.DataFrame) -> Portal:
    """A portal serving the archive and `offences`, and a portal.toml pointing at it."""
    server = Portal()
    server.exports[LEGACY] = published["archive"]
    server.resources[NIBRS] = offences
    server.thread.start()
    lines = [
        f'base_url = "{server.base}"',
        "page_rows = 5000",
        "retries = 1",
        "backoff_s = 0.01",
        "[legacy]",
        f'id = "{LEGACY}"',
        "[[nibrs]]",
        f'id = "{NIBRS}"',
    ]
    home().mkdir(parents=True, exist_ok=True)
    (home() / "portal.toml").write_text("\n".join(lines) + "\n")
    return server


def stop(server: Portal) -> None:
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def refreshed_once(published: dict, tmp_path_factory) -> Path:
    """A home after a first refresh: the first publication fetched, trained and promoted."""
    first = tmp_path_factory.mktemp("refreshed") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LACRIME_HOME", str(first))
        server = serve(published, published["first"])
        try:
            assert main(["refresh"]) == 0
        finally:
            stop(server)
    return first


@pytest.fixture
def after_first(refreshed_once: Path, lacrime_home: Path) -> dict:
    """This test's own copy of the home after the first refresh, and what is in use."""
    shutil.copytree(refreshed_once, lacrime_home, symlinks=True, dirs_exist_ok=True)
    return {"dataset": dataset_id(), "version": registry.current_version_id()}


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["refresh", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def shuffled_places(offences: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The same offences with latitudes and longitudes shuffled apart (each offence takes one
    offence's latitude and another's longitude): places spread over the city, hotspots gone."""
    rng = np.random.default_rng(seed)
    moved = offences.copy()
    for column in ("hndrdth_lat", "hndrdth_lon"):
        moved[column] = offences[column].to_numpy()[rng.permutation(len(offences))]
    return moved


def test_new_rows_are_fetched_trained_and_promoted(after_first, published, capsys):
    server = serve(published, pd.concat([published["first"], published["new"]]))
    try:
        status, out, err = run(capsys)
    finally:
        stop(server)
    assert status == 0, err
    assert len(out.strip().splitlines()) == 1 and "promoted" in out
    assert registry.current_version_id() != after_first["version"]
    assert dataset_id() != after_first["dataset"]
    assert read_manifest()["date_range"][1] >= "2023-12-24"
    assert audit.latest(1)[0]["action"] == "refresh"
    assert audit.latest(1)[0]["outcome"] == "promoted"


def test_a_worse_candidate_is_kept_aside_with_exit_1(
    after_first, published, capsys, monkeypatch, admin_hash
):
    server = serve(published, pd.concat([published["first"], shuffled_places(published["new"])]))
    try:
        status, out, err = run(capsys)
    finally:
        stop(server)
    assert status == 1, (out, err)
    assert "kept version" in out and "worse" in out and "PAI" in out
    assert registry.current_version_id() == after_first["version"]
    assert dataset_id() == after_first["dataset"]
    job = jobs.latest_job(*jobs.TRAININGS)
    candidate = jobs.pending_version(job)
    assert candidate is not None and candidate.version in out  # waiting on the Admin page
    entry = audit.latest(1)[0]
    assert entry["outcome"] == "kept" and "spread" in entry["detail"]

    # The administrator may still promote it: that installs the data it was trained on.
    monkeypatch.setenv(auth.HASH_ENV, admin_hash)
    gate = auth.Gate({})
    assert gate.sign_in(ADMIN_PASSWORD, admin_hash).ok
    admin.promote(gate, candidate.version, job["job_id"])
    assert registry.current_version_id() == candidate.version
    assert dataset_id() == job["dataset_id"]


def test_nothing_new_trains_nothing(after_first, published, capsys):
    versions = len(registry.list_versions())
    server = serve(published, published["first"])
    try:
        status, out, _ = run(capsys)
    finally:
        stop(server)
    assert status == 0 and "nothing new" in out
    assert len(registry.list_versions()) == versions
    assert (dataset_id(), registry.current_version_id()) == tuple(after_first.values())


def test_a_second_refresh_while_one_runs_is_refused(after_first, published, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from lacrime.ops import registry\n"
            "with registry.training_lock():\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "LACRIME_HOME": str(home())},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        server = serve(published, pd.concat([published["first"], published["new"]]))
        try:
            status, out, err = run(capsys)
        finally:
            stop(server)
    finally:
        holder.kill()
        holder.wait()
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "another training is running" in err
    assert (dataset_id(), registry.current_version_id()) == tuple(after_first.values())


def test_a_refresh_killed_mid_training_changes_nothing_in_use(after_first, published, capsys):
    server = serve(published, pd.concat([published["first"], published["new"]]))
    try:
        stored = set((data_dir() / "datasets").iterdir())
        refresh = subprocess.Popen(
            [sys.executable, "-m", "lacrime", "refresh"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "LACRIME_HOME": str(home())},
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while set((data_dir() / "datasets").iterdir()) == stored:  # the candidate's data
            assert refresh.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1.0)  # well into the training
        os.killpg(refresh.pid, signal.SIGKILL)
        refresh.wait()
        assert (dataset_id(), registry.current_version_id()) == tuple(after_first.values())
        status, out, err = run(capsys)  # the next refresh finishes the job
    finally:
        stop(server)
    assert status == 0 and "promoted" in out, (out, err)
