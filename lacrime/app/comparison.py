"""The tables the Model comparison page shows, read from a model version's evaluation record.

Everything here comes from the version's `TrainingRecord` as training wrote it: the page
recomputes nothing, so what it shows is what chose the default models.
"""

import pandas as pd

from lacrime.hotspots import models as hotspot_models
from lacrime.hotspots.flagging import ALLOCATIONS
from lacrime.hotspots.panel import feature_label
from lacrime.hotspots.results import HotspotEvaluation, ModelScores, Spread, by_weight
from lacrime.hourly.evaluation import HourlyEvaluation
from lacrime.hourly.models import MODELS as HOURLY_MODELS
from lacrime.ops.train import HOURLY, HOURLY_NO_DEFAULT_TIMES

# The two hourly evaluations, by the field of `Evaluations` that holds each, with their titles.
HOURLY_VARIANTS: dict[str, str] = {
    HOURLY: "All reports",
    HOURLY_NO_DEFAULT_TIMES: "Default times (12:00, 00:01) spread over the day",
}

DEFAULT_MARK = " (default)"
# Features named per model in the models table; the details list them all.
SHOWN_FEATURES = 4
KIND_LABELS = {"ml": "machine learning", "baseline": "baseline (plain rule)"}
# (metric key in the evaluation, column heading), in the order the tables show them.
HIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("pai_5", "PAI at 5%"),
    ("pai_1", "PAI at 1%"),
    ("hit_rate_5", "Hit rate at 5%"),
    ("hit_rate_1", "Hit rate at 1%"),
    ("pei_star_5", "PEI* at 5%"),
    ("pei_star_1", "PEI* at 1%"),
)
CLASS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("roc_auc", "ROC-AUC"),
    ("pr_auc", "PR-AUC"),
    ("hotspot_precision", "Hotspot precision"),
    ("hotspot_recall", "Hotspot recall"),
    ("hotspot_f1", "Hotspot F1"),
    ("non_hotspot_precision", "Non-hotspot precision"),
    ("non_hotspot_recall", "Non-hotspot recall"),
    ("non_hotspot_f1", "Non-hotspot F1"),
)
# Shares of crimes, shown as percentages; the rest are ratios or scores.
PERCENT_PREFIXES = ("hit_rate", "pei_star")
WEEKLY_MEASURES: dict[str, str] = {
    "pai_5": "PAI at 5% of the area",
    "hit_rate_5": "Hit rate at 5% of the area",
    "pei_star_5": "PEI* at 5% of the area",
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
}
HOURLY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("mae", "MAE (crimes per hour)"),
    ("r2", "R²"),
    ("poisson_deviance", "Poisson deviance"),
    ("coverage", "Interval coverage"),
    ("mean_interval_width", "Mean interval width"),
    ("bias", "Bias (expected - observed)"),
)


def mean_std(metric: Spread, *, percent: bool = False) -> str:
    """A metric over the evaluation weeks as "mean ± std"; "n/a" when undefined every week."""
    if metric.mean is None:
        return "n/a"
    number = ".1%" if percent else ".2f"
    # Non-breaking spaces keep "0.96 ± 0.01" on one line in a narrow column.
    return f"{metric.mean:{number}}\u00a0±\u00a0{metric.std or 0.0:{number}}"


def parse_number(cell: str) -> float | None:
    """The number (the mean, for a `mean_std` cell) back out of a table cell."""
    if cell == "n/a":
        return None
    number = cell.split("±")[0].strip()
    return float(number.removesuffix("%")) / 100 if number.endswith("%") else float(number)


def model_order(evaluation: HotspotEvaluation) -> list[str]:
    """Hotspot models best first, by the ranking that chose the default."""
    return [row.model for row in evaluation.ranking]


def label(name: str, default: str) -> str:
    """A hotspot model's human name, marked when it is the default."""
    human = hotspot_models.label(name)
    return human + DEFAULT_MARK if name == default else human


def hourly_label(name: str, default: str) -> str:
    """An hourly model's human name, marked when it is the default."""
    spec = HOURLY_MODELS.get(name)
    human = spec.label if spec else name
    return human + DEFAULT_MARK if name == default else human


