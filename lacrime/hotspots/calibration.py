"""Risk as a user reads it: each cell's expected reports next week and its rank percentile.

A model's risk only orders cells: a forest's class probability (0.98) and a past count (44.8)
mean nothing side by side. An isotonic regression maps each model's risk to the reports a cell
of that risk went on to have in the following week, on recent training weeks: the order is
kept (a monotone map), and every model is read on one scale, expected reports next week.

Calibrating on rows a model learnt from would be optimistic: a forest fits its training rows
closely, so its risk there is sharper than on a new week. A learner is therefore calibrated
through a copy trained without the last training week and scored on that week only; its map is
then applied to the served model's risk, trained on every week (same features and settings, one
more week of rows: the risk keeps its scale, and the served model keeps the newest week). The
baselines learn nothing, so their own risk on the last CALIBRATION_WEEKS training weeks is
out of sample already, and more weeks give a steadier map.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from lacrime.hotspots.models import HotspotModel

# Training weeks a baseline is calibrated on: a month follows change and holds enough rows.
CALIBRATION_WEEKS = 4


def expected_reports(
    factory: Callable[[], HotspotModel],
    model: HotspotModel,
    train: pd.DataFrame,
    risk: np.ndarray,
) -> np.ndarray | None:
    """Each cell's expected reports in the forecast week, from `model`'s `risk` of it, mapped by
    the isotonic regression of next-week counts on risk over rows `model` did not learn from.

    `factory` makes an untrained copy of `model` (for a learner's held-out copy), `train` holds
    the panel's training rows. None when there are too few weeks to hold one out.
    """
    weeks = train.index.get_level_values("week")
    if model.kind == "ml":
        last = weeks.max()
        if (weeks < last).sum() == 0:
            return None
        held, scorer = train[weeks == last], factory().fit(train[weeks < last])
    else:
        recent = np.sort(weeks.unique())[-CALIBRATION_WEEKS:]
        held, scorer = train[weeks.isin(recent)], model
    if held.empty:
        return None
    calibrator = IsotonicRegression(increasing=True, out_of_bounds="clip")
    calibrator.fit(scorer.risk(held), held["count"].to_numpy(dtype="float64"))
    return np.round(calibrator.predict(risk), 12)


def percentile(risk: np.ndarray) -> np.ndarray:
    """Per cell, the percentage of cells ranked below it (99.9 = among the riskiest; cells of
    equal risk share the lowest of their tie, so no cell reads riskier than its equal)."""
    return 100 * (1 - rank_share(risk))


def rank_share(risk: np.ndarray) -> np.ndarray:
    """Per cell, the share of cells whose risk is at least its own (1% = among the riskiest).

    Cells of equal risk share the worst rank of their tie, so a cell is never coloured as
    riskier than a cell of the same score.
    """
    risk = pd.Series(np.asarray(risk, dtype="float64"))
    return (risk.rank(method="max", ascending=False) / len(risk)).to_numpy()
