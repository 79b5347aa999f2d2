"""The hexagon grid hotspots are forecast on: H3 cells covering the city's footprint.

Hexagons have one kind of neighbour (no corner/edge ambiguity as with squares), equal-ish areas,
and stable ids across datasets, so a flagged cell means the same place next month.

The footprint is the set of cells with at least one report in the data the grid is built from
(the training data), plus their first ring of neighbours: a cell next to crime can become a
hotspot without having had a report yet, while hills, the ocean and the airport runways far
from any report stay out of the denominator of PAI (the share of area flagged).

Resolution 8 (about 0.74 km² per cell, 460 m edge) is the default, chosen on the real extract
(rolling evaluation over the last 3 weeks, best model per resolution):
- PAI at 5% of the cells does not separate them: res 7 6.11, res 8 5.77, res 9 6.05, each
  within the week-to-week spread (0.2-0.5) of the others; and it is not comparable across
  resolutions, as each footprint covers another area (1910, 1336, 967 km²).
- Res 7's ring of 5 km² cells reaches far into hills and ocean, which inflates its PAI; 98 km²
  of flags (5%) is no patrol plan.
- Res 9 concentrates more crime into the same area (35% of a week's reports in 67 km², against
  29% at res 8), but a weekly hotspot there means 2 reports (79% of cell-weeks have none), so
  the label is mostly noise: the random forest's ROC-AUC falls from 0.96 to 0.83, PEI* from
  0.84 to 0.59, and learning adds little over the all-history counts (best model 6.05 against
  6.00). Worth re-evaluating on years of data (`resolution=9` is accepted throughout).
"""

from dataclasses import dataclass
from functools import cached_property

import h3
import numpy as np
import pandas as pd
from scipy import sparse

DEFAULT_RESOLUTION = 8
RESOLUTIONS = range(6, 11)
# The portal publishes coordinates with 4 decimals (about 10 m); rounding to them makes the
# number of distinct points, and so of scalar h3 calls, far smaller than the number of rows.
COORD_DECIMALS = 4


def locate(lat: pd.Series, lon: pd.Series, resolution: int) -> np.ndarray:
    """The H3 cell id of each point, computed once per distinct rounded (lat, lon) pair."""
    lat_r = np.round(np.asarray(lat, dtype="float64"), COORD_DECIMALS)
    lon_r = np.round(np.asarray(lon, dtype="float64"), COORD_DECIMALS)
    key = np.rint(lat_r * 10**COORD_DECIMALS).astype("int64") * (1 << 32) + np.rint(
        lon_r * 10**COORD_DECIMALS
    ).astype("int64")
    _, first, codes = np.unique(key, return_index=True, return_inverse=True)
    cells = np.array(
        [
            h3.latlng_to_cell(a, b, resolution)
            for a, b in zip(lat_r[first], lon_r[first], strict=True)
        ],
        dtype=object,
    )
    return cells[codes]


@dataclass(frozen=True)
class Grid:
    """Cells of one resolution, sorted by id: `cells` has `area_name`, `lat`, `lon` (centre)."""

    resolution: int
    cells: pd.DataFrame

    @property
    def ids(self) -> pd.Index:
        return self.cells.index

    def __len__(self) -> int:
        return len(self.cells)

    def position(self, cell_ids: np.ndarray | pd.Series) -> np.ndarray:
        """Row of each cell id in `cells`; -1 for a cell outside the footprint."""
        return self.ids.get_indexer(pd.Index(cell_ids, dtype="str"))

    def ring(self, k: int) -> sparse.csr_matrix:
        """0/1 matrix of pairs of grid cells exactly `k` steps apart."""
        return self._rings[k - 1]

    @cached_property
    def _rings(self) -> tuple[sparse.csr_matrix, ...]:
        return tuple(self._ring_matrix(k) for k in (1, 2))

    def _ring_matrix(self, k: int) -> sparse.csr_matrix:
        pairs = [(i, n) for i, cell in enumerate(self.ids) for n in h3.grid_ring(cell, k)]
        rows = np.array([i for i, _ in pairs], dtype="int64")
        cols = self.position(np.array([n for _, n in pairs], dtype=object))
        inside = cols >= 0
        n = len(self)
        return sparse.csr_matrix(
            (np.ones(int(inside.sum())), (rows[inside], cols[inside])), shape=(n, n)
        )


def build_grid(cells: pd.Series, area_name: pd.Series, resolution: int) -> Grid:
    """The footprint of the reports located in `cells`, each cell with its majority LAPD area.

    A cell's area is the one holding most of its reports; a ring cell with no report takes the
    area holding most of its reporting neighbours' reports. Ties go to the alphabetically first
    area, so the grid is the same on every run.
    """
    counts = (
        pd.DataFrame(
            {
                "cell": np.asarray(cells, dtype=object),
                "area_name": np.asarray(area_name, dtype=object),
            }
        )
        .value_counts()
        .rename("n")
        .reset_index()
    )
    observed = sorted(counts["cell"].unique())
    ring = sorted({n for c in observed for n in h3.grid_ring(c, 1)} - set(observed))
    neighbours = pd.DataFrame(
        [(c, n) for c in ring for n in h3.grid_ring(c, 1)], columns=["cell", "neighbour"]
    ).merge(counts.rename(columns={"cell": "neighbour"}), on="neighbour")
    votes = pd.concat([counts, neighbours.drop(columns="neighbour")])
    votes = votes.groupby(["cell", "area_name"], as_index=False)["n"].sum()
    area = (
        votes.sort_values(["cell", "n", "area_name"], ascending=[True, False, True])
        .drop_duplicates("cell")
        .set_index("cell")["area_name"]
    )
    ids = pd.Index(sorted(observed + ring), dtype="str", name="cell")
    centres = np.array([h3.cell_to_latlng(c) for c in ids])
    frame = pd.DataFrame(
        {"area_name": area.reindex(ids).astype("str"), "lat": centres[:, 0], "lon": centres[:, 1]},
        index=ids,
    )
    return Grid(resolution=resolution, cells=frame)


def cell_polygon(cell: str) -> list[list[float]]:
    """The cell's boundary as a closed, counter-clockwise ring of [lon, lat] (RFC 7946)."""
    ring = h3.cells_to_geo([cell])["coordinates"][0]
    return [[float(lon), float(lat)] for lon, lat in ring]
