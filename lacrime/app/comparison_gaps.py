"""Each hotspot model against the plain baselines an analyst would use without a model, for
the Model comparison page: the coverage curves as differences to the best of them, and what
the week-to-week spread says of those differences. Read from the stored evaluation only.
"""

import numpy as np
import pandas as pd

from lacrime.app.comparison import coverage_curves, model_order
from lacrime.hotspots import models as hotspot_models
from lacrime.hotspots.flagging import COVERAGES, metric_key
from lacrime.hotspots.results import HotspotEvaluation

# The baselines an analyst would use without any model: each model's curves are drawn as their
# difference to the better of the two at each coverage.
PLAIN_BASELINES = ("all_history", "last_week")
# (measure, title, hover number format of its values) of the coverage charts.
GAP_MEASURES: tuple[tuple[str, str, str], ...] = (
    ("pai", "PAI", ".2f"),
    ("hit_rate", "Hit rate", ".1%"),
    ("pei_star", "PEI*", ".1%"),
)


def best_baselines(evaluation: HotspotEvaluation) -> list[str]:
    """The plain baselines every model is measured against, as stored."""
    return [name for name in PLAIN_BASELINES if name in evaluation.models]


def coverage_gaps(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Each model's hit rate, PAI and PEI* at each share of the area flagged, against the best
    plain baseline at that share (long table: model, coverage, measure, value, baseline,
    baseline_value, difference); mean over the evaluation weeks, as stored."""
    curves = coverage_curves(evaluation)
    plain = curves[curves["model"].isin(best_baselines(evaluation))]
    rows = []
    for measure, _, _ in GAP_MEASURES:
        wide = plain.pivot(index="coverage", columns="model", values=measure)
        best = wide.idxmax(axis=1)
        reference = pd.DataFrame({"baseline": best, "baseline_value": wide.max(axis=1)})
        part = curves[["model", "coverage", measure]].rename(columns={measure: "value"})
        part = part.join(reference, on="coverage").assign(measure=measure)
        rows.append(part.assign(difference=part["value"] - part["baseline_value"]))
    return pd.concat(rows, ignore_index=True)


def gap_spread(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """At the coverages measured week by week (1% and 5%): each model's difference to the best
    plain baseline (by mean) in each evaluation week, as mean, min and max over the weeks, and
    in how many weeks it was above (model, coverage, measure, baseline, mean, min, max,
    weeks_above, weeks)."""
    baselines = best_baselines(evaluation)
    rows = []
    for measure, _, _ in GAP_MEASURES:
        for coverage in COVERAGES:
            key = metric_key(measure, coverage)
            means = {b: evaluation.models[b].metrics[key].mean or -np.inf for b in baselines}
            best = max(means, key=means.get)
            reference = _weekly(evaluation, best, key)
            for name in model_order(evaluation):
                gap = _weekly(evaluation, name, key) - reference
                rows.append(
                    {
                        "model": name,
                        "coverage": coverage,
                        "measure": measure,
                        "baseline": best,
                        "mean": np.nanmean(gap),
                        "min": np.nanmin(gap),
                        "max": np.nanmax(gap),
                        "weeks_above": int((gap > 0).sum()),
                        "weeks": int(np.isfinite(gap).sum()),
                    }
                )
    return pd.DataFrame(rows)


def compared_model(evaluation: HotspotEvaluation) -> str:
    """The model whose margin over the plain baselines the page states: the default, or the
    best machine-learning model when the default is itself a plain baseline."""
    default = evaluation.default_model
    if default not in PLAIN_BASELINES:
        return default
    learnt = [row.model for row in evaluation.ranking if evaluation.models[row.model].kind == "ml"]
    return learnt[0] if learnt else default


def margin_sentence(spread: pd.DataFrame, model: str, coverage: float = 0.05) -> str:
    """What the weeks say of `model`'s PAI against the best plain baseline at `coverage` (a
    `gap_spread` table): the mean gap, its range, and whether the range carries it."""
    row = spread[
        (spread["model"] == model) & (spread["measure"] == "pai") & (spread["coverage"] == coverage)
    ].iloc[0]
    name, baseline = hotspot_models.label(model), hotspot_models.label(row["baseline"])
    if row["baseline"] == model:
        return f"At {coverage:.0%} of the area, {name} is itself the best plain baseline."
    if row["min"] > 0:
        verdict = "ahead in every week."
    elif row["max"] < 0:
        verdict = "behind in every week."
    else:
        verdict = "the spread over the weeks does not carry a margin either way."
    return (
        f"At {coverage:.0%} of the area, {name}'s PAI was {row['mean']:+.2f} against "
        f"{baseline} on average, from {row['min']:+.2f} to {row['max']:+.2f} week by week, "
        f"above it in {row['weeks_above']} of {row['weeks']} weeks: {verdict}"
    )


def _weekly(evaluation: HotspotEvaluation, name: str, key: str) -> np.ndarray:
    """One stored measure of one model, week by week, in the weeks' order."""
    weeks = evaluation.models[name].per_week
    return np.array([np.nan if w.get(key) is None else w[key] for w in weeks], dtype="float64")
