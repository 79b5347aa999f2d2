"""Emerging hotspots: Gi* against values computed by hand, the FDR cut-off, the ArcGIS
patterns on hand-made series, and the whole analysis on synthetic and real reports."""

import math
from datetime import date

import h3
import numpy as np
import pandas as pd
import pytest

from lacrime.hotspots.emerging import (
    MIN_SLICES,
    emerging_hotspots,
    gi_star,
    hot_pattern,
    neighbour_weights,
    pattern,
    significant,
    slice_days_for,
)
from lacrime.hotspots.grid import Grid
from lacrime.hotspots.panel import with_cells

CENTRE = h3.latlng_to_cell(34.05, -118.25, 8)


def seven_cells() -> Grid:
    """A centre cell and its six neighbours; the ring cells touch the centre and two others."""
    ids = pd.Index(sorted([CENTRE, *h3.grid_ring(CENTRE, 1)]), dtype="str", name="cell")
    centres = np.array([h3.cell_to_latlng(c) for c in ids])
    cells = pd.DataFrame(
        {"area_name": "Central", "lat": centres[:, 0], "lon": centres[:, 1]}, index=ids
    )
    return Grid(resolution=8, cells=cells)


def test_gi_star_matches_the_values_worked_by_hand():
    """y = 8 at the centre and 2, 0, 1, 0, 3, 0 going round the ring. n = 7, mean 2,
    sum(y^2)/n = 78/7, so S = sqrt(78/7 - 4) = sqrt(50/7). A ring cell's weights (itself, the
    centre and the two ring cells beside it) sum to W = 4, so
        z = (local sum - 2 * 4) / (S * sqrt((7 * 4 - 4^2) / 6)) = (local sum - 8) / sqrt(100/7)
    e.g. the cell of 3: (3 + 8 + 0 + 0 - 8) / sqrt(100/7) = 0.3 * sqrt(7) = 0.7937."""
    grid = seven_cells()
    ring = list(h3.grid_ring(CENTRE, 1))
    for k, cell in enumerate(ring):  # h3 lists the ring in order: each touches the next
        assert h3.are_neighbor_cells(cell, ring[(k + 1) % 6])
    y = pd.Series(0.0, index=grid.ids)
    y[CENTRE] = 8
    y[ring] = [2, 0, 1, 0, 3, 0]
    local_sums = [2 + 8 + 0 + 0, 0 + 8 + 2 + 1, 1 + 8 + 0 + 0, 0 + 8 + 1 + 3, 3 + 8, 0 + 8 + 3 + 2]
    hand = {
        cell: (total - 8) / math.sqrt(100 / 7) for cell, total in zip(ring, local_sums, strict=True)
    }
    assert hand[ring[4]] == pytest.approx(0.3 * math.sqrt(7))
    z, p = gi_star(y.to_numpy(), neighbour_weights(grid))
    for i, cell in enumerate(grid.ids):
        if cell == CENTRE:  # W = n: its neighbourhood is the whole grid, z undefined
            assert (z[i], p[i]) == (0.0, 1.0)
            continue
        assert z[i] == pytest.approx(hand[cell], rel=1e-9)
        normal_tail = 0.5 * math.erfc(abs(hand[cell]) / math.sqrt(2))
        assert p[i] == pytest.approx(2 * normal_tail, rel=1e-9)


def test_a_slice_without_variation_has_no_hot_spot():
    grid = seven_cells()
    for counts in (np.zeros(7), np.full(7, 3.0)):
        z, p = gi_star(counts, neighbour_weights(grid))
        assert (z == 0).all() and (p == 1).all()


def test_fdr_is_stricter_than_the_plain_threshold():
    """Benjamini-Hochberg at 5% over 10 tests: the k-th smallest p must be under k * 0.005."""
    p = np.array([0.001, 0.008, 0.02, 0.04, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99])
    passed = significant(p, 0.05)
    assert passed.tolist() == [True, True, False, False] + [False] * 6
    assert (p < 0.05).sum() == 4


