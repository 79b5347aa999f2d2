"""The tables behind the Hotspot map page and the area section of Data & fairness, computed from
a forecast (`HotspotForecaster.forecast`) without Streamlit, so each figure can be checked.

Shares of crime come from the forecast's own `last_week` and `last_4_weeks` counts: the reports
the model saw just before the forecast week, on the same grid and crime group as the flags.
"""

import dataclasses
from collections.abc import Mapping
from datetime import date, timedelta

import h3
import numpy as np
import pandas as pd

from lacrime.calendar import WATCHES, WEEK, last_full_sunday, watch_codes
from lacrime.data.categories import GROUPS as GROUPS
from lacrime.data.clean import DEFAULT_TIMES
from lacrime.data.completeness import Completeness
from lacrime.data.privacy import only_locatable
from lacrime.errors import LacrimeError
from lacrime.hotspots.flagging import ALLOCATIONS as ALLOCATIONS
from lacrime.hotspots.flagging import DEFAULT_SHARE as DEFAULT_SHARE
from lacrime.hotspots.flagging import HEADLINE_COVERAGE as HEADLINE_COVERAGE
from lacrime.hotspots.flagging import area_ratios
from lacrime.hotspots.forecast import (
    FORECAST_COLUMNS,
    MIN_HISTORY_WEEKS,
    HotspotForecaster,
    fit_forecaster,
    score_forecast,
)
from lacrime.hotspots.forecast import (
    to_geojson as to_geojson,
)
from lacrime.hotspots.grid import locate
from lacrime.hotspots.models import MODELS
from lacrime.hotspots.models import label as model_label
from lacrime.hotspots.zones import PatrolPlan, patrol_plan

# What the map page offers, in the order it offers them.
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
# The allocation control's short names (the flagging modes' full names are in its help).
ALLOCATION_CHOICES: dict[str, str] = {"citywide": "City-wide", "proportional": "By area crime"}
# The watch control: all day (the hotspot models) or one watch (`hotspots.watch`).
ALL_DAY = "all"
WATCH_CHOICES: tuple[str, ...] = (ALL_DAY, *WATCHES)

# Beyond these ratios (share of flagged cells / share of crime) an area gets a wide margin more
# or less attention than its crime would justify.
OVER_FLAGGED = 2.0
UNDER_FLAGGED = 0.5


def forecast_weeks(first_day: date, last_day: date) -> list[date]:
    """The Sundays a forecast can be made as of, newest first.

    The newest is the last Sunday in the data (its week after is the one to plan for); the
    oldest is the first with two full weeks of reports before it. Each week starts on Monday,
    as the evaluation's weeks do.
    """
    newest = last_full_sunday(last_day)
    oldest = first_day + timedelta(weeks=MIN_HISTORY_WEEKS, days=-1)
    weeks = []
    while newest >= oldest:
        weeks.append(newest)
        newest -= timedelta(days=7)
    return weeks


def week_label(as_of: date) -> str:
    """The forecast week after `as_of` (Monday to Sunday), short enough for the map's row of
    controls: "25–31 Mar 2024", "26 Feb – 3 Mar 2024" (a shared link carries `as_of`'s ISO
    date instead)."""
    start, end = as_of + timedelta(days=1), as_of + timedelta(days=7)
    if start.month == end.month:
        return f"{start.day}–{end.day} {end:%b %Y}"
    return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"


def model_choice_label(name: str, default: str) -> str:
    """A model as the map's control names it: its human name, "(default)" after the default."""
    return f"{model_label(name)} (default)" if name == default else model_label(name)


def group_label(group: str | None) -> str:
    return "All groups" if group is None else group


def area_label(area: str | None) -> str:
    return "Whole city" if area is None else area


def watch_label(watch: str) -> str:
    """A watch as the map's control names it: "All day", "Night (23–07 h)"."""
    if watch == ALL_DAY:
        return "All day"
    first, after = WATCHES[watch]
    return f"{watch.capitalize()} ({first:02d}–{after:02d} h)"


def fit_for(
    frame: pd.DataFrame,
    *,
    as_of: date,
    model: str,
    group: str | None,
    resolution: int,
    completeness: Completeness | None = None,
) -> HotspotForecaster:
    """A forecaster for one choice of the page, trained on one crime group's reports if given.

    A group's forecast ranks the cells around that group's reports only: its grid, and so the
    share of cells a coverage flags, is the group's own. Like the stored one, it learns nothing
    from the area-weeks `completeness` marks as incompletely reported.
    """
    if group is not None:
        frame = frame[frame["crime_group"] == group]
        if frame.empty:
            raise LacrimeError(f"crime group {group!r}: no report of it in the current dataset")
    return fit_forecaster(
        frame, as_of=as_of, model=model, resolution=resolution, completeness=completeness
    )


