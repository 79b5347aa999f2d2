"""The Hotspot map page's sentences, written from the figures they quote, without Streamlit so
that each can be checked: what the coverage means, how the forecast was made and how good it
is, the patrol plan, what is heating up, the basemap and the records-system caveat."""

from lacrime.app.hotspots import ALL_DAY, watch_label
from lacrime.hotspots.emerging import HEATING_UP, EmergingHotspots
from lacrime.hotspots.models import label as model_label
from lacrime.hotspots.results import HotspotEvaluation
from lacrime.hotspots.zones import PatrolPlan


def basemap_note(basemap: bool) -> str:
    if not basemap:
        return (
            "Basemap tiles are off: outlines and labels drawn from the grid, on a plain "
            "background. Tick Basemap for streets."
        )
    return (
        "The LAPD areas' outlines and names are drawn from the grid itself, so the map reads "
        "even where the basemap tiles cannot load; untick Basemap for a plain background."
    )


def incomplete_note(areas: tuple[str, ...]) -> str:
    return (
        f"Incomplete reports in {', '.join(areas)} in the 4 weeks before this forecast: LAPD "
        "moved to a new records system (NIBRS) from 7 March 2024, area by area, and the weeks "
        "either system reports only in part train nothing. These areas' cells rest on fewer "
        "weeks; their expected reports assume complete reporting."
    )


def coverage_note(forecast, coverage: int, share: dict) -> str:
    """What the chosen coverage flags, quoting it, and how expected reports are read."""
    if forecast.attrs.get("watch"):
        expected = (
            "**Expected reports** are the reports a cell is expected to have in the watch next "
            "week: its all-day rate times its share of reports in that watch, the share shrunk "
            "towards its neighbours', its area's and the city's."
        )
    else:
        expected = (
            "**Expected reports** are the reports a cell is expected to have next week: each "
            "model's risk mapped to the reports that cells of that risk had the week after, on "
            "recent weeks the model did not learn from, so every model reads on one scale."
        )
    return (
        f"**Coverage {coverage}%**: the riskiest {coverage}% of the grid's cells are flagged "
        f"({int(forecast['flagged'].sum()):,} of {len(forecast):,} cells of about "
        f"{share['cell_km2']:.2f} km² each). {expected} **Percentile**: the share of cells "
        "ranked below it. A cell's colour is its rank class, so it does not change with "
        "coverage, allocation or area. The shares of last week's (last 4 weeks') reports say "
        "how concentrated recent crime is in the flagged cells, not next week's."
    )


def forecast_note(forecaster, forecast, stored, group: str | None) -> str:
    """Which days, from which reports, by which model (and whether it was trained on demand)."""
    start, end = forecaster.window
    watch = forecast.attrs.get("watch")
    if watch is None:
        by = f"{model_label(forecaster.model.name)} ({forecaster.model.description})"
    else:
        by = f"the {watch} watch's model: {forecaster.model.description}"
    text = (
        f"Forecast for the 7 days from {start:%A %d %B} to {end:%A %d %B %Y}, from reports up "
        f"to {forecaster.as_of:%A %d %B} (the latest used: "
        f"{forecaster.trained_until:%Y-%m-%d %H:%M}), by {by}"
        + ("" if group is None else f", on {group} reports only")
        + "."
    )
    if forecast["expected"].isna().all():
        text += (
            " This model version was trained before expected reports existed: retrain (Admin "
            "page or `lacrime train`) to see them."
        )
    if forecaster is not stored and watch is None:
        text += (
            " This forecast was trained on demand for the week, model and crime group chosen "
            "(a few seconds the first time, then kept)."
        )
        if group is not None:
            text += (
                f" Its grid is the {len(forecast):,} cells around {group} reports: the coverage "
                "is a share of those cells, not of the whole city's."
            )
    return text


def plan_note(plan: PatrolPlan, area: str | None, coverage: int) -> str:
    """What the patrol plan holds and how its cells were chosen."""
    cells = sum(len(z.cells) for z in plan.zones)
    if not plan.zones:
        return (
            f"No cell of {area or 'the city'} is flagged at {coverage}% (or none expects a "
            "report): no zone to patrol. Allocation By area crime gives every area its share."
        )
    return (
        f"{len(plan.zones)} zone{'s' if len(plan.zones) > 1 else ''} of {cells} cells (the "
        "cells flagged on the map, neighbours joined), "
        f"{sum(z.expected_reports for z in plan.zones):.1f} reports expected in them of "
        f"{plan.area_expected:.1f} in {area or 'the city'}; streets named from the last 8 "
        "weeks' reports (never from a report of a sex offence)."
        + (" Drawn on the map in vermillion." if area is not None else "")
    )


def trends_note(trends: EmergingHotspots, counts: dict[str, int], place: str) -> str:
    """The emerging-hotspot counts of the place, and what the slices are."""
    heating = sum(counts.get(p, 0) for p in HEATING_UP)
    listed = ", ".join(f"{n} {p}" for p, n in counts.items() if p != "no pattern detected")
    return (
        f"{heating} cells heating up in {place} (new, consecutive or intensifying hot spots) "
        f"over {len(trends.slices)} slices of {trends.slice_days} days up to "
        f"{trends.as_of:%d %b %Y}: Getis-Ord Gi* per slice and a Mann-Kendall trend, as in "
        f"ArcGIS's Emerging Hot Spot Analysis; all crime groups. Cells per pattern: "
        f"{listed or 'none'}. Tick Emerging hotspots under Layers to see them on the map."
    )


def quality_note(evaluation: HotspotEvaluation, model: str, group: str | None, watch: str) -> str:
    """How good the all-day model was on the held-out weeks."""
    scores = evaluation.models[model]
    caveat = "" if group is None else f" The evaluation covers all crime groups, not {group}."
    if watch != ALL_DAY:
        caveat += (
            f" The {watch_label(watch)} watch's own figures, against the all-day counts, are "
            "on the Model comparison page."
        )
    return (
        f"**How good is it?** On the last {len(evaluation.eval_weeks)} full weeks of the data, "
        f"each forecast from the weeks before it only, {model_label(model)}'s 5% of cells held "
        f"{scores.metric('hit_rate').mean:.0%} of the week's crimes city-wide: a PAI at 5% of "
        f"{scores.metric('pai').mean:.2f} (crime caught per share of area flagged; 1 = no "
        f"better than chance), {scores.metric('pai', allocation='proportional').mean:.2f} "
        f"with proportional allocation. {evaluation.verdict}{caveat}"
    )
