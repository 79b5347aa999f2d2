"""How hotspot forecasts are flagged and scored, and the rolling-origin comparison of models.

A forecast flags a share of the city's cells. It is scored the way crime analysts score
patrol maps: the hit rate n/N (share of the week's crimes inside flagged cells), the
Predictive Accuracy Index PAI = (n/N)/(a/A) (hit rate per share of area flagged), and
PEI* = n/n* (crimes caught over the most that the same number of cells could have caught).
Crimes of the week falling outside the grid count in N as misses.

Rolling origin: each evaluation week is forecast by models trained on the weeks before it only,
on a grid built from those weeks, exactly as a forecast made on the preceding Sunday would be.
"""

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

from lacrime.clean import last_full_sunday
from lacrime.errors import LacrimeError
from lacrime.grid import DEFAULT_RESOLUTION, build_grid
from lacrime.hotspot_models import MODELS, HotspotModel
from lacrime.panel import DEFAULT_SHARE, WEEK, build_panel, flag_count, with_cells

# How flags are shared out, with the name every page and chart gives each mode.
ALLOCATIONS = {"citywide": "City-wide", "proportional": "Proportional to area crime"}
COVERAGES = (0.01, 0.05)
# The coverage models are ranked by and allocation modes compared at.
HEADLINE_COVERAGE = 0.05
CURVE_COVERAGES = tuple(round(0.005 * i, 3) for i in range(1, 41))
# Rows of at most this many weeks before the forecast week train a model (features still use
# all history): half a year keeps the full dataset within the time budget and follows change.
MAX_TRAIN_WEEKS = 26
CURVE_POINTS = 50
# Full weeks of reports a forecast or an evaluation week needs before it: a training week's
# features come from the weeks before it, so the first week trains nothing and two is the least
# that leaves a week to learn from. Error messages say "two full weeks".
MIN_HISTORY_WEEKS = 2


def flag_cells(
    risk: np.ndarray,
    cells: pd.DataFrame,
    coverage: float,
    *,
    allocation: str = "citywide",
    area_weights: pd.Series | None = None,
) -> np.ndarray:
    """Which cells to flag: the riskiest `coverage` share of `cells`, city-wide or per area.

    `cells` is a grid's cell table (index: cell id, `area_name`), in the order of `risk`. Equal
    risks are ordered by cell id, so flags are reproducible. "proportional" gives each area a
    quota from `area_weights` by `area_quotas` and flags the riskiest cells within each area.
    Callers pass each area's reports of the last 4 weeks (the panel's `last_4_weeks`): recent
    enough to follow change, long enough that one quiet week does not strip an area of patrols.
    """
    k = flag_count(len(cells), coverage)
    order = risk_order(risk, cells.index)
    flagged = np.zeros(len(cells), dtype=bool)
    if allocation == "citywide":
        flagged[order[:k]] = True
        return flagged
    if allocation != "proportional":
        raise LacrimeError(f"allocation {allocation!r}: use one of {', '.join(ALLOCATIONS)}")
    if area_weights is None:
        raise ValueError("proportional allocation needs area_weights")
    areas = cells["area_name"].to_numpy()[order]
    quotas = area_quotas(area_weights, pd.Series(areas).value_counts(), k)
    within = pd.Series(areas).groupby(areas).cumcount().to_numpy()
    flagged[order[within < quotas.reindex(areas).to_numpy()]] = True
    return flagged


def risk_order(risk: np.ndarray, cells: pd.Index) -> np.ndarray:
    """Positions from the riskiest cell down; equal risks in cell-id order, so runs agree."""
    return np.lexsort((cells.to_numpy(dtype="str"), -np.asarray(risk, dtype="float64")))


def area_quotas(weights: pd.Series, capacity: pd.Series, total: int) -> pd.Series:
    """Split `total` cells among areas in proportion to `weights`, by largest remainder.

    Each area first gets the whole part of its exact share, then the seats left go one by one
    to the largest remainders (ties to the alphabetically first area). No area gets more cells
    than it has (`capacity`); with no weight at all, areas are weighted by size.
    """
    capacity = capacity.sort_index()
    weights = weights.reindex(capacity.index, fill_value=0).clip(lower=0).astype("float64")
    if weights.sum() <= 0:
        weights = capacity.astype("float64")
    exact = weights / weights.sum() * total
    quota = np.minimum(np.floor(exact), capacity).astype("int64")
    while quota.sum() < min(total, capacity.sum()):
        remainder = (exact - quota).where(quota < capacity)
        quota[remainder.idxmax()] += 1
    return quota


