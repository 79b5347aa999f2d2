"""Hotspots per watch: the watches, default times, the shrunk watch share, and the rolling
evaluation against the two baselines (on the real extract where it is available)."""

import json
import os
from datetime import date

import h3
import numpy as np
import pandas as pd
import pytest

from lacrime.calendar import WATCHES, watch_codes, watch_hours
from lacrime.cli import main
from lacrime.errors import LacrimeError
from lacrime.hotspots.watch import (
    WATCH_MODELS,
    fit_watch_at,
    fit_watch_forecaster,
    forecast_watch,
    watch_history,
    with_watches,
)
from lacrime.hotspots.watch_evaluation import available_weeks, evaluate_watches
from lacrime.records import to_json

CENTRE = h3.latlng_to_cell(34.05, -118.25, 8)


def reports(rows: list[tuple[str, str, int]], area: str = "Central") -> pd.DataFrame:
    """Reports from (cell, day, HHMM), each at its cell's centre."""
    frame = pd.DataFrame(rows, columns=["cell", "day", "time_occ"])
    centres = np.array([h3.cell_to_latlng(c) for c in frame["cell"]])
    time = frame["time_occ"].map(lambda t: pd.Timedelta(hours=t // 100, minutes=t % 100))
    return pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(frame["day"]) + time,
            "time_occ": frame["time_occ"].astype("int16"),
            "area_name": area,
            "crime_group": "Theft",
            "lat": centres[:, 0],
            "lon": centres[:, 1],
        }
    )


def test_the_watches_cover_every_hour_once_and_are_named_with_their_hours():
    codes = watch_codes(np.arange(24))
    assert np.bincount(codes, minlength=len(WATCHES)).sum() == 24
    expected = {"night": [23, *range(7)], "day": list(range(7, 15)), "evening": list(range(15, 23))}
    for code, hours in enumerate(expected.values()):
        assert sorted(np.flatnonzero(codes == code)) == sorted(hours)
    assert watch_hours("night") == "night (23:00-06:59)"


def test_default_times_count_all_day_but_in_no_watch():
    days = pd.date_range("2024-01-01", "2024-01-21").strftime("%Y-%m-%d")
    rows = [(CENTRE, d, t) for d in days for t in (1200, 1, 1230, 30, 2330)]
    located = with_watches(reports(rows), 8)
    history = watch_history(located, date(2024, 1, 21), 8)
    cell = history.grid.position(np.array([CENTRE]))[0]
    assert history.all_day[cell] == len(rows)
    # 00:30 and 23:30 are night, 12:30 day; 12:00 and 00:01 in no watch.
    assert history.by_watch[:, cell].tolist() == [2 * len(days), len(days), 0]
    assert history.last_week[:, cell].tolist() == [14, 7, 0]
    assert history.weeks == pytest.approx(3.0)


def test_a_sparse_cell_borrows_its_neighbours_watch_share():
    """A cell with one night report among busy day-time neighbours is expected to have day
    reports, not only night ones, once its share is shrunk; the all-day baseline gives every
    cell the city's share, so it ranks by all-day counts alone."""
    neighbours = sorted(h3.grid_ring(CENTRE, 1))
    days = pd.date_range("2024-01-01", "2024-01-21").strftime("%Y-%m-%d")
    rows = [(n, d, 1000) for n in neighbours for d in days]  # all day watch
    rows += [(CENTRE, days[0], 2330)]  # one night report
    located = with_watches(reports(rows), 8)
    fitted = fit_watch_at(located, date(2024, 1, 21), WATCH_MODELS, resolution=8)
    grid = fitted["day"]["watch_counts"].grid
    at = grid.position(np.array([CENTRE]))[0]
    assert fitted["day"]["watch_counts"].expected[at] == 0
    assert fitted["night"]["watch_counts"].expected[at] == pytest.approx(1 / 3)
    shrunk = fitted["day"]["watch_share_30"].expected[at]
    assert 0.9 * (1 / 3) < shrunk < 1 / 3  # mostly its neighbours' all-day-time share
    all_day = fitted["night"]["all_day_counts"].expected
    counts = np.bincount(grid.position(located["cell"].to_numpy()), minlength=len(grid))
    assert (
        np.argsort(-all_day, kind="stable").tolist() == np.argsort(-counts, kind="stable").tolist()
    )


def test_the_watch_forecast_names_its_watch_and_refuses_unknown_ones():
    days = pd.date_range("2024-01-01", "2024-01-21").strftime("%Y-%m-%d")
    rows = [(c, d, t) for c in h3.grid_disk(CENTRE, 2) for d in days[::4] for t in (230, 1600)]
    frame = reports(rows)
    table = forecast_watch(frame, as_of=date(2024, 1, 21), watch="Night", coverage=0.1)
    assert set(table["watch"]) == {"night"}
    assert table.attrs["watch"] == "night" and table.attrs["watch_hours"].startswith("night")
    assert table["flagged"].sum() == round(len(table) * 0.1)
    with pytest.raises(LacrimeError, match="unknown watch 'dawn'"):
        fit_watch_forecaster(frame, as_of=date(2024, 1, 21), watch="dawn")
    with pytest.raises(LacrimeError, match="after the last report"):
        fit_watch_forecaster(frame, as_of=date(2024, 2, 21), watch="night")


