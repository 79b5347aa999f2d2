"""How well each hourly model forecasts weeks it has not seen, side by side.

The most recent full Monday-to-Sunday weeks are held out and every model is trained only on
the dates before them, by `forecast.fit_hourly` itself, as it would be in use: forecasting
forward, never interpolating. The default model is the one with the lowest mean Poisson
deviance on the held-out hours: the target is a count, and Poisson deviance rewards getting
quiet hours right in proportion, where squared error is dominated by the busiest hours.

The most recent weeks are also the least completely reported (crimes found or reported late
are missing), so every model's `bias` (mean of expected minus observed) is reported too.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance, r2_score

from lacrime.calendar import WEEKDAYS, last_full_sunday
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError
from lacrime.hourly.counts import hourly_counts
from lacrime.hourly.forecast import fit_hourly
from lacrime.hourly.models import INPUT_FEATURES, INTERVAL_LEVEL

SELECTION_RULE = "lowest mean Poisson deviance on the held-out weeks"


@dataclass(frozen=True)
class Span:
    """A run of dates: the first, the last, and how many days it has."""

    start: str
    end: str
    days: int


@dataclass(frozen=True)
class Holdout(Span):
    weeks: int


@dataclass(frozen=True)
class HourlyScores:
    """One model's errors on the held-out hours, and what it was fitted with."""

    mae: float
    r2: float
    poisson_deviance: float
    coverage: float
    mean_interval_width: float
    bias: float
    dispersion: float
    params: dict[str, float]
    feature_names: list[str]
    # MAE of each held-out week (Monday: MAE): its spread is how much MAE moves week to week.
    mae_by_week: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class HourlyEvaluation:
    """Every hourly model on the held-out weeks, the one chosen as default, and the mean
    expected and observed count per hour of the day (`by_hour`: rows of hour, observed and
    one column per model, for a chart)."""

    target: str
    exclude_default_times: bool
    interval_level: float
    train: Span
    holdout: Holdout
    left_out_incomplete_week: list[str]
    input_features: list[str]
    models: dict[str, HourlyScores]
    default_model: str
    selection_rule: str
    by_hour: list[dict[str, float]]
    # Days whose count was corrected for areas that reported them incompletely, and days left
    # out of training and scoring because too few areas reported them completely.
    corrected_days: list[str] = field(default_factory=list)
    left_out_days: list[str] = field(default_factory=list)

    @property
    def default(self) -> HourlyScores:
        return self.models[self.default_model]


def split_holdout(
    table: pd.DataFrame, holdout_weeks: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Training rows (every date before the held-out weeks), held-out rows (the last
    `holdout_weeks` full Monday-Sunday weeks whose every day is in the table: a week left out
    as incompletely reported is skipped) and the dates after them, left out of both."""
    if holdout_weeks < 1:
        raise LacrimeError(f"holdout_weeks must be at least 1, not {holdout_weeks}")
    dates = pd.DatetimeIndex(table["date"].unique())
    sunday = last_full_sunday(dates.max())
    whole = []
    while len(whole) < holdout_weeks and sunday - pd.Timedelta(days=6) >= dates.min():
        week = pd.date_range(sunday - pd.Timedelta(days=6), sunday, freq="D")
        if week.isin(dates).all():
            whole.append(week[0])
        sunday -= pd.Timedelta(days=7)
    start = whole[-1] if whole else sunday + pd.Timedelta(days=1)
    end = whole[0] + pd.Timedelta(days=6) if whole else start
    train = table[table["date"] < start]
    if len(whole) < holdout_weeks or train["date"].nunique() < len(WEEKDAYS):
        raise LacrimeError(
            f"too little data to hold out {holdout_weeks} week(s): "
            f"{table['date'].nunique()} complete day(s) leave under one week to train on"
        )
    holdout = table[(table["date"] >= start) & (table["date"] <= end)]
    after = sorted({d.date().isoformat() for d in table.loc[table["date"] > end, "date"]})
    return train, holdout, after


def _mae_by_week(dates: pd.Series, observed: np.ndarray, expected: np.ndarray) -> dict[str, float]:
    """MAE per Monday-Sunday week of the held-out hours."""
    monday = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.date.astype("str")
    errors = pd.Series(np.abs(expected - observed), index=dates.index)
    return {week: float(mae) for week, mae in errors.groupby(monday.to_numpy()).mean().items()}


def _span(table: pd.DataFrame) -> Span:
    return Span(
        start=table["date"].min().date().isoformat(),
        end=table["date"].max().date().isoformat(),
        days=int(table["date"].nunique()),
    )


def evaluate_hourly(
    frame: pd.DataFrame,
    *,
    holdout_weeks: int = 2,
    exclude_default_times: bool = False,
    interval_level: float = INTERVAL_LEVEL,
    completeness: Completeness | None = None,
) -> HourlyEvaluation:
    """Metrics of every hourly model on the held-out weeks and the default choice; with
    `completeness`, on corrected counts, incompletely reported days left out of both sides."""
    table = hourly_counts(
        frame, exclude_default_times=exclude_default_times, completeness=completeness
    )
    train, holdout, after = split_holdout(table, holdout_weeks)
    bundle = fit_hourly(
        frame,
        exclude_default_times=exclude_default_times,
        interval_level=interval_level,
        before=holdout["date"].min(),
        completeness=completeness,
    )
    observed = holdout["count"].to_numpy()
    scores: dict[str, HourlyScores] = {}
    by_hour = pd.DataFrame({"hour": holdout["hour"].to_numpy(), "observed": observed})
    for name, model in bundle.models.items():
        expected = model.predict_frame(holdout)
        lower, upper = model.interval(expected)
        by_hour[name] = expected
        scores[name] = HourlyScores(
            mae=float(mean_absolute_error(observed, expected)),
            r2=float(r2_score(observed, expected)),
            poisson_deviance=float(mean_poisson_deviance(observed, expected)),
            coverage=float(np.mean((observed >= lower) & (observed <= upper))),
            mean_interval_width=float(np.mean(upper - lower)),
            bias=float(np.mean(expected - observed)),
            dispersion=model.dispersion,
            params=model.params,
            feature_names=model.feature_names,
            mae_by_week=_mae_by_week(holdout["date"], observed, expected),
        )
    default = min(scores, key=lambda name: scores[name].poisson_deviance)
    per_hour = by_hour.groupby("hour").mean().reset_index()
    return HourlyEvaluation(
        target="crimes in one clock hour of one day, city-wide",
        exclude_default_times=exclude_default_times,
        interval_level=interval_level,
        train=_span(train),
        holdout=Holdout(**vars(_span(holdout)), weeks=holdout_weeks),
        left_out_incomplete_week=after,
        input_features=list(INPUT_FEATURES),
        models=scores,
        default_model=default,
        selection_rule=SELECTION_RULE,
        by_hour=per_hour.to_dict(orient="records"),
        corrected_days=_days(table.loc[table["covered"] < 1, "date"]),
        left_out_days=_days(
            pd.date_range(frame["occurred_at"].min().normalize(), table["date"].max()).difference(
                pd.DatetimeIndex(table["date"].unique())
            )
        ),
    )


def _days(dates) -> list[str]:
    return sorted({pd.Timestamp(d).date().isoformat() for d in dates})
