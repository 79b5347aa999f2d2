"""Hotspot grid, panel, models, metrics and exports on small synthetic report frames."""

import json
import re
from datetime import date

import h3
import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE

from lacrime.data.categories import GROUPS
from lacrime.data.exclusions import load_exclusions
from lacrime.errors import LacrimeError
from lacrime.hotspots.evaluation import evaluate_hotspots, evaluation_weeks
from lacrime.hotspots.flagging import area_quotas, flag_cells, hit_metrics, hotspot_labels
from lacrime.hotspots.forecast import fit_forecaster, forecast_hotspots, score_forecast, to_geojson
from lacrime.hotspots.grid import build_grid, locate
from lacrime.hotspots.models import MODELS, random_forest_smote
from lacrime.hotspots.panel import FEATURES, build_panel, with_cells

START = pd.Timestamp("2024-01-01")  # a Monday
HOT_PLACES = np.array([[34.05, -118.25], [34.10, -118.33], [34.00, -118.40], [33.95, -118.28]])


def synthetic_reports(weeks: int = 6, per_week: int = 300, seed: int = 0) -> pd.DataFrame:
    """Half the reports around four persistent hot places, half spread over a box of LA."""
    rng = np.random.default_rng(seed)
    n = weeks * per_week
    hot = rng.random(n) < 0.5
    place = HOT_PLACES[rng.integers(0, len(HOT_PLACES), n)]
    lat = np.where(hot, place[:, 0] + rng.normal(0, 0.003, n), rng.uniform(33.95, 34.15, n))
    lon = np.where(hot, place[:, 1] + rng.normal(0, 0.003, n), rng.uniform(-118.45, -118.2, n))
    seconds = rng.uniform(0, weeks * 7 * 86400, n)
    return pd.DataFrame(
        {
            "occurred_at": START + pd.to_timedelta(seconds, unit="s"),
            "area_name": np.where(lon < -118.3, "West", "East"),
            "crime_group": rng.choice(GROUPS, n),
            "lat": lat.round(4),
            "lon": lon.round(4),
        }
    ).sort_values("occurred_at", ignore_index=True)


def test_locate_gives_each_point_its_own_h3_cell():
    frame = synthetic_reports(weeks=1)
    frame = pd.concat([frame, frame.iloc[:50]])  # repeated points map back to the same cell
    cells = locate(frame["lat"], frame["lon"], 8)
    expected = [h3.latlng_to_cell(a, b, 8) for a, b in zip(frame["lat"], frame["lon"], strict=True)]
    assert list(cells) == expected


def test_grid_is_reporting_cells_plus_first_ring_with_majority_area():
    frame = pd.DataFrame(
        {
            "lat": [34.05, 34.05, 34.05, 34.20],
            "lon": [-118.25, -118.25, -118.25, -118.40],
            "area_name": ["Central", "Central", "Newton", "Van Nuys"],
        }
    )
    cells = locate(frame["lat"], frame["lon"], 8)
    grid = build_grid(cells, frame["area_name"], 8)
    observed = set(cells)
    ring = {n for c in observed for n in h3.grid_ring(c, 1)}
    assert set(grid.ids) == observed | ring
    assert grid.cells.loc[cells[0], "area_name"] == "Central"
    for neighbour in h3.grid_ring(cells[0], 1):
        assert grid.cells.loc[neighbour, "area_name"] == "Central"
    assert grid.cells.loc[cells[3], "area_name"] == "Van Nuys"
    lat, lon = h3.cell_to_latlng(cells[3])
    assert grid.cells.loc[cells[3], ["lat", "lon"]].tolist() == pytest.approx([lat, lon])


def test_hotspot_label_keeps_ties_and_needs_a_report():
    counts = np.array([[5, 5, 3, 0] + [0] * 16, [0] * 20], dtype=float)
    labels = hotspot_labels(counts, share=0.05)  # k = 1 of 20 cells
    assert labels[0].tolist() == [1, 1] + [0] * 18
    assert labels[1].sum() == 0


def _panel(frame: pd.DataFrame, target: pd.Timestamp):
    located = with_cells(frame, 8)
    history = located[located["occurred_at"] < target]
    grid = build_grid(history["cell"], history["area_name"], 8)
    return grid, build_panel(located, grid, target_start=target)


def test_features_of_a_week_ignore_that_week_and_later():
    frame = synthetic_reports()
    target = START + pd.Timedelta(weeks=5)
    grid, panel = _panel(frame, target)
    in_target = frame["occurred_at"] >= target
    changed = frame.copy()
    changed.loc[in_target, "lat"] = 34.0500  # the whole target week moves to one place
    changed.loc[in_target, "lon"] = -118.2500
    changed.loc[in_target, "crime_group"] = "Fraud"
    extra = changed[in_target].assign(occurred_at=target + pd.Timedelta(days=9))
    changed = pd.concat([changed, extra], ignore_index=True)
    again = build_panel(with_cells(changed, 8), grid, target_start=target)
    before = panel.target_rows()
    after = again.target_rows()
    pd.testing.assert_frame_equal(before[list(FEATURES)], after[list(FEATURES)])
    assert not before["count"].equals(after["count"])

    previous = frame[
        (frame["occurred_at"] >= target - pd.Timedelta(weeks=1)) & (frame["occurred_at"] < target)
    ]
    busiest = pd.Series(locate(previous["lat"], previous["lon"], 8)).value_counts()
    assert before.xs(busiest.index[0], level="cell")["lag_1"].iloc[0] == busiest.iloc[0]
    assert before["weeks_of_history"].iloc[0] == 5


