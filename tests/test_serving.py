"""A model version serves only the dataset it was trained on: after an ingest of other data
the version in use is stale and every page that shows a prediction hides it and says so;
promoting or rolling back to a version of other data is refused in one line."""

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lacrime.cli import main
from lacrime.data.dataset import read_manifest
from lacrime.errors import LacrimeError
from lacrime.ops import admin, registry, serving
from lacrime.ops.auth import Gate

APP = Path(__file__).resolve().parents[1] / "app.py"
PREDICTION_PAGES = {
    "app_pages/hourly_forecast.py": "Hourly forecast",
    "app_pages/hotspot_map.py": "Hotspot map",
    "app_pages/model_comparison.py": "Model comparison",
}
DEMO = ["demo", "--rows", "4000", "--days", "63"]


@pytest.fixture
def trained_then_other_data(small_trained_home: Path, lacrime_home: Path) -> dict:
    """A home trained on one demo dataset, then given another one (another seed)."""
    shutil.copytree(small_trained_home, lacrime_home, symlinks=True, dirs_exist_ok=True)
    first = {"version": registry.current_version_id(), "dataset": read_manifest()["dataset_id"]}
    assert main([*DEMO, "--seed", "1"]) == 0
    return first


def stale_warnings(page: str) -> list[str]:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return [w.value for w in at.warning if w.value.startswith("The model is stale")]


def test_rollback_to_a_version_of_other_data_is_refused_in_one_line(
    trained_then_other_data: dict, capsys: pytest.CaptureFixture
) -> None:
    current = read_manifest()["dataset_id"]
    capsys.readouterr()
    assert main(["rollback", trained_then_other_data["version"]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert trained_then_other_data["dataset"] in err and current in err
    assert "retrain" in err
    assert registry.current_version_id() == trained_then_other_data["version"]
    assert read_manifest()["dataset_id"] == current


def test_admin_promotion_of_a_version_of_other_data_is_refused(
    trained_then_other_data: dict, monkeypatch: pytest.MonkeyPatch, admin_hash: str
) -> None:
    from support import ADMIN_PASSWORD

    monkeypatch.setenv("LACRIME_ADMIN_PASSWORD_HASH", admin_hash)
    gate = Gate({})
    assert gate.sign_in(ADMIN_PASSWORD, admin_hash).ok
    for action in (admin.promote, admin.rollback):
        with pytest.raises(LacrimeError, match="not on the dataset in use"):
            action(gate, trained_then_other_data["version"])
    rows = {row["id"]: row for row in serving.listing()}
    assert rows[trained_then_other_data["version"]]["serves_data_in_use"] is False


def test_pages_say_the_model_is_stale_until_a_retrain(trained_then_other_data: dict) -> None:
    for page in PREDICTION_PAGES:
        warnings = stale_warnings(page)
        assert len(warnings) == 1, page
        assert trained_then_other_data["dataset"] in warnings[0]
        assert read_manifest()["dataset_id"] in warnings[0]
    assert main(["train"]) == 0
    for page in PREDICTION_PAGES:
        assert stale_warnings(page) == [], page


def test_the_same_source_ingested_again_is_still_served(
    small_trained_home: Path, lacrime_home: Path
) -> None:
    shutil.copytree(small_trained_home, lacrime_home, symlinks=True, dirs_exist_ok=True)
    version = registry.current_version()
    before = read_manifest()["dataset_id"]
    assert main(DEMO) == 0  # the same rows and seed: the same file, another dataset id
    assert read_manifest()["dataset_id"] != before
    assert serving.mismatch(version, read_manifest()) is None
    serving.rollback(version.version)  # allowed: the version was trained on this data
