"""Hourly forecasts: how many crimes to expect in one clock hour of one kind of day.

A planner asks "how many crimes at 6 PM on a summer Friday, in Central, of vehicle crime?".
The answer is a mean and a range for the count in that hour of one such day, learnt from the
count of every calendar date x clock hour in the data, quiet hours with no report included.

One fitted bundle serves every area and crime group: models are fitted once on the bundle's
scope (city-wide unless asked otherwise) and a narrower request is the scope's forecast times
that area's / group's share of the scope's crimes in that hour of the day, estimated from the
same training data. Fitting 21 areas x 7 groups x 2 variants would take minutes at train time
and give each small cell too few crimes to fit a curve; the share keeps the weekday and season
pattern of the whole city and the hour-of-day shape of the cell.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lacrime.calendar import WEEKDAYS, parse_hour, parse_season, parse_weekday
from lacrime.data.categories import GROUPS
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError, choose
from lacrime.hourly.counts import count_table, scoped_weights, whole_days
from lacrime.hourly.models import (
    DEFAULT_MODEL,
    INPUT_FEATURES,
    INTERVAL_LEVEL,
    MIN_RATE,
    MODEL_NAMES,
    HourlyModel,
    fit_models,
)

# Prior weight, in reports, of the all-day share when estimating an area's share of one hour:
# a cell with few reports in that hour leans on its all-day share instead of its noise.
SHARE_PRIOR_REPORTS = 100.0


def _hour_shares(weights: pd.DataFrame) -> dict[tuple[str | None, str | None], np.ndarray]:
    """Share of the scope's crimes in each hour of the day that each area, crime group and
    area x group accounts for, shrunk toward its all-day share by SHARE_PRIOR_REPORTS.

    The shrinkage is linear, so shares of the parts still add up to the whole's in every hour.
    """
    areas = sorted(weights["area_name"].unique())
    cube = (
        weights.groupby(["area_name", "crime_group", "hour"])["weight"]
        .sum()
        .unstack("hour")
        .reindex(columns=range(24))
        .reindex(pd.MultiIndex.from_product([areas, GROUPS]))
        .fillna(0.0)
    )
    total = cube.sum().to_numpy()
    parts = {
        **{(a, None): row for a, row in cube.groupby(level=0).sum().iterrows()},
        **{(None, g): row for g, row in cube.groupby(level=1).sum().iterrows()},
        **{key: row for key, row in cube.iterrows()},
    }
    shares = {(None, None): np.ones(24)}
    for key, row in parts.items():
        counts = row.to_numpy()
        all_day = counts.sum() / total.sum()
        shares[key] = (counts + SHARE_PRIOR_REPORTS * all_day) / (total + SHARE_PRIOR_REPORTS)
    return shares


@dataclass
class HourlyBundle:
    """The fitted models of one (area, crime_group, exclude_default_times) scope, with the
    hour-of-day shares that serve narrower areas and groups from them."""

    models: dict[str, HourlyModel]
    area: str | None
    crime_group: str | None
    exclude_default_times: bool
    default_model: str
    interval_level: float
    train_start: str
    train_end: str
    shares: dict[tuple[str | None, str | None], np.ndarray] = field(repr=False)

    @property
    def seasons(self) -> tuple[str, ...]:
        return self.models[self.default_model].seasons

    @property
    def areas(self) -> list[str]:
        return sorted({a for a, _ in self.shares if a is not None})

    def model(self, name: str | None) -> HourlyModel:
        name = self.default_model if name is None else choose(name, self.models, "model")
        return self.models[name]

    def share(
        self, area: str | None, crime_group: str | None
    ) -> tuple[str | None, str | None, np.ndarray]:
        """The canonical (area, crime group) asked for and its share of the bundle's scope."""
        area = self._within(area, self.area, self.areas, "area")
        crime_group = self._within(crime_group, self.crime_group, GROUPS, "crime group")
        key = (
            area if self.area is None else None,
            crime_group if self.crime_group is None else None,
        )
        return area, crime_group, self.shares[key]

    @staticmethod
    def _within(asked: str | None, scope: str | None, known: list | tuple, what: str) -> str | None:
        if scope is None:
            return None if asked is None else choose(asked, known, what)
        if asked is not None and str(asked).strip().lower() != scope.lower():
            raise LacrimeError(
                f"these models were trained for {what} {scope!r} only, "
                f"not {asked!r}; train city-wide models to ask about others"
            )
        return scope


def fit_hourly(
    frame: pd.DataFrame,
    *,
    exclude_default_times: bool = False,
    area: str | None = None,
    crime_group: str | None = None,
    default_model: str = DEFAULT_MODEL,
    interval_level: float = INTERVAL_LEVEL,
    before: pd.Timestamp | None = None,
    completeness: Completeness | None = None,
) -> HourlyBundle:
    """Fit every hourly model on `frame` (restricted to `area` / `crime_group` when given).

    With `before`, only the dates before it train: the evaluation holds out the weeks from it
    on and fits through this very function, so what it scores is what `lacrime train` ships.
    With `completeness`, incompletely reported days are corrected or left out (see
    `lacrime.hourly.counts`), and the areas' and groups' shares come from complete days.
    """
    default_model = choose(default_model, MODEL_NAMES, "model")
    area, crime_group, weights = scoped_weights(frame, area, crime_group, exclude_default_times)
    table = count_table(weights, frame, completeness)
    if before is not None:
        table = table[table["date"] < before]
        weights = weights[weights["date"] < before]
    weights = whole_days(weights, completeness)
    if weights.empty:
        raise LacrimeError(
            f"no crimes of area {area!r} and crime group {crime_group!r} "
            "in the data: nothing to fit"
        )
    return HourlyBundle(
        models=fit_models(table, interval_level=interval_level),
        area=area,
        crime_group=crime_group,
        exclude_default_times=exclude_default_times,
        default_model=default_model,
        interval_level=interval_level,
        train_start=table["date"].min().date().isoformat(),
        train_end=table["date"].max().date().isoformat(),
        shares=_hour_shares(weights),
    )


