"""Hotspot forecasts: which cells to flag for the week after a date, and how it went afterwards.

A forecast made "as of" a day sees only reports that occurred on or before it, trains its model
on the weeks up to it, and ranks every cell of the grid for the following 7 days. Only a 7-day
horizon is offered: the models are trained and evaluated on one-week targets, and a ranking for
3 or 14 days would carry the 7-day evaluation's numbers without having earned them.
"""

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import h3
import numpy as np
import pandas as pd

from lacrime.calendar import WEEK
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError, choose
from lacrime.hotspots.calibration import expected_reports, percentile
from lacrime.hotspots.flagging import (
    DEFAULT_SHARE,
    check_flagging,
    flag_cells,
    hit_metrics,
    risk_order,
)
from lacrime.hotspots.grid import (
    DEFAULT_RESOLUTION,
    RESOLUTIONS,
    Grid,
    build_grid,
    cell_polygon,
    locate,
)
from lacrime.hotspots.models import DEFAULT_MODEL, MODELS, HotspotModel
from lacrime.hotspots.panel import build_panel, with_cells

# Rows of at most this many weeks before the forecast week train a model (features still use
# all history): half a year keeps the full dataset within the time budget and follows change.
MAX_TRAIN_WEEKS = 26
# Full weeks of reports a forecast or an evaluation week needs before it: a training week's
# features come from the weeks before it, so the first week trains nothing and two is the least
# that leaves a week to learn from. Error messages say "two full weeks".
MIN_HISTORY_WEEKS = 2
HORIZON_DAYS = 7
FORECAST_COLUMNS = (
    "cell",
    "rank",
    "expected",
    "percentile",
    "risk",
    "flagged",
    "area_name",
    "lat",
    "lon",
    "last_week",
    "last_4_weeks",
)


@dataclass
class HotspotForecaster:
    """A model trained up to `as_of`, with the risk of every grid cell for the week after it.

    Kept whole so that training can store it and a page can flag cells at any coverage or
    allocation later without retraining.
    """

    model: HotspotModel
    grid: Grid
    as_of: date
    trained_until: pd.Timestamp
    risk: np.ndarray
    recent: pd.DataFrame
    seconds: float = 0.0
    # Areas whose reports of the 4 weeks before the forecast week are incomplete (the switch to
    # NIBRS, reporting lag): their cells' risk rests on partial counts.
    incomplete_areas: tuple[str, ...] = ()
    # Each cell's expected reports in the forecast week (`calibration.expected_reports`); None
    # for a forecaster stored before it existed (the class default fills old pickles in), or
    # trained on too few weeks to calibrate: its table then shows no expected reports.
    expected: np.ndarray | None = None

    @property
    def window(self) -> tuple[date, date]:
        """First and last day of the forecast week."""
        start = pd.Timestamp(self.as_of) + pd.Timedelta(days=1)
        return start.date(), (start + WEEK - pd.Timedelta(days=1)).date()

    def forecast(
        self, coverage: float = DEFAULT_SHARE, allocation: str = "citywide"
    ) -> pd.DataFrame:
        """Every cell, ranked by risk (1 = highest), with the top `coverage` share flagged."""
        start, end = self.window
        attrs = {
            "as_of": self.as_of.isoformat(),
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "horizon_days": HORIZON_DAYS,
            "model": self.model.name,
            "feature_names": list(self.model.feature_names),
            "resolution": self.grid.resolution,
            "trained_until": self.trained_until.isoformat(),
            "incomplete_areas": list(self.incomplete_areas),
            "expected": "expected reports in the week, the model's risk calibrated",
        }
        return forecast_table(
            self.risk,
            self.grid,
            self.recent,
            coverage=coverage,
            allocation=allocation,
            attrs=attrs,
            expected=self.expected,
        )


def forecast_table(
    risk: np.ndarray,
    grid: Grid,
    recent: pd.DataFrame,
    *,
    coverage: float,
    allocation: str,
    attrs: dict,
    expected: np.ndarray | None,
) -> pd.DataFrame:
    """The FORECAST_COLUMNS table of every cell of `grid` ranked by `risk` (1 = highest), the
    top `coverage` share flagged; `recent` holds each cell's `last_week` and `last_4_weeks`,
    which also weigh the areas of a proportional allocation. `attrs` describe the forecast.

    `expected` (reports next week; NaN where None) and `percentile` read the same for every
    model, where `risk` is on each model's own scale."""
    allocation = check_flagging(coverage, allocation)
    cells = grid.cells
    area_weights = recent.groupby(cells["area_name"].to_numpy())["last_4_weeks"].sum()
    flagged = flag_cells(risk, cells, coverage, allocation=allocation, area_weights=area_weights)
    order = risk_order(risk, cells.index)
    rank = np.empty(len(cells), dtype="int64")
    rank[order] = np.arange(1, len(cells) + 1)
    table = pd.DataFrame(
        {
            "cell": cells.index.to_numpy(dtype="str"),
            "rank": rank,
            "expected": np.full(len(cells), np.nan) if expected is None else expected,
            "percentile": percentile(risk),
            "risk": risk,
            "flagged": flagged,
            "area_name": cells["area_name"].to_numpy(),
            "lat": cells["lat"].to_numpy(),
            "lon": cells["lon"].to_numpy(),
            "last_week": recent["last_week"].to_numpy().astype("int64"),
            "last_4_weeks": recent["last_4_weeks"].to_numpy().astype("int64"),
        },
        columns=list(FORECAST_COLUMNS),
    ).sort_values("rank", ignore_index=True)
    table.attrs = {**attrs, "coverage": coverage, "allocation": allocation}
    return table


