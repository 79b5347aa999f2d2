"""The rolling evaluation of watch forecasts: every evaluation week forecast, for each watch,
by the function that makes the forecast that ships (`watch.fit_watch_at`), and scored on that
watch's reports of known time against two baselines on the same cells and weeks: the past
counts of that watch only, and the past all-day counts (the stronger one).

Each watch gets the shrinkage strength with the best mean PAI at 5% of the area on it, the
all-day counts (infinite strength) included, so a watch whose own pattern does not pay keeps
the all-day ranking; equal to 0.001, the stronger shrinkage wins. The watches differ in how
much their share tells: on the real extract the night's share of a cell carries the most.
Chosen on the very weeks it is scored on, the margin flatters the model: `held_out` gives
the ratios when each week is scored by the strength chosen on the other weeks.
"""

import dataclasses
import time

import numpy as np
import pandas as pd

from lacrime.calendar import WATCHES, WEEK
from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError
from lacrime.hotspots.evaluation import complete_part, evaluation_weeks
from lacrime.hotspots.flagging import flag_cells, hit_metrics
from lacrime.hotspots.forecast import MIN_HISTORY_WEEKS
from lacrime.hotspots.grid import DEFAULT_RESOLUTION, Grid
from lacrime.hotspots.results import Spread, WatchEvaluation, WatchScores
from lacrime.hotspots.watch import (
    BASELINE,
    WATCH_MODELS,
    WatchForecaster,
    WatchModel,
    fit_watch_at,
    with_watches,
)

# On years of data every Monday would be an evaluation week; the most recent this many keep
# `lacrime train` within its time budget and say how the forecast does now.
MAX_EVAL_WEEKS = 26
MEASURES = {"pai_5": ("pai", 0.05), "pai_1": ("pai", 0.01), "hit_rate_5": ("hit_rate", 0.05)}


def available_weeks(
    frame: pd.DataFrame, limit: int = MAX_EVAL_WEEKS, completeness: Completeness | None = None
) -> list[pd.Timestamp]:
    """Mondays of the full weeks of `frame` with two full weeks of reports before them, the
    last `limit` of them, passing over weeks every area is still filling in."""
    first_day = frame["occurred_at"].min().normalize()
    weeks = evaluation_weeks(frame, limit, completeness)
    return [w for w in weeks if w - MIN_HISTORY_WEEKS * WEEK >= first_day]


def evaluate_watches(
    frame: pd.DataFrame,
    *,
    resolution: int = DEFAULT_RESOLUTION,
    spread_default_times: bool = True,
    max_weeks: int = MAX_EVAL_WEEKS,
    completeness: Completeness | None = None,
) -> WatchEvaluation:
    """Every watch model of WATCH_MODELS on every available week, per watch, and the choice.

    `spread_default_times=False` leaves default-time reports out of the shrunk models'
    training instead of spreading them, to compare the two treatments. With `completeness`,
    incompletely reported area-weeks are left out as in the hotspot evaluation: of training
    (see `watch.watch_history`) and of scoring, each week scored over the cells and reports
    of the areas that reported it completely.
    """
    started = time.perf_counter()
    weeks = available_weeks(frame, max_weeks, completeness)
    if not weeks:
        raise LacrimeError(
            "the watch evaluation needs a full week with two full weeks of reports before it; "
            f"the data run from {frame['occurred_at'].min().date()} "
            f"to {frame['occurred_at'].max().date()}"
        )
    models = {
        name: model if model.kind == "baseline" else _with_spread(model, spread_default_times)
        for name, model in WATCH_MODELS.items()
    }
    located = with_watches(frame, resolution)
    rows: dict[str, dict[str, list[dict]]] = {w: {m: [] for m in models} for w in WATCHES}
    for target in weeks:
        fitted = fit_watch_at(
            located[located["occurred_at"] < target],
            (target - pd.Timedelta(days=1)).date(),
            models,
            resolution=resolution,
            completeness=completeness,
        )
        in_week = located[located["occurred_at"].between(target, target + WEEK, inclusive="left")]
        complete, in_week, _ = complete_part(completeness, target, in_week)
        for code, watch in enumerate(WATCHES):
            tested = in_week[in_week["watch"] == code]
            for name, forecaster in fitted[watch].items():
                scored = _within(forecaster, complete)
                rows[watch][name].append(_score_week(scored, tested, target))
    scores = {
        watch: {name: _scores(models[name], per[name], per[BASELINE]) for name in models}
        for watch, per in rows.items()
    }
    chosen = {watch: _choose(per) for watch, per in scores.items()}
    ratios = {watch: scores[watch][chosen[watch]].ratio for watch in WATCHES}
    held_out = _held_out(rows, models)
    return WatchEvaluation(
        resolution=resolution,
        eval_weeks=[w.date().isoformat() for w in weeks],
        baseline=BASELINE,
        default_times=(
            "spread by the area's watch profile" if spread_default_times else "left out"
        ),
        watches=scores,
        chosen=chosen,
        ratios=ratios,
        mean_ratio=_num(np.mean([np.nan if r is None else r for r in ratios.values()])),
        held_out=held_out,
        verdict=_verdict(scores, chosen, held_out),
        seconds=round(time.perf_counter() - started, 2),
    )