def _notes(
    bundle: HourlyBundle, season: str, area: str | None, crime_group: str | None
) -> tuple[bool, list[str], list[str]]:
    """Whether the season was trained on, the input features used, and what to tell the user."""
    in_training = season in bundle.seasons
    features = list(INPUT_FEATURES) if in_training else ["hour", "weekday"]
    notes = []
    if not in_training:
        notes.append(
            f"{season} is not in the training data ({bundle.train_start} to "
            f"{bundle.train_end}, {', '.join(bundle.seasons)}): the forecast uses "
            "hour x weekday, averaged over the seasons trained on"
        )
    scaled = [
        (what, asked)
        for what, asked, fitted_for in (
            ("area", area, bundle.area),
            ("crime_group", crime_group, bundle.crime_group),
        )
        if asked is not None and fitted_for is None
    ]
    if scaled:
        features.append("_".join(what for what, _ in scaled) + "_share_by_hour")
        label = " in ".join(asked for _, asked in reversed(scaled))
        scope = " in ".join(x for x in (bundle.crime_group, bundle.area) if x) or "the city"
        notes.append(
            f"the forecast for {scope} times the share of {label} in its crimes at that hour "
            "of the day in the training data"
        )
    if bundle.exclude_default_times:
        notes.append(
            "reports at the default times 12:00 and 00:01 beyond those of the whole hours "
            "either side are spread evenly over the 24 hours of their day"
        )
    return in_training, features, notes


def _expected(
    bundle: HourlyBundle,
    rows: pd.DataFrame,
    area: str | None,
    crime_group: str | None,
    model: str | None,
) -> tuple[HourlyModel, str | None, str | None, np.ndarray]:
    """The model asked for, the canonical area and crime group, and the expected count of each
    row of (hour, weekday, season).

    A narrower request is the bundle's forecast times its share of the row's hour of the day,
    the same for every weekday; `forecast`, `curve` and `week_curves` all scale it here so a
    headline number, its day's curve and its week's chart never disagree.
    """
    fitted = bundle.model(model)
    area, crime_group, share = bundle.share(area, crime_group)
    mean = np.maximum(fitted.predict_frame(rows) * share[rows["hour"].to_numpy()], MIN_RATE)
    return fitted, area, crime_group, mean


@dataclass(frozen=True)
class HourlyForecast:
    """Expected crimes in one clock hour of one day of a weekday and season, with a range."""

    hour: int
    weekday: str
    season: str
    area: str | None
    crime_group: str | None
    model: str
    expected: float
    lower: int
    upper: int
    interval_level: float
    exclude_default_times: bool
    season_in_training: bool
    features: list[str]
    notes: list[str]


def forecast(
    bundle: HourlyBundle,
    *,
    hour: int,
    weekday: str,
    season: str,
    area: str | None = None,
    crime_group: str | None = None,
    model: str | None = None,
) -> HourlyForecast:
    """Expected crimes in one clock hour of one day of that weekday and season, with a range."""
    hour, weekday, season = parse_hour(hour), parse_weekday(weekday), parse_season(season)
    row = pd.DataFrame({"hour": [hour], "weekday": [weekday], "season": [season]})
    fitted, area, crime_group, mean = _expected(bundle, row, area, crime_group, model)
    lower, upper = fitted.interval(mean)
    in_training, features, notes = _notes(bundle, season, area, crime_group)
    return HourlyForecast(
        hour=hour,
        weekday=weekday,
        season=season,
        area=area,
        crime_group=crime_group,
        model=fitted.name,
        expected=round(float(mean[0]), 3),
        lower=int(lower[0]),
        upper=int(upper[0]),
        interval_level=fitted.interval_level,
        exclude_default_times=bundle.exclude_default_times,
        season_in_training=in_training,
        features=features,
        notes=notes,
    )


def curve(
    bundle: HourlyBundle,
    *,
    weekday: str,
    season: str,
    area: str | None = None,
    crime_group: str | None = None,
    model: str | None = None,
) -> pd.DataFrame:
    """The 24 hourly forecasts of one day (hour, expected, lower, upper)."""
    weekday, season = parse_weekday(weekday), parse_season(season)
    rows = pd.DataFrame({"hour": np.arange(24), "weekday": weekday, "season": season})
    fitted, _, _, mean = _expected(bundle, rows, area, crime_group, model)
    lower, upper = fitted.interval(mean)
    return pd.DataFrame(
        {
            "hour": np.arange(24),
            "expected": mean,
            "lower": lower.astype("int64"),
            "upper": upper.astype("int64"),
        }
    )


def week_curves(
    bundle: HourlyBundle,
    *,
    season: str,
    area: str | None = None,
    crime_group: str | None = None,
    model: str | None = None,
) -> pd.DataFrame:
    """Expected crimes per hour (rows) of each weekday (columns) of a season, from one
    prediction of the 168 hours rather than one per weekday: the hourly page draws all seven."""
    season = parse_season(season)
    rows = pd.DataFrame(
        {
            "hour": np.tile(np.arange(24), len(WEEKDAYS)),
            "weekday": np.repeat(WEEKDAYS, 24),
            "season": season,
        }
    )
    _, _, _, mean = _expected(bundle, rows, area, crime_group, model)
    return pd.DataFrame(mean.reshape(len(WEEKDAYS), 24).T, columns=list(WEEKDAYS)).rename_axis(
        index="hour", columns="weekday"
    )
