"""What the Hourly forecast page shows, computed without Streamlit: the planner's choices, the
day's curve beside the observed averages, the seven weekdays of a season, and the sentence that
says what the headline number means.

The page and `lacrime forecast` both answer through `hourly.forecast.forecast` and `curve` on the
same artifact, so a shared link and the command line give the same number.
"""

from dataclasses import dataclass

import pandas as pd

from lacrime.calendar import SEASON_OF_MONTH
from lacrime.calendar import SEASONS as SEASONS
from lacrime.calendar import WEEKDAYS as WEEKDAYS
from lacrime.data.categories import GROUPS as GROUPS
from lacrime.hourly.counts import observed_from_counts
from lacrime.hourly.forecast import HourlyBundle, HourlyForecast, curve, forecast, week_curves

# A Friday evening is the planner's typical question; the season defaults to the latest one in
# the training data, which the models know best.
DEFAULT_WEEKDAY = "Friday"
DEFAULT_HOUR = 18
# What a select box holds for "no area / group / model chosen": a select box treats None as
# "nothing selected yet" and shows a placeholder instead of the option's label.
UNSET = ""


@dataclass(frozen=True)
class Choices:
    """One view of the page; `area`, `crime_group` and `model` None mean city-wide, every
    group, and the model that did best on held-out weeks."""

    season: str
    weekday: str
    hour: int
    area: str | None = None
    crime_group: str | None = None
    model: str | None = None
    exclude_default_times: bool = False


def latest_season(bundle: HourlyBundle) -> str:
    """The season of the last training day."""
    return SEASON_OF_MONTH[pd.Timestamp(bundle.train_end).month]


def hour_span(hour: int) -> str:
    return f"{hour:02d}:00 and {hour:02d}:59"


def format_count(value: float) -> str:
    """A count as the page shows it: one decimal, two below 10 so a quiet area's hour
    does not read as zero."""
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def scope_label(area: str | None, crime_group: str | None) -> str:
    where = f"in {area}" if area else "city-wide"
    return f"{where}, {crime_group} only" if crime_group else where


def forecast_sentence(result: HourlyForecast) -> str:
    """What the headline number means, in the planner's words."""
    return (
        f"Expected number of crimes reported as occurring between {hour_span(result.hour)} "
        f"on a {result.season} {result.weekday}, "
        f"{scope_label(result.area, result.crime_group)}: "
        f"{format_count(result.expected)}. {result.interval_level:.0%} of such hours "
        f"fall between {result.lower:,} and {result.upper:,}."
    )


def day_table(
    bundle: HourlyBundle,
    counts: pd.DataFrame,
    choices: Choices,
    *,
    kept_bundle: HourlyBundle | None = None,
) -> pd.DataFrame:
    """The 24 hours of the chosen day: forecast, interval, observed mean and its number of days.

    `counts` is `hourly.counts.hourly_counts` of the reports for the chosen area and crime
    group, with default times left out exactly when the bundle's models left them out.

    With `kept_bundle` (the models trained with the default times kept) a column
    `expected_default_times_kept` is added, from the same model as the forecast, so the two
    differ only by the noon and midnight artefact.
    """
    asked = {"area": choices.area, "crime_group": choices.crime_group}
    day = curve(
        bundle, weekday=choices.weekday, season=choices.season, model=choices.model, **asked
    )
    observed = observed_from_counts(counts, weekday=choices.weekday, season=choices.season)
    day = day.merge(observed, on="hour")
    if kept_bundle is not None:
        kept = curve(
            kept_bundle,
            weekday=choices.weekday,
            season=choices.season,
            model=bundle.model(choices.model).name,
            **asked,
        )
        day["expected_default_times_kept"] = kept["expected"].to_numpy()
    return day


def forecast_for(bundle: HourlyBundle, choices: Choices) -> HourlyForecast:
    """The headline forecast of the page's choices."""
    return forecast(
        bundle,
        hour=choices.hour,
        weekday=choices.weekday,
        season=choices.season,
        area=choices.area,
        crime_group=choices.crime_group,
        model=choices.model,
    )


def weekday_curves(bundle: HourlyBundle, choices: Choices) -> pd.DataFrame:
    """Expected crimes per hour of each weekday of the chosen season (hour x weekday)."""
    return week_curves(
        bundle,
        season=choices.season,
        area=choices.area,
        crime_group=choices.crime_group,
        model=choices.model,
    )


def download_table(day: pd.DataFrame, result: HourlyForecast) -> pd.DataFrame:
    """The day's table with what it is a forecast of, so a saved file stands on its own."""
    context = {
        "season": result.season,
        "weekday": result.weekday,
        "area": result.area or "all",
        "crime_group": result.crime_group or "all",
        "model": result.model,
        "default_times": "spread over the day" if result.exclude_default_times else "kept",
    }
    return pd.DataFrame(context, index=day.index).join(day)
