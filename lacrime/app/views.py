"""Per-dataset views the Overview, Hourly forecast and Area pages share, each computed once
per dataset (and model version, where it depends on one) and kept for every session."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lacrime.app import area as area_view
from lacrime.app import hourly as hourly_view
from lacrime.app import summaries, ui, weekly
from lacrime.app.briefing import build_briefing
from lacrime.app.briefing_pdf import briefing_pdf
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError
from lacrime.hotspots import models as hotspot_models


@st.cache_data(max_entries=2, show_spinner=False)
def _week_comparison(dataset_id: str) -> weekly.WeekComparison | None:
    return weekly.compare_weeks(
        ui.reports_of(dataset_id), Completeness.from_manifest(ui.manifest_of(dataset_id))
    )


def week_comparison() -> weekly.WeekComparison | None:
    """This week against the 4 before it (`weekly.compare_weeks`), once per dataset."""
    return _week_comparison(ui.current_dataset_id())


def hourly_bias(
    model: str, hour: int, exclude_default_times: bool
) -> hourly_view.HeldOutBias | None:
    """How far `model` was off on the held-out weeks (None before a training record)."""
    current = ui.record()
    if current is None:
        return None
    evaluation = current.evaluation
    chosen = evaluation.hourly_no_default_times if exclude_default_times else evaluation.hourly
    return hourly_view.held_out_bias(chosen, model, hour)


@st.cache_data(max_entries=16, show_spinner=False)
def _area_views(dataset_id: str, areas: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = ui.reports_of(dataset_id)
    completeness = Completeness.from_manifest(ui.manifest_of(dataset_id))
    return (
        area_view.weekly_index(frame, list(areas), completeness),
        area_view.group_mix(frame, list(areas)),
    )


def area_views(areas: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chosen areas' weekly index beside the city's and their crime-group mix, once per
    dataset and choice."""
    return _area_views(ui.current_dataset_id(), tuple(areas))


@st.cache_data(max_entries=32, show_spinner=False)
def _hour_of_week(dataset_id: str, area: str) -> pd.DataFrame:
    return area_view.hour_of_week(ui.reports_of(dataset_id), area)


def hour_of_week(area: str) -> pd.DataFrame:
    """The area's mean reports per weekday and hour, once per dataset."""
    return _hour_of_week(ui.current_dataset_id(), area)


@st.cache_data(max_entries=8, show_spinner=False)
def _briefing(dataset_id: str, version_id: str, area: str, as_of: dt.date) -> bytes:
    version, _ = ui.model_version()
    content = build_briefing(
        ui.reports_of(dataset_id),
        ui.manifest_of(dataset_id),
        version,
        ui.record(),
        area=area,
        as_of=as_of,
    )
    return briefing_pdf(content)


def briefing(area: str, as_of: dt.date) -> bytes:
    """The weekly briefing PDF of `area` (or "city") for the week after `as_of`, made once per
    dataset, version and choice: the same document as `lacrime briefing`."""
    version, _ = ui.model_version()
    if version is None:
        raise LacrimeError("no model trained yet: run `lacrime train` or retrain from Admin")
    return _briefing(ui.current_dataset_id(), version.version, area, as_of)


@dataclass(frozen=True)
class AreaForecast:
    """What the Area page shows of the hotspot forecasts for its areas: next week's flagged
    cells per area, the caption that says which forecast they are, and per area the lines on
    how past forecasts did there."""

    as_of: dt.date
    coverage: float
    flagged: dict[str, pd.DataFrame]
    caption: str
    past: dict[str, str]


def area_forecast(areas: list[str]) -> AreaForecast:
    """The stored forecast's flagged cells of each area, and each area's record: the stored
    evaluation's per-area shares and the evaluation weeks' forecasts scored in the area; once
    per dataset, model version and choice of areas."""
    version, _ = ui.model_version()
    return _area_forecast(ui.current_dataset_id(), version.version, tuple(areas))


@st.cache_data(max_entries=32, show_spinner="Scoring past forecasts in the area")
def _area_forecast(dataset_id: str, version_id: str, areas: tuple[str, ...]) -> AreaForecast:
    stored = ui.stored_forecaster()
    forecast = stored.forecast()
    evaluation = ui.record().evaluation.hotspots
    label = hotspot_models.label(stored.model.name)
    start, end = stored.window
    coverage = forecast.attrs["coverage"]
    frame = ui.reports_of(dataset_id)
    weeks = [dt.date.fromisoformat(w) for w in evaluation.eval_weeks]
    scored = {
        week: ui.hotspot_forecaster(week - dt.timedelta(days=1), stored.model.name, None).forecast()
        for week in weeks
    }
    past = {}
    for area in areas:
        left_out = [w for w, names in evaluation.left_out_areas.items() if area in names]
        lines = [
            area_view.record_sentence(
                area_view.past_record(evaluation, area), area, label, left_out
            )
        ]
        lines += [
            "- "
            + area_view.score_sentence(
                area_view.week_score(table, frame, area), week, week.isoformat() in left_out
            )
            for week, table in scored.items()
        ]
        past[area] = "\n".join(lines)
    return AreaForecast(
        as_of=stored.as_of,
        coverage=coverage,
        flagged={area: area_view.flagged_in(forecast, area) for area in areas},
        caption=(
            f"The week from {start:%a %d %b} to {end:%a %d %b %Y}: the cells among the city's "
            f"riskiest {coverage:.0%} by {label}, the model in use, from reports up to "
            f"{stored.as_of:%d %b}. City rank 1 is the riskiest cell of the city; expected "
            "reports are the model's risk calibrated on past weeks, and the percentile is the "
            "share of the city's cells ranked below the cell, as on the map."
        ),
        past=past,
    )


@dataclass(frozen=True)
class KeyFigures:
    """A dataset's key figures, charted on the Overview (and the weekly trend on Data &
    fairness): reports per day, per full week, and the most reported crime groups and
    descriptions."""

    daily: pd.Series
    weekly: pd.DataFrame
    groups: pd.Series
    descriptions: pd.Series


@st.cache_data(max_entries=2, show_spinner=False)
def _key_figures(dataset_id: str) -> KeyFigures:
    frame = ui.reports_of(dataset_id)
    flags = ui.manifest_of(dataset_id)["report"]["flags"]
    return KeyFigures(
        daily=summaries.daily_counts(frame),
        weekly=summaries.weekly_trend(frame, flags),
        groups=summaries.top_counts(frame, "crime_group"),
        descriptions=summaries.top_counts(frame, "crm_cd_desc", 10),
    )


def key_figures() -> KeyFigures:
    """The key figures, counted once per dataset rather than on every page view (on a million
    reports the counts are most of the Overview's script time)."""
    return _key_figures(ui.current_dataset_id())
