"""Which cells a hotspot forecast flags, and how flags are scored.

A forecast flags a share of the city's cells (its coverage), city-wide or with a quota per LAPD
area. It is scored the way crime analysts score patrol maps: the hit rate n/N (share of the
week's crimes inside flagged cells), the Predictive Accuracy Index PAI = (n/N)/(a/A) (hit rate
per share of area flagged), and PEI* = n/n* (crimes caught over the most that the same number
of cells could have caught). Crimes of the week falling outside the grid count in N as misses.

Pure functions of arrays: the forecast and the evaluation both flag and score through them.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd

from lacrime.errors import LacrimeError, choose

# How flags are shared out, with the name every page and chart gives each mode.
ALLOCATIONS = {"citywide": "City-wide", "proportional": "Proportional to area crime"}
# The share of cells a forecast flags by default, and the share that makes a week's hotspots.
DEFAULT_SHARE = 0.05
COVERAGES = (0.01, 0.05)
# The coverage models are ranked by and allocation modes compared at.
HEADLINE_COVERAGE = 0.05
CURVE_COVERAGES = tuple(round(0.005 * i, 3) for i in range(1, 41))


def check_flagging(coverage: float, allocation: str) -> str:
    """The allocation's known name, once the coverage is a share of cells."""
    if not 0 < coverage <= 1:
        raise LacrimeError(f"coverage {coverage}: give a share of cells between 0 and 1")
    return choose(allocation, ALLOCATIONS, "allocation")


def flag_count(n_cells: int, share: float) -> int:
    """Cells in the top `share`: rounded half up, at least one."""
    return max(1, int(np.floor(n_cells * share + 0.5)))


def hotspot_labels(counts: np.ndarray, share: float) -> np.ndarray:
    """Per row of `counts` (a week), cells at or above the count of the k-th busiest cell.

    Ties at the threshold are all hotspots, so cells with the same count always get the same
    label and the realised share can be a little above `share`; a cell needs at least one
    report to be a hotspot.
    """
    k = flag_count(counts.shape[1], share)
    threshold = -np.partition(-counts, k - 1, axis=1)[:, k - 1 : k]
    return (counts >= np.maximum(threshold, 1)).astype("int8")


def risk_order(risk: np.ndarray, cells: pd.Index) -> np.ndarray:
    """Positions from the riskiest cell down; equal risks in cell-id order, so runs agree."""
    return np.lexsort((cells.to_numpy(dtype="str"), -np.asarray(risk, dtype="float64")))


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
    allocation = check_flagging(coverage, allocation)
    k = flag_count(len(cells), coverage)
    order = risk_order(risk, cells.index)
    flagged = np.zeros(len(cells), dtype=bool)
    if allocation == "citywide":
        flagged[order[:k]] = True
        return flagged
    if area_weights is None:
        raise ValueError("proportional allocation needs area_weights")
    areas = cells["area_name"].to_numpy()[order]
    quotas = area_quotas(area_weights, pd.Series(areas).value_counts(), k)
    within = pd.Series(areas).groupby(areas).cumcount().to_numpy()
    flagged[order[within < quotas.reindex(areas).to_numpy()]] = True
    return flagged


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


def coverage_curve(
    risk: np.ndarray, cells: pd.Index, counts: np.ndarray, crimes: int
) -> dict[str, np.ndarray]:
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


def area_ratios(crimes: pd.Series, flags: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Per LAPD area (the index of `crimes`): its share of the crimes and, for each allocation
    mode in `flags` (flagged cells per area), its flagged cells, its share of all flags and
    the ratio of the two; 1 means attention in proportion to crime, 0 never flagged."""
    table = pd.DataFrame({"crime_share": crimes / crimes.sum()})
    for mode, per_area in flags.items():
        counts = per_area.reindex(table.index, fill_value=0)
        table[f"{mode}_flagged"] = counts.astype("int64")
        table[f"{mode}_flag_share"] = counts / counts.sum()
        table[f"{mode}_ratio"] = table[f"{mode}_flag_share"] / table["crime_share"].replace(
            0, np.nan
        )
    return table