def hit_metrics(counts: np.ndarray, flagged: np.ndarray, crimes: int) -> dict[str, float]:
    """Hit rate, PAI and PEI* of `flagged` cells given each cell's actual `counts`.

    `crimes` is N, all crimes of the span, including any outside the grid.
    """
    counts = np.asarray(counts, dtype="float64")
    a = int(flagged.sum())
    n = float(counts[flagged].sum())
    best = float(np.sort(counts)[::-1][:a].sum())
    hit_rate = n / crimes if crimes else np.nan
    return {
        "hit_rate": hit_rate,
        "pai": hit_rate / (a / len(counts)) if a else np.nan,
        "pei_star": n / best if best else np.nan,
    }


def coverage_curve(risk: np.ndarray, cells: pd.Index, counts: np.ndarray, crimes: int) -> dict:
    """Hit rate, PAI and PEI* of city-wide flags at each of CURVE_COVERAGES."""
    order = risk_order(risk, cells)
    caught = np.cumsum(np.asarray(counts, dtype="float64")[order])
    best = np.cumsum(np.sort(np.asarray(counts, dtype="float64"))[::-1])
    k = np.array([flag_count(len(cells), c) for c in CURVE_COVERAGES])
    hit = caught[k - 1] / crimes if crimes else np.full(len(k), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        pei = np.where(best[k - 1] > 0, caught[k - 1] / best[k - 1], np.nan)
    return {"hit_rate": hit, "pai": hit / (k / len(cells)), "pei_star": pei}


def metric_key(metric: str, coverage: float, allocation: str = "citywide") -> str:
    """The name an evaluation stores a hit measure under: `pai_5` for PAI at 5% city-wide,
    `pai_5_proportional` with proportional allocation."""
    suffix = "" if allocation == "citywide" else f"_{allocation}"
    return f"{metric}_{round(coverage * 100)}{suffix}"


def evaluation_weeks(frame: pd.DataFrame, n: int) -> list[pd.Timestamp]:
    """Mondays of the last `n` full Monday-Sunday weeks of occurrence in `frame`."""
    last_monday = last_full_sunday(frame["occurred_at"].max().normalize()) - pd.Timedelta(days=6)
    return [last_monday - k * WEEK for k in range(n - 1, -1, -1)]


def evaluate_hotspots(
    frame: pd.DataFrame,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    share: float = DEFAULT_SHARE,
    eval_weeks: int = 3,
    allocations: Sequence[str] = tuple(ALLOCATIONS),
    models: Mapping[str, Callable[[], HotspotModel]] | None = None,
    max_train_weeks: int = MAX_TRAIN_WEEKS,
) -> dict:
    """Rolling-origin comparison of hotspot models on the last `eval_weeks` full weeks.

    Returns a JSON-able dict: per model its features, metrics (mean, std, min, max over
    weeks), per-week values, coverage curves, confusion matrix, ROC and PR points and the
    per-area allocation ratios; the ranking by mean PAI at 5% of the area, the `default_model`
    (the best one, baseline or not) and a one-sentence `verdict`.
    """
    started = time.perf_counter()
    models = dict(models or MODELS)
    located = with_cells(frame, resolution)
    weeks = evaluation_weeks(frame, eval_weeks)
    first_day = frame["occurred_at"].min().normalize()
    if not weeks or weeks[0] - MIN_HISTORY_WEEKS * WEEK < first_day:
        raise LacrimeError(
            f"hotspot evaluation over {eval_weeks} week(s) needs two full weeks of reports "
            f"before the first of them; the data start on {first_day.date()}"
        )
    records = {name: [] for name in models}
    for target in weeks:
        for name, week_result in _evaluate_week(
            located,
            target,
            models,
            resolution=resolution,
            share=share,
            allocations=allocations,
            max_train_weeks=max_train_weeks,
        ).items():
            records[name].append(week_result)
    result = {
        "resolution": resolution,
        "share": share,
        "eval_weeks": [w.date().isoformat() for w in weeks],
        "max_train_weeks": max_train_weeks,
        "allocations": list(allocations),
        "label_rule": (
            f"hotspot = among the top {share:.0%} of grid cells by reports that "
            "week, all cells tied at the threshold included, at least one report"
        ),
        "models": {name: _summary(rows, allocations) for name, rows in records.items()},
    }
    result.update(_verdict(result["models"]))
    best = result["models"][result["default_model"]]
    result["allocation_table"] = best["allocation"]
    result["allocation_modes"] = best["allocation_modes"]
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _evaluate_week(
    located: pd.DataFrame,
    target: pd.Timestamp,
    models: Mapping[str, Callable[[], HotspotModel]],
    *,
    resolution: int,
    share: float,
    allocations: Sequence[str],
    max_train_weeks: int,
) -> dict[str, dict]:
    history = located[located["occurred_at"] < target]
    grid = build_grid(history["cell"], history["area_name"], resolution)
    panel = build_panel(
        located[located["occurred_at"] < target + WEEK],
        grid,
        target_start=target,
        share=share,
        weeks=max_train_weeks,
    )
    train, week = panel.training_rows(), panel.target_rows()
    counts = week["count"].to_numpy()
    labels = week["hotspot"].to_numpy()
    in_week = located["occurred_at"].between(target, target + WEEK, inclusive="left")
    crimes = int(in_week.sum())
    areas = grid.cells["area_name"]
    recent = pd.Series(week["last_4_weeks"].to_numpy(), index=areas.to_numpy())
    area_weights = recent.groupby(level=0).sum()
    area_crimes = pd.Series(counts, index=areas.to_numpy()).groupby(level=0).sum()
    out = {}
    for name, factory in models.items():
        started = time.perf_counter()
        model = factory().fit(train)
        risk = model.risk(week)
        seconds = time.perf_counter() - started
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
            "seconds": seconds,
        }
        allocation = {}
        for mode in allocations:
            for coverage in COVERAGES:
                flags = flag_cells(
                    risk, grid.cells, coverage, allocation=mode, area_weights=area_weights
                )
                for metric, value in hit_metrics(counts, flags, crimes).items():
                    values[metric_key(metric, coverage, mode)] = value
                if coverage == HEADLINE_COVERAGE:
                    allocation[mode] = (
                        pd.Series(flags.astype("int64"), index=areas.to_numpy())
                        .groupby(level=0)
                        .sum()
                    )
        out[name] = {
            "model": model.describe(),
            "week_start": target.date().isoformat(),
            "values": values,
            "curve": coverage_curve(risk, grid.ids, counts, crimes),
            "confusion": confusion_matrix(labels, predicted.astype("int8"), labels=[1, 0]),
            "labels": labels,
            "risk": risk,
            "flags_by_area": allocation,
            "crimes_by_area": area_crimes,
        }
    return out


