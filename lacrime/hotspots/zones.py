"""The patrol plan: an area's flagged cells for one watch joined into contiguous zones, each
with its cells, the reports expected in it, its share of the area's expected reports, and the
streets most reported in it, so that a sergeant can read the plan aloud at roll call.

Cells that share an edge (H3 neighbours) belong to one zone. Streets come from the reports'
hundred-block address (`location`, "1900 S  LONGWOOD  AV") with the spaces normalised and the
house number stripped ("S LONGWOOD AV"); they are named only from reports whose place an
output may show (`data.privacy.only_locatable`), never from a report of a sex offence.
"""

import re
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from lacrime.calendar import WATCHES, WEEK, watch_codes
from lacrime.data.clean import DEFAULT_TIMES
from lacrime.data.privacy import only_locatable
from lacrime.hotspots.flagging import flag_count, risk_order
from lacrime.hotspots.grid import locate

# Streets are named from the reports of this many weeks before the forecast week: recent
# enough to describe the place as it is, long enough to name more than one street.
STREET_WEEKS = 8
TOP_STREETS = 3
_HOUSE_NUMBER = re.compile(r"^\d+[A-Z]?\s+")
PLAN_COLUMNS = ("zone", "cells", "expected_reports", "share_of_area", "streets", "lat", "lon")


def street_block(location: pd.Series) -> pd.Series:
    """The street of each hundred-block address: "1900 S  LONGWOOD  AV" -> "S LONGWOOD AV";
    null where there is no address or only a number."""
    normal = location.astype("string").str.split().str.join(" ")
    street = normal.str.replace(_HOUSE_NUMBER, "", regex=True).str.strip()
    return street.mask(street.fillna("").str.fullmatch(r"\d*"))


@dataclass(frozen=True)
class Zone:
    """One zone of the plan: its cells, the reports expected in them next week, their share
    of the area's expected reports, and the streets most reported in them with their counts."""

    zone: int
    cells: list[str]
    expected_reports: float
    share_of_area: float | None
    streets: list[str]
    street_reports: list[int]
    lat: float
    lon: float


@dataclass(frozen=True)
class PatrolPlan:
    """The zones of an area (None: the whole city) for one watch, busiest first."""

    area: str | None
    watch: str | None
    as_of: str
    window: list[str]
    area_expected: float
    zones: list[Zone]

    def table(self) -> pd.DataFrame:
        """One row per zone, its streets as one line ("S LONGWOOD AV (12), ...")."""
        rows = [
            {
                "zone": z.zone,
                "cells": len(z.cells),
                "expected_reports": round(z.expected_reports, 1),
                "share_of_area": z.share_of_area,
                "streets": ", ".join(
                    f"{s} ({n})" for s, n in zip(z.streets, z.street_reports, strict=True)
                ),
                "lat": z.lat,
                "lon": z.lon,
            }
            for z in self.zones
        ]
        return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))

    def to_csv(self) -> str:
        """The table with a line per zone and its cell ids, as a spreadsheet reads it."""
        table = self.table()
        table["cell_ids"] = [" ".join(z.cells) for z in self.zones]
        table.insert(0, "watch", self.watch or "all day")
        table.insert(0, "area", self.area or "city")
        return table.to_csv(index=False)


def zones_of(cells: list[str]) -> list[list[str]]:
    """`cells` grouped into sets of H3 neighbours joined edge to edge, each sorted."""
    cells = sorted(set(cells))
    if not cells:
        return []
    position = {c: i for i, c in enumerate(cells)}
    pairs = [
        (i, position[n]) for i, c in enumerate(cells) for n in h3.grid_ring(c, 1) if n in position
    ]
    rows, cols = (
        (np.array(x, dtype="int64") for x in zip(*pairs, strict=True)) if pairs else ([], [])
    )
    adjacency = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cells),) * 2)
    _, label = connected_components(adjacency, directed=False)
    groups: dict[int, list[str]] = {}
    for cell, group in zip(cells, label, strict=True):
        groups.setdefault(int(group), []).append(cell)
    return list(groups.values())


