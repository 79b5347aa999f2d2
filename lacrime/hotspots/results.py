"""What the rolling evaluation of hotspot models found, as typed records.

The field names are the keys of the JSON the model registry stores (`records.to_json`), so a
stored evaluation reads back into these classes (`records.from_json`) and pages read
attributes. Tables whose columns depend on the data (one value per measure, per allocation
mode) stay rows of a dict.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from lacrime.hotspots.flagging import HEADLINE_COVERAGE, metric_key

# A row of a table whose columns depend on the data (a measure per allocation mode, per week).
Row = dict[str, float | str | None]


@dataclass(frozen=True)
class Spread:
    """One measure over the evaluation weeks; None where it is undefined every week."""

    mean: float | None
    std: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True)
class CoverageCurve:
    """City-wide hit rate, PAI and PEI* at each share of cells flagged, mean over weeks."""

    coverage: list[float]
    hit_rate: list[float | None]
    pai: list[float | None]
    pei_star: list[float | None]


@dataclass(frozen=True)
class RocCurve:
    fpr: list[float | None]
    tpr: list[float | None]


@dataclass(frozen=True)
class PrCurve:
    recall: list[float | None]
    precision: list[float | None]


@dataclass(frozen=True)
class ConfusionMatrix:
    """Cell-weeks by actual class (rows) and flagged class (columns), summed over weeks."""

    labels: list[str]
    matrix: list[list[int]]


@dataclass(frozen=True)
class AllocationSpread:
    """PAI at 5% under one allocation mode, and how far apart its per-area ratios are."""

    pai_5: float | None
    min_area_ratio: float | None
    max_area_ratio: float | None
    areas_without_flags: int


@dataclass(frozen=True)
class ModelScores:
    """One model on every evaluation week: what it is, each measure's spread, the values of
    each week (`per_week`: rows with `week_start` and one value per measure), its curves, and
    per LAPD area its share of crimes and of flags (`allocation`: rows with `area_name`,
    `crime_share`, and per mode `{mode}_flag_share` and `{mode}_ratio`)."""

    name: str
    kind: str
    description: str
    feature_names: list[str]
    metrics: dict[str, Spread]
    per_week: list[Row]
    coverage_curve: CoverageCurve
    confusion_matrix: ConfusionMatrix
    roc_curve: RocCurve
    pr_curve: PrCurve
    allocation: list[Row]
    allocation_modes: dict[str, AllocationSpread]
    # Each feature's learnt weight (`HotspotModel.weights`), the mean over the models trained
    # for the evaluation weeks; None for a model that learns none, or a record from before.
    feature_weights: dict[str, float] | None = None

    def metric(
        self, metric: str, coverage: float = HEADLINE_COVERAGE, allocation: str = "citywide"
    ) -> Spread:
        """A hit measure (hit_rate, pai, pei_star) at a coverage and allocation."""
        return self.metrics[metric_key(metric, coverage, allocation)]


@dataclass(frozen=True)
class Ranked:
    model: str
    pai_5: float | None


@dataclass(frozen=True)
class HotspotEvaluation:
    """Every model on the last full weeks, ranked by mean PAI at 5% of the area, the default
    model (the best, baseline or not) with a one-sentence verdict, and the default model's
    per-area table and allocation spreads, which the comparison page leads with."""

    resolution: int
    share: float
    eval_weeks: list[str]
    max_train_weeks: int
    allocations: list[str]
    label_rule: str
    models: dict[str, ModelScores]
    ranking: list[Ranked]
    default_model: str
    verdict: str
    allocation_table: list[Row]
    allocation_modes: dict[str, AllocationSpread]
    seconds: float
    # Per evaluation week (its Monday), the areas left out of its scoring because they reported
    # it incompletely (after their switch to NIBRS, with no NIBRS data yet).
    left_out_areas: dict[str, list[str]] = field(default_factory=dict)

    @property
    def default(self) -> ModelScores:
        return self.models[self.default_model]

    def kinds(self) -> dict[str, str]:
        """Each model's kind ("ml" or "baseline"), best first."""
        return {row.model: self.models[row.model].kind for row in self.ranking}


@dataclass(frozen=True)
class WatchScores:
    """One watch model on one watch, each evaluation week scored on that watch's reports of
    known time: PAI and hit rate, and `ratio`, its mean PAI at 5% over the all-day counts'
    (`ratio_spread`: the same ratio week by week)."""

    model: str
    kind: str
    description: str
    pai_5: Spread
    pai_1: Spread
    hit_rate_5: Spread
    ratio: float | None
    ratio_spread: Spread
    per_week: list[Row]


@dataclass(frozen=True)
class WatchEvaluation:
    """The watch models on every evaluation week, per watch (`watches`: watch -> model ->
    scores), the model chosen for each watch (`chosen`) with its ratio to the all-day counts,
    the same ratios when the model is chosen on the other weeks only (`held_out`), and a
    verdict that says which margins the week-to-week spread carries."""

    resolution: int
    eval_weeks: list[str]
    baseline: str
    default_times: str
    watches: dict[str, dict[str, WatchScores]]
    chosen: dict[str, str]
    ratios: dict[str, float | None]
    mean_ratio: float | None
    held_out: dict[str, float | None]
    verdict: str
    seconds: float


def by_weight(features: list[str], weights: Mapping[str, float] | None) -> list[str]:
    """`features` heaviest first by `weights` (code name to weight, as `ModelScores.
    feature_weights`); in their own order when `weights` does not cover them all (a baseline
    reads its score column first)."""
    if weights is None or not set(features) <= set(weights.keys()):
        return list(features)
    return sorted(features, key=lambda f: -weights[f])