def test_no_feature_names_a_victim_field_or_an_excluded_crime_type():
    _, panel = _panel(synthetic_reports(), START + pd.Timedelta(weeks=5))
    names = set(FEATURES)
    for factory in MODELS.values():
        model = factory().fit(panel.training_rows())
        assert model.feature_names and set(model.feature_names) <= names
        names |= set(model.feature_names)
    for name in names:
        tokens = set(name.split("_"))
        assert not tokens & {"vict", "victim", "age", "sex", "descent"}, name
        assert not any(t.startswith("vict") for t in tokens), name
    described = pd.Series(sorted(names)).str.replace("_", " ").str.upper()
    assert not load_exclusions().matches(described).any()


def test_hit_rate_pai_and_pei_by_hand():
    counts = np.array([5, 3, 0, 2])
    flagged = np.array([True, False, False, True])
    # 12 crimes, 2 of them outside the grid; flagged cells caught 5 + 2 = 7.
    result = hit_metrics(counts, flagged, crimes=12)
    assert result["hit_rate"] == pytest.approx(7 / 12)
    assert result["pai"] == pytest.approx((7 / 12) / (2 / 4))
    assert result["pei_star"] == pytest.approx(7 / (5 + 3))


def test_largest_remainder_quotas_sum_to_the_total():
    weights = pd.Series({"A": 50, "B": 30, "C": 20})
    roomy = pd.Series({"A": 10, "B": 10, "C": 10})
    # exact shares 3.5, 2.1, 1.4: floors 3, 2, 1 and the one seat left goes to A (0.5).
    assert area_quotas(weights, roomy, 7).to_dict() == {"A": 4, "B": 2, "C": 1}
    small_a = pd.Series({"A": 2, "B": 10, "C": 10})
    quotas = area_quotas(weights, small_a, 7)
    assert quotas.sum() == 7 and quotas["A"] == 2 and (quotas <= small_a).all()


def test_proportional_flags_give_each_area_its_quota():
    ids = pd.Index([f"c{i:02d}" for i in range(40)])
    cells = pd.DataFrame({"area_name": ["A"] * 10 + ["B"] * 20 + ["C"] * 10}, index=ids)
    risk = np.r_[np.linspace(9, 5, 10), np.linspace(4, 1, 20), np.linspace(0.9, 0.1, 10)]
    weights = pd.Series({"A": 1.0, "B": 2.0, "C": 1.0})
    flags = flag_cells(risk, cells, 0.2, allocation="proportional", area_weights=weights)
    by_area = pd.Series(flags, index=cells["area_name"]).groupby(level=0).sum()
    assert by_area.to_dict() == {"A": 2, "B": 4, "C": 2}
    assert flags[[0, 1, 10, 11, 12, 13, 30, 31]].all()  # the riskiest within each area
    citywide = flag_cells(risk, cells, 0.2)
    assert citywide[:8].all() and citywide.sum() == 8


class RecordingSMOTE(SMOTE):
    """Records the (week, cell) rows SMOTE resamples; calls is shared since steps may be cloned."""

    calls: list = []

    def fit_resample(self, X, y, **params):
        RecordingSMOTE.calls.append(X.index.get_level_values("week").unique())
        return super().fit_resample(X, y, **params)


def test_smote_resamples_training_weeks_only_and_never_at_prediction():
    RecordingSMOTE.calls = []
    frame = synthetic_reports(weeks=7, per_week=250)
    result = evaluate_hotspots(
        frame,
        eval_weeks=2,
        models={
            "random_forest_smote": lambda: random_forest_smote(RecordingSMOTE(random_state=0)),
        },
    )
    targets = [pd.Timestamp(w) for w in result.eval_weeks]
    assert len(RecordingSMOTE.calls) == len(targets)
    for weeks, target in zip(RecordingSMOTE.calls, targets, strict=True):
        assert weeks.max() < target

    grid, panel = _panel(frame, START + pd.Timedelta(weeks=6))
    model = random_forest_smote(RecordingSMOTE(random_state=0)).fit(panel.training_rows())
    calls = len(RecordingSMOTE.calls)
    risk = model.risk(panel.target_rows())
    assert len(RecordingSMOTE.calls) == calls
    assert len(risk) == len(grid)


