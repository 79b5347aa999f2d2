"""Hotspot models behind one interface: machine-learning models and the baselines they must beat.

Each model ranks the cells of the forecast week by a risk score learnt or computed from panel
features (`lacrime.hotspots.panel`), and records the feature names it used. The baselines are
what an analyst would do without a model (last week's busiest cells, the busiest cells of all
time, a kernel density map), so the evaluation can say whether the learning earns its
complexity.

A stronger learner was tried and left out because it did not beat the random forest on the
rolling evaluation of the real extract (mean PAI at 5% over 3 / 4 / 5 weeks, same features):
gradient-boosted trees 5.60 / 5.68 / 5.66 and a Poisson gradient-boosted regression of next
week's counts 5.70 / 5.79 / 5.78, against 5.77 / 5.82 / 5.83 for the random forest.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from lacrime.hotspots.panel import (
    CALENDAR_FEATURES,
    CALENDAR_MIN_WEEKS,
    HISTORY_FEATURES,
    KDE_FEATURE,
    MIX_FEATURES,
)

N_JOBS = 2
SEED = 0
# Past this many training rows (about 26 weeks of a res-8 city grid) the non-hotspot rows are
# subsampled for the ML models, keeping every hotspot row: fitting time stays bounded on the
# full dataset while the rare class, the one that matters, is never thinned.
MAX_TRAINING_ROWS = 50_000
# The kernel density is a feature too: on the real extract it raised the random forest's mean
# PAI at 5% by 0.03 to 0.07 over 3, 4 and 5 evaluation weeks.
ML_FEATURES: tuple[str, ...] = (
    *HISTORY_FEATURES,
    KDE_FEATURE,
    *MIX_FEATURES,
    *CALENDAR_FEATURES,
)
RISK_DECIMALS = 12
# A tie-break adds less than this, far below any difference of the main scores (counts, or
# means over at most a few thousand weeks), so it only orders cells the main score ties.
_TIE_WEIGHT = 1e-6


class PastScore(BaseEstimator):
    """A baseline that learns nothing: its score is one past feature, ties broken by another."""

    def __init__(self, column: str, tiebreak: str | None = None) -> None:
        self.column = column
        self.tiebreak = tiebreak

    def fit(self, X: pd.DataFrame, y: pd.Series | None = None) -> "PastScore":
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        score = X[self.column].to_numpy(dtype="float64")
        if self.tiebreak is not None:
            other = X[self.tiebreak].to_numpy(dtype="float64")
            score = score + _TIE_WEIGHT * other / (1 + other)
        return score


@dataclass
class HotspotModel:
    """A named estimator, the features it may use and how its risk score is read.

    `feature_names` are the ones actually used by the last `fit`: calendar features are
    dropped when the training weeks cover less than a year.
    """

    name: str
    kind: str
    estimator: BaseEstimator
    features: tuple[str, ...]
    description: str
    feature_names: list[str] = field(default_factory=list)

    def fit(self, rows: pd.DataFrame) -> "HotspotModel":
        weeks = rows.index.get_level_values("week").nunique()
        self.feature_names = [
            f for f in self.features if weeks >= CALENDAR_MIN_WEEKS or f not in CALENDAR_FEATURES
        ]
        if self.kind == "ml":
            rows = _bounded(rows)
        self.estimator.fit(rows[self.feature_names], rows["hotspot"])
        return self

    def risk(self, rows: pd.DataFrame) -> np.ndarray:
        """Higher means more likely a hotspot: a ranking score, not a calibrated probability.

        ML models give their class probability, learnt on SMOTE-balanced or subsampled rows and
        so well above the real hotspot rate; baselines give their past count or density.

        Rounded to RISK_DECIMALS: a forest summed over threads differs in the last bit from run
        to run, which would otherwise reorder cells of equal risk.
        """
        X = rows[self.feature_names]
        if hasattr(self.estimator, "predict_proba"):
            return np.round(self.estimator.predict_proba(X)[:, 1], RISK_DECIMALS)
        return np.round(self.estimator.decision_function(X), RISK_DECIMALS)

    def weights(self) -> dict[str, float] | None:
        """How much each feature weighs in the fitted estimator (a forest's mean decrease in
        impurity, summing to 1); None for one that learns no such weights (nearest neighbours,
        the baselines)."""
        last = self.estimator.steps[-1][1] if hasattr(self.estimator, "steps") else self.estimator
        learnt = getattr(last, "feature_importances_", None)
        if learnt is None:
            return None
        return dict(zip(self.feature_names, map(float, learnt), strict=True))

    def describe(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "feature_names": list(self.feature_names),
        }


def _bounded(rows: pd.DataFrame) -> pd.DataFrame:
    if len(rows) <= MAX_TRAINING_ROWS:
        return rows
    hot = rows["hotspot"] == 1
    keep = max(MAX_TRAINING_ROWS - int(hot.sum()), 1)
    cold = rows[~hot].sample(n=min(keep, int((~hot).sum())), random_state=SEED)
    return pd.concat([rows[hot], cold]).sort_index()


def random_forest_smote(smote: SMOTE | None = None) -> HotspotModel:
    """SMOTE inside the pipeline: imblearn resamples when fitting only, never when predicting.

    100 trees on half-size bootstrap samples: as accurate on the real extract as 200 trees on
    full samples (mean PAI at 5% within 0.03 over 3 and 5 evaluation weeks) at a third of the
    fitting time, which is what keeps the full dataset within its time budget.
    """
    forest = RandomForestClassifier(
        n_estimators=100, max_samples=0.5, min_samples_leaf=5, n_jobs=N_JOBS, random_state=SEED
    )
    pipeline = Pipeline(
        [("smote", smote or SMOTE(k_neighbors=5, random_state=SEED)), ("rf", forest)]
    )
    return HotspotModel(
        "random_forest_smote",
        "ml",
        pipeline,
        ML_FEATURES,
        "Random forest on SMOTE-balanced training weeks",
    )


def knn() -> HotspotModel:
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("knn", KNeighborsClassifier(n_neighbors=50, n_jobs=N_JOBS)),
        ]
    )
    return HotspotModel(
        "knn", "ml", pipeline, ML_FEATURES, "50 nearest neighbours on standardised features"
    )


def _baseline(name: str, score: PastScore, description: str) -> HotspotModel:
    """A baseline whose features are exactly the columns its score reads, so the two cannot
    drift apart and the comparison page lists what the score really uses."""
    columns = (score.column,) if score.tiebreak is None else (score.column, score.tiebreak)
    return HotspotModel(name, "baseline", score, columns, description)


def last_week() -> HotspotModel:
    return _baseline(
        "last_week",
        PastScore("lag_1", "mean_past"),
        "Last week's count (ties broken by the long-run mean)",
    )


def all_history() -> HotspotModel:
    return _baseline(
        "all_history",
        PastScore("mean_past", "lag_1"),
        "Mean weekly count over all past weeks (ties broken by last week)",
    )


def kernel_density() -> HotspotModel:
    return _baseline(
        "kde",
        PastScore(KDE_FEATURE),
        "Gaussian kernel density of all past reports at the cell centre",
    )


MODELS: dict[str, Callable[[], HotspotModel]] = {
    "random_forest_smote": random_forest_smote,
    "knn": knn,
    "last_week": last_week,
    "all_history": all_history,
    "kde": kernel_density,
}
DEFAULT_MODEL = "random_forest_smote"
# What a user reads for each model: pages, exports' captions and the CLI's text output use these;
# the code names stay in details views, JSON and shared links, where they must not change.
LABELS: dict[str, str] = {
    "random_forest_smote": "Random forest with SMOTE",
    "knn": "Nearest neighbours",
    "last_week": "Last week",
    "all_history": "Past counts",
    "kde": "Kernel density",
}


def label(name: str) -> str:
    """The human name of hotspot model `name` (the code name itself if it has none)."""
    return LABELS.get(name, name)
