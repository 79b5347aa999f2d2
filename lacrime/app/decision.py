"""What the map and area pages show for deployment decisions, computed without Streamlit so
each figure can be checked: the forecast per watch, the patrol plan (table, map outline,
CSV), the emerging hotspots (table and map layer), and the weekly briefing's PDF.

Pages draw the layers returned here on their own deck (`maps.hotspot_deck` or another);
each layer has its own `id`, so it can sit on top of the risk cells.
"""

from datetime import date

import pandas as pd
import pydeck as pdk

from lacrime.app import map_layers
from lacrime.calendar import WATCHES, watch_hours
from lacrime.data.completeness import Completeness
from lacrime.hotspots.emerging import HEATING_UP, PATTERNS, EmergingHotspots, emerging_hotspots
from lacrime.hotspots.forecast import checked_resolution, history_until
from lacrime.hotspots.panel import with_cells
from lacrime.hotspots.watch import (
    DEFAULT_WATCH_MODELS,
    WatchForecaster,
    fit_watches,
    with_watches,
)
from lacrime.hotspots.zones import PatrolPlan, patrol_plan, zone_outline
from lacrime.ops.train import TrainingRecord

WATCH_NAMES: tuple[str, ...] = tuple(WATCHES)
# The zone outline: Okabe-Ito vermillion, apart from the risk palette's reds and the black
# outline of flagged cells.
ZONE_COLOUR = (213, 94, 0, 255)
ZONE_LINE_PX = 4
# Emerging patterns by how they call for attention: heating up in strong purple, long-lasting
# in a lighter one, fading in grey; cold spots in blue (ColorBrewer's PuOr / Blues ends).
PATTERN_COLOURS: dict[str, tuple[int, int, int, int]] = {
    "new hot spot": (84, 39, 136, 220),
    "consecutive hot spot": (84, 39, 136, 220),
    "intensifying hot spot": (84, 39, 136, 220),
    "persistent hot spot": (128, 115, 172, 190),
    "sporadic hot spot": (178, 171, 210, 180),
    "oscillating hot spot": (178, 171, 210, 180),
    "diminishing hot spot": (150, 150, 150, 170),
    "historical hot spot": (150, 150, 150, 170),
}
COLD_COLOUR = (33, 113, 181, 160)
EMERGING_COLUMNS = {
    "pattern": "Pattern",
    "area_name": "Area",
    "cell": "Cell",
    "hot_slices": "Hot slices",
    "final_z": "Gi* z (last slice)",
    "trend_tau": "Trend (Kendall tau)",
    "final_reports": "Reports (last slice)",
}


def watch_models(record: TrainingRecord | None) -> dict[str, str]:
    """Each watch's model: the current version's choice, or DEFAULT_WATCH_MODELS for versions
    trained before watches (and with no version at all)."""
    chosen = record.summary.watch_models if record is not None else None
    return dict(chosen or DEFAULT_WATCH_MODELS)


def located_until(frame: pd.DataFrame, as_of: date, resolution: int | None) -> pd.DataFrame:
    """The reports up to `as_of` with their cell and watch (`watch.with_watches`), once they
    can train a forecast: what `watch_forecasters` and `trends_for` share when a page or
    the briefing needs both, since locating the reports is the costly part of each."""
    return with_watches(history_until(frame, as_of), checked_resolution(resolution))


def watch_forecasters(
    frame: pd.DataFrame,
    *,
    as_of: date,
    models: dict[str, str],
    resolution: int | None = None,
    located: pd.DataFrame | None = None,
    completeness: Completeness | None = None,
) -> dict[str, WatchForecaster]:
    """The forecaster of every watch for the week after `as_of`, by `models` (watch -> model
    name, as `watch_models` gives), fitted in one pass; pages keep them and flag cells at
    any coverage with `forecaster.forecast(coverage, allocation)`. `located`: as
    `located_until` gives it, if the caller has it; `completeness`: the dataset's
    incompletely reported area-days, which the forecast does not learn from."""
    return fit_watches(
        frame,
        as_of=as_of,
        models=models,
        resolution=resolution,
        located=located,
        completeness=completeness,
    )