def _metric_table(
    evaluation: HotspotEvaluation, columns: tuple[tuple[str, str], ...]
) -> pd.DataFrame:
    models = evaluation.models
    order = model_order(evaluation)
    table = {"Model": [label(name, evaluation.default_model) for name in order]}
    for key, heading in columns:
        percent = key.startswith(PERCENT_PREFIXES)
        table[heading] = [mean_std(models[name].metrics[key], percent=percent) for name in order]
    return pd.DataFrame(table)


def models_table(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Each hotspot model, what kind it is and what it computes from, best first; features by
    their human names, the heaviest first in a model that weighs them (`feature_weights`)."""
    models = evaluation.models
    order = model_order(evaluation)
    return pd.DataFrame(
        {
            "Model": [label(name, evaluation.default_model) for name in order],
            "Kind": [KIND_LABELS.get(models[n].kind, models[n].kind) for n in order],
            "What it is": [models[n].description for n in order],
            "Computed from": [
                features_line(by_weight(models[n].feature_names, models[n].feature_weights))
                for n in order
            ],
        }
    )


def features_line(features: list[str]) -> str:
    """The first SHOWN_FEATURES features by their human names, and how many more there are."""
    shown = ", ".join(map(feature_label, features[:SHOWN_FEATURES]))
    more = len(features) - SHOWN_FEATURES
    return f"{shown} and {more} more" if more > 0 else shown


def code_names_table(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Each model's code name and its features' code names, as `lacrime` commands, JSON
    output and shared links spell them."""
    order = model_order(evaluation)
    return pd.DataFrame(
        {
            "Model": [hotspot_models.label(name) for name in order],
            "Code name": order,
            "Features (code names)": [", ".join(evaluation.models[n].feature_names) for n in order],
        }
    )


def feature_weights(scores: ModelScores) -> pd.Series | None:
    """How much each feature weighed in a model (a forest's mean decrease in impurity, summing
    to 1, averaged over the models trained for the evaluation weeks), heaviest first; None for
    a model without such weights (nearest neighbours, the baselines)."""
    if scores.feature_weights is None:
        return None
    return pd.Series(scores.feature_weights, dtype="float64").sort_values(ascending=False)


def weighed_models(evaluation: HotspotEvaluation) -> dict[str, pd.Series]:
    """Each model that learns feature weights (`feature_weights`), best first."""
    return {
        name: weights
        for name in model_order(evaluation)
        if (weights := feature_weights(evaluation.models[name])) is not None
    }


def hit_table(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """How much crime each model's flagged cells caught, mean ± std over evaluation weeks."""
    return _metric_table(evaluation, HIT_COLUMNS)


def classification_table(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """How well each model tells hotspot cells from the rest, mean ± std over the weeks."""
    return _metric_table(evaluation, CLASS_COLUMNS)


def coverage_curves(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Hit rate, PAI and PEI* of each model at each share of the area flagged (long table)."""
    return _curve_points(evaluation, "coverage_curve")


def roc_points(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Each model's ROC curve, pooled over the evaluation weeks (model, fpr, tpr)."""
    return _curve_points(evaluation, "roc_curve")


def pr_points(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Each model's precision-recall curve, pooled over the weeks (model, recall, precision)."""
    return _curve_points(evaluation, "pr_curve")


def _curve_points(evaluation: HotspotEvaluation, key: str) -> pd.DataFrame:
    frames = [
        pd.DataFrame(vars(getattr(evaluation.models[name], key))).assign(model=name)
        for name in model_order(evaluation)
    ]
    return pd.concat(frames, ignore_index=True)


def hotspot_share(evaluation: HotspotEvaluation) -> float:
    """Share of cell-weeks that were hotspots: a random ranking's precision, the PR floor."""
    matrix = evaluation.default.confusion_matrix.matrix
    return sum(matrix[0]) / sum(map(sum, matrix))


def confusion_matrices(evaluation: HotspotEvaluation) -> dict[str, pd.DataFrame]:
    """Each model's cell-weeks by actual (rows) and flagged (columns) class, summed over weeks;
    the axes' names say which is which."""
    names = {"hotspot": "hotspot", "non_hotspot": "not a hotspot"}
    out = {}
    for name in model_order(evaluation):
        confusion = evaluation.models[name].confusion_matrix
        labels = [names.get(x, x) for x in confusion.labels]
        out[name] = pd.DataFrame(
            confusion.matrix,
            index=pd.Index(labels, name="actual"),
            columns=pd.Index(labels, name="flagged"),
        )
    return out


def per_week(evaluation: HotspotEvaluation, measure: str) -> pd.DataFrame:
    """One measure of each model in each evaluation week (model, week_start, value)."""
    rows = [
        {"model": name, "week_start": week["week_start"], "value": week.get(measure)}
        for name in model_order(evaluation)
        for week in evaluation.models[name].per_week
    ]
    return pd.DataFrame(rows)


def allocation_modes(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Each model's PAI at 5% when cells are ranked city-wide and when each area gets a quota
    by its recent share of crimes, with the spread of the per-area ratios under each."""
    rows = []
    for name in model_order(evaluation):
        for mode, spread in evaluation.models[name].allocation_modes.items():
            rows.append({"model": name, "mode": mode, **vars(spread)})
    return pd.DataFrame(rows)


def area_shares(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """The default model's per-area table as stored (area_name, crime_share, and per mode
    `{mode}_flag_share` and `{mode}_ratio`), the areas with most crime first."""
    table = pd.DataFrame(evaluation.allocation_table)
    return table.sort_values("crime_share", ascending=False, ignore_index=True, kind="stable")


def left_out_sentence(evaluation: HotspotEvaluation) -> str:
    """Which areas the per-area figures leave out, and in how many evaluation weeks: those
    reported incompletely (after their switch to NIBRS) are not scored; "" when none is."""
    weeks: dict[str, int] = {}
    for areas in evaluation.left_out_areas.values():
        for area in areas:
            weeks[area] = weeks.get(area, 0) + 1
    if not weeks:
        return ""
    listed = ", ".join(
        f"{area} ({n} of {len(evaluation.eval_weeks)} weeks)" for area, n in sorted(weeks.items())
    )
    return f"Left out where they reported incompletely (after their switch to NIBRS): {listed}."


def area_ratios(evaluation: HotspotEvaluation) -> pd.DataFrame:
    """Per LAPD area, for the default model: its share of the weeks' crimes, its share of the
    flagged cells under each mode, and the ratio of the two (1 = in proportion), as text."""
    table = area_shares(evaluation)
    out = pd.DataFrame(
        {
            "Area": table["area_name"],
            "Share of crimes": [_number(v, percent=True) for v in table["crime_share"]],
        }
    )
    for mode in evaluation.allocations:
        heading = ALLOCATIONS[mode].lower()
        out[f"Share of flagged cells, {heading}"] = [
            _number(v, percent=True) for v in table[f"{mode}_flag_share"]
        ]
        out[f"Ratio, {heading}"] = [_number(v) for v in table[f"{mode}_ratio"]]
    return out


def hourly_table(evaluation: HourlyEvaluation) -> pd.DataFrame:
    """Each hourly model's errors on the held-out weeks, the default marked."""
    models = evaluation.models
    table = {"Model": [hourly_label(name, evaluation.default_model) for name in models]}
    for key, heading in HOURLY_COLUMNS:
        percent = key == "coverage"
        table[heading] = [_number(getattr(models[name], key), percent=percent) for name in models]
    return pd.DataFrame(table)


def _number(value: float | None, *, percent: bool = False) -> str:
    """A table cell: two decimals or a percentage; "n/a" for an undefined value."""
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value:.1%}" if percent else f"{value:.2f}"


def hourly_fit(evaluation: HourlyEvaluation) -> pd.DataFrame:
    """Mean observed and expected count per hour of day over the held-out weeks."""
    return pd.DataFrame(evaluation.by_hour).set_index("hour")


def holdout_sentence(evaluation: HourlyEvaluation) -> str:
    """Which dates trained the hourly models and which tested them, in words."""
    train, holdout = evaluation.train, evaluation.holdout
    sentence = (
        f"Trained on {train.start} to {train.end} ({train.days} days), tested on the "
        f"{holdout.weeks} full weeks after it, {holdout.start} to {holdout.end} "
        f"({holdout.days} days)."
    )
    if evaluation.left_out_incomplete_week:
        left = evaluation.left_out_incomplete_week
        sentence += f" The incomplete week after it ({left[0]} to {left[-1]}) is left out."
    return sentence