def selection(forecast: pd.DataFrame, area: str | None) -> pd.DataFrame:
    """The forecast's cells of `area`, or of the whole city: every table of the map page is of
    one selection, so its counts and shares agree with each other."""
    return forecast if area is None else forecast[forecast["area_name"] == area]


def flagged_cells(forecast: pd.DataFrame, area: str | None) -> pd.DataFrame:
    """The selection's flagged cells with the forecast's own columns, as a download offers them,
    so a saved file reads like `forecast_hotspots` output restricted to what is flagged."""
    cells = selection(forecast, area)
    columns = [*FORECAST_COLUMNS, *(["watch"] if "watch" in cells else [])]
    return cells.loc[cells["flagged"], columns]


def flagged_table(forecast: pd.DataFrame, area: str | None = None) -> pd.DataFrame:
    """The flagged cells (of `area`, or the whole city), riskiest first, each with its share of
    the selection's reports last week and over the last 4 weeks.

    The shares of a cell are of all cells of the selection, flagged or not, so they add up to
    what `flagged_share` reports for the same selection.
    """
    cells = selection(forecast, area)
    flagged = cells[cells["flagged"]].sort_values("rank")
    columns = ["rank", "cell", "area_name", "expected", "percentile", "risk"]
    table = flagged[[*columns, "last_week", "last_4_weeks"]].copy()
    for column in ("last_week", "last_4_weeks"):
        total = cells[column].sum()
        table[f"{column}_share"] = flagged[column] / total if total else np.nan
    return table.reset_index(drop=True)


def flagged_share(forecast: pd.DataFrame, area: str | None = None) -> dict:
    """How many cells of the selection are flagged, the reports expected in them next week
    (NaN for a forecaster stored before expected reports existed), and what share of the
    selection's recent reports (last week, last 4 weeks) those cells held."""
    cells = selection(forecast, area)
    flagged = cells["flagged"].to_numpy(dtype=bool)
    km2 = np.array([h3.cell_area(cell, "km^2") for cell in cells["cell"]], dtype="float64")
    out = {"cells": len(cells), "flagged": int(flagged.sum())}
    out["cell_share"] = out["flagged"] / out["cells"] if out["cells"] else np.nan
    out["cell_km2"] = float(km2.mean()) if len(km2) else np.nan
    out["flagged_km2"] = float(km2[flagged].sum())
    expected = cells.loc[flagged, "expected"]
    out["flagged_expected"] = float(expected.sum(min_count=1)) if len(expected) else 0.0
    for column in ("last_week", "last_4_weeks"):
        counts = cells[column].to_numpy()
        out[f"{column}_crimes"] = int(counts.sum())
        out[f"{column}_share"] = counts[flagged].sum() / counts.sum() if counts.sum() else np.nan
    return out


def past_reports(
    frame: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    group: str | None,
    area: str | None,
    watch: str,
) -> tuple[pd.DataFrame, str]:
    """The reports the map shows as points, and the span they are of: the forecast week's once
    it is in `frame` (a point inside a flagged outline is a hit, outside one a miss), else the
    week before it, the last the forecast saw. Only reports whose place may be shown
    (`privacy.only_locatable`: never a sex offence), of the group, area and watch in view."""
    start = pd.Timestamp(forecast.attrs["window_start"])
    if frame["occurred_at"].max().normalize() < pd.Timestamp(forecast.attrs["window_end"]):
        start -= WEEK
        span = f"last week ({start:%a %d %b} – {start + WEEK - pd.Timedelta(days=1):%a %d %b})"
    else:
        span = (
            f"the forecast week ({start:%a %d %b} – {start + WEEK - pd.Timedelta(days=1):%a %d %b})"
        )
    reports = _of_week(frame, start, group, watch)
    if area is not None:
        reports = reports[reports["area_name"] == area]
    return only_locatable(reports)[["lat", "lon"]].reset_index(drop=True), span


def _of_week(
    frame: pd.DataFrame, start: pd.Timestamp, group: str | None, watch: str
) -> pd.DataFrame:
    """The reports of the 7 days from `start`, of `group` (None: all) and `watch` (ALL_DAY, or
    a watch: its reports of known time only, as its forecasts are scored)."""
    week = frame[(frame["occurred_at"] >= start) & (frame["occurred_at"] < start + WEEK)]
    if group is not None:
        week = week[week["crime_group"] == group]
    if watch != ALL_DAY:
        code = list(WATCHES).index(watch)
        hours = watch_codes(week["occurred_at"].dt.hour.to_numpy())
        week = week[(hours == code) & ~week["time_occ"].isin(DEFAULT_TIMES).to_numpy()]
    return week


