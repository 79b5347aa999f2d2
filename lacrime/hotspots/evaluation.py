"""The rolling-origin comparison of hotspot models: each evaluation week forecast from the weeks
before it only, by the very function that trains the forecast that ships (`forecast.fit_at`),
and scored as analysts score patrol maps (`flagging`: hit rate, PAI, PEI*).

Results are typed (`results.HotspotEvaluation`), stored in the model registry as JSON by
`records.to_json` and read back with `records.from_json`.
"""

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from lacrime.calendar import WEEK, last_full_sunday
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError
from lacrime.hotspots.flagging import (
    ALLOCATIONS,
    COVERAGES,
    CURVE_COVERAGES,
    DEFAULT_SHARE,
    HEADLINE_COVERAGE,
    area_ratios,
    coverage_curve,
    flag_cells,
    hit_metrics,
    hotspot_labels,
    metric_key,
)
from lacrime.hotspots.forecast import MAX_TRAIN_WEEKS, MIN_HISTORY_WEEKS, HotspotForecaster, fit_at
from lacrime.hotspots.grid import DEFAULT_RESOLUTION, Grid
from lacrime.hotspots.models import MODELS, HotspotModel, label
from lacrime.hotspots.panel import with_cells
from lacrime.hotspots.results import (
    AllocationSpread,
    ConfusionMatrix,
    CoverageCurve,
    HotspotEvaluation,
    ModelScores,
    PrCurve,
    Ranked,
    RocCurve,
    Spread,
)

CURVE_POINTS = 50


def evaluation_weeks(
    frame: pd.DataFrame, n: int, completeness: Completeness | None = None
) -> list[pd.Timestamp]:
    """Mondays of the last `n` full Monday-Sunday weeks of occurrence in `frame`, passing over
    the weeks every area is still filling in (reporting lag, from `completeness`)."""
    lag = {pd.Timestamp(day) for day in completeness.lag_weeks()} if completeness else set()
    monday = last_full_sunday(frame["occurred_at"].max().normalize()) - pd.Timedelta(days=6)
    weeks: list[pd.Timestamp] = []
    while len(weeks) < n and monday >= frame["occurred_at"].min().normalize():
        if monday not in lag:
            weeks.insert(0, monday)
        monday -= WEEK
    return weeks


def evaluate_hotspots(
    frame: pd.DataFrame,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    share: float = DEFAULT_SHARE,
    eval_weeks: int = 3,
    allocations: Sequence[str] = tuple(ALLOCATIONS),
    models: Mapping[str, Callable[[], HotspotModel]] = MODELS,
    max_train_weeks: int = MAX_TRAIN_WEEKS,
    completeness: Completeness | None = None,
) -> HotspotEvaluation:
    """Rolling-origin comparison of hotspot `models` (name: factory) on the last `eval_weeks`
    full weeks.

    With `completeness`, incompletely reported area-weeks are left out of both sides: of the
    models' training labels (`fit_at`), and of the scoring, where a week is scored over the
    cells of the areas that reported it completely, as if the city were those areas; weeks that
    every area is still filling in are not evaluated."""
    started = time.perf_counter()
    located = with_cells(frame, resolution)
    weeks = evaluation_weeks(frame, eval_weeks, completeness)
    first_day = frame["occurred_at"].min().normalize()
    if not weeks or weeks[0] - MIN_HISTORY_WEEKS * WEEK < first_day:
        raise LacrimeError(
            f"hotspot evaluation over {eval_weeks} week(s) needs two full weeks of reports "
            f"before the first of them; the data start on {first_day.date()}"
        )
    records: dict[str, list[dict]] = {name: [] for name in models}
    left_out: dict[str, list[str]] = {}
    for target in weeks:
        forecasters = fit_at(
            located[located["occurred_at"] < target],
            (target - pd.Timedelta(days=1)).date(),
            models,
            resolution=resolution,
            share=share,
            max_train_weeks=max_train_weeks,
            completeness=completeness,
            calibrate=False,
        )
        in_week = located[located["occurred_at"].between(target, target + WEEK, inclusive="left")]
        complete, in_week, left_out[target.date().isoformat()] = complete_part(
            completeness, target, in_week
        )
        for name, forecaster in forecasters.items():
            scored = _usable_part(forecaster, complete)
            records[name].append(_score_week(scored, in_week, share, allocations))
    summaries = {name: _summary(rows, allocations) for name, rows in records.items()}
    ranking, default, verdict = _verdict(summaries)
    return HotspotEvaluation(
        resolution=resolution,
        share=share,
        eval_weeks=[w.date().isoformat() for w in weeks],
        max_train_weeks=max_train_weeks,
        allocations=list(allocations),
        label_rule=(
            f"hotspot = among the top {share:.0%} of grid cells by reports that "
            "week, all cells tied at the threshold included, at least one report"
        ),
        models=summaries,
        ranking=ranking,
        default_model=default,
        verdict=verdict,
        allocation_table=summaries[default].allocation,
        allocation_modes=summaries[default].allocation_modes,
        seconds=round(time.perf_counter() - started, 2),
        left_out_areas={week: areas for week, areas in left_out.items() if areas},
    )


