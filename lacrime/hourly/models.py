"""The hourly models, behind one table of factories: how each is built, tuned and described.

Three models answer side by side: the seed project's polynomial regression on the hour, a
Poisson regression on periodic hour splines (so 23:00 and 00:00 are neighbours), and the
historical mean of the same hour and weekday, which any model must beat to be worth its cost.
Each is fitted on a table of `counts.hourly_counts` and gives an expected count per (hour,
weekday, season) with a negative-binomial interval around it.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

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

from lacrime.calendar import SEASONS, WEEKDAYS
from lacrime.errors import LacrimeError, choose

INPUT_FEATURES: tuple[str, ...] = ("hour", "weekday", "season")
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


def _fit_polynomial(table: pd.DataFrame) -> BaseEstimator:
    grid = {"features__hour__poly__degree": list(POLYNOMIAL_DEGREES)}
    return _tuned(polynomial_pipeline(), grid, "neg_mean_squared_error", table)


def _fit_poisson_spline(table: pd.DataFrame) -> BaseEstimator:
    grid = {"regressor__alpha": list(POISSON_ALPHAS)}
    return _tuned(poisson_spline_pipeline(), grid, "neg_mean_poisson_deviance", table)


def _fit_mean(table: pd.DataFrame) -> BaseEstimator:
    return HourWeekdayMean().fit(table[list(INPUT_FEATURES)], table["count"])


def _feature_names(estimator: BaseEstimator) -> list[str]:
    """What a model computes from (hour, weekday, season), after encoding."""
    named = estimator[:-1] if isinstance(estimator, Pipeline) else estimator
    return [str(n) for n in named.get_feature_names_out()]


@dataclass(frozen=True)
class ModelSpec:
    """How one hourly model is fitted (tuned by time-ordered validation where it has
    hyper-parameters), which of them it chose, and how many parameters it estimates: the
    dispersion of its intervals is corrected for that many."""

    label: str
    fit: Callable[[pd.DataFrame], BaseEstimator]
    params: Callable[[BaseEstimator], dict]
    n_params: Callable[[BaseEstimator], int]


MODELS: dict[str, ModelSpec] = {
    "polynomial": ModelSpec(
        "Polynomial regression",
        _fit_polynomial,
        lambda e: {"degree": int(e.get_params()["features__hour__poly__degree"])},
        lambda e: len(_feature_names(e)) + 1,
    ),
    "poisson_spline": ModelSpec(
        "Poisson regression on hour splines",
        _fit_poisson_spline,
        lambda e: {"alpha": float(e.get_params()["regressor__alpha"]), "n_knots": SPLINE_KNOTS},
        lambda e: len(_feature_names(e)) + 1,
    ),
    "baseline": ModelSpec(
        "Historical mean",
        _fit_mean,
        lambda e: {},
        lambda e: len(e.by_season_),  # one mean per hour x weekday x season
    ),
}
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
# Used until an evaluation says otherwise: `evaluate_hourly` picks the model with the lowest
# Poisson deviance on held-out weeks, and `lacrime train` passes that choice to `fit_hourly`.
DEFAULT_MODEL = "poisson_spline"


def _nb_dispersion(y: np.ndarray, mean: np.ndarray, n_params: int) -> float:
    """Method-of-moments NB2 dispersion (Var = mu + alpha mu^2), 0 when not overdispersed.

    Squared residuals are scaled by n / (n - n_params): in-sample residuals of a model with
    many parameters (the baseline has one per cell) understate the variance of new counts.
    """
    n = len(y)
    inflation = n / max(n - n_params, 1)
    return max(0.0, float(np.sum(inflation * (y - mean) ** 2 - mean) / np.sum(mean**2)))


def count_interval(
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
        self.name = choose(name, MODELS, "model")
        self.interval_level = interval_level

    def fit(self, table: pd.DataFrame) -> "HourlyModel":
        if table["weekday"].nunique() < len(WEEKDAYS):
            raise LacrimeError(
                "hourly models need at least one date of every weekday; "
                f"the training data covers {table['date'].nunique()} day(s)"
            )
        spec = MODELS[self.name]
        self.estimator = spec.fit(table)
        days = table.drop_duplicates("date")
        self.seasons = tuple(s for s in SEASONS if s in set(days["season"]))
        per_day = days.groupby(["weekday", "season"]).size()
        self.season_weights = {
            day: (per_day[day] / per_day[day].sum())
            .reindex(self.seasons, fill_value=0.0)
            .to_numpy()
            for day in WEEKDAYS
        }
        self.dispersion = _nb_dispersion(
            table["count"].to_numpy(), self.predict_frame(table), spec.n_params(self.estimator)
        )
        return self

    @property
    def label(self) -> str:
        return MODELS[self.name].label

    @property
    def feature_names(self) -> list[str]:
        """What the model computes from (hour, weekday, season), after encoding."""
        return _feature_names(self.estimator)

    @property
    def params(self) -> dict:
        """The hyper-parameters chosen by time-ordered validation."""
        return MODELS[self.name].params(self.estimator)

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
        return count_interval(mean, self.dispersion, self.interval_level)


def fit_models(
    table: pd.DataFrame, *, interval_level: float = INTERVAL_LEVEL
) -> dict[str, HourlyModel]:
    """Every model of MODELS fitted on one hourly_counts table.

    Single-threaded: on a table this small, BLAS and OpenMP threads cost more than they save,
    ten times more on a busy two-core machine.
    """
    with threadpool_limits(limits=1):
        return {name: HourlyModel(name, interval_level).fit(table) for name in MODELS}