def area_spread(forecasts: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per LAPD area: its share of the last 4 weeks' reports and, for each forecast (keyed by
    allocation mode), its flagged cells, its share of all flags and the ratio of the two; the
    areas with the most crime first.

    A ratio of 1 means the area gets flags in proportion to its crime; the forecasts must come
    from one forecaster, so they share cells and recent counts.
    """
    first = next(iter(forecasts.values()))
    crimes = first.groupby("area_name")["last_4_weeks"].sum()
    flags = {mode: f.groupby("area_name")["flagged"].sum() for mode, f in forecasts.items()}
    table = area_ratios(crimes, flags).rename_axis("area_name").reset_index()
    return table.sort_values(
        ["crime_share", "area_name"], ascending=[False, True], ignore_index=True
    )


def unbalanced_areas(spread: pd.DataFrame, mode: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Areas of `area_spread` flagged far beyond their share of crime, and areas left with
    almost none (a ratio under UNDER_FLAGGED, none at all included), most extreme first."""
    ratio = spread[["area_name", f"{mode}_ratio"]].rename(columns={f"{mode}_ratio": "ratio"})
    over = ratio[ratio["ratio"] > OVER_FLAGGED].sort_values("ratio", ascending=False)
    under = ratio[ratio["ratio"] < UNDER_FLAGGED].sort_values("ratio")
    return over.reset_index(drop=True), under.reset_index(drop=True)


def imbalance_lines(spread: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """One sentence per allocation mode (`labels`: mode to name) naming its unbalanced areas,
    each with its ratio; none for a mode without any."""
    lines = []
    for mode, label in labels.items():
        over, under = unbalanced_areas(spread, mode)
        parts = []
        if len(over):
            parts.append(f"more than {OVER_FLAGGED:g} times their share of crime: {_ratios(over)}")
        if len(under):
            parts.append(f"under {UNDER_FLAGGED:g} times their share, or none: {_ratios(under)}")
        if parts:
            lines.append(f"**{label}** flags " + "; ".join(parts) + ".")
    return lines


def _ratios(areas: pd.DataFrame) -> str:
    return ", ".join(f"{row.area_name} ({row.ratio:.2f}×)" for row in areas.itertuples())


def week_outcome(
    forecast: pd.DataFrame,
    frame: pd.DataFrame,
    group: str | None,
    area: str | None = None,
    watch: str = ALL_DAY,
) -> dict | None:
    """How the forecast's flags did on the reports of its week, when that week is in `frame`
    (None when it is not, or not completely: a partial week would understate the crimes).

    With `area`, the area's own cells against the reports that occurred in them: the hit rate
    and PAI of the area as if it were the city. With a watch, that watch's reports of known time.
    """
    last = pd.Timestamp(forecast.attrs["window_end"])
    if frame["occurred_at"].max().normalize() < last:
        return None
    week = _of_week(frame, pd.Timestamp(forecast.attrs["window_start"]), group, watch)
    if area is not None:
        cells = locate(week["lat"], week["lon"], forecast.attrs["resolution"])
        forecast = selection(forecast, area)
        week = week[np.isin(cells, forecast["cell"])]
    return score_forecast(forecast, week) if len(week) else None


def download_name(forecast: pd.DataFrame, choice: tuple) -> str:
    """A download's file name from the view: week, model (or watch), coverage, allocation,
    group and area, in ids rather than labels, without spaces."""
    _, model, group, watch, area, coverage, allocation = choice
    parts = [
        "hotspots",
        forecast.attrs["window_start"],
        model if watch == ALL_DAY else watch,
        f"{round(coverage * 100)}pct",
        allocation,
        *([group] if group else []),
        *([area] if area else []),
    ]
    return "_".join(parts).replace(" ", "_")


def map_plan(forecast: pd.DataFrame, frame: pd.DataFrame, area: str | None) -> PatrolPlan:
    """The patrol plan of the map's view: the cells it flags in `area` (None: the city) joined
    into zones, so the plan read aloud is what the map shows; the share of each zone is of the
    area's expected reports. (The briefing's plan instead flags a share of the area's own
    cells, `decision.plan_for`.)"""
    plan = patrol_plan(selection(forecast, area), frame, area=None)
    return dataclasses.replace(plan, area=area)


# Zones the page lists (the busiest first); the CSV download holds them all.
PLAN_ROWS = 12
PLAN_HEADINGS = {
    "zone": "Zone",
    "cells": "Cells",
    "expected_reports": "Expected reports",
    "share_of_area": "Share of the area's expected reports",
    "streets": "Streets most reported (reports, last 8 weeks)",
}


def plan_table(plan: PatrolPlan) -> pd.DataFrame:
    """The plan's zones as the page lists them: headings a reader knows, one decimal."""
    table = plan.table()[list(PLAN_HEADINGS)]
    table["expected_reports"] = table["expected_reports"].map(lambda v: f"{v:.1f}")
    return table.rename(columns=PLAN_HEADINGS)
