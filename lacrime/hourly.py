"""Hourly crime frequency: how many crimes to expect in one clock hour of one kind of day.

A planner asks "how many crimes at 6 PM on a summer Friday, in Central, of vehicle crime?".
The answer is a mean and a range for the count in that hour of one such day, learnt from the
count of every calendar date x clock hour in the data, quiet hours with no report included.

Three models answer side by side: the seed project's polynomial regression on the hour, a
Poisson regression on periodic hour splines (so 23:00 and 00:00 are neighbours), and the
historical mean of the same hour and weekday, which any model must beat to be worth its cost.

One fitted bundle serves every area and crime group: models are fitted once on the bundle's
scope (city-wide unless asked otherwise) and a narrower request is the scope's forecast times
that area's / group's share of the scope's crimes in that hour of the day, estimated from the
same training data. Fitting 21 areas x 7 groups x 2 variants would take minutes at train time
and give each small cell too few crimes to fit a curve; the share keeps the weekday and season
pattern of the whole city and the hour-of-day shape of the cell.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import PoissonRegressor, Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, PolynomialFeatures, SplineTransformer
from threadpoolctl import threadpool_limits

from lacrime.categories import GROUPS
from lacrime.clean import DEFAULT_TIMES
from lacrime.errors import LacrimeError

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
SEASONS: tuple[str, ...] = ("winter", "spring", "summer", "autumn")
SEASON_OF_MONTH = {month: SEASONS[month % 12 // 3] for month in range(1, 13)}  # Dec-Feb winter
SEASON_ALIASES = {"fall": "autumn"}
INPUT_FEATURES: tuple[str, ...] = ("hour", "weekday", "season")
MODEL_NAMES: tuple[str, ...] = ("polynomial", "poisson_spline", "baseline")
# Used until an evaluation says otherwise: `evaluate_hourly` picks the model with the lowest
# Poisson deviance on held-out weeks, and `lacrime train` passes that choice to `fit_hourly`.
DEFAULT_MODEL = "poisson_spline"
INTERVAL_LEVEL = 0.9
# Means are floored here so that Poisson deviance and quantiles stay defined for a model that
# predicts zero or a negative count (the polynomial can, at night).
MIN_RATE = 1e-3
POLYNOMIAL_DEGREES = tuple(range(1, 9))
SPLINE_KNOTS = 13  # 12 periodic cubic splines: a bump every 2 hours
POISSON_ALPHAS = (1e-3, 1e-2, 1e-1)
# Day types whose daily curve may differ in shape from Monday-Thursday's (night life).
DAY_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("friday", ("Friday",)),
    ("saturday", ("Saturday",)),
    ("sunday", ("Sunday",)),
)
CV_SPLITS = 3
# Prior weight, in reports, of the all-day share when estimating an area's share of one hour:
# a cell with few reports in that hour leans on its all-day share instead of its noise.
SHARE_PRIOR_REPORTS = 100.0


def parse_hour(hour: object) -> int:
    if isinstance(hour, bool) or not isinstance(hour, int | np.integer) or not 0 <= hour <= 23:
        raise LacrimeError(f"hour must be a whole number from 0 to 23, not {hour!r}")
    return int(hour)


def parse_weekday(weekday: object) -> str:
    names = {day.lower(): day for day in WEEKDAYS}
    key = str(weekday).strip().lower()
    if key not in names:
        raise LacrimeError(f"weekday must be one of {', '.join(WEEKDAYS)}, not {weekday!r}")
    return names[key]


def parse_season(season: object) -> str:
    key = str(season).strip().lower()
    key = SEASON_ALIASES.get(key, key)
    if key not in SEASONS:
        raise LacrimeError(f"season must be one of {', '.join(SEASONS)}, not {season!r}")
    return key


def _pick(value: str | None, known: list[str] | tuple[str, ...], what: str) -> str | None:
    """The known spelling of `value`, matched case-insensitively, so the command line may spell
    a name in any case; None (city-wide, every group) stays None."""
    if value is None:
        return None
    names = {name.lower(): name for name in known}
    key = str(value).strip().lower()
    if key not in names:
        raise LacrimeError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")
    return names[key]


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in ("occurred_at", "time_occ", "area_name", "crime_group") if c not in frame]
    if missing:
        raise LacrimeError(f"cleaned dataset lacks column(s) {', '.join(missing)}")
    if frame.empty:
        raise LacrimeError("cleaned dataset has no rows: nothing to count per hour")


def genuine_shares(time_occ: pd.Series) -> dict[int, float]:
    """Per default time (12:00, 00:01), the share of its reports that are real times of day.

    A default time is also a time crimes really occur at, and a whole hour, which reporters
    round to: 12:00 is noon, and 00:01 is how the portal writes midnight (it has no 00:00).
    Spreading every such report over the day would drop that rounding too: on the real
    extract the noon bar would sit a quarter below its neighbours and the midnight bar a
    third. So a default time keeps as many reports as the whole hours either side have on
    average (11:00 and 13:00; 23:00 and 01:00), and only the excess above them is "unknown".
    """
    counts = time_occ.value_counts()
    shares = {}
    for default in DEFAULT_TIMES:
        hour = default // 100
        either_side = [((hour + step) % 24) * 100 for step in (-1, 1)]
        genuine = float(counts.reindex(either_side, fill_value=0).mean())
        reported = int(counts.get(default, 0))
        shares[default] = min(1.0, genuine / reported) if reported else 1.0
    return shares


def _hour_weights(frame: pd.DataFrame, shares: dict[int, float] | None) -> pd.DataFrame:
    """One row per report and hour it counts in, with the weight it counts for.

    With `shares` (default times left out), a report at a default time (the portal's
    "unknown") keeps its share's weight in its own hour and spreads the rest evenly over the
    24 hours of its date: daily totals and area shares stay those of the full data, and only
    the fake noon and midnight peaks go.
    """
    occurred = frame["occurred_at"]
    reports = pd.DataFrame(
        {
            "date": occurred.dt.normalize().to_numpy(),
            "hour": occurred.dt.hour.to_numpy(dtype="int64"),
            "area_name": frame["area_name"].to_numpy(),
            "crime_group": frame["crime_group"].to_numpy(),
            "weight": 1.0,
        }
    )
    if shares is None:
        return reports
    time_occ = frame["time_occ"]
    unknown = time_occ.isin(DEFAULT_TIMES).to_numpy()
    kept = time_occ[unknown].map(shares).to_numpy(dtype="float64")
    own_hour = reports[unknown].assign(weight=kept)
    spread = reports[unknown].loc[lambda r: r.index.repeat(24)]
    spread = spread.assign(
        hour=np.tile(np.arange(24), int(unknown.sum())), weight=np.repeat((1 - kept) / 24, 24)
    )
    return pd.concat([reports[~unknown], own_hour, spread], ignore_index=True)


def _calendar(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Every date x hour, with the weekday and season the models see."""
    grid = pd.MultiIndex.from_product([dates, range(24)], names=["date", "hour"]).to_frame(
        index=False
    )
    grid["hour"] = grid["hour"].astype("int64")
    grid["weekday"] = grid["date"].dt.day_name()
    grid["season"] = grid["date"].dt.month.map(SEASON_OF_MONTH)
    return grid