def fit_at(
    located: pd.DataFrame,
    as_of: date,
    models: Mapping[str, Callable[[], HotspotModel]],
    *,
    resolution: int,
    share: float = DEFAULT_SHARE,
    max_train_weeks: int = MAX_TRAIN_WEEKS,
    completeness: Completeness | None = None,
    calibrate: bool = True,
) -> dict[str, HotspotForecaster]:
    """Each of `models` (name: factory, as `models.MODELS`) trained on the reports of `located`
    (a `panel.with_cells` frame) up to `as_of`, with its risk for every cell in the week after.

    The one place a hotspot model is trained: `fit_forecaster` calls it for the forecast that
    ships, and the rolling evaluation for each of its weeks, so what is evaluated is what is
    served. Several models share one grid and panel, which are the costly part. With
    `completeness`, the weeks an area reported incompletely train nothing in that area. Each
    forecaster's `expected` reports come from `calibration.expected_reports`: a learner is
    trained a second time without its last training week to calibrate on that week, since its
    risk on the rows it learnt from would promise more than it keeps. The rolling evaluation,
    which scores the ranking only, passes `calibrate=False` and skips that second fit
    (`benchmarks/calibration.py` checks the expected reports on the same weeks).
    """
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    history = located[located["occurred_at"] < cutoff]
    grid = build_grid(history["cell"], history["area_name"], resolution)
    panel = build_panel(
        history,
        grid,
        target_start=cutoff,
        share=share,
        weeks=max_train_weeks,
        completeness=completeness,
    )
    train, target = panel.training_rows(), panel.target_rows()
    recent = pd.DataFrame(
        {
            "last_week": target["lag_1"].to_numpy(),
            "last_4_weeks": target["last_4_weeks"].to_numpy(),
        },
        index=grid.ids,
    )
    fitted = {}
    for name, factory in models.items():
        started = time.perf_counter()
        model = factory().fit(train)
        risk = np.asarray(model.risk(target), dtype="float64")
        expected = expected_reports(factory, model, train, risk) if calibrate else None
        fitted[name] = HotspotForecaster(
            model=model,
            grid=grid,
            as_of=pd.Timestamp(as_of).date(),
            trained_until=history["occurred_at"].max(),
            risk=risk,
            recent=recent,
            seconds=time.perf_counter() - started,
            incomplete_areas=incomplete_areas(completeness, cutoff, grid),
            expected=expected,
        )
    return fitted


def incomplete_areas(
    completeness: Completeness | None, target_start: pd.Timestamp, grid: Grid
) -> tuple[str, ...]:
    """The areas of `grid` that reported any of the 4 weeks before `target_start` incompletely."""
    if completeness is None or not completeness.gaps:
        return ()
    starts = pd.DatetimeIndex([target_start - k * WEEK for k in range(4, 0, -1)])
    gappy = completeness.incomplete_weeks(starts, sorted(set(grid.cells["area_name"])))
    return tuple(str(area) for area in gappy.columns[gappy.any().to_numpy()])


def fit_forecaster(
    frame: pd.DataFrame,
    *,
    as_of: date,
    model: str | None = None,
    resolution: int | None = None,
    share: float = DEFAULT_SHARE,
    horizon_days: int = HORIZON_DAYS,
    max_train_weeks: int = MAX_TRAIN_WEEKS,
    completeness: Completeness | None = None,
) -> HotspotForecaster:
    """Train `model` (default DEFAULT_MODEL) on reports up to `as_of` and score the next week,
    once the request is one the models were evaluated for (`completeness`: see `fit_at`)."""
    check_horizon(horizon_days)
    name = choose(model or DEFAULT_MODEL, MODELS, "hotspot model")
    resolution = checked_resolution(resolution)
    as_of = pd.Timestamp(as_of).date()
    located = with_cells(history_until(frame, as_of), resolution)
    fitted = fit_at(
        located,
        as_of,
        {name: MODELS[name]},
        resolution=resolution,
        share=share,
        max_train_weeks=max_train_weeks,
        completeness=completeness,
    )
    return fitted[name]


def check_horizon(horizon_days: int) -> None:
    if horizon_days != HORIZON_DAYS:
        raise LacrimeError(
            f"horizon_days {horizon_days}: hotspot forecasts are for the {HORIZON_DAYS} days "
            "after as_of only, the span the models were trained and evaluated on"
        )


