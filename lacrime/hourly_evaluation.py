"""How well each hourly model forecasts weeks it has not seen, side by side.

The most recent full Monday-to-Sunday weeks are held out and every model is trained only on
the dates before them, as it would be in use: forecasting forward, never interpolating.
The default model is the one with the lowest mean Poisson deviance on the held-out hours: the
target is a count, and Poisson deviance rewards getting quiet hours right in proportion, where
squared error is dominated by the busiest hours.

The most recent weeks are also the least completely reported (crimes found or reported late
are missing), so every model's `bias` (mean of expected minus observed) is reported too.
"""

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance, r2_score

from lacrime.clean import last_full_sunday
from lacrime.errors import LacrimeError
from lacrime.hourly import INPUT_FEATURES, INTERVAL_LEVEL, WEEKDAYS, fit_models, hourly_counts

SELECTION_RULE = "lowest mean Poisson deviance on the held-out weeks"


def split_holdout(
    table: pd.DataFrame, holdout_weeks: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Training rows (every date before the held-out weeks), held-out rows (the last
    `holdout_weeks` full Monday-Sunday weeks) and the dates after them, left out of both
    because their week is not complete."""
    if holdout_weeks < 1:
        raise LacrimeError(f"holdout_weeks must be at least 1, not {holdout_weeks}")
    end = last_full_sunday(table["date"].max())
    start = end - pd.Timedelta(days=7 * holdout_weeks - 1)
    train = table[table["date"] < start]
    if train["date"].nunique() < len(WEEKDAYS):
        raise LacrimeError(
            f"too little data to hold out {holdout_weeks} week(s): "
            f"{table['date'].nunique()} day(s) leave under one week to train on"
        )
    holdout = table[(table["date"] >= start) & (table["date"] <= end)]
    after = sorted({d.date().isoformat() for d in table.loc[table["date"] > end, "date"]})
    return train, holdout, after


def _span(table: pd.DataFrame) -> dict:
    return {
        "start": table["date"].min().date().isoformat(),
        "end": table["date"].max().date().isoformat(),
        "days": int(table["date"].nunique()),
    }


def evaluate_hourly(
    frame: pd.DataFrame,
    *,
    holdout_weeks: int = 2,
    exclude_default_times: bool = False,
    interval_level: float = INTERVAL_LEVEL,
) -> dict:
    """Metrics of every hourly model on the held-out weeks, the default choice, and the
    per-hour mean of expected vs observed counts (`by_hour`, a list of rows for a chart)."""
    table = hourly_counts(frame, exclude_default_times=exclude_default_times)
    train, holdout, after = split_holdout(table, holdout_weeks)
    models = fit_models(train, interval_level=interval_level)
    observed = holdout["count"].to_numpy()
    metrics: dict[str, dict] = {}
    by_hour = pd.DataFrame({"hour": holdout["hour"].to_numpy(), "observed": observed})
    for name, model in models.items():
        expected = model.predict_frame(holdout)
        lower, upper = model.interval(expected)
        by_hour[name] = expected
        metrics[name] = {
            "mae": float(mean_absolute_error(observed, expected)),
            "r2": float(r2_score(observed, expected)),
            "poisson_deviance": float(mean_poisson_deviance(observed, expected)),
            "coverage": float(np.mean((observed >= lower) & (observed <= upper))),
            "mean_interval_width": float(np.mean(upper - lower)),
            "bias": float(np.mean(expected - observed)),
            "dispersion": model.dispersion,
            "params": model.params,
            "feature_names": model.feature_names,
        }
    default = min(metrics, key=lambda name: metrics[name]["poisson_deviance"])
    per_hour = by_hour.groupby("hour").mean().reset_index()
    return {
        "target": "crimes in one clock hour of one day, city-wide",
        "exclude_default_times": exclude_default_times,
        "interval_level": interval_level,
        "train": _span(train),
        "holdout": {**_span(holdout), "weeks": holdout_weeks},
        "left_out_incomplete_week": after,
        "input_features": list(INPUT_FEATURES),
        "models": metrics,
        "default_model": default,
        "selection_rule": SELECTION_RULE,
        "by_hour": per_hour.to_dict(orient="records"),
    }
