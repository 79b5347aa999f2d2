"""`lacrime train` and the model commands, end to end on the real extract (issue 3's acceptance)."""

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lacrime.cli import main
from lacrime.data.dataset import load_dataset, read_manifest
from lacrime.data.exclusions import load_exclusions
from lacrime.data.schema import snake_case
from lacrime.hotspots.forecast import score_forecast
from lacrime.hotspots.models import MODELS, label
from lacrime.hourly.forecast import curve
from lacrime.ops import registry
from lacrime.ops.train import HOTSPOTS, HOURLY, HOURLY_NO_DEFAULT_TIMES

# Demographic column names as whole tokens of a feature name ("mix_sexual_offences" is fine).
FORBIDDEN = re.compile(r"vict|(^|_)(age|sex|descent)(_|$)", re.IGNORECASE)


@pytest.fixture(scope="module")
def trained_dir(real_data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One training on the real extract, shared by the tests that only read it."""
    home = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LACRIME_HOME", str(home))
        assert main(["train", "--source", str(real_data_path)]) == 0
    return home


@pytest.fixture
def trained(trained_dir: Path, monkeypatch: pytest.MonkeyPatch) -> registry.ModelVersion:
    monkeypatch.setenv("LACRIME_HOME", str(trained_dir))
    version = registry.current_version()
    assert version is not None
    return version


def run_json(args: list[str], capsys: pytest.CaptureFixture) -> dict:
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_no_model_uses_demographics_or_excluded_types(trained):
    steps = read_manifest()["report"]["steps"]
    excluded = next(s for s in steps if s["step"] == "excluded_crime_type")["detail"]
    types = pd.DataFrame({"crm_cd_desc": list(excluded)})
    assert excluded and load_exclusions().matches(types).all()
    excluded_names = {snake_case(description) for description in excluded}
    features = trained.metadata["features"]
    assert {f"{HOURLY}.poisson_spline", "hotspots.random_forest_smote", "hotspots.knn"} <= set(
        features
    )
    for name, names in features.items():
        assert names, name
        assert not [f for f in names if FORBIDDEN.search(f)], name
        assert not [f for f in names if any(e in f for e in excluded_names)], name
    # The stored artifacts agree with the metadata: it is what they were trained on.
    bundle = registry.load_artifact(trained, HOURLY)
    for name, model in bundle.models.items():
        assert list(model.feature_names) == features[f"{HOURLY}.{name}"]
    forecaster = registry.load_artifact(trained, HOTSPOTS)
    assert not [f for f in forecaster.model.feature_names if FORBIDDEN.search(f)]


def test_hourly_curve_is_lowest_at_night_and_highest_in_the_evening(trained):
    for key in (HOURLY, HOURLY_NO_DEFAULT_TIMES):
        bundle = registry.load_artifact(trained, key)
        for weekday in ("Monday", "Wednesday", "Friday"):
            day = curve(bundle, weekday=weekday, season="spring")
            assert 3 <= day.loc[day["expected"].idxmin(), "hour"] <= 6, (key, weekday)
            assert 17 <= day.loc[day["expected"].idxmax(), "hour"] <= 21, (key, weekday)


def test_evaluate_reports_every_metric_for_every_model(trained, capsys):
    evaluation = run_json(["evaluate", "--json"], capsys)
    assert evaluation["version"] == trained.version
    for key in (HOURLY, HOURLY_NO_DEFAULT_TIMES):
        table = evaluation[key]
        assert set(table["models"]) == {"polynomial", "poisson_spline", "baseline"}
        assert table["holdout"]["start"] > table["train"]["end"]
        for metrics in table["models"].values():
            for metric in ("mae", "r2", "poisson_deviance", "coverage"):
                assert pd.notna(metrics[metric]), metric
    hotspots = evaluation["hotspots"]
    assert set(hotspots["models"]) == set(MODELS)
    for name, model in hotspots["models"].items():
        for metric in (
            "hotspot_precision",
            "hotspot_recall",
            "hotspot_f1",
            "non_hotspot_precision",
            "non_hotspot_recall",
            "non_hotspot_f1",
            "roc_auc",
            "pr_auc",
            "hit_rate_1",
            "hit_rate_5",
            "pai_1",
            "pai_5",
            "pei_star_1",
            "pei_star_5",
        ):
            values = model["metrics"][metric]
            assert {"mean", "std"} <= set(values) and pd.notna(values["mean"]), (name, metric)
    best = max(hotspots["models"], key=lambda n: hotspots["models"][n]["metrics"]["pai_5"]["mean"])
    assert hotspots["default_model"] == best
    assert label(best) in hotspots["verdict"]


def test_forecast_command_matches_the_stored_model(trained, capsys):
    result = run_json(
        ["forecast", "--hour", "18", "--weekday", "Friday", "--season", "spring", "--json"], capsys
    )
    bundle = registry.load_artifact(trained, HOURLY)
    day = curve(bundle, weekday="Friday", season="spring")
    assert result["expected"] == pytest.approx(
        day.loc[day["hour"] == 18, "expected"].item(), abs=1e-3
    )
    assert result["lower"] <= result["expected"] <= result["upper"]
    without = run_json(
        [
            "forecast",
            "--hour",
            "12",
            "--weekday",
            "Friday",
            "--season",
            "spring",
            "--exclude-default-times",
            "--json",
        ],
        capsys,
    )
    assert without["exclude_default_times"] is True


def test_hotspots_as_of_scored_on_the_following_real_week(trained, capsys):
    """The issue's acceptance: PAI at 5% of next week's crimes, next to every baseline."""
    frame = load_dataset()
    week = frame[(frame["occurred_at"] >= "2024-03-18") & (frame["occurred_at"] < "2024-03-25")]
    scores = {}
    for model in MODELS:
        capsys.readouterr()
        assert (
            main(
                [
                    "hotspots",
                    "--as-of",
                    "2024-03-17",
                    "--horizon-days",
                    "7",
                    "--coverage",
                    "0.05",
                    "--model",
                    model,
                    "--format",
                    "csv",
                ]
            )
            == 0
        )
        table = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"cell": str})
        assert {"cell", "risk", "rank", "flagged", "area_name"} <= set(table.columns)
        assert table["cell"].is_unique and table["rank"].min() == 1
        assert table["flagged"].mean() == pytest.approx(0.05, abs=0.002)
        scores[model] = score_forecast(table, week)["pai"]
    print("PAI at 5% on 2024-03-18..24:", {k: round(v, 2) for k, v in scores.items()})
    assert all(pai > 1 for pai in scores.values())
    default = trained.metadata["summary"]["hotspot_default"]
    assert scores[default] >= min(scores.values())


def test_hotspots_geojson_has_every_cell_as_a_polygon(trained, capsys):
    capsys.readouterr()
    assert main(["hotspots", "--as-of", "2024-03-17", "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"cell": str})
    assert main(["hotspots", "--as-of", "2024-03-17", "--format", "geojson"]) == 0
    collection = json.loads(capsys.readouterr().out)
    assert collection["type"] == "FeatureCollection"
    cells = [f["properties"]["cell"] for f in collection["features"]]
    assert sorted(cells) == sorted(table["cell"])
    for feature in collection["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert feature["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]
        assert all(-118.8 < lon < -118.0 and 33.6 < lat < 34.4 for lon, lat in ring)


def test_rollback_switches_back(trained_dir, monkeypatch, capsys, real_data_path):
    monkeypatch.setenv("LACRIME_HOME", str(trained_dir))
    first = registry.current_version_id()
    assert main(["train"]) == 0
    second = registry.current_version_id()
    assert second != first
    assert main(["rollback", first]) == 0
    assert registry.current_version_id() == first
    versions = run_json(["versions", "--json"], capsys)
    assert {v["id"] for v in versions} >= {first, second}


def test_model_commands_without_a_model_say_what_to_do(capsys):
    assert main(["forecast", "--hour", "1", "--weekday", "Monday", "--season", "winter"]) == 2
    assert "lacrime train" in capsys.readouterr().err
