"""What the Hourly forecast page shows, computed without Streamlit: the planner's choices, the
day's curve beside the observed averages, the seven weekdays of a season, and the sentence that
says what the headline number means.

The page and `lacrime forecast` both answer through `hourly.forecast.forecast` and `curve` on the
same artifact, so a shared link and the command line give the same number.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lacrime.calendar import SEASON_OF_MONTH, WATCHES, watch_codes
from lacrime.calendar import SEASONS as SEASONS
from lacrime.calendar import WEEKDAYS as WEEKDAYS
from lacrime.data.categories import GROUPS as GROUPS
from lacrime.hourly.counts import observed_from_counts
from lacrime.hourly.evaluation import HourlyEvaluation
from lacrime.hourly.forecast import HourlyBundle, HourlyForecast, curve, forecast, week_curves

# A Friday evening is the planner's typical question; the season defaults to the latest one in
# the training data, which the models know best.
DEFAULT_WEEKDAY = "Friday"
DEFAULT_HOUR = 18
# What a select box holds for "no area / group / model chosen": a select box treats None as
# "nothing selected yet" and shows a placeholder instead of the option's label.
UNSET = ""
WATCH_NAMES: tuple[str, ...] = tuple(WATCHES)


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


# A held-out bias is worth a warning when the whole held-out period is off by this share, or
# the chosen hour is off by BIAS_HOUR_SHARE and by more than BIAS_Z Poisson standard errors of
# its held-out count (one hour of 14 days is noisier than the whole period).
BIAS_SHARE = 0.05
BIAS_HOUR_SHARE = 0.10
BIAS_Z = 2.0


@dataclass(frozen=True)
class HeldOutBias:
    """How far a model's mean forecast was from what was observed on the held-out weeks,
    city-wide, over every hour and at the chosen hour, as shares of the observed."""

    model: str
    start: str
    end: str
    share: float
    hour: int
    hour_share: float
    hour_beyond_noise: bool

    @property
    def worth_a_warning(self) -> bool:
        return abs(self.share) >= BIAS_SHARE or (
            abs(self.hour_share) >= BIAS_HOUR_SHARE and self.hour_beyond_noise
        )


def held_out_bias(evaluation: HourlyEvaluation, model: str, hour: int) -> HeldOutBias:
    """The held-out bias of `model` (city-wide, the only scope the evaluation scores) overall
    and at `hour`, from the training record's evaluation."""
    by_hour = pd.DataFrame(evaluation.by_hour).set_index("hour")
    observed = by_hour["observed"]
    expected = by_hour[model]
    row_observed, row_expected = observed.loc[hour], expected.loc[hour]
    # Poisson: the held-out count of that hour over `days` days varies by sqrt(its mean).
    days = evaluation.holdout.days
    noise = np.sqrt(max(row_expected, 1e-9) * days) / days
    return HeldOutBias(
        model=model,
        start=evaluation.holdout.start,
        end=evaluation.holdout.end,
        share=float(expected.sum() / observed.sum() - 1),
        hour=hour,
        hour_share=float(row_expected / row_observed - 1) if row_observed > 0 else 0.0,
        hour_beyond_noise=bool(abs(row_expected - row_observed) > BIAS_Z * noise),
    )


def bias_sentence(bias: HeldOutBias, label: str) -> str:
    """The bias in the planner's words: which way, by how much, and what to do with it."""
    way = "over" if bias.share >= 0 else "under"
    at_hour = (
        f" and {'over' if bias.hour_share >= 0 else 'under'}-forecast "
        f"{bias.hour:02d}:00 by {abs(bias.hour_share):.0%}"
        if abs(bias.hour_share) >= BIAS_HOUR_SHARE and bias.hour_beyond_noise
        else ""
    )
    return (
        f"On the held-out weeks ({bias.start} to {bias.end}), {label} {way}-forecast city-wide "
        f"crimes by {abs(bias.share):.0%}{at_hour}: read its numbers as about that much too "
        f"{'high' if bias.share >= 0 else 'low'}. Part of it can be reports of those weeks that "
        "had not come in yet when the data were taken."
    )


def totals(day: pd.DataFrame, hour: int) -> tuple[str, float, float]:
    """The watch the chosen hour is in, its hours' expected total on this day, and the day's.

    The night watch (23:00-06:59) spans two days: its total here is this day's night-watch
    hours (00:00-06:59 and 23:00-23:59), which the page says."""
    watch = WATCH_NAMES[int(watch_codes(np.array([hour]))[0])]
    hours = watch_codes(day["hour"].to_numpy()) == WATCH_NAMES.index(watch)
    return watch, float(day.loc[hours, "expected"].sum()), float(day["expected"].sum())


def page_note(result: HourlyForecast) -> str:
    """The one note under the chart: what the headline number means, then what the forecast
    had to assume to answer (a season not trained on, an area's or group's share, default
    times spread), each a sentence."""
    notes = " ".join(f"{note[0].upper()}{note[1:]}." for note in result.notes)
    return f"{forecast_sentence(result)} {notes}".strip()
