"""Hotspot forecasts and their evaluation on the real LAPD extract (skipped without it)."""

import json
import math
from datetime import date

import h3
import pandas as pd
import pytest

from lacrime.hotspots.evaluation import evaluate_hotspots
from lacrime.hotspots.forecast import fit_at, forecast_hotspots, score_forecast, to_geojson
from lacrime.hotspots.grid import DEFAULT_RESOLUTION, locate
from lacrime.hotspots.models import MODELS, label
from lacrime.hotspots.panel import with_cells
from lacrime.records import to_json

pytestmark = pytest.mark.real

AS_OF = date(2024, 3, 17)
BASELINES = ("last_week", "all_history", "kde")


@pytest.fixture(scope="module")
def next_week(real_clean: pd.DataFrame) -> pd.DataFrame:
    occurred = real_clean["occurred_at"]
    return real_clean[(occurred >= "2024-03-18") & (occurred < "2024-03-25")]


def test_forecast_uses_no_report_after_as_of_and_beats_chance(real_clean, next_week):
    forecast = forecast_hotspots(real_clean, as_of=AS_OF, horizon_days=7)
    assert pd.Timestamp(forecast.attrs["trained_until"]) < pd.Timestamp("2024-03-18")
    assert (forecast.attrs["window_start"], forecast.attrs["window_end"]) == (
        "2024-03-18",
        "2024-03-24",
    )

    # Dropping every later report, or replacing them, leaves the forecast unchanged.
    later = real_clean["occurred_at"] >= "2024-03-18"
    shifted = real_clean.copy()
    shifted.loc[later, ["lat", "lon"]] = shifted.loc[later, ["lat", "lon"]].to_numpy()[::-1]
    for variant in (real_clean[~later], shifted):
        pd.testing.assert_frame_equal(forecast_hotspots(variant, as_of=AS_OF), forecast)

    scores = {forecast.attrs["model"]: score_forecast(forecast, next_week)}
    for name in BASELINES:
        scores[name] = score_forecast(
            forecast_hotspots(real_clean, as_of=AS_OF, model=name), next_week
        )
    print(
        "\nPAI at 5% for 2024-03-18..24:",
        ", ".join(f"{name} {s['pai']:.2f}" for name, s in scores.items()),
    )
    assert scores[forecast.attrs["model"]]["pai"] > 1
    for score in scores.values():
        assert all(math.isfinite(score[k]) for k in ("pai", "hit_rate", "pei_star"))
        assert score["crimes"] == len(next_week)
        assert score["coverage"] == pytest.approx(0.05, abs=0.001)


def test_geojson_of_the_real_forecast_has_every_cell(real_clean):
    forecast = forecast_hotspots(real_clean, as_of=AS_OF, model="kde", allocation="proportional")
    geo = to_geojson(forecast)
    assert len(geo["features"]) == len(forecast)
    assert {f["properties"]["cell"] for f in geo["features"]} == set(forecast["cell"])
    assert forecast["area_name"].nunique() == real_clean["area_name"].nunique()
    assert json.loads(json.dumps(geo, allow_nan=False)) == geo


def test_evaluation_reports_every_model_and_names_the_best(real_clean):
    result = evaluate_hotspots(real_clean, eval_weeks=1)
    result = json.loads(json.dumps(to_json(result), allow_nan=False))
    assert result["eval_weeks"] == ["2024-03-18"]
    assert set(result["models"]) == set(MODELS)
    pai = {}
    for name, summary in result["models"].items():
        assert summary["feature_names"]
        metrics = summary["metrics"]
        for key in (
            "pai_5",
            "pai_1",
            "hit_rate_5",
            "pei_star_5",
            "pai_5_proportional",
            "roc_auc",
            "pr_auc",
            "hotspot_f1",
            "non_hotspot_f1",
        ):
            assert metrics[key]["mean"] is not None, (name, key)
        assert len(summary["coverage_curve"]["pai"]) == len(summary["coverage_curve"]["coverage"])
        assert 0 < len(summary["roc_curve"]["fpr"]) <= 50
        assert sum(map(sum, summary["confusion_matrix"]["matrix"])) > 0
        pai[name] = metrics["pai_5"]["mean"]
    assert result["default_model"] == max(pai, key=pai.get)
    assert label(result["default_model"]) in result["verdict"]
    areas = result["allocation_table"]
    assert len(areas) == real_clean["area_name"].nunique()
    for mode in ("citywide", "proportional"):
        assert sum(a[f"{mode}_flag_share"] for a in areas) == pytest.approx(1, abs=1e-3)


def test_expected_reports_keep_the_order_and_hold_next_weeks_total(real_clean, next_week):
    """Every model's expected reports read on one scale: they fall with rank, the percentile
    goes from about 100 down, and the flagged cells' sum is near the reports they then had."""
    for name in MODELS:
        forecast = forecast_hotspots(real_clean, as_of=AS_OF, model=name)
        expected = forecast["expected"].to_numpy()
        assert (expected >= 0).all() and (pd.Series(expected).diff().dropna() <= 1e-9).all()
        assert forecast["percentile"].iloc[0] > 99 and forecast["percentile"].min() >= 0
        assert (forecast["percentile"].diff().dropna() <= 0).all()
        located = next_week.assign(
            cell=locate(next_week["lat"], next_week["lon"], h3.get_resolution(forecast["cell"][0]))
        )
        actual = located["cell"].value_counts().reindex(forecast["cell"], fill_value=0)
        flagged = forecast["flagged"].to_numpy()
        ratio = expected[flagged].sum() / actual.to_numpy()[flagged].sum()
        print(f"\n{name}: expected / actual in flagged cells {ratio:.2f}")
        assert 0.7 < ratio < 1.4, name


def test_a_learner_is_calibrated_on_a_week_it_did_not_learn_from(real_clean):
    """The forest's calibration copy never sees the last training week; the served forest does."""
    seen: list[pd.Timestamp] = []

    def recording_forest():
        model = MODELS["random_forest_smote"]()
        fit = model.fit

        def fit_and_record(rows):
            seen.append(rows.index.get_level_values("week").max())
            return fit(rows)

        model.fit = fit_and_record
        return model

    located = with_cells(real_clean, DEFAULT_RESOLUTION)
    fitted = fit_at(located, AS_OF, {"rf": recording_forest}, resolution=DEFAULT_RESOLUTION)
    served, calibration = seen
    assert calibration == served - pd.Timedelta(days=7)
    assert fitted["rf"].expected is not None