def complete_part(
    completeness: Completeness | None, target: pd.Timestamp, in_week: pd.DataFrame
) -> tuple[list[str] | None, pd.DataFrame, list[str]]:
    """The areas that reported the week from `target` completely (None when all did), the
    week's reports in them, and the areas left out."""
    if completeness is None or not completeness.gaps:
        return None, in_week, []
    areas = sorted(in_week["area_name"].unique())
    gappy = completeness.incomplete_weeks(pd.DatetimeIndex([target]), areas).iloc[0]
    if not gappy.any():
        return None, in_week, []
    complete = [a for a in areas if not gappy[a]]
    return complete, in_week[in_week["area_name"].isin(complete)], [a for a in areas if gappy[a]]


def _usable_part(forecaster: HotspotForecaster, areas: list[str] | None) -> HotspotForecaster:
    """The forecaster restricted to the cells of `areas` (all of them when None)."""
    if areas is None:
        return forecaster
    keep = forecaster.grid.cells["area_name"].isin(areas).to_numpy()
    grid = Grid(resolution=forecaster.grid.resolution, cells=forecaster.grid.cells[keep])
    expected = None if forecaster.expected is None else forecaster.expected[keep]
    return dataclasses.replace(
        forecaster,
        grid=grid,
        risk=forecaster.risk[keep],
        recent=forecaster.recent[keep],
        expected=expected,
    )


def _score_week(
    forecaster: HotspotForecaster,
    in_week: pd.DataFrame,
    share: float,
    allocations: Sequence[str],
) -> dict:
    """One model's forecast of one week against the week's reports (`in_week`, located)."""
    grid, risk = forecaster.grid, forecaster.risk
    position = grid.position(in_week["cell"].to_numpy())
    counts = np.bincount(position[position >= 0], minlength=len(grid)).astype("float64")
    labels = hotspot_labels(counts[None, :], share)[0]
    crimes = len(in_week)
    areas = grid.cells["area_name"].to_numpy()
    area_weights = forecaster.recent["last_4_weeks"].groupby(areas).sum()
    predicted = flag_cells(risk, grid.cells, share)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted.astype("int8"), labels=[1, 0], zero_division=0
    )
    values = {
        "hotspot_precision": precision[0],
        "hotspot_recall": recall[0],
        "hotspot_f1": f1[0],
        "non_hotspot_precision": precision[1],
        "non_hotspot_recall": recall[1],
        "non_hotspot_f1": f1[1],
        "roc_auc": roc_auc_score(labels, risk) if 0 < labels.sum() < len(labels) else np.nan,
        "pr_auc": average_precision_score(labels, risk) if labels.sum() else np.nan,
        "seconds": forecaster.seconds,
    }
    flags_by_area = {}
    for mode in allocations:
        for coverage in COVERAGES:
            flags = flag_cells(
                risk, grid.cells, coverage, allocation=mode, area_weights=area_weights
            )
            for metric, value in hit_metrics(counts, flags, crimes).items():
                values[metric_key(metric, coverage, mode)] = value
            if coverage == HEADLINE_COVERAGE:
                flags_by_area[mode] = pd.Series(flags.astype("int64")).groupby(areas).sum()
    return {
        "model": forecaster.model.describe(),
        "weights": forecaster.model.weights(),
        "week_start": (pd.Timestamp(forecaster.as_of) + pd.Timedelta(days=1)).date().isoformat(),
        "values": values,
        "curve": coverage_curve(risk, grid.ids, counts, crimes),
        "confusion": confusion_matrix(labels, predicted.astype("int8"), labels=[1, 0]),
        "labels": labels,
        "risk": risk,
        "flags_by_area": flags_by_area,
        "crimes_by_area": pd.Series(counts).groupby(areas).sum(),
    }


def _summary(rows: list[dict], allocations: Sequence[str]) -> ModelScores:
    """One model's weeks pooled: the spread of each measure, mean curves, summed confusion
    matrix, ROC and PR curves over all cell-weeks, and per-area shares of flags and crime."""
    values = pd.DataFrame([r["values"] for r in rows])
    stats = {
        name: Spread(
            mean=_num(col.mean()),
            std=_num(col.std(ddof=1) if len(col) > 1 else 0.0),
            min=_num(col.min()),
            max=_num(col.max()),
        )
        for name, col in values.items()
    }
    curve = {
        key: [_num(v) for v in np.nanmean([r["curve"][key] for r in rows], axis=0)]
        for key in ("hit_rate", "pai", "pei_star")
    }
    labels = np.concatenate([r["labels"] for r in rows])
    risk = np.concatenate([r["risk"] for r in rows])
    shares = _area_shares(rows, allocations)
    weights = [r["weights"] for r in rows if r["weights"] is not None]
    return ModelScores(
        **rows[-1]["model"],
        metrics=stats,
        per_week=[
            {"week_start": r["week_start"], **{k: _num(v) for k, v in r["values"].items()}}
            for r in rows
        ],
        coverage_curve=CoverageCurve(coverage=list(CURVE_COVERAGES), **curve),
        confusion_matrix=ConfusionMatrix(
            labels=["hotspot", "non_hotspot"],
            matrix=sum(r["confusion"] for r in rows).tolist(),
        ),
        roc_curve=_roc_points(labels, risk),
        pr_curve=_pr_points(labels, risk),
        allocation=[
            {"area_name": area, **{k: _num(v) for k, v in row.items()}}
            for area, row in shares.iterrows()
        ],
        allocation_modes={
            mode: AllocationSpread(
                pai_5=stats[metric_key("pai", HEADLINE_COVERAGE, mode)].mean,
                **_ratio_range(shares, mode),
            )
            for mode in allocations
        },
        feature_weights=(pd.DataFrame(weights).fillna(0.0).mean().to_dict() if weights else None),
    )