def _scoped(
    frame: pd.DataFrame, area: str | None, crime_group: str | None, exclude_default_times: bool
) -> tuple[str | None, str | None, pd.DataFrame]:
    """The known spelling of the area and crime group, and the hour weights of their reports.

    How many default-time reports are "unknown" is measured on the whole frame, which has the
    counts to measure it; the scope is taken before weighting, so only its reports are spread.
    """
    _check_frame(frame)
    area = _pick(area, frame["area_name"].unique().tolist(), "area")
    crime_group = _pick(crime_group, GROUPS, "crime group")
    shares = genuine_shares(frame["time_occ"]) if exclude_default_times else None
    scoped = frame
    if area is not None:
        scoped = scoped[scoped["area_name"] == area]
    if crime_group is not None:
        scoped = scoped[scoped["crime_group"] == crime_group]
    return area, crime_group, _hour_weights(scoped, shares)


def _counts(weights: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    days = frame["occurred_at"].dt.normalize()
    table = _calendar(pd.date_range(days.min(), days.max(), freq="D"))
    counts = weights.groupby(["date", "hour"])["weight"].sum().rename("count")
    table = table.join(counts, on=["date", "hour"])
    table["count"] = table["count"].fillna(0.0)
    return table


def hourly_counts(
    frame: pd.DataFrame,
    *,
    area: str | None = None,
    crime_group: str | None = None,
    exclude_default_times: bool = False,
) -> pd.DataFrame:
    """Crimes per calendar date x clock hour (date, hour, weekday, season, count).

    Every date from the first to the last day of `frame` has its 24 hours, zero-count hours
    included: a model that never sees a quiet hour overestimates every hour. The span is the
    whole frame's even when filtering, so a quiet area's empty days count as zeros too. With
    `exclude_default_times`, the excess of reports at 12:00 or 00:01 is spread evenly over the
    24 hours of their date (see `_hour_weights`), so counts may be fractional and daily totals
    unchanged.
    """
    _, _, weights = _scoped(frame, area, crime_group, exclude_default_times)
    return _counts(weights, frame)


def observed_curve(
    frame: pd.DataFrame,
    *,
    weekday: str,
    season: str,
    area: str | None = None,
    crime_group: str | None = None,
    exclude_default_times: bool = False,
) -> pd.DataFrame:
    """Observed mean count per hour over the dates of that weekday and season (hour, observed,
    n_days); `observed` is NaN and `n_days` 0 when the data has no such date."""
    table = hourly_counts(
        frame, area=area, crime_group=crime_group, exclude_default_times=exclude_default_times
    )
    return observed_from_counts(table, weekday=weekday, season=season)


def observed_from_counts(table: pd.DataFrame, *, weekday: str, season: str) -> pd.DataFrame:
    """`observed_curve` from a table of `hourly_counts`: a page keeps that table cached, since
    counting a million reports takes seconds and picking a weekday and season does not."""
    weekday, season = parse_weekday(weekday), parse_season(season)
    same = table[(table["weekday"] == weekday) & (table["season"] == season)]
    by_hour = same.groupby("hour")["count"].agg(observed="mean", n_days="size")
    out = by_hour.reindex(range(24)).rename_axis("hour").reset_index()
    out["n_days"] = out["n_days"].fillna(0).astype("int64")
    return out


class HourWeekdayMean(RegressorMixin, BaseEstimator):
    """Historical mean count of the same hour, weekday and season.

    A cell absent from training (a season the data does not cover) falls back to the mean of
    the same hour and weekday, then of the same hour.
    """

    def fit(self, X: pd.DataFrame, y: pd.Series) -> "HourWeekdayMean":
        data = X[list(INPUT_FEATURES)].assign(count=np.asarray(y, dtype="float64"))
        self.by_season_ = data.groupby(list(INPUT_FEATURES))["count"].mean()
        self.by_weekday_ = data.groupby(["hour", "weekday"])["count"].mean()
        self.by_hour_ = data.groupby("hour")["count"].mean()
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        keys = X[list(INPUT_FEATURES)]
        mean = keys.join(self.by_season_.rename("m"), on=list(INPUT_FEATURES))["m"]
        mean = mean.fillna(keys.join(self.by_weekday_.rename("m"), on=["hour", "weekday"])["m"])
        mean = mean.fillna(keys["hour"].map(self.by_hour_))
        return mean.to_numpy(dtype="float64")

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(INPUT_FEATURES, dtype=object)


class HourByDayType(TransformerMixin, BaseEstimator):
    """Periodic hour splines multiplied by day-type indicators, so that Friday or Saturday
    nights may differ in shape from a Tuesday's, not only in level."""

    def __init__(self, n_knots: int = SPLINE_KNOTS, day_types: tuple = DAY_TYPES) -> None:
        self.n_knots = n_knots
        self.day_types = day_types

    def fit(self, X: pd.DataFrame, y: object = None) -> "HourByDayType":
        self.spline_ = _hour_spline(self.n_knots).fit(X[["hour"]])
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        basis = self.spline_.transform(X[["hour"]])
        weekday = X["weekday"].to_numpy()
        return np.hstack([basis * np.isin(weekday, days)[:, None] for _, days in self.day_types])

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        names = self.spline_.get_feature_names_out(["hour"])
        return np.asarray(
            [f"{n}_x_{kind}" for kind, _ in self.day_types for n in names], dtype=object
        )


def _hour_spline(n_knots: int) -> SplineTransformer:
    """Cubic splines periodic over the day: the curve at 24:00 joins the one at 00:00."""
    return SplineTransformer(
        knots=np.linspace(0, 24, n_knots).reshape(-1, 1), degree=3, extrapolation="periodic"
    )


def _calendar_one_hot() -> OneHotEncoder:
    # Categories fixed so that every pipeline has the same columns whatever the data covers.
    # A season absent from a validation fold's training dates gets a zero coefficient; a
    # fitted model is never asked for one it did not see (see HourlyModel.predict_frame).
    return OneHotEncoder(
        categories=[list(WEEKDAYS), list(SEASONS)], handle_unknown="ignore", sparse_output=False
    )


def polynomial_pipeline(degree: int = 3) -> Pipeline:
    """The seed project's model: a polynomial in the hour plus additive weekday and season."""
    hour = Pipeline(
        [
            ("scale", MinMaxScaler(feature_range=(-1, 1))),
            ("poly", PolynomialFeatures(degree=degree, include_bias=False)),
        ]
    )
    features = ColumnTransformer(
        [("hour", hour, ["hour"]), ("calendar", _calendar_one_hot(), ["weekday", "season"])]
    )
    return Pipeline([("features", features), ("regressor", Ridge(alpha=1e-3))])


def poisson_spline_pipeline(alpha: float = 1e-3) -> Pipeline:
    """Log-linear Poisson rate: periodic hour splines, weekday and season, hour x day type."""
    features = ColumnTransformer(
        [
            ("hour", _hour_spline(SPLINE_KNOTS), ["hour"]),
            ("calendar", _calendar_one_hot(), ["weekday", "season"]),
            ("hour_by_day", HourByDayType(), ["hour", "weekday"]),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("regressor", PoissonRegressor(alpha=alpha, solver="newton-cholesky", max_iter=1000)),
        ]
    )


def _time_ordered_splits(table: pd.DataFrame) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Folds that always validate on dates later than those trained on, whole days at a time."""
    days = np.sort(table["date"].unique())
    for train, valid in TimeSeriesSplit(n_splits=CV_SPLITS).split(days):
        yield (
            np.flatnonzero(table["date"].isin(days[train])),
            np.flatnonzero(table["date"].isin(days[valid])),
        )


def _tuned(pipeline: Pipeline, grid: dict, scoring: str, table: pd.DataFrame) -> Pipeline:
    search = GridSearchCV(
        pipeline, grid, scoring=scoring, cv=list(_time_ordered_splits(table)), refit=True
    )
    search.fit(table[list(INPUT_FEATURES)], table["count"])
    return search.best_estimator_


def _nb_dispersion(y: np.ndarray, mean: np.ndarray, n_params: int) -> float:
    """Method-of-moments NB2 dispersion (Var = mu + alpha mu^2), 0 when not overdispersed.

    Squared residuals are scaled by n / (n - n_params): in-sample residuals of a model with
    many parameters (the baseline has one per cell) understate the variance of new counts.
    """
    n = len(y)
    inflation = n / max(n - n_params, 1)
    return max(0.0, float(np.sum(inflation * (y - mean) ** 2 - mean) / np.sum(mean**2)))


def _count_interval(
    mean: np.ndarray, dispersion: float, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central `level` interval of a count with this mean: Poisson quantiles, or negative
    binomial (NB2) ones when the training residuals are overdispersed."""
    mean = np.maximum(np.asarray(mean, dtype="float64"), MIN_RATE)
    tails = ((1 - level) / 2, (1 + level) / 2)
    if dispersion > 0:
        size = 1 / dispersion
        lower, upper = (stats.nbinom.ppf(q, size, size / (size + mean)) for q in tails)
    else:
        lower, upper = (stats.poisson.ppf(q, mean) for q in tails)
    return lower, upper


class HourlyModel:
    """One fitted model of the hourly count: its mean, and a count interval around it.

    Intervals are negative-binomial (NB2) quantiles with the dispersion estimated from the
    model's own training residuals by the method of moments, which reduces to Poisson
    quantiles when the counts are not overdispersed. A season the training data does not
    cover is answered with the average over the seasons it does cover, weighted by how many
    training dates of that weekday each has (for the baseline, exactly the hour x weekday mean).
    """

    def __init__(self, name: str, interval_level: float = INTERVAL_LEVEL) -> None:
        if name not in MODEL_NAMES:
            raise LacrimeError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
        self.name = name
        self.interval_level = interval_level

    def fit(self, table: pd.DataFrame) -> "HourlyModel":
        if table["weekday"].nunique() < len(WEEKDAYS):
            raise LacrimeError(
                "hourly models need at least one date of every weekday; "
                f"the training data covers {table['date'].nunique()} day(s)"
            )
        if self.name == "polynomial":
            self.estimator = _tuned(
                polynomial_pipeline(),
                {"features__hour__poly__degree": list(POLYNOMIAL_DEGREES)},
                "neg_mean_squared_error",
                table,
            )
        elif self.name == "poisson_spline":
            self.estimator = _tuned(
                poisson_spline_pipeline(),
                {"regressor__alpha": list(POISSON_ALPHAS)},
                "neg_mean_poisson_deviance",
                table,
            )
        else:
            self.estimator = HourWeekdayMean().fit(table[list(INPUT_FEATURES)], table["count"])
        days = table.drop_duplicates("date")
        self.seasons = tuple(s for s in SEASONS if s in set(days["season"]))
        per_day = days.groupby(["weekday", "season"]).size()
        self.season_weights = {
            day: (per_day[day] / per_day[day].sum())
            .reindex(self.seasons, fill_value=0.0)
            .to_numpy()
            for day in WEEKDAYS
        }
        n_params = (
            len(self.estimator.by_season_)
            if self.name == "baseline"
            else len(self.feature_names) + 1
        )
        self.dispersion = _nb_dispersion(
            table["count"].to_numpy(), self.predict_frame(table), n_params
        )
        return self

    @property
    def feature_names(self) -> list[str]:
        """What the model computes from (hour, weekday, season), after encoding."""
        if isinstance(self.estimator, Pipeline):
            return [str(n) for n in self.estimator[:-1].get_feature_names_out()]
        return [str(n) for n in self.estimator.get_feature_names_out()]

    @property
    def params(self) -> dict:
        """The hyper-parameters chosen by time-ordered validation."""
        if self.name == "polynomial":
            return {"degree": int(self.estimator.get_params()["features__hour__poly__degree"])}
        if self.name == "poisson_spline":
            return {
                "alpha": float(self.estimator.get_params()["regressor__alpha"]),
                "n_knots": SPLINE_KNOTS,
            }
        return {}

    def predict_frame(self, rows: pd.DataFrame) -> np.ndarray:
        """Expected count for each row of (hour, weekday, season)."""
        rows = rows[list(INPUT_FEATURES)].reset_index(drop=True)
        seen = rows["season"].isin(self.seasons).to_numpy()
        mean = np.empty(len(rows))
        if seen.any():
            mean[seen] = self.estimator.predict(rows[seen])
        if not seen.all():
            unseen = rows[~seen]
            expanded = pd.DataFrame(
                {
                    "hour": np.repeat(unseen["hour"].to_numpy(), len(self.seasons)),
                    "weekday": np.repeat(unseen["weekday"].to_numpy(), len(self.seasons)),
                    "season": np.tile(self.seasons, len(unseen)),
                }
            )
            by_season = self.estimator.predict(expanded).reshape(len(unseen), -1)
            weights = np.vstack([self.season_weights[day] for day in unseen["weekday"]])
            mean[~seen] = (by_season * weights).sum(axis=1)
        return np.maximum(mean, MIN_RATE)

    def interval(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The `interval_level` count interval around each mean."""
        return _count_interval(mean, self.dispersion, self.interval_level)


def fit_models(
    table: pd.DataFrame, *, interval_level: float = INTERVAL_LEVEL
) -> dict[str, HourlyModel]:
    """Every model of MODEL_NAMES fitted on one hourly_counts table.

    Single-threaded: on a table this small, BLAS and OpenMP threads cost more than they save,
    ten times more on a busy two-core machine.
    """
    with threadpool_limits(limits=1):
        return {name: HourlyModel(name, interval_level).fit(table) for name in MODEL_NAMES}


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
        name = self.default_model if name is None else str(name).strip().lower()
        if name not in self.models:
            raise LacrimeError(f"unknown model {name!r}; known: {', '.join(self.models)}")
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
            return _pick(asked, known, what)
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
) -> HourlyBundle:
    """Fit every hourly model on `frame` (restricted to `area` / `crime_group` when given)."""
    if default_model not in MODEL_NAMES:
        raise LacrimeError(f"unknown model {default_model!r}; known: {', '.join(MODEL_NAMES)}")
    area, crime_group, weights = _scoped(frame, area, crime_group, exclude_default_times)
    if weights.empty:
        raise LacrimeError(
            f"no crimes of area {area!r} and crime group {crime_group!r} "
            "in the data: nothing to fit"
        )
    table = _counts(weights, frame)
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


def forecast(
    bundle: HourlyBundle,
    *,
    hour: int,
    weekday: str,
    season: str,
    area: str | None = None,
    crime_group: str | None = None,
    model: str | None = None,
) -> dict:
    """Expected crimes in one clock hour of one day of that weekday and season, with a range."""
    hour, weekday, season = parse_hour(hour), parse_weekday(weekday), parse_season(season)
    row = pd.DataFrame({"hour": [hour], "weekday": [weekday], "season": [season]})
    fitted, area, crime_group, mean = _expected(bundle, row, area, crime_group, model)
    lower, upper = fitted.interval(mean)
    in_training, features, notes = _notes(bundle, season, area, crime_group)
    return {
        "hour": hour,
        "weekday": weekday,
        "season": season,
        "area": area,
        "crime_group": crime_group,
        "model": fitted.name,
        "expected": round(float(mean[0]), 3),
        "lower": int(lower[0]),
        "upper": int(upper[0]),
        "interval_level": fitted.interval_level,
        "exclude_default_times": bundle.exclude_default_times,
        "season_in_training": in_training,
        "features": features,
        "notes": notes,
    }


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
