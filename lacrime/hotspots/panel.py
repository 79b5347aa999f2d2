"""The cell x week table hotspot models learn from: features from the past, label from the week.

Every feature of a week is computed from reports of earlier weeks only, so a model trained on
the panel can be applied at a date without looking ahead. Weeks are 7-day blocks counted back
from the forecast week: Monday to Sunday in the evaluation, and the 7 days after `as_of` in a
forecast (the same thing when `as_of` is a Sunday). Only complete blocks are used: days before
the first full block of the data are dropped rather than read as a quiet week.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from lacrime.calendar import WEEK
from lacrime.data.categories import GROUPS
from lacrime.data.completeness import Completeness
from lacrime.hotspots.flagging import DEFAULT_SHARE, hotspot_labels
from lacrime.hotspots.grid import COORD_DECIMALS, Grid, locate

LAGS = (1, 2, 4, 8)
# Gaussian kernel density baseline: 400 m, a little under the edge of a res-8 cell, chosen once
# among 200, 400 and 800 m on the real extract (400 m had the best PAI at 5%; 200 m follows
# single addresses, 800 m blurs neighbouring hotspots together). Kernels are cut at 3 sigma.
KDE_BANDWIDTH_M = 400.0
_KDE_CUTOFF = 3.0
# Calendar features only mean something once the training window covers a full year (pass
# max_train_weeks >= 52 on years of data); on fewer weeks a tree learns which of the few seen
# weeks was busy, which is noise: forced in on the real extract (6 weeks), they lowered the
# random forest's mean PAI at 5% by 0.02-0.03 over 3 and 5 evaluation weeks.
CALENDAR_MIN_WEEKS = 52

MIX_FEATURES: tuple[str, ...] = tuple(
    "mix_" + re.sub(r"[^a-z]+", "_", group.lower()).strip("_") for group in GROUPS
)
HISTORY_FEATURES: tuple[str, ...] = (
    *(f"lag_{k}" for k in LAGS),
    "last_4_weeks",
    "mean_past",
    "weeks_of_history",
    "ring1_last_week",
    "ring1_last_4_weeks",
    "ring2_last_4_weeks",
)
KDE_FEATURE = "kde_past"
CALENDAR_FEATURES: tuple[str, ...] = ("week_of_year", "month")
FEATURES: tuple[str, ...] = (*HISTORY_FEATURES, *MIX_FEATURES, KDE_FEATURE, *CALENDAR_FEATURES)
# What a user reads for each feature (pages and the CLI's text output; JSON keeps the code names).
FEATURE_LABELS: dict[str, str] = {
    **{f"lag_{k}": f"Reports {k} week{'s' if k > 1 else ''} before" for k in LAGS},
    "last_4_weeks": "Reports in the last 4 weeks",
    "mean_past": "Mean weekly reports, all past weeks",
    "weeks_of_history": "Weeks of history",
    "ring1_last_week": "Neighbouring cells' reports last week",
    "ring1_last_4_weeks": "Neighbouring cells' reports, last 4 weeks",
    "ring2_last_4_weeks": "Second ring of cells' reports, last 4 weeks",
    **{
        feature: f"Share of {group.lower()} in past reports"
        for feature, group in zip(MIX_FEATURES, GROUPS, strict=True)
    },
    KDE_FEATURE: "Kernel density of past reports",
    "week_of_year": "Week of the year",
    "month": "Month",
}


def feature_label(name: str) -> str:
    """The human name of hotspot feature `name` (the code name itself if it has none)."""
    return FEATURE_LABELS.get(name, name)


def with_cells(frame: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Only the columns hotspot features come from, plus each report's cell.

    Selecting them here means no other field of the dataset can reach a feature by accident.
    """
    located = frame[["occurred_at", "area_name", "crime_group", "lat", "lon"]].copy()
    located["cell"] = locate(located["lat"], located["lon"], resolution)
    return located