def _score_week(forecaster: WatchForecaster, tested: pd.DataFrame, target: pd.Timestamp) -> dict:
    """One watch forecast against that watch's reports of known time in its week."""
    grid = forecaster.grid
    position = grid.position(tested["cell"].to_numpy())
    counts = np.bincount(position[position >= 0], minlength=len(grid))
    row = {"week_start": target.date().isoformat(), "crimes": len(tested)}
    for key, (metric, coverage) in MEASURES.items():
        flags = flag_cells(forecaster.expected, grid.cells, coverage)
        row[key] = hit_metrics(counts, flags, len(tested))[metric]
    return row


def _within(forecaster: WatchForecaster, areas: list[str] | None) -> WatchForecaster:
    """The forecaster restricted to the cells of `areas` (all of them when None)."""
    if areas is None:
        return forecaster
    keep = forecaster.grid.cells["area_name"].isin(areas).to_numpy()
    grid = Grid(resolution=forecaster.grid.resolution, cells=forecaster.grid.cells[keep])
    return dataclasses.replace(
        forecaster, grid=grid, expected=forecaster.expected[keep], recent=forecaster.recent[keep]
    )


def _with_spread(model: WatchModel, spread: bool) -> WatchModel:
    return dataclasses.replace(model, spread_default_times=spread)


def _scores(model: WatchModel, weeks: list[dict], baseline: list[dict]) -> WatchScores:
    table = pd.DataFrame(weeks)
    base = pd.DataFrame(baseline)
    ratio = pd.Series(_ratio(table["pai_5"].to_numpy(), base["pai_5"].to_numpy()))
    return WatchScores(
        model=model.name,
        kind=model.kind,
        description=model.description,
        **{key: _spread(table[key]) for key in MEASURES},
        ratio=_num(_ratio(table["pai_5"].mean(), base["pai_5"].mean())),
        ratio_spread=_spread(ratio),
        per_week=[{k: v if isinstance(v, str) else _num(v) for k, v in r.items()} for r in weeks],
    )


def _candidates() -> list[str]:
    """The models a watch may get, weakest shrinkage first, the all-day counts last."""
    shrunk = [n for n, m in WATCH_MODELS.items() if m.kind == "model"]
    return sorted(shrunk, key=lambda n: WATCH_MODELS[n].strength) + [BASELINE]


def _choose(scores: dict[str, WatchScores]) -> str:
    """The model of the best mean PAI at 5% on one watch (to 0.001, the stronger shrinkage)."""
    best = {n: round(scores[n].ratio or 0.0, 3) for n in _candidates()}
    top = max(best.values())
    return [n for n in _candidates() if best[n] == top][-1]


def _held_out(
    rows: dict[str, dict[str, list[dict]]], models: dict[str, WatchModel]
) -> dict[str, float | None]:
    """Per watch, the mean ratio to the all-day counts when each week is scored by the model
    chosen on the other weeks (None with a single week)."""
    held_out: dict[str, float | None] = {}
    for watch, per in rows.items():
        n_weeks = len(per[BASELINE])
        if n_weeks < 2:
            held_out[watch] = None
            continue
        ratios = []
        for i in range(n_weeks):
            others = {
                name: _scores(models[name], _drop(per[name], i), _drop(per[BASELINE], i))
                for name in _candidates()
            }
            choice = _choose(others)
            ratios.append(_ratio(per[choice][i]["pai_5"], per[BASELINE][i]["pai_5"]))
        held_out[watch] = _num(np.nanmean(ratios)) if np.isfinite(ratios).any() else None
    return held_out


def _drop(rows: list[dict], i: int) -> list[dict]:
    return rows[:i] + rows[i + 1 :]


def _verdict(
    scores: dict[str, dict[str, WatchScores]],
    chosen: dict[str, str],
    held_out: dict[str, float | None],
) -> str:
    """What each watch's model gains over the all-day counts, and whether the week-to-week
    spread of the ratio carries it."""
    parts, noise = [], []
    for watch, name in chosen.items():
        s = scores[watch][name]
        spread = s.ratio_spread.std or 0.0
        shown = "undefined" if s.ratio is None else f"{s.ratio:.3f}x"
        model = WATCH_MODELS[name].label
        parts.append(f"{watch} {shown} by {model} (week-to-week spread {spread:.3f})")
        if name != BASELINE and abs((s.ratio or 1.0) - 1.0) <= spread:
            noise.append(watch)
    sentence = "PAI at 5% of the area against the all-day counts: " + "; ".join(parts) + "."
    if noise:
        sentence += f" On {', '.join(noise)} the margin is within the spread: it may be noise."
    if all(v is not None for v in held_out.values()):
        shown = ", ".join(f"{w} {v:.3f}x" for w, v in held_out.items())
        sentence += f" With each week scored by the model chosen on the other weeks: {shown}."
    return sentence


def _ratio(value, baseline):
    """value / baseline, NaN where the baseline is not positive (a week without reports of
    the watch, or with none in the flagged cells): such a week says nothing either way."""
    value, baseline = np.asarray(value, dtype="float64"), np.asarray(baseline, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(baseline > 0, value / np.where(baseline > 0, baseline, 1.0), np.nan)


def _spread(values: pd.Series) -> Spread:
    return Spread(
        mean=_num(values.mean()),
        std=_num(values.std(ddof=1) if len(values) > 1 else 0.0),
        min=_num(values.min()),
        max=_num(values.max()),
    )


def _num(value: float) -> float | None:
    value = float(value)
    return round(value, 4) if np.isfinite(value) else None