def watch_summary(forecasters: dict[str, WatchForecaster], area: str | None = None) -> pd.DataFrame:
    """Per watch, the reports expected next week in `area` (None: the city), its share of the
    day's expected reports, and the reports of known time in that watch last week and in the
    last 4 weeks (a weekly average)."""
    rows = []
    for watch, forecaster in forecasters.items():
        inside = (
            slice(None) if area is None else (forecaster.grid.cells["area_name"] == area).to_numpy()
        )
        rows.append(
            {
                "watch": watch,
                "hours": watch_hours(watch).split(" ", 1)[1].strip("()"),
                "expected_reports": float(forecaster.expected[inside].sum()),
                "last_week": int(forecaster.recent["last_week"].to_numpy()[inside].sum()),
                "weekly_last_4_weeks": float(
                    forecaster.recent["last_4_weeks"].to_numpy()[inside].sum() / 4
                ),
                "model": forecaster.model.name,
            }
        )
    table = pd.DataFrame(rows)
    total = table["expected_reports"].sum()
    table.insert(3, "share_of_day", table["expected_reports"] / total if total else float("nan"))
    return table


def plan_for(
    forecaster: WatchForecaster,
    frame: pd.DataFrame,
    *,
    area: str | None,
    coverage: float,
    allocation: str = "citywide",
) -> PatrolPlan:
    """The patrol plan of `area` (None: the city) for the forecaster's watch: its riskiest
    `coverage` share of cells in zones, streets named from `frame`'s reports."""
    forecast = forecaster.forecast(coverage=coverage, allocation=allocation)
    return patrol_plan(forecast, frame, area=area, coverage=coverage)


def plan_csv(plan: PatrolPlan) -> bytes:
    """The patrol plan as a CSV download: a line per zone, its streets and cell ids."""
    return plan.to_csv().encode()


def zones_layer(plan: PatrolPlan) -> pdk.Layer:
    """The zones' outlines (their numbers and streets are in the patrol plan's table)."""
    rings = [ring for zone in plan.zones for ring in zone_outline(zone.cells)]
    return map_layers.outline_layer(rings, "patrol-zones", ZONE_COLOUR, ZONE_LINE_PX)


def trends_for(
    frame: pd.DataFrame,
    *,
    as_of: date,
    resolution: int | None = None,
    located: pd.DataFrame | None = None,
    completeness: Completeness | None = None,
) -> EmergingHotspots:
    """The emerging-hotspot patterns of every cell over the slices up to `as_of`;
    `located`: as `located_until` gives it, if the caller has it; `completeness`: the
    dataset's incompletely reported area-days, corrected for in the counts."""
    resolution = checked_resolution(resolution)
    if located is None:
        located = with_cells(history_until(frame, as_of), resolution)
    return emerging_hotspots(located, as_of=as_of, resolution=resolution, completeness=completeness)


def heating_up(result: EmergingHotspots, area: str | None = None) -> pd.DataFrame:
    """ "What is heating up": the cells of a hot-spot pattern in `area` (None: the city), new,
    consecutive and intensifying first, each by its last slice's Gi* z-score; columns named
    for readers (EMERGING_COLUMNS)."""
    table = result.table if area is None else result.table[result.table["area_name"] == area]
    hot = table[table["pattern"].str.endswith("hot spot")]
    return hot[list(EMERGING_COLUMNS)].rename(columns=EMERGING_COLUMNS).reset_index(drop=True)


def pattern_counts(result: EmergingHotspots, area: str | None = None) -> dict[str, int]:
    """Cells per pattern in `area` (None: the city), in the order of PATTERNS."""
    table = result.table if area is None else result.table[result.table["area_name"] == area]
    counts = table["pattern"].value_counts()
    return {p: int(counts[p]) for p in PATTERNS if p in counts.index}


def emerging_layer(result: EmergingHotspots, area: str | None = None) -> pdk.Layer:
    """The cells of any pattern but "no pattern detected", filled by their pattern."""
    table = result.table if area is None else result.table[result.table["area_name"] == area]
    shown = table[table["pattern"] != "no pattern detected"]
    cells = pd.DataFrame(
        {
            "cell": shown["cell"].to_numpy(),
            "pattern": shown["pattern"].to_numpy(),
            "fill": [list(PATTERN_COLOURS.get(p, COLD_COLOUR)) for p in shown["pattern"]],
            "heating_up": shown["pattern"].isin(HEATING_UP).to_numpy(),
            "area_name": shown["area_name"].to_numpy(),
        }
    )
    return pdk.Layer(
        "H3HexagonLayer",
        cells,
        id="emerging",
        get_hexagon="cell",
        get_fill_color="fill",
        filled=True,
        stroked=False,
        extruded=False,
        pickable=True,
    )
