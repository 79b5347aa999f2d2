"""The weekly briefing's content: what a roll call needs about one area (or the city) for the
week after a date, gathered from the same functions as the pages and the CLI. `briefing_pdf`
turns it into two printable pages.

Everything in it is an aggregate: cells, zones, areas and street names counted over many
reports, the streets only from reports whose place may be shown (`hotspots.zones`).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import h3
import pandas as pd

from lacrime.app.decision import (
    heating_up,
    located_until,
    pattern_counts,
    plan_for,
    trends_for,
    watch_forecasters,
    watch_models,
    watch_summary,
)
from lacrime.calendar import WATCHES, parse_watch, watch_hours
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError, choose
from lacrime.hotspots.emerging import HEATING_UP, EmergingHotspots
from lacrime.hotspots.watch import WatchForecaster
from lacrime.hotspots.zones import PatrolPlan, zone_outline
from lacrime.ops.registry import ModelVersion
from lacrime.ops.train import TrainingRecord

CITY = "city"
# A patrol plan flags this share of the area's cells: at the map's 5%, most areas of ~80
# cells would get three or four, too few zones to hand out.
PLAN_COVERAGE = 0.10
# LAPD moved its crime reports to a new records system (NIBRS) from 7 March 2024; the
# legacy-format feed holds fewer reports from then on.
RECORDS_SYSTEM_CHANGE = date(2024, 3, 7)
RECORDS_SYSTEM_CAVEAT = (
    "LAPD moved its crime records to a new system (NIBRS) from 7 March 2024: the legacy-format "
    "feed holds fewer reports from then on, so counts after that day undercount crime."
)
TREND_ROWS = 8


@dataclass(frozen=True)
class MapShapes:
    """What the briefing's map draws: the area's outline rings, every cell of the area, its
    flagged cells (per watch shown) and the zones, each ring as [lon, lat] points."""

    outline: list[list[list[float]]]
    cells: list[str]
    flagged: dict[str, list[str]]
    zones: dict[str, list[tuple[int, list[list[list[float]]]]]]
    heating_up: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Briefing:
    """One area's (None: the city's) briefing for the week after `as_of`."""

    area: str | None
    as_of: date
    window: tuple[date, date]
    watches: list[str]
    coverage: float
    headline: list[str]
    per_watch: pd.DataFrame
    plans: dict[str, PatrolPlan]
    patterns: dict[str, int]
    heating: pd.DataFrame
    slices: str
    track_record: pd.DataFrame
    freshness: list[str]
    exclusions: list[tuple[str, str]]
    filters: list[str]
    model_version: str
    dataset: str
    synthetic: bool
    shapes: MapShapes

    @property
    def place(self) -> str:
        return self.area or "City of Los Angeles"

    @property
    def map_watch(self) -> str:
        """The watch the map draws: the one asked for, or else the busiest."""
        if len(self.watches) == 1:
            return self.watches[0]
        busiest = self.per_watch.sort_values("expected_reports", ascending=False)
        return str(busiest["watch"].iloc[0])


def check_area(area: str, manifest: dict) -> str | None:
    """The known spelling of an LAPD area of the dataset, or None for "city"."""
    if area.strip().lower() == CITY:
        return None
    return choose(area, manifest["report"]["area_names"], "area (or 'city')")


def build_briefing(
    frame: pd.DataFrame,
    manifest: dict,
    version: ModelVersion | None,
    record: TrainingRecord | None,
    *,
    area: str,
    as_of: date,
    watch: str | None = None,
    coverage: float = PLAN_COVERAGE,
) -> Briefing:
    """The briefing of `area` (an LAPD area or "city") for the week after `as_of`, for one
    `watch` or all three; `version` and `record` are the model version in use (None before
    the first training: the watch models then are the shipped defaults)."""
    place = check_area(area, manifest)
    if not 0 < coverage <= 1:
        raise LacrimeError(f"coverage {coverage}: give a share of cells between 0 and 1")
    shown = [parse_watch(watch)] if watch else list(WATCHES)
    resolution = record.parameters.hotspot_resolution if record is not None else None
    located = located_until(frame, as_of, resolution)
    completeness = Completeness.from_manifest(manifest)
    forecasters = watch_forecasters(
        frame,
        as_of=as_of,
        models=watch_models(record),
        resolution=resolution,
        located=located,
        completeness=completeness,
    )
    per_watch = watch_summary(forecasters, place)
    plans = {w: plan_for(forecasters[w], frame, area=place, coverage=coverage) for w in shown}
    trends = trends_for(
        frame, as_of=as_of, resolution=resolution, located=located, completeness=completeness
    )
    heating = heating_up(trends, place)
    start = as_of + timedelta(days=1)
    return Briefing(
        area=place,
        as_of=as_of,
        window=(start, start + timedelta(days=6)),
        watches=shown,
        coverage=coverage,
        headline=_headline(per_watch, plans, heating, frame, place, as_of),
        per_watch=per_watch,
        plans=plans,
        patterns=pattern_counts(trends, place),
        heating=heating.head(TREND_ROWS),
        slices=(
            f"{len(trends.slices)} slices of {trends.slice_days} days, "
            f"{trends.slices[0]:%d %b} to {as_of:%d %b %Y}"
        ),
        track_record=_track_record(record, shown, as_of),
        freshness=_freshness(manifest, frame, as_of),
        exclusions=[(r["pattern"], r["reason"]) for r in manifest["exclusions"]["crime_types"]],
        filters=[
            f"area: {place or 'whole city'}",
            f"as of: {as_of:%a %d %b %Y} (reports up to that day)",
            "watch: " + ", ".join(watch_hours(w) for w in shown),
            f"patrol plan: the riskiest {coverage:.0%} of the {'area' if place else 'city'}'s "
            "cells per watch (H3 resolution "
            f"{forecasters[shown[0]].grid.resolution})",
        ],
        model_version=version.version if version is not None else "none (not trained yet)",
        dataset=f"{manifest['dataset_id']} from {manifest['source']}",
        synthetic=bool(manifest["synthetic"]),
        shapes=_shapes(forecasters, plans, trends, place),
    )


def _headline(
    per_watch: pd.DataFrame,
    plans: dict[str, PatrolPlan],
    heating: pd.DataFrame,
    frame: pd.DataFrame,
    area: str | None,
    as_of: date,
) -> list[str]:
    """The few lines a sergeant reads first: what to expect, where, and what is changing."""
    place = area or "the city"
    expected = per_watch["expected_reports"].sum()
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    last = frame[frame["occurred_at"].between(end - pd.Timedelta(days=7), end, inclusive="left")]
    last_week = int(len(last if area is None else last[last["area_name"] == area]))
    busiest = per_watch.sort_values("expected_reports", ascending=False).iloc[0]
    lines = [
        f"About {expected:.0f} reports expected in {place} next week "
        f"({last_week} were reported for the week to {as_of:%d %b}).",
        f"Busiest watch: {busiest['watch']} ({busiest['hours']}), "
        f"{busiest['expected_reports']:.0f} expected ({busiest['share_of_day']:.0%}).",
    ]
    new = heating[heating["Pattern"].isin(HEATING_UP)]
    if len(new):
        kinds = new["Pattern"].value_counts()
        listed = ", ".join(f"{n} {p}{'s' if n > 1 else ''}" for p, n in kinds.items())
        lines.append(f"Heating up: {listed} in {place}.")
    else:
        lines.append(
            f"No cell of {place} is heating up (no new, consecutive or intensifying hot spot)."
        )
    for watch, plan in plans.items():
        if plan.zones:
            top = plan.zones[0]
            streets = ", ".join(top.streets) or "no street recorded"
            lines.append(
                f"{watch.capitalize()} watch, zone 1: {top.expected_reports:.1f} reports expected "
                f"({top.share_of_area or 0:.0%} of {place}); {streets}."
            )
    return lines


def _track_record(record: TrainingRecord | None, watches: list[str], as_of: date) -> pd.DataFrame:
    """City-wide PAI at 5% of the watch model and of the all-day counts, week by week, from
    the model version's rolling evaluation: the last four weeks over by `as_of`, so a
    briefing of an earlier week shows nothing from after it."""
    evaluation = record.evaluation.watches if record is not None else None
    columns = ["week", "watch", "model", "pai_5", "all_day_pai_5"]
    if evaluation is None:
        return pd.DataFrame(columns=columns)
    rows = []
    for watch in watches:
        chosen = evaluation.watches[watch][evaluation.chosen[watch]].per_week
        base = evaluation.watches[watch][evaluation.baseline].per_week
        over = [
            (mine, theirs)
            for mine, theirs in zip(chosen, base, strict=True)
            if date.fromisoformat(mine["week_start"]) + timedelta(days=6) <= as_of
        ]
        for mine, theirs in over[-4:]:
            rows.append(
                [
                    mine["week_start"],
                    watch,
                    evaluation.chosen[watch],
                    mine["pai_5"],
                    theirs["pai_5"],
                ]
            )
    return pd.DataFrame(rows, columns=columns)


def _freshness(manifest: dict, frame: pd.DataFrame, as_of: date) -> list[str]:
    first, last = manifest["date_range"]
    lines = [
        f"Reports occurred {first} to {last}, reported up to "
        f"{manifest['report'].get('reported_until', last)}; loaded {manifest['ingested_at'][:10]}."
    ]
    lines += manifest["report"]["flags"].get("warnings", [])
    if pd.Timestamp(first).date() <= RECORDS_SYSTEM_CHANGE <= as_of:
        lines.append(RECORDS_SYSTEM_CAVEAT)
    if manifest["synthetic"]:
        lines.insert(0, "SYNTHETIC DEMO DATA: no real report; for trying the tool only.")
    return lines


def _shapes(
    forecasters: dict[str, WatchForecaster],
    plans: dict[str, PatrolPlan],
    trends: EmergingHotspots,
    area: str | None,
) -> MapShapes:
    grid = next(iter(forecasters.values())).grid.cells
    cells = grid.index[grid["area_name"] == area].tolist() if area else grid.index.tolist()
    outline = zone_outline(cells)
    flagged = {w: sorted(c for z in plan.zones for c in z.cells) for w, plan in plans.items()}
    zones = {w: [(z.zone, zone_outline(z.cells)) for z in plan.zones] for w, plan in plans.items()}
    table = trends.table
    inside = table["area_name"] == area if area else slice(None)
    hot = table.loc[inside]
    return MapShapes(
        outline=outline,
        cells=cells,
        flagged=flagged,
        zones=zones,
        heating_up=hot.loc[hot["pattern"].isin(HEATING_UP), "cell"].tolist(),
    )


def cell_ring(cell: str) -> list[list[float]]:
    """A cell's boundary as [lon, lat] points, for drawing."""
    return [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