def test_evaluation_weeks_are_the_last_full_monday_to_sunday_weeks():
    frame = pd.DataFrame({"occurred_at": pd.to_datetime(["2024-01-03", "2024-03-20"])})
    assert evaluation_weeks(frame, 2) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-11")]


def test_forecast_ignores_reports_after_as_of_and_ranks_every_cell():
    frame = synthetic_reports()
    as_of = date(2024, 1, 28)
    forecast = forecast_hotspots(frame, as_of=as_of, model="kde", coverage=0.1)
    later = frame["occurred_at"] >= pd.Timestamp("2024-01-29")
    moved = frame.copy()
    moved.loc[later, "lat"] = 34.3
    again = forecast_hotspots(
        moved[~later | (moved.index % 2 == 0)], as_of=as_of, model="kde", coverage=0.1
    )
    pd.testing.assert_frame_equal(forecast, again)
    assert pd.Timestamp(forecast.attrs["trained_until"]) < pd.Timestamp("2024-01-29")
    assert forecast["rank"].tolist() == list(range(1, len(forecast) + 1))
    assert forecast["cell"].is_unique
    assert forecast["flagged"].sum() == round(0.1 * len(forecast))
    assert forecast.loc[forecast["flagged"], "rank"].max() == forecast["flagged"].sum()


def test_forecast_rejects_other_horizons_and_dates_beyond_the_data():
    frame = synthetic_reports(weeks=3)
    with pytest.raises(LacrimeError, match="horizon_days 14"):
        forecast_hotspots(frame, as_of=date(2024, 1, 14), horizon_days=14)
    with pytest.raises(LacrimeError, match="after the last report"):
        forecast_hotspots(frame, as_of=date(2024, 2, 10))
    with pytest.raises(LacrimeError, match="two full weeks"):
        forecast_hotspots(frame, as_of=date(2024, 1, 10))


def test_evaluation_needs_two_weeks_before_the_first_evaluated_one():
    with pytest.raises(LacrimeError, match="two full weeks"):
        evaluate_hotspots(synthetic_reports(weeks=4), eval_weeks=3)


def test_score_counts_reports_outside_the_grid_as_misses():
    frame = synthetic_reports()
    forecaster = fit_forecaster(frame, as_of=date(2024, 1, 28), model="last_week")
    forecast = forecaster.forecast(coverage=0.05)
    flagged = forecast[forecast["flagged"]].iloc[0]
    actual = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(["2024-01-30"] * 3),
            "lat": [flagged["lat"], flagged["lat"], 34.34],
            "lon": [flagged["lon"], flagged["lon"], -118.69],
        }
    )
    score = score_forecast(forecast, actual)
    assert score["crimes"] == 3 and score["crimes_outside_grid"] == 1
    assert score["hit_rate"] == pytest.approx(2 / 3)
    assert score["pai"] == pytest.approx((2 / 3) / (forecast["flagged"].sum() / len(forecast)))
    assert score["pei_star"] == pytest.approx(1.0)


def test_geojson_is_valid_rfc7946_with_every_cell():
    frame = synthetic_reports()
    forecast = forecast_hotspots(
        frame, as_of=date(2024, 1, 28), model="all_history", allocation="proportional"
    )
    geo = json.loads(json.dumps(to_geojson(forecast), allow_nan=False))
    assert geo["type"] == "FeatureCollection"
    assert [f["properties"]["cell"] for f in geo["features"]] == forecast["cell"].tolist()
    for feature in geo["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Polygon"
        ring = np.array(feature["geometry"]["coordinates"][0])
        assert len(ring) >= 4 and (ring[0] == ring[-1]).all()
        assert ((ring[:, 0] > -118.8) & (ring[:, 0] < -118.0)).all()  # lon first
        assert ((ring[:, 1] > 33.6) & (ring[:, 1] < 34.4)).all()
        signed_area = np.sum(ring[:-1, 0] * ring[1:, 1] - ring[1:, 0] * ring[:-1, 1])
        assert signed_area > 0  # exterior ring counter-clockwise
        props = feature["properties"]
        assert set(props) >= {"cell", "risk", "rank", "flagged", "area_name"}
        assert isinstance(props["flagged"], bool) and isinstance(props["rank"], int)
        assert re.fullmatch(r"[0-9a-f]{15}", props["cell"])


def test_a_forecaster_stored_before_expected_reports_still_forecasts():
    """A pickle of an older version has no `expected`: its table says nothing rather than fail."""
    import pickle

    forecaster = fit_forecaster(synthetic_reports(), as_of=date(2024, 1, 28), model="kde")
    assert np.isfinite(forecaster.forecast()["expected"]).all()
    old = pickle.loads(pickle.dumps(forecaster))
    del old.__dict__["expected"]
    old = pickle.loads(pickle.dumps(old))
    table = old.forecast()
    assert table["expected"].isna().all()
    assert table["cell"].tolist() == forecaster.forecast()["cell"].tolist()
    assert table["percentile"].tolist() == forecaster.forecast()["percentile"].tolist()