def _summary(rows: list[dict], allocations: Sequence[str]) -> dict:
    values = pd.DataFrame([r["values"] for r in rows])
    stats = {
        name: {
            "mean": _num(col.mean()),
            "std": _num(col.std(ddof=1) if len(col) > 1 else 0.0),
            "min": _num(col.min()),
            "max": _num(col.max()),
        }
        for name, col in values.items()
    }
    curve = {
        key: [_num(v) for v in np.nanmean([r["curve"][key] for r in rows], axis=0)]
        for key in ("hit_rate", "pai", "pei_star")
    }
    labels = np.concatenate([r["labels"] for r in rows])
    risk = np.concatenate([r["risk"] for r in rows])
    shares = _area_shares(rows, allocations)
    return {
        **rows[-1]["model"],
        "metrics": stats,
        "per_week": [
            {"week_start": r["week_start"], **{k: _num(v) for k, v in r["values"].items()}}
            for r in rows
        ],
        "coverage_curve": {"coverage": list(CURVE_COVERAGES), **curve},
        "confusion_matrix": {
            "labels": ["hotspot", "non_hotspot"],
            "matrix": sum(r["confusion"] for r in rows).tolist(),
        },
        "roc_curve": _roc_points(labels, risk),
        "pr_curve": _pr_points(labels, risk),
        "allocation": _allocation_table(shares),
        "allocation_modes": {
            mode: {
                "pai_5": stats[metric_key("pai", HEADLINE_COVERAGE, mode)]["mean"],
                **_ratio_range(shares, mode),
            }
            for mode in allocations
        },
    }


