"""Hotspots per watch: which cells to flag for the night, day or evening watch of the week
after a date, with each cell's expected reports in that watch.

Per-watch counts are a third of the all-day counts and noisier, so a cell's forecast borrows
strength: its all-day weekly rate times its share of reports in the watch, that share shrunk
towards its neighbours' share, theirs towards the LAPD area's and the area's towards the
city's. Each level adds `strength` pseudo-reports of the level above (a beta-binomial
posterior mean), so a cell with few reports takes its neighbours' and area's watch profile
and one with many keeps its own. `strength` is chosen by the rolling evaluation
(`watch_evaluation`); an infinite strength gives every cell the city's share, which ranks
cells exactly as their all-day counts do, the stronger of the two baselines.

Reports at the default times (12:00 and 00:01: time unknown) count in the all-day rate, never
in a watch's share or in a watch's test counts; a cell's default-time reports are spread over
the watches by its area's (shrunk) watch profile rather than left out, since they are real
crimes at that place. On the real extract spreading them did a little better than leaving
them out (see the README for the figures).
"""

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from lacrime.calendar import WATCHES, WEEK, parse_watch, watch_codes, watch_hours
from lacrime.data.clean import DEFAULT_TIMES
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError, choose
from lacrime.hotspots.flagging import DEFAULT_SHARE
from lacrime.hotspots.forecast import (
    HORIZON_DAYS,
    checked_resolution,
    forecast_table,
    history_until,
    incomplete_areas,
)
from lacrime.hotspots.grid import Grid, build_grid
from lacrime.hotspots.panel import with_cells

# The value of the `watch` column for a report at a default time: in no watch.
NO_WATCH = -1
# Shrinkage strengths the evaluation chooses from, in pseudo-reports per level.
STRENGTHS: tuple[int, ...] = (30, 100, 300, 1000, 3000)


@dataclass(frozen=True)
class WatchModel:
    """How a cell's expected reports in a watch are computed from its past counts.

    `strength` is the number of pseudo-reports with which each level's watch share is shrunk
    towards the level above (cell -> neighbours -> area -> city): 0 keeps the cell's own share,
    infinity gives every cell the city's. `spread_default_times` adds the cell's default-time
    reports in proportion to its area's watch profile. `label`: the name users read.
    """

    name: str
    kind: str
    strength: float
    spread_default_times: bool
    description: str
    label: str


def watch_share(strength: float) -> WatchModel:
    return WatchModel(
        f"watch_share_{strength:g}",
        "model",
        float(strength),
        True,
        f"All-day rate x watch share shrunk towards neighbours, area and city "
        f"({strength:g} pseudo-reports per level)",
        f"Watch share shrunk towards the neighbours ({strength:g})",
    )


WATCH_MODELS: dict[str, WatchModel] = {
    "all_day_counts": WatchModel(
        "all_day_counts",
        "baseline",
        math.inf,
        True,
        "All-day counts of all past weeks, every watch alike",
        "All-day counts",
    ),
    "watch_counts": WatchModel(
        "watch_counts",
        "baseline",
        0.0,
        False,
        "Past counts of that watch only",
        "That watch's past counts",
    ),
    **{f"watch_share_{k:g}": watch_share(k) for k in STRENGTHS},
}
# Each watch's model as the rolling evaluation of the real extract chose it; `lacrime train`
# stores the choice of its own evaluation, which the CLI and pages use once a version exists.
DEFAULT_WATCH_MODELS: dict[str, str] = {
    "night": "watch_share_100",
    "day": "all_day_counts",
    "evening": "watch_share_1000",
}
BASELINE = "all_day_counts"


