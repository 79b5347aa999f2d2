"""Emerging hotspots: what is heating up, as analysts know it from ArcGIS's Emerging Hot Spot
Analysis, on the H3 grid.

Reports are counted per cell and time slice; each slice gets a Getis-Ord Gi* z-score per cell
(how far the cell and its neighbours together hold more reports than the slice's average),
each slice's z-scores are tested with a false-discovery-rate correction, and each cell's
series of z-scores gets a Mann-Kendall trend test. What computes what:

- `libpysal.graph.Graph`: binary spatial weights, each cell's H3 neighbours (ring 1) within
  the grid, and the cell itself with weight 1 (Gi* includes the focal cell). libpysal's older
  `weights.W` gives the same z-scores, but rebuilds its matrix on every call: 4.5 times
  slower over a city grid.
- `esda.G_Local(star=True, transform="B", permutations=0)`: the Gi* z-scores of a slice, with
  their normal-approximation p-values (two-sided: twice esda's one-sided `p_norm`).
- `esda.fdr`: per slice, the p-value cut-off that keeps the false discovery rate at ALPHA
  (Benjamini-Hochberg); a cell is a significant hot (cold) spot in a slice if its p is within
  the cut-off and its z is positive (negative).
- `scipy.stats.kendalltau`: the Mann-Kendall test of each cell's z-scores against time (the
  same statistic S and tie-corrected variance), two-sided at ALPHA; run for the cells that
  are significant in at least one slice, the only ones a pattern can describe (the trend of
  the others is left empty).

Unlike ArcGIS's space-time cube, a cell's neighbours are those of its own slice (ArcGIS's
neighbourhood time step 0): one slice's z-scores do not borrow from the slice before.

Slices are of equal length counted back from `as_of`, the longest of SLICE_DAYS that gives at
least MIN_SLICES complete slices: weeks on years of data; on the real extract's 7.5 weeks,
5-day slices (10 of them), since weeks would give 7. A slice of 5 days mixes weekdays
differently from the next, but Gi* compares cells within a slice, so a busier or quieter
slice (weekdays, reporting lag in the last weeks) moves no cell's z-score by itself.

The patterns, as ArcGIS defines them, with n the number of slices (hot; cold spots mirror
them with hot and cold swapped and the trend reversed):

- new hot spot: hot in the final slice and never before;
- consecutive hot spot: a single uninterrupted run of at least two hot slices ending with the
  final one, never hot before the run, and hot in under 90% of the slices;
- intensifying hot spot: hot in at least 90% of the slices, the final one included, and the
  z-scores rise significantly (Mann-Kendall);
- persistent hot spot: hot in at least 90% of the slices, the final one included, with no
  significant trend;
- diminishing hot spot: hot in at least 90% of the slices, the final one included, and the
  z-scores fall significantly;
- sporadic hot spot: hot in the final slice, on and off before, hot in under 90% of the
  slices, and never a cold spot;
- oscillating hot spot: hot in the final slice, a cold spot in an earlier one, hot in under
  90% of the slices;
- historical hot spot: not hot in the final slice, but hot in at least 90% of them;
- no pattern detected: none of these.

A cell that fits a hot pattern is given it before any cold one.
"""

from dataclasses import dataclass
from datetime import date

import esda
import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import sparse, stats

from lacrime.data.completeness import Completeness
from lacrime.errors import LacrimeError
from lacrime.hotspots.grid import Grid, build_grid

ALPHA = 0.05
MIN_SLICES = 10
SLICE_DAYS: tuple[int, ...] = (7, 6, 5, 4, 3, 2, 1)
PERSISTENT_SHARE = 0.9
NO_PATTERN = "no pattern detected"
HOT_PATTERNS: tuple[str, ...] = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
PATTERNS: tuple[str, ...] = (
    *(f"{p} hot spot" for p in HOT_PATTERNS),
    *(f"{p} cold spot" for p in HOT_PATTERNS),
    NO_PATTERN,
)
# What a "what is heating up" table leads with.
HEATING_UP: tuple[str, ...] = ("new hot spot", "consecutive hot spot", "intensifying hot spot")
TABLE_COLUMNS = (
    "cell",
    "area_name",
    "pattern",
    "hot_slices",
    "cold_slices",
    "final_z",
    "trend_tau",
    "trend_p",
    "final_reports",
    "lat",
    "lon",
)


@dataclass(frozen=True)
class EmergingHotspots:
    """The pattern of every cell over `slices` (first days) of `slice_days` days ending on
    `as_of`; `table` has TABLE_COLUMNS, one row per cell, heating-up patterns first; `z`
    holds the Gi* z-scores, slices x cells in the table's cell order."""

    as_of: date
    slice_days: int
    slices: list[date]
    resolution: int
    alpha: float
    table: pd.DataFrame
    z: np.ndarray

    def counts(self) -> pd.Series:
        """Cells per pattern, in the order of PATTERNS, patterns without cells left out."""
        counts = self.table["pattern"].value_counts()
        return counts.reindex([p for p in PATTERNS if p in counts.index])