def _area_shares(rows: list[dict], allocations: Sequence[str]) -> pd.DataFrame:
    """Per area, pooled over weeks: share of flagged cells / share of the weeks' crimes."""
    crimes = pd.concat([r["crimes_by_area"] for r in rows]).groupby(level=0).sum()
    crime_share = crimes / crimes.sum()
    table = pd.DataFrame({"crime_share": crime_share})
    for mode in allocations:
        flags = pd.concat([r["flags_by_area"][mode] for r in rows]).groupby(level=0).sum()
        flags = flags.reindex(table.index, fill_value=0)
        table[f"{mode}_flag_share"] = flags / flags.sum()
        table[f"{mode}_ratio"] = table[f"{mode}_flag_share"] / crime_share.replace(0, np.nan)
    return table


def _allocation_table(shares: pd.DataFrame) -> list[dict]:
    return [
        {"area_name": area, **{k: _num(v) for k, v in row.items()}}
        for area, row in shares.iterrows()
    ]


def _ratio_range(shares: pd.DataFrame, mode: str) -> dict:
    """The extremes of one mode's per-area ratios, from the table of `_area_shares`."""
    ratio = shares[f"{mode}_ratio"].dropna()
    return {
        "min_area_ratio": _num(ratio.min()),
        "max_area_ratio": _num(ratio.max()),
        "areas_without_flags": int((shares[f"{mode}_flag_share"] == 0).sum()),
    }


def _roc_points(labels: np.ndarray, risk: np.ndarray) -> dict:
    if labels.min() == labels.max():
        return {"fpr": [], "tpr": []}
    fpr, tpr, _ = roc_curve(labels, risk)
    keep = _downsample(len(fpr))
    return {"fpr": [_num(v) for v in fpr[keep]], "tpr": [_num(v) for v in tpr[keep]]}


def _pr_points(labels: np.ndarray, risk: np.ndarray) -> dict:
    if labels.max() == 0:
        return {"recall": [], "precision": []}
    precision, recall, _ = precision_recall_curve(labels, risk)
    keep = _downsample(len(recall))
    return {
        "recall": [_num(v) for v in recall[keep]],
        "precision": [_num(v) for v in precision[keep]],
    }


def _downsample(n: int) -> np.ndarray:
    """At most CURVE_POINTS indices, evenly spread, always keeping both ends."""
    return np.unique(np.linspace(0, n - 1, min(n, CURVE_POINTS)).round().astype("int64"))


def _verdict(summaries: dict[str, dict]) -> dict:
    """The best model by mean PAI at 5%, and a sentence saying whether the ML models earn it."""
    pai = {name: s["metrics"]["pai_5"]["mean"] for name, s in summaries.items()}
    ranking = sorted(pai, key=lambda n: (-(pai[n] if pai[n] is not None else -np.inf), n))
    best = ranking[0]
    kinds = {name: s["kind"] for name, s in summaries.items()}
    rivals = [n for n in ranking if kinds[n] != kinds[best]]
    if not rivals:
        sentence = f"{best} has the best PAI at 5% of the area ({pai[best]:.2f})."
    else:
        rival = rivals[0]
        weekly = {
            n: np.array([w["pai_5"] for w in summaries[n]["per_week"]], dtype="float64")
            for n in (best, rival)
        }
        diff = weekly[best] - weekly[rival]
        wins = f"higher in {int((diff > 0).sum())} of {len(diff)} weeks"
        if kinds[best] == "baseline":
            sentence = (
                f"The {best} baseline beats every ML model on PAI at 5% of the area: "
                f"{pai[best]:.2f} against {pai[rival]:.2f} for {rival} ({wins}), "
                "so it is the default forecast model."
            )
        else:
            sentence = (
                f"{best} has the best PAI at 5% of the area, {pai[best]:.2f} against "
                f"{pai[rival]:.2f} for the best baseline, {rival} ({wins}); it is the "
                "default forecast model."
            )
        if len(diff) > 1 and abs(diff.mean()) < diff.std(ddof=1):
            sentence += (
                f" The margin ({diff.mean():.2f}) is within the week-to-week spread of "
                f"the difference ({diff.std(ddof=1):.2f}): more weeks could reverse it."
            )
    return {
        "ranking": [{"model": n, "pai_5": pai[n]} for n in ranking],
        "default_model": best,
        "verdict": sentence,
    }


def _num(value: float) -> float | None:
    """A JSON-safe number: rounded, and None for NaN or infinity."""
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None
