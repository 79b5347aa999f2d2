"""What the Hotspot map page computes beyond the all-day forecast, cached as `ui` caches its
loaders: the watch forecasters, the emerging hotspots, the patrol plan and the briefing.

Every cache is keyed on the dataset id and the model version id, so an ingest or a retrain is
picked up on the next view; a control change that only re-flags or redraws finds its inputs
here, which keeps it well under a second once warm.
"""

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from lacrime.app import decision, ui
from lacrime.app import hotspots as hotspot_views
from lacrime.app.briefing import build_briefing
from lacrime.app.briefing_pdf import briefing_pdf
from lacrime.data.completeness import Completeness
from lacrime.hotspots.emerging import EmergingHotspots
from lacrime.hotspots.forecast import HotspotForecaster
from lacrime.hotspots.watch import WatchForecaster
from lacrime.hotspots.zones import PatrolPlan


def _ids() -> tuple[str, str]:
    version, _ = ui.model_version()
    return ui.manifest()["dataset_id"], version.version


def _frame(group: str | None) -> pd.DataFrame:
    frame = ui.reports()
    return frame if group is None else frame[frame["crime_group"] == group]


@st.cache_resource(max_entries=4, show_spinner="Forecasting the watches for this week")
def _watch_forecasters(
    dataset_id: str, version_id: str, as_of: dt.date, group: str | None, resolution: int
) -> dict[str, WatchForecaster]:
    return decision.watch_forecasters(
        _frame(group),
        as_of=as_of,
        models=decision.watch_models(ui.record()),
        resolution=resolution,
        completeness=Completeness.from_manifest(ui.manifest()),
    )


def forecaster(
    as_of: dt.date, model: str, group: str | None, watch: str
) -> HotspotForecaster | WatchForecaster:
    """The forecaster the map shows: the all-day one of `model` (`ui.hotspot_forecaster`), or
    the chosen watch's, by the model the version chose for that watch."""
    if watch == hotspot_views.ALL_DAY:
        return ui.hotspot_forecaster(as_of, model, group)
    resolution = ui.stored_forecaster().grid.resolution
    return _watch_forecasters(*_ids(), as_of, group, resolution)[watch]


@st.cache_resource(max_entries=4, show_spinner="Finding emerging hotspots")
def _trends(dataset_id: str, as_of: dt.date, resolution: int) -> EmergingHotspots:
    return decision.trends_for(
        ui.reports(),
        as_of=as_of,
        resolution=resolution,
        completeness=Completeness.from_manifest(ui.manifest()),
    )


def trends(as_of: dt.date) -> EmergingHotspots:
    """The emerging-hotspot patterns of every cell up to `as_of`, all crime groups."""
    return _trends(ui.manifest()["dataset_id"], as_of, ui.stored_forecaster().grid.resolution)


@st.cache_resource(max_entries=16, show_spinner="Drawing up the patrol plan")
def _plan(
    dataset_id: str,
    version_id: str,
    choice: tuple,
    _forecaster: HotspotForecaster | WatchForecaster,
) -> PatrolPlan:
    _, _, _, _, area, coverage, allocation = choice
    forecast = _forecaster.forecast(coverage=coverage, allocation=allocation)
    return hotspot_views.map_plan(forecast, ui.reports(), area)


def plan(
    forecaster: HotspotForecaster | WatchForecaster,
    *,
    choice: tuple[dt.date, str, str | None, str, str | None, float, str],
) -> PatrolPlan:
    """The patrol plan of the view `choice` (as_of, model, group, watch, area, coverage,
    allocation), whose forecaster is `forecaster`: the map's flagged cells of the area."""
    return _plan(*_ids(), choice, forecaster)


def briefing_download(as_of: dt.date, area: str | None, watch: str) -> Callable[[], bytes]:
    """The weekly briefing's PDF of the view, made only when the button is pressed."""
    frame, manifest, record = ui.reports(), ui.manifest(), ui.record()
    version, _ = ui.model_version()

    def make() -> bytes:
        briefing = build_briefing(
            frame,
            manifest,
            version,
            record,
            area=area or "city",
            as_of=as_of,
            watch=None if watch == hotspot_views.ALL_DAY else watch,
        )
        return briefing_pdf(briefing)

    return make