def _area_shares(rows: list[dict], allocations: Sequence[str]) -> pd.DataFrame:
    """Per area, pooled over weeks: share of flagged cells / share of the weeks' crimes."""
    crimes = pd.concat([r["crimes_by_area"] for r in rows]).groupby(level=0).sum()
    flags = {
        mode: pd.concat([r["flags_by_area"][mode] for r in rows]).groupby(level=0).sum()
        for mode in allocations
    }
    table = area_ratios(crimes, flags)
    kept = [c for c in table if not c.endswith("_flagged")]
    return table[kept]


def _ratio_range(shares: pd.DataFrame, mode: str) -> dict:
    """The extremes of one mode's per-area ratios, from the table of `_area_shares`."""
    ratio = shares[f"{mode}_ratio"].dropna()
    return {
        "min_area_ratio": _num(ratio.min()),
        "max_area_ratio": _num(ratio.max()),
        "areas_without_flags": int((shares[f"{mode}_flag_share"] == 0).sum()),
    }


def _roc_points(labels: np.ndarray, risk: np.ndarray) -> RocCurve:
    if labels.min() == labels.max():
        return RocCurve(fpr=[], tpr=[])
    fpr, tpr, _ = roc_curve(labels, risk)
    keep = _downsample(len(fpr))
    return RocCurve(fpr=[_num(v) for v in fpr[keep]], tpr=[_num(v) for v in tpr[keep]])


def _pr_points(labels: np.ndarray, risk: np.ndarray) -> PrCurve:
    if labels.max() == 0:
        return PrCurve(recall=[], precision=[])
    precision, recall, _ = precision_recall_curve(labels, risk)
    keep = _downsample(len(recall))
    return PrCurve(
        recall=[_num(v) for v in recall[keep]], precision=[_num(v) for v in precision[keep]]
    )


def _downsample(n: int) -> np.ndarray:
    """At most CURVE_POINTS indices, evenly spread, always keeping both ends."""
    return np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype("int64"))


def _verdict(summaries: dict[str, ModelScores]) -> tuple[list[Ranked], str, str]:
    """The models ranked by mean PAI at 5%, the best, and a sentence saying whether the ML
    models earn it and whether the week-to-week spread carries the margin, naming the models
    as users know them (the sentence is shown on the pages and printed by `lacrime train`)."""
    pai = {name: s.metric("pai").mean for name, s in summaries.items()}
    ranking = sorted(pai, key=lambda n: (-(pai[n] if pai[n] is not None else -np.inf), n))
    best = ranking[0]
    kinds = {name: s.kind for name, s in summaries.items()}
    rivals = [n for n in ranking if kinds[n] != kinds[best]]
    if not rivals:
        sentence = f"{label(best)} has the best PAI at 5% of the area ({pai[best]:.2f})."
    else:
        rival = rivals[0]
        weekly = {
            n: np.array([w["pai_5"] for w in summaries[n].per_week], dtype="float64")
            for n in (best, rival)
        }
        diff = weekly[best] - weekly[rival]
        wins = f"higher in {int((diff > 0).sum())} of {len(diff)} weeks"
        if kinds[best] == "baseline":
            sentence = (
                f"The {label(best)} baseline beats every ML model on PAI at 5% of the area: "
                f"{pai[best]:.2f} against {pai[rival]:.2f} for {label(rival)} ({wins}), "
                "so it is the default forecast model."
            )
        else:
            sentence = (
                f"{label(best)} has the best PAI at 5% of the area, {pai[best]:.2f} against "
                f"{pai[rival]:.2f} for the best baseline, {label(rival)} ({wins}); it is the "
                "default forecast model."
            )
        if len(diff) > 1 and abs(diff.mean()) < diff.std(ddof=1):
            sentence += (
                f" The margin ({diff.mean():.2f}) is within the week-to-week spread of "
                f"the difference ({diff.std(ddof=1):.2f}): more weeks could reverse it."
            )
    return [Ranked(model=n, pai_5=pai[n]) for n in ranking], best, sentence


def _num(value: float) -> float | None:
    """A JSON-safe number: rounded, and None for NaN or infinity."""
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None