def zone_outline(cells: list[str]) -> list[list[list[float]]]:
    """The outer boundary of each polygon the cells make, as rings of [lon, lat]."""
    shape = h3.cells_to_geo(cells)
    polygons = [shape["coordinates"]] if shape["type"] == "Polygon" else shape["coordinates"]
    return [[[float(lon), float(lat)] for lon, lat in polygon[0]] for polygon in polygons]


def streets_by_cell(
    reports: pd.DataFrame, *, resolution: int, window_start: pd.Timestamp, watch: str | None
) -> pd.DataFrame:
    """Reports per (cell, street) over the STREET_WEEKS before `window_start`, of the watch's
    known times if `watch` is given: only reports whose place may be shown one by one."""
    since = window_start - STREET_WEEKS * WEEK
    recent = reports[reports["occurred_at"].between(since, window_start, inclusive="left")]
    recent = only_locatable(recent)
    if watch is not None:
        code = list(WATCHES).index(watch)
        in_watch = watch_codes(recent["occurred_at"].dt.hour.to_numpy()) == code
        recent = recent[in_watch & ~recent["time_occ"].isin(DEFAULT_TIMES).to_numpy()]
    street = street_block(recent["location"])
    named = street.notna().to_numpy()
    table = pd.DataFrame(
        {
            "cell": locate(recent["lat"][named], recent["lon"][named], resolution),
            "street": street[named].to_numpy(),
        }
    )
    return table.value_counts().rename("reports").reset_index()


def patrol_plan(
    forecast: pd.DataFrame,
    reports: pd.DataFrame,
    *,
    area: str | None = None,
    coverage: float | None = None,
) -> PatrolPlan:
    """The zones of `area`'s riskiest cells in `forecast` (a watch or all-day forecast, with
    each cell's `expected` reports), with the streets of `reports` (the cleaned dataset) most
    reported in each zone.

    An area's plan flags `coverage` (default: the forecast's) of the area's own cells, since
    a city-wide top 5% leaves most areas nothing to patrol; the city's plan keeps the
    forecast's flags.
    """
    cells = forecast if area is None else forecast[forecast["area_name"] == area]
    if area is not None:
        top = risk_order(cells["risk"].to_numpy(), pd.Index(cells["cell"]))
        top = top[: flag_count(len(cells), coverage or float(forecast.attrs["coverage"]))]
        cells = cells.assign(flagged=np.isin(np.arange(len(cells)), top))
    expected = cells.set_index("cell")["expected"]
    total = float(expected.sum())
    window_start = pd.Timestamp(forecast.attrs["window_start"])
    watch = forecast.attrs.get("watch")
    streets = streets_by_cell(
        reports,
        resolution=int(forecast.attrs["resolution"]),
        window_start=window_start,
        watch=watch,
    )
    zones = []
    chosen = cells["flagged"] & (cells["expected"] > 0)  # a cell expecting nothing is no target
    for members in zones_of(cells.loc[chosen, "cell"].tolist()):
        named = streets[streets["cell"].isin(members)].groupby("street")["reports"].sum()
        named = named.reset_index().sort_values(["reports", "street"], ascending=[False, True])
        centre = np.array([h3.cell_to_latlng(c) for c in members]).mean(axis=0)
        zone_expected = float(expected.loc[members].sum())
        zones.append(
            Zone(
                zone=0,
                cells=members,
                expected_reports=zone_expected,
                share_of_area=zone_expected / total if total > 0 else None,
                streets=named["street"].head(TOP_STREETS).tolist(),
                street_reports=[int(n) for n in named["reports"].head(TOP_STREETS)],
                lat=float(centre[0]),
                lon=float(centre[1]),
            )
        )
    zones.sort(key=lambda z: (-z.expected_reports, z.cells[0]))
    numbered = [Zone(**{**z.__dict__, "zone": i}) for i, z in enumerate(zones, start=1)]
    return PatrolPlan(
        area=area,
        watch=watch,
        as_of=forecast.attrs["as_of"],
        window=[forecast.attrs["window_start"], forecast.attrs["window_end"]],
        area_expected=total,
        zones=numbered,
    )