@pytest.mark.parametrize(
    ("hot", "cold", "rising", "falling", "expected"),
    [
        ("0000000001", "0000000000", False, False, "new"),
        ("0000000111", "0000000000", False, False, "consecutive"),
        ("0111111111", "0000000000", True, False, "intensifying"),
        ("1111111111", "0000000000", False, False, "persistent"),
        ("1111111111", "0000000000", False, True, "diminishing"),
        ("0010010011", "0000000000", False, False, "sporadic"),
        ("0010100001", "0000000000", False, False, "sporadic"),
        ("0010000001", "0100000000", False, False, "oscillating"),
        ("1111111110", "0000000000", False, False, "historical"),
        ("1101000010", "0000000000", False, False, None),
    ],
)
def test_patterns_follow_the_arcgis_definitions(hot, cold, rising, falling, expected):
    as_bool = lambda text: np.array([c == "1" for c in text])  # noqa: E731
    assert hot_pattern(as_bool(hot), as_bool(cold), rising, falling) == expected


def test_cold_spots_mirror_hot_ones():
    none = np.zeros(10, dtype=bool)
    cold = np.array([False] * 9 + [True])
    assert pattern(none, cold, 0.0, 1.0, 0.05) == "new cold spot"
    assert pattern(none, none, 0.0, 1.0, 0.05) == "no pattern detected"


def test_slices_are_weeks_when_the_data_allow_and_shorter_otherwise():
    assert slice_days_for(4 * 365) == 7
    assert slice_days_for(70) == 7
    assert slice_days_for(53) == 5  # the real extract's span
    assert slice_days_for(MIN_SLICES) == 1
    with pytest.raises(Exception, match="at least 10 days"):
        slice_days_for(9)


def test_a_cell_that_heats_up_in_the_last_slice_is_a_new_hot_spot():
    """Ten weeks of an even spread of reports over a wide disk; in the last week one cell
    and its neighbours get many more. That cell is a new hot spot; nothing else is hot."""
    disk = sorted(h3.grid_disk(CENTRE, 6))
    hot = h3.latlng_to_cell(*h3.cell_to_latlng(disk[len(disk) // 3]), 8)
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=70)
    rows = [(c, d) for d in days for c in rng.choice(disk, size=30)]
    rows += [(c, days[-1 - k]) for k in range(7) for c in h3.grid_disk(hot, 1) for _ in range(4)]
    frame = pd.DataFrame(rows, columns=["cell", "day"])
    centres = np.array([h3.cell_to_latlng(c) for c in frame["cell"]])
    reports = pd.DataFrame(
        {
            "occurred_at": frame["day"] + pd.Timedelta(hours=10),
            "area_name": "Central",
            "crime_group": "Theft",
            "lat": centres[:, 0],
            "lon": centres[:, 1],
        }
    )
    result = emerging_hotspots(with_cells(reports, 8), as_of=date(2024, 3, 10), resolution=8)
    assert result.slice_days == 7 and len(result.slices) == 10
    patterns = result.table.set_index("cell")["pattern"]
    assert patterns[hot] == "new hot spot"
    assert result.table.loc[0, "cell"] == hot  # the hottest of the heating-up cells first
    hot_now = patterns[patterns.str.contains("hot spot")]
    assert set(hot_now.index) <= set(h3.grid_disk(hot, 2))
    assert result.z.shape == (10, len(result.table))


@pytest.mark.real
def test_emerging_hotspots_of_the_real_extract(real_clean):
    result = emerging_hotspots(with_cells(real_clean, 8), as_of=date(2024, 3, 24), resolution=8)
    assert result.slice_days == 5 and len(result.slices) == 10
    counts = result.counts()
    print("\n" + counts.to_string())
    assert counts["no pattern detected"] > counts.drop("no pattern detected").sum()
    assert counts.drop("no pattern detected").sum() > 0
    assert len(result.table) == result.table["cell"].nunique()