def with_watches(frame: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """`panel.with_cells` plus each report's watch: its position in WATCHES, or NO_WATCH for
    a report at a default time."""
    located = with_cells(frame, resolution)
    codes = watch_codes(frame["occurred_at"].dt.hour.to_numpy()).astype("int8")
    codes[frame["time_occ"].isin(DEFAULT_TIMES).to_numpy()] = NO_WATCH
    located["watch"] = codes
    return located


@dataclass(frozen=True)
class WatchHistory:
    """The past counts of every cell of `grid` that watch forecasts are made from.

    `all_day`: every report (default times included); `by_watch`: reports of known time in
    each watch (rows in WATCHES order); `last_week` and `last_4_weeks`: the same per watch
    over the 7 and 28 days before the forecast week; `weeks`: per cell, the weeks its area
    reported completely, which its counts are rates over.
    """

    grid: Grid
    as_of: date
    trained_until: pd.Timestamp
    weeks: np.ndarray
    all_day: np.ndarray
    by_watch: np.ndarray
    last_week: np.ndarray
    last_4_weeks: np.ndarray


def watch_history(
    located: pd.DataFrame,
    as_of: date,
    resolution: int,
    completeness: Completeness | None = None,
) -> WatchHistory:
    """The counts of the reports of `located` (a `with_watches` frame) up to `as_of`.

    With `completeness`, the days an area reported incompletely (the switch to NIBRS,
    reporting lag) count neither in its counts nor in the weeks they are rates over, so a
    drop in reports is never read as a drop in crime.
    """
    cutoff = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    history = located[located["occurred_at"] < cutoff]
    grid = build_grid(history["cell"], history["area_name"], resolution)
    first_day = history["occurred_at"].min().normalize()
    areas = grid.cells["area_name"].to_numpy()
    weeks = np.full(len(grid), (cutoff - first_day) / WEEK)
    if completeness is not None and completeness.gaps:
        days = pd.date_range(first_day, cutoff - pd.Timedelta(days=1), freq="D").to_numpy()
        names = sorted(set(areas))
        gappy = completeness.incomplete(np.repeat(names, len(days)), np.tile(days, len(names)))
        complete = pd.Series((~gappy).reshape(len(names), len(days)).sum(axis=1) / 7, names)
        weeks = complete.reindex(areas).to_numpy(dtype="float64")
        history = history[
            ~completeness.incomplete(history["area_name"].to_numpy(), history["occurred_at"])
        ]
    cell = grid.position(history["cell"].to_numpy())
    watch = history["watch"].to_numpy().astype("int64")
    n, n_watches = len(grid), len(WATCHES)

    def per_watch(since: pd.Timestamp | None) -> np.ndarray:
        keep = watch != NO_WATCH
        if since is not None:
            keep &= (history["occurred_at"] >= since).to_numpy()
        flat = np.bincount(watch[keep] * n + cell[keep], minlength=n_watches * n)
        return flat.reshape(n_watches, n).astype("float64")

    return WatchHistory(
        grid=grid,
        as_of=pd.Timestamp(as_of).date(),
        trained_until=located.loc[located["occurred_at"] < cutoff, "occurred_at"].max(),
        weeks=weeks,
        all_day=np.bincount(cell, minlength=n).astype("float64"),
        by_watch=per_watch(None),
        last_week=per_watch(cutoff - WEEK),
        last_4_weeks=per_watch(cutoff - 4 * WEEK),
    )


def _shrink(counts: np.ndarray, total: np.ndarray, prior: np.ndarray, strength: float):
    """The share counts/total with `strength` pseudo-reports at the share `prior`."""
    if math.isinf(strength):
        return np.broadcast_to(prior, counts.shape).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (counts + strength * prior) / (total + strength)
    return np.where(total + strength > 0, share, prior)


def watch_shares(history: WatchHistory, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's share of reports in each watch, and its area's, both shrunk with `strength`
    (arrays of shape watches x cells)."""
    by_watch = history.by_watch
    city = by_watch.sum(axis=1) / max(by_watch.sum(), 1)
    areas = history.grid.cells["area_name"].to_numpy()
    per_area = pd.DataFrame(by_watch.T).groupby(areas).sum().reindex(areas).to_numpy().T
    area = _shrink(per_area, per_area.sum(axis=0), city[:, None], strength)
    ring = history.grid.ring(1)
    around = np.vstack([ring @ row for row in by_watch])
    neighbours = _shrink(around, around.sum(axis=0), area, strength)
    own = _shrink(by_watch, by_watch.sum(axis=0), neighbours, strength)
    return own, area


def expected_reports(history: WatchHistory, model: WatchModel, watch: str) -> np.ndarray:
    """Each cell's expected reports in `watch` over the week after the history, by `model`."""
    w = list(WATCHES).index(watch)
    own, area = watch_shares(history, model.strength)
    known = history.by_watch.sum(axis=0)
    total = known * own[w]  # with strength 0, the watch's own counts
    if model.spread_default_times:
        total = total + (history.all_day - known) * area[w]
    return total / np.maximum(history.weeks, 1e-9)


@dataclass
class WatchForecaster:
    """One watch's expected reports in every cell for the week after `as_of`, kept whole so a
    page flags cells at any coverage or allocation without refitting; as `HotspotForecaster`."""

    model: WatchModel
    watch: str
    grid: Grid
    as_of: date
    trained_until: pd.Timestamp
    expected: np.ndarray
    recent: pd.DataFrame
    seconds: float = 0.0
    incomplete_areas: tuple[str, ...] = ()

    @property
    def window(self) -> tuple[date, date]:
        start = pd.Timestamp(self.as_of) + pd.Timedelta(days=1)
        return start.date(), (start + WEEK - pd.Timedelta(days=1)).date()

    def forecast(
        self, coverage: float = DEFAULT_SHARE, allocation: str = "citywide"
    ) -> pd.DataFrame:
        """Every cell ranked by its expected reports in the watch (`risk`), the top `coverage`
        share flagged, with a `watch` column; `last_week` and `last_4_weeks` count that
        watch's reports of known time."""
        start, end = self.window
        attrs = {
            "as_of": self.as_of.isoformat(),
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "horizon_days": HORIZON_DAYS,
            "model": self.model.name,
            "feature_names": ["all-day counts", "watch counts", "neighbours", "area"],
            "resolution": self.grid.resolution,
            "trained_until": self.trained_until.isoformat(),
            "watch": self.watch,
            "watch_hours": watch_hours(self.watch),
            "risk": "expected reports in the watch",
        }
        table = forecast_table(
            self.expected,
            self.grid,
            self.recent,
            coverage=coverage,
            allocation=allocation,
            attrs=attrs,
            expected=self.expected,
        )
        table["watch"] = self.watch
        return table


def fit_watch_at(
    located: pd.DataFrame,
    as_of: date,
    models: Mapping[str, WatchModel],
    *,
    resolution: int,
    watches: tuple[str, ...] = tuple(WATCHES),
    completeness: Completeness | None = None,
) -> dict[str, dict[str, WatchForecaster]]:
    """Per watch, each of `models` fitted on the reports of `located` (a `with_watches`
    frame) up to `as_of`: watch -> model name -> forecaster.

    The one place a watch forecast is made: `fit_watch_forecaster` calls it for what is
    served and the rolling evaluation for each of its weeks. The counts are shared by all;
    `completeness`: see `watch_history`.
    """
    started = time.perf_counter()
    history = watch_history(located, as_of, resolution, completeness)
    late = incomplete_areas(completeness, pd.Timestamp(as_of) + pd.Timedelta(days=1), history.grid)
    shared = time.perf_counter() - started
    fitted: dict[str, dict[str, WatchForecaster]] = {}
    for watch in watches:
        w = list(WATCHES).index(watch)
        recent = pd.DataFrame(
            {"last_week": history.last_week[w], "last_4_weeks": history.last_4_weeks[w]},
            index=history.grid.ids,
        )
        fitted[watch] = {}
        for name, model in models.items():
            began = time.perf_counter()
            fitted[watch][name] = WatchForecaster(
                model=model,
                watch=watch,
                grid=history.grid,
                as_of=history.as_of,
                trained_until=history.trained_until,
                expected=np.round(expected_reports(history, model, watch), 12),
                recent=recent,
                seconds=shared + time.perf_counter() - began,
                incomplete_areas=late,
            )
    return fitted


def fit_watches(
    frame: pd.DataFrame,
    *,
    as_of: date,
    models: Mapping[str, str | None],
    resolution: int | None = None,
    located: pd.DataFrame | None = None,
    completeness: Completeness | None = None,
) -> dict[str, WatchForecaster]:
    """The forecast of each watch in `models` (watch -> model name; None for the watch's
    entry in DEFAULT_WATCH_MODELS) for the week after `as_of`, trained on the reports of
    `frame` up to that day; the watches share one pass over the reports. `located` may give
    `with_watches` of those reports, when the caller has it, to save locating them again."""
    chosen = {
        parse_watch(watch): choose(
            model or DEFAULT_WATCH_MODELS[parse_watch(watch)], WATCH_MODELS, "watch model"
        )
        for watch, model in models.items()
    }
    resolution = checked_resolution(resolution)
    as_of = pd.Timestamp(as_of).date()
    if located is None:
        located = with_watches(history_until(frame, as_of), resolution)
    if not (located["watch"] != NO_WATCH).any():
        raise LacrimeError(f"as_of {as_of}: no report of known time to learn the watches from")
    fitted = fit_watch_at(
        located,
        as_of,
        {name: WATCH_MODELS[name] for name in set(chosen.values())},
        resolution=resolution,
        watches=tuple(chosen),
        completeness=completeness,
    )
    return {watch: fitted[watch][name] for watch, name in chosen.items()}


def fit_watch_forecaster(
    frame: pd.DataFrame,
    *,
    as_of: date,
    watch: str,
    model: str | None = None,
    resolution: int | None = None,
    completeness: Completeness | None = None,
) -> WatchForecaster:
    """`watch`'s forecast for the week after `as_of` by `model` (default: the watch's entry in
    DEFAULT_WATCH_MODELS), trained on the reports of `frame` up to that day."""
    watch = parse_watch(watch)
    fitted = fit_watches(
        frame,
        as_of=as_of,
        models={watch: model},
        resolution=resolution,
        completeness=completeness,
    )
    return fitted[watch]


def forecast_watch(
    frame: pd.DataFrame,
    *,
    as_of: date,
    watch: str,
    coverage: float = DEFAULT_SHARE,
    model: str | None = None,
    allocation: str = "citywide",
    resolution: int | None = None,
    completeness: Completeness | None = None,
) -> pd.DataFrame:
    """Every grid cell with its expected reports (`risk`), rank and flag in `watch` for the 7
    days after `as_of`; the columns of `forecast.forecast_hotspots` plus `watch`."""
    forecaster = fit_watch_forecaster(
        frame,
        as_of=as_of,
        watch=watch,
        model=model,
        resolution=resolution,
        completeness=completeness,
    )
    return forecaster.forecast(coverage=coverage, allocation=allocation)