@dataclass(frozen=True)
class Panel:
    """`rows`: index (week, cell); `count`, `hotspot`, FEATURES and `complete` (False where the
    cell's area reported the week incompletely). The last week is the target."""

    rows: pd.DataFrame
    target_start: pd.Timestamp

    def training_rows(self) -> pd.DataFrame:
        """Weeks before the target that have at least one week of history to learn from, and
        whose counts are complete: an incompletely reported week would teach a drop in crime
        that did not happen."""
        weeks = self.rows.index.get_level_values("week")
        usable = (weeks < self.target_start) & (self.rows["weeks_of_history"] > 0)
        return self.rows[usable & self.rows["complete"].to_numpy()]

    def target_rows(self) -> pd.DataFrame:
        return self.rows.xs(self.target_start, level="week", drop_level=False)


def week_starts(first_day: pd.Timestamp, target_start: pd.Timestamp) -> pd.DatetimeIndex:
    """Starts of the complete 7-day blocks from `first_day` up to and including the target."""
    n = int((target_start - first_day.normalize()) // WEEK)
    return pd.DatetimeIndex([target_start - k * WEEK for k in range(max(n, 0), -1, -1)])


def build_panel(
    located: pd.DataFrame,
    grid: Grid,
    *,
    target_start: pd.Timestamp,
    share: float = DEFAULT_SHARE,
    weeks: int | None = None,
    completeness: Completeness | None = None,
) -> Panel:
    """The panel of `grid` cells for the weeks up to `target_start` (rows of the last `weeks`+1).

    `located` is a frame from `with_cells` at the grid's resolution. Reports of the target week
    give its count and label only; reports after it are ignored. All history counts towards
    lags, means, mix and density, even when only the last `weeks` are returned as rows.
    `completeness` marks the weeks each cell's area reported incompletely (`complete` False).
    """
    starts = week_starts(located["occurred_at"].min(), target_start)
    if len(starts) < 2:
        raise ValueError("no complete week of history before the target week")
    week = ((located["occurred_at"] - starts[0]) // WEEK).to_numpy()
    cell = grid.position(located["cell"].to_numpy())
    keep = (week >= 0) & (week < len(starts)) & (cell >= 0)
    week, cell = week[keep], cell[keep]
    n_weeks, n_cells = len(starts), len(grid)
    counts = np.bincount(week * n_cells + cell, minlength=n_weeks * n_cells)
    counts = counts.reshape(n_weeks, n_cells).astype("float64")

    columns: dict[str, np.ndarray] = {"count": counts, "hotspot": hotspot_labels(counts, share)}
    columns.update(_history_features(counts, grid))
    group = pd.Categorical(located["crime_group"].to_numpy()[keep], categories=GROUPS).codes
    columns.update(_mix_features(week, cell, group, n_weeks, n_cells))
    columns[KDE_FEATURE] = _kde_feature(located[keep], week, grid, n_weeks)
    middle = starts + pd.Timedelta(days=3)
    columns["week_of_year"] = np.repeat(middle.isocalendar().week.to_numpy()[:, None], n_cells, 1)
    columns["month"] = np.repeat(middle.month.to_numpy()[:, None], n_cells, 1)

    first = 0 if weeks is None else max(0, n_weeks - 1 - weeks)
    index = pd.MultiIndex.from_product([starts[first:], grid.ids], names=["week", "cell"])
    rows = pd.DataFrame(
        {name: values[first:].ravel() for name, values in columns.items()}, index=index
    )
    rows["hotspot"] = rows["hotspot"].astype("int8")
    rows["complete"] = _complete(completeness, starts[first:], grid)
    return Panel(rows=rows, target_start=target_start)


def _complete(
    completeness: Completeness | None, starts: pd.DatetimeIndex, grid: Grid
) -> np.ndarray:
    """Per (week, cell), in the panel's order: whether the cell's area reported the week fully."""
    if completeness is None or not completeness.gaps:
        return np.ones(len(starts) * len(grid), dtype=bool)
    areas = grid.cells["area_name"].to_numpy()
    names = sorted(set(areas))
    gappy = completeness.incomplete_weeks(starts, names)
    column = pd.Index(names).get_indexer(areas)
    return ~gappy.to_numpy()[:, column].ravel()


def _shift(values: np.ndarray, k: int) -> np.ndarray:
    """Row b holds row b-k; rows with no such week are 0 (missing history)."""
    out = np.zeros_like(values)
    if k < len(values):
        out[k:] = values[: len(values) - k]
    return out


def _history_features(counts: np.ndarray, grid: Grid) -> dict[str, np.ndarray]:
    n_weeks = len(counts)
    history = np.arange(n_weeks, dtype="float64")[:, None]
    lags = {k: _shift(counts, k) for k in range(1, max(LAGS) + 1)}
    last_4 = sum(lags[k] for k in range(1, 5))
    past_total = _shift(np.cumsum(counts, axis=0), 1)
    ring1, ring2 = grid.ring(1), grid.ring(2)
    return {
        **{f"lag_{k}": lags[k] for k in LAGS},
        "last_4_weeks": last_4,
        "mean_past": past_total / np.maximum(history, 1),
        "weeks_of_history": np.broadcast_to(np.minimum(history, max(LAGS)), counts.shape),
        "ring1_last_week": np.asarray(lags[1] @ ring1),
        "ring1_last_4_weeks": np.asarray(last_4 @ ring1),
        "ring2_last_4_weeks": np.asarray(last_4 @ ring2),
    }


def _mix_features(
    week: np.ndarray, cell: np.ndarray, group: np.ndarray, n_weeks: int, n_cells: int
) -> dict[str, np.ndarray]:
    """Share of each crime group among the cell's reports of all earlier weeks (0 if none)."""
    n_groups = len(GROUPS)
    by_group = np.bincount(
        (week * n_cells + cell) * n_groups + group, minlength=n_weeks * n_cells * n_groups
    )
    past = _shift(np.cumsum(by_group.reshape(n_weeks, n_cells, n_groups), axis=0), 1)
    total = past.sum(axis=2, keepdims=True)
    shares = np.divide(past, total, out=np.zeros(past.shape), where=total > 0)
    return {name: shares[:, :, g] for g, name in enumerate(MIX_FEATURES)}


def _project(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Metres on a plane tangent at LA's latitude; error well under 1% across the city."""
    lat0 = np.deg2rad(34.05)
    return np.column_stack(
        [np.deg2rad(lon) * 6_371_000 * np.cos(lat0), np.deg2rad(lat) * 6_371_000]
    )


def _kde_feature(located: pd.DataFrame, week: np.ndarray, grid: Grid, n_weeks: int) -> np.ndarray:
    """Gaussian kernel density of all earlier weeks' reports at each cell centre.

    In reports per km² per week. Reports are pooled by distinct coordinates (4 decimals) and
    each week's kernel sums are one sparse product, so every week costs the same.
    """
    points, point_of_row = np.unique(
        np.round(located[["lat", "lon"]].to_numpy(), COORD_DECIMALS), axis=0, return_inverse=True
    )
    centres = _project(grid.cells["lat"].to_numpy(), grid.cells["lon"].to_numpy())
    pairs = cKDTree(centres).sparse_distance_matrix(
        cKDTree(_project(points[:, 0], points[:, 1])),
        _KDE_CUTOFF * KDE_BANDWIDTH_M,
        output_type="ndarray",
    )
    kernel = sparse.csr_matrix(
        (np.exp(-0.5 * (pairs["v"] / KDE_BANDWIDTH_M) ** 2), (pairs["i"], pairs["j"])),
        shape=(len(grid), len(points)),
    )
    per_week = sparse.csr_matrix(
        (np.ones(len(week)), (week, point_of_row.ravel())), shape=(n_weeks, len(points))
    )
    density = np.asarray((per_week @ kernel.T).todense())
    past = _shift(np.cumsum(density, axis=0), 1)
    weeks_seen = np.maximum(np.arange(n_weeks), 1)[:, None]
    return past / weeks_seen / (2 * np.pi * KDE_BANDWIDTH_M**2) * 1e6