def checked_resolution(resolution: int | None) -> int:
    """The H3 resolution asked for (DEFAULT_RESOLUTION if None), once it is one offered."""
    resolution = DEFAULT_RESOLUTION if resolution is None else resolution
    if resolution not in RESOLUTIONS:
        raise LacrimeError(
            f"resolution {resolution}: use an H3 resolution from "
            f"{RESOLUTIONS.start} to {RESOLUTIONS.stop - 1}"
        )
    return resolution


def history_until(frame: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The reports of `frame` up to the end of `as_of`, once they can train a forecast: the
    data reach `as_of` (later days would be read as days without crime) and hold two full
    weeks before it."""
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    history = frame[frame["occurred_at"] < cutoff]
    if history.empty:
        raise LacrimeError(f"as_of {as_of}: no report occurred on or before that day")
    last_day = history["occurred_at"].max().normalize()
    if last_day < pd.Timestamp(as_of):
        raise LacrimeError(
            f"as_of {as_of} is after the last report ({last_day.date()}): the days between "
            "would be read as days without crime; choose an as_of within the data"
        )
    first_day = history["occurred_at"].min().normalize()
    if cutoff - MIN_HISTORY_WEEKS * WEEK < first_day:
        raise LacrimeError(
            f"as_of {as_of}: hotspot forecasts need two full weeks of reports up to that day; "
            f"the data start on {first_day.date()}"
        )
    return history


def forecast_hotspots(
    frame: pd.DataFrame,
    *,
    as_of: date,
    horizon_days: int = HORIZON_DAYS,
    coverage: float = DEFAULT_SHARE,
    model: str | None = None,
    allocation: str = "citywide",
    resolution: int | None = None,
    completeness: Completeness | None = None,
) -> pd.DataFrame:
    """Every grid cell with its risk, rank and flag for the 7 days after `as_of`.

    Columns FORECAST_COLUMNS; `risk` ranks cells on the model's own scale (see
    `HotspotModel.risk`), `expected` is it calibrated to reports next week. `attrs` records
    the model, its features, the window and the latest
    report used. `model` defaults to DEFAULT_MODEL, the best by the evaluation on the
    real extract; pass the evaluation's `default_model` to follow a newer evaluation.
    """
    allocation = check_flagging(coverage, allocation)
    forecaster = fit_forecaster(
        frame,
        as_of=as_of,
        model=model,
        resolution=resolution,
        horizon_days=horizon_days,
        completeness=completeness,
    )
    return forecaster.forecast(coverage=coverage, allocation=allocation)


def to_geojson(forecast: pd.DataFrame) -> dict:
    """An RFC 7946 FeatureCollection: one Polygon per cell, [lon, lat] rings, counter-clockwise."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [cell_polygon(row.cell)]},
            "properties": {
                "cell": row.cell,
                "expected": _finite(row.expected),
                "percentile": _finite(row.percentile),
                "risk": _finite(row.risk),
                "rank": int(row.rank),
                "flagged": bool(row.flagged),
                "area_name": str(row.area_name),
                "last_week": int(row.last_week),
                "last_4_weeks": int(row.last_4_weeks),
                **({"watch": str(row.watch)} if "watch" in forecast else {}),
            },
        }
        for row in forecast.itertuples(index=False)
    ]
    return {"type": "FeatureCollection", "features": features}


def score_forecast(forecast: pd.DataFrame, actual_frame: pd.DataFrame) -> dict:
    """Hit rate, PAI and PEI* of the forecast's flags against the reports in `actual_frame`.

    `actual_frame` holds the reports of the span to score (normally the forecast's window,
    `forecast.attrs["window_start"]` to `["window_end"]`); each counts in N, including reports
    outside the grid, which are misses.
    """
    if forecast.empty:
        raise LacrimeError("the forecast has no cells to score")
    resolution = h3.get_resolution(forecast["cell"].iloc[0])
    cells = pd.Index(forecast["cell"], dtype="str")
    located = pd.Series(locate(actual_frame["lat"], actual_frame["lon"], resolution), dtype="str")
    counts = located.value_counts().reindex(cells, fill_value=0).to_numpy()
    flagged = forecast["flagged"].to_numpy(dtype=bool)
    crimes = len(actual_frame)
    days = actual_frame["occurred_at"]
    return {
        **{k: _finite(v) for k, v in hit_metrics(counts, flagged, crimes).items()},
        "coverage": _finite(flagged.mean()),
        "flagged_cells": int(flagged.sum()),
        "cells": len(cells),
        "crimes": crimes,
        "crimes_in_flagged": int(counts[flagged].sum()),
        "crimes_outside_grid": int(crimes - counts.sum()),
        "actual_span": [days.min().date().isoformat(), days.max().date().isoformat()]
        if crimes
        else None,
    }


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