def test_cli_hotspots_by_watch_exports_the_watch(small_trained_home, monkeypatch, capsys):
    monkeypatch.setenv("LACRIME_HOME", str(small_trained_home))
    assert main(["hotspots", "--as-of", "2023-12-24", "--watch", "night", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["meta"]["watch"] == "night"
    assert {row["watch"] for row in out["cells"]} == {"night"}
    assert main(["hotspots", "--as-of", "2023-12-24", "--watch", "day", "--format", "geojson"]) == 0
    geo = json.loads(capsys.readouterr().out)
    assert {f["properties"]["watch"] for f in geo["features"]} == {"day"}
    with pytest.raises(SystemExit) as exit_:
        main(["hotspots", "--as-of", "2023-12-24", "--watch", "dawn"])
    assert exit_.value.code == 2


@pytest.mark.real
def test_watch_forecast_uses_no_later_report(real_clean):
    as_of = date(2024, 3, 10)
    forecast = forecast_watch(real_clean, as_of=as_of, watch="night")
    later = real_clean["occurred_at"] >= "2024-03-11"
    shifted = real_clean.copy()
    shifted.loc[later, ["lat", "lon"]] = shifted.loc[later, ["lat", "lon"]].to_numpy()[::-1]
    for variant in (real_clean[~later], shifted):
        pd.testing.assert_frame_equal(forecast_watch(variant, as_of=as_of, watch="night"), forecast)


@pytest.mark.real
def test_watch_evaluation_meets_its_targets_on_the_real_extract(real_clean):
    """Every Monday with two full weeks before it is scored; against the all-day counts the
    chosen models never lose on a watch, gain at least 2% on the mean of the three and 4% on
    the night watch; the test counts are the watch's reports of known time only."""
    result = evaluate_watches(real_clean)
    assert result.eval_weeks == [w.date().isoformat() for w in available_weeks(real_clean)]
    assert result.eval_weeks == [
        "2024-02-19",
        "2024-02-26",
        "2024-03-04",
        "2024-03-11",
        "2024-03-18",
    ]
    print("\n" + result.verdict)
    for watch, ratio in result.ratios.items():
        assert ratio >= 1.0, watch
    assert result.mean_ratio >= 1.02
    assert result.ratios["night"] >= 1.04
    assert set(result.held_out) == set(WATCHES)
    week = real_clean[real_clean["occurred_at"].between("2024-03-18", "2024-03-25")]
    night = week[
        week["occurred_at"].dt.hour.isin([23, 0, 1, 2, 3, 4, 5, 6])
        & ~week["time_occ"].isin([1200, 1])
    ]
    last = result.watches["night"]["all_day_counts"].per_week[-1]
    assert last["week_start"] == "2024-03-18" and last["crimes"] == len(night)
    assert json.loads(json.dumps(to_json(result), allow_nan=False))


@pytest.mark.skipif(not os.environ.get("LACRIME_REAL_DATA"), reason="needs LACRIME_REAL_DATA")
def test_train_stores_the_watch_evaluation(real_home, monkeypatch):
    from lacrime.ops import registry
    from lacrime.ops.train import record_of

    monkeypatch.setenv("LACRIME_HOME", str(real_home))
    record = record_of(registry.current_version())
    watches = record.evaluation.watches
    assert watches is not None and set(watches.chosen) == set(WATCHES)
    assert record.summary.watch_models == watches.chosen
    assert {"all_day_counts", "watch_counts"} <= set(watches.watches["night"])


def test_a_week_without_reports_of_a_watch_leaves_its_ratio_undefined():
    """Four weeks of day reports; night reports only in the first two weeks. The night's
    later weeks say nothing about the models, and the evaluation still finishes."""
    days = pd.date_range("2024-01-01", "2024-01-28")
    cells = sorted(h3.grid_disk(CENTRE, 2))
    rows = [(c, d.strftime("%Y-%m-%d"), 1000) for d in days for c in cells[: 5 + d.day % 7]]
    rows += [(CENTRE, d.strftime("%Y-%m-%d"), 2330) for d in days[:14]]
    result = evaluate_watches(reports(rows))
    assert result.eval_weeks == ["2024-01-15", "2024-01-22"]
    night = result.watches["night"]["all_day_counts"]
    assert [w["crimes"] for w in night.per_week] == [0, 0]
    assert night.ratio is None and result.held_out["night"] is None
    assert result.watches["day"]["all_day_counts"].ratio == 1.0
    assert "night undefined" in result.verdict
    assert json.loads(json.dumps(to_json(result), allow_nan=False))