def slice_days_for(days: int) -> int:
    """The longest slice of SLICE_DAYS that cuts `days` into at least MIN_SLICES slices."""
    for length in SLICE_DAYS:
        if days // length >= MIN_SLICES:
            return length
    raise LacrimeError(
        f"emerging hotspots need at least {MIN_SLICES} days of reports up to as_of "
        f"(one per slice); the data hold {days}"
    )


def neighbour_weights(grid: Grid) -> Graph:
    """Binary weights between H3 neighbours of the grid, each cell its own neighbour too."""
    return Graph.from_sparse((grid.ring(1) + sparse.identity(len(grid))).tocsr())


def gi_star(counts: np.ndarray, weights: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided p-values of one slice's counts (esda.G_Local); a slice with
    no variation (no reports, or the same count everywhere) has z 0 and p 1, as has a cell
    whose neighbourhood is the whole grid."""
    counts = np.asarray(counts, dtype="float64")
    if counts.sum() == 0 or counts.min() == counts.max():
        return np.zeros(len(counts)), np.ones(len(counts))
    with np.errstate(invalid="ignore", divide="ignore"):
        local = esda.G_Local(counts, weights, transform="B", star=True, permutations=0)
    z = np.asarray(local.Zs)
    p = np.minimum(2 * np.asarray(local.p_norm), 1.0)
    undefined = ~np.isfinite(z)  # a neighbourhood that is the whole grid
    return np.where(undefined, 0.0, z), np.where(undefined, 1.0, p)


def significant(p: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Which p-values pass esda's false-discovery-rate cut-off at `alpha`."""
    return p <= esda.fdr(p, alpha)


def trend(z: np.ndarray) -> tuple[float, float]:
    """Mann-Kendall tau and two-sided p of a series against time (scipy's Kendall tau);
    a constant series has no trend (tau 0, p 1)."""
    if np.ptp(z) == 0:
        return 0.0, 1.0
    result = stats.kendalltau(np.arange(len(z)), z)
    return float(result.statistic), float(result.pvalue)


def hot_pattern(hot: np.ndarray, cold: np.ndarray, rising: bool, falling: bool) -> str | None:
    """The hot-spot pattern of one cell's slices (see the module's definitions), or None."""
    final = bool(hot[-1])
    if hot.mean() >= PERSISTENT_SHARE:
        if not final:
            return "historical"
        return "intensifying" if rising else "diminishing" if falling else "persistent"
    if not final:
        return None
    if not hot[:-1].any():
        return "new"
    run = len(hot) - int(np.flatnonzero(~hot)[-1]) - 1
    if run >= 2 and not hot[: len(hot) - run].any():
        return "consecutive"
    return "oscillating" if cold[:-1].any() else "sporadic"


def pattern(hot: np.ndarray, cold: np.ndarray, tau: float, p: float, alpha: float) -> str:
    """The cell's pattern: a hot one if any, else a cold one (roles swapped), else none."""
    rising, falling = p <= alpha and tau > 0, p <= alpha and tau < 0
    found = hot_pattern(hot, cold, rising, falling)
    if found is not None:
        return f"{found} hot spot"
    found = hot_pattern(cold, hot, falling, rising)
    return f"{found} cold spot" if found is not None else NO_PATTERN


def hot_and_cold(
    counts: np.ndarray, weights: Graph, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gi* z-scores of every slice (rows of `counts`) and which cells are significant hot
    and cold spots in it."""
    z = np.zeros(counts.shape)
    passed = np.zeros(counts.shape, dtype=bool)
    for s in range(len(counts)):
        z[s], p = gi_star(counts[s], weights)
        passed[s] = significant(p, alpha)
    return z, passed & (z > 0), passed & (z < 0)


def emerging_hotspots(
    located: pd.DataFrame,
    *,
    as_of: date,
    resolution: int,
    slice_days: int | None = None,
    alpha: float = ALPHA,
    completeness: Completeness | None = None,
) -> EmergingHotspots:
    """Every cell's pattern over the slices up to `as_of` of `located` (a `with_cells`
    frame): slices of `slice_days` days, by default the longest giving MIN_SLICES.

    With `completeness`, an area's slice that is incompletely reported (the switch to NIBRS,
    reporting lag) would read as a cold spot and fake a "diminishing" trend: its cells' Gi*
    counts are then their reports on the complete days scaled to the whole slice, or, with no
    complete day, the cell's mean over its complete slices (see `_complete_counts`).
    """
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    history = located[located["occurred_at"] < end]
    if history.empty:
        raise LacrimeError(f"as_of {as_of}: no report occurred on or before that day")
    span = int((end - history["occurred_at"].min().normalize()).days)
    slice_days = slice_days or slice_days_for(span)
    n_slices = span // slice_days
    if n_slices < MIN_SLICES:
        raise LacrimeError(
            f"slices of {slice_days} days give {n_slices} up to {as_of}; "
            f"emerging hotspots need at least {MIN_SLICES}"
        )
    first = end - pd.Timedelta(days=n_slices * slice_days)
    history = history[history["occurred_at"] >= first]
    grid = build_grid(history["cell"], history["area_name"], resolution)
    step = ((history["occurred_at"] - first) // pd.Timedelta(days=slice_days)).to_numpy()
    cell = grid.position(history["cell"].to_numpy())
    counts = np.bincount(step * len(grid) + cell, minlength=n_slices * len(grid))
    counts = counts.reshape(n_slices, len(grid))
    tested = _complete_counts(counts, history, grid, first, slice_days, completeness)
    z, hot, cold = hot_and_cold(tested, neighbour_weights(grid), alpha)
    # Only a cell significant in some slice can have a pattern, so only those get a trend
    # (the test costs 2 ms a cell and most cells are never significant).
    trends = np.full((len(grid), 2), np.nan)
    for c in np.flatnonzero((hot | cold).any(axis=0)):
        trends[c] = trend(z[:, c])
    table = pd.DataFrame(
        {
            "cell": grid.ids.to_numpy(dtype="str"),
            "area_name": grid.cells["area_name"].to_numpy(),
            "pattern": [
                pattern(hot[:, c], cold[:, c], trends[c, 0], trends[c, 1], alpha)
                for c in range(len(grid))
            ],
            "hot_slices": hot.sum(axis=0),
            "cold_slices": cold.sum(axis=0),
            "final_z": np.round(z[-1], 3),
            "trend_tau": np.round(trends[:, 0], 3),
            "trend_p": np.round(trends[:, 1], 4),
            "final_reports": counts[-1],
            "lat": grid.cells["lat"].to_numpy(),
            "lon": grid.cells["lon"].to_numpy(),
        },
        columns=list(TABLE_COLUMNS),
    )
    order = table["pattern"].map({p: i for i, p in enumerate((*HEATING_UP, *PATTERNS))})
    ranked = table.assign(order=order).sort_values(
        ["order", "final_z", "cell"], ascending=[True, False, True]
    )
    return EmergingHotspots(
        as_of=pd.Timestamp(as_of).date(),
        slice_days=slice_days,
        slices=[(first + pd.Timedelta(days=s * slice_days)).date() for s in range(n_slices)],
        resolution=resolution,
        alpha=alpha,
        table=ranked.drop(columns="order").reset_index(drop=True),
        z=z[:, ranked.index.to_numpy()],
    )


def _complete_counts(
    counts: np.ndarray,
    history: pd.DataFrame,
    grid: Grid,
    first: pd.Timestamp,
    slice_days: int,
    completeness: Completeness | None,
) -> np.ndarray:
    """The slices x cells counts with incompletely reported area-slices corrected: reports of
    the complete days only, times slice_days over the complete days; a slice with no complete
    day takes the cell's mean rate over the slices that have some."""
    if completeness is None or not completeness.gaps:
        return counts
    n_slices, n_cells = counts.shape
    areas = grid.cells["area_name"].to_numpy()
    names = sorted(set(areas))
    days = pd.date_range(first, periods=n_slices * slice_days, freq="D").to_numpy()
    gappy = completeness.incomplete(np.repeat(names, len(days)), np.tile(days, len(names)))
    complete_days = (~gappy).reshape(len(names), n_slices, slice_days).sum(axis=2)
    if complete_days.min() == slice_days:
        return counts
    kept = history[
        ~completeness.incomplete(history["area_name"].to_numpy(), history["occurred_at"])
    ]
    step = ((kept["occurred_at"] - first) // pd.Timedelta(days=slice_days)).to_numpy()
    cell = grid.position(kept["cell"].to_numpy())
    partial = np.bincount(step * n_cells + cell, minlength=n_slices * n_cells)
    partial = partial.reshape(n_slices, n_cells).astype("float64")
    covered = pd.DataFrame(complete_days.T, columns=names)[areas].to_numpy()  # slices x cells
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(covered > 0, partial * slice_days / covered, np.nan)
    seen = (~np.isnan(rate)).sum(axis=0)
    mean = np.divide(np.nansum(rate, axis=0), seen, out=np.zeros(n_cells), where=seen > 0)
    return np.where(np.isnan(rate), mean[None, :], rate)
